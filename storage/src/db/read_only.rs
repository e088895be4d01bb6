//! Opening a database read-only, beside a writer that may be at work in another process
//! (docs/ARCHITECTURE.md §Readers in other processes). Nothing is created, changed or
//! removed, no lock keeps the writer out, and a read that raced the writer starts over.
//!
//! Consistency by retry: read the manifest's bytes, map what it names, read the log (under a
//! shared lock on `DB/READERS`, so that no log file is reused under the read), then read the
//! manifest again. The writer deletes a segment or join file only after the commit that
//! drops it, and retires a log file only after the commit that seals its batches: so if the
//! bytes are the same, every file read belonged to that one manifest and the log read
//! continues it; if not, or if a file vanished or changed under the read, start over.

use super::open::{last_lsn, load, Loaded};
use super::{Inner, Log};
use crate::error::{Error, Result};
use crate::manifest::{self, Manifest};
use crate::options::Options;
use crate::wal::{self, Replay};
use std::path::Path;
use std::time::Duration;

/// Attempts before a read-only open gives up on a database that keeps changing under it.
const ATTEMPTS: u32 = 10;

pub(super) fn open_read_only(dir: &Path) -> Result<Inner> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!("{} is not a SeamDB database (no such directory)", dir.display())));
    }
    retried(dir, |last| match read_once(dir) {
        Ok(inner) => Ok(Attempt::Done(inner)),
        Err(e) if worth_retrying(&e, last) => Ok(Attempt::Again(e.to_string())),
        Err(e) => Err(e),
    })
}

/// How one attempt at reading beside a writer ended.
pub(crate) enum Attempt<T> {
    Done(T),
    /// Start over: what the writer changed meanwhile.
    Again(String),
}

/// Runs `attempt` (given why the one before started over) until it is done, a little longer
/// apart each time, and at most [`ATTEMPTS`] times; then fails with [`Error::Changing`].
pub(crate) fn retried<T>(dir: &Path, mut attempt: impl FnMut(Option<&str>) -> Result<Attempt<T>>) -> Result<T> {
    let mut last: Option<String> = None;
    for i in 0..ATTEMPTS {
        match attempt(last.as_deref())? {
            Attempt::Done(value) => return Ok(value),
            Attempt::Again(why) => last = Some(why),
        }
        // 5, 10, 20, ... 160 ms: a commit is over in milliseconds; a burst of them needs longer.
        std::thread::sleep(Duration::from_millis(5 << i.min(5)));
    }
    let last = last.unwrap_or_default();
    Err(Error::changing(dir, format!("a writer changed it during each of {ATTEMPTS} attempts, the last: {last}; try again")))
}

/// Whether a failed attempt says that a writer was at work rather than that something is
/// wrong: a file vanished or changed under the read, or damage that the attempt before did
/// not find at the same place (a page of the newest log file read while being written).
/// Damage found twice in a row is damage.
fn worth_retrying(e: &Error, previous: Option<&str>) -> bool {
    match e {
        Error::Changing { .. } => true,
        Error::Io { io, .. } => io.kind() == std::io::ErrorKind::NotFound,
        Error::Corrupt { .. } => previous != Some(&e.to_string()),
        _ => false,
    }
}

/// One attempt: the manifest, what it names and the log, if the manifest stayed the same.
fn read_once(dir: &Path) -> Result<Inner> {
    let manifest_path = dir.join(manifest::FILE_NAME);
    let Some(before) = manifest::read_bytes(dir)? else {
        return Err(Error::invalid(format!("{} is not a SeamDB database (no {})", dir.display(), manifest::FILE_NAME)));
    };
    let manifest = Manifest::decode(&before, &manifest_path)?;
    let loaded = {
        let _readers = wal::readers::shared(dir)?;
        load(dir, &manifest, Replay::Shared)
    };
    // Before `loaded`'s error, if any: a commit meanwhile explains a file gone or changed.
    if manifest::read_bytes(dir)?.as_deref() != Some(&before[..]) {
        return Err(Error::changing(manifest_path, "a commit (seal, compaction, retention, load) happened meanwhile"));
    }
    let Loaded { version, recovery, .. } = loaded?;
    let log = Log::Reader { last_lsn: last_lsn(&manifest, &recovery) };
    Ok(Inner::new(dir, Options::default(), log, version, manifest.next_segment_id, recovery))
}
