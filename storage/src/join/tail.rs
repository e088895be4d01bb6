//! The join's unsealed side, kept with each tail chunk.
//!
//! Join files cover sealed driving rows against sealed joined events. What is left for a
//! query to lay over is the tail of either side: driving chunks need their rows' latest
//! events among the joined segments, joined chunks need the driving rows whose traces they
//! hold. Done afresh per query that costs (tail rows × segments) trace-lookup probes, every
//! second, while ingest runs (issue 13 measured a live Q1 at ~1 s). A tail chunk is immutable
//! and lives until sealed (or merged into a larger chunk), so both answers are worked out
//! the first time a query needs them and kept with the chunk, keyed by the other side's
//! sealed segment IDs; when that list only grew (a seal or a bulk load), only the new
//! segments are probed, and when two chunks merge, what both kept against the same list is
//! concatenated. Each row so costs one probe per segment once, not once per query, and
//! the background thread does that work ahead of the queries ([`prepare`]).

use super::{loc, split, Loc, TraceTable, NO_MATCH};
use crate::model::Batch;
use crate::scan::Part;
use crate::segment::Segment;
use parking_lot::Mutex;
use std::sync::Arc;

/// Works out, for every maintained pair, what each visible tail chunk keeps of its join
/// (the background thread does this after each seal check, so that a query finds it done
/// and pays only for rows newer than the last pass). Segments whose trace group does not
/// verify are left to the queries, which report the damage.
pub(crate) fn prepare(snapshot: &crate::Snapshot) {
    for join in snapshot.stored_joins() {
        let (Some(driving), Some(joined)) = (snapshot.component(join.driving()), snapshot.component(join.joined())) else { continue };
        let verified = |segments: &[Arc<Segment>]| segments.iter().all(|s| s.verify(crate::segment::Group::Trace).is_ok());
        if !verified(driving.segments()) || !verified(joined.segments()) {
            continue;
        }
        for chunk in driving.tail_chunks() {
            chunk.latest_in(joined.name(), joined.segments());
        }
        for chunk in joined.tail_chunks() {
            chunk.matches_in(driving.name(), driving.segments());
        }
    }
}

/// A driving row of a sealed segment whose trace has an event in a joined tail chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Match {
    /// Index of the driving segment in its component's sealed list.
    pub segment: u32,
    /// Row of that segment.
    pub row: u32,
    /// A row of the chunk with that trace's event. A trace with several events in the
    /// chunk may have several matches per driving row, in storage order: laid over in
    /// order, the latest (the later stored among equal times) wins.
    pub chunk_row: u32,
}

/// What queries have worked out about one chunk, per component on the other side.
#[derive(Debug, Default)]
pub(crate) struct ChunkCache {
    /// As a driving chunk: per row, the latest event among the joined segments.
    latest: Mutex<Vec<Kept<Vec<Loc>>>>,
    /// As a joined chunk: the sealed driving rows its traces match.
    matches: Mutex<Vec<Kept<Vec<Match>>>>,
}

/// An answer against the sealed segments (by ID) of the other side's component `other`.
#[derive(Debug)]
struct Kept<T> {
    other: String,
    segments: Vec<u64>,
    answer: Arc<T>,
}

impl ChunkCache {
    /// What two neighbouring chunks (`older` holding `older_rows` rows, then `newer`) both
    /// kept against the same segments, for the chunk they merge into.
    pub fn concat(older: &ChunkCache, older_rows: usize, newer: &ChunkCache) -> ChunkCache {
        let shift = |m: &Match| Match { chunk_row: m.chunk_row + older_rows as u32, ..*m };
        ChunkCache {
            latest: Mutex::new(both(&older.latest, &newer.latest, |a, b| [&a[..], &b[..]].concat())),
            matches: Mutex::new(both(&older.matches, &newer.matches, |a, b| a.iter().copied().chain(b.iter().map(shift)).collect())),
        }
    }
}

/// `join` of what `a` and `b` both kept against the same component and segments.
fn both<T>(a: &Mutex<Vec<Kept<T>>>, b: &Mutex<Vec<Kept<T>>>, join: impl Fn(&T, &T) -> T) -> Vec<Kept<T>> {
    let (a, b) = (a.lock(), b.lock());
    let same = |x: &Kept<T>| b.iter().find(|y| y.other == x.other && y.segments == x.segments);
    a.iter()
        .filter_map(|x| {
            let y = same(x)?;
            Some(Kept { other: x.other.clone(), segments: x.segments.clone(), answer: Arc::new(join(&x.answer, &y.answer)) })
        })
        .collect()
}

/// The answer in `slot` against `other`'s `segments`: as kept when it covers them all;
/// `extend`ed from the first segment it does not cover when the list only grew since;
/// otherwise worked out whole, from `fresh()`. Kept for the next query either way.
fn answer<T: Clone>(
    slot: &Mutex<Vec<Kept<T>>>,
    other: &str,
    segments: &[Arc<Segment>],
    fresh: impl FnOnce() -> T,
    extend: impl FnOnce(&mut T, usize),
) -> Arc<T> {
    let ids: Vec<u64> = segments.iter().map(|s| s.id()).collect();
    let kept = slot.lock().iter().find(|k| k.other == other && ids.starts_with(&k.segments)).map(|k| (k.answer.clone(), k.segments.len()));
    let (mut value, covered) = match kept {
        Some((answer, covered)) if covered == ids.len() => return answer,
        Some((answer, covered)) => (Arc::unwrap_or_clone(answer), covered),
        None => (fresh(), 0),
    };
    extend(&mut value, covered);
    let value = Arc::new(value);
    let mut slot = slot.lock();
    slot.retain(|k| k.other != other);
    slot.push(Kept { other: other.to_owned(), segments: ids, answer: value.clone() });
    value
}

/// One unsealed chunk of a component, as a query reads it.
#[derive(Clone, Copy, Debug)]
pub struct TailChunk<'a> {
    pub(crate) batch: &'a Batch,
    pub(crate) cache: &'a ChunkCache,
}

impl<'a> TailChunk<'a> {
    pub fn batch(&self) -> &'a Batch {
        self.batch
    }

    /// Per row, its trace's latest event among `segments`, the sealed list of component
    /// `joined` ([`NO_MATCH`] where there is none): what a join file holds for a sealed row.
    pub fn latest_in(&self, joined: &str, segments: &[Arc<Segment>]) -> Arc<Vec<Loc>> {
        let fresh = || vec![NO_MATCH; self.batch.rows()];
        answer(&self.cache.latest, joined, segments, fresh, |locs, covered| {
            let time_of = |l: Loc| {
                let (p, r) = split(l);
                segments[p].times()[r]
            };
            // Segment by segment, so that one segment's trace lookup stays in cache while
            // every row probes it; later segments win ties, as in the join rule.
            for (p, segment) in segments.iter().enumerate().skip(covered) {
                let times = segment.times();
                for (row, &id) in self.batch.trace_ids().iter().enumerate() {
                    let Some(&r) = segment.trace_rows(id).last() else { continue };
                    if locs[row] == NO_MATCH || times[r as usize] >= time_of(locs[row]) {
                        locs[row] = loc(p, r as usize);
                    }
                }
            }
        })
    }

    /// Every row of `segments`, the sealed list of component `driving`, whose trace has an
    /// event in this chunk, with a row of this chunk holding it (see [`Match`]).
    pub fn matches_in(&self, driving: &str, segments: &[Arc<Segment>]) -> Arc<Vec<Match>> {
        answer(&self.cache.matches, driving, segments, Vec::new, |matches, covered| {
            let events = TraceTable::latest(&[Part::Tail(self.batch)], None);
            for (i, segment) in segments.iter().enumerate().skip(covered) {
                events.for_each_match(&Part::Segment(segment), |row, l| {
                    matches.push(Match { segment: i as u32, row, chunk_row: split(l).1 as u32 });
                });
            }
        })
    }
}
