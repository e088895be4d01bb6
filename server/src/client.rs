//! The Rust client: one connection, one request at a time.

use crate::error::{Error, Result};
use crate::frame::Frame;
use crate::protocol::{Reply, Request, VERSION};
use seamdb::query::Table;
use std::io::{BufReader, BufWriter};
use std::net::{TcpStream, ToSocketAddrs};

/// A connection to `seam serve`.
#[derive(Debug)]
pub struct Client {
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
}

/// Largest reply accepted (query results can be large).
const MAX_REPLY: u64 = 1 << 30;

impl Client {
    /// Connects, says HELLO, and presents `token` if given.
    pub fn connect(addr: impl ToSocketAddrs, token: Option<&[u8]>) -> Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut client = Client { reader: BufReader::new(stream.try_clone()?), writer: BufWriter::new(stream) };
        match client.call(&Request::Hello { version: VERSION })? {
            Reply::Ready { .. } => {}
            other => return Err(Error::Unexpected(Box::new(other))),
        }
        if let Some(token) = token {
            client.expect_ok(&Request::Auth { token: token.to_vec() })?;
        }
        Ok(client)
    }

    /// Sends one request and reads its reply; an error frame becomes [`Error::Server`].
    pub fn call(&mut self, request: &Request) -> Result<Reply> {
        self.send(&request.to_frame())
    }

    fn send(&mut self, frame: &Frame) -> Result<Reply> {
        // A server that refuses a request before reading all of it (a frame over its limit)
        // answers and closes, so the write may fail; the reply, if it came, says why.
        let written = frame.write_to(&mut self.writer);
        let frame = match (written, Frame::read_from(&mut self.reader, MAX_REPLY)) {
            (_, Ok(Some(frame))) => frame,
            (Err(e), _) => return Err(e.into()),
            (Ok(()), Ok(None)) => return Err(Error::Closed),
            (Ok(()), Err(e)) => return Err(e),
        };
        match Reply::from_frame(&frame)? {
            Reply::Error { code, message } => Err(Error::Server { code, message }),
            reply => Ok(reply),
        }
    }

    fn expect_ok(&mut self, request: &Request) -> Result<()> {
        match self.call(request)? {
            Reply::Ok => Ok(()),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    pub fn ping(&mut self) -> Result<()> {
        match self.call(&Request::Ping)? {
            Reply::Pong => Ok(()),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    /// Runs a SeamQL statement.
    pub fn query(&mut self, text: &str) -> Result<Table> {
        self.table(&Request::Query(text.to_owned()))
    }

    pub fn trace(&mut self, trace_id: &str) -> Result<Table> {
        self.table(&Request::Trace(trace_id.to_owned()))
    }

    fn table(&mut self, request: &Request) -> Result<Table> {
        match self.call(request)? {
            Reply::Table(t) => Ok(t),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    /// Appends JSON Lines to `component`; returns when the rows are durable.
    pub fn append_json(&mut self, component: &str, rows: &[u8]) -> Result<u64> {
        match self.call(&Request::AppendJson { component: component.to_owned(), rows: rows.to_vec() })? {
            Reply::Appended(n) => Ok(n),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    /// Appends a batch of columns to `component` (the fast path); returns when durable.
    pub fn append_batch(&mut self, component: &str, batch: &seamdb::Batch) -> Result<u64> {
        match self.send(&Request::append_columns(component, batch))? {
            Reply::Appended(n) => Ok(n),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    /// Stores a whole file's events as `seam ingest` stores a file (the server's INGEST):
    /// whole or not at all, with `content_hash` (of the file's bytes) recorded in the same
    /// commit; refused if the component already holds that content unless `again`, and into a
    /// component the server does not have only with `create`. Returns the rows stored.
    pub fn ingest(&mut self, component: &str, batch: &seamdb::Batch, content_hash: u128, again: bool, create: bool) -> Result<u64> {
        match self.send(&Request::ingest(content_hash, again, create, component, batch))? {
            Reply::Appended(n) => Ok(n),
            other => Err(Error::Unexpected(Box::new(other))),
        }
    }

    pub fn flush(&mut self) -> Result<()> {
        self.expect_ok(&Request::Flush)
    }
}
