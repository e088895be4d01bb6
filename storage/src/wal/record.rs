//! WAL record framing (docs/FORMAT.md §WAL); the batch inside is [`batch_codec`]'s.
//!
//! A record is `len u32 | crc32 u32 | payload[len]`; the CRC covers the payload. One record
//! holds one whole batch, so a torn or damaged record drops the whole batch and never part
//! of it.

use crate::codec::{Put, Reader};
use crate::error::Result;
use crate::model::{batch_codec, Batch};

pub(crate) const FRAME_HEADER: usize = 8;
pub(crate) const KIND_BATCH: u8 = 1;
/// Largest payload accepted; bigger appends belong in a bulk load.
pub const MAX_RECORD_BYTES: usize = 1 << 30;

/// Appends a framed batch record to `out`.
pub(crate) fn encode_batch(out: &mut Vec<u8>, lsn: u64, component: &str, batch: &Batch) {
    let start = out.len();
    out.extend_from_slice(&[0u8; FRAME_HEADER]);
    out.put_u8(KIND_BATCH);
    out.put_u64(lsn);
    batch_codec::encode(out, component, batch);
    let payload = &out[start + FRAME_HEADER..];
    let len = (payload.len() as u32).to_le_bytes();
    let crc = crc32fast::hash(payload).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + 8].copy_from_slice(&crc);
}

/// A decoded batch record.
#[derive(Debug)]
pub(crate) struct BatchRecord {
    pub lsn: u64,
    pub component: String,
    pub batch: Batch,
}

/// Decodes a payload whose CRC has already been checked. `r` is positioned at the kind byte.
pub(crate) fn decode_batch(r: &mut Reader<'_>) -> Result<BatchRecord> {
    let kind = r.u8("record kind")?;
    if kind != KIND_BATCH {
        return Err(r.corrupt(format!("unknown record kind {kind}")));
    }
    let lsn = r.u64("lsn")?;
    let (component, batch) = batch_codec::decode(r)?;
    Ok(BatchRecord { lsn, component, batch })
}
