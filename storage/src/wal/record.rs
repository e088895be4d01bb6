//! WAL record framing (docs/FORMAT.md §WAL); the batch inside is [`batch_codec`]'s.
//!
//! A record is `len u32 | crc32 u32 | payload[len]`; the CRC covers the payload. One record
//! holds one whole batch, so a torn or damaged record drops the whole batch and never part
//! of it. A sync mark is a record with no batch: written just before each fdatasync, it
//! says that every record up to its LSN was written before that sync, so damage to a record
//! before a mark is bit rot, not a torn write (see scan.rs). A batch record of version 3
//! (kind 3) also carries when the batch arrived, so that a component's freshness survives
//! a restart and is seen by readers in other processes.

use crate::codec::{Put, Reader};
use crate::error::Result;
use crate::model::{batch_codec, Batch};

pub(crate) const FRAME_HEADER: usize = 8;
/// A batch without its arrival time (WAL versions 1 and 2; still read).
pub(crate) const KIND_BATCH: u8 = 1;
pub(crate) const KIND_MARK: u8 = 2;
/// A batch and the wall-clock time it arrived (WAL version 3).
pub(crate) const KIND_TIMED_BATCH: u8 = 3;
/// A sync mark's payload: kind and LSN.
pub(crate) const MARK_PAYLOAD: usize = 9;
/// Largest payload accepted; bigger appends belong in a bulk load.
pub const MAX_RECORD_BYTES: usize = 1 << 30;

/// Whether a payload's first byte is a batch record's kind. Both kinds start with the LSN.
pub(crate) fn is_batch(kind: u8) -> bool {
    kind == KIND_BATCH || kind == KIND_TIMED_BATCH
}

/// Appends a framed batch record to `out`, stamped with `arrival_us` (microseconds since the
/// Unix epoch, wall clock).
pub(crate) fn encode_batch(out: &mut Vec<u8>, lsn: u64, arrival_us: i64, component: &str, batch: &Batch) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEADER]);
    out.put_u8(KIND_TIMED_BATCH);
    out.put_u64(lsn);
    out.put_i64(arrival_us);
    batch_codec::encode(out, component, batch);
    let payload = &out[start + FRAME_HEADER..];
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32fast::hash(payload).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + 8].copy_from_slice(&crc);
}

/// Appends a framed sync mark covering every record up to `lsn` to `out`.
pub(crate) fn encode_mark(out: &mut Vec<u8>, lsn: u64) {
    let mut payload = [0u8; MARK_PAYLOAD];
    payload[0] = KIND_MARK;
    payload[1..].copy_from_slice(&lsn.to_le_bytes());
    out.extend_from_slice(&(MARK_PAYLOAD as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
}

/// The LSN of a sync mark's payload (checksum already checked), or `None` if the payload is
/// not a mark.
pub(crate) fn decode_mark(payload: &[u8]) -> Option<u64> {
    match payload {
        [KIND_MARK, lsn @ ..] if lsn.len() == 8 => Some(u64::from_le_bytes(lsn.try_into().ok()?)),
        _ => None,
    }
}

/// A decoded batch record.
#[derive(Debug)]
pub(crate) struct BatchRecord {
    pub lsn: u64,
    /// When the batch arrived (µs since the Unix epoch); `None` in a record of kind 1.
    pub arrival_us: Option<i64>,
    pub component: String,
    pub batch: Batch,
}

/// Decodes a payload whose CRC has already been checked. `r` is positioned at the kind byte.
pub(crate) fn decode_batch(r: &mut Reader<'_>) -> Result<BatchRecord> {
    let kind = r.u8("record kind")?;
    if !is_batch(kind) {
        return Err(r.corrupt(format!("unknown record kind {kind}")));
    }
    let lsn = r.u64("lsn")?;
    let arrival_us = if kind == KIND_TIMED_BATCH { Some(r.i64("arrival time")?) } else { None };
    let (component, batch) = batch_codec::decode(r)?;
    Ok(BatchRecord { lsn, arrival_us, component, batch })
}
