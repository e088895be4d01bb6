//! Appending to the log, with group commit: concurrent appenders that wait for durability
//! share one `fdatasync`, issued by whichever of them arrives first (the leader).

use super::{file_path, header, list_files, record::MAX_RECORD_BYTES};
use crate::error::{Error, Result};
use crate::fs;
use crate::options::Durability;
use parking_lot::{Condvar, Mutex};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Size past which the log moves on to a new file.
const ROTATE_BYTES: u64 = 64 << 20;

#[derive(Debug)]
pub(crate) struct Wal {
    dir: PathBuf,
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
    /// First LSN of every live log file, oldest first.
    files: Vec<(u64, PathBuf)>,
}

#[derive(Debug, Default)]
struct SyncState {
    synced: u64,
    leader_active: bool,
    poisoned: Option<String>,
}

impl Wal {
    /// Starts a new log file at `next_lsn` in `dir`, beside the (already replayed) older ones.
    pub fn create(dir: &Path, next_lsn: u64, durability: Durability) -> Result<Wal> {
        let mut files = list_files(dir)?;
        let (file, path) = new_file(dir, next_lsn)?;
        files.push((next_lsn, path.clone()));
        let last = next_lsn - 1;
        Ok(Wal {
            dir: dir.to_owned(),
            durability,
            inner: Mutex::new(Inner { file: Arc::new(file), path, len: super::HEADER_LEN as u64, next_lsn, buf: Vec::new(), files }),
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
        if inner.len >= ROTATE_BYTES {
            self.rotate(inner, lsn)?;
        }
        let path = inner.path.clone();
        // `&File` implements Write; the Arc lets the sync leader hold the file without the lock.
        let mut file: &File = &inner.file;
        if let Err(e) = std::io::Write::write_all(&mut file, record) {
            return Err(self.poison(format!("write {}: {e}", path.display())));
        }
        inner.len += record.len() as u64;
        inner.next_lsn = lsn + 1;
        self.written.store(lsn, Ordering::Release);
        Ok(())
    }

    /// Syncs the full file, then starts the next one, so that only the newest file can be torn.
    fn rotate(&self, inner: &mut Inner, next_lsn: u64) -> Result<()> {
        fs::sync_data(&inner.file, &inner.path).map_err(|e| self.poison(e.to_string()))?;
        let (file, path) = new_file(&self.dir, next_lsn).map_err(|e| self.poison(e.to_string()))?;
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
            let (file, path, target) = {
                let inner = self.inner.lock();
                (inner.file.clone(), inner.path.clone(), self.written.load(Ordering::Acquire))
            };
            let result = fs::sync_data(&file, &path);
            state = self.sync.lock();
            state.leader_active = false;
            match result {
                Ok(()) => state.synced = state.synced.max(target),
                // fsync failure: the kernel may have dropped the dirty pages; never retry.
                Err(e) => state.poisoned = Some(e.to_string()),
            }
            self.synced_cv.notify_all();
        }
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

    /// Deletes log files whose records all have LSNs below `keep_from`.
    pub fn remove_before(&self, keep_from: u64) -> Result<()> {
        let mut inner = self.inner.lock();
        let mut removed = false;
        while inner.files.len() > 1 && inner.files[1].0 <= keep_from {
            let (_, path) = inner.files.remove(0);
            fs::remove(&path)?;
            removed = true;
        }
        if removed {
            fs::sync_dir(&self.dir)?;
        }
        Ok(())
    }

    fn check_poison(&self) -> Result<()> {
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

fn new_file(dir: &Path, first_lsn: u64) -> Result<(File, PathBuf)> {
    let path = file_path(dir, first_lsn);
    let mut file = fs::create_new(&path)?;
    fs::write_all(&mut file, &header(), &path)?;
    fs::sync_data(&file, &path)?;
    fs::sync_dir(dir)?;
    Ok((file, path))
}
