//! Running a `SELECT` over a snapshot: match each driving row with the latest event of its
//! trace in every joined component, filter, assign rows to groups (window and grouped
//! fields), feed the aggregates, and order the groups.
//!
//! This first executor is row-at-a-time and joins through a hash of each joined component's
//! latest event per trace, built per query: the plain reference the columnar executor and
//! its join index will be checked and measured against.

mod agg;
mod eval;
mod explain;
mod join;
mod plan;
mod reference;
mod value;

pub(crate) use explain::explain;

use crate::ast::{Expr, Select};
use crate::error::Result;
use crate::output::{Cell, Table};
use agg::{key_cell, State};
use eval::{eval, truth};
use join::{latest_events, Latest};
use plan::{plan, Plan};
use seamdb_storage::{Part, Snapshot};
use std::collections::HashMap;
use value::{Key, Val};

/// A group: its window start (if grouped by window) and its grouped fields' values.
type GroupId = (Option<i64>, Vec<Key>);

/// The groups found and each one's aggregate states.
#[derive(Default)]
struct Groups {
    index: HashMap<GroupId, usize>,
    states: Vec<Vec<State>>,
    window_rows: HashMap<Option<i64>, u64>,
}

pub(crate) fn select(s: &Select, snapshot: &Snapshot) -> Result<Table> {
    let plan = plan(s, snapshot)?;
    let groups = accumulate(&plan)?;
    Ok(output(&plan, groups))
}

/// Filters each part's rows, matches them with joined events, assigns them to groups and
/// feeds the aggregates.
fn accumulate(plan: &Plan<'_>) -> Result<Groups> {
    let joined: Vec<(Vec<Part<'_>>, HashMap<u128, Latest>)> = plan.joins.iter().map(|j| latest_events(j, plan.as_of)).collect();
    let mut groups = Groups::default();
    for part in plan.component.parts().filter(|p| plan.reads(p)) {
        let times = part.times();
        let mut rows: Vec<u32> = (0..part.rows() as u32).filter(|&r| plan.as_of.is_none_or(|t| times[r as usize] <= t)).collect();
        let hits = |rows: &[u32]| -> Vec<Vec<Option<(u32, u32)>>> {
            let ids = part.trace_ids();
            joined.iter().map(|(_, latest)| rows.iter().map(|&r| latest.get(&ids[r as usize]).map(|l| (l.part, l.row))).collect()).collect()
        };
        if let Some(f) = &plan.select.filter {
            let found = hits(&rows);
            let at = plan.rows(part, &rows, &joined, found.clone());
            let keep = eval(f, &at)?;
            let matched = |i: usize| plan.filter_joins.iter().all(|&j| found[j][i].is_some());
            rows = rows
                .iter()
                .zip(keep)
                .enumerate()
                .filter(|(i, (_, v))| truth(*v) == Some(true) && matched(*i))
                .map(|(_, (&r, _))| r)
                .collect();
        }
        let at = plan.rows(part, &rows, &joined, hits(&rows));
        let key_values = plan.keys.iter().map(|e| eval(e, &at)).collect::<Result<Vec<_>>>()?;
        let arg_values =
            plan.aggregates.iter().map(|a| a.args.iter().map(|e| eval(e, &at)).collect::<Result<Vec<_>>>()).collect::<Result<Vec<_>>>()?;
        for (i, &r) in rows.iter().enumerate() {
            let window = plan.window_us.map(|w| times[r as usize].div_euclid(w) * w);
            let key: Vec<Key> = key_values.iter().map(|v| v[i].exact_key()).collect();
            let g = groups.find(plan, (window, key));
            *groups.window_rows.entry(window).or_default() += 1;
            for (a, (agg, args)) in plan.aggregates.iter().zip(&arg_values).enumerate() {
                let row_args: Vec<Val<'_>> = args.iter().map(|v| v[i]).collect();
                groups.states[g][a].add(&agg.func, &row_args);
            }
        }
    }
    // A query without GROUP BY answers with one row, even over no rows.
    if plan.select.group_by.is_empty() && groups.index.is_empty() {
        groups.find(plan, (None, Vec::new()));
    }
    Ok(groups)
}

impl Groups {
    fn find(&mut self, plan: &Plan<'_>, id: GroupId) -> usize {
        let next = self.states.len();
        let g = *self.index.entry(id).or_insert(next);
        if g == next {
            self.states.push(plan.aggregates.iter().map(|a| State::new(&a.func)).collect());
        }
        g
    }
}

/// Group keys first (`window`, then `component.field`), then the items; rows ordered by
/// window, then by group keys ascending (SPEC §4).
fn output(plan: &Plan<'_>, mut groups: Groups) -> Table {
    let s = plan.select;
    let mut columns = Vec::new();
    if plan.window_us.is_some() {
        columns.push("window".to_string());
    }
    for key in &plan.keys {
        if let Expr::Column(c) = key {
            columns.push(format!("{}.{}", c.component.as_deref().unwrap_or(&s.from), c.field));
        }
    }
    columns.extend(s.items.iter().map(|i| i.name().to_string()));
    let mut ordered: Vec<(GroupId, usize)> = groups.index.drain().collect();
    ordered.sort_by(|a, b| a.0.cmp(&b.0));
    let mut table = Table { columns, rows: Vec::new() };
    for ((window, key), g) in ordered.into_iter().take(s.limit.map_or(usize::MAX, |l| l as usize)) {
        let mut row: Vec<Cell> = window.map(Cell::Time).into_iter().collect();
        row.extend(key.into_iter().map(key_cell));
        let in_window = groups.window_rows.get(&window).copied().unwrap_or(0);
        row.extend(groups.states[g].iter_mut().zip(&plan.aggregates).map(|(st, a)| st.finish(&a.func, in_window, &plan.references)));
        table.rows.push(row);
    }
    table
}
