//! Running a `SELECT` over a snapshot: match each driving row with the latest event of its
//! trace in every joined component, filter, assign rows to groups (window and grouped
//! fields), feed the aggregates, and order the groups.
//!
//! This first executor is row-at-a-time and joins through a hash of each joined component's
//! latest event per trace, built per query: the plain reference the columnar executor and
//! its join index will be checked and measured against.

mod agg;
mod eval;
mod reference;
mod value;

use crate::ast::{ColumnRef, Expr, GroupKey, Select};
use crate::error::{Error, Result};
use crate::output::{Cell, Table};
use agg::{key_cell, Aggregate, Drift, Func, State};
use eval::{eval, parse_time, truth, Matches, Rows};
use reference::RefData;
use seamdb_storage::model::FieldType;
use seamdb_storage::{ComponentView, Part, Snapshot};
use std::collections::HashMap;
use value::{Key, Val};

/// A group: its window start (if grouped by window) and its grouped fields' values.
type GroupId = (Option<i64>, Vec<Key>);

/// What a `SELECT` needs, checked against the snapshot.
struct Plan<'a> {
    select: &'a Select,
    component: ComponentView<'a>,
    joins: Vec<ComponentView<'a>>,
    /// Joined components the WHERE clause reads: a driving row without a match in any of
    /// them is dropped (SPEC §4, as in SQL).
    filter_joins: Vec<usize>,
    aggregates: Vec<Aggregate>,
    /// The data each drift metric compares with (indexed by `Func::Drift::reference`).
    references: Vec<RefData>,
    window_us: Option<i64>,
    keys: Vec<Expr>,
    as_of: Option<i64>,
    /// Driving-time bounds implied by AS OF and the WHERE clause: parts whose time range
    /// lies outside are skipped without reading a row.
    time_bounds: (i64, i64),
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
    let find = |name: &str| snapshot.component(name).ok_or_else(|| Error::Name(format!("there is no component {name:?}")));
    let component = find(&s.from)?;
    let mut joins: Vec<ComponentView<'a>> = Vec::new();
    for name in &s.joins {
        if *name == s.from || joins.iter().any(|j| j.name() == name) {
            return Err(Error::Invalid(format!("{name} is joined twice (or with itself)")));
        }
        joins.push(find(name)?);
    }
    let check = |c: &ColumnRef| -> Result<()> {
        let owner = match c.component.as_deref() {
            None => &component,
            Some(name) if name == s.from => &component,
            Some(name) => joins
                .iter()
                .find(|j| j.name() == name)
                .ok_or_else(|| Error::Name(format!("{name}.{}: {name} is neither the FROM nor a JOINed component", c.field)))?,
        };
        if c.field != "time" && owner.schema().field_type(&c.field).is_none() {
            return Err(Error::Name(format!("component {:?} has no field {:?}", owner.name(), c.field)));
        }
        Ok(())
    };
    let mut aggregates = s
        .items
        .iter()
        .map(|item| match &item.expr {
            Expr::Call { name, args } => Aggregate::plan(name, args, &s.joins),
            _ => Err(Error::Unsupported(format!("{}: every item must be an aggregate such as count() or mean(x)", item.text))),
        })
        .collect::<Result<Vec<_>>>()?;
    let read = aggregates.iter().flat_map(|a| a.args.iter()).chain(s.filter.as_ref());
    read.flat_map(columns).try_for_each(check)?;
    let filter_reads = s.filter.as_ref().map(columns).unwrap_or_default();
    let filter_joins = (0..joins.len()).filter(|&j| filter_reads.iter().any(|c| c.component.as_deref() == Some(joins[j].name()))).collect();
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
    let references = references(s, snapshot, &mut aggregates, as_of)?;
    let (lo, hi) = s.filter.as_ref().map_or((i64::MIN, i64::MAX), |f| time_bounds(f, &s.from));
    let time_bounds = (lo, hi.min(as_of.unwrap_or(i64::MAX)));
    Ok(Plan { select: s, component, joins, filter_joins, aggregates, references, window_us, keys, as_of, time_bounds })
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

impl<'a> Plan<'a> {
    /// Whether a driving part can hold rows inside the time bounds.
    fn reads(&self, part: &Part<'_>) -> bool {
        let (lo, hi) = self.time_bounds;
        part.time_range().is_some_and(|(min, max)| max >= lo && min <= hi)
    }

    /// The evaluation context for `rows` of a driving part, with their joined matches.
    fn rows<'c>(
        &'c self,
        part: Part<'a>,
        rows: &'c [u32],
        joined: &'c [(Vec<Part<'a>>, HashMap<u128, Latest>)],
        hits: Vec<Vec<Option<(u32, u32)>>>,
    ) -> Rows<'c, 'a> {
        let matches =
            self.joins.iter().zip(joined).zip(hits).map(|((j, (parts, _)), hits)| Matches { name: j.name(), parts, hits }).collect();
        Rows { joined: matches, driving: &self.select.from, part, rows }
    }
}

/// Where a trace's latest event in a joined component is.
#[derive(Clone, Copy)]
struct Latest {
    time: i64,
    part: u32,
    row: u32,
}

/// The joined component's parts and, per trace, its latest event with `time <= as_of`. Equal
/// times resolve to the event stored later (a later part, or a later row of a part).
fn latest_events<'a>(component: &ComponentView<'a>, as_of: Option<i64>) -> (Vec<Part<'a>>, HashMap<u128, Latest>) {
    let parts: Vec<Part<'a>> = component.parts().collect();
    let mut latest: HashMap<u128, Latest> = HashMap::new();
    for (p, part) in parts.iter().enumerate() {
        for (r, (&id, &time)) in part.trace_ids().iter().zip(part.times()).enumerate() {
            if as_of.is_some_and(|t| time > t) {
                continue;
            }
            let candidate = Latest { time, part: p as u32, row: r as u32 };
            latest
                .entry(id)
                .and_modify(|l| {
                    if time >= l.time {
                        *l = candidate
                    }
                })
                .or_insert(candidate);
        }
    }
    (parts, latest)
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

/// Loads the reference data each drift metric needs (one load per reference field) and
/// points the metrics at it. Drift needs `REFERENCE`; the compared fields must exist there
/// with a type the metric takes.
fn references(s: &Select, snapshot: &Snapshot, aggregates: &mut [Aggregate], as_of: Option<i64>) -> Result<Vec<RefData>> {
    let mut loaded: Vec<(String, RefData)> = Vec::new();
    for a in aggregates.iter_mut() {
        let Func::Drift { kind, field, reference } = &mut a.func else { continue };
        let r = s.reference.as_ref().ok_or_else(|| Error::Invalid(format!("{field}: drift metrics need a REFERENCE clause")))?;
        let component = snapshot.component(&r.component).ok_or_else(|| Error::Name(format!("there is no component {:?}", r.component)))?;
        for c in r.filter.as_ref().map(columns).unwrap_or_default() {
            if c.component.as_deref().is_some_and(|name| name != r.component)
                || (c.field != "time" && component.schema().field_type(&c.field).is_none())
            {
                return Err(Error::Name(format!("the REFERENCE condition reads {:?}, which {:?} does not have", c.field, r.component)));
            }
        }
        let ty = component
            .schema()
            .field_type(field)
            .ok_or_else(|| Error::Name(format!("reference component {:?} has no field {field:?}", r.component)))?;
        let numeric = matches!(ty, FieldType::Float | FieldType::Int);
        if numeric != !matches!(kind, Drift::Chi2 | Drift::Unseen) {
            return Err(Error::Invalid(format!("{kind:?} does not apply to {} field {field:?}", ty.name()).to_lowercase()));
        }
        *reference = match loaded.iter().position(|(f, _)| f == field) {
            Some(i) => i,
            None => {
                loaded.push((field.clone(), reference::load(&component, r, field, as_of)?));
                loaded.len() - 1
            }
        };
    }
    Ok(loaded.into_iter().map(|(_, data)| data).collect())
}

/// The [lo, hi] range of driving times a condition allows, from its top-level `AND` terms
/// of the form `time <op> 'timestamp'` (other terms allow everything).
fn time_bounds(e: &Expr, driving: &str) -> (i64, i64) {
    use crate::ast::BinaryOp::*;
    match e {
        Expr::Binary { op: And, lhs, rhs } => {
            let (a, b) = (time_bounds(lhs, driving), time_bounds(rhs, driving));
            (a.0.max(b.0), a.1.min(b.1))
        }
        Expr::Binary { op, lhs, rhs } => {
            let is_time =
                |e: &Expr| matches!(e, Expr::Column(c) if c.field == "time" && c.component.as_deref().is_none_or(|n| n == driving));
            let at = |e: &Expr| if let Expr::String(s) = e { parse_time(s) } else { None };
            let (op, t) = match (is_time(lhs), at(rhs), at(lhs), is_time(rhs)) {
                (true, Some(t), _, _) => (*op, t),
                // 'T' < time is time > 'T'
                (_, _, Some(t), true) => (
                    match op {
                        Lt => Gt,
                        Le => Ge,
                        Gt => Lt,
                        Ge => Le,
                        other => *other,
                    },
                    t,
                ),
                _ => return (i64::MIN, i64::MAX),
            };
            match op {
                Ge => (t, i64::MAX),
                Gt => (t.saturating_add(1), i64::MAX),
                Le => (i64::MIN, t),
                Lt => (i64::MIN, t.saturating_sub(1)),
                Eq => (t, t),
                _ => (i64::MIN, i64::MAX),
            }
        }
        _ => (i64::MIN, i64::MAX),
    }
}

/// `EXPLAIN`: what the query reads and how, without running it.
pub(crate) fn explain(s: &Select, snapshot: &Snapshot) -> Result<Table> {
    let plan = plan(s, snapshot)?;
    let mut table = Table::new(["step", "detail"]);
    let mut step = |name: &str, detail: String| table.rows.push(vec![Cell::Text(name.into()), Cell::Text(detail)]);
    let parts: Vec<Part<'_>> = plan.component.parts().collect();
    let read: Vec<&Part<'_>> = parts.iter().filter(|p| plan.reads(p)).collect();
    let rows: usize = read.iter().map(|p| p.rows()).sum();
    let segments = read.iter().filter(|p| p.is_sorted_by_time()).count();
    step(
        "scan",
        format!(
            "{}: {} of {} parts read ({} sealed segments, {} unsealed batches), {} skipped by time bounds; about {rows} rows",
            s.from,
            read.len(),
            parts.len(),
            segments,
            read.len() - segments,
            parts.len() - read.len()
        ),
    );
    if s.filter.is_some() {
        step("filter", "WHERE evaluated row by row (slice bitmaps are not used by this executor yet)".into());
    }
    for j in &plan.joins {
        step("join", format!("{}: hash of the latest event per trace over {} rows, built for this query", j.name(), j.rows()));
    }
    if let Some(r) = &s.reference {
        let loaded: usize = plan.references.iter().map(|d| d.sorted.len() + d.counts.values().sum::<u64>() as usize).sum();
        step("reference", format!("{}: {} field(s) loaded, {loaded} values", r.component, plan.references.len()));
    }
    let mut keys: Vec<String> = plan.window_us.map(|w| format!("window of {} s", w / 1_000_000)).into_iter().collect();
    keys.extend(plan.keys.iter().filter_map(|k| {
        if let Expr::Column(c) = k {
            Some(format!("{}.{}", c.component.as_deref().unwrap_or(&s.from), c.field))
        } else {
            None
        }
    }));
    step("group", if keys.is_empty() { "one group".into() } else { keys.join(", ") });
    step("aggregate", s.items.iter().map(|i| i.name().to_string()).collect::<Vec<_>>().join(", "));
    Ok(table)
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
