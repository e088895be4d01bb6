//! Appending to the log, with group commit: concurrent appenders that wait for durability
//! share one `fdatasync`, issued by whichever of them arrives first (the leader).

use super::record::{encode_mark, MARK_PAYLOAD};
use super::{file_path, header, list_files, record::MAX_RECORD_BYTES};
use crate::error::{Error, Result};
use crate::fs;
use crate::options::{Durability, Options};
use parking_lot::{Condvar, Mutex};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Retired log files kept for reuse. Overwriting a file whose pages are already cached costs
/// a memcpy per write and a data-only fdatasync; a fresh file pays for page allocation and a
/// metadata sync on every append (1.4 to 2.9 times slower here, by how much memory the VM
/// has yet to hand over; docs/BENCHMARKS.md).
const MAX_FREE_FILES: usize = 4;

#[derive(Debug)]
pub(crate) struct Wal {
    dir: PathBuf,
    /// `DB/READERS` (see readers.rs): no retired file is reused while a reader holds it.
    readers: PathBuf,
    /// Size past which the log moves on to a new file ([`crate::Options::wal_file_bytes`]).
    rotate_bytes: u64,
    durability: Durability,
    inner: Mutex<Inner>,
    /// Highest LSN written to the OS.
    written: AtomicU64,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
}

#[derive(Debug)]
struct Inner {
    file: Arc<File>,
    path: PathBuf,
    len: u64,
    next_lsn: u64,
    /// Reused encoding buffer: hot paths do not allocate per batch.
    buf: Vec<u8>,
    /// The LSN the last sync mark written covers.
    marked: u64,
    /// First LSN of every live log file, oldest first.
    files: Vec<(u64, PathBuf)>,
    /// Retired files waiting to be reused (`*.free`).
    free: Vec<PathBuf>,
}

#[derive(Debug, Default)]
struct SyncState {
    synced: u64,
    leader_active: bool,
    poisoned: Option<String>,
}

impl Wal {
    /// Starts a new log file at `next_lsn` in `db_dir`'s log, beside the (already replayed)
    /// older ones; creates `DB/READERS` for readers to announce themselves in.
    pub fn create(db_dir: &Path, next_lsn: u64, options: &Options) -> Result<Wal> {
        let dir = db_dir.join(crate::db::WAL_DIR);
        super::readers::create(db_dir)?;
        let readers = super::readers::path(db_dir);
        let mut files = list_files(&dir)?;
        let mut free = super::list_free_files(&dir)?;
        let (file, path) = new_file(&dir, next_lsn, &mut free, &readers)?;
        files.push((next_lsn, path.clone()));
        let last = next_lsn - 1;
        Ok(Wal {
            dir,
            readers,
            rotate_bytes: options.wal_file_bytes,
            durability: options.durability,
            inner: Mutex::new(Inner {
                file: Arc::new(file),
                path,
                len: super::HEADER_LEN as u64,
                next_lsn,
                buf: Vec::new(),
                marked: last,
                files,
                free,
            }),
            written: AtomicU64::new(last),
            sync: Mutex::new(SyncState { synced: last, ..SyncState::default() }),
            synced_cv: Condvar::new(),
        })
    }

    pub fn durability(&self) -> Durability {
        self.durability
    }

    /// Encodes one record with `encode(buf, lsn)` and writes it; returns its LSN. The record is
    /// not durable until [`Wal::sync_to`] returns for that LSN.
    pub fn append(&self, encode: impl FnOnce(&mut Vec<u8>, u64)) -> Result<u64> {
        self.check_poison()?;
        let mut inner = self.inner.lock();
        let lsn = inner.next_lsn;
        let mut buf = std::mem::take(&mut inner.buf);
        buf.clear();
        encode(&mut buf, lsn);
        let result = self.write(&mut inner, &buf, lsn);
        inner.buf = buf;
        result.map(|()| lsn)
    }

    fn write(&self, inner: &mut Inner, record: &[u8], lsn: u64) -> Result<()> {
        if record.len() - super::record::FRAME_HEADER > MAX_RECORD_BYTES {
            return Err(Error::invalid(format!(
                "a batch of {} bytes is larger than one log record may be ({MAX_RECORD_BYTES}); split it or use a bulk load",
                record.len()
            )));
        }
        if inner.len >= self.rotate_bytes {
            self.rotate(inner, lsn)?;
        }
        // At the end of the last whole record: a failed (say, short: disk full) write consumed
        // no LSN, and the next record overwrites whatever part of this one reached the file,
        // so a failed write is an error for this append alone. (Replay would stop at the
        // partial bytes anyway: they are past the last record and fail its checksum.)
        fs::write_all_at(&inner.file, record, inner.len, &inner.path)?;
        inner.len += record.len() as u64;
        inner.next_lsn = lsn + 1;
        self.written.store(lsn, Ordering::Release);
        Ok(())
    }

    /// Cuts the file at its last record (a reused file may hold stale bytes past it) and syncs
    /// it, then starts the next one: only the newest file can end in anything but a record.
    fn rotate(&self, inner: &mut Inner, next_lsn: u64) -> Result<()> {
        let finished = fs::set_len(&inner.file, inner.len, &inner.path).and_then(|()| fs::sync_data(&inner.file, &inner.path));
        finished.map_err(|e| self.poison(e.to_string()))?;
        let (file, path) = new_file(&self.dir, next_lsn, &mut inner.free, &self.readers).map_err(|e| self.poison(e.to_string()))?;
        inner.file = Arc::new(file);
        inner.path = path.clone();
        inner.len = super::HEADER_LEN as u64;
        inner.files.push((next_lsn, path));
        Ok(())
    }

    /// Returns once every record up to `lsn` is durable. One caller at a time syncs; the others
    /// wait for its result and return at once if it covered their record.
    pub fn sync_to(&self, lsn: u64) -> Result<()> {
        let mut state = self.sync.lock();
        loop {
            if let Some(p) = &state.poisoned {
                return Err(Error::Poisoned(p.clone()));
            }
            if state.synced >= lsn {
                return Ok(());
            }
            if state.leader_active {
                self.synced_cv.wait(&mut state);
                continue;
            }
            state.leader_active = true;
            drop(state);
            let (file, path, target, marked) = {
                let mut inner = self.inner.lock();
                let target = self.written.load(Ordering::Acquire);
                let marked = self.mark(&mut inner, target);
                (inner.file.clone(), inner.path.clone(), target, marked)
            };
            let result = marked.as_ref().map_err(|_| ()).map(|()| fs::sync_data(&file, &path));
            state = self.sync.lock();
            state.leader_active = false;
            self.synced_cv.notify_all();
            match result {
                Ok(Ok(())) => state.synced = state.synced.max(target),
                // fsync failure: the kernel may have dropped the dirty pages; never retry.
                Ok(Err(e)) => state.poisoned = Some(e.to_string()),
                // The mark was not written: nothing was synced and nothing is lost; this call
                // fails, and the next sync writes the mark again.
                Err(()) => return marked,
            }
        }
    }

    /// Writes a sync mark covering every record up to `lsn` at the end of the log, unless
    /// the last mark does: written before the fdatasync that makes those records durable, it
    /// tells damage to the last of them from a torn write (docs/FORMAT.md §WAL). A failed
    /// write leaves `len` where it was, so the next record or mark overwrites it.
    fn mark(&self, inner: &mut Inner, lsn: u64) -> Result<()> {
        if inner.marked >= lsn {
            return Ok(());
        }
        let mut buf = std::mem::take(&mut inner.buf);
        buf.clear();
        encode_mark(&mut buf, lsn);
        let written = fs::write_all_at(&inner.file, &buf, inner.len, &inner.path);
        inner.buf = buf;
        written?;
        inner.len += (super::record::FRAME_HEADER + MARK_PAYLOAD) as u64;
        inner.marked = lsn;
        Ok(())
    }

    /// Syncs everything written so far (used by the relaxed-durability flusher and at close).
    pub fn sync_all(&self) -> Result<()> {
        self.sync_to(self.written.load(Ordering::Acquire))
    }

    /// The highest LSN a reader may see: durable under `Sync`, written under `Relaxed`.
    pub fn visible_lsn(&self) -> u64 {
        match self.durability {
            Durability::Sync => self.sync.lock().synced,
            Durability::Relaxed { .. } => self.written.load(Ordering::Acquire),
        }
    }

    pub fn next_lsn(&self) -> u64 {
        self.inner.lock().next_lsn
    }

    /// Retires log files whose records all have LSNs below `keep_from`: kept for reuse up to
    /// [`MAX_FREE_FILES`], deleted beyond that.
    pub fn remove_before(&self, keep_from: u64) -> Result<()> {
        let mut inner = self.inner.lock();
        // Every record is below `keep_from` (all sealed) and the active file holds some: start
        // the next file now, so that this one goes too, instead of staying, for every reader
        // that opens to read through, until appends fill it (up to `wal_file_bytes`).
        if keep_from >= inner.next_lsn && inner.len > super::HEADER_LEN as u64 {
            let next = inner.next_lsn;
            self.rotate(&mut inner, next)?;
        }
        let mut changed = false;
        while inner.files.len() > 1 && inner.files[1].0 <= keep_from {
            let (lsn, path) = inner.files.remove(0);
            if inner.free.len() < MAX_FREE_FILES {
                let free = super::free_path(&self.dir, lsn);
                fs::rename(&path, &free)?;
                inner.free.push(free);
            } else {
                fs::remove(&path)?;
            }
            changed = true;
        }
        if changed {
            fs::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// A clean close: sync, and cut the active file at its last record so that the next open
    /// finds no stale bytes of a reused file after it.
    pub fn close(&self) -> Result<()> {
        self.sync_all()?;
        let inner = self.inner.lock();
        fs::set_len(&inner.file, inner.len, &inner.path)?;
        fs::sync_data(&inner.file, &inner.path)
    }

    pub fn check_poison(&self) -> Result<()> {
        match &self.sync.lock().poisoned {
            Some(p) => Err(Error::Poisoned(p.clone())),
            None => Ok(()),
        }
    }

    fn poison(&self, why: String) -> Error {
        let mut state = self.sync.lock();
        state.poisoned.get_or_insert(why.clone());
        self.synced_cv.notify_all();
        Error::Poisoned(why)
    }
}

/// Starts the log file for `first_lsn`, reusing a retired one when there is one. A reused
/// file keeps its old bytes past what is written; replay tells them apart because records
/// must carry consecutive LSNs starting at the file's first.
///
/// A retired file is reused only under an exclusive lock on `readers`, held until the new
/// header is synced: a process reading the log holds it shared and may still be reading the
/// file's old records through a descriptor opened before it was retired. With a reader
/// there, the retired file is deleted instead (the reader keeps its bytes) and a new one made.
fn new_file(dir: &Path, first_lsn: u64, free: &mut Vec<PathBuf>, readers: &Path) -> Result<(File, PathBuf)> {
    let path = file_path(dir, first_lsn);
    let mut _no_readers = None;
    let mut file = match free.pop() {
        Some(old) => {
            _no_readers = super::readers::try_exclusive(readers)?;
            if _no_readers.is_some() {
                fs::rename(&old, &path)?;
                fs::open_write(&path)?
            } else {
                fs::remove(&old)?;
                fs::create_new(&path)?
            }
        }
        None => fs::create_new(&path)?,
    };
    fs::write_all(&mut file, &header(), &path)?;
    fs::sync_data(&file, &path)?;
    fs::sync_dir(dir)?;
    Ok((file, path))
}
