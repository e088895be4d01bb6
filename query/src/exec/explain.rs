//! `EXPLAIN`: what a `SELECT` would read and how, without running it.

use super::plan::plan;
use crate::ast::{Expr, Select};
use crate::error::Result;
use crate::output::{Cell, Table};
use seamdb_storage::{Part, Snapshot};

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
