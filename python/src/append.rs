//! Arrow record batches into one SeamDB `Batch`, column by column: `trace_id` (unsigned or
//! non-negative integers, or text in the forms SPEC §2 accepts), `time` (timestamps of any
//! unit, integers in microseconds, or RFC 3339 text) and fields (float, int, bool; text and
//! dictionaries as tags). Nulls come from Arrow's validity bitmaps, so NaN stays a value.
//!
//! numpy's fixed-width text (dtype `U`, UTF-32, and `S`, bytes) arrives as Arrow fixed-size
//! binary over numpy's own buffer, its field marked with [`NUMPY_TEXT`]
//! (`python/seamdb/_convert.py`): a tag column is then coded by hashing each row's raw bytes,
//! and only its distinct values are decoded, where pyarrow would build a string per row.

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use hashbrown::HashMap;
use seamdb::ingest::{parse_time, parse_trace_id, TraceIdMode};
use seamdb::storage::{Column, ColumnData, Validity};
use seamdb::Batch;
use std::borrow::Cow;

type Result<T> = std::result::Result<T, String>;

/// The field metadata key that marks a fixed-size binary column as numpy text; its value is
/// `U` (UTF-32, little-endian, 4 bytes a character) or `S` (bytes, read as UTF-8). Trailing
/// NULs are padding, as in numpy.
pub const NUMPY_TEXT: &str = "seamdb.numpy_text";

/// The rows of `batches` (all of `schema`) as one batch, stored whole or not at all.
pub fn to_batch(schema: &Schema, batches: &[RecordBatch]) -> Result<Batch> {
    let chunks = |i: usize| -> Vec<&ArrayRef> { batches.iter().map(|b| b.column(i)).collect() };
    let position = |name: &str| {
        schema.index_of(name).map_err(|_| {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            format!("no {name:?} column (columns: {})", names.join(", "))
        })
    };
    let (id, time) = (position("trace_id")?, position("time")?);
    let trace_ids = trace_ids(schema.field(id), &chunks(id))?;
    let times = times(schema.field(time), &chunks(time))?;
    let mut fields = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        if name == "trace_id" || name == "time" || *field.data_type() == DataType::Null {
            continue; // A column of nulls only says nothing: absent fields read null.
        }
        let column = column(field, &chunks(i)).map_err(|e| format!("field {name:?}: {e}"))?;
        fields.push((name.clone(), column));
    }
    Batch::new(trace_ids, times, fields).map_err(|e| e.to_string())
}

/// The `trace_id` column of `batches` (all of `schema`), as [`to_batch`] reads it.
pub fn trace_id_column(schema: &Schema, batches: &[RecordBatch]) -> Result<Vec<u128>> {
    let i = schema.index_of("trace_id").map_err(|_| "no \"trace_id\" column".to_string())?;
    trace_ids(schema.field(i), &batches.iter().map(|b| b.column(i)).collect::<Vec<_>>())
}

/// Trace IDs: integers as they are, text parsed (decimal, UUID or 32 hex digits).
fn trace_ids(field: &Field, chunks: &[&ArrayRef]) -> Result<Vec<u128>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        if chunk.logical_null_count() > 0 {
            return Err("trace_id has nulls: every event needs a trace ID".into());
        }
        if let Some(strings) = text(field, chunk.as_ref()) {
            for s in strings {
                out.push(parse_trace_id(s.as_deref().unwrap_or_default(), TraceIdMode::Strict).map_err(|e| format!("trace_id: {e}"))?);
            }
            continue;
        }
        match chunk.data_type() {
            // The common cases, without widening.
            DataType::UInt64 => {
                out.extend(chunk.as_primitive::<UInt64Type>().values().iter().map(|&v| u128::from(v)));
                continue;
            }
            DataType::Int64 if chunk.as_primitive::<Int64Type>().values().iter().all(|&v| v >= 0) => {
                out.extend(chunk.as_primitive::<Int64Type>().values().iter().map(|&v| v as u128));
                continue;
            }
            _ => {}
        }
        if let DataType::FixedSizeBinary(16) = chunk.data_type() {
            // 16 bytes, most significant first: a UUID's bytes.
            let bytes = chunk.as_fixed_size_binary();
            out.extend(bytes.iter().map(|b| b.map_or(0, |b| u128::from_be_bytes(b.try_into().unwrap_or_default()))));
            continue;
        }
        let ids = integers(chunk.as_ref())
            .ok_or_else(|| format!("trace_id is {}: give integers, or text (decimal, UUID or 32 hex digits)", chunk.data_type()))?;
        for id in ids {
            out.push(u128::try_from(id).map_err(|_| format!("trace_id {id} is negative"))?);
        }
    }
    Ok(out)
}

/// Times in microseconds: timestamps converted from their unit (a zone only changes how they
/// print), integers taken as microseconds, text as RFC 3339.
fn times(field: &Field, chunks: &[&ArrayRef]) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        if chunk.logical_null_count() > 0 {
            return Err("time has nulls: every event needs a time".into());
        }
        if let Some(strings) = text(field, chunk.as_ref()) {
            for s in strings {
                out.push(parse_time(s.as_deref().unwrap_or_default(), None).map_err(|e| format!("time: {e}"))?);
            }
            continue;
        }
        let per_us: i64 = match chunk.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => -1_000_000,
            DataType::Timestamp(TimeUnit::Millisecond, _) => -1_000,
            DataType::Timestamp(TimeUnit::Microsecond, _) => 1,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => 1_000,
            t if t.is_integer() => 1,
            t => return Err(format!("time is {t}: give timestamps, integers (microseconds) or RFC 3339 text")),
        };
        let values: Cow<'_, [i64]> = match chunk.data_type() {
            DataType::Timestamp(unit, _) => Cow::Borrowed(timestamps(chunk.as_ref(), *unit)),
            DataType::Int64 => Cow::Borrowed(chunk.as_primitive::<Int64Type>().values()),
            _ => integers(chunk.as_ref()).unwrap_or_default().into_iter().map(|v| i64::try_from(v).unwrap_or(i64::MAX)).collect(),
        };
        if per_us == 1 {
            out.extend_from_slice(&values);
            continue;
        }
        for &v in values.iter() {
            // Negative: a multiplier (coarser units); positive: a divisor (nanoseconds, floored).
            let us = if per_us < 0 { v.checked_mul(-per_us) } else { Some(v.div_euclid(per_us)) };
            out.push(us.ok_or_else(|| format!("time {v} is out of range"))?);
        }
    }
    Ok(out)
}

/// One field's chunks as a column of the type their Arrow type maps to.
fn column(field: &Field, chunks: &[&ArrayRef]) -> Result<Column> {
    let rows = chunks.iter().map(|c| c.len()).sum();
    let first = chunks.first().map(|c| c.data_type().clone()).unwrap_or(DataType::Null);
    let data = match &first {
        DataType::Float64 => {
            let mut values = Vec::with_capacity(rows);
            chunks.iter().for_each(|c| values.extend_from_slice(c.as_primitive::<Float64Type>().values()));
            ColumnData::Float(values)
        }
        DataType::Float32 => {
            ColumnData::Float(chunks.iter().flat_map(|c| c.as_primitive::<Float32Type>().values().iter().map(|&v| f64::from(v))).collect())
        }
        DataType::Int64 => {
            let mut values = Vec::with_capacity(rows);
            chunks.iter().for_each(|c| values.extend_from_slice(c.as_primitive::<Int64Type>().values()));
            ColumnData::Int(values)
        }
        DataType::Boolean => ColumnData::Bool(chunks.iter().flat_map(|c| c.as_boolean().values().iter().map(u8::from)).collect()),
        t if t.is_integer() => {
            let mut values = Vec::with_capacity(rows);
            for chunk in chunks {
                for v in integers(chunk.as_ref()).unwrap_or_default() {
                    values.push(i64::try_from(v).map_err(|_| format!("{v} does not fit an int (i64)"))?);
                }
            }
            ColumnData::Int(values)
        }
        _ => tags(field, chunks)
            .ok_or_else(|| format!("Arrow type {first} is not a SeamDB field type (float, int, bool, or text as a tag)"))?,
    };
    Ok(Column::new(data, validity(chunks)))
}

/// Text or dictionary-of-text chunks as one tag column, codes into one dictionary.
fn tags(field: &Field, chunks: &[&ArrayRef]) -> Option<ColumnData> {
    if let Some(encoding) = numpy_text(field) {
        return Some(numpy_tags(encoding, chunks));
    }
    let mut dict: Vec<String> = Vec::new();
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut code = |s: &str| -> u32 {
        if let Some(&c) = index.get(s) {
            return c;
        }
        dict.push(s.to_owned());
        index.insert(s.to_owned(), dict.len() as u32 - 1);
        dict.len() as u32 - 1
    };
    let mut codes = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        if let Some(d) = chunk.as_any_dictionary_opt() {
            // A dictionary's values are coded once; its keys then map through that table.
            let values: Vec<u32> = text(field, d.values().as_ref())?.map(|v| v.map_or(0, |v| code(&v))).collect();
            codes.extend(d.normalized_keys().into_iter().map(|k| values.get(k).copied().unwrap_or(0)));
        } else {
            codes.extend(text(field, chunk.as_ref())?.map(|v| v.map_or(0, |v| code(&v))));
        }
    }
    Some(ColumnData::Tag { dict, codes })
}

/// numpy text chunks as one tag column: rows coded by their raw bytes, and each distinct
/// value decoded once (two byte strings that decode alike, such as two invalid sequences,
/// share a code). Null rows, from a mask, get a code too; the validity mask hides it.
fn numpy_tags(encoding: u8, chunks: &[&ArrayRef]) -> ColumnData {
    let mut dict: Vec<String> = Vec::new();
    let mut by_text: HashMap<String, u32> = HashMap::new();
    let mut by_raw: HashMap<&[u8], u32> = HashMap::new();
    let mut codes = Vec::with_capacity(chunks.iter().map(|c| c.len()).sum());
    for chunk in chunks {
        let values = chunk.as_fixed_size_binary();
        let width = values.value_length() as usize;
        let raw = &values.value_data()[values.offset() * width..(values.offset() + values.len()) * width];
        codes.extend((0..values.len()).map(|i| {
            let value = &raw[i * width..(i + 1) * width];
            *by_raw.entry(value).or_insert_with(|| {
                let text = decode_numpy(encoding, value).into_owned();
                *by_text.entry(text).or_insert_with_key(|text| {
                    dict.push(text.clone());
                    dict.len() as u32 - 1
                })
            })
        }));
    }
    ColumnData::Tag { dict, codes }
}

/// The encoding [`NUMPY_TEXT`] gives a fixed-size binary field (`b'U'` or `b'S'`), if any.
fn numpy_text(field: &Field) -> Option<u8> {
    match (field.data_type(), field.metadata().get(NUMPY_TEXT).map(String::as_str)) {
        (DataType::FixedSizeBinary(_), Some("U")) => Some(b'U'),
        (DataType::FixedSizeBinary(_), Some("S")) => Some(b'S'),
        _ => None,
    }
}

/// One numpy text value without its NUL padding: UTF-32 decoded (an invalid code point as
/// U+FFFD), bytes read as UTF-8 (invalid sequences as U+FFFD).
fn decode_numpy(encoding: u8, raw: &[u8]) -> Cow<'_, str> {
    if encoding == b'S' {
        let end = raw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
        return String::from_utf8_lossy(&raw[..end]);
    }
    let chars = raw.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let end = chars.clone().rposition(|c| c != 0).map_or(0, |i| i + 1);
    Cow::Owned(chars.take(end).map(|c| char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER)).collect())
}

/// The null mask of the chunks together, or `None` when every row is present.
fn validity(chunks: &[&ArrayRef]) -> Option<Validity> {
    let masks: Vec<_> = chunks.iter().map(|c| c.logical_nulls()).collect();
    if masks.iter().all(|m| m.as_ref().is_none_or(|m| m.null_count() == 0)) {
        return None;
    }
    let mut validity = Validity::default();
    for (chunk, mask) in chunks.iter().zip(&masks) {
        match mask {
            Some(m) => {
                let words: Vec<u64> = m.inner().inner().bit_chunks(m.offset(), m.len()).iter_padded().collect();
                validity.extend_from(Some(&words), chunk.len());
            }
            None => validity.extend_from(None, chunk.len()),
        }
    }
    Some(validity)
}

/// The values of a text column (UTF-8, large UTF-8, string view, or numpy text as `field`
/// marks it), `None` for others.
fn text<'a>(field: &Field, array: &'a dyn Array) -> Option<Box<dyn Iterator<Item = Option<Cow<'a, str>>> + 'a>> {
    if let Some(encoding) = numpy_text(field) {
        let values = array.as_fixed_size_binary();
        return Some(Box::new(values.iter().map(move |v| v.map(|raw| decode_numpy(encoding, raw)))));
    }
    match array.data_type() {
        DataType::Utf8 => Some(Box::new(array.as_string::<i32>().iter().map(|v| v.map(Cow::Borrowed)))),
        DataType::LargeUtf8 => Some(Box::new(array.as_string::<i64>().iter().map(|v| v.map(Cow::Borrowed)))),
        DataType::Utf8View => Some(Box::new(array.as_string_view().iter().map(|v| v.map(Cow::Borrowed)))),
        _ => None,
    }
}

/// A timestamp column's values, in its unit.
fn timestamps(array: &dyn Array, unit: TimeUnit) -> &[i64] {
    match unit {
        TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
        TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
        TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
    }
}

/// An integer column's values widened to i128 (so that every width and sign fits), or
/// `None` for other types. Null rows hold whatever their slot holds.
fn integers(array: &dyn Array) -> Option<Vec<i128>> {
    fn widen<T: ArrowPrimitiveType>(array: &dyn Array) -> Vec<i128>
    where
        T::Native: Into<i128>,
    {
        array.as_primitive::<T>().values().iter().map(|&v| v.into()).collect()
    }
    Some(match array.data_type() {
        DataType::Int8 => widen::<Int8Type>(array),
        DataType::Int16 => widen::<Int16Type>(array),
        DataType::Int32 => widen::<Int32Type>(array),
        DataType::Int64 => widen::<Int64Type>(array),
        DataType::UInt8 => widen::<UInt8Type>(array),
        DataType::UInt16 => widen::<UInt16Type>(array),
        DataType::UInt32 => widen::<UInt32Type>(array),
        DataType::UInt64 => widen::<UInt64Type>(array),
        _ => return None,
    })
}
