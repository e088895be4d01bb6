//! Requests and replies: each frame kind's payload (docs/PROTOCOL.md §Messages). Integers are
//! little-endian; strings are UTF-8 with a length prefix where more follows them.

use crate::frame::Frame;
use seamdb::query::{Cell, Table};
use seamdb::storage::{Column, ColumnData, Validity};
use seamdb::Batch;

/// The protocol version this build speaks.
pub const VERSION: u16 = 1;

/// Frame kinds. Requests are below 0x80, replies at or above.
pub mod kind {
    pub const HELLO: u8 = 0x01;
    pub const AUTH: u8 = 0x02;
    pub const PING: u8 = 0x03;
    pub const QUERY: u8 = 0x04;
    pub const TRACE: u8 = 0x05;
    pub const APPEND_JSON: u8 = 0x06;
    pub const FLUSH: u8 = 0x07;
    pub const APPEND_COLUMNS: u8 = 0x08;

    pub const READY: u8 = 0x81;
    pub const OK: u8 = 0x82;
    pub const PONG: u8 = 0x83;
    pub const TABLE: u8 = 0x84;
    pub const APPENDED: u8 = 0x85;
    pub const ERROR: u8 = 0xFF;
}

/// What a client asks.
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// The first frame of a connection: the client's protocol version.
    Hello {
        version: u16,
    },
    Auth {
        token: Vec<u8>,
    },
    Ping,
    /// A SeamQL statement.
    Query(String),
    /// `TRACE` of one trace ID, in any accepted form.
    Trace(String),
    /// Events of one component as JSON Lines (one object per line, as `seam ingest`).
    AppendJson {
        component: String,
        rows: Vec<u8>,
    },
    /// Make everything appended so far durable, whatever the durability mode.
    Flush,
    /// Events of one component as columns (the fast path; layout in docs/PROTOCOL.md).
    AppendColumns {
        component: String,
        batch: Batch,
    },
}

/// What the server answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Ready {
        version: u16,
        auth_required: bool,
    },
    Ok,
    Pong,
    Table(Table),
    /// Rows appended and durable.
    Appended(u64),
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// Error frames' codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u16)]
pub enum ErrorCode {
    /// Bytes that are not a frame, or a payload that does not match its kind.
    Malformed = 1,
    UnknownKind = 2,
    UnsupportedVersion = 3,
    /// A request other than HELLO or AUTH before a correct token.
    AuthRequired = 4,
    AuthFailed = 5,
    /// The statement did not parse or could not run.
    Query = 6,
    /// The rows could not be appended (the message says which line and why).
    Append = 7,
    /// The database failed (I/O, corruption).
    Storage = 8,
    TooLarge = 9,
    /// The server is at its connection limit, or holds its limit of buffered request bytes.
    Busy = 10,
    /// The connection was idle or too slow for too long.
    Timeout = 11,
    /// HELLO missing or sent twice.
    Sequence = 12,
}

impl ErrorCode {
    pub fn from_u16(code: u16) -> Option<ErrorCode> {
        use ErrorCode::*;
        [Malformed, UnknownKind, UnsupportedVersion, AuthRequired, AuthFailed, Query, Append, Storage, TooLarge, Busy, Timeout, Sequence]
            .into_iter()
            .find(|c| *c as u16 == code)
    }
}

/// A payload that does not match its kind.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

fn bad(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// Reads a payload front to back.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], Malformed> {
        if self.0.len() < n {
            return Err(bad(format!("payload ends inside {what}")));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, Malformed> {
        Ok(u16::from_le_bytes(self.take(2, what)?.try_into().expect("2 bytes")))
    }

    fn u32(&mut self, what: &str) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.take(4, what)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self, what: &str) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.take(8, what)?.try_into().expect("8 bytes")))
    }

    fn str(&mut self, n: usize, what: &str) -> Result<&'a str, Malformed> {
        std::str::from_utf8(self.take(n, what)?).map_err(|_| bad(format!("{what} is not UTF-8")))
    }

    fn rest_str(&mut self, what: &str) -> Result<&'a str, Malformed> {
        let n = self.0.len();
        self.str(n, what)
    }

    fn end(&self, what: &str) -> Result<(), Malformed> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad(format!("{} bytes after the end of {what}", self.0.len())))
        }
    }
}

impl Request {
    pub fn to_frame(&self) -> Frame {
        match self {
            Request::Hello { version } => Frame::new(kind::HELLO, version.to_le_bytes().to_vec()),
            Request::Auth { token } => Frame::new(kind::AUTH, token.clone()),
            Request::Ping => Frame::new(kind::PING, Vec::new()),
            Request::Query(text) => Frame::new(kind::QUERY, text.as_bytes().to_vec()),
            Request::Trace(id) => Frame::new(kind::TRACE, id.as_bytes().to_vec()),
            Request::AppendJson { component, rows } => {
                let mut p = (component.len() as u16).to_le_bytes().to_vec();
                p.extend_from_slice(component.as_bytes());
                p.extend_from_slice(rows);
                Frame::new(kind::APPEND_JSON, p)
            }
            Request::Flush => Frame::new(kind::FLUSH, Vec::new()),
            Request::AppendColumns { component, batch } => Request::append_columns(component, batch),
        }
    }

    /// An APPEND_COLUMNS frame straight from a borrowed batch (no copy of the batch).
    pub fn append_columns(component: &str, batch: &Batch) -> Frame {
        Frame::new(kind::APPEND_COLUMNS, encode_batch(component, batch))
    }

    /// The request a frame holds; `Ok(None)` for a kind this version does not know.
    pub fn from_frame(f: &Frame) -> Result<Option<Request>, Malformed> {
        let mut c = Cursor(&f.payload);
        let request = match f.kind {
            kind::HELLO => Request::Hello { version: c.u16("HELLO's version")? },
            kind::AUTH => return Ok(Some(Request::Auth { token: f.payload.clone() })),
            kind::PING => Request::Ping,
            kind::QUERY => Request::Query(c.rest_str("the query")?.to_owned()),
            kind::TRACE => Request::Trace(c.rest_str("the trace ID")?.to_owned()),
            kind::APPEND_JSON => {
                let n = c.u16("the component name's length")? as usize;
                let component = c.str(n, "the component name")?.to_owned();
                return Ok(Some(Request::AppendJson { component, rows: c.0.to_vec() }));
            }
            kind::FLUSH => Request::Flush,
            kind::APPEND_COLUMNS => {
                let (component, batch) = decode_batch(&mut c)?;
                Request::AppendColumns { component, batch }
            }
            _ => return Ok(None),
        };
        c.end("the request")?;
        Ok(Some(request))
    }
}

/// Field types of an APPEND_COLUMNS batch.
mod field {
    pub const FLOAT: u8 = 1;
    pub const INT: u8 = 2;
    pub const BOOL: u8 = 3;
    pub const TAG: u8 = 4;
}

/// `u16` component length, component, `u32` rows, `u8` trace-ID width (8 or 16 bytes), the
/// IDs, `i64` times (µs), `u16` fields, and per field: `u16` name length, name, `u8` type,
/// `u8` 1 if a validity follows (`ceil(rows / 64)` `u64` words, bit set = present), then
/// the values (`f64`, `i64` or a `u8` per row; for tags a `u32` dictionary size, each value
/// as `u16` length and bytes, then a `u32` code per row).
fn encode_batch(component: &str, batch: &Batch) -> Vec<u8> {
    let rows = batch.rows();
    let wide = batch.trace_ids().iter().any(|&id| id >> 64 != 0);
    let mut out = Vec::with_capacity(32 + rows * 40);
    out.extend_from_slice(&(component.len() as u16).to_le_bytes());
    out.extend_from_slice(component.as_bytes());
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    out.push(if wide { 16 } else { 8 });
    for &id in batch.trace_ids() {
        if wide {
            out.extend_from_slice(&id.to_le_bytes());
        } else {
            out.extend_from_slice(&(id as u64).to_le_bytes());
        }
    }
    batch.times().iter().for_each(|t| out.extend_from_slice(&t.to_le_bytes()));
    out.extend_from_slice(&(batch.fields().len() as u16).to_le_bytes());
    for (name, column) in batch.fields() {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(match column.data {
            ColumnData::Float(_) => field::FLOAT,
            ColumnData::Int(_) => field::INT,
            ColumnData::Bool(_) => field::BOOL,
            ColumnData::Tag { .. } => field::TAG,
        });
        match &column.validity {
            Some(v) => {
                out.push(1);
                v.words().iter().for_each(|w| out.extend_from_slice(&w.to_le_bytes()));
            }
            None => out.push(0),
        }
        match &column.data {
            ColumnData::Float(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            ColumnData::Int(v) => v.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes())),
            ColumnData::Bool(v) => out.extend_from_slice(v),
            ColumnData::Tag { dict, codes } => {
                out.extend_from_slice(&(dict.len() as u32).to_le_bytes());
                for value in dict {
                    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
                    out.extend_from_slice(value.as_bytes());
                }
                codes.iter().for_each(|c| out.extend_from_slice(&c.to_le_bytes()));
            }
        }
    }
    out
}

fn decode_batch(c: &mut Cursor<'_>) -> Result<(String, Batch), Malformed> {
    let n = c.u16("the component name's length")? as usize;
    let component = c.str(n, "the component name")?.to_owned();
    let rows = c.u32("the row count")? as usize;
    let width = c.u8("the trace-ID width")?;
    let ids: Vec<u128> = match width {
        8 => c
            .take(rows.saturating_mul(8), "the trace IDs")?
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8")) as u128)
            .collect(),
        16 => c
            .take(rows.saturating_mul(16), "the trace IDs")?
            .chunks_exact(16)
            .map(|b| u128::from_le_bytes(b.try_into().expect("16")))
            .collect(),
        other => return Err(bad(format!("trace-ID width {other} (8 or 16)"))),
    };
    let times: Vec<i64> = words(c.take(rows.saturating_mul(8), "the times")?).into_iter().map(|w| w as i64).collect();
    let fields = c.u16("the field count")? as usize;
    let mut columns = Vec::with_capacity(fields.min(1024));
    for _ in 0..fields {
        let n = c.u16("a field name's length")? as usize;
        let name = c.str(n, "a field name")?.to_owned();
        let ty = c.u8("a field type")?;
        let validity = match c.u8("a validity flag")? {
            0 => None,
            1 => Some(Validity::from_words(words(c.take(rows.div_ceil(64) * 8, "a validity")?), rows)),
            other => return Err(bad(format!("validity flag {other}"))),
        };
        let data = match ty {
            field::FLOAT => {
                ColumnData::Float(words(c.take(rows.saturating_mul(8), "float values")?).into_iter().map(f64::from_bits).collect())
            }
            field::INT => ColumnData::Int(words(c.take(rows.saturating_mul(8), "int values")?).into_iter().map(|w| w as i64).collect()),
            field::BOOL => ColumnData::Bool(c.take(rows, "bool values")?.to_vec()),
            field::TAG => {
                let size = c.u32("a dictionary size")? as usize;
                let mut dict = Vec::with_capacity(size.min(c.0.len() / 2));
                for _ in 0..size {
                    let n = c.u16("a tag value's length")? as usize;
                    dict.push(c.str(n, "a tag value")?.to_owned());
                }
                let codes = c
                    .take(rows.saturating_mul(4), "tag codes")?
                    .chunks_exact(4)
                    .map(|b| u32::from_le_bytes(b.try_into().expect("4")))
                    .collect();
                ColumnData::Tag { dict, codes }
            }
            other => return Err(bad(format!("field type {other}"))),
        };
        columns.push((name, Column::new(data, validity)));
    }
    c.end("the batch")?;
    let batch = Batch::new(ids, times, columns).map_err(|e| bad(e.to_string()))?;
    Ok((component, batch))
}

/// Little-endian 8-byte words.
fn words(bytes: &[u8]) -> Vec<u64> {
    bytes.chunks_exact(8).map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))).collect()
}

/// Column types of a TABLE reply.
mod column {
    pub const INT: u8 = 1;
    pub const FLOAT: u8 = 2;
    pub const BOOL: u8 = 3;
    pub const TEXT: u8 = 4;
    pub const TIME: u8 = 5;
}

impl Reply {
    pub fn to_frame(&self) -> Frame {
        match self {
            Reply::Ready { version, auth_required } => {
                let mut p = version.to_le_bytes().to_vec();
                p.push(*auth_required as u8);
                Frame::new(kind::READY, p)
            }
            Reply::Ok => Frame::new(kind::OK, Vec::new()),
            Reply::Pong => Frame::new(kind::PONG, Vec::new()),
            Reply::Table(t) => Frame::new(kind::TABLE, encode_table(t)),
            Reply::Appended(rows) => Frame::new(kind::APPENDED, rows.to_le_bytes().to_vec()),
            Reply::Error { code, message } => {
                let mut p = (*code as u16).to_le_bytes().to_vec();
                p.extend_from_slice(message.as_bytes());
                Frame::new(kind::ERROR, p)
            }
        }
    }

    pub fn from_frame(f: &Frame) -> Result<Reply, Malformed> {
        let mut c = Cursor(&f.payload);
        let reply = match f.kind {
            kind::READY => Reply::Ready { version: c.u16("READY's version")?, auth_required: c.u8("READY's auth flag")? != 0 },
            kind::OK => Reply::Ok,
            kind::PONG => Reply::Pong,
            kind::TABLE => Reply::Table(decode_table(&mut c)?),
            kind::APPENDED => Reply::Appended(c.u64("APPENDED's row count")?),
            kind::ERROR => {
                let code = c.u16("the error code")?;
                let code = ErrorCode::from_u16(code).ok_or_else(|| bad(format!("unknown error code {code}")))?;
                Reply::Error { code, message: c.rest_str("the error message")?.to_owned() }
            }
            other => return Err(bad(format!("unknown reply kind 0x{other:02x}"))),
        };
        c.end("the reply")?;
        Ok(reply)
    }
}

/// `u32 columns, u32 rows`, then per column: `u16` name length, name, `u8` type, validity
/// (`ceil(rows / 8)` bytes, bit set = present), values (`i64`/`f64` per row, `u8` per row for
/// bools, or for text `u32` offsets × (rows + 1) then the bytes). A column of ints and floats
/// is float; one mixing other kinds is text.
fn encode_table(t: &Table) -> Vec<u8> {
    let rows = t.rows.len();
    let mut out = Vec::new();
    out.extend_from_slice(&(t.columns.len() as u32).to_le_bytes());
    out.extend_from_slice(&(rows as u32).to_le_bytes());
    for (c, name) in t.columns.iter().enumerate() {
        let cells: Vec<&Cell> = t.rows.iter().map(|r| r.get(c).unwrap_or(&Cell::Null)).collect();
        let ty = column_type(&cells);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(ty);
        let mut validity = vec![0u8; rows.div_ceil(8)];
        for (r, cell) in cells.iter().enumerate() {
            if **cell != Cell::Null {
                validity[r / 8] |= 1 << (r % 8);
            }
        }
        out.extend_from_slice(&validity);
        match ty {
            column::TEXT => {
                let mut offsets = vec![0u32];
                let mut bytes = Vec::new();
                for cell in &cells {
                    if **cell != Cell::Null {
                        bytes.extend_from_slice(cell.text().as_bytes());
                    }
                    offsets.push(bytes.len() as u32);
                }
                offsets.iter().for_each(|o| out.extend_from_slice(&o.to_le_bytes()));
                out.extend_from_slice(&bytes);
            }
            _ => {
                for cell in &cells {
                    match (ty, cell) {
                        (column::FLOAT, Cell::Int(i)) => out.extend_from_slice(&(*i as f64).to_le_bytes()),
                        (_, Cell::Float(x)) => out.extend_from_slice(&x.to_le_bytes()),
                        (_, Cell::Int(i) | Cell::Time(i)) => out.extend_from_slice(&i.to_le_bytes()),
                        (_, Cell::Bool(b)) => out.push(*b as u8),
                        (column::BOOL, _) => out.push(0),
                        _ => out.extend_from_slice(&[0; 8]),
                    }
                }
            }
        }
    }
    out
}

fn column_type(cells: &[&Cell]) -> u8 {
    let mut ty = None;
    for cell in cells {
        let this = match cell {
            Cell::Null => continue,
            Cell::Int(_) => column::INT,
            Cell::Float(_) => column::FLOAT,
            Cell::Bool(_) => column::BOOL,
            Cell::Text(_) => column::TEXT,
            Cell::Time(_) => column::TIME,
        };
        ty = Some(match (ty, this) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(column::INT | column::FLOAT), column::INT | column::FLOAT) => column::FLOAT,
            _ => return column::TEXT,
        });
    }
    ty.unwrap_or(column::INT)
}

fn decode_table(c: &mut Cursor<'_>) -> Result<Table, Malformed> {
    let columns = c.u32("the column count")? as usize;
    let rows = c.u32("the row count")? as usize;
    // Every row takes at least one bit per column: refuse counts the payload cannot hold
    // (and rows without columns, which nothing bounds).
    if columns.saturating_mul(rows.div_ceil(8)) > c.0.len() || columns > c.0.len() || (columns == 0 && rows > 0) {
        return Err(bad("the table's counts exceed its payload"));
    }
    let mut names = Vec::with_capacity(columns);
    let mut data: Vec<Vec<Cell>> = Vec::with_capacity(columns);
    for _ in 0..columns {
        let n = c.u16("a column name's length")? as usize;
        names.push(c.str(n, "a column name")?.to_owned());
        let ty = c.u8("a column type")?;
        let validity = c.take(rows.div_ceil(8), "a column's validity")?;
        let valid = |r: usize| validity[r / 8] & (1 << (r % 8)) != 0;
        let mut cells = Vec::with_capacity(rows);
        match ty {
            column::TEXT => {
                let offsets: Vec<usize> = (0..=rows).map(|_| c.u32("a text offset").map(|o| o as usize)).collect::<Result<_, _>>()?;
                let total = *offsets.last().unwrap_or(&0);
                let bytes = c.str(total, "a text column")?;
                for r in 0..rows {
                    let (a, b) = (offsets[r], offsets[r + 1]);
                    let text = bytes.get(a..b).ok_or_else(|| bad("text offsets out of order"))?;
                    cells.push(if valid(r) { Cell::Text(text.to_owned()) } else { Cell::Null });
                }
            }
            column::BOOL => {
                for r in 0..rows {
                    let b = c.u8("a bool")? != 0;
                    cells.push(if valid(r) { Cell::Bool(b) } else { Cell::Null });
                }
            }
            column::INT | column::FLOAT | column::TIME => {
                for r in 0..rows {
                    let bits = c.u64("a value")?;
                    cells.push(match (valid(r), ty) {
                        (false, _) => Cell::Null,
                        (true, column::INT) => Cell::Int(bits as i64),
                        (true, column::FLOAT) => Cell::Float(f64::from_bits(bits)),
                        _ => Cell::Time(bits as i64),
                    });
                }
            }
            other => return Err(bad(format!("unknown column type {other}"))),
        }
        data.push(cells);
    }
    let table_rows = (0..rows).map(|r| data.iter().map(|col| col[r].clone()).collect()).collect();
    Ok(Table { columns: names, rows: table_rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_and_reply_round_trips() {
        let requests = [
            Request::Hello { version: VERSION },
            Request::Auth { token: b"secret".to_vec() },
            Request::Ping,
            Request::Query("SHOW COMPONENTS".into()),
            Request::Trace("42".into()),
            Request::AppendJson { component: "inference".into(), rows: b"{\"trace_id\":1,\"time\":0}\n".to_vec() },
            Request::Flush,
        ];
        for r in requests {
            assert_eq!(Request::from_frame(&r.to_frame()).unwrap(), Some(r));
        }
        let table = Table {
            columns: vec!["w".into(), "n".into(), "x".into(), "b".into(), "s".into(), "mixed".into()],
            rows: vec![
                vec![Cell::Time(5), Cell::Int(1), Cell::Float(0.5), Cell::Bool(true), Cell::Text("a".into()), Cell::Int(2)],
                vec![Cell::Null, Cell::Int(-7), Cell::Null, Cell::Bool(false), Cell::Null, Cell::Float(2.5)],
            ],
        };
        let replies = [
            Reply::Ready { version: VERSION, auth_required: true },
            Reply::Ok,
            Reply::Pong,
            Reply::Appended(123),
            Reply::Error { code: ErrorCode::Query, message: "line 1, column 8: expected FROM".into() },
        ];
        for r in replies {
            assert_eq!(Reply::from_frame(&r.to_frame()).unwrap(), r);
        }
        // Ints and floats in one column come back as floats.
        let Reply::Table(back) = Reply::from_frame(&Reply::Table(table.clone()).to_frame()).unwrap() else { panic!("not a table") };
        let mut want = table;
        want.rows[0][5] = Cell::Float(2.0);
        assert_eq!(back, want);
    }

    #[test]
    fn column_batches_round_trip() {
        use seamdb::{BatchBuilder, Value};
        for wide in [false, true] {
            let mut b = BatchBuilder::new();
            for i in 0..70u128 {
                let id = if wide { i << 70 | i } else { i };
                let score = if i % 7 == 0 { Value::Null } else { Value::Float(i as f64 / 10.0) };
                let fields = [
                    ("score", score),
                    ("n", Value::Int(i as i64 - 5)),
                    ("ok", Value::Bool(i % 2 == 0)),
                    ("c", Value::Tag(format!("t{}", i % 3))),
                ];
                b.push(id, i as i64 * 1000, &fields).unwrap();
            }
            let batch = b.finish().unwrap();
            let frame = Request::append_columns("inference", &batch);
            assert_eq!(Request::from_frame(&frame).unwrap(), Some(Request::AppendColumns { component: "inference".into(), batch }));
            // Every cut of the payload is an error, never a panic.
            for cut in 0..frame.payload.len() {
                assert!(Request::from_frame(&Frame::new(kind::APPEND_COLUMNS, frame.payload[..cut].to_vec())).is_err(), "cut at {cut}");
            }
        }
    }

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        assert!(Request::from_frame(&Frame::new(kind::HELLO, vec![1])).is_err());
        assert!(Request::from_frame(&Frame::new(kind::HELLO, vec![1, 0, 0])).is_err());
        assert!(Request::from_frame(&Frame::new(kind::QUERY, vec![0xff])).is_err());
        assert!(Request::from_frame(&Frame::new(kind::APPEND_JSON, vec![9, 0, b'a'])).is_err());
        assert_eq!(Request::from_frame(&Frame::new(0x7e, vec![])).unwrap(), None);
        assert!(Reply::from_frame(&Frame::new(kind::TABLE, vec![255, 255, 255, 255, 255, 255, 255, 255])).is_err());
        assert!(Reply::from_frame(&Frame::new(kind::ERROR, vec![99, 0])).is_err());
        // Found by the `frames` fuzz target: no columns and 2^32 − 1 rows once allocated a row
        // list of that length.
        assert!(Reply::from_frame(&Frame::new(kind::TABLE, vec![0, 0, 0, 0, 255, 255, 255, 255])).is_err());
    }
}
