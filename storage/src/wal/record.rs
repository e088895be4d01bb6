//! WAL record framing and the batch payload codec (docs/FORMAT.md §WAL).
//!
//! A record is `len u32 | crc32 u32 | payload[len]`; the CRC covers the payload. One record
//! holds one whole batch, so a torn or damaged record drops the whole batch and never part
//! of it.

use crate::codec::{Put, Reader};
use crate::error::Result;
use crate::model::{Batch, Column, ColumnData, FieldType, Validity};
use crate::segment::code_width;

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
    out.put_str16(component);
    out.put_u64(batch.rows() as u64);
    out.put_u32(batch.fields.len() as u32);
    // Trace IDs that all fit in 64 bits (the usual case) are logged as u64: a quarter of
    // the bytes of a typical row.
    if batch.trace_ids.iter().all(|&id| id >> 64 == 0) {
        out.put_u8(8);
        out.extend(batch.trace_ids.iter().flat_map(|&id| (id as u64).to_le_bytes()));
    } else {
        out.put_u8(16);
        out.put_pod_slice(&batch.trace_ids);
    }
    out.put_pod_slice(&batch.times);
    for (name, column) in &batch.fields {
        out.put_str16(name);
        out.put_u8(column.data.field_type() as u8);
        out.put_u8(column.validity.is_some() as u8);
        if let Some(v) = &column.validity {
            out.put_pod_slice(v.words());
        }
        match &column.data {
            ColumnData::Float(v) => out.put_pod_slice(v),
            ColumnData::Int(v) => out.put_pod_slice(v),
            ColumnData::Bool(v) => out.put_pod_slice(v),
            ColumnData::Tag { dict, codes } => {
                out.put_u32(dict.len() as u32);
                for s in dict {
                    out.put_u32(s.len() as u32);
                    out.extend_from_slice(s.as_bytes());
                }
                match code_width(dict.len()) {
                    1 => out.extend(codes.iter().map(|&c| c as u8)),
                    2 => out.extend(codes.iter().flat_map(|&c| (c as u16).to_le_bytes())),
                    _ => out.put_pod_slice(codes),
                }
            }
        }
    }
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
    let component = r.str16("component name")?.to_owned();
    let rows64 = r.u64("row count")?;
    let rows = r.len(rows64, 24, "row count")?;
    let n_fields = r.u32("field count")?;
    let trace_ids = match r.u8("trace ID width")? {
        8 => r.pod_vec::<u64>(rows, "trace IDs")?.into_iter().map(u128::from).collect(),
        16 => r.pod_vec::<u128>(rows, "trace IDs")?,
        w => return Err(r.corrupt(format!("bad trace ID width {w}"))),
    };
    let times = r.pod_vec::<i64>(rows, "times")?;
    let mut fields = Vec::new();
    for _ in 0..n_fields {
        let name = r.str16("field name")?.to_owned();
        let code = r.u8("field type")?;
        let ty = FieldType::from_code(code).ok_or_else(|| r.corrupt(format!("unknown field type {code}")))?;
        let validity = match r.u8("validity flag")? {
            0 => None,
            1 => Some(Validity::from_words(r.pod_vec(rows.div_ceil(64), "validity")?, rows)),
            f => return Err(r.corrupt(format!("bad validity flag {f}"))),
        };
        let data = match ty {
            FieldType::Float => ColumnData::Float(r.pod_vec(rows, "float values")?),
            FieldType::Int => ColumnData::Int(r.pod_vec(rows, "int values")?),
            FieldType::Bool => ColumnData::Bool(r.pod_vec(rows, "bool values")?),
            FieldType::Tag => {
                let n = r.u32("dictionary size")?;
                let n = r.len(n as u64, 4, "dictionary size")?;
                let mut dict = Vec::with_capacity(n);
                for _ in 0..n {
                    let len = r.u32("tag length")?;
                    let len = r.len(len as u64, 1, "tag length")?;
                    let at = r.offset();
                    let bytes = r.take(len, "tag")?;
                    let s = std::str::from_utf8(bytes).map_err(|_| r.corrupt(format!("tag at {at} is not UTF-8")))?;
                    dict.push(s.to_owned());
                }
                let codes = match code_width(dict.len()) {
                    1 => r.take(rows, "tag codes")?.iter().map(|&c| c as u32).collect(),
                    2 => r.pod_vec::<u16>(rows, "tag codes")?.into_iter().map(u32::from).collect(),
                    _ => r.pod_vec(rows, "tag codes")?,
                };
                ColumnData::Tag { dict, codes }
            }
        };
        fields.push((name, Column::new(data, validity)));
    }
    if r.remaining() != 0 {
        return Err(r.corrupt(format!("{} unexpected bytes after the batch", r.remaining())));
    }
    let batch = Batch::new(trace_ids, times, fields).map_err(|e| r.corrupt(e.to_string()))?;
    Ok(BatchRecord { lsn, component, batch })
}
