//! Building stored joins from scratch, and the hash table every join strategy shares.

use super::{loc, Loc, NO_MATCH};
use crate::scan::Part;
use crate::segment::Segment;
use std::sync::Arc;

/// The latest joined event of every row of the `driving` segments among the `joined`
/// segments (locations index `joined`), as a radix-partitioned
/// hash join: the joined segments' events and the driving rows are scattered into 256
/// buckets by hash, and each bucket's events go into a table small enough to stay in the
/// core's cache, which that bucket's driving rows probe (one big table would cost a cache
/// and TLB miss per row). To bound the memory this takes, the ID space is first split by
/// hash into rounds of at most `ROUND_BYTES` of scattered entries, each reading all IDs.
pub fn build(driving: &[&Segment], joined: &[Arc<Segment>]) -> Vec<Vec<Loc>> {
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
#[derive(Debug)]
pub struct TraceTable {
    slots: Vec<Slot>,
    /// Top hash bits shared by every ID in the table (a build's round and bucket), skipped
    /// when picking a slot; and the slot shift.
    skip_bits: u32,
    shift: u32,
    /// Traces in the table.
    len: usize,
}

#[derive(Clone, Copy, Debug)]
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
        let mut table = TraceTable { slots: Vec::new(), skip_bits, shift: 64, len: 0 };
        table.reset(rows);
        table
    }

    /// Empties the table and sizes it for `rows` events, reusing its memory.
    fn reset(&mut self, rows: usize) {
        let bits = (rows.max(1) * 2).next_power_of_two().trailing_zeros().max(4);
        self.slots.clear();
        self.slots.resize(1 << bits, Slot { id: 0, loc: NO_MATCH, time: 0 });
        self.shift = 64 - bits;
        self.len = 0;
    }

    /// Traces in the table.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `f(row, location)` for every row of `part` whose trace is in the table. Few
    /// traces against a large segment: each is found through the segment's trace lookup (a
    /// Bloom probe, most of them negative); otherwise every row of the part probes the table.
    pub fn for_each_match(&self, part: &Part<'_>, mut f: impl FnMut(u32, Loc)) {
        match part {
            Part::Segment(segment) if self.len.saturating_mul(4) < segment.rows() => {
                for slot in self.slots.iter().filter(|s| s.loc != NO_MATCH) {
                    segment.trace_rows(slot.id).into_iter().for_each(|row| f(row, slot.loc));
                }
            }
            _ => {
                for (row, &id) in part.trace_ids().iter().enumerate() {
                    let loc = self.get(id);
                    if loc != NO_MATCH {
                        f(row as u32, loc);
                    }
                }
            }
        }
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
                self.len += 1;
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
