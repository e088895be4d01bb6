//! Requests and replies: each frame kind's payload (docs/PROTOCOL.md §Messages). Integers are
//! little-endian; strings are UTF-8 with a length prefix where more follows them. Payloads
//! are read with the storage engine's byte [`Reader`], and APPEND_COLUMNS carries a batch in
//! the storage engine's own [`batch_codec`].

use crate::error::{Error, Result};
use crate::frame::Frame;
use seamdb::query::{Cell, Table};
use seamdb::storage::codec::Reader;
use seamdb::storage::model::batch_codec;
use seamdb::{Batch, FieldType};

/// The protocol version this build speaks. Version 2 (this one) carries APPEND_COLUMNS in the
/// WAL's batch layout and numbers TABLE column types as field types are numbered (float 1,
/// int 2); version 1 had a layout of its own and int 1, float 2 in TABLE.
pub const VERSION: u16 = 2;

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
    pub const INGEST: u8 = 0x09;

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
    /// A whole file's events (`seam ingest --remote`), stored as `seam ingest` stores a file:
    /// with the hash of its bytes, refused if the component holds that content unless
    /// `again`, and into a new component only with `create`.
    Ingest {
        content_hash: u128,
        again: bool,
        create: bool,
        component: String,
        batch: Batch,
    },
}

/// INGEST's flag bits.
mod flag {
    pub const AGAIN: u8 = 1;
    pub const CREATE: u8 = 2;
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
    /// INGEST of content the component already holds, without `again`.
    AlreadyIngested = 13,
    /// INGEST into a component the database does not have, without `create`.
    UnknownComponent = 14,
}

impl ErrorCode {
    pub fn from_u16(code: u16) -> Option<ErrorCode> {
        use ErrorCode::*;
        [
            Malformed,
            UnknownKind,
            UnsupportedVersion,
            AuthRequired,
            AuthFailed,
            Query,
            Append,
            Storage,
            TooLarge,
            Busy,
            Timeout,
            Sequence,
            AlreadyIngested,
            UnknownComponent,
        ]
        .into_iter()
        .find(|c| *c as u16 == code)
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
            Request::Ingest { content_hash, again, create, component, batch } => {
                Request::ingest(*content_hash, *again, *create, component, batch)
            }
        }
    }

    /// An INGEST frame straight from a borrowed batch: the hash and flags, then the batch
    /// as APPEND_COLUMNS carries it.
    pub fn ingest(content_hash: u128, again: bool, create: bool, component: &str, batch: &Batch) -> Frame {
        let mut payload = Vec::with_capacity(49 + batch.rows() * 24);
        payload.extend_from_slice(&content_hash.to_le_bytes());
        payload.push(if again { flag::AGAIN } else { 0 } | if create { flag::CREATE } else { 0 });
        batch_codec::encode(&mut payload, component, batch);
        Frame::new(kind::INGEST, payload)
    }

    /// An APPEND_COLUMNS frame straight from a borrowed batch (no copy of the batch).
    pub fn append_columns(component: &str, batch: &Batch) -> Frame {
        let mut payload = Vec::with_capacity(32 + batch.rows() * 24);
        batch_codec::encode(&mut payload, component, batch);
        Frame::new(kind::APPEND_COLUMNS, payload)
    }

    /// The request a frame holds; `Ok(None)` for a kind this version does not know.
    pub fn from_frame(f: &Frame) -> Result<Option<Request>> {
        Request::decode(f).map_err(Error::malformed)
    }

    fn decode(f: &Frame) -> seamdb::storage::Result<Option<Request>> {
        let mut r = Reader::payload(&f.payload);
        let request = match f.kind {
            kind::HELLO => Request::Hello { version: r.u16("HELLO's version")? },
            kind::AUTH => Request::Auth { token: r.rest().to_vec() },
            kind::PING => Request::Ping,
            kind::QUERY => Request::Query(rest_str(&mut r, "the query")?.to_owned()),
            kind::TRACE => Request::Trace(rest_str(&mut r, "the trace ID")?.to_owned()),
            kind::APPEND_JSON => {
                let component = r.str16("the component name")?.to_owned();
                Request::AppendJson { component, rows: r.rest().to_vec() }
            }
            kind::FLUSH => Request::Flush,
            // The batch codec reads to the end of the payload.
            kind::APPEND_COLUMNS => {
                let (component, batch) = batch_codec::decode(&mut r)?;
                Request::AppendColumns { component, batch }
            }
            kind::INGEST => {
                let content_hash = r.u128("INGEST's content hash")?;
                let flags = r.u8("INGEST's flags")?;
                if flags & !(flag::AGAIN | flag::CREATE) != 0 {
                    return Err(r.corrupt(format!("INGEST's flags {flags:#04x} hold an unknown bit")));
                }
                let (component, batch) = batch_codec::decode(&mut r)?;
                Request::Ingest { content_hash, again: flags & flag::AGAIN != 0, create: flags & flag::CREATE != 0, component, batch }
            }
            _ => return Ok(None),
        };
        r.finish("the request")?;
        Ok(Some(request))
    }
}

/// The rest of a payload, as UTF-8.
fn rest_str<'a>(r: &mut Reader<'a>, what: &str) -> seamdb::storage::Result<&'a str> {
    let n = r.remaining();
    r.str(n, what)
}

/// Column types of a TABLE reply: numbered as field types are (docs/FORMAT.md §Types), text
/// in the place of tags, and time after them.
mod column {
    use super::FieldType;
    pub const FLOAT: u8 = FieldType::Float as u8;
    pub const INT: u8 = FieldType::Int as u8;
    pub const BOOL: u8 = FieldType::Bool as u8;
    pub const TEXT: u8 = FieldType::Tag as u8;
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

    pub fn from_frame(f: &Frame) -> Result<Reply> {
        Reply::decode(f).map_err(Error::malformed)
    }

    fn decode(f: &Frame) -> seamdb::storage::Result<Reply> {
        let mut r = Reader::payload(&f.payload);
        let reply = match f.kind {
            kind::READY => Reply::Ready { version: r.u16("READY's version")?, auth_required: r.u8("READY's auth flag")? != 0 },
            kind::OK => Reply::Ok,
            kind::PONG => Reply::Pong,
            kind::TABLE => Reply::Table(decode_table(&mut r)?),
            kind::APPENDED => Reply::Appended(r.u64("APPENDED's row count")?),
            kind::ERROR => {
                let code = r.u16("the error code")?;
                let code = ErrorCode::from_u16(code).ok_or_else(|| r.corrupt(format!("unknown error code {code}")))?;
                Reply::Error { code, message: rest_str(&mut r, "the error message")?.to_owned() }
            }
            other => return Err(r.corrupt(format!("unknown reply kind 0x{other:02x}"))),
        };
        r.finish("the reply")?;
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

fn decode_table(c: &mut Reader<'_>) -> seamdb::storage::Result<Table> {
    let columns = c.u32("the column count")? as usize;
    let rows = c.u32("the row count")? as usize;
    // Every row takes at least one bit per column: refuse counts the payload cannot hold
    // (and rows without columns, which nothing bounds).
    if columns.saturating_mul(rows.div_ceil(8)) > c.remaining() || columns > c.remaining() || (columns == 0 && rows > 0) {
        return Err(c.corrupt("the table's counts exceed its payload"));
    }
    let mut names = Vec::with_capacity(columns);
    let mut data: Vec<Vec<Cell>> = Vec::with_capacity(columns);
    for _ in 0..columns {
        names.push(c.str16("a column name")?.to_owned());
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
                    let text = bytes.get(a..b).ok_or_else(|| c.corrupt("text offsets out of order"))?;
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
            other => return Err(c.corrupt(format!("unknown column type {other}"))),
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
            assert_eq!(
                Request::from_frame(&frame).unwrap(),
                Some(Request::AppendColumns { component: "inference".into(), batch: batch.clone() })
            );
            // Every cut of the payload is an error, never a panic.
            for cut in 0..frame.payload.len() {
                assert!(Request::from_frame(&Frame::new(kind::APPEND_COLUMNS, frame.payload[..cut].to_vec())).is_err(), "cut at {cut}");
            }
            // INGEST: the hash and flags, then the same batch.
            for (again, create) in [(false, false), (true, false), (false, true), (true, true)] {
                let ingest =
                    Request::Ingest { content_hash: u128::MAX - 7, again, create, component: "inference".into(), batch: batch.clone() };
                let frame = ingest.to_frame();
                assert_eq!(Request::from_frame(&frame).unwrap(), Some(ingest));
                for cut in (0..frame.payload.len()).step_by(7) {
                    assert!(Request::from_frame(&Frame::new(kind::INGEST, frame.payload[..cut].to_vec())).is_err(), "cut at {cut}");
                }
                let mut unknown_flag = frame.payload.clone();
                unknown_flag[16] |= 4;
                assert!(Request::from_frame(&Frame::new(kind::INGEST, unknown_flag)).is_err(), "an unknown flag bit is malformed");
            }
        }
    }

    /// TABLE column types and APPEND_COLUMNS field types are one numbering: float 1, int 2
    /// (version 1 had int 1, float 2 in TABLE).
    #[test]
    fn one_type_numbering_for_tables_and_batches() {
        let table = Table { columns: vec!["x".into(), "n".into()], rows: vec![vec![Cell::Float(0.5), Cell::Int(2)]] };
        let p = Reply::Table(table).to_frame().payload;
        // u32 columns, u32 rows; then per column a u16 name length, the name, the type, one
        // byte of validity and an 8-byte value.
        let (first, second) = (8 + 2 + 1, 8 + 2 + 1 + 1 + 1 + 8 + 2 + 1);
        assert_eq!((p[first], p[second]), (FieldType::Float as u8, FieldType::Int as u8));
        let mut b = seamdb::BatchBuilder::new();
        b.push(1, 0, &[("x", seamdb::Value::Float(0.5)), ("n", seamdb::Value::Int(2))]).unwrap();
        let Some(Request::AppendColumns { batch, .. }) = Request::from_frame(&Request::append_columns("c", &b.finish().unwrap())).unwrap()
        else {
            panic!("not APPEND_COLUMNS")
        };
        assert_eq!(batch.fields().iter().map(|(_, c)| c.data.field_type()).collect::<Vec<_>>(), [FieldType::Float, FieldType::Int]);
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
