//! The write-ahead log: every appended batch is framed, checksummed and made durable here
//! before it is acknowledged (docs/FORMAT.md §WAL).
//!
//! The log is a directory of files named by the first LSN they hold. Only the newest file is
//! written; a file is synced completely before the next one starts, so after a crash only the
//! newest file can end in a torn record. Files whose batches are all sealed into segments are
//! retired: kept for reuse (`*.free`) or deleted. Other processes may read the log while it is
//! written (readers.rs, and `Db::open_read_only`).

mod reader;
pub(crate) mod readers;
mod record;
mod scan;
mod writer;

pub use reader::ReplayReport;
pub(crate) use reader::{cut_torn_tail, replay, verify_file, Replay};
pub(crate) use record::encode_batch;
#[cfg(test)]
pub(crate) use record::KIND_MARK;
pub use record::MAX_RECORD_BYTES;
pub(crate) use scan::{lost_in, scan_file, Gap, Kept, LostHead};
pub(crate) use writer::Wal;

use std::path::{Path, PathBuf};

pub(crate) const MAGIC: &[u8; 8] = b"SEAMWAL\0";
/// The version written. Version 2 adds sync marks, version 3 batch records carrying their
/// arrival time (docs/FORMAT.md §WAL); older files read the same way.
pub(crate) const VERSION: u32 = 3;
/// The oldest version read.
pub(crate) const OLDEST_VERSION: u32 = 1;
/// `magic | version u32 | crc32 of the first 12 bytes u32`.
pub(crate) const HEADER_LEN: usize = 16;

pub(crate) fn file_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(format!("{first_lsn:020}.wal"))
}

pub(crate) fn header() -> [u8; HEADER_LEN] {
    header_of(VERSION)
}

/// The header a file of `version` starts with.
pub(crate) fn header_of(version: u32) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&version.to_le_bytes());
    let crc = crc32fast::hash(&h[..12]);
    h[12..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Where a retired log file waits to be reused.
pub(crate) fn free_path(dir: &Path, first_lsn: u64) -> PathBuf {
    dir.join(format!("{first_lsn:020}.free"))
}

/// Retired log files in `dir`.
pub(crate) fn list_free_files(dir: &Path) -> crate::Result<Vec<PathBuf>> {
    use crate::error::IoContext;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).context(|| format!("list {}", dir.display()))? {
        let path = entry.context(|| format!("list {}", dir.display()))?.path();
        if path.extension().is_some_and(|e| e == "free") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// The log files in `dir`, oldest first, as (first LSN, path).
pub(crate) fn list_files(dir: &Path) -> crate::Result<Vec<(u64, PathBuf)>> {
    use crate::error::IoContext;
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).context(|| format!("list {}", dir.display()))? {
        let path = entry.context(|| format!("list {}", dir.display()))?.path();
        let lsn = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".wal")).and_then(|n| n.parse::<u64>().ok());
        if let Some(lsn) = lsn {
            files.push((lsn, path));
        }
    }
    files.sort();
    Ok(files)
}
