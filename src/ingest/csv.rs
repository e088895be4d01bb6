//! CSV with a header row: `trace_id`, `time` (or `ts`), then one column per field; an empty
//! cell is null. Fields not yet in the schema take the type inferred from the first chunk in
//! which they hold a value.
//!
//! The input is cut into chunks of about [`IngestOptions::chunk_bytes`] at record boundaries
//! (newlines outside quotes). The first chunk is parsed alone, so that it fixes the types of
//! new fields; the others are parsed on two worker threads while this thread reads ahead and
//! hands the finished batches, in input order, to the bulk load.

use super::text::{infer_type, looks_like_int, parse_bool, parse_number, parse_time, read_trace_id};
use super::{conflict, IngestOptions, Sink};
use crate::error::{Error, Result};
use seamdb_storage::model::{valid_field_name, ColumnBuilder};
use seamdb_storage::{Batch, FieldType, Schema};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::mpsc;

const WORKERS: usize = 2;
/// Chunks read ahead of the oldest one not yet stored; bounds memory at about this many chunks.
const IN_FLIGHT: usize = 2 * WORKERS + 2;

struct Header {
    trace_id: usize,
    time: usize,
    /// (CSV column index, field name)
    fields: Vec<(usize, String)>,
    width: usize,
}

/// A bad row: (line within the chunk, 1-based; CSV column if known; why).
type BadRow = (u64, Option<usize>, String);

/// One parsed chunk.
struct Parsed {
    batch: Batch,
    /// Newlines in the chunk, to turn chunk-relative lines into file lines.
    lines: u64,
    bad: Vec<BadRow>,
    /// The parser failed on this chunk (a bug): the whole ingest fails.
    failed: bool,
}

pub(super) fn read(sink: &mut Sink<'_, '_>, input: impl Read, o: &IngestOptions, progress: &mut dyn FnMut(u64)) -> Result<()> {
    let mut chunks = Chunks::new(input, o.chunk_bytes.max(1));
    let Some(first) = chunks.next()? else {
        return Err(Error::input(1, Some(1), "the input is empty: expected a header row naming trace_id, time and the fields"));
    };
    let (header, header_len, header_lines) = header(&first)?;
    let component = sink.component();
    let mut line_base = header_lines;
    sink.report.bytes = header_len as u64;
    // The first chunk with rows, alone: it fixes the types of new fields.
    let mut rows = first[header_len..].to_vec();
    if rows.is_empty() {
        rows = chunks.next()?.unwrap_or_default();
    }
    if !rows.is_empty() {
        let parsed = parse_chunk(&rows, &header, sink.schema(), &component, o, &mut Vec::new());
        line_base = store(sink, parsed, line_base)?;
        sink.report.bytes += rows.len() as u64;
    }
    progress(sink.report.bytes);
    let schema = sink.schema().clone();
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(WORKERS);
    let work_rx = std::sync::Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Parsed, usize)>();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..WORKERS {
            let (work_rx, done_tx, header, schema, component) = (&work_rx, done_tx.clone(), &header, &schema, &component);
            scope.spawn(move || {
                let mut records = Vec::new();
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((seq, bytes))) = next else { return };
                    // A panic must not leave the reader waiting forever for this chunk.
                    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        parse_chunk(&bytes, header, schema, component, o, &mut records)
                    }))
                    .unwrap_or_else(|_| Parsed { batch: Batch::default(), lines: 0, bad: Vec::new(), failed: true });
                    if done_tx.send((seq, parsed, bytes.len())).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let (mut sent, mut stored) = (0u64, 0u64);
        let mut pending = BTreeMap::new();
        let mut input_done = false;
        let result = (|| -> Result<()> {
            loop {
                while !input_done && sent - stored < IN_FLIGHT as u64 {
                    match chunks.next()? {
                        Some(bytes) => {
                            if work_tx.send((sent, bytes)).is_err() {
                                break;
                            }
                            sent += 1;
                        }
                        None => input_done = true,
                    }
                }
                if stored == sent {
                    return Ok(());
                }
                let Ok((seq, parsed, len)) = done_rx.recv() else { return Ok(()) };
                pending.insert(seq, (parsed, len));
                while let Some((parsed, len)) = pending.remove(&stored) {
                    line_base = store(sink, parsed, line_base)?;
                    sink.report.bytes += len as u64;
                    progress(sink.report.bytes);
                    stored += 1;
                }
            }
        })();
        drop(work_tx); // workers finish their chunk and stop
        result
    })
}

/// Hands a parsed chunk to the load, reporting its bad rows at file lines; returns the line
/// count so far.
fn store(sink: &mut Sink<'_, '_>, parsed: Parsed, line_base: u64) -> Result<u64> {
    if parsed.failed {
        return Err(Error::input(line_base + 1, None, "internal error: the CSV parser failed on the chunk starting here"));
    }
    for (line, column, message) in parsed.bad {
        sink.bad(line_base + line, column, message)?;
    }
    if !parsed.batch.is_empty() {
        sink.append(parsed.batch)?;
    }
    Ok(line_base + parsed.lines)
}

/// Reads the input in chunks that end at a record boundary.
struct Chunks<R> {
    input: R,
    target: usize,
    carry: Vec<u8>,
    eof: bool,
}

impl<R: Read> Chunks<R> {
    fn new(input: R, target: usize) -> Self {
        Chunks { input, target, carry: Vec::new(), eof: false }
    }

    fn next(&mut self) -> Result<Option<Vec<u8>>> {
        let mut buf = std::mem::take(&mut self.carry);
        loop {
            if !self.eof && buf.len() < self.target {
                let want = self.target - buf.len();
                let start = buf.len();
                buf.resize(start + want.max(64 << 10).min(self.target.max(64 << 10)), 0);
                let n = read_full(&mut self.input, &mut buf[start..])?;
                buf.truncate(start + n);
                self.eof = n == 0;
                if !self.eof && buf.len() < self.target {
                    continue;
                }
            }
            if buf.is_empty() {
                return Ok(None);
            }
            if self.eof {
                return Ok(Some(buf));
            }
            match record_boundary(&buf, self.target) {
                Some(end) => {
                    self.carry = buf.split_off(end);
                    return Ok(Some(buf));
                }
                // One record longer than the target: read on.
                None => self.target *= 2,
            }
        }
    }
}

fn read_full(input: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Where to cut `buf`: just past the last record boundary within the first `target` bytes,
/// or, if there is none there, past the first boundary after them. A boundary is a newline
/// outside quotes; chunks always start outside quotes, so that is a newline preceded by an
/// even number of quotes in the chunk.
fn record_boundary(buf: &[u8], target: usize) -> Option<usize> {
    let target = target.min(buf.len());
    if memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', &buf[..target]).or_else(|| memchr::memchr(b'\n', &buf[target..]).map(|i| target + i)).map(|i| i + 1);
    }
    let mut in_quotes = false;
    let mut last = None;
    for (i, &b) in buf.iter().enumerate() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => {
                if i >= target {
                    return Some(last.unwrap_or(i) + 1);
                }
                last = Some(i);
            }
            _ => {}
        }
    }
    last.map(|i| i + 1)
}

/// Parses the header record at the start of `chunk`: the header, its length in bytes and lines.
fn header(chunk: &[u8]) -> Result<(Header, usize, u64)> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(chunk);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(|e| csv_error(e, 0))? {
        return Err(Error::input(1, Some(1), "the input is empty: expected a header row naming trace_id, time and the fields"));
    }
    let len = reader.position().byte() as usize;
    let lines = chunk[..len].iter().filter(|&&b| b == b'\n').count() as u64;
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
    Ok((Header { trace_id, time, fields, width: names.len() }, len, lines))
}

fn csv_error(e: csv::Error, line_base: u64) -> Error {
    let line = line_base + e.position().map_or(1, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Io(io),
        other => Error::input(line, None, format!("{other:?}")),
    }
}

/// Parses one chunk of whole records. Types come from `schema`, else are inferred from this
/// chunk. In strict mode parsing stops at the first bad row, which is the only one returned.
/// `pool` holds record buffers reused from chunk to chunk.
fn parse_chunk(bytes: &[u8], h: &Header, schema: &Schema, component: &str, o: &IngestOptions, pool: &mut Vec<csv::StringRecord>) -> Parsed {
    let lines = memchr::memchr_iter(b'\n', bytes).count() as u64;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut n = 0;
    let mut bad = Vec::new();
    loop {
        if n == pool.len() {
            pool.push(csv::StringRecord::new());
        }
        match reader.read_record(&mut pool[n]) {
            Ok(true) => n += 1,
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(1, |p| p.line());
                let column = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => Some(err.field() + 1),
                    _ => None,
                };
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the value is not valid UTF-8".to_string(),
                    other => format!("{other:?}"),
                };
                bad.push((line, column, message));
                if !o.skip_bad_rows {
                    return Parsed { batch: Batch::default(), lines, bad, failed: false };
                }
            }
        }
    }
    let records = &pool[..n];
    let mut builders: Vec<Option<ColumnBuilder>> = h
        .fields
        .iter()
        .map(|(col, name)| {
            let ty = schema.field_type(name).or_else(|| infer_type(records.iter().filter_map(|r| r.get(*col))));
            ty.map(|t| ColumnBuilder::new(t, 0))
        })
        .collect();
    let mut trace_ids = Vec::with_capacity(records.len());
    let mut times = Vec::with_capacity(records.len());
    for record in records {
        if let Err((column, message)) = row(h, record, &mut builders, component, o, &mut trace_ids, &mut times) {
            let kept = trace_ids.len();
            builders.iter_mut().flatten().for_each(|b| b.truncate(kept));
            bad.push((record.position().map_or(1, |p| p.line()), column, message));
            if !o.skip_bad_rows {
                break;
            }
        }
    }
    bad.sort_by_key(|b| b.0);
    let fields = h.fields.iter().zip(builders.iter_mut()).filter_map(|((_, name), b)| Some((name.clone(), b.as_mut()?.take()))).collect();
    // Columns are as long as the trace IDs by construction, so this cannot fail.
    let batch = Batch::new(trace_ids, times, fields).unwrap_or_default();
    Parsed { batch, lines, bad, failed: false }
}

/// Parses one record into the builders; on error returns the (1-based) column and why.
fn row(
    h: &Header,
    record: &csv::StringRecord,
    builders: &mut [Option<ColumnBuilder>],
    component: &str,
    o: &IngestOptions,
    trace_ids: &mut Vec<u128>,
    times: &mut Vec<i64>,
) -> std::result::Result<(), (Option<usize>, String)> {
    if record.len() != h.width {
        return Err((None, format!("expected {} fields, found {}", h.width, record.len())));
    }
    let trace_id = read_trace_id(&record[h.trace_id], o).map_err(|e| (Some(h.trace_id + 1), e))?;
    let time = parse_time(&record[h.time], o.time_unit).map_err(|e| (Some(h.time + 1), e))?;
    for ((col, name), builder) in h.fields.iter().zip(builders.iter_mut()) {
        let cell = &record[*col];
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
        FieldType::Float => parse_number(cell).is_some_and(|x| b.push_float(x).is_ok()),
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
