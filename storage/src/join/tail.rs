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
    entries: Mutex<Vec<Cached>>,
}

#[derive(Debug)]
struct Cached {
    /// The other side's component and the sealed segment IDs the answer covers.
    other: String,
    segments: Vec<u64>,
    answer: Answer,
}

#[derive(Clone, Debug)]
enum Answer {
    Latest(Arc<Vec<Loc>>),
    Matches(Arc<Vec<Match>>),
}

impl ChunkCache {
    /// The cached answer of `kind` against `other`, and how many of `segments` it covers
    /// (0 with nothing cached, or a list that changed otherwise than by growing).
    fn get(&self, other: &str, segments: &[u64], latest: bool) -> (Option<Answer>, usize) {
        let entries = self.entries.lock();
        let found = entries.iter().find(|c| c.other == other && matches!(c.answer, Answer::Latest(_)) == latest);
        match found {
            Some(c) if segments.starts_with(&c.segments) => (Some(c.answer.clone()), c.segments.len()),
            _ => (None, 0),
        }
    }

    /// What two neighbouring chunks (`older` holding `older_rows` rows, then `newer`) both
    /// kept against the same segments, for the chunk they merge into.
    pub fn concat(older: &ChunkCache, older_rows: usize, newer: &ChunkCache) -> ChunkCache {
        let (a, b) = (older.entries.lock(), newer.entries.lock());
        let mut entries = Vec::new();
        for x in a.iter() {
            let Some(y) = b.iter().find(|y| y.other == x.other && y.segments == x.segments) else { continue };
            let answer = match (&x.answer, &y.answer) {
                (Answer::Matches(p), Answer::Matches(q)) => {
                    let shifted = q.iter().map(|m| Match { chunk_row: m.chunk_row + older_rows as u32, ..*m });
                    Answer::Matches(Arc::new(p.iter().copied().chain(shifted).collect()))
                }
                _ => continue,
            };
            entries.push(Cached { other: x.other.clone(), segments: x.segments.clone(), answer });
        }
        ChunkCache { entries: Mutex::new(entries) }
    }

    fn put(&self, other: &str, segments: Vec<u64>, answer: Answer) {
        let mut entries = self.entries.lock();
        let latest = matches!(answer, Answer::Latest(_));
        entries.retain(|c| !(c.other == other && matches!(c.answer, Answer::Latest(_)) == latest));
        entries.push(Cached { other: other.to_owned(), segments, answer });
    }
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
        let ids: Vec<u64> = segments.iter().map(|s| s.id()).collect();
        let (cached, covered) = self.cache.get(joined, &ids, true);
        let mut locs = match cached {
            Some(Answer::Latest(locs)) if covered == ids.len() => return locs,
            Some(Answer::Latest(locs)) => Arc::unwrap_or_clone(locs),
            _ => vec![NO_MATCH; self.batch.rows()],
        };
        let time_of = |l: Loc| {
            let (p, r) = split(l);
            segments[p].times()[r]
        };
        // Segment by segment, so that one segment's trace lookup stays in cache while every
        // row probes it; later segments win ties, as in the join rule.
        let ids_here = self.batch.trace_ids();
        for (p, segment) in segments.iter().enumerate().skip(covered) {
            let times = segment.times();
            for (row, &id) in ids_here.iter().enumerate() {
                let Some(&r) = segment.trace_rows(id).last() else { continue };
                let found = loc(p, r as usize);
                if locs[row] == NO_MATCH || times[r as usize] >= time_of(locs[row]) {
                    locs[row] = found;
                }
            }
        }
        let locs = Arc::new(locs);
        self.cache.put(joined, ids, Answer::Latest(locs.clone()));
        locs
    }

    /// Every row of `segments`, the sealed list of component `driving`, whose trace has an
    /// event in this chunk, with a row of this chunk holding it (see [`Match`]).
    pub fn matches_in(&self, driving: &str, segments: &[Arc<Segment>]) -> Arc<Vec<Match>> {
        let ids: Vec<u64> = segments.iter().map(|s| s.id()).collect();
        let (cached, covered) = self.cache.get(driving, &ids, false);
        let mut matches = match cached {
            Some(Answer::Matches(m)) if covered == ids.len() => return m,
            Some(Answer::Matches(m)) => Arc::unwrap_or_clone(m),
            _ => Vec::new(),
        };
        let events = TraceTable::latest(&[Part::Tail(self.batch)], None);
        for (i, segment) in segments.iter().enumerate().skip(covered) {
            events.for_each_match(&Part::Segment(segment), |row, l| {
                matches.push(Match { segment: i as u32, row, chunk_row: split(l).1 as u32 });
            });
        }
        let matches = Arc::new(matches);
        self.cache.put(driving, ids, Answer::Matches(matches.clone()));
        matches
    }
}
