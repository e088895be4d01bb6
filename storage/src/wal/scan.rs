//! Telling a torn log tail from damage, and finding the whole records around damage
//! (docs/FORMAT.md §WAL, "Torn tail or damage").
//!
//! A crash can only tear the last record of the newest file: records are written one after
//! another at the end of the log. So a bad frame that is followed by a whole record carrying
//! a later LSN is not a torn tail but damage (a flipped bit, a bad sector), and cutting the
//! log there would throw away acknowledged records. So is a bad frame followed by a sync
//! mark covering its LSN: the mark was written after that record and before the fdatasync
//! that acknowledged it, which is how damage to the last record is told from a torn write.

use super::record::{decode_batch, decode_mark, is_batch, BatchRecord, FRAME_HEADER, KIND_MARK, KIND_TIMED_BATCH, MARK_PAYLOAD};
use super::{header_of, HEADER_LEN, MAGIC};
use crate::codec::Reader;
use crate::error::{Error, Result};
use std::path::Path;

/// The smallest frame a batch record can take: frame header, kind, LSN, an empty component
/// name, row count, field count, trace ID width.
const MIN_FRAME: usize = FRAME_HEADER + 1 + 8 + 2 + 8 + 4 + 1;
/// A sync mark's frame.
const MARK_FRAME: usize = FRAME_HEADER + MARK_PAYLOAD;

/// What starts at one offset of a log file.
pub(crate) enum Frame {
    /// A record with a good checksum, and the offset just past it.
    Whole { end: usize, record: BatchRecord },
    /// A sync mark covering every record up to `lsn`, and the offset just past it.
    Mark { end: usize, lsn: u64 },
    /// No whole record, and why.
    Bad(String),
}

/// Reads the frame at `pos`. A frame whose checksum holds but which does not decode is an
/// error: no crash writes one.
pub(crate) fn frame_at(path: &Path, bytes: &[u8], pos: usize) -> Result<Frame> {
    let Some(head) = bytes.get(pos..pos.saturating_add(FRAME_HEADER)) else {
        return Ok(Frame::Bad("record header cut short".into()));
    };
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let body = pos + FRAME_HEADER;
    if len > bytes.len() - body {
        return Ok(Frame::Bad(format!("record of {len} bytes runs past the end of the file")));
    }
    let payload = &bytes[body..body + len];
    if !crate::codec::crc_matches(payload, crc) {
        return Ok(Frame::Bad("record checksum mismatch".into()));
    }
    if let Some(lsn) = decode_mark(payload) {
        return Ok(Frame::Mark { end: body + len, lsn });
    }
    // Bytes can pass a checksum by chance — eight zero bytes are a frame of nothing with the
    // checksum of nothing, and a reused file's stale records are whole frames — so a payload
    // that does not decode is a bad frame like any other, not an error of its own.
    match decode_batch(&mut Reader::new(payload, body as u64, path)) {
        Ok(record) => Ok(Frame::Whole { end: body + len, record }),
        Err(e) => Ok(Frame::Bad(format!("a frame that is no record ({e})"))),
    }
}

/// What the log holds at an offset where LSN `due` is next.
pub(crate) enum Step {
    /// The record due, and the offset just past it.
    Record { end: usize, record: BatchRecord },
    /// A sync mark right after the records it covers (nothing to apply), and the offset past it.
    Mark { end: usize },
    /// A whole record or mark with another LSN: a stale one of a reused file (at the end of
    /// what was written into it), or the file was reused while being read. Ends the run.
    OutOfSequence(String),
    /// Anything else ends the run of records in sequence here: why.
    End(String),
}

/// The frame at `pos` judged against the sequence, the one rule replay and recover share:
/// records carry consecutive LSNs, a sync mark carries the LSN of the record before it.
pub(crate) fn step(path: &Path, bytes: &[u8], pos: usize, due: u64) -> Result<Step> {
    Ok(match frame_at(path, bytes, pos)? {
        // An LSN of 2^64 - 1 leaves no next LSN: never a record to keep.
        Frame::Whole { end, record } if record.lsn == due && due != u64::MAX => Step::Record { end, record },
        Frame::Whole { record, .. } => Step::OutOfSequence(format!("record with LSN {} where {due} was due", record.lsn)),
        Frame::Mark { end, lsn } if lsn.checked_add(1) == Some(due) => Step::Mark { end },
        Frame::Mark { lsn, .. } => {
            Step::OutOfSequence(format!("sync mark for LSN {lsn} after the record with LSN {}", due.wrapping_sub(1)))
        }
        Frame::Bad(what) => Step::End(what),
    })
}

/// Whether the file starts with a good header. A header of another format version is an
/// error: this build must not judge (or rewrite) such a file.
pub(crate) fn header_ok(path: &Path, bytes: &[u8]) -> Result<bool> {
    if bytes.len() >= HEADER_LEN && (super::OLDEST_VERSION..=super::VERSION).any(|v| bytes[..HEADER_LEN] == header_of(v)) {
        return Ok(true);
    }
    if bytes.len() >= 12 && &bytes[..8] == MAGIC {
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if !(super::OLDEST_VERSION..=super::VERSION).contains(&version) {
            return Err(Error::UnsupportedVersion { path: path.to_owned(), found: version, supported: super::VERSION });
        }
    }
    Ok(false)
}

/// A whole record, or a sync mark, found after a bad frame.
pub(crate) struct Resync {
    pub offset: usize,
    /// The LSN due at `offset`: the record's, or the one after the last the mark covers.
    pub next_lsn: u64,
    /// What was found, for messages.
    pub found: String,
}

/// Finds the first offset at or after `from` where a whole record with a plausible LSN
/// starts: at least `due` (the LSN the bad frame at `from` should have had) and at most
/// `due` plus as many records as fit between `from` and it. Stale records of a reused file
/// carry lower LSNs, so they never match; garbage would have to pass the kind byte, the LSN
/// window, the checksum and the decoder. Every byte offset is tried, so a damaged length
/// field cannot hide the records behind it; the kind and LSN test comes before any checksum,
/// which keeps the scan of a large file cheap. It runs only after a bad frame.
pub(crate) fn resync(path: &Path, bytes: &[u8], from: usize, due: u64) -> Option<Resync> {
    let last = (bytes.len() + 1).checked_sub(MARK_FRAME)?;
    for offset in from..last {
        let p = &bytes[offset + FRAME_HEADER..];
        if !is_batch(p[0]) && p[0] != KIND_MARK {
            continue;
        }
        let lsn = u64::from_le_bytes([p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8]]);
        let fit = ((offset - from) / MIN_FRAME) as u64;
        // An LSN of 2^64 - 1 leaves no next LSN: never a record to keep (see reader.rs). A
        // mark covers records before it, so it too names the LSN due at the bad frame or a
        // later one; a stale mark of a reused file names an earlier one.
        if lsn < due || lsn - due > fit || lsn == u64::MAX {
            continue;
        }
        match frame_at(path, bytes, offset) {
            Ok(Frame::Whole { record, .. }) => {
                return Some(Resync { offset, next_lsn: record.lsn, found: format!("a whole record (LSN {})", record.lsn) })
            }
            Ok(Frame::Mark { lsn, .. }) => {
                let found = format!("a sync mark saying that LSN {lsn} was written before a sync");
                return Some(Resync { offset, next_lsn: lsn + 1, found });
            }
            _ => {}
        }
    }
    None
}

/// A whole record of a scanned file, by position.
#[derive(Debug)]
pub(crate) struct Kept {
    pub offset: usize,
    pub end: usize,
    pub lsn: u64,
    pub rows: u64,
}

/// A stretch of a file with no whole record in sequence: from `offset` to `end`, where the
/// record with LSN `due` should have been.
#[derive(Debug)]
pub(crate) struct Gap {
    pub offset: usize,
    pub end: usize,
    pub due: u64,
    /// The LSN of the whole record at `end`, or `None` if the file ends in the gap.
    pub next_lsn: Option<u64>,
    pub what: String,
}

/// Every whole record of a file in LSN order, and the gaps between them.
#[derive(Debug, Default)]
pub(crate) struct FileScan {
    pub kept: Vec<Kept>,
    pub gaps: Vec<Gap>,
}

/// Scans a whole file, resynchronising after each bad frame (the salvage side of replay).
pub(crate) fn scan_file(path: &Path, first_lsn: u64, bytes: &[u8]) -> Result<FileScan> {
    let mut scan = FileScan::default();
    let mut due = first_lsn;
    let mut pos = HEADER_LEN;
    if !header_ok(path, bytes)? {
        pos = bad(path, bytes, 0, HEADER_LEN, due, "missing or damaged log file header".into(), &mut scan);
        due = scan.gaps.last().and_then(|g| g.next_lsn).unwrap_or(due);
    }
    while pos < bytes.len() {
        let what = match step(path, bytes, pos, due) {
            Ok(Step::Record { end, record }) => {
                scan.kept.push(Kept { offset: pos, end, lsn: due, rows: record.batch.rows() as u64 });
                pos = end;
                due += 1;
                continue;
            }
            Ok(Step::Mark { end }) => {
                pos = end;
                continue;
            }
            Ok(Step::End(what) | Step::OutOfSequence(what)) => what,
            Err(e) => e.to_string(),
        };
        pos = bad(path, bytes, pos, pos, due, what, &mut scan);
        due = scan.gaps.last().and_then(|g| g.next_lsn).unwrap_or(due);
    }
    Ok(scan)
}

/// Records a gap starting at `offset` (searching for the next record from `from`) and returns
/// where scanning goes on.
fn bad(path: &Path, bytes: &[u8], offset: usize, from: usize, due: u64, what: String, scan: &mut FileScan) -> usize {
    match resync(path, bytes, from, due) {
        Some(r) => {
            scan.gaps.push(Gap { offset, end: r.offset, due, next_lsn: Some(r.next_lsn), what });
            r.offset
        }
        None => {
            scan.gaps.push(Gap { offset, end: bytes.len(), due, next_lsn: None, what });
            bytes.len()
        }
    }
}

/// What can still be read of a lost record: its component and row count, from a payload
/// whose checksum failed (so unverified), if the frame chain up to it is intact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LostHead {
    pub lsn: u64,
    pub component: Option<String>,
    pub rows: Option<u64>,
}

/// The records with LSNs `gap.due..until` that `gap` held: no more than its bytes can hold
/// (for a gap at the end of a file, `until` is the next file's first LSN, which may be far
/// off in a hand-made log). Follows the frames' length fields from the start of the gap while
/// each payload begins like the record due there; the records past a frame that does not are
/// unknown.
pub(crate) fn lost_in(path: &Path, bytes: &[u8], gap: &Gap, until: u64) -> Vec<LostHead> {
    let until = until.min(gap.due.saturating_add((gap.end - gap.offset).div_ceil(MIN_FRAME) as u64));
    let mut pos = gap.offset.max(HEADER_LEN);
    let mut out = Vec::new();
    let mut readable = true;
    for lsn in gap.due..until {
        // A sync mark between records holds no batch: step over it.
        while let Some(end) = readable.then(|| mark_end(&bytes[..gap.end], pos)).flatten() {
            pos = end;
        }
        let head = if readable { read_head(path, &bytes[..gap.end], pos, lsn) } else { None };
        match head {
            Some((end, component, rows)) => {
                out.push(LostHead { lsn, component: Some(component), rows: Some(rows) });
                pos = end;
            }
            None => {
                readable = false;
                out.push(LostHead { lsn, component: None, rows: None });
            }
        }
    }
    out
}

/// The offset past the frame at `pos` if it looks like a sync mark (its checksum unchecked).
fn mark_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let frame = bytes.get(pos..pos.checked_add(MARK_FRAME)?)?;
    (frame[..4] == (MARK_PAYLOAD as u32).to_le_bytes() && frame[FRAME_HEADER] == KIND_MARK).then_some(pos + MARK_FRAME)
}

/// The component and row count of the frame at `pos`, if its length fits and its payload
/// starts with a batch header for `lsn`; and the offset past the frame.
fn read_head(path: &Path, bytes: &[u8], pos: usize, lsn: u64) -> Option<(usize, String, u64)> {
    let head = bytes.get(pos..pos.checked_add(FRAME_HEADER)?)?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = (pos + FRAME_HEADER).checked_add(len)?;
    let payload = bytes.get(pos + FRAME_HEADER..end)?;
    let mut r = Reader::new(payload, (pos + FRAME_HEADER) as u64, path);
    let kind = r.u8("kind").ok()?;
    if !is_batch(kind) || r.u64("lsn").ok()? != lsn {
        return None;
    }
    if kind == KIND_TIMED_BATCH {
        r.i64("arrival time").ok()?;
    }
    let component = r.str16("component").ok()?.to_owned();
    let rows = r.u64("rows").ok()?;
    Some((end, component, rows))
}
