//! Replaying the log at open. Records are checked frame by frame; a damaged or short record
//! at the end of the newest file, with no whole record after it, is a torn tail (the crash
//! interrupted a write, or a writer is writing it now) and is reported; the writer's open
//! cuts it. Damage anywhere else is an error that leaves the file untouched (`seam recover`
//! salvages it; see recover.rs).

use super::record::BatchRecord;
use super::scan::{self, Step};
use super::{list_files, HEADER_LEN};
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

/// Who else may be at the log while it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Replay {
    /// The writer's own open: nothing else writes. A torn tail is reported (for the caller to
    /// cut: [`cut_torn_tail`]); damage is an error.
    Owned,
    /// A reader's, beside a writer that may be appending, rotating and retiring files right
    /// now: a record out of sequence in an older file (a file reused while read) is
    /// [`Error::Changing`], and the reader starts over. (A bad frame with a whole record
    /// after it in the newest file may be pages read while being written: still damage here;
    /// the reader counts damage only when it finds it again, see db/read_only.rs.)
    Shared,
}

/// Reads every record in `dir` in order and hands each batch to `apply`. Changes nothing.
pub(crate) fn replay(dir: &Path, mode: Replay, mut apply: impl FnMut(BatchRecord) -> Result<()>) -> Result<ReplayReport> {
    let files = list_files(dir)?;
    let mut report = ReplayReport { files: files.len(), ..ReplayReport::default() };
    for (i, (first_lsn, path)) in files.iter().enumerate() {
        let newest = i + 1 == files.len();
        let bytes = std::fs::read(path).context(|| format!("read {}", path.display()))?;
        let valid_end = read_file(path, *first_lsn, &bytes, newest, mode, &mut report, &mut apply)?;
        if valid_end < bytes.len() as u64 {
            report.torn_tail = Some((path.clone(), valid_end, bytes.len() as u64 - valid_end));
        }
    }
    Ok(report)
}

/// Cuts off the torn tail that [`replay`] found, if any (a file with no whole header goes).
pub(crate) fn cut_torn_tail(report: &ReplayReport) -> Result<()> {
    match &report.torn_tail {
        Some((path, valid_end, _)) if *valid_end < HEADER_LEN as u64 => fs::remove(path),
        Some((path, valid_end, _)) => fs::truncate(path, *valid_end),
        None => Ok(()),
    }
}

/// Returns the offset where the valid records end. Only the newest file may end early, and
/// only in a torn tail: a bad frame with a whole, later record somewhere after it is damage
/// (see scan.rs). Records carry consecutive LSNs from the file's first; a record out of
/// sequence is a stale one of a reused file, and ends the valid log like a torn record does.
fn read_file(
    path: &Path,
    first_lsn: u64,
    bytes: &[u8],
    newest: bool,
    mode: Replay,
    report: &mut ReplayReport,
    apply: &mut impl FnMut(BatchRecord) -> Result<()>,
) -> Result<u64> {
    let shared = mode == Replay::Shared;
    let ends_here = |offset: usize, due: u64, what: String, out_of_sequence: bool| -> Result<u64> {
        if !newest {
            return Err(if shared && out_of_sequence {
                Error::changing(path, format!("{what} at offset {offset}: the file was reused while read"))
            } else {
                Error::corrupt(path, offset as u64, what)
            });
        }
        match scan::resync(path, bytes, offset.max(HEADER_LEN), due) {
            None => Ok(offset as u64),
            Some(next) => Err(Error::corrupt(
                path,
                offset as u64,
                format!(
                    "{what}, but {} follows at offset {}: damage, not a torn tail; `seam recover` keeps the records around it",
                    next.found, next.offset
                ),
            )),
        }
    };
    if !scan::header_ok(path, bytes)? {
        return ends_here(0, first_lsn, "missing or damaged log file header".into(), false);
    }
    let mut pos = HEADER_LEN;
    let mut due = first_lsn;
    while pos < bytes.len() {
        let (end, record) = match scan::step(path, bytes, pos, due)? {
            Step::Record { end, record } => (end, record),
            Step::Mark { end } => {
                report.bytes += (end - pos) as u64;
                pos = end;
                continue;
            }
            Step::OutOfSequence(what) => return ends_here(pos, due, what, true),
            Step::End(what) => return ends_here(pos, due, what, false),
        };
        due += 1;
        report.records += 1;
        report.bytes += (end - pos) as u64;
        report.last_lsn = report.last_lsn.max(record.lsn);
        apply(record)?;
        pos = end;
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

/// Checks one log file without changing it, as a reader beside a writer does.
pub(crate) fn verify_file(path: &Path, first_lsn: u64, newest: bool) -> Result<FileCheck> {
    let bytes = std::fs::read(path).context(|| format!("read {}", path.display()))?;
    let mut report = ReplayReport::default();
    let end = read_file(path, first_lsn, &bytes, newest, Replay::Shared, &mut report, &mut |_| Ok(()))?;
    let len = bytes.len() as u64;
    Ok(FileCheck { records: report.records, bytes: len, torn: (end < len).then(|| (end, len - end)) })
}
