//! `DB/READERS`: how a writer learns that another process is reading the log right now, so
//! that it never overwrites a retired log file under that reader (docs/FORMAT.md §Readers).
//!
//! A reader holds a shared advisory lock on the file while it reads the log; the writer
//! reuses a retired file only while it holds the lock exclusively, and deletes the file
//! instead when it cannot (an unlinked file stays readable through a descriptor already
//! open, an overwritten one does not). `seam recover`, which moves log files, waits for it.

use crate::error::{IoContext, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

pub(crate) const FILE_NAME: &str = "READERS";

pub(crate) fn path(db_dir: &Path) -> PathBuf {
    db_dir.join(FILE_NAME)
}

/// Creates the file if it is missing: a writer does so when it opens the database, so that
/// every reader after that finds it.
pub(crate) fn create(db_dir: &Path) -> Result<()> {
    open(&path(db_dir)).map(drop)
}

/// A reader's shared lock, held until the returned file is dropped. `None` when the file does
/// not exist: a database last written by a version without it, whose writer does not look.
pub(crate) fn shared(db_dir: &Path) -> Result<Option<File>> {
    let path = path(db_dir);
    let file = match OpenOptions::new().read(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context(|| format!("open {}", path.display())),
    };
    // Blocks only while a writer moves a log file (a rename and a header), or while
    // `seam recover` runs.
    file.lock_shared().context(|| format!("lock {} shared", path.display()))?;
    Ok(Some(file))
}

/// The writer's exclusive lock if no reader holds the file now (`None` if one does), held
/// until the returned file is dropped.
pub(crate) fn try_exclusive(path: &Path) -> Result<Option<File>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e).context(|| format!("lock {}", path.display())),
    }
}

/// The exclusive lock, waiting for readers to finish reading the log (for `seam recover`).
pub(crate) fn exclusive(db_dir: &Path) -> Result<File> {
    let path = path(db_dir);
    let file = open(&path)?;
    file.lock().context(|| format!("lock {}", path.display()))?;
    Ok(file)
}

/// Opens the file as a writer does, creating it if missing.
fn open(path: &Path) -> Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).context(|| format!("open {}", path.display()))
}
