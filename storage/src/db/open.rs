//! Opening a database for writing: lock the directory, load the manifest, verify and map
//! every live segment, replay the WAL into the tail (the steps a read-only open shares,
//! [`load`]), then remove files no manifest refers to, cut a torn log tail and start a new
//! log file.

use super::{Inner, Log};
use crate::error::{Error, IoContext, Result};
use crate::fs;
use crate::join::{JoinFile, JoinState, Pair};
use crate::manifest::{Manifest, PairEntry};
use crate::options::Options;
use crate::segment::{self, Segment};
use crate::snapshot::{ComponentState, Version};
use crate::tail::TailEntry;
use crate::wal::{self, Replay, ReplayReport, Wal};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) const SEGMENT_DIR: &str = "segments";
pub(crate) const WAL_DIR: &str = "wal";
const LOCK_FILE: &str = "LOCK";

/// What opening the database found and repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    pub segments: usize,
    pub wal: ReplayReport,
    /// Batches replayed from the log into the unsealed tail.
    pub replayed_batches: u64,
    /// Files that no manifest refers to (left by a crash mid-seal or mid-load), now removed.
    pub removed_orphans: Vec<PathBuf>,
}

pub(super) fn open(dir: &Path, options: Options) -> Result<Inner> {
    let segment_dir = dir.join(SEGMENT_DIR);
    let wal_dir = dir.join(WAL_DIR);
    for d in [dir, &segment_dir, &wal_dir] {
        std::fs::create_dir_all(d).context(|| format!("create directory {}", d.display()))?;
    }
    let lock = lock(dir)?;
    let manifest = match Manifest::load(dir)? {
        Some(m) => m,
        // A new database stores its empty manifest first: from then on a segment file that no
        // manifest names is an orphan of a failed or interrupted commit, safe to remove, and a
        // missing manifest beside segment files always means damage.
        None if segment_files(&segment_dir)?.is_empty() => {
            let empty = Manifest::default();
            empty.store(dir)?;
            empty
        }
        None => {
            return Err(Error::corrupt(dir.join(crate::manifest::FILE_NAME), 0, "manifest missing although segment files exist"));
        }
    };
    let Loaded { version, live, mut recovery } = load(dir, &manifest, Replay::Owned)?;
    let mut max_id_on_disk = 0;
    for (id, path) in segment_files(&segment_dir)?.into_iter().chain(join_files(&segment_dir)?) {
        max_id_on_disk = max_id_on_disk.max(id + 1);
        if !live.contains(&id) {
            fs::remove(&path)?;
            recovery.removed_orphans.push(path);
        }
    }
    for tmp in [dir.join("MANIFEST.tmp")] {
        if tmp.exists() {
            fs::remove(&tmp)?;
            recovery.removed_orphans.push(tmp);
        }
    }
    if !recovery.removed_orphans.is_empty() {
        fs::sync_dir(&segment_dir)?;
    }
    wal::cut_torn_tail(&recovery.wal)?;
    // A process crash leaves written-but-unsynced log pages in the page cache; make what was
    // replayed durable before anyone reads it.
    for (_, path) in wal::list_files(&wal_dir)? {
        let file = std::fs::File::open(&path).context(|| format!("open {}", path.display()))?;
        fs::sync_data(&file, &path)?;
    }
    let next_lsn = last_lsn(&manifest, &recovery).checked_add(1).ok_or_else(|| {
        // A damaged (but checksummed: say, hand-made) manifest may claim the last LSN there is.
        Error::corrupt(dir.join(crate::manifest::FILE_NAME), 0, "log sequence numbers exhausted (an LSN of 2^64 - 1)")
    })?;
    // A log file named for the next LSN can only hold a header (a record in it would have an
    // LSN at least that high): it is the fresh file of an open that wrote nothing. Start anew.
    fs::remove(&wal::file_path(&wal_dir, next_lsn))?;
    let wal = Wal::create(dir, next_lsn, &options)?;
    let next_segment_id = manifest.next_segment_id.max(max_id_on_disk).max(1);
    Ok(Inner::new(dir, options, Log::Writer { wal, _lock: lock }, version, next_segment_id, recovery))
}

/// What a database's files hold, read without changing any of them.
pub(super) struct Loaded {
    pub version: Version,
    /// The IDs of the segment and join files `manifest` names.
    pub live: HashSet<u64>,
    pub recovery: RecoveryReport,
}

/// The steps of an open that only read, shared by the writer's and a reader's: maps the
/// segments and join files `manifest` names (deferred verification) and replays the log
/// into the tails. The log is the same however it is read; `mode` says whether a writer
/// may be at work on it meanwhile.
pub(super) fn load(dir: &Path, manifest: &Manifest, mode: Replay) -> Result<Loaded> {
    let segment_dir = dir.join(SEGMENT_DIR);
    let mut recovery = RecoveryReport::default();
    let mut version = Version {
        dropped: manifest.dropped.iter().cloned().collect(),
        slos: Arc::new(manifest.slos.iter().map(|s| (s.name.clone(), s.clone())).collect()),
        ..Version::default()
    };
    let mut live = HashSet::new();
    let mut opened = open_segments(&segment_dir, manifest.components.iter().flat_map(|c| &c.segments))?.into_iter();
    for entry in &manifest.components {
        let state = ComponentState {
            schema: entry.schema.clone(),
            sealed_lsn: entry.sealed_lsn,
            ingested: Arc::new(entry.ingested.clone()),
            last_append_us: entry.last_append_us,
            segments: opened.by_ref().take(entry.segments.len()).collect(),
            ..ComponentState::default()
        };
        live.extend(state.segments.iter().map(|s| s.id()));
        recovery.segments += state.segments.len();
        version.components.insert(entry.name.clone(), Arc::new(state));
    }
    for entry in &manifest.pairs {
        let (pair, state) = open_join(&segment_dir, &version, entry)?;
        live.extend(state.files.values().map(|f| f.id()));
        version.joins.insert(pair, Arc::new(state));
    }
    recovery.wal = wal::replay(&dir.join(WAL_DIR), mode, |record| {
        if version.dropped.get(&record.component).is_some_and(|&dropped| record.lsn <= dropped) {
            return Ok(());
        }
        let state = Arc::make_mut(version.components.entry(record.component.clone()).or_default());
        if let Some(at) = record.arrival_us {
            state.arrived(at);
        }
        if record.lsn <= state.sealed_lsn {
            return Ok(());
        }
        let mut batch = record.batch;
        state.schema = state.schema.absorb(&record.component, &mut batch)?;
        state.tail.push(TailEntry::new(record.lsn, batch), u64::MAX, 0)?;
        recovery.replayed_batches += 1;
        Ok(())
    })?;
    Ok(Loaded { version, live, recovery })
}

/// The highest LSN assigned so far, by what the manifest and the log say.
pub(super) fn last_lsn(manifest: &Manifest, recovery: &RecoveryReport) -> u64 {
    let sealed = manifest.components.iter().map(|c| c.sealed_lsn).max().unwrap_or(0);
    manifest.last_lsn.max(recovery.wal.last_lsn).max(sealed)
}

/// Takes the directory's lock. A lock that is busy is tried again for a moment before it
/// counts as held: when another thread of this process spawns a child, the child holds a
/// copy of every descriptor — this lock's too — from its fork until its exec closes them, so
/// a database closed and reopened meanwhile can find its own lock briefly taken.
pub(crate) fn lock(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join(LOCK_FILE);
    let file =
        std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).context(|| format!("open {}", path.display()))?;
    for attempt in 0..=LOCK_RETRIES {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(std::fs::TryLockError::WouldBlock) if attempt < LOCK_RETRIES => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(std::fs::TryLockError::WouldBlock) => break,
            Err(std::fs::TryLockError::Error(e)) => return Err(e).context(|| format!("lock {}", path.display())),
        }
    }
    Err(Error::Locked { path: dir.to_owned() })
}

/// Extra attempts, 10 ms apart, at a busy lock (see [`lock`]).
const LOCK_RETRIES: u32 = 20;

/// Opens the segments `metas` names, in order, on two threads, deferred: structure and sizes
/// now, each group of sections when something first reads it (segment/reader.rs).
fn open_segments<'a>(dir: &Path, metas: impl Iterator<Item = &'a crate::segment::SegmentMeta>) -> Result<Vec<Arc<Segment>>> {
    let metas: Vec<_> = metas.collect();
    let open = |meta: &&crate::segment::SegmentMeta| -> Result<Arc<Segment>> {
        let seg = Segment::open_deferred(&segment::file_path(dir, meta.id), meta.id)?;
        if seg.rows() as u64 != meta.rows {
            return Err(Error::corrupt(seg.path(), 0, format!("holds {} rows, the manifest says {}", seg.rows(), meta.rows)));
        }
        Ok(Arc::new(seg))
    };
    // Alternate segments between the threads: neighbours are alike in size.
    let (odd, even) = std::thread::scope(|s| {
        let odd = s.spawn(|| metas.iter().skip(1).step_by(2).map(open).collect::<Vec<_>>());
        let even: Vec<_> = metas.iter().step_by(2).map(open).collect();
        (odd.join().map_err(|_| Error::invalid("a segment-opening thread panicked")), even)
    });
    let (mut odd, mut even) = (odd?.into_iter(), even.into_iter());
    (0..metas.len()).map(|i| if i % 2 == 0 { even.next() } else { odd.next() }.expect("one result per segment")).collect()
}

/// Opens a maintained pair's join files and checks that they fit the segments they join: one
/// per sealed driving segment, as many rows, and locations into a prefix of the joined list.
pub(crate) fn open_join(segment_dir: &Path, version: &Version, entry: &PairEntry) -> Result<(Pair, JoinState)> {
    let segments = |name: &str| version.components.get(name).map_or(&[][..], |c| &c.segments[..]);
    let (driving, joined) = (segments(&entry.driving), segments(&entry.joined));
    let joined_rows = |id: u64| joined.iter().find(|s| s.id() == id).map(|s| s.rows());
    let mut state = JoinState::default();
    for &(segment, id) in &entry.files {
        let file = JoinFile::open(segment_dir, id, joined_rows)?;
        let rows = driving.iter().find(|s| s.id() == segment).map(|s| s.rows());
        let fits = file.driving_segment() == segment
            && rows == Some(file.locs().len())
            && file.joined().iter().zip(joined).all(|(&a, b)| a == b.id());
        if !fits {
            return Err(Error::corrupt(file.path(), 0, format!("does not fit the segments of {} <- {}", entry.driving, entry.joined)));
        }
        state.files.insert(segment, Arc::new(file));
    }
    if let Some(s) = driving.iter().find(|s| !state.files.contains_key(&s.id())) {
        return Err(Error::corrupt(
            segment_dir.join(crate::manifest::FILE_NAME),
            0,
            format!("segment {:016x} has no join file into {}", s.id(), entry.joined),
        ));
    }
    Ok((Pair { driving: entry.driving.clone(), joined: entry.joined.clone() }, state))
}

/// Segment files in `dir` as (ID, path).
pub(crate) fn segment_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    files_named(dir, segment::parse_file_name)
}

/// Join files in `dir` as (ID, path).
pub(crate) fn join_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>> {
    files_named(dir, crate::join::parse_file_name)
}

fn files_named(dir: &Path, parse: fn(&str) -> Option<u64>) -> Result<Vec<(u64, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).context(|| format!("list {}", dir.display()))? {
        let path = entry.context(|| format!("list {}", dir.display()))?.path();
        if let Some(id) = path.file_name().and_then(|n| n.to_str()).and_then(parse) {
            out.push((id, path));
        }
    }
    out.sort();
    Ok(out)
}
