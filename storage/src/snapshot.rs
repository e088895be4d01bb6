//! Consistent read views. A snapshot is a pointer to an immutable version of the database
//! state plus the highest LSN it may show; taking one costs a mutex-guarded `Arc` clone, and
//! nothing a reader does blocks ingest.

use crate::join::{JoinFile, JoinState, Pair};
use crate::model::{Schema, TraceId, Value};
use crate::scan::Part;
use crate::segment::Segment;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// An immutable state of the whole database.
#[derive(Clone, Debug, Default)]
pub(crate) struct Version {
    pub components: BTreeMap<String, Arc<ComponentState>>,
    /// Dropped component names and the last LSN assigned when each was dropped: replay
    /// skips their older log records (docs/FORMAT.md §Manifest).
    pub dropped: BTreeMap<String, u64>,
    /// The stored joins of every maintained pair (see [`crate::join`]).
    pub joins: BTreeMap<Pair, Arc<JoinState>>,
}

/// One component's schema, sealed segments and unsealed tail.
#[derive(Clone, Debug, Default)]
pub(crate) struct ComponentState {
    pub schema: Schema,
    /// Sealed segments, oldest first.
    pub segments: Vec<Arc<Segment>>,
    /// Logged batches not yet in a segment, in LSN order.
    pub tail: Vec<TailEntry>,
    pub tail_rows: usize,
    pub sealed_lsn: u64,
    /// Hashes of the inputs ingested into this component (see [`crate::BulkLoad::set_content_hash`]).
    pub ingested: Vec<u128>,
}

/// Logged batches of one component, merged into one (see [`ComponentState::push_tail`]).
#[derive(Clone, Debug)]
pub(crate) struct TailEntry {
    /// The LSNs of the batches it holds: all of them lie in `first_lsn..=lsn`.
    pub first_lsn: u64,
    pub lsn: u64,
    pub batch: Arc<crate::model::Batch>,
    /// When its oldest batch arrived.
    pub arrived: Instant,
}

/// Tail entries grow by merging up to this many rows; a batch this large stays as it came.
pub(crate) const TAIL_CHUNK_ROWS: usize = 16_384;

impl ComponentState {
    /// Adds a logged batch to the tail, then merges the newest entries readers may already
    /// see (`lsn <= visible`) and no seal has claimed (`first_lsn > claimed`), binary-counter
    /// style: while the older of the last two holds at most twice the newer's rows and both
    /// fit in [`TAIL_CHUNK_ROWS`]. Small batches so become a few columnar chunks (a query
    /// pays per chunk, not per batch), each row is copied O(log chunk) times, and the list an
    /// append clones stays short. A merge never hides an acknowledged batch (both sides are
    /// visible) and never spans a seal's boundary.
    pub fn push_tail(&mut self, entry: TailEntry, visible: u64, claimed: u64) -> crate::Result<()> {
        self.tail_rows += entry.batch.rows();
        self.tail.push(entry);
        let mut end = self.tail.partition_point(|e| e.lsn <= visible);
        while end >= 2 {
            let (older, newer) = (&self.tail[end - 2], &self.tail[end - 1]);
            let (a, b) = (older.batch.rows(), newer.batch.rows());
            if older.first_lsn <= claimed || a > 2 * b || a + b > TAIL_CHUNK_ROWS {
                break;
            }
            let merged = TailEntry {
                first_lsn: older.first_lsn,
                lsn: newer.lsn,
                batch: Arc::new(crate::model::Batch::concat(&[&older.batch, &newer.batch])?),
                arrived: older.arrived,
            };
            self.tail.splice(end - 2..end, [merged]);
            end -= 1;
        }
        Ok(())
    }
}

/// A consistent, read-only view of the database at one moment.
#[derive(Clone, Debug)]
pub struct Snapshot {
    version: Arc<Version>,
    visible_lsn: u64,
}

/// One event of one trace, as returned by [`Snapshot::trace`].
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub component: String,
    pub trace_id: TraceId,
    pub time_us: i64,
    /// Every field of the component's schema, null where the event has none.
    pub fields: Vec<(String, Value)>,
}

impl Snapshot {
    pub(crate) fn new(version: Arc<Version>, visible_lsn: u64) -> Snapshot {
        Snapshot { version, visible_lsn }
    }

    /// Component names, sorted.
    pub fn component_names(&self) -> impl Iterator<Item = &str> {
        self.version.components.keys().map(String::as_str)
    }

    pub fn component(&self, name: &str) -> Option<ComponentView<'_>> {
        let (name, state) = self.version.components.get_key_value(name)?;
        Some(ComponentView { name, state, visible_lsn: self.visible_lsn })
    }

    pub fn components(&self) -> impl Iterator<Item = ComponentView<'_>> {
        self.version.components.iter().map(|(name, state)| ComponentView { name, state, visible_lsn: self.visible_lsn })
    }

    /// The stored join of `driving` ← `joined`, if that pair is maintained.
    pub fn stored_join(&self, driving: &str, joined: &str) -> Option<StoredJoin<'_>> {
        let pair = Pair { driving: driving.to_owned(), joined: joined.to_owned() };
        self.version.joins.get_key_value(&pair).map(|(pair, state)| StoredJoin { pair, state })
    }

    /// Every maintained pair's stored join, by driving then joined component.
    pub fn stored_joins(&self) -> impl Iterator<Item = StoredJoin<'_>> {
        self.version.joins.iter().map(|(pair, state)| StoredJoin { pair, state })
    }

    /// Every event of one trace in every component, ordered by time (then component name).
    /// Each segment's trace index, and the rest of a segment that holds the trace, are
    /// verified first (see [`crate::segment::Group`]).
    pub fn trace(&self, trace_id: TraceId) -> crate::Result<Vec<Event>> {
        let mut events = Vec::new();
        for component in self.components() {
            let schema = component.schema();
            for part in component.parts() {
                let rows = match part {
                    Part::Segment(s) => {
                        s.verify(crate::segment::Group::Trace)?;
                        let rows = s.trace_rows(trace_id.0);
                        if !rows.is_empty() {
                            s.verify_all()?;
                        }
                        rows
                    }
                    Part::Tail(_) => part.trace_rows(trace_id.0),
                };
                for row in rows {
                    let row = row as usize;
                    let fields = schema
                        .fields()
                        .iter()
                        .map(|(name, _)| (name.clone(), part.field(name).map_or(Value::Null, |f| widen(f.value(row), schema, name))))
                        .collect();
                    events.push(Event { component: component.name().to_owned(), trace_id, time_us: part.times()[row], fields });
                }
            }
        }
        events.sort_by(|a, b| (a.time_us, &a.component).cmp(&(b.time_us, &b.component)));
        Ok(events)
    }
}

/// Values of a part stored before its field widened to float read as floats.
fn widen(value: Value, schema: &Schema, name: &str) -> Value {
    match (value, schema.field_type(name)) {
        (Value::Int(i), Some(crate::FieldType::Float)) => Value::Float(i as f64),
        (v, _) => v,
    }
}

/// One component in a snapshot: the entry point of the scan API.
#[derive(Clone, Copy, Debug)]
pub struct ComponentView<'a> {
    name: &'a str,
    state: &'a ComponentState,
    visible_lsn: u64,
}

impl<'a> ComponentView<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The component's current schema. Parts may store a field with an older (narrower) type.
    pub fn schema(&self) -> &'a Schema {
        &self.state.schema
    }

    pub fn segments(&self) -> &'a [Arc<Segment>] {
        &self.state.segments
    }

    /// Unsealed batches visible to this snapshot, oldest first.
    pub fn tail(&self) -> impl Iterator<Item = &'a crate::model::Batch> + 'a {
        let visible = self.visible_lsn;
        self.state.tail.iter().take_while(move |e| e.lsn <= visible).map(|e| &*e.batch)
    }

    /// Segments first, then the tail.
    pub fn parts(&self) -> impl Iterator<Item = Part<'a>> + 'a {
        self.state.segments.iter().map(|s| Part::Segment(s)).chain(self.tail().map(Part::Tail))
    }

    pub fn rows(&self) -> usize {
        self.parts().map(|p| p.rows()).sum()
    }

    pub fn sealed_rows(&self) -> usize {
        self.state.segments.iter().map(|s| s.rows()).sum()
    }

    pub fn size_bytes(&self) -> u64 {
        self.state.segments.iter().map(|s| s.size_bytes()).sum()
    }

    pub fn time_range(&self) -> Option<(i64, i64)> {
        self.parts().filter_map(|p| p.time_range()).reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
    }
}

/// One maintained pair's stored join in a snapshot: a join file per sealed driving segment.
#[derive(Clone, Copy, Debug)]
pub struct StoredJoin<'a> {
    pair: &'a Pair,
    state: &'a JoinState,
}

impl<'a> StoredJoin<'a> {
    pub fn driving(&self) -> &'a str {
        &self.pair.driving
    }

    pub fn joined(&self) -> &'a str {
        &self.pair.joined
    }

    /// The join file of driving segment `segment_id`.
    pub fn file(&self, segment_id: u64) -> Option<&'a JoinFile> {
        self.state.files.get(&segment_id).map(|f| &**f)
    }

    pub fn files(&self) -> usize {
        self.state.files.len()
    }

    pub fn size_bytes(&self) -> u64 {
        self.state.size_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatchBuilder, Value};

    /// A batch of `rows` rows for LSN `lsn`: trace IDs `lsn << 16 | row`; field `x` an int in
    /// even LSNs and a float in odd ones, tag `t` only in every third.
    fn entry(lsn: u64, rows: usize) -> TailEntry {
        let mut b = BatchBuilder::new();
        for r in 0..rows {
            let x = if lsn.is_multiple_of(2) { Value::Int(r as i64) } else { Value::Float(r as f64 + 0.5) };
            let mut values = vec![("x", x)];
            if lsn.is_multiple_of(3) {
                values.push(("t", Value::Tag(format!("v{}", r % 4))));
            }
            b.push((lsn as u128) << 16 | r as u128, lsn as i64, &values).unwrap();
        }
        TailEntry { first_lsn: lsn, lsn, batch: Arc::new(b.finish().unwrap()), arrived: Instant::now() }
    }

    #[test]
    fn small_batches_merge_into_few_chunks_keeping_every_row_and_value() {
        let mut state = ComponentState::default();
        for lsn in 1..=2000 {
            // The newest batch is not visible yet: it never merges on its own append.
            state.push_tail(entry(lsn, 10), lsn - 1, 0).unwrap();
            assert_eq!(state.tail.last().map(|e| (e.first_lsn, e.lsn)), Some((lsn, lsn)));
        }
        assert!(state.tail.len() <= 12, "{} entries for 20,000 rows", state.tail.len());
        assert_eq!(state.tail_rows, 20_000);
        let mut expected_lsn = 1;
        for e in &state.tail {
            assert_eq!(e.first_lsn, expected_lsn, "entries cover the LSNs in order, without gaps");
            assert!(e.batch.rows() <= TAIL_CHUNK_ROWS);
            for r in 0..e.batch.rows() {
                let (id, lsn) = (e.batch.trace_ids()[r], e.batch.times()[r] as u64);
                assert_eq!(id >> 16, lsn as u128);
                let row = (id & 0xffff) as usize;
                let x = e.batch.field("x").unwrap().value(r);
                // Int and float batches merged: the int values widened, none lost.
                let want = if lsn % 2 == 0 { row as f64 } else { row as f64 + 0.5 };
                assert!(x == Value::Float(want) || x == Value::Int(row as i64), "{x:?}");
                let t = e.batch.field("t").map_or(Value::Null, |c| c.value(r));
                assert_eq!(t, if lsn % 3 == 0 { Value::Tag(format!("v{}", row % 4)) } else { Value::Null });
            }
            expected_lsn = e.lsn + 1;
        }
        assert_eq!(expected_lsn, 2001);
    }

    #[test]
    fn entries_a_seal_has_claimed_never_merge_with_later_ones() {
        let mut state = ComponentState::default();
        for lsn in 1..=40 {
            // A seal takes everything up to LSN 25 once it is there.
            state.push_tail(entry(lsn, 10), lsn, if lsn > 25 { 25 } else { 0 }).unwrap();
        }
        assert!(
            state.tail.iter().all(|e| e.lsn <= 25 || e.first_lsn > 25),
            "{:?}",
            state.tail.iter().map(|e| (e.first_lsn, e.lsn)).collect::<Vec<_>>()
        );
        assert!(state.tail.len() < 20, "merging still happens on both sides");
    }
}
