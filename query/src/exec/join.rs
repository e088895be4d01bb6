//! The join on trace ID with the latest-event rule: for each driving row, where the latest
//! event of its trace in a joined component is (equal times resolve to the event stored
//! later: a later part, or a later row of a part).
//!
//! Two strategies give the same locations:
//!
//! - **Join index** (the default). Each sealed driving segment keeps, per joined component,
//!   one location per row (`part << 32 | row`) into that component's sealed segments, built
//!   at first use and kept with the segment (`Segment::derived`) until the joined
//!   component's segment list changes (a seal of late events, compaction), when the next
//!   query rebuilds it. Joined fields a query reads are attached beside it the same way (the
//!   field's value per driving row), so later queries read them in driving order instead of
//!   gathering from the joined segments. Events still in the joined component's unsealed tail
//!   are laid over the index per query; driving rows still in the tail are looked up in the
//!   joined segments' trace lookups.
//! - **Hash**: a table of the joined component's latest event per trace, built per query —
//!   the plain strategy, measured against the index in `docs/BENCHMARKS.md`, and used for
//!   `AS OF` (an index of latest events knows nothing of earlier ones).
//!
//! Both build through [`TraceTable`], a flat open-addressing table; the row-at-a-time
//! reference executor keeps its own `HashMap` ([`latest_events`]), so the tests compare two
//! independent implementations.

use super::vector::{loc, split, Column, Loc, Sel, NO_MATCH};
use seamdb_storage::segment::Segment;
use seamdb_storage::{ComponentView, Part};
use std::collections::HashMap;
use std::sync::Arc;

/// How joined events are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JoinStrategy {
    #[default]
    Index,
    Hash,
}

/// Where a trace's latest event in a joined component is.
#[derive(Clone, Copy)]
pub(super) struct Latest {
    pub time: i64,
    pub part: u32,
    pub row: u32,
}

impl Latest {
    fn loc(self) -> Loc {
        loc(self.part as usize, self.row as usize)
    }
}

/// The joined component's parts and, per trace, its latest event with `time <= as_of`.
pub(super) fn latest_events<'a>(component: &ComponentView<'a>, as_of: Option<i64>) -> (Vec<Part<'a>>, HashMap<u128, Latest>) {
    let parts: Vec<Part<'a>> = component.parts().collect();
    let mut latest: HashMap<u128, Latest> = HashMap::new();
    for (p, part) in parts.iter().enumerate() {
        add_latest(&mut latest, part, p, as_of);
    }
    (parts, latest)
}

fn add_latest(latest: &mut HashMap<u128, Latest>, part: &Part<'_>, p: usize, as_of: Option<i64>) {
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

/// One joined component, ready to answer "where is this driving row's event".
pub(super) struct Join<'a> {
    pub name: &'a str,
    pub parts: Vec<Part<'a>>,
    /// Per driving part (in `parts()` order).
    per_part: Vec<PartMatches<'a>>,
    hash: Option<TraceTable>,
}

enum PartMatches<'a> {
    /// A sealed driving segment's join index, with the joined tail's later events on top.
    Index { segment: &'a Segment, base: Arc<JoinIndex>, overlay: HashMap<u32, Loc> },
    /// Computed for this query (driving rows in the tail).
    Owned(Vec<Loc>),
    /// Probe the per-query hash.
    Hash,
}

/// A sealed driving segment's join index into one joined component.
pub(super) struct JoinIndex {
    /// The joined component's sealed segments it points into, by ID, in order.
    joined: Vec<u64>,
    locs: Vec<Loc>,
}

impl<'a> Join<'a> {
    pub fn new(driving: &ComponentView<'a>, joined: &ComponentView<'a>, strategy: JoinStrategy, as_of: Option<i64>) -> Join<'a> {
        let name = joined.name();
        let parts: Vec<Part<'a>> = joined.parts().collect();
        if strategy == JoinStrategy::Hash || as_of.is_some() {
            let hash = TraceTable::latest(&parts, as_of);
            let per_part = driving.parts().map(|_| PartMatches::Hash).collect();
            return Join { name, parts, per_part, hash: Some(hash) };
        }
        let segments = joined.segments();
        let bases = indexes(driving, joined);
        // The joined tail's latest events, laid over the index where they are later.
        let mut tail = HashMap::new();
        for (p, part) in parts.iter().enumerate().skip(segments.len()) {
            add_latest(&mut tail, part, p, None);
        }
        let time_of = |loc: Loc| {
            let (p, r) = split(loc);
            parts[p].times()[r]
        };
        let later = |current: Loc, l: &Latest| current == NO_MATCH || l.time >= time_of(current);
        let mut per_part = Vec::new();
        for (d, part) in driving.parts().enumerate() {
            per_part.push(match (part, bases.get(d)) {
                (Part::Segment(segment), Some(base)) => {
                    let mut overlay = HashMap::new();
                    let mut consider = |row: u32, l: &Latest| {
                        if later(base.locs[row as usize], l) {
                            overlay.insert(row, l.loc());
                        }
                    };
                    // Few tail traces: find them in the segment; many: probe every row.
                    if tail.len().saturating_mul(24) < segment.rows() {
                        for (&id, l) in &tail {
                            segment.trace_rows(id).into_iter().for_each(|row| consider(row, l));
                        }
                    } else if !tail.is_empty() {
                        for (row, id) in segment.trace_ids().iter().enumerate() {
                            if let Some(l) = tail.get(id) {
                                consider(row as u32, l);
                            }
                        }
                    }
                    PartMatches::Index { segment, base: base.clone(), overlay }
                }
                _ => PartMatches::Owned(
                    part.trace_ids()
                        .iter()
                        .map(|&id| {
                            let sealed = latest_in_segments(segments, id);
                            match tail.get(&id) {
                                Some(l) if later(sealed, l) => l.loc(),
                                _ => sealed,
                            }
                        })
                        .collect(),
                ),
            });
        }
        Join { name, parts, per_part, hash: None }
    }

    /// Appends the location of each selected row's match in driving part `d`.
    pub fn locate(&self, d: usize, part: &Part<'_>, rows: &Sel<'_>, out: &mut Vec<Loc>) {
        out.clear();
        match &self.per_part[d] {
            PartMatches::Index { base, overlay, .. } if overlay.is_empty() => rows.extend_from(&base.locs, out),
            PartMatches::Index { base, overlay, .. } => {
                rows.extend_from(&base.locs, out);
                rows.for_each_indexed(|i, r| {
                    if let Some(&loc) = overlay.get(&(r as u32)) {
                        out[i] = loc;
                    }
                })
            }
            PartMatches::Owned(locs) => rows.extend_from(locs, out),
            PartMatches::Hash => {
                let (ids, hash) = (part.trace_ids(), self.hash.as_ref().expect("hash strategy"));
                rows.for_each_indexed(|_, r| out.push(hash.get(ids[r])));
            }
        }
    }
}

impl Join<'_> {
    /// Joined `field` at every row of sealed driving part `d`, kept with the segment beside
    /// its join index: later queries read it in driving order, as if it were a driving
    /// column, instead of gathering from the joined segments. Only where no tail event
    /// overrides the index for this part, and for fields every joined segment stores with
    /// one numeric or bool type (`None` otherwise).
    pub fn attached(&self, d: usize, field: &str) -> Option<Arc<Attached>> {
        let PartMatches::Index { segment, base, overlay } = &self.per_part[d] else { return None };
        if !overlay.is_empty() {
            return None;
        }
        let key = format!("join:{}:{field}", self.name);
        if let Some(cached) = segment.derived::<Attached>(&key).filter(|a| a.joined == base.joined) {
            return Some(cached);
        }
        let column = super::vector::joined_column(&self.parts, &base.locs, field).into_static();
        let attached = Arc::new(Attached { joined: base.joined.clone(), column });
        segment.set_derived(&key, attached.clone());
        Some(attached)
    }
}

/// A joined field's values at each row of a driving segment (see [`Join::attached`]).
pub(super) struct Attached {
    joined: Vec<u64>,
    /// `None` where the field cannot be attached (a tag, or mixed types).
    pub column: Option<Column<'static>>,
}

/// The latest event of `id` in sealed segments (later segments win ties).
fn latest_in_segments(segments: &[Arc<Segment>], id: u128) -> Loc {
    let mut best: Option<(i64, Loc)> = None;
    for (p, segment) in segments.iter().enumerate() {
        // A trace's rows come in time order; the last is its latest here.
        if let Some(&row) = segment.trace_rows(id).last() {
            let time = segment.times()[row as usize];
            if best.is_none_or(|(t, _)| time >= t) {
                best = Some((time, loc(p, row as usize)));
            }
        }
    }
    best.map_or(NO_MATCH, |(_, loc)| loc)
}

/// Whether `driving` holds a join index into `joined`'s current segments.
pub(super) fn has_current_index(driving: &Segment, joined: &ComponentView<'_>) -> bool {
    current_index(driving, joined, &segment_ids(joined)).is_some()
}

/// The IDs of a component's sealed segments, in order: what a join index points into.
fn segment_ids(component: &ComponentView<'_>) -> Vec<u64> {
    component.segments().iter().map(|s| s.id()).collect()
}

/// Where a driving segment keeps its join index into `joined`.
fn index_key(joined: &ComponentView<'_>) -> String {
    format!("join:{}", joined.name())
}

/// `driving`'s join index into `joined`, if it points into exactly the segments `ids`.
fn current_index(driving: &Segment, joined: &ComponentView<'_>, ids: &[u64]) -> Option<Arc<JoinIndex>> {
    driving.derived::<JoinIndex>(&index_key(joined)).filter(|ix| ix.joined == ids)
}

/// The join index of every sealed driving segment into `joined`'s sealed segments: the
/// cached one where it is current, built (all missing ones in one pass) where not.
fn indexes(driving: &ComponentView<'_>, joined: &ComponentView<'_>) -> Vec<Arc<JoinIndex>> {
    let (key, ids) = (index_key(joined), segment_ids(joined));
    let cached: Vec<Option<Arc<JoinIndex>>> = driving.segments().iter().map(|s| current_index(s, joined, &ids)).collect();
    let missing: Vec<&Segment> = driving.segments().iter().zip(&cached).filter(|(_, c)| c.is_none()).map(|(s, _)| &**s).collect();
    let mut built = build(&missing, joined.segments()).into_iter();
    driving
        .segments()
        .iter()
        .zip(cached)
        .map(|(segment, cached)| {
            cached.unwrap_or_else(|| {
                let index = Arc::new(JoinIndex { joined: ids.clone(), locs: built.next().expect("one index per missing segment") });
                segment.set_derived(&key, index.clone());
                index
            })
        })
        .collect()
}

/// Builds join indexes of `driving` segments into `joined` segments, as a radix-partitioned
/// hash join: the joined segments' events and the driving rows are scattered into 256
/// buckets by hash, and each bucket's events go into a table small enough to stay in the
/// core's cache, which that bucket's driving rows probe (one big table would cost a cache
/// and TLB miss per row). To bound the memory this takes, the ID space is first split by
/// hash into rounds of at most `ROUND_BYTES` of scattered entries, each reading all IDs.
fn build(driving: &[&Segment], joined: &[Arc<Segment>]) -> Vec<Vec<Loc>> {
    let mut out: Vec<Vec<Loc>> = driving.iter().map(|d| vec![NO_MATCH; d.rows()]).collect();
    if driving.is_empty() || joined.is_empty() {
        return out;
    }
    let events: usize = joined.iter().map(|s| s.rows()).sum();
    let rows: usize = driving.iter().map(|s| s.rows()).sum();
    let bytes = events * std::mem::size_of::<Slot>() + rows * std::mem::size_of::<Probe>();
    let round_bits = bytes.div_ceil(ROUND_BYTES).next_power_of_two().trailing_zeros().min(8);
    let bucket_of = |h: u64| ((h << round_bits) >> 56) as usize;
    let round_of = |h: u64| if round_bits == 0 { 0 } else { h >> (64 - round_bits) };
    let mut slots: Vec<Vec<Slot>> = vec![Vec::new(); 256];
    let mut probes: Vec<Vec<Probe>> = vec![Vec::new(); 256];
    let mut table = TraceTable::with_capacity(0, round_bits + 8);
    // Room for a bucket's expected share and some, so that pushes rarely reallocate.
    let share = |n: usize| (n >> round_bits) / 256 * 9 / 8 + 16;
    for round in 0..1u64 << round_bits {
        // The two sides scatter on two threads.
        std::thread::scope(|s| {
            s.spawn(|| {
                slots.iter_mut().for_each(|b| {
                    b.clear();
                    b.reserve(share(events))
                });
                for (p, segment) in joined.iter().enumerate() {
                    for (r, (&id, &time)) in segment.trace_ids().iter().zip(segment.times()).enumerate() {
                        let h = hash(id);
                        if round_of(h) == round {
                            slots[bucket_of(h)].push(Slot { id, loc: loc(p, r), time });
                        }
                    }
                }
            });
            probes.iter_mut().for_each(|b| {
                b.clear();
                b.reserve(share(rows))
            });
            for (d, segment) in driving.iter().enumerate() {
                for (r, &id) in segment.trace_ids().iter().enumerate() {
                    let h = hash(id);
                    if round_of(h) == round {
                        probes[bucket_of(h)].push(Probe { id, segment: d as u32, row: r as u32 });
                    }
                }
            }
        });
        for (events, probes) in slots.iter().zip(&probes) {
            // Events were scattered in storage order, so later-stored events win ties.
            table.reset(events.len());
            events.iter().for_each(|&e| table.insert(e));
            for p in probes {
                out[p.segment as usize][p.row as usize] = table.get(p.id);
            }
        }
    }
    out
}

/// A driving row waiting for its match during a build.
#[derive(Clone, Copy)]
struct Probe {
    id: u128,
    segment: u32,
    row: u32,
}

/// Scattered entries one round of a build may hold. Debug builds — the test suite — use
/// tiny rounds, so that the tests' small databases take the many-round path too.
const ROUND_BYTES: usize = if cfg!(debug_assertions) { 4 << 10 } else { 512 << 20 };

#[inline]
fn hash(id: u128) -> u64 {
    let folded = (id as u64) ^ ((id >> 64) as u64).rotate_left(29);
    folded.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// An open-addressing hash table from trace ID to the location of its latest event: flat,
/// 32 bytes a slot at most half full, hashed by multiplying the ID's folded halves.
pub(super) struct TraceTable {
    slots: Vec<Slot>,
    /// Top hash bits shared by every ID in the table (a build's round and bucket), skipped
    /// when picking a slot; and the slot shift.
    skip_bits: u32,
    shift: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    id: u128,
    loc: Loc,
    time: i64,
}

impl TraceTable {
    /// The latest event per trace in `parts` with `time <= as_of` (ties: stored later).
    pub fn latest(parts: &[Part<'_>], as_of: Option<i64>) -> TraceTable {
        let mut table = TraceTable::with_capacity(parts.iter().map(|p| p.rows()).sum(), 0);
        for (p, part) in parts.iter().enumerate() {
            for (r, (&id, &time)) in part.trace_ids().iter().zip(part.times()).enumerate() {
                if as_of.is_none_or(|t| time <= t) {
                    table.insert(Slot { id, loc: loc(p, r), time });
                }
            }
        }
        table
    }

    /// An empty table for `rows` events at most half full, for IDs whose hashes share their
    /// top `skip_bits` bits.
    fn with_capacity(rows: usize, skip_bits: u32) -> TraceTable {
        let mut table = TraceTable { slots: Vec::new(), skip_bits, shift: 64 };
        table.reset(rows);
        table
    }

    /// Empties the table and sizes it for `rows` events, reusing its memory.
    fn reset(&mut self, rows: usize) {
        let bits = (rows.max(1) * 2).next_power_of_two().trailing_zeros().max(4);
        self.slots.clear();
        self.slots.resize(1 << bits, Slot { id: 0, loc: NO_MATCH, time: 0 });
        self.shift = 64 - bits;
    }

    #[inline]
    fn home(&self, id: u128) -> usize {
        ((hash(id) << self.skip_bits) >> self.shift) as usize
    }

    fn insert(&mut self, new: Slot) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(new.id);
        loop {
            let slot = &mut self.slots[i];
            if slot.loc == NO_MATCH {
                *slot = new;
                return;
            }
            if slot.id == new.id {
                if new.time >= slot.time {
                    *slot = new;
                }
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Where `id`'s latest event is, or [`NO_MATCH`].
    #[inline]
    pub fn get(&self, id: u128) -> Loc {
        let mask = self.slots.len() - 1;
        let mut i = self.home(id);
        loop {
            let slot = &self.slots[i];
            if slot.loc == NO_MATCH || slot.id == id {
                return slot.loc;
            }
            i = (i + 1) & mask;
        }
    }
}
