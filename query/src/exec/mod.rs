//! Running a `SELECT` over a snapshot: match each driving row with the latest event of its
//! trace in every joined component, filter, assign rows to groups (window and grouped
//! fields), feed the aggregates, and order the groups.
//!
//! Two executors share the plan, the aggregate states and the output: `columnar` (the one
//! queries use) and `rows`, row-at-a-time, kept as the reference it is tested against.

mod agg;
mod columnar;
mod eval;
mod explain;
mod fill;
mod group_ids;
mod join;
pub mod partial;
mod plan;
mod post;
mod reference;
mod rows;
mod types;
mod value;
mod vector;
mod verify;
mod window;

pub(crate) use explain::explain;
pub use join::JoinStrategy;
pub(crate) use plan::{columns as expr_columns, expr_type};
pub(crate) use post::Condition;
pub(crate) use types::Type;
pub(crate) use window::Windowing;

use crate::ast::Select;
use crate::error::Result;
use crate::output::{Cell, Table};
use agg::{key_cell, State};
use plan::{plan, Plan};
use post::Post;
use seamdb_storage::Snapshot;
use std::collections::HashMap;
use value::Key;

/// How a `SELECT` runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Executor {
    /// Column kernels over the selected rows, joining with `JoinStrategy`.
    #[default]
    Columnar,
    /// Value by value with a per-query hash join: slow and plain, the reference in tests.
    Rows,
}

/// Options of one query.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub executor: Executor,
    pub join: JoinStrategy,
}

/// A group: its window start (if grouped by window) and its grouped fields' values.
type GroupId = (Option<i64>, Vec<Key>);

/// The groups found and each one's aggregate states.
#[derive(Default)]
struct Groups {
    index: HashMap<GroupId, usize>,
    /// Per aggregate, per group.
    states: Vec<Vec<State>>,
    /// Rows in each group.
    rows: Vec<u64>,
    /// Groups already answered (their window can get no more rows) and their result cells;
    /// their states are freed.
    finished: Vec<(GroupId, Vec<Cell>)>,
}

pub(crate) fn select(s: &Select, snapshot: &Snapshot, options: &Options) -> Result<Table> {
    let plan = plan(s, snapshot)?;
    let post = post(&plan)?;
    if options.executor == Executor::Rows || options.join == JoinStrategy::Hash {
        let reference = s.reference.as_ref().and_then(|r| snapshot.component(&r.component));
        verify::reads(s, &plan.component, &plan.joins, &plan.stored, reference.as_ref(), true)?;
    }
    let groups = match options.executor {
        Executor::Columnar => columnar::accumulate(&plan, options.join)?,
        Executor::Rows => rows::accumulate(&plan)?,
    };
    answer(&plan, &post, groups)
}

/// What applies to the answer's rows (`HAVING`, `ORDER BY`, `LIMIT`), checked before anything
/// is read, as is `FILL`'s need of a window.
fn post(plan: &Plan<'_>) -> Result<Post> {
    if plan.select.fill && plan.window.is_none() {
        return Err(crate::error::Error::Invalid("FILL fills windows: it needs GROUP BY window(…)".into()));
    }
    Post::new(plan.select, &columns(plan), &plan.keys)
}

/// The rows of every group found: finished, filled, ordered, then `post`.
fn answer(plan: &Plan<'_>, post: &Post, mut groups: Groups) -> Result<Table> {
    // A query without GROUP BY answers with one row, even over no rows.
    if plan.select.group_by.is_empty() && groups.index.is_empty() && groups.finished.is_empty() {
        groups.find(plan, (None, Vec::new()));
    }
    output(plan, post, groups)
}

impl Groups {
    /// Adds another set of groups (from another thread) into this one.
    fn merge(&mut self, plan: &Plan<'_>, mut other: Groups) {
        self.finished.append(&mut other.finished);
        let mut found: Vec<(GroupId, usize)> = other.index.drain().collect();
        found.sort_by_key(|(_, g)| *g);
        for (id, theirs) in found {
            let mine = self.find(plan, id);
            self.rows[mine] += other.rows[theirs];
            for ((states, their_states), a) in self.states.iter_mut().zip(other.states.iter_mut()).zip(&plan.aggregates) {
                let state = std::mem::replace(&mut their_states[theirs], State::Rows(0));
                states[mine].merge(&a.func, state);
            }
        }
    }

    /// Answers every open group whose window `closed` says can get no more rows (all groups
    /// with `None`), and frees its state.
    fn finish_windows(&mut self, plan: &Plan<'_>, closed: impl Fn(Option<i64>) -> bool) {
        let done: Vec<(GroupId, usize)> = self.index.iter().filter(|((w, _), _)| closed(*w)).map(|(id, &g)| (id.clone(), g)).collect();
        if done.is_empty() {
            return;
        }
        // share() divides by the rows of the group's window: all its groups close together.
        let mut window_rows: HashMap<Option<i64>, u64> = HashMap::new();
        for ((window, _), g) in &done {
            *window_rows.entry(*window).or_default() += self.rows[*g];
        }
        for (id, g) in done {
            self.index.remove(&id);
            let in_window = window_rows[&id.0];
            let cells = plan
                .aggregates
                .iter()
                .enumerate()
                .map(|(a, agg)| self.states[plan.shares[a].unwrap_or(a)][g].finish(&agg.func, in_window, &plan.references))
                .collect();
            // An empty state of the same kind (`feed` dispatches on the kind) frees the values.
            for (states, agg) in self.states.iter_mut().zip(&plan.aggregates) {
                states[g] = State::new(&agg.func, &plan.references);
            }
            self.finished.push((id, cells));
        }
    }

    fn find(&mut self, plan: &Plan<'_>, id: GroupId) -> usize {
        let next = self.rows.len();
        let g = *self.index.entry(id).or_insert(next);
        if g == next {
            self.states.resize_with(plan.aggregates.len(), Vec::new);
            for (states, a) in self.states.iter_mut().zip(&plan.aggregates) {
                states.push(State::new(&a.func, &plan.references));
            }
            self.rows.push(0);
        }
        g
    }
}

/// The output's columns: group keys first (`window`, then `component.field`), then the items.
fn columns(plan: &Plan<'_>) -> Vec<String> {
    let mut columns = Vec::new();
    if plan.window.is_some() {
        columns.push("window".to_string());
    }
    columns.extend(plan.key_names.iter().cloned());
    columns.extend(plan.select.items.iter().map(|i| i.name().to_string()));
    columns
}

/// Rows ordered by window, then by group keys ascending (SPEC §4); then `HAVING`, `ORDER BY`
/// and `LIMIT` ([`Post`]).
fn output(plan: &Plan<'_>, post: &Post, mut groups: Groups) -> Result<Table> {
    groups.finish_windows(plan, |_| true);
    let mut ordered = std::mem::take(&mut groups.finished);
    if plan.select.fill {
        fill::fill(plan, &mut ordered)?;
    }
    ordered.sort_by(|a, b| a.0.cmp(&b.0));
    let mut rows = Vec::with_capacity(ordered.len());
    for ((window, key), cells) in ordered {
        let mut row: Vec<Cell> = window.map(Cell::Time).into_iter().collect();
        row.extend(key.into_iter().map(key_cell));
        row.extend(cells);
        rows.push(row);
    }
    // HAVING and ORDER BY see a window as its start, an instant, and print it only then: a
    // zoned window's text ('2024-10-29T00:00:00+01:00') compared bytewise with a time
    // ('2024-10-29', midnight UTC) would say it starts later, though it starts an hour before.
    post.apply(&mut rows)?;
    if let Some(w) = &plan.window {
        for row in &mut rows {
            if let Cell::Time(start) = row[0] {
                row[0] = w.cell(start);
            }
        }
    }
    Ok(Table { columns: columns(plan), rows })
}
