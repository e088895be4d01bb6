//! Running a `SELECT` over a snapshot: filter the driving component's rows, assign each to
//! its group (window and grouped fields), feed the aggregates, and order the groups.
//!
//! This first executor is row-at-a-time over a single component and serves as the reference
//! the columnar, join-aware executor will be checked against.

mod agg;
mod eval;
mod value;

use crate::ast::{ColumnRef, Expr, GroupKey, Select};
use crate::error::{Error, Result};
use crate::output::{Cell, Table};
use agg::{key_cell, Aggregate, State};
use eval::{eval, parse_time, truth};
use seamdb_storage::{ComponentView, Snapshot};
use std::collections::HashMap;
use value::{Key, Val};

/// A group: its window start (if grouped by window) and its grouped fields' values.
type GroupId = (Option<i64>, Vec<Key>);

/// What a `SELECT` needs, checked against the snapshot.
struct Plan<'a> {
    select: &'a Select,
    component: ComponentView<'a>,
    aggregates: Vec<Aggregate<'a>>,
    window_us: Option<i64>,
    keys: Vec<Expr>,
    as_of: Option<i64>,
}

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

fn plan<'a>(s: &'a Select, snapshot: &'a Snapshot) -> Result<Plan<'a>> {
    if let Some(join) = s.joins.first() {
        return Err(Error::Unsupported(format!("JOIN {join}: joins are parsed but not executed by this version yet")));
    }
    if s.reference.is_some() {
        return Err(Error::Unsupported("REFERENCE: drift queries are parsed but not executed by this version yet".into()));
    }
    let component = snapshot.component(&s.from).ok_or_else(|| Error::Name(format!("there is no component {:?}", s.from)))?;
    let check = |c: &ColumnRef| -> Result<()> {
        if let Some(other) = c.component.as_deref().filter(|name| *name != s.from) {
            return Err(Error::Unsupported(format!(
                "{other}.{}: only the FROM component's fields can be used until joins are executed",
                c.field
            )));
        }
        if c.field != "time" && component.schema().field_type(&c.field).is_none() {
            return Err(Error::Name(format!("component {:?} has no field {:?}", s.from, c.field)));
        }
        Ok(())
    };
    let aggregates = s
        .items
        .iter()
        .map(|item| match &item.expr {
            Expr::Call { name, args } => Aggregate::plan(name, args),
            _ => Err(Error::Unsupported(format!("{}: every item must be an aggregate such as count() or mean(x)", item.text))),
        })
        .collect::<Result<Vec<_>>>()?;
    let read = aggregates.iter().flat_map(|a| a.args.iter().copied()).chain(s.filter.as_ref());
    read.flat_map(columns).try_for_each(check)?;
    let mut window_us = None;
    let mut keys = Vec::new();
    for g in &s.group_by {
        match g {
            GroupKey::Window { width_us, .. } => window_us = Some(*width_us),
            GroupKey::Column(c) => {
                check(c)?;
                keys.push(Expr::Column(c.clone()));
            }
        }
    }
    let as_of = match &s.as_of {
        Some(t) => Some(parse_time(t).ok_or_else(|| Error::Invalid(format!("AS OF {t:?} is not an RFC 3339 timestamp")))?),
        None => None,
    };
    Ok(Plan { select: s, component, aggregates, window_us, keys, as_of })
}

/// Filters each part's rows, assigns them to groups and feeds the aggregates.
fn accumulate(plan: &Plan<'_>) -> Result<Groups> {
    let mut groups = Groups::default();
    for part in plan.component.parts() {
        let times = part.times();
        let mut rows: Vec<u32> = (0..part.rows() as u32).filter(|&r| plan.as_of.is_none_or(|t| times[r as usize] <= t)).collect();
        if let Some(f) = &plan.select.filter {
            let keep = eval(f, &part, &rows)?;
            rows = rows.into_iter().zip(keep).filter(|(_, v)| truth(*v) == Some(true)).map(|(r, _)| r).collect();
        }
        let key_values = plan.keys.iter().map(|e| eval(e, &part, &rows)).collect::<Result<Vec<_>>>()?;
        let arg_values = plan
            .aggregates
            .iter()
            .map(|a| a.args.iter().map(|e| eval(e, &part, &rows)).collect::<Result<Vec<_>>>())
            .collect::<Result<Vec<_>>>()?;
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
        row.extend(groups.states[g].iter_mut().zip(&plan.aggregates).map(|(st, a)| st.finish(&a.func, in_window)));
        table.rows.push(row);
    }
    table
}

/// Every column an expression reads.
fn columns(e: &Expr) -> Vec<&ColumnRef> {
    match e {
        Expr::Column(c) => vec![c],
        Expr::Neg(x) | Expr::Not(x) | Expr::IsNull { expr: x, .. } => columns(x),
        Expr::Binary { lhs, rhs, .. } => [columns(lhs), columns(rhs)].concat(),
        Expr::In { expr, list, .. } => std::iter::once(&**expr).chain(list).flat_map(columns).collect(),
        Expr::Call { args, .. } => args.iter().flat_map(columns).collect(),
        Expr::Int(_) | Expr::Float(_) | Expr::String(_) | Expr::Bool(_) | Expr::Null => Vec::new(),
    }
}
