//! The columnar executor. For each driving part it selects rows without reading them where
//! it can — a binary search of the time-sorted segment for the time bounds, the slice index
//! (a roaring bitmap per tag value) for `tag = 'x'` and `tag IN (…)` conditions — then works
//! through the selection in chunks: the join locations of the chunk's rows, the rest of the
//! WHERE clause as column kernels, group IDs from window arithmetic and dictionary codes,
//! and the aggregates fed column by column. Memory holds one chunk's columns and the groups'
//! states, whatever the size of the database.

use super::agg::feed;
use super::group_ids::{key_paths, GroupTable};
use super::join::{Join, JoinStrategy};
use super::plan::{overlaps, Plan};
use super::vector::{eval, truths, Chunk, Column, Joined, Loc, Sel, NO_MATCH};
use super::Groups;
use crate::ast::{BinaryOp, Expr};
use crate::error::Result;
use roaring::RoaringBitmap;
use seamdb_storage::{ComponentView, Part, Values};

/// Rows per chunk: a chunk's columns stay in the core's cache.
const CHUNK_ROWS: usize = 8 * 1024;

pub(super) fn accumulate(plan: &Plan<'_>, strategy: JoinStrategy) -> Result<Groups> {
    let scan = Scan {
        driving: plan.component,
        joins: plan
            .joins
            .iter()
            .zip(&plan.stored)
            .map(|(j, stored)| Join::new(&plan.component, j, *stored, strategy, plan.as_of))
            .collect(),
        filter: plan.select.filter.as_ref(),
        time_bounds: plan.time_bounds,
        filter_joins: &plan.filter_joins,
    };
    // Each thread takes a contiguous run of parts, about as many rows each, and its own
    // groups; they are merged in part order, so every run gives the same answer.
    let rows: Vec<usize> = plan.component.parts().map(|p| p.rows()).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_THREADS).min(rows.len()).max(1);
    let total: usize = rows.iter().sum();
    let mut starts = vec![0];
    let mut seen = 0;
    for (d, r) in rows.iter().enumerate() {
        if seen >= total * starts.len() / threads && d > *starts.last().expect("not empty") {
            starts.push(d);
        }
        seen += r;
    }
    starts.push(rows.len());
    // A window's groups are answered, and their values freed, as soon as no part still to
    // be read (by this thread or another) overlaps the window: with segments in time order,
    // only the windows being filled hold values.
    let spans: Vec<Option<(i64, i64)>> = plan.component.parts().map(|p| p.time_range()).collect();
    let close = |groups: &mut Groups, range: &std::ops::Range<usize>, done: usize| {
        let Some(window) = plan.window.as_ref().filter(|_| !plan.partial) else { return };
        let pending: Vec<(i64, i64)> =
            spans.iter().enumerate().filter(|(d, _)| !(range.start..=done).contains(d)).filter_map(|(_, s)| *s).collect();
        groups.finish_windows(plan, |w| {
            w.is_some_and(|w| {
                let end = window.start(window.index(w) + 1);
                pending.iter().all(|&(lo, hi)| hi < w || lo >= end)
            })
        });
    };
    let paths = key_paths(plan);
    let one = |range: std::ops::Range<usize>| -> Result<Groups> {
        let mut groups = Groups::default();
        let mut table: Option<(usize, GroupTable<'_>)> = None;
        scan.run(range.clone(), |d, at| {
            if table.as_ref().is_none_or(|(t, _)| *t != d) {
                if let Some((previous, _)) = table {
                    close(&mut groups, &range, previous);
                }
                table = Some((d, GroupTable::new(plan, &paths, &at.part)));
            }
            let ids = table.as_mut().expect("set above").1.assign(plan, &mut groups, at)?;
            // Each distinct argument is evaluated once per chunk.
            let mut evaluated: Vec<(&Expr, Column<'_>)> = Vec::new();
            for e in plan.aggregates.iter().flat_map(|a| &a.args) {
                if !evaluated.iter().any(|(done, _)| *done == e) {
                    evaluated.push((e, eval(e, at)?));
                }
            }
            for (a, agg) in plan.aggregates.iter().enumerate().filter(|(a, _)| plan.shares[*a].is_none()) {
                let args: Vec<&Column<'_>> =
                    agg.args.iter().map(|e| &evaluated.iter().find(|(done, _)| *done == e).expect("evaluated above").1).collect();
                feed(&mut groups.states[a], &agg.func, &ids, &args);
            }
            Ok(())
        })?;
        if let Some((last, _)) = table {
            close(&mut groups, &range, last);
        }
        Ok(groups)
    };
    let ranges: Vec<std::ops::Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    let mut results = if ranges.len() == 1 {
        vec![one(ranges[0].clone())]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = ranges.iter().map(|r| s.spawn(|| one(r.clone()))).collect();
            handles.into_iter().map(|h| h.join().expect("query thread panicked")).collect::<Vec<_>>()
        })
    }
    .into_iter();
    let mut groups = results.next().unwrap_or_else(|| Ok(Groups::default()))?;
    for other in results {
        groups.merge(plan, other?);
    }
    Ok(groups)
}

/// Threads one query uses at most.
const MAX_THREADS: usize = 2;

/// The rows of a component that pass a condition, with their joined events, chunk by chunk.
pub(super) struct Scan<'p, 'a> {
    pub driving: ComponentView<'a>,
    pub joins: Vec<Join<'a>>,
    pub filter: Option<&'p Expr>,
    /// Only rows with times in [lo, hi] can pass the filter.
    pub time_bounds: (i64, i64),
    /// Joins whose unmatched rows the filter drops.
    pub filter_joins: &'p [usize],
}

impl<'a> Scan<'_, 'a> {
    /// Calls `f(part index, chunk)` for every chunk of passing rows of the parts in `parts`.
    pub fn run(&self, parts: std::ops::Range<usize>, mut f: impl FnMut(usize, &Chunk<'_, 'a>) -> Result<()>) -> Result<()> {
        let terms: Vec<&Expr> = self.filter.map(and_terms).unwrap_or_default();
        let mut locs: Vec<Vec<Loc>> = vec![Vec::new(); self.joins.len()];
        for (d, part) in self.driving.parts().enumerate().skip(parts.start).take(parts.len()) {
            if !overlaps(&part, self.time_bounds) {
                continue;
            }
            let (selection, residual) = select_rows(&part, self.driving.name(), self.time_bounds, &terms)?;
            for chunk in selection.chunks() {
                for (j, join) in self.joins.iter().enumerate() {
                    join.locate(d, &part, &chunk, &mut locs[j]);
                }
                let mut kept: Vec<u32>;
                let mut rows = chunk.clone();
                if !residual.is_empty() || !self.filter_joins.is_empty() {
                    let at = self.chunk(&part, rows.clone(), &locs);
                    let mut keep = vec![true; rows.len()];
                    for term in &residual {
                        for (k, t) in keep.iter_mut().zip(truths(&eval(term, &at)?, rows.len())) {
                            *k &= t == Some(true);
                        }
                    }
                    for &j in self.filter_joins {
                        for (k, &loc) in keep.iter_mut().zip(&locs[j]) {
                            *k &= loc != NO_MATCH;
                        }
                    }
                    kept = Vec::with_capacity(rows.len());
                    rows.for_each_indexed(|i, r| {
                        if keep[i] {
                            kept.push(r as u32)
                        }
                    });
                    for l in locs.iter_mut() {
                        let mut kept_rows = keep.iter();
                        l.retain(|_| *kept_rows.next().expect("one flag per row"));
                    }
                    rows = Sel::List(&kept);
                }
                if !rows.is_empty() {
                    f(d, &self.chunk(&part, rows, &locs))?;
                }
            }
        }
        Ok(())
    }

    fn chunk<'c>(&'c self, part: &Part<'a>, rows: Sel<'c>, locs: &'c [Vec<Loc>]) -> Chunk<'c, 'a> {
        let joined = self.joins.iter().zip(locs).map(|(join, l)| Joined { join, locs: l }).collect();
        Chunk { driving: self.driving.name(), part: *part, rows, joined }
    }
}

/// The top-level `AND` terms of a condition.
pub(super) fn and_terms(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Binary { op: BinaryOp::And, lhs, rhs } => [and_terms(lhs), and_terms(rhs)].concat(),
        other => vec![other],
    }
}

/// A part's selected rows before the residual conditions.
enum Selection {
    Range(u32, u32),
    List(Vec<u32>),
}

impl Selection {
    fn chunks(&self) -> Vec<Sel<'_>> {
        match self {
            Selection::Range(lo, hi) => (*lo..*hi).step_by(CHUNK_ROWS).map(|s| Sel::Range(s..(s + CHUNK_ROWS as u32).min(*hi))).collect(),
            Selection::List(rows) => rows.chunks(CHUNK_ROWS).map(Sel::List).collect(),
        }
    }
}

/// Narrows a part to the rows inside the time bounds and every slice condition; returns the
/// conditions left to evaluate on the rows.
fn select_rows<'e>(part: &Part<'_>, driving: &str, (lo, hi): (i64, i64), terms: &[&'e Expr]) -> Result<(Selection, Vec<&'e Expr>)> {
    let times = part.times();
    let mut residual = Vec::new();
    let mut slice: Option<RoaringBitmap> = None;
    for &term in terms {
        match slice_rows(part, term, driving)? {
            Some(rows) => slice = Some(slice.map_or(rows.clone(), |s| s & rows)),
            None => residual.push(term),
        }
    }
    let (start, end, in_order) = if part.is_sorted_by_time() {
        (times.partition_point(|&t| t < lo) as u32, times.partition_point(|&t| t <= hi) as u32, true)
    } else {
        (0, times.len() as u32, false)
    };
    let in_bounds = |r: u32| in_order || (lo..=hi).contains(&times[r as usize]);
    let selection = match slice {
        Some(mut rows) => {
            rows.remove_range(..start);
            rows.remove_range(end..);
            Selection::List(rows.iter().filter(|&r| in_bounds(r)).collect())
        }
        None if in_order => Selection::Range(start, end),
        None => Selection::List((start..end).filter(|&r| in_bounds(r)).collect()),
    };
    Ok((selection, residual))
}

/// The driving component's field and the literals of a `field = literal` or `field IN
/// (literal, …)` condition.
fn equality_term<'e>(term: &'e Expr, driving: &str, literal: fn(&Expr) -> bool) -> Option<(&'e str, Vec<&'e Expr>)> {
    let (column, values): (&Expr, Vec<&Expr>) = match term {
        Expr::Binary { op: BinaryOp::Eq, lhs, rhs } if literal(rhs) => (lhs, vec![&**rhs]),
        Expr::Binary { op: BinaryOp::Eq, lhs, rhs } if literal(lhs) => (rhs, vec![&**lhs]),
        Expr::In { expr, list, negated: false } if list.iter().all(literal) => (expr, list.iter().collect()),
        _ => return None,
    };
    let Expr::Column(c) = column else { return None };
    if c.component.as_deref().is_some_and(|name| name != driving) {
        return None;
    }
    Some((&c.field, values))
}

/// The field and values of a `field = 'value'` or `field IN ('a', …)` condition on the
/// driving component: what the slice index can answer if the field is a tag.
pub(super) fn slice_term<'e>(term: &'e Expr, driving: &str) -> Option<(&'e str, Vec<&'e str>)> {
    let (field, values) = equality_term(term, driving, |e| matches!(e, Expr::String(_)))?;
    Some((field, values.into_iter().filter_map(|v| if let Expr::String(s) = v { Some(s.as_str()) } else { None }).collect()))
}

/// The trace IDs of a `trace_id = 'id'` or `trace_id IN (…)` condition on the driving
/// component: what the trace index answers.
pub(super) fn trace_term(term: &Expr, driving: &str) -> Option<Vec<u128>> {
    let (field, values) = equality_term(term, driving, |e| matches!(e, Expr::TraceId(_)))?;
    (field == "trace_id").then(|| values.into_iter().filter_map(|v| if let Expr::TraceId(id) = v { Some(*id) } else { None }).collect())
}

/// The rows a slice condition (see [`slice_term`]) selects in a part whose field is a tag,
/// from the slice index, or a trace condition (see [`trace_term`]) from the trace index;
/// `None` for any other condition.
fn slice_rows(part: &Part<'_>, term: &Expr, driving: &str) -> Result<Option<RoaringBitmap>> {
    if let Some(ids) = trace_term(term, driving) {
        return Ok(Some(ids.into_iter().flat_map(|id| part.trace_rows(id)).collect()));
    }
    let Some((field, values)) = slice_term(term, driving) else { return Ok(None) };
    if !matches!(part.field(field), Some(f) if matches!(f.values, Values::Tag { .. })) {
        return Ok(None);
    }
    let mut rows = RoaringBitmap::new();
    for v in values {
        rows |= part.tag_rows(field, v)?;
    }
    Ok(Some(rows))
}
