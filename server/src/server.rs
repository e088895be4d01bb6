//! `seam serve`: a thread per connection over a shared [`Db`]. Appends from all connections
//! meet in the database's group commit, and a reply to an APPEND is sent only after
//! `Db::append` returns — that is, once the batch is durable under the database's
//! durability mode. Queries run on snapshots, so they never wait for appends.

use crate::error::Result;
use crate::frame::Frame;
use crate::metrics::{self, Endpoint, Kind, Metrics};
use crate::protocol::{ErrorCode, Reply, Request, VERSION};
use seamdb::ingest::{json_batch, IngestOptions};
use seamdb::query::ast::Statement;
use seamdb::Db;
use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the server listens and what it allows.
#[derive(Clone, Debug)]
pub struct Config {
    /// Loopback unless told otherwise.
    pub listen: SocketAddr,
    /// With a token, nothing but HELLO and AUTH is served before the client presents it.
    pub token: Option<Vec<u8>>,
    /// Largest frame accepted, in bytes after the length prefix.
    pub max_frame: u64,
    pub max_connections: usize,
    /// Request bytes all connections together may hold at once (frames being read or
    /// served); a frame that would go over gets `Busy` and its connection closes. With the
    /// frame limit this bounds what clients can make the server allocate.
    pub max_buffered: u64,
    /// Each request frame must arrive whole within this long of the previous reply (or of
    /// the connection's start); otherwise the connection is closed. This ends idle clients
    /// and bounds how long a client trickling bytes (slowloris) can hold a connection.
    pub idle_timeout: Duration,
    /// Where to answer Prometheus scrapes (`GET /metrics`), if anywhere.
    pub metrics: Option<SocketAddr>,
    /// The SLOs are judged again at most this often (and only after the database changed).
    pub judge_every: Duration,
    /// `(k, n)`: this database is shard `k` of `n` of one logical database, split by trace
    /// ID (`shard_of`, docs/DISTRIBUTED.md); appends holding another shard's trace are
    /// refused whole, so that a misrouted writer cannot split a trace across shards.
    pub shard: Option<(u32, u32)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:7878".parse().expect("a valid address"),
            token: None,
            max_frame: 64 << 20,
            max_connections: 256,
            max_buffered: 1 << 30,
            idle_timeout: Duration::from_secs(300),
            metrics: None,
            judge_every: Duration::from_secs(10),
            shard: None,
        }
    }
}

/// A bound server; [`Server::run`] serves until [`Stopper::stop`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    db: Arc<Db>,
    config: Config,
    stop: Arc<AtomicBool>,
    open: Arc<OpenConnections>,
    metrics: Metrics,
    http: Option<Endpoint>,
}

/// The open connections, so that a stop can end their waits for a next request.
#[derive(Debug, Default)]
struct OpenConnections(Mutex<HashMap<u64, TcpStream>>);

/// Stops a running server: it accepts no more connections, lets every connection finish the
/// request it is serving, flushes the database and returns from [`Server::run`].
#[derive(Clone, Debug)]
pub struct Stopper {
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
    open: Arc<OpenConnections>,
    http: Option<Endpoint>,
}

impl Stopper {
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // A connection waiting for its next request reads end-of-stream and closes; one
        // serving a request finishes it first, then sees the flag.
        for stream in self.open.0.lock().unwrap_or_else(|e| e.into_inner()).values() {
            let _ = stream.shutdown(Shutdown::Read);
        }
        // Wake the accept loop, and the metrics endpoint's.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(http) = &self.http {
            http.0.unblock();
        }
    }
}

impl Server {
    /// Binds the protocol's address and, with [`Config::metrics`], the metrics endpoint's.
    pub fn bind(db: Arc<Db>, config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(config.listen)?;
        let http = match config.metrics {
            Some(addr) => {
                Some(Endpoint(Arc::new(tiny_http::Server::http(addr).map_err(|e| io::Error::other(format!("metrics on {addr}: {e}")))?)))
            }
            None => None,
        };
        let metrics = Metrics::new(config.judge_every);
        Ok(Server { listener, db, config, stop: Arc::new(AtomicBool::new(false)), open: Arc::default(), metrics, http })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Where the metrics endpoint listens, if it does.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().and_then(|h| h.0.server_addr().to_ip())
    }

    pub fn stopper(&self) -> io::Result<Stopper> {
        Ok(Stopper { stop: self.stop.clone(), addr: self.local_addr()?, open: self.open.clone(), http: self.http.clone() })
    }

    /// Serves until stopped; then waits for open connections to finish their current
    /// request and flushes the database (whose failure is the error).
    pub fn run(self) -> Result<()> {
        let active = Arc::new(AtomicUsize::new(0));
        let buffered = Budget { held: AtomicU64::new(0), max: self.config.max_buffered };
        let mut next_id = 0u64;
        std::thread::scope(|s| {
            if let Some(http) = &self.http {
                let (db, metrics, stop) = (&*self.db, &self.metrics, &*self.stop);
                s.spawn(move || metrics::serve(&http.0, metrics));
                s.spawn(move || metrics::judge(db, metrics, stop));
            }
            for stream in self.listener.incoming() {
                if self.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                if active.load(Ordering::SeqCst) >= self.config.max_connections {
                    refuse(stream, ErrorCode::Busy, "the server is at its connection limit; try again later");
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                let id = next_id;
                next_id += 1;
                if let Ok(clone) = stream.try_clone() {
                    self.open.0.lock().unwrap_or_else(|e| e.into_inner()).insert(id, clone);
                }
                let active = active.clone();
                let (db, config, stop, open, buffered, metrics) =
                    (&*self.db, &self.config, &*self.stop, &*self.open, &buffered, &self.metrics);
                s.spawn(move || {
                    let _ = Connection { db, config, stop, buffered, metrics }.serve(stream);
                    open.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Ok(self.db.flush()?)
    }
}

/// Tells a client why it is turned away, and closes.
fn refuse(stream: TcpStream, code: ErrorCode, message: &str) {
    let mut w = BufWriter::new(stream);
    let _ = Reply::Error { code, message: message.into() }.to_frame().write_to(&mut w);
}

struct Connection<'s> {
    db: &'s Db,
    config: &'s Config,
    stop: &'s AtomicBool,
    buffered: &'s Budget,
    metrics: &'s Metrics,
}

/// Frames before HELLO (and AUTH, when a token is set) are tiny; a larger one is refused
/// before anything is allocated for it, so an unauthenticated client cannot make the server
/// hold a full-size frame.
const HANDSHAKE_FRAME_LIMIT: u64 = 64 << 10;

/// Request bytes held by all connections, against [`Config::max_buffered`].
#[derive(Debug)]
struct Budget {
    held: AtomicU64,
    max: u64,
}

impl Budget {
    fn take(&self, n: u64) -> bool {
        self.held.fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| (held + n <= self.max).then_some(held + n)).is_ok()
    }
}

/// Bytes taken from a [`Budget`], given back when dropped (after the request's reply).
struct Held<'b>(&'b Budget, u64);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.held.fetch_sub(self.1, Ordering::AcqRel);
    }
}

impl Connection<'_> {
    fn serve(&self, stream: TcpStream) -> io::Result<()> {
        stream.set_write_timeout(Some(self.config.idle_timeout))?;
        stream.set_nodelay(true)?;
        let socket = stream.try_clone()?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut writer = BufWriter::new(stream);
        let mut greeted = false;
        let mut authorized = self.config.token.is_none();
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let mut timed = Timed { inner: &mut reader, socket: &socket, deadline: Instant::now() + self.config.idle_timeout };
            let limit = if greeted && authorized { self.config.max_frame } else { HANDSHAKE_FRAME_LIMIT.min(self.config.max_frame) };
            let mut held = Held(self.buffered, 0);
            let read = Frame::read_admitted(&mut timed, limit, |length| {
                let taken = self.buffered.take(length);
                held.1 = if taken { length } else { 0 };
                taken
            });
            let frame = match read {
                Ok(Some(frame)) => frame,
                Ok(None) => return Ok(()),
                Err(e) => {
                    let reply = match e.code() {
                        ErrorCode::Timeout => {
                            error(ErrorCode::Timeout, format!("no complete request within {:?}", self.config.idle_timeout))
                        }
                        _ => e.reply(),
                    };
                    let _ = reply.to_frame().write_to(&mut writer);
                    return Ok(());
                }
            };
            let request = match Request::from_frame(&frame) {
                Ok(Some(r)) => r,
                Ok(None) => {
                    let message = format!("unknown request kind 0x{:02x}", frame.kind);
                    Reply::Error { code: ErrorCode::UnknownKind, message }.to_frame().write_to(&mut writer)?;
                    continue;
                }
                Err(e) => {
                    e.reply().to_frame().write_to(&mut writer)?;
                    return Ok(());
                }
            };
            // HELLO first, then AUTH if the server has a token; a broken sequence closes.
            let (reply, close) = match (request, greeted, authorized) {
                (Request::Hello { version }, false, _) if version == VERSION => {
                    greeted = true;
                    (Reply::Ready { version: VERSION, auth_required: !authorized }, false)
                }
                (Request::Hello { version }, false, _) => (
                    error(
                        ErrorCode::UnsupportedVersion,
                        format!("protocol version {version} is not spoken here; this server speaks {VERSION}"),
                    ),
                    true,
                ),
                (Request::Hello { .. }, true, _) => (error(ErrorCode::Sequence, "HELLO was already sent".into()), true),
                (_, false, _) => (error(ErrorCode::Sequence, "the first frame must be HELLO".into()), true),
                (Request::Auth { token }, true, _) => match &self.config.token {
                    Some(expected) if constant_time_eq(expected, &token) => {
                        authorized = true;
                        (Reply::Ok, false)
                    }
                    Some(_) => (error(ErrorCode::AuthFailed, "wrong token".into()), true),
                    None => (Reply::Ok, false),
                },
                (_, true, false) => (error(ErrorCode::AuthRequired, "this server needs AUTH with its token first".into()), true),
                (request, true, true) => (self.timed(request), false),
            };
            reply.to_frame().write_to(&mut writer)?;
            if close {
                return Ok(());
            }
        }
    }

    /// [`Connection::answer`], counted and timed for the metrics.
    fn timed(&self, request: Request) -> Reply {
        let kind = match &request {
            Request::AppendJson { .. } | Request::AppendColumns { .. } => Kind::Append,
            Request::Ingest { .. } => Kind::Ingest,
            Request::Query(_) => Kind::Query,
            Request::Trace(_) => Kind::Trace,
            _ => Kind::Other,
        };
        let start = Instant::now();
        let reply = self.answer(request).unwrap_or_else(|e| e.reply());
        let rows = if let Reply::Appended(n) = reply { n } else { 0 };
        self.metrics.served(kind, start.elapsed(), matches!(reply, Reply::Error { .. }), rows);
        reply
    }

    /// The reply to a request after the handshake; an error becomes its ERROR frame in one
    /// place, [`Error::code`](crate::Error::code).
    fn answer(&self, request: Request) -> Result<Reply> {
        Ok(match request {
            Request::Ping => Reply::Pong,
            Request::Query(text) => {
                let statement = seamdb::query::parse(&text)?;
                let table = seamdb::query::run(&statement, self.db);
                // Once the change is in (a judging that read the database before it would
                // otherwise count as having seen it).
                if statement.writes() {
                    self.metrics.changed();
                }
                Reply::Table(table?)
            }
            Request::Trace(id) => Reply::Table(seamdb::query::execute(&Statement::Trace(id), &self.db.snapshot())?),
            Request::AppendJson { component, rows } => {
                let batch = json_batch(self.db, &component, &rows, &IngestOptions::default())?;
                self.append(&component, batch)?
            }
            Request::AppendColumns { component, batch } => self.append(&component, batch)?,
            Request::Ingest { content_hash, again, create, component, batch } => {
                if let Some(refused) = self.misrouted(&batch) {
                    return Ok(refused);
                }
                let options = IngestOptions { again, create, ..IngestOptions::default() };
                let stored = seamdb::ingest::store(self.db, &component, batch, content_hash, &options);
                self.metrics.changed();
                Reply::Appended(stored?)
            }
            Request::Flush => {
                self.db.flush()?;
                Reply::Ok
            }
            Request::Hello { .. } | Request::Auth { .. } => error(ErrorCode::Sequence, "out of sequence".into()),
        })
    }

    /// Appends and answers once the batch is durable.
    fn append(&self, component: &str, batch: seamdb::Batch) -> Result<Reply> {
        if let Some(refused) = self.misrouted(&batch) {
            return Ok(refused);
        }
        let n = batch.rows() as u64;
        let appended = self.db.append(component, batch);
        self.metrics.changed();
        appended?;
        Ok(Reply::Appended(n))
    }
}

impl Connection<'_> {
    /// The refusal of a batch holding a trace of another shard than this server's, if it does.
    fn misrouted(&self, batch: &seamdb::Batch) -> Option<Reply> {
        let (k, n) = self.config.shard?;
        let (row, id) = batch.trace_ids().iter().enumerate().find(|(_, &id)| seamdb::storage::model::shard_of(id, n) != k)?;
        let theirs = seamdb::storage::model::shard_of(*id, n);
        Some(error(
            ErrorCode::Append,
            format!(
                "row {row}: trace {} belongs to shard {theirs} of {n}, and this server holds shard {k} (seam serve --shard {k}/{n}); nothing of this append was stored: route each row by shard_of(trace_id, {n})",
                seamdb::TraceId(*id)
            ),
        ))
    }
}

/// A reader that fails with `TimedOut` once `deadline` passes, however the bytes trickle in.
struct Timed<'r, R> {
    inner: &'r mut R,
    socket: &'r TcpStream,
    deadline: Instant,
}

impl<R: Read> Read for Timed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        self.socket.set_read_timeout(Some(left))?;
        self.inner.read(buf)
    }
}

fn error(code: ErrorCode, message: String) -> Reply {
    Reply::Error { code, message }
}

/// Compares without an early exit, so the time taken says nothing about where a guess went
/// wrong (the length, which is not secret here, does end it early).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
