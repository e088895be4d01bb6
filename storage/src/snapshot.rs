//! Consistent read views. A snapshot is a pointer to an immutable version of the database
//! state plus the highest LSN it may show; taking one costs a mutex-guarded `Arc` clone, and
//! nothing a reader does blocks ingest.

use crate::join::{JoinFile, JoinState, Pair};
use crate::model::{Schema, TraceId, Value};
use crate::scan::Part;
use crate::segment::Segment;
use crate::tail::Tail;
use std::collections::BTreeMap;
use std::sync::Arc;

/// An immutable state of the whole database.
#[derive(Clone, Debug, Default)]
pub(crate) struct Version {
    pub components: BTreeMap<String, Arc<ComponentState>>,
    /// Dropped component names and the last LSN assigned when each was dropped: replay
    /// skips their older log records (docs/FORMAT.md §Manifest).
    pub dropped: BTreeMap<String, u64>,
    /// The stored joins of every maintained pair (see [`crate::join`]).
    pub joins: BTreeMap<Pair, Arc<JoinState>>,
    /// The stored SLO definitions, by name.
    pub slos: Arc<BTreeMap<String, Slo>>,
}

/// A stored SLO definition (SPEC §4). Storage keeps its text opaque: the query layer parses
/// and judges it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slo {
    pub name: String,
    /// The definition after `CREATE SLO name AS`: the query, `EXPECT` and `WHEN`.
    pub text: String,
    /// When it was created (µs since the Unix epoch, wall clock).
    pub created_us: i64,
}

/// One component's schema, sealed segments and unsealed tail. Cloned on every append, so
/// what grows with the history is shared behind `Arc`s and the tail copies only its newest
/// entries ([`Tail`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct ComponentState {
    pub schema: Schema,
    /// Sealed segments, oldest first.
    pub segments: Arc<[Arc<Segment>]>,
    /// Logged batches not yet in a segment, in LSN order.
    pub tail: Tail,
    pub sealed_lsn: u64,
    /// Hashes of the inputs ingested into this component (see [`crate::BulkLoad::set_content_hash`]).
    pub ingested: Arc<Vec<u128>>,
    /// When the newest append or bulk load of this component arrived (µs since the Unix
    /// epoch, wall clock), if any was recorded (WAL version 3 and manifest version 4 on).
    pub last_append_us: Option<i64>,
}

impl ComponentState {
    /// Notes an append that arrived at `at_us`. The latest wins, so a clock stepped back
    /// never makes a component look staler than it was.
    pub fn arrived(&mut self, at_us: i64) {
        self.last_append_us = Some(self.last_append_us.map_or(at_us, |t| t.max(at_us)));
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

    /// A snapshot of no database: no components, nothing stored (with
    /// [`Snapshot::with_schemas`], something to plan a query against without reading).
    pub fn empty() -> Snapshot {
        Snapshot { version: Arc::default(), visible_lsn: 0 }
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

    /// This snapshot with each named component's schema merged with the one given (the rules
    /// of [`Schema::merge`]: new fields added, `int` widened to `float`), and a component it
    /// lacks present with no rows. For shards of one logical database: each shard holds only
    /// its traces' events, so one may lack a component or a field that another has, and
    /// every shard must plan a query against the same schemas (docs/DISTRIBUTED.md).
    pub fn with_schemas<'s>(&self, schemas: impl IntoIterator<Item = (&'s str, &'s Schema)>) -> crate::Result<Snapshot> {
        let mut version = (*self.version).clone();
        for (name, schema) in schemas {
            let state = Arc::make_mut(version.components.entry(name.to_owned()).or_default());
            state.schema = state.schema.merge(name, schema)?;
        }
        Ok(Snapshot { version: Arc::new(version), visible_lsn: self.visible_lsn })
    }

    /// The stored SLO definitions, by name.
    pub fn slos(&self) -> impl Iterator<Item = &Slo> {
        self.version.slos.values()
    }

    pub fn slo(&self, name: &str) -> Option<&Slo> {
        self.version.slos.get(name)
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

    /// The same unsealed batches as [`ComponentView::tail`], with what joins keep of them.
    pub fn tail_chunks(&self) -> impl Iterator<Item = crate::join::TailChunk<'a>> + 'a {
        let visible = self.visible_lsn;
        self.state.tail.iter().take_while(move |e| e.lsn <= visible).map(|e| crate::join::TailChunk { batch: &e.batch, cache: &e.cache })
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

    /// When the newest append or bulk load of this component arrived (µs since the Unix
    /// epoch, by the writer's wall clock): its freshness, whatever the events' own times say.
    /// `None` when no append was recorded since the database was written by a version that
    /// kept no arrival times.
    pub fn last_append(&self) -> Option<i64> {
        self.state.last_append_us
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
