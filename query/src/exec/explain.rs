//! `EXPLAIN`: what a `SELECT` would read and how, without running it.

use super::columnar::{and_terms, slice_term, trace_term};
use super::group_ids::{key_paths, KeyPath};
use super::join;
use super::plan::{plan, time_bounds, Plan};
use crate::ast::{Expr, Select};
use crate::error::Result;
use crate::output::{Cell, Table};
use seamdb_storage::model::FieldType;
use seamdb_storage::{Part, Snapshot};
use std::fmt::Write;

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
    if let Some(filter) = &s.filter {
        let (times, slices, traces, kernels) = split_filter(filter, &plan);
        step(
            "filter",
            format!(
                "{times} time bound(s) as row ranges, {slices} condition(s) from the slice index, {traces} from the trace index, {kernels} by column kernels"
            ),
        );
    }
    for (j, stored) in plan.joins.iter().zip(&plan.stored) {
        let segments = plan.component.segments().len();
        let read = join::stored_segments(&plan.component, j, *stored);
        let mut detail = format!("{}: stored join read for {read} of {segments} sealed {} segments", j.name(), s.from);
        if read < segments {
            let _ = write!(detail, ", built for {} (a query through a database handle stores the pair)", segments - read);
        }
        let _ = write!(detail, "; {} unsealed {} rows laid over it", j.rows() - j.sealed_rows(), j.name());
        if plan.as_of.is_some() {
            detail.push_str("; rows whose stored event is later than AS OF fall back to a lookup up to AS OF");
        }
        step("join", detail);
    }
    if let Some(r) = &s.reference {
        let loaded: usize = plan.references.iter().map(|d| d.values.len() + d.counts.values().sum::<u64>() as usize).sum();
        step("reference", format!("{}: {} field(s) loaded, {loaded} values", r.component, plan.references.len()));
    }
    step("group", group(&plan));
    step("aggregate", s.items.iter().map(|i| i.name().to_string()).collect::<Vec<_>>().join(", "));
    Ok(table)
}

/// Every group key and the digit it gives the dense group table; or, when a key has no
/// such digit, that the keys are hashed row by row.
fn group(plan: &Plan<'_>) -> String {
    let paths = key_paths(plan);
    let mut keys: Vec<String> = plan.window.as_ref().map(|w| w.describe()).into_iter().collect();
    keys.extend(plan.key_names.iter().zip(&paths).map(|(name, path)| format!("{name} ({})", path.describe())));
    if keys.is_empty() {
        return "one group".into();
    }
    let path = match paths.contains(&KeyPath::General) {
        true => "general path: each row's key values hashed",
        false => "dense group table per part",
    };
    format!("{}; {path}", keys.join(", "))
}

/// How many top-level `AND` terms bound the driving time (a binary search of sorted
/// segments), how many the slice index answers (a driving tag compared with strings), how
/// many the trace index answers (`trace_id` equality), and how many are left to the column
/// kernels (which also evaluate time bounds on unsealed rows).
fn split_filter(filter: &Expr, plan: &Plan<'_>) -> (usize, usize, usize, usize) {
    let all = and_terms(filter);
    let (times, terms): (Vec<&Expr>, Vec<&Expr>) = all.into_iter().partition(|t| time_bounds(t, &plan.select.from) != (i64::MIN, i64::MAX));
    let is_tag = |field: &str| plan.component.schema().field_type(field) == Some(FieldType::Tag);
    let sliced = terms.iter().filter(|t| slice_term(t, &plan.select.from).is_some_and(|(field, _)| is_tag(field))).count();
    let traced = terms.iter().filter(|t| trace_term(t, &plan.select.from).is_some()).count();
    (times.len(), sliced, traced, terms.len() - sliced - traced)
}
