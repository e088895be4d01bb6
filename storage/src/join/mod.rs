//! The stored join: for a pair of components (driving ← joined, e.g. inference ← feedback),
//! where each driving row's latest joined event is, kept on disk beside the driving data
//! (docs/ARCHITECTURE.md, "Built for the join").
//!
//! "Latest" is the join rule of SeamQL: the joined event of the same trace with the greatest
//! time; equal times resolve to the event stored later (a later segment, or a later row of a
//! segment — rows are in time order, arrival order among equal times).
//!
//! Every sealed driving segment of a maintained pair has one [`JoinFile`]: per row, the
//! location of that event among the joined component's sealed segments. The files are
//! immutable; the set of them is part of the manifest, so each change is one commit:
//!
//! - a new driving segment (seal, bulk load, compaction or retention output) gets a file
//!   built against every sealed joined segment ([`build()`], through `Files::cover`);
//! - joined segments appended (seal, bulk load) are resolved against the driving segments'
//!   trace lookups, and only the driving segments they touch get a new file (`Files::absorb`);
//! - a joined list that changes otherwise (compaction, retention) rebuilds the pair's files.
//!
//! So a file's list of joined segments is always a prefix of the joined component's current
//! list, and its locations index that list directly. Unsealed events of either side are not
//! in files: the query layer lays them over, through what each tail chunk keeps of its join
//! ([`TailChunk`]: worked out once per chunk, not per query).

mod build;
mod file;
mod tail;

pub use build::{build, TraceTable};
pub(crate) use file::parse_file_name;
pub use file::{JoinFile, Locs};
pub(crate) use tail::{prepare, ChunkCache};
pub use tail::{Match, TailChunk};

use crate::error::Result;
use crate::segment::Segment;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where a joined event is: `part << 32 | row`.
pub type Loc = u64;
/// No joined event.
pub const NO_MATCH: Loc = u64::MAX;

/// The location of row `row` of part `part`.
#[inline]
pub fn loc(part: usize, row: usize) -> Loc {
    (part as u64) << 32 | row as u64
}

/// A location's part and row.
#[inline]
pub fn split(loc: Loc) -> (usize, usize) {
    ((loc >> 32) as usize, (loc & 0xffff_ffff) as usize)
}

/// A maintained pair of components.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pair {
    pub driving: String,
    pub joined: String,
}

/// A pair's join files, by driving segment ID.
#[derive(Clone, Debug, Default)]
pub(crate) struct JoinState {
    pub files: BTreeMap<u64, Arc<JoinFile>>,
}

impl JoinState {
    pub fn size_bytes(&self) -> u64 {
        self.files.values().map(|f| f.size_bytes()).sum()
    }
}

/// What join maintenance has done since the database was opened ([`crate::Db::join_stats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JoinStats {
    pub files_written: u64,
    pub bytes_written: u64,
    /// Events of appended joined segments (labels sealed or bulk-loaded) resolved against
    /// the driving segments.
    pub events_resolved: u64,
}

/// The counters behind [`JoinStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    events: AtomicU64,
}

impl Counters {
    pub fn stats(&self) -> JoinStats {
        JoinStats {
            files_written: self.files.load(Ordering::Relaxed),
            bytes_written: self.bytes.load(Ordering::Relaxed),
            events_resolved: self.events.load(Ordering::Relaxed),
        }
    }
}

/// Where new join files go, how they are named, and what is counted.
pub(crate) struct Files<'a> {
    pub dir: &'a Path,
    /// The database's ID counter (join files and segments share one ID space).
    pub next_id: &'a AtomicU64,
    pub counters: &'a Counters,
}

impl Files<'_> {
    fn write(&self, driving: &Segment, joined: &[Arc<Segment>], locs: &[Loc]) -> Result<Arc<JoinFile>> {
        let ids: Vec<u64> = joined.iter().map(|s| s.id()).collect();
        let most = joined.iter().map(|s| s.rows()).max().unwrap_or(0);
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let file = JoinFile::write(self.dir, id, driving.id(), &ids, most, locs)?;
        self.counters.files.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(file.size_bytes(), Ordering::Relaxed);
        Ok(Arc::new(file))
    }

    /// `state`'s files for the `driving` segments (and no others): kept where they exist,
    /// built against `joined` (in one pass) where they do not.
    pub fn cover(&self, state: &JoinState, driving: &[Arc<Segment>], joined: &[Arc<Segment>]) -> Result<JoinState> {
        let missing: Vec<&Segment> = driving.iter().filter(|s| !state.files.contains_key(&s.id())).map(|s| &**s).collect();
        let mut next = JoinState::default();
        for (segment, locs) in missing.iter().zip(build(&missing, joined)) {
            next.files.insert(segment.id(), self.write(segment, joined, &locs)?);
        }
        for s in driving {
            if let Some(f) = state.files.get(&s.id()) {
                next.files.insert(s.id(), f.clone());
            }
        }
        Ok(next)
    }

    /// `state` after the last `appended` segments of `joined` arrived: each driving row whose
    /// trace has an event there at least as late as its current one points at it now; only
    /// the driving segments with such rows get a new file.
    pub fn absorb(&self, state: &JoinState, driving: &[Arc<Segment>], joined: &[Arc<Segment>], appended: usize) -> Result<JoinState> {
        let first = joined.len() - appended;
        let parts: Vec<crate::scan::Part<'_>> = joined[first..].iter().map(|s| crate::scan::Part::Segment(s)).collect();
        let events = TraceTable::latest(&parts, None);
        self.counters.events.fetch_add(parts.iter().map(|p| p.rows() as u64).sum(), Ordering::Relaxed);
        let mut next = self.cover(state, driving, &joined[..first])?;
        if events.is_empty() {
            return Ok(next);
        }
        let time_of = |l: Loc| {
            let (p, r) = split(l);
            joined[p].times()[r]
        };
        for segment in driving {
            let file = &next.files[&segment.id()];
            let mut locs: Option<Vec<Loc>> = None;
            events.for_each_match(&crate::scan::Part::Segment(segment), |row, new| {
                let (row, new) = (row as usize, new + ((first as u64) << 32));
                let current = locs.as_ref().map_or_else(|| file.locs().get(row), |l| l[row]);
                if current == NO_MATCH || time_of(new) >= time_of(current) {
                    locs.get_or_insert_with(|| file.locs().to_vec())[row] = new;
                }
            });
            if let Some(locs) = locs {
                next.files.insert(segment.id(), self.write(segment, joined, &locs)?);
            }
        }
        Ok(next)
    }
}

/// The latest event of `id` among `segments` with `time <= as_of` (later segments win ties).
pub fn latest_in_segments(segments: &[Arc<Segment>], id: u128, as_of: Option<i64>) -> Loc {
    let mut best: Option<(i64, Loc)> = None;
    for (p, segment) in segments.iter().enumerate() {
        // A trace's rows come in time order: the last one not after `as_of` is its latest.
        let rows = segment.trace_rows(id);
        let times = segment.times();
        if let Some(&row) = rows.iter().rev().find(|&&r| as_of.is_none_or(|t| times[r as usize] <= t)) {
            let time = times[row as usize];
            if best.is_none_or(|(t, _)| time >= t) {
                best = Some((time, loc(p, row as usize)));
            }
        }
    }
    best.map_or(NO_MATCH, |(_, loc)| loc)
}
