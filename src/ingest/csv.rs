//! CSV with a header row: `trace_id`, `time` (or `ts`), then one column per field; an empty
//! cell is null. Fields not yet in the schema take the type inferred from the first chunk in
//! which they hold a value.

use super::text::{infer_type, looks_like_int, parse_bool, parse_number, parse_time, parse_trace_id};
use super::{conflict, IngestOptions, Sink};
use crate::error::{Error, Result};
use seamdb_storage::model::{valid_field_name, ColumnBuilder};
use seamdb_storage::{Batch, FieldType};
use std::io::Read;

struct Header {
    trace_id: usize,
    time: usize,
    /// (CSV column index, field name)
    fields: Vec<(usize, String)>,
    width: usize,
}

pub(super) fn read(sink: &mut Sink<'_, '_>, input: impl Read, o: &IngestOptions, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(1 << 20).from_reader(input);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(csv_error)? {
        return Err(Error::input(1, Some(1), "the input is empty: expected a header row naming trace_id, time and the fields"));
    }
    let header = header(&record)?;
    let mut records: Vec<csv::ByteRecord> = Vec::new();
    let mut builders: Vec<Option<ColumnBuilder>> = vec![None; header.fields.len()];
    loop {
        let mut n = 0;
        while n < o.chunk_rows {
            if n == records.len() {
                records.push(csv::ByteRecord::new());
            }
            if !reader.read_byte_record(&mut records[n]).map_err(csv_error)? {
                break;
            }
            n += 1;
        }
        if n == 0 {
            break;
        }
        chunk(sink, &header, &records[..n], &mut builders, o)?;
        sink.report.bytes = reader.position().byte();
        progress(sink.report.bytes);
        if n < o.chunk_rows {
            break;
        }
    }
    Ok(())
}

fn csv_error(e: csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::input(line, None, format!("{other:?}")),
    }
}

fn header(record: &csv::ByteRecord) -> Result<Header> {
    let mut names = Vec::new();
    for (i, cell) in record.iter().enumerate() {
        let name = std::str::from_utf8(cell).map_err(|_| Error::input(1, Some(i + 1), "column name is not valid UTF-8"))?.trim();
        if names.contains(&name) {
            return Err(Error::input(1, Some(i + 1), format!("column {name:?} appears twice")));
        }
        names.push(name);
    }
    let find = |options: &[&str]| names.iter().position(|n| options.contains(n));
    let trace_id = find(&["trace_id"]).ok_or_else(|| Error::input(1, None, "the header has no trace_id column"))?;
    let time = find(&["time", "ts"]).ok_or_else(|| Error::input(1, None, "the header has no time (or ts) column"))?;
    let mut fields = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if i == trace_id || i == time {
            continue;
        }
        if !valid_field_name(name) || *name == "ts" {
            return Err(Error::input(1, Some(i + 1), format!("{name:?} is not a valid field name")));
        }
        fields.push((i, name.to_string()));
    }
    Ok(Header { trace_id, time, fields, width: names.len() })
}

fn chunk(
    sink: &mut Sink<'_, '_>,
    h: &Header,
    records: &[csv::ByteRecord],
    builders: &mut [Option<ColumnBuilder>],
    o: &IngestOptions,
) -> Result<()> {
    // Types: the schema's, else inferred from this chunk; all-empty fields wait for a later chunk.
    for ((col, name), builder) in h.fields.iter().zip(builders.iter_mut()) {
        if builder.is_none() {
            let ty = sink.schema().field_type(name).or_else(|| {
                let cells = records.iter().filter_map(|r| r.get(*col)).map(|c| std::str::from_utf8(c).unwrap_or("\u{fffd}"));
                infer_type(cells)
            });
            *builder = ty.map(|t| ColumnBuilder::new(t, 0));
        }
    }
    let component = sink.component();
    let mut trace_ids = Vec::with_capacity(records.len());
    let mut times = Vec::with_capacity(records.len());
    for record in records {
        let line = record.position().map_or(0, |p| p.line());
        if let Err((column, message)) = row(h, record, builders, &component, o, &mut trace_ids, &mut times) {
            let kept = trace_ids.len();
            builders.iter_mut().flatten().for_each(|b| b.truncate(kept));
            sink.bad(line, column, message)?;
        }
    }
    let fields = h.fields.iter().zip(builders.iter_mut()).filter_map(|((_, name), b)| Some((name.clone(), b.as_mut()?.take()))).collect();
    sink.append(Batch::new(trace_ids, times, fields)?)
}

/// Parses one record into the builders; on error returns the (1-based) column and why.
fn row(
    h: &Header,
    record: &csv::ByteRecord,
    builders: &mut [Option<ColumnBuilder>],
    component: &str,
    o: &IngestOptions,
    trace_ids: &mut Vec<u128>,
    times: &mut Vec<i64>,
) -> std::result::Result<(), (Option<usize>, String)> {
    if record.len() != h.width {
        return Err((None, format!("expected {} fields, found {}", h.width, record.len())));
    }
    let text = |i: usize| std::str::from_utf8(&record[i]).map_err(|_| (Some(i + 1), "the value is not valid UTF-8".to_string()));
    let trace_id = parse_trace_id(text(h.trace_id)?, o.trace_ids).map_err(|e| (Some(h.trace_id + 1), e))?;
    let time = parse_time(text(h.time)?, o.time_unit).map_err(|e| (Some(h.time + 1), e))?;
    for ((col, name), builder) in h.fields.iter().zip(builders.iter_mut()) {
        let cell = text(*col)?;
        match builder {
            Some(b) => push_cell(b, cell)
                .map_err(|(expected, found)| (Some(col + 1), conflict(component, name, expected, &format!("{cell:?}"), found)))?,
            None if cell.is_empty() => {}
            // The field was empty in every row so far in this chunk; start it here.
            None => {
                let ty = infer_type(std::iter::once(cell)).unwrap_or(FieldType::Tag);
                let mut b = ColumnBuilder::new(ty, trace_ids.len());
                push_cell(&mut b, cell).map_err(|(e, f)| (Some(col + 1), conflict(component, name, e, cell, f)))?;
                *builder = Some(b);
            }
        }
    }
    for b in builders.iter_mut().flatten() {
        if b.len() == trace_ids.len() {
            b.push_null();
        }
    }
    trace_ids.push(trace_id);
    times.push(time);
    Ok(())
}

/// Pushes one cell by the column's type; on mismatch, (the column's type, the cell's kind).
fn push_cell(b: &mut ColumnBuilder, cell: &str) -> std::result::Result<(), (FieldType, &'static str)> {
    if cell.is_empty() {
        b.push_null();
        return Ok(());
    }
    let ty = b.field_type();
    let ok = match ty {
        FieldType::Float => match parse_number(cell) {
            Some(x) => b.push_float(x).is_ok(),
            None => is_nan(cell) && b.push_float(f64::NAN).is_ok(),
        },
        FieldType::Int => match cell.parse::<i64>() {
            Ok(i) if looks_like_int(cell) => b.push_int(i).is_ok(),
            _ => parse_number(cell).is_some_and(|x| b.push_float(x).is_ok()),
        },
        FieldType::Bool => parse_bool(cell).is_some_and(|x| b.push_bool(x).is_ok()),
        FieldType::Tag => b.push_tag(cell).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err((ty, infer_type(std::iter::once(cell)).map_or("a value", |t| t.name())))
    }
}

/// NaN input is null (SPEC §2).
fn is_nan(cell: &str) -> bool {
    cell.eq_ignore_ascii_case("nan")
}
