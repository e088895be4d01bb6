//! One component's batch as bytes: the body of a WAL batch record (docs/FORMAT.md §WAL, from
//! `component` on) and, byte for byte, the payload of the server's APPEND_COLUMNS request
//! (docs/PROTOCOL.md). One codec for both, so the log and the wire cannot drift apart.

use crate::codec::{Put, Reader};
use crate::error::Result;
use crate::model::{Batch, Column, ColumnData, FieldType, Validity};
use crate::segment::code_width;

/// The fewest bytes a row takes (a 64-bit trace ID and a time): a row count that the bytes
/// left cannot hold at this rate is damage, refused before anything is allocated for it.
const MIN_ROW_BYTES: usize = 16;

/// Appends `component` and `batch` to `out`.
pub fn encode(out: &mut Vec<u8>, component: &str, batch: &Batch) {
    out.put_str16(component);
    out.put_u64(batch.rows() as u64);
    out.put_u32(batch.fields.len() as u32);
    // Trace IDs that all fit in 64 bits (the usual case) are written as u64: a quarter of
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
        encode_values(out, &column.data);
    }
}

fn encode_values(out: &mut Vec<u8>, data: &ColumnData) {
    match data {
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

/// Decodes what [`encode`] wrote, which must be the rest of `r`. Every error is
/// [`Error::Corrupt`](crate::Error::Corrupt) at the offset where the bytes went wrong; no input
/// panics or makes it allocate more than the bytes could hold.
pub fn decode(r: &mut Reader<'_>) -> Result<(String, Batch)> {
    let component = r.str16("component name")?.to_owned();
    let rows64 = r.u64("row count")?;
    let rows = r.len(rows64, MIN_ROW_BYTES, "row count")?;
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
        fields.push((name, Column::new(decode_values(r, ty, rows)?, validity)));
    }
    r.finish("the batch")?;
    let batch = Batch::new(trace_ids, times, fields).map_err(|e| r.corrupt(e.to_string()))?;
    Ok((component, batch))
}

fn decode_values(r: &mut Reader<'_>, ty: FieldType, rows: usize) -> Result<ColumnData> {
    Ok(match ty {
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
                dict.push(r.str(len, "tag")?.to_owned());
            }
            let codes = match code_width(dict.len()) {
                1 => r.take(rows, "tag codes")?.iter().map(|&c| c as u32).collect(),
                2 => r.pod_vec::<u16>(rows, "tag codes")?.into_iter().map(u32::from).collect(),
                _ => r.pod_vec(rows, "tag codes")?,
            };
            ColumnData::Tag { dict, codes }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BatchBuilder, Value};

    fn batch(wide: bool, fields: bool) -> Batch {
        let mut b = BatchBuilder::new();
        for i in 0..300u128 {
            let id = if wide { i << 70 | i } else { i };
            let score = if i % 7 == 0 { Value::Null } else { Value::Float(i as f64 / 10.0) };
            let values =
                [("score", score), ("n", Value::Int(i as i64 - 5)), ("ok", Value::Bool(i % 2 == 0)), ("c", Value::Tag(format!("t{i}")))];
            b.push(id, i as i64 * 1000, if fields { &values[..] } else { &[] }).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn batches_round_trip_and_every_cut_is_an_error() {
        for (wide, fields) in [(false, true), (true, true), (false, false)] {
            let batch = batch(wide, fields);
            let mut bytes = Vec::new();
            encode(&mut bytes, "inference", &batch);
            let back = decode(&mut Reader::payload(&bytes)).unwrap();
            assert_eq!(back, ("inference".to_owned(), batch));
            for cut in (0..bytes.len()).step_by(7) {
                assert!(decode(&mut Reader::payload(&bytes[..cut])).is_err(), "cut at {cut}");
            }
            bytes.push(0);
            assert!(decode(&mut Reader::payload(&bytes)).is_err(), "a byte too many");
        }
    }
}
