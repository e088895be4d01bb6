//! The server under abuse: 64 honest clients append and query while others send random bytes,
//! oversized length prefixes and half frames, and hold connections open saying nothing. The
//! server (a real `seam serve` process) must not crash, must keep its memory bounded, must
//! serve every honest request, and must hold every acknowledged row afterwards.
//! SEAM_ABUSE_SECONDS sets the length (5 in CI; docs/RELIABILITY.md records a 60 s run), and
//! SEAM_ABUSE_THREADS the abusive threads (16; 0 measures the same load without abuse).

use crate::server::serve_process_with;
use crate::support::temp;
use seamdb::query::Cell;
use seamdb_server::Client;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const HONEST: u64 = 64;
const ROWS: u64 = 20;

fn seconds() -> u64 {
    std::env::var("SEAM_ABUSE_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}

fn abusers() -> u64 {
    std::env::var("SEAM_ABUSE_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(16)
}

fn rows(client: u64, round: u64) -> Vec<u8> {
    (0..ROWS)
        .map(|i| {
            let id = (client << 32) | (round * ROWS + i);
            format!("{{\"trace_id\": {id}, \"time\": \"2026-01-05T00:{:02}:{:02}Z\", \"score\": 0.5}}\n", round % 60, i % 60)
        })
        .collect::<String>()
        .into_bytes()
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

/// One abusive connection of kind `k`; returns quietly whatever the server does.
fn abuse(addr: SocketAddr, k: u64, seed: &mut u64) {
    let Ok(mut s) = TcpStream::connect(addr) else { return };
    let _ = s.set_read_timeout(Some(Duration::from_secs(3)));
    let mut next = || {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    };
    let hello = seamdb_server::protocol::Request::Hello { version: seamdb_server::protocol::VERSION }.to_frame().encode();
    let bytes: Vec<u8> = match k % 4 {
        // Random bytes, sometimes after a proper HELLO.
        0 => {
            let mut b = if next() % 2 == 0 { hello.clone() } else { Vec::new() };
            b.extend((0..1 + next() % 4096).map(|_| next() as u8));
            b
        }
        // A length prefix of 4 GiB: refused before anything is allocated.
        1 => [hello.clone(), vec![0xFF, 0xFF, 0xFF, 0xFF, 0x04]].concat(),
        // Half a frame, then the connection closes.
        2 => {
            let frame = seamdb_server::protocol::Request::Query("SELECT count() AS n FROM inference".into()).to_frame().encode();
            [hello.clone(), frame[..frame.len() / 2].to_vec()].concat()
        }
        // Nothing at all: the idle timeout must end it.
        _ => Vec::new(),
    };
    let _ = s.write_all(&bytes);
    if k % 4 != 2 {
        let _ = s.read_to_end(&mut Vec::new());
    }
}

#[test]
fn the_server_survives_abuse_and_serves_honest_clients() {
    let work = temp();
    let db = work.path().join("db");
    let (mut child, addr, probe) = serve_process_with(&db, &["--idle-timeout-s", "2"]);
    drop(probe);
    let pid = child.id();
    let stop = AtomicBool::new(false);
    let abusive = AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(seconds());
    let (acked, appends, queries, rss) = std::thread::scope(|s| {
        // Abusers: threads each opening one bad connection after another.
        let threads = abusers();
        for t in 0..threads {
            let (stop, abusive) = (&stop, &abusive);
            s.spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (t + 1);
                let mut k = t;
                while !stop.load(Ordering::Relaxed) {
                    abuse(addr, k, &mut seed);
                    abusive.fetch_add(1, Ordering::Relaxed);
                    k += threads;
                }
            });
        }
        let sampler = s.spawn(|| {
            let mut peak = 0;
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let kib = rss_kib(pid);
                peak = peak.max(kib);
                samples.push(kib);
                std::thread::sleep(Duration::from_millis(100));
            }
            (peak, samples)
        });
        let honest: Vec<_> = (0..HONEST)
            .map(|c| {
                s.spawn(move || {
                    let mut client = Client::connect(addr, None).expect("an honest client gets a connection");
                    let (mut acked, mut appends, mut queries) = (0, Vec::new(), Vec::new());
                    let mut round = 0;
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        acked += client.append_json("inference", &rows(c, round)).expect("an honest append is served");
                        appends.push(t.elapsed().as_secs_f64() * 1e3);
                        round += 1;
                        if c % 2 == 0 {
                            let t = Instant::now();
                            client.query("SELECT count() AS n FROM inference WHERE score > 0.4").expect("an honest query is served");
                            queries.push(t.elapsed().as_secs_f64() * 1e3);
                        }
                    }
                    (acked, appends, queries)
                })
            })
            .collect();
        let (mut acked, mut appends, mut queries) = (0, Vec::new(), Vec::new());
        for h in honest {
            let (a, ap, q) = h.join().unwrap();
            acked += a;
            appends.extend(ap);
            queries.extend(q);
        }
        stop.store(true, Ordering::Relaxed);
        (acked, appends, queries, sampler.join().unwrap())
    });
    assert!(child.try_wait().unwrap().is_none(), "the server died");
    let mut c = Client::connect(addr, None).unwrap();
    let Cell::Int(stored) = c.query("SELECT count() AS n FROM inference").unwrap().rows[0][0] else { panic!("count") };
    assert_eq!(stored as u64, acked, "every acknowledged row is stored, and nothing else");
    drop(c);
    let pct = |mut v: Vec<f64>, q: f64| {
        v.sort_by(f64::total_cmp);
        v.get(((v.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or(0.0)
    };
    let (peak, samples) = rss;
    let first_half = samples[..samples.len() / 2].iter().max().copied().unwrap_or(0);
    println!(
        "abuse: {}s, {} honest appends ({acked} rows), {} queries, {} abusive connections; append p50 {:.1} ms p99 {:.1} ms; \
         query p50 {:.1} ms p99 {:.1} ms; server RSS peak {} MiB (first half {} MiB)",
        seconds(),
        appends.len(),
        queries.len(),
        abusive.load(Ordering::Relaxed),
        pct(appends.clone(), 0.5),
        pct(appends, 0.99),
        pct(queries.clone(), 0.5),
        pct(queries, 0.99),
        peak / 1024,
        first_half / 1024
    );
    assert!(peak < 512 * 1024, "server RSS reached {} MiB", peak / 1024);
    // SIGTERM: a clean stop, then every acknowledged row is in the database on disk.
    assert!(std::process::Command::new("python3")
        .args(["-c", &format!("import os, signal; os.kill({pid}, signal.SIGTERM)")])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
    let db = crate::support::open(&db, seamdb::Options::default());
    assert_eq!(db.snapshot().component("inference").map_or(0, |c| c.rows()) as u64, acked);
}
