//! Replaying the log at open. Records are checked frame by frame; a damaged or short record
//! at the end of the newest file is a torn tail (the crash interrupted a write) and is
//! truncated away and reported. Damage anywhere else is an error.

use super::record::{decode_batch, BatchRecord, FRAME_HEADER};
use super::{header, list_files, HEADER_LEN, MAGIC};
use crate::codec::Reader;
use crate::error::{Error, IoContext, Result};
use crate::fs;
use std::path::{Path, PathBuf};

/// What replay found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    pub files: usize,
    pub records: u64,
    pub bytes: u64,
    /// Highest LSN seen in the log (0 if none).
    pub last_lsn: u64,
    /// A torn tail that was cut off: the file, the offset where the valid log ends, and how
    /// many bytes were dropped.
    pub torn_tail: Option<(PathBuf, u64, u64)>,
}

/// Reads every record in `dir` in order and hands each batch to `apply`.
pub(crate) fn replay(dir: &Path, mut apply: impl FnMut(BatchRecord) -> Result<()>) -> Result<ReplayReport> {
    let files = list_files(dir)?;
    let mut report = ReplayReport { files: files.len(), ..ReplayReport::default() };
    for (i, (first_lsn, path)) in files.iter().enumerate() {
        let newest = i + 1 == files.len();
        let bytes = std::fs::read(path).context(|| format!("read {}", path.display()))?;
        let valid_end = read_file(path, *first_lsn, &bytes, newest, &mut report, &mut apply)?;
        if valid_end < bytes.len() as u64 {
            report.torn_tail = Some((path.clone(), valid_end, bytes.len() as u64 - valid_end));
            if valid_end < HEADER_LEN as u64 {
                fs::remove(path)?;
            } else {
                fs::truncate(path, valid_end)?;
            }
        }
    }
    Ok(report)
}

/// Returns the offset where the valid records end. Only the newest file may end early. Records
/// carry consecutive LSNs from the file's first; a record out of sequence is a stale one of a
/// reused file, and ends the valid log like a torn record does.
fn read_file(
    path: &Path,
    first_lsn: u64,
    bytes: &[u8],
    newest: bool,
    report: &mut ReplayReport,
    apply: &mut impl FnMut(BatchRecord) -> Result<()>,
) -> Result<u64> {
    let torn = |offset: usize, what: String| -> Result<u64> {
        if newest {
            Ok(offset as u64)
        } else {
            Err(Error::corrupt(path, offset as u64, what))
        }
    };
    if bytes.len() < HEADER_LEN || bytes[..HEADER_LEN] != header() {
        if bytes.len() >= 8 && &bytes[..8] == MAGIC && bytes.len() >= 12 {
            let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            if version != super::VERSION {
                return Err(Error::UnsupportedVersion { path: path.to_owned(), found: version, supported: super::VERSION });
            }
        }
        return torn(0, "missing or damaged log file header".into());
    }
    let mut pos = HEADER_LEN;
    let mut records = 0;
    while pos < bytes.len() {
        if bytes.len() - pos < FRAME_HEADER {
            return torn(pos, "record header cut short".into());
        }
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap_or_default()) as usize;
        let crc = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap_or_default());
        let body = pos + FRAME_HEADER;
        if len > bytes.len() - body {
            return torn(pos, format!("record of {len} bytes runs past the end of the file"));
        }
        let payload = &bytes[body..body + len];
        if !crate::codec::crc_matches(payload, crc) {
            return torn(pos, "record checksum mismatch".into());
        }
        let record = decode_batch(&mut Reader::new(payload, body as u64, path))?;
        let due = first_lsn.saturating_add(records);
        if record.lsn != due || due == u64::MAX {
            return torn(pos, format!("record with LSN {} where {due} was due", record.lsn));
        }
        records += 1;
        report.records += 1;
        report.bytes += (FRAME_HEADER + len) as u64;
        report.last_lsn = report.last_lsn.max(record.lsn);
        apply(record)?;
        pos = body + len;
    }
    Ok(pos as u64)
}

/// What [`verify_file`] found in one log file.
pub(crate) struct FileCheck {
    pub records: u64,
    pub bytes: u64,
    /// A torn tail: (offset where valid records end, bytes after it).
    pub torn: Option<(u64, u64)>,
}

/// Checks one log file without changing it.
pub(crate) fn verify_file(path: &Path, first_lsn: u64, newest: bool) -> Result<FileCheck> {
    let bytes = std::fs::read(path).context(|| format!("read {}", path.display()))?;
    let mut report = ReplayReport::default();
    let end = read_file(path, first_lsn, &bytes, newest, &mut report, &mut |_| Ok(()))?;
    let len = bytes.len() as u64;
    Ok(FileCheck { records: report.records, bytes: len, torn: (end < len).then(|| (end, len - end)) })
}
