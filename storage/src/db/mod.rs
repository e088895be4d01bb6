//! The database: opening and recovery, appends through the WAL, snapshots, and the
//! background work that seals the tail into segments.
//!
//! Locks, in the order they may be taken: `maintenance` (one seal, compaction or retention
//! at a time) → `writer` (schema changes, WAL appends, manifest writes) → `current` (the
//! published version, held only for a pointer swap or clone).

mod background;
mod bulk;
mod maintain;
mod open;
mod read_only;
#[cfg(test)]
mod read_only_tests;

pub use bulk::BulkLoad;
pub use open::RecoveryReport;
pub(crate) use open::{join_files, lock, open_join, segment_files, SEGMENT_DIR, WAL_DIR};
pub(crate) use read_only::{retried, Attempt};

use crate::error::{Error, Result};
use crate::manifest::{ComponentEntry, Manifest, PairEntry};
use crate::model::{valid_component_name, Batch, Schema};
use crate::options::{Durability, Options};
use crate::segment::SegmentBuilder;
use crate::snapshot::{Slo, Snapshot, Version};
use crate::tail::TailEntry;
use crate::wal::{encode_batch, Wal};
use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// An open SeamDB database directory. Cheap to clone; all clones share one state.
#[derive(Clone, Debug)]
pub struct Db {
    inner: Arc<Inner>,
    _background: Option<Arc<background::Handle>>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    dir: PathBuf,
    segment_dir: PathBuf,
    options: Options,
    log: Log,
    writer: Mutex<()>,
    /// Held by whoever seals, compacts or applies retention; guards the reusable builder.
    maintenance: Mutex<SegmentBuilder>,
    current: Mutex<Arc<Version>>,
    next_segment_id: AtomicU64,
    /// The highest LSN a seal has taken from a tail: entries at or below it must not merge
    /// with later ones (see [`crate::tail::Tail::push`]).
    sealing: AtomicU64,
    join_counters: crate::join::Counters,
    recovery: RecoveryReport,
    signal: Arc<background::Signal>,
}

/// Whether this handle writes the database: the one thing a read-only `Inner` lacks.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // one per open database, and the big one is the hot one
enum Log {
    /// The one writer: its log, and the exclusive lock on `DB/LOCK` that keeps it the only one.
    Writer { wal: Wal, _lock: std::fs::File },
    /// Opened read-only: a static view of the database as it was when opened, the log read up
    /// to the record with `last_lsn` (docs/ARCHITECTURE.md §Readers in other processes).
    Reader { last_lsn: u64 },
}

impl Db {
    /// Opens (creating if missing) the database in `dir` with default options.
    pub fn open(dir: impl AsRef<Path>) -> Result<Db> {
        Db::open_with(dir, Options::default())
    }

    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Db> {
        let inner = Arc::new(open::open(dir.as_ref(), options)?);
        // A seal retires the log files it emptied (`Wal::remove_before`); one left by a crash
        // between a seal and that, or by an older version, is retired now, not at the next
        // seal: until then every open, a reader's in another process too, would read it through.
        inner.remove_sealed_wal()?;
        let background = background::start(&inner);
        Ok(Db { inner, _background: background.map(Arc::new) })
    }

    /// Opens the existing database in `dir` for reading only, beside the process that may
    /// have it open for writing (a `seam serve`, an embedded writer): a static snapshot of
    /// everything whole in its log and segments when this was called — at least everything
    /// acknowledged before — that never changes a byte or a file name in `dir`. Reopen to
    /// see more. Every change returns [`Error::ReadOnly`]. Fails with [`Error::Changing`]
    /// if a writer kept changing the database while it was read, several times in a row.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Db> {
        Ok(Db { inner: Arc::new(read_only::open_read_only(dir.as_ref())?), _background: None })
    }

    /// Whether this handle was opened with [`Db::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        matches!(self.inner.log, Log::Reader { .. })
    }

    /// The database, if this handle may change it: where every change starts.
    fn writable(&self) -> Result<&Inner> {
        self.inner.wal().map(|_| &*self.inner)
    }

    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    pub fn options(&self) -> &Options {
        &self.inner.options
    }

    /// What recovery found when this database was opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.inner.recovery
    }

    /// A consistent view of everything acknowledged so far.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.snapshot()
    }

    /// Appends a batch of events to `component` (created on first write). When this returns
    /// `Ok`, the batch is durable under the configured [`Durability`] and visible to new
    /// snapshots. On `Err` nothing of the batch is stored.
    pub fn append(&self, component: &str, batch: Batch) -> Result<()> {
        self.writable()?.append(component, batch)
    }

    /// Declares a component and its fields before any write (or adds fields to it).
    pub fn create_component(&self, component: &str, schema: &Schema) -> Result<()> {
        check_name(component)?;
        self.writable()?.commit(|version| {
            let state = Arc::make_mut(version.components.entry(component.to_owned()).or_default());
            state.schema = state.schema.merge(component, schema)?;
            Ok(())
        })
    }

    /// Starts an atomic bulk load into `component`: rows are written straight into new
    /// segments, which become visible together on [`BulkLoad::commit`] or are deleted if the
    /// load is dropped.
    pub fn bulk_load(&self, component: &str) -> Result<BulkLoad<'_>> {
        BulkLoad::new(self.writable()?, component)
    }

    /// Seals every component's unsealed rows into segments now.
    pub fn flush(&self) -> Result<()> {
        self.writable()?.seal_all(true).map(drop)
    }

    /// Merges small segments of every component (see [`Options::compact_rows`]).
    pub fn compact(&self) -> Result<maintain::CompactReport> {
        self.writable()?.compact()
    }

    /// Drops `component`'s events with `time < min_time_us`; returns how many rows went.
    /// The component's ingest hashes stay: the inputs were ingested, retention only aged
    /// their rows out.
    pub fn retain(&self, component: &str, min_time_us: i64) -> Result<u64> {
        self.writable()?.retain(component, min_time_us)
    }

    /// Maintains the stored join of `driving` ← `joined` from now on (docs/ARCHITECTURE.md
    /// §Stored join): builds it for every sealed driving segment now, once for the life of
    /// the database, and keeps it up to date with every seal, load, compaction and
    /// retention. Returns `false` if the pair was maintained already.
    pub fn store_join(&self, driving: &str, joined: &str) -> Result<bool> {
        self.writable()?.store_join(driving, joined)
    }

    /// Stores an SLO definition under `name` (valid as a component name), durably: `text` is
    /// opaque here (the query layer parses and judges it; at most 65,535 bytes). An SLO of
    /// that name already stored is an error, unless `replace`.
    pub fn create_slo(&self, name: &str, text: &str, replace: bool) -> Result<()> {
        if !valid_component_name(name) {
            return Err(Error::invalid(format!("{name:?} is not a valid SLO name (expected [a-z][a-z0-9_]{{0,62}})")));
        }
        if text.len() > u16::MAX as usize {
            return Err(Error::invalid(format!("an SLO's text is at most 65,535 bytes; this one has {}", text.len())));
        }
        let slo = Slo { name: name.to_owned(), text: text.to_owned(), created_us: crate::model::now_us() };
        self.writable()?.commit(|version| {
            if !replace && version.slos.contains_key(name) {
                return Err(Error::invalid(format!("an SLO named {name:?} exists already (DROP SLO {name} first)")));
            }
            Arc::make_mut(&mut version.slos).insert(name.to_owned(), slo);
            Ok(())
        })
    }

    /// Removes the SLO `name`, durably; `false` if there was none.
    pub fn drop_slo(&self, name: &str) -> Result<bool> {
        let mut found = false;
        self.writable()?.commit(|version| {
            found = Arc::make_mut(&mut version.slos).remove(name).is_some();
            Ok(())
        })?;
        Ok(found)
    }

    /// What join maintenance has done since this database was opened.
    pub fn join_stats(&self) -> crate::join::JoinStats {
        self.inner.join_counters.stats()
    }

    /// Removes `component` whole: its rows, schema and ingest hashes; returns how many rows
    /// went. Durable when this returns; a crash before that leaves the component whole.
    pub fn drop_component(&self, component: &str) -> Result<u64> {
        self.writable()?.drop_component(component)
    }
}

pub use maintain::CompactReport;

fn check_name(component: &str) -> Result<()> {
    if valid_component_name(component) {
        Ok(())
    } else {
        Err(Error::invalid(format!("{component:?} is not a valid component name (expected [a-z][a-z0-9_]{{0,62}})")))
    }
}

impl Inner {
    fn new(dir: &Path, options: Options, log: Log, version: Version, next_segment_id: u64, recovery: RecoveryReport) -> Inner {
        Inner {
            dir: dir.to_owned(),
            segment_dir: dir.join(SEGMENT_DIR),
            options,
            log,
            writer: Mutex::new(()),
            maintenance: Mutex::new(SegmentBuilder::new(&Default::default())),
            current: Mutex::new(Arc::new(version)),
            next_segment_id: AtomicU64::new(next_segment_id),
            sealing: AtomicU64::new(0),
            join_counters: Default::default(),
            recovery,
            signal: Default::default(),
        }
    }

    /// The log, if this handle writes: every change goes through it or starts with it.
    fn wal(&self) -> Result<&Wal> {
        match &self.log {
            Log::Writer { wal, .. } => Ok(wal),
            Log::Reader { .. } => Err(Error::ReadOnly { path: self.dir.clone() }),
        }
    }

    /// The highest LSN a snapshot may see: durable (or written, under relaxed durability),
    /// or, read-only, the last whole record the log held at open.
    fn visible_lsn(&self) -> u64 {
        match &self.log {
            Log::Writer { wal, .. } => wal.visible_lsn(),
            Log::Reader { last_lsn } => *last_lsn,
        }
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let visible = self.visible_lsn();
        Snapshot::new(self.current.lock().clone(), visible)
    }

    fn version(&self) -> Arc<Version> {
        self.current.lock().clone()
    }

    fn append(&self, component: &str, mut batch: Batch) -> Result<()> {
        check_name(component)?;
        if batch.is_empty() {
            return Ok(());
        }
        // Room first: an error here (a failing sealer) leaves nothing of the batch stored.
        self.make_room(component)?;
        let wal = self.wal()?;
        let (lsn, tail_rows) = {
            let _writer = self.writer.lock();
            let version = self.version();
            let state = version.components.get(component).cloned().unwrap_or_default();
            let schema = state.schema.absorb(component, &mut batch)?;
            let arrival = crate::model::now_us();
            let lsn = wal.append(|buf, lsn| encode_batch(buf, lsn, arrival, component, &batch))?;
            let mut next = (*version).clone();
            let state = Arc::make_mut(next.components.entry(component.to_owned()).or_default());
            state.schema = schema;
            state.arrived(arrival);
            state.tail.push(TailEntry::new(lsn, batch), wal.visible_lsn(), self.sealing.load(Ordering::SeqCst))?;
            let tail_rows = state.tail.rows();
            *self.current.lock() = Arc::new(next);
            (lsn, tail_rows)
        };
        if wal.durability() == Durability::Sync {
            wal.sync_to(lsn)?;
        }
        if tail_rows >= self.options.seal_rows && self.options.background_seal {
            self.signal.request_seal();
        }
        Ok(())
    }

    /// Holds an appender back while its component's tail is over
    /// [`Options::max_unsealed_rows`] (that bounds ingest memory); without a background
    /// thread, the appender seals a due tail itself.
    fn make_room(&self, component: &str) -> Result<()> {
        let tail_rows = |inner: &Inner| inner.version().components.get(component).map_or(0, |c| c.tail.rows());
        if !self.options.background_seal {
            if tail_rows(self) >= self.options.seal_rows {
                self.seal(component, false)?;
            }
            return Ok(());
        }
        while tail_rows(self) >= self.options.max_unsealed_rows() {
            self.wal()?.check_poison()?;
            if !self.signal.wait_for_seal(std::time::Duration::from_millis(100)) {
                self.seal(component, true)?;
            }
        }
        Ok(())
    }

    /// Applies `edit` to a copy of the current version, stores the resulting manifest, and
    /// only then publishes the copy: the manifest on disk never lags what readers were shown.
    fn commit(&self, edit: impl FnOnce(&mut Version) -> Result<()>) -> Result<()> {
        let _writer = self.writer.lock();
        let mut next = (*self.version()).clone();
        edit(&mut next)?;
        self.manifest_of(&next)?.store(&self.dir)?;
        *self.current.lock() = Arc::new(next);
        Ok(())
    }

    fn manifest_of(&self, version: &Version) -> Result<Manifest> {
        Ok(Manifest {
            next_segment_id: self.next_segment_id.load(Ordering::SeqCst),
            last_lsn: self.wal()?.next_lsn() - 1,
            components: version
                .components
                .iter()
                .map(|(name, c)| ComponentEntry {
                    name: name.clone(),
                    schema: c.schema.clone(),
                    sealed_lsn: c.sealed_lsn,
                    segments: c.segments.iter().map(|s| s.meta()).collect(),
                    ingested: c.ingested.to_vec(),
                    last_append_us: c.last_append_us,
                })
                .collect(),
            dropped: version.dropped.iter().map(|(name, lsn)| (name.clone(), *lsn)).collect(),
            slos: version.slos.values().cloned().collect(),
            pairs: version
                .joins
                .iter()
                .map(|(pair, state)| PairEntry {
                    driving: pair.driving.clone(),
                    joined: pair.joined.clone(),
                    files: state.files.iter().map(|(&segment, file)| (segment, file.id())).collect(),
                })
                .collect(),
        })
    }

    fn allocate_segment_id(&self) -> u64 {
        self.next_segment_id.fetch_add(1, Ordering::SeqCst)
    }
}

impl Drop for Inner {
    /// A clean close leaves the log synced and trimmed; a failure here changes nothing that
    /// recovery does not already handle, so it is not reported.
    fn drop(&mut self) {
        if let Log::Writer { wal, .. } = &self.log {
            let _ = wal.close();
        }
    }
}
