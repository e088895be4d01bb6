//! `seam serve` over TCP (SPEC §6): every request through a live server, every error path,
//! authentication, many clients at once, a graceful stop, and the hex examples of
//! docs/PROTOCOL.md.

use crate::support::{open, small_options, temp};
use seamdb::query::Cell;
use seamdb_server::frame::Frame;
use seamdb_server::protocol::{kind, ErrorCode, Reply, Request, VERSION};
use seamdb_server::{Client, Config, Error, Server};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

/// A server on an ephemeral loopback port, running on its own thread until dropped.
struct Running {
    addr: SocketAddr,
    metrics: Option<SocketAddr>,
    stopper: seamdb_server::Stopper,
    thread: Option<std::thread::JoinHandle<seamdb_server::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl Running {
    fn start(config: Config) -> Running {
        let dir = temp();
        let db = Arc::new(open(dir.path(), small_options()));
        let server = Server::bind(db, Config { listen: "127.0.0.1:0".parse().unwrap(), ..config }).unwrap();
        let (addr, stopper, metrics) = (server.local_addr().unwrap(), server.stopper().unwrap(), server.metrics_addr());
        Running { addr, metrics, stopper, thread: Some(std::thread::spawn(move || server.run())), _dir: dir }
    }

    fn stop(&mut self) {
        self.stopper.stop();
        if let Some(t) = self.thread.take() {
            t.join().unwrap().unwrap();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

fn rows(ids: std::ops::Range<u64>) -> Vec<u8> {
    ids.map(|i| format!("{{\"trace_id\": {i}, \"time\": \"2026-01-05T00:00:{:02}Z\", \"score\": 0.5, \"country\": \"US\"}}\n", i % 60))
        .collect::<String>()
        .into_bytes()
}

fn count(client: &mut Client) -> i64 {
    match &client.query("SELECT count() AS n FROM inference").unwrap().rows[0][0] {
        Cell::Int(n) => *n,
        other => panic!("count is {other:?}"),
    }
}

#[test]
fn every_request_works_through_a_live_server() {
    let server = Running::start(Config::default());
    let mut c = Client::connect(server.addr, None).unwrap();
    c.ping().unwrap();
    assert_eq!(c.append_json("inference", &rows(0..10)).unwrap(), 10);
    assert_eq!(count(&mut c), 10);
    let trace = c.trace("3").unwrap();
    assert_eq!(trace.rows.len(), 1);
    assert!(trace.columns.contains(&"inference.score".to_string()));
    // The columnar append, with a tag and nulls, lands like the JSON one.
    let mut b = seamdb::BatchBuilder::new();
    for i in 100..150u128 {
        let score = if i % 5 == 0 { seamdb::Value::Null } else { seamdb::Value::Float(0.25) };
        b.push(i, 1_767_571_200_000_000, &[("score", score), ("country", seamdb::Value::Tag("DE".into()))]).unwrap();
    }
    assert_eq!(c.append_batch("inference", &b.finish().unwrap()).unwrap(), 50);
    let t = c.query("SELECT count() AS n, count(score) AS k FROM inference WHERE country = 'DE'").unwrap();
    assert_eq!(t.rows, vec![vec![Cell::Int(50), Cell::Int(40)]]);
    c.flush().unwrap();
    // A query error is an error frame, and the connection goes on.
    match c.query("SELEC nonsense") {
        Err(Error::Server { code: ErrorCode::Query, message }) => assert!(message.contains("line 1"), "{message}"),
        other => panic!("{other:?}"),
    }
    // So is a bad row, with its line; nothing of that batch is stored.
    let mut bad = rows(10..12);
    bad.extend_from_slice(b"{\"trace_id\": 99, \"time\": \"yesterday\"}\n");
    match c.append_json("inference", &bad) {
        Err(Error::Server { code: ErrorCode::Append, message }) => assert!(message.contains("line 3"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&mut c), 60);
    // After both errors the connection still serves.
    assert_eq!(c.call(&Request::Ping).unwrap(), Reply::Pong);
}

/// Sends raw bytes on a fresh connection and returns the replies until the server closes.
fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<Reply> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server may answer and close before all the bytes are sent (it refuses an oversized
    // length at once): a failed write or shutdown then is the race, not the failure; the
    // replies are what the test judges.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut replies = Vec::new();
    while let Ok(Some(frame)) = Frame::read_from(&mut s, 1 << 20) {
        replies.push(Reply::from_frame(&frame).unwrap());
    }
    replies
}

fn hello() -> Vec<u8> {
    Request::Hello { version: VERSION }.to_frame().encode()
}

fn code(reply: &Reply) -> Option<ErrorCode> {
    match reply {
        Reply::Error { code, .. } => Some(*code),
        _ => None,
    }
}

#[test]
fn bad_frames_get_an_error_and_a_closed_connection_while_others_are_served() {
    let server = Running::start(Config { max_frame: 1024, ..Config::default() });
    let mut honest = Client::connect(server.addr, None).unwrap();
    let cases: Vec<(Vec<u8>, ErrorCode)> = vec![
        // Not HELLO first.
        (Request::Ping.to_frame().encode(), ErrorCode::Sequence),
        // A length prefix far over the limit.
        ([hello(), vec![0xff, 0xff, 0xff, 0x7f, kind::QUERY]].concat(), ErrorCode::TooLarge),
        // A frame cut short.
        ([hello(), vec![10, 0, 0, 0, kind::QUERY, b'S']].concat(), ErrorCode::Malformed),
        // An empty frame.
        ([hello(), vec![0, 0, 0, 0]].concat(), ErrorCode::Malformed),
        // A payload that does not match its kind.
        ([hello(), Frame::new(kind::QUERY, vec![0xff, 0xfe]).encode()].concat(), ErrorCode::Malformed),
        // Another protocol version.
        (Request::Hello { version: 99 }.to_frame().encode(), ErrorCode::UnsupportedVersion),
        // HELLO twice.
        ([hello(), hello()].concat(), ErrorCode::Sequence),
    ];
    for (bytes, expected) in cases {
        let replies = raw(server.addr, &bytes);
        assert_eq!(replies.last().and_then(code), Some(expected), "{bytes:02x?} gave {replies:?}");
    }
    // An unknown kind is answered and the connection stays open for the next request.
    let replies = raw(server.addr, &[hello(), Frame::new(0x70, vec![]).encode(), Request::Ping.to_frame().encode()].concat());
    assert_eq!(replies.iter().map(code).collect::<Vec<_>>(), vec![None, Some(ErrorCode::UnknownKind), None]);
    assert_eq!(replies[2], Reply::Pong);
    honest.ping().unwrap();
}

#[test]
fn what_clients_can_make_the_server_hold_is_bounded() {
    // Before HELLO a frame over 64 KiB is refused unread, whatever the frame limit.
    let server = Running::start(Config { max_buffered: 100 << 10, ..Config::default() });
    let big = Frame::new(kind::QUERY, vec![b' '; 70 << 10]).encode();
    assert_eq!(raw(server.addr, &big).last().and_then(code), Some(ErrorCode::TooLarge));
    // With the token set, also between HELLO and AUTH.
    let guarded = Running::start(Config { token: Some(b"t".to_vec()), ..Config::default() });
    assert_eq!(raw(guarded.addr, &[hello(), big.clone()].concat()).last().and_then(code), Some(ErrorCode::TooLarge));
    // After HELLO a frame within the frame limit but over what the server may still buffer
    // is answered Busy; the budget comes back, so the next client is served.
    let over = Frame::new(kind::QUERY, vec![b' '; 120 << 10]).encode();
    assert_eq!(raw(server.addr, &[hello(), over].concat()).last().and_then(code), Some(ErrorCode::Busy));
    let within = Request::Query("SHOW COMPONENTS".into()).to_frame().encode();
    let replies = raw(server.addr, &[hello(), within].concat());
    assert!(matches!(replies.last(), Some(Reply::Table(_))), "{replies:?}");
}

#[test]
fn a_token_guards_everything_but_hello_and_auth() {
    let server = Running::start(Config { token: Some(b"s3cret".to_vec()), ..Config::default() });
    let replies = raw(server.addr, &[hello(), Request::Ping.to_frame().encode()].concat());
    assert_eq!(replies[0], Reply::Ready { version: VERSION, auth_required: true });
    assert_eq!(code(&replies[1]), Some(ErrorCode::AuthRequired));
    match Client::connect(server.addr, Some(b"guess")) {
        Err(Error::Server { code: ErrorCode::AuthFailed, .. }) => {}
        other => panic!("{other:?}"),
    }
    let mut c = Client::connect(server.addr, Some(b"s3cret")).unwrap();
    c.ping().unwrap();
}

#[test]
fn a_shard_server_refuses_appends_holding_another_shards_traces() {
    use seamdb::storage::model::shard_of;
    let server = Running::start(Config { shard: Some((1, 3)), ..Config::default() });
    let mut c = Client::connect(server.addr, None).unwrap();
    let (mine, theirs): (Vec<u64>, Vec<u64>) = (0..60).partition(|&i| shard_of(i as u128, 3) == 1);
    let json = |ids: &[u64]| ids.iter().flat_map(|&i| rows(i..i + 1)).collect::<Vec<u8>>();
    assert_eq!(c.append_json("inference", &json(&mine)).unwrap(), mine.len() as u64);
    // One row of another shard among this shard's: the whole append is refused, by JSON
    // and by columns, and says which row and where it belongs.
    let mixed = [&mine[..3], &theirs[..1]].concat();
    for refused in [c.append_json("inference", &json(&mixed)), c.append_batch("inference", &json_to_batch(&json(&mixed)))] {
        match refused {
            Err(Error::Server { code: ErrorCode::Append, message }) => {
                let want = format!("row 3: trace {} belongs to shard {} of 3", theirs[0], shard_of(theirs[0] as u128, 3));
                assert!(message.contains(&want) && message.contains("--shard 1/3"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(count(&mut c), mine.len() as i64, "nothing of a refused append is stored");
}

/// JSON Lines rows as the batch the server would make of them.
fn json_to_batch(rows: &[u8]) -> seamdb::Batch {
    let dir = temp();
    let db = open(dir.path(), small_options());
    seamdb::ingest::json_batch(&db, "inference", rows, &Default::default()).unwrap()
}

#[test]
fn many_clients_append_and_query_at_once_and_every_acknowledged_row_is_there() {
    let mut server = Running::start(Config::default());
    let clients = 64u64;
    std::thread::scope(|s| {
        for k in 0..clients {
            let addr = server.addr;
            s.spawn(move || {
                let mut c = Client::connect(addr, None).unwrap();
                for round in 0..5u64 {
                    let base = (k * 5 + round) * 20;
                    assert_eq!(c.append_json("inference", &rows(base..base + 20)).unwrap(), 20);
                    if k % 2 == 0 {
                        assert!(count(&mut c) >= 20);
                    }
                }
            });
        }
    });
    let mut c = Client::connect(server.addr, None).unwrap();
    assert_eq!(count(&mut c) as u64, clients * 5 * 20);
    drop(c);
    // A stop ends idle connections and returns once the database is flushed.
    let idle = Client::connect(server.addr, None).unwrap();
    server.stop();
    drop(idle);
}

/// The hex examples in docs/PROTOCOL.md are these frames' bytes.
#[test]
fn protocol_doc_examples_are_the_real_bytes() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let hex = |f: Frame| f.encode().iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
    let examples = [
        Request::Hello { version: VERSION }.to_frame(),
        Request::Auth { token: b"s3cret".to_vec() }.to_frame(),
        Request::Ping.to_frame(),
        Request::Query("SHOW COMPONENTS".into()).to_frame(),
        Request::Trace("42".into()).to_frame(),
        Request::AppendJson { component: "fb".into(), rows: b"{\"trace_id\":1,\"time\":0,\"label\":1}\n".to_vec() }.to_frame(),
        Request::Flush.to_frame(),
        Request::append_columns("fb", &{
            let mut b = seamdb::BatchBuilder::new();
            b.push(1, 0, &[("label", seamdb::Value::Int(1))]).unwrap();
            b.finish().unwrap()
        }),
        Reply::Ready { version: VERSION, auth_required: false }.to_frame(),
        Reply::Ok.to_frame(),
        Reply::Pong.to_frame(),
        Reply::Appended(3).to_frame(),
        Reply::Error { code: ErrorCode::AuthFailed, message: "wrong token".into() }.to_frame(),
        Reply::Table(seamdb::query::Table { columns: vec!["n".into()], rows: vec![vec![Cell::Int(2)]] }).to_frame(),
    ];
    for frame in examples {
        let h = hex(frame.clone());
        assert!(doc.contains(&h), "docs/PROTOCOL.md lacks the bytes of {frame:?}:\n{h}");
    }
}

/// `seam serve` itself: it serves (also `seam query --remote`), and SIGTERM makes it flush and exit 0 with every
/// acknowledged row on disk.
#[test]
fn seam_serve_stops_cleanly_on_sigterm() {
    let dir = temp();
    let db = dir.path().join("db");
    let (mut child, addr, mut client) = serve_process(&db);
    assert_eq!(client.append_json("inference", &rows(0..25)).unwrap(), 25);
    let out = crate::support::seam()
        .args(["query", "-", "SELECT count() AS n FROM inference", "--format", "csv", "--remote", &addr.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n25\n");
    // SIGTERM without unsafe code of ours or a `kill` binary (procps may be missing on a
    // bare machine; Python is there, for the client's tests).
    let sent = std::process::Command::new("python3")
        .args(["-c", &format!("import os, signal; os.kill({}, signal.SIGTERM)", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "seam serve exited with {status}");
    drop(client);
    let db = seamdb::Db::open(&db).unwrap();
    assert_eq!(db.snapshot().component("inference").unwrap().rows(), 25);
}

/// A loop that SIGKILLs `seam serve` while a client appends: after every restart, each row
/// whose batch was acknowledged is there (`SEAM_SERVER_KILL_ITERATIONS`, default 5).
#[test]
fn acknowledged_appends_survive_sigkill_of_the_server() {
    let iterations: u64 = std::env::var("SEAM_SERVER_KILL_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let dir = temp();
    let db = dir.path().join("db");
    let acked = std::sync::atomic::AtomicU64::new(0);
    for it in 0..iterations {
        let (mut child, _, mut client) = serve_process(&db);
        // Everything acknowledged before this start is there.
        let before = acked.load(std::sync::atomic::Ordering::SeqCst);
        if before > 0 {
            let present = count(&mut client) as u64;
            assert!(present >= before, "iteration {it}: {present} rows after restart, {before} acknowledged");
        }
        std::thread::scope(|s| {
            let acked = &acked;
            s.spawn(move || loop {
                let first = acked.load(std::sync::atomic::Ordering::SeqCst);
                match client.append_json("inference", &rows(first..first + 100)) {
                    Ok(n) => {
                        acked.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
                    }
                    Err(_) => break,
                }
            });
            std::thread::sleep(Duration::from_millis(30 + 17 * (it % 5)));
            child.kill().unwrap();
            child.wait().unwrap();
        });
    }
    // Every acknowledged trace ID, exactly the IDs handed out in order, is stored.
    let total = acked.load(std::sync::atomic::Ordering::SeqCst);
    assert!(total > 0, "nothing was acknowledged");
    let db = seamdb::Db::open(&db).unwrap();
    let snap = db.snapshot();
    let mut ids: Vec<u128> = snap.component("inference").unwrap().parts().flat_map(|p| p.trace_ids().to_vec()).collect();
    ids.sort_unstable();
    ids.dedup();
    for id in 0..total as u128 {
        assert!(ids.binary_search(&id).is_ok(), "acknowledged trace {id} is missing ({total} acknowledged)");
    }
}

/// `seam serve DB` as a child process on a free loopback port, and a client connected to it.
fn serve_process(db: &std::path::Path) -> (std::process::Child, SocketAddr, Client) {
    serve_process_with(db, &[])
}

/// `seam serve DB` with `args` added, and a client connected to it.
pub(crate) fn serve_process_with(db: &std::path::Path, args: &[&str]) -> (std::process::Child, SocketAddr, Client) {
    // A free port: bind, note it, let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut child = crate::support::seam()
        .args(["serve", db.to_str().unwrap(), "--listen", &addr.to_string()])
        .args(args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..400 {
        if let Ok(client) = Client::connect(addr, None) {
            return (child, addr, client);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("seam serve did not come up on {addr}");
}

#[test]
fn slow_and_surplus_clients_are_turned_away_while_others_are_served() {
    let server = Running::start(Config { idle_timeout: Duration::from_millis(1000), max_connections: 3, ..Config::default() });
    // A client trickling a frame a byte at a time gets Timeout once the frame is overdue,
    // although no single pause is long.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slow.write_all(&hello()).unwrap();
    let ready = Frame::read_from(&mut slow, 1 << 20).unwrap().unwrap();
    assert_eq!(ready.kind, kind::READY);
    let start = std::time::Instant::now();
    for byte in Request::Query("SHOW COMPONENTS".into()).to_frame().encode() {
        if slow.write_all(&[byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(80));
        if start.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let reply = Reply::from_frame(&Frame::read_from(&mut slow, 1 << 20).unwrap().unwrap()).unwrap();
    assert_eq!(code(&reply), Some(ErrorCode::Timeout));
    assert!(start.elapsed() < Duration::from_secs(3), "the slow client was cut only after {:?}", start.elapsed());
    drop(slow);
    // At the connection limit the next client is refused with Busy; the others still work.
    std::thread::sleep(Duration::from_millis(50));
    let mut a = Client::connect(server.addr, None).unwrap();
    let mut b = Client::connect(server.addr, None).unwrap();
    let _c = Client::connect(server.addr, None).unwrap();
    match Client::connect(server.addr, None) {
        Err(Error::Server { code: ErrorCode::Busy, .. }) => {}
        other => panic!("{other:?}"),
    }
    a.ping().unwrap();
    b.ping().unwrap();
}

/// A failure of the database itself reaches the client as a Storage error, and the server
/// goes on serving: here the directory is removed under a running server, so sealing (FLUSH)
/// cannot create its segment file.
#[test]
fn a_storage_failure_is_a_storage_error_frame() {
    let dir = temp();
    let path = dir.path().join("db");
    let db = Arc::new(open(&path, small_options()));
    let server = Server::bind(db, Config { listen: "127.0.0.1:0".parse().unwrap(), ..Config::default() }).unwrap();
    let (addr, stopper) = (server.local_addr().unwrap(), server.stopper().unwrap());
    let serving = std::thread::spawn(move || server.run());
    let mut c = Client::connect(addr, None).unwrap();
    assert_eq!(c.append_json("inference", &rows(0..10)).unwrap(), 10);
    std::fs::remove_dir_all(&path).unwrap();
    match c.flush() {
        Err(Error::Server { code: ErrorCode::Storage, message }) => assert!(!message.is_empty()),
        other => panic!("{other:?}"),
    }
    c.ping().unwrap();
    stopper.stop();
    // The stop's own flush fails the same way, and says so.
    assert!(serving.join().unwrap().is_err());
}

/// Error codes say whose fault it was, as docs/PROTOCOL.md promises: a field type conflict
/// in APPEND_COLUMNS is `Append` (it was `Storage`), damage a query meets is `Storage` (it was
/// `Query`); the connection serves on after both.
#[test]
fn error_codes_say_whose_fault_it_was() {
    let server = Running::start(Config::default());
    let mut c = Client::connect(server.addr, None).unwrap();
    assert_eq!(c.append_json("inference", &rows(0..100)).unwrap(), 100);
    let mut b = seamdb::BatchBuilder::new();
    b.push(7, 0, &[("score", seamdb::Value::Tag("high".into()))]).unwrap();
    match c.append_batch("inference", &b.finish().unwrap()) {
        Err(Error::Server { code: ErrorCode::Append, message }) => assert!(message.contains("\"score\""), "{message}"),
        other => panic!("{other:?}"),
    }
    c.flush().unwrap();
    // Damage the slice bitmap of country = 'US' in the sealed segment: a serialized roaring
    // bitmap starts with its cookie (12346 or 12347 as a little-endian u32).
    let segments = server._dir.path().join("segments");
    let seg = std::fs::read_dir(&segments).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "seg")).unwrap();
    let bytes = std::fs::read(&seg).unwrap();
    let at = bytes.windows(4).position(|w| w == [0x3a, 0x30, 0, 0] || w == [0x3b, 0x30, 0, 0]).expect("a roaring bitmap");
    let mut file = std::fs::OpenOptions::new().write(true).open(&seg).unwrap();
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(at as u64)).unwrap();
    file.write_all(&[0xff; 4]).unwrap();
    drop(file);
    match c.query("SELECT count() AS n FROM inference WHERE country = 'US'") {
        Err(Error::Server { code: ErrorCode::Storage, message }) => assert!(message.contains(".seg"), "{message}"),
        other => panic!("{other:?}"),
    }
    c.ping().unwrap();
}

fn write_file(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `seam ingest --remote` sends a file to a running server, whole or not at all; a file too
/// large for one request is refused with a clear error and stores nothing; while the server
/// holds the database, the local commands say so and name --remote where they have it.
#[test]
fn ingest_remote_stores_a_file_whole_or_not_at_all() {
    let dir = temp();
    let db = dir.path().join("db");
    let (mut child, addr, mut client) = serve_process_with(&db, &["--max-frame-mib", "1"]);
    let addr = addr.to_string();
    let good =
        write_file(dir.path(), "good.csv", "trace_id,time,score,country\n1,2026-01-05T00:00:00Z,0.5,US\n2,2026-01-05T00:00:01Z,0.25,DE\n");
    let out = crate::support::seam().args(["ingest", "-", "-c", "inference", "--remote", &addr, good.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(count(&mut client), 2);
    // The same file again is refused, as a local ingest refuses it, until --again.
    let out = crate::support::seam().args(["ingest", "-", "-c", "inference", "--remote", &addr, good.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success() && stderr_of(&out).contains("--again"), "{}", stderr_of(&out));
    assert_eq!(count(&mut client), 2);
    let again = ["ingest", "-", "-c", "inference", "--remote", &addr, good.to_str().unwrap(), "--again"];
    assert!(crate::support::seam().args(again).status().unwrap().success());
    assert_eq!(count(&mut client), 4);
    // The second file's types are read as the server's schema has them: "7" is a tag here.
    let tags = write_file(dir.path(), "tags.jsonl", "{\"trace_id\": 3, \"time\": \"2026-01-05T00:00:02Z\", \"country\": \"7\"}\n");
    let out = crate::support::seam().args(["ingest", "-", "-c", "inference", "--remote", &addr, tags.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(count(&mut client), 5);
    // A bad row in the middle: an error with its line, and nothing of the file stored.
    let bad =
        write_file(dir.path(), "bad.csv", "trace_id,time,score\n4,2026-01-05T00:00:03Z,0.5\n5,yesterday,0.5\n6,2026-01-05T00:00:04Z,0.5\n");
    let out = crate::support::seam().args(["ingest", "-", "-c", "inference", "--remote", &addr, bad.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("line 3") && stderr_of(&out).contains("nothing was stored"), "{}", stderr_of(&out));
    assert_eq!(count(&mut client), 5);
    // A typo of a component the server has is refused as locally, until --create.
    let typo = ["ingest", "-", "-c", "inferense", "--remote", &addr, good.to_str().unwrap()];
    let out = crate::support::seam().args(typo).output().unwrap();
    let err = stderr_of(&out);
    assert!(!out.status.success() && err.contains("did you mean \"inference\"") && err.contains("--create"), "{err}");
    assert!(crate::support::seam().args(typo).arg("--create").status().unwrap().success());
    assert_eq!(client.query("SELECT count() FROM inferense").unwrap().rows[0][0], seamdb::query::Cell::Int(2));
    // Over the server's frame limit (1 MiB here): refused as a whole, saying why.
    let big: String = std::iter::once("trace_id,time,note\n".to_string())
        .chain((0..60_000).map(|i| format!("{},2026-01-05T00:00:00Z,n{i}\n", 100 + i)))
        .collect();
    let big = write_file(dir.path(), "big.csv", &big);
    let out = crate::support::seam().args(["ingest", "-", "-c", "inference", "--remote", &addr, big.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(err.contains("too large") && err.contains("nothing was stored") && err.contains("--max-frame-mib"), "{err}");
    assert_eq!(count(&mut client), 5);
    // The commands that only read open the database the server holds, read-only.
    let out = crate::support::seam().args(["query", db.to_str().unwrap(), "SHOW COMPONENTS", "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("inferense"), "{}", String::from_utf8_lossy(&out.stdout));
    let out = crate::support::seam().args(["stats", db.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    // A writer finds it locked: the message names the likely holder, and --remote where the
    // command has it.
    let out = crate::support::seam().args(["ingest", db.to_str().unwrap(), "-c", "inference", good.to_str().unwrap()]).output().unwrap();
    let err = stderr_of(&out);
    assert!(!out.status.success() && err.contains("seam serve") && err.contains("--remote ADDR"), "{err}");
    let out = crate::support::seam().args(["compact", db.to_str().unwrap()]).output().unwrap();
    let err = stderr_of(&out);
    assert!(!out.status.success() && err.contains("seam serve") && !err.contains("--remote"), "{err}");
    let out = crate::support::seam().args(["recover", db.to_str().unwrap()]).output().unwrap();
    let err = stderr_of(&out);
    assert!(!out.status.success() && err.contains("seam serve") && err.contains("stop it first"), "{err}");
    let _ = child.kill();
    let _ = child.wait();
}

/// A cause is printed once ("Connection refused (os error 111): Connection refused (os error
/// 111)" was printed twice), and an error from the server names no option of `seam ingest`
/// that its clients do not have.
#[test]
fn errors_print_their_cause_once_and_hints_are_true_where_they_are_printed() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = crate::support::seam().args(["query", "-", "SHOW COMPONENTS", "--remote", &format!("127.0.0.1:{port}")]).output().unwrap();
    let err = stderr_of(&out);
    assert!(!out.status.success());
    assert_eq!(err.matches("os error").count(), 1, "{err}");
    let server = Running::start(Config::default());
    let mut c = Client::connect(server.addr, None).unwrap();
    match c.append_json("inference", b"{\"trace_id\": \"req-17\", \"time\": \"2026-01-05T00:00:00Z\"}\n") {
        Err(Error::Server { code: ErrorCode::Append, message }) => {
            assert!(message.contains("not a trace ID") && !message.contains("--hash-trace-ids"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // `seam ingest` has the option, so it names it.
    let dir = temp();
    let file = write_file(dir.path(), "ids.csv", "trace_id,time\nreq-17,2026-01-05T00:00:00Z\n");
    let out = crate::support::seam()
        .args(["ingest", dir.path().join("db").to_str().unwrap(), "-c", "c", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(stderr_of(&out).contains("--hash-trace-ids"), "{}", stderr_of(&out));
}

/// `GET path` over HTTP/1.0 (the test's side of the exchange; the server's is tiny_http's):
/// the status code and the body.
fn http_get(addr: SocketAddr, path: &str) -> (u16, String) {
    use std::io::Read;
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: test\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.split(' ').nth(1).unwrap().parse().unwrap(), body.to_owned())
}

/// The value of the series `name{labels}` (labels as written, in order) in a scrape.
fn series(body: &str, name_and_labels: &str) -> Option<f64> {
    body.lines().find_map(|l| l.strip_prefix(name_and_labels)?.strip_prefix(' ')?.parse().ok())
}

/// `seam serve --metrics`: Prometheus scrapes see each SLO's latest judged window per group
/// (value and status, equal to CHECK SLO's) and the server's counters, over real HTTP.
#[test]
fn prometheus_scrapes_slo_status_and_server_counters() {
    let config = Config { metrics: Some("127.0.0.1:0".parse().unwrap()), judge_every: Duration::from_millis(20), ..Config::default() };
    let server = Running::start(config);
    let metrics = server.metrics.unwrap();
    let mut c = Client::connect(server.addr, None).unwrap();
    // Day 0: US right 3 of 4, DE right 1 of 4; day 1: US 4 of 4, DE 1 of 4 (scores 0.9 say 1).
    let (mut preds, mut labels) = (String::new(), String::new());
    for (i, (day, country, label)) in (0..16)
        .map(|i| (i / 8, if i % 8 < 4 { "US" } else { "DE" }, i32::from(if i % 8 < 4 { i % 8 != 3 || i >= 8 } else { i % 8 == 4 })))
        .enumerate()
    {
        preds.push_str(&format!(
            "{{\"trace_id\": {i}, \"time\": \"2026-01-0{}T01:00:00Z\", \"score\": 0.9, \"country\": \"{country}\"}}\n",
            5 + day
        ));
        labels.push_str(&format!("{{\"trace_id\": {i}, \"time\": \"2026-01-0{}T02:00:00Z\", \"label\": {label}}}\n", 5 + day));
    }
    c.append_json("inference", preds.as_bytes()).unwrap();
    c.append_json("feedback", labels.as_bytes()).unwrap();
    c.query(
        "CREATE SLO acc AS SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, count() AS n \
         FROM inference JOIN feedback GROUP BY window(1d), inference.country EXPECT acc >= 0.7",
    )
    .unwrap();
    assert!(c.query("SELECT nothing FROM nowhere").is_err());

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let body = loop {
        let (status, body) = http_get(metrics, "/metrics");
        assert_eq!(status, 200);
        if body.contains("seamdb_slo_status{") || std::time::Instant::now() > deadline {
            break body;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let de = "slo=\"acc\",inference_country=\"DE\"";
    let us = "slo=\"acc\",inference_country=\"US\"";
    assert_eq!(series(&body, &format!("seamdb_slo_status{{{de},status=\"violated\"}}")), Some(1.0), "{body}");
    assert_eq!(series(&body, &format!("seamdb_slo_status{{{de},status=\"ok\"}}")), Some(0.0));
    assert_eq!(series(&body, &format!("seamdb_slo_status{{{us},status=\"ok\"}}")), Some(1.0));
    assert_eq!(series(&body, &format!("seamdb_slo_value{{{us},item=\"acc\"}}")), Some(1.0), "day 1, the latest window");
    assert_eq!(series(&body, &format!("seamdb_slo_value{{{de},item=\"acc\"}}")), Some(0.25));
    assert_eq!(series(&body, &format!("seamdb_slo_window_start_seconds{{{de}}}")), Some(1_767_657_600.0));
    // The values are CHECK SLO's.
    let check = c.query("CHECK SLO acc").unwrap();
    let last_de = check.rows.iter().rev().find(|r| r[1] == Cell::Text("DE".into())).unwrap();
    assert_eq!((&last_de[2], &last_de[4]), (&Cell::Float(0.25), &Cell::Text("violated".into())));
    // Counters: two appends of 16 rows each, three queries (one failed) before the scrape.
    assert_eq!(series(&body, "seamdb_appends_total"), Some(2.0), "{body}");
    assert_eq!(series(&body, "seamdb_appended_rows_total"), Some(32.0));
    assert!(series(&body, "seamdb_queries_total").unwrap() >= 2.0);
    assert!(series(&body, "seamdb_errors_total").unwrap() >= 1.0);
    assert_eq!(series(&body, "seamdb_request_duration_seconds_count{request=\"append\"}"), Some(2.0));
    assert!(body.contains("# TYPE seamdb_request_duration_seconds histogram"));
    assert_eq!(http_get(metrics, "/other").0, 404);
}
