//! The join on trace ID with the latest-event rule: for each driving row, where the latest
//! event of its trace in a joined component is (equal times resolve to the event stored
//! later: a later part, or a later row of a part).
//!
//! Two strategies give the same locations:
//!
//! - **Stored** (the default). Each sealed driving segment's locations are read from its join
//!   file, maintained by storage (`seamdb_storage::join`) once the pair is stored; where a
//!   segment has none (a pair not yet stored), they are built for this query with the same
//!   builder. Events still in the joined component's unsealed tail are laid over per query;
//!   driving rows still in the tail are looked up in the joined segments' trace lookups. Under
//!   `AS OF`, rows whose stored event is later than `AS OF` fall back to a lookup of their
//!   latest event up to then — those rows only.
//! - **Hash**: a table of the joined component's latest event per trace (up to `AS OF`),
//!   built per query — the plain strategy, measured against the stored one in
//!   `docs/BENCHMARKS.md`.
//!
//! Both tables are storage's [`TraceTable`]; the row-at-a-time reference executor keeps its
//! own `HashMap` ([`latest_events`]), so the tests compare independent implementations.

use super::vector::{split, Loc, Sel, NO_MATCH};
use seamdb_storage::join::{build, latest_in_segments, loc, Locs, TraceTable};
use seamdb_storage::segment::Segment;
use seamdb_storage::{ComponentView, FieldView, Part, StoredJoin};
use std::collections::HashMap;
use std::sync::Arc;

/// How joined events are found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JoinStrategy {
    #[default]
    Stored,
    Hash,
}

/// Where a trace's latest event in a joined component is.
#[derive(Clone, Copy)]
pub(super) struct Latest {
    pub time: i64,
    pub part: u32,
    pub row: u32,
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

/// A driving part's replaced locations, by row. Hashed by one multiplication: the keys are
/// row numbers (no adversary chooses them), and an overlay can hold a location for every
/// label still unsealed, probed once per selected driving row, so SipHash would cost more
/// than the rest of the lookup.
type Overlay = HashMap<u32, Loc, std::hash::BuildHasherDefault<RowHasher>>;

#[derive(Default)]
struct RowHasher(u64);

impl std::hash::Hasher for RowHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, row: u32) {
        self.0 = u64::from(row).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// One joined component, ready to answer "where is this driving row's event".
pub(super) struct Join<'a> {
    pub name: &'a str,
    pub parts: Vec<Part<'a>>,
    /// Per driving part (in `parts()` order).
    per_part: Vec<PartMatches<'a>>,
    hash: Option<TraceTable>,
    /// Every field of the joined component in each joined part, looked up by name once per
    /// query (not once per driving chunk: the joined tail can be many parts).
    fields: Vec<(&'a str, Vec<Option<FieldView<'a>>>)>,
}

enum PartMatches<'a> {
    /// Locations per row (read from a join file, or computed for this query), with some
    /// rows' locations replaced: by later tail events, or by `AS OF` fallbacks.
    Base { base: Base<'a>, overlay: Overlay },
    /// Probe the per-query hash.
    Hash,
}

/// A driving part's locations before overlays.
enum Base<'a> {
    /// Read from a join file (the mapped file, as stored).
    Stored(Locs<'a>),
    /// Kept with a driving tail chunk ([`TailChunk::latest_in`]).
    Shared(Arc<Vec<Loc>>),
    /// Computed for this query.
    Owned(Vec<Loc>),
}

impl Base<'_> {
    fn len(&self) -> usize {
        match self {
            Base::Stored(l) => l.len(),
            Base::Shared(v) => v.len(),
            Base::Owned(v) => v.len(),
        }
    }

    #[inline]
    fn get(&self, row: usize) -> Loc {
        match self {
            Base::Stored(l) => l.get(row),
            Base::Shared(v) => v[row],
            Base::Owned(v) => v[row],
        }
    }

    /// Appends each selected row's location to `out`.
    fn extend(&self, rows: &Sel<'_>, out: &mut Vec<Loc>) {
        match (self, rows) {
            (Base::Owned(v), rows) => rows.extend_from(v, out),
            (Base::Shared(v), rows) => rows.extend_from(v, out),
            (Base::Stored(l), Sel::Range(r)) => l.extend_range(r.start as usize..r.end as usize, out),
            (Base::Stored(l), Sel::List(rows)) => out.extend(rows.iter().map(|&r| l.get(r as usize))),
        }
    }

    /// Points `row` at `l` if that event is at least as late as its current one (later
    /// stored wins ties: callers lay events over in storage order). Computed locations are
    /// replaced in place (and any `AS OF` fallback with them); others get an overlay.
    fn lay_over(&mut self, overlay: &mut Overlay, row: u32, l: Loc, time_of: &dyn Fn(Loc) -> i64) {
        let current = overlay.get(&row).copied().unwrap_or_else(|| self.get(row as usize));
        if current == NO_MATCH || time_of(l) >= time_of(current) {
            match self {
                Base::Owned(locs) => {
                    locs[row as usize] = l;
                    overlay.remove(&row);
                }
                Base::Stored(_) | Base::Shared(_) => drop(overlay.insert(row, l)),
            }
        }
    }
}

/// The locations of a sealed driving segment read from its join file, if it has one that
/// points into (a prefix of) the joined segments `ids`.
fn stored<'a>(stored: Option<StoredJoin<'a>>, segment: &Segment, ids: &[u64]) -> Option<Locs<'a>> {
    let file = stored?.file(segment.id())?;
    ids.starts_with(file.joined()).then(|| file.locs())
}

/// How many sealed driving segments read their locations from a join file.
pub(super) fn stored_segments(driving: &ComponentView<'_>, joined: &ComponentView<'_>, join: Option<StoredJoin<'_>>) -> usize {
    let ids: Vec<u64> = joined.segments().iter().map(|s| s.id()).collect();
    driving.segments().iter().filter(|s| stored(join, s, &ids).is_some()).count()
}

impl<'a> Join<'a> {
    pub fn new(
        driving: &ComponentView<'a>,
        joined: &ComponentView<'a>,
        join: Option<StoredJoin<'a>>,
        strategy: JoinStrategy,
        as_of: Option<i64>,
    ) -> Join<'a> {
        let name = joined.name();
        let parts: Vec<Part<'a>> = joined.parts().collect();
        let fields = joined.schema().fields().iter().map(|(f, _)| (f.as_str(), parts.iter().map(|p| p.field(f)).collect())).collect();
        if strategy == JoinStrategy::Hash {
            let hash = TraceTable::latest(&parts, as_of);
            let per_part = driving.parts().map(|_| PartMatches::Hash).collect();
            return Join { name, parts, per_part, hash: Some(hash), fields };
        }
        let segments = joined.segments();
        let ids: Vec<u64> = segments.iter().map(|s| s.id()).collect();
        // Sealed driving segments: read, or (all missing ones in one pass) built.
        let read: Vec<Option<Locs<'a>>> = driving.segments().iter().map(|s| stored(join, s, &ids)).collect();
        let missing: Vec<&Segment> = driving.segments().iter().zip(&read).filter(|(_, r)| r.is_none()).map(|(s, _)| &**s).collect();
        let mut built = build(&missing, segments).into_iter();
        let mut bases: Vec<Base<'a>> = read
            .into_iter()
            .map(|r| r.map_or_else(|| Base::Owned(built.next().expect("one build per missing segment")), Base::Stored))
            .collect();
        // Driving rows still in the tail: their chunks keep their latest sealed joined events.
        bases.extend(driving.tail_chunks().map(|chunk| Base::Shared(chunk.latest_in(name, segments))));
        let time_of = |loc: Loc| {
            let (p, r) = split(loc);
            parts[p].times()[r]
        };
        let mut overlays: Vec<Overlay> = vec![Overlay::default(); bases.len()];
        if let Some(as_of) = as_of {
            as_of_fallback(&bases, &mut overlays, driving, segments, &time_of, as_of);
        }
        // The joined tail laid over where its events are later. Against sealed driving rows
        // through what each joined chunk keeps of its matches, when AS OF leaves the chunks
        // whole; against the driving tail (and otherwise) through one flat table of the
        // joined tail's latest events up to AS OF (its locations count tail parts from 0).
        let tail_parts = &parts[segments.len()..];
        let sealed = driving.segments().len();
        let whole = as_of.is_none_or(|t| tail_parts.iter().filter_map(|p| p.time_range()).all(|(_, max)| max <= t));
        if whole {
            for (t, chunk) in joined.tail_chunks().enumerate() {
                for m in chunk.matches_in(driving.name(), driving.segments()).iter() {
                    let (base, overlay) = (&mut bases[m.segment as usize], &mut overlays[m.segment as usize]);
                    base.lay_over(overlay, m.row, loc(segments.len() + t, m.chunk_row as usize), &time_of);
                }
            }
        }
        let tail = match whole && driving.tail().next().is_none() {
            true => TraceTable::latest(&[], None),
            false => TraceTable::latest(tail_parts, as_of),
        };
        if !tail.is_empty() {
            let skip = if whole { sealed } else { 0 };
            for ((part, base), overlay) in driving.parts().zip(&mut bases).zip(&mut overlays).skip(skip) {
                tail.for_each_match(&part, |row, l| base.lay_over(overlay, row, l + ((segments.len() as u64) << 32), &time_of));
            }
        }
        let per_part = bases.into_iter().zip(overlays).map(|(base, overlay)| PartMatches::Base { base, overlay }).collect();
        Join { name, parts, per_part, hash: None, fields }
    }

    /// `field` in each joined part (all `None` for a field the component does not have).
    pub fn field(&self, field: &str) -> std::borrow::Cow<'_, [Option<FieldView<'a>>]> {
        match self.fields.iter().find(|(name, _)| *name == field) {
            Some((_, views)) => std::borrow::Cow::Borrowed(views),
            None => std::borrow::Cow::Owned(vec![None; self.parts.len()]),
        }
    }

    /// Appends the location of each selected row's match in driving part `d`.
    pub fn locate(&self, d: usize, part: &Part<'_>, rows: &Sel<'_>, out: &mut Vec<Loc>) {
        out.clear();
        match &self.per_part[d] {
            PartMatches::Base { base, overlay } => {
                base.extend(rows, out);
                if !overlay.is_empty() {
                    rows.for_each_indexed(|i, r| {
                        if let Some(&loc) = overlay.get(&(r as u32)) {
                            out[i] = loc;
                        }
                    })
                }
            }
            PartMatches::Hash => {
                let (ids, hash) = (part.trace_ids(), self.hash.as_ref().expect("hash strategy"));
                rows.for_each_indexed(|_, r| out.push(hash.get(ids[r])));
            }
        }
    }
}

/// Under `AS OF`, a row whose latest sealed event is later than `as_of` gets, in its part's
/// overlay, its latest sealed event up to `as_of` instead: looked up per row through the
/// joined segments' trace lookups when such rows are few, from one table of every sealed
/// event up to `as_of` when they are many.
fn as_of_fallback(
    bases: &[Base<'_>],
    overlays: &mut [Overlay],
    driving: &ComponentView<'_>,
    segments: &[std::sync::Arc<Segment>],
    time_of: &dyn Fn(Loc) -> i64,
    as_of: i64,
) {
    let late: Vec<Vec<u32>> = bases
        .iter()
        .map(|base| (0..base.len() as u32).filter(|&r| base.get(r as usize) != NO_MATCH && time_of(base.get(r as usize)) > as_of).collect())
        .collect();
    let count: usize = late.iter().map(Vec::len).sum();
    if count == 0 {
        return;
    }
    let sealed_events: usize = segments.iter().map(|s| s.rows()).sum();
    let table = (count.saturating_mul(24) >= sealed_events).then(|| {
        let parts: Vec<Part<'_>> = segments.iter().map(|s| Part::Segment(s)).collect();
        TraceTable::latest(&parts, Some(as_of))
    });
    for ((part, rows), overlay) in driving.parts().zip(late).zip(overlays) {
        let ids = part.trace_ids();
        for row in rows {
            let id = ids[row as usize];
            let loc = table.as_ref().map_or_else(|| latest_in_segments(segments, id, Some(as_of)), |t| t.get(id));
            overlay.insert(row, loc);
        }
    }
}
