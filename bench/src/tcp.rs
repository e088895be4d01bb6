//! TCP ingest: rows/s from one client through `seam serve`'s protocol on loopback, every
//! batch acknowledged durable, and a small query's latency from a second client meanwhile.

use crate::heap;
use crate::ingest::Outcome;
use seamdb::{Batch, Db};
use seamdb_server::{Client, Config, Server};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The query a second client asks every 20 ms while ingest runs.
pub const PROBE: &str = "SELECT count() AS n FROM inference WHERE time < '2026-01-05T01:00:00Z'";

/// What a TCP ingest run measured: the ingest, and the probe query's latencies (ms).
#[derive(Debug)]
pub struct TcpOutcome {
    pub ingest: Outcome,
    pub probe_ms: Vec<f64>,
}

/// Serves a database opened in `dir` (durability sync) in this process and sends `batches`
/// from one client, as APPEND_COLUMNS or, with `json`, as APPEND_JSON.
pub fn run(dir: &Path, batches: Vec<(&'static str, Batch)>, json: bool) -> anyhow::Result<TcpOutcome> {
    let rows: u64 = batches.iter().map(|(_, b)| b.rows() as u64).sum();
    let input_bytes: usize = batches.iter().map(|(_, b)| b.size_bytes()).sum();
    let lines: Vec<Vec<u8>> = if json { batches.iter().map(|(_, b)| jsonl(b)).collect() } else { Vec::new() };
    let db = Arc::new(Db::open(dir)?);
    let server = Server::bind(db.clone(), Config { listen: "127.0.0.1:0".parse()?, ..Config::default() })?;
    let (addr, stopper) = (server.local_addr()?, server.stopper()?);
    let serving = std::thread::spawn(move || server.run());
    let done = AtomicBool::new(false);
    let base = heap::live();
    let (outcome, probe_ms) = std::thread::scope(|s| -> anyhow::Result<(Outcome, Vec<f64>)> {
        let prober = s.spawn(|| -> anyhow::Result<Vec<f64>> {
            let mut c = Client::connect(addr, None)?;
            let mut times = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                // Fails until the first batch created the component; only successes count.
                if c.query(PROBE).is_ok() {
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            Ok(times)
        });
        let mut c = Client::connect(addr, None)?;
        let (mut acked, mut ack_ms, mut peak) = (0, Vec::with_capacity(batches.len()), 0);
        let start = Instant::now();
        for (k, (component, batch)) in batches.iter().enumerate() {
            let t = Instant::now();
            acked += if json { c.append_json(component, &lines[k])? } else { c.append_batch(component, batch)? };
            ack_ms.push(t.elapsed().as_secs_f64() * 1e3);
            // The client keeps its batches, so whatever the heap grew by is the server's.
            peak = peak.max(heap::live().saturating_sub(base));
        }
        let seconds_acked = start.elapsed().as_secs_f64();
        c.flush()?;
        let seconds_sealed = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let probe = prober.join().map_err(|_| anyhow::anyhow!("prober panicked"))??;
        anyhow::ensure!(acked == rows, "the server acknowledged {acked} rows of {rows}");
        let ingest = Outcome { rows, input_bytes: input_bytes as u64, seconds_acked, seconds_sealed, ack_ms, peak_db_heap: peak };
        Ok((ingest, probe))
    })?;
    stopper.stop();
    serving.join().map_err(|_| anyhow::anyhow!("server thread panicked"))??;
    let stored: u64 = db.snapshot().components().map(|c| c.rows() as u64).sum();
    anyhow::ensure!(stored == rows, "the database holds {stored} rows, expected {rows}");
    Ok(TcpOutcome { ingest: outcome, probe_ms })
}

/// A batch as JSON Lines, for the APPEND_JSON path.
fn jsonl(batch: &Batch) -> Vec<u8> {
    let mut out = String::new();
    for r in 0..batch.rows() {
        let mut obj = serde_json::Map::new();
        obj.insert("trace_id".into(), json!(batch.trace_ids()[r].to_string()));
        obj.insert("time".into(), json!(seamdb::query::format_time(batch.times()[r])));
        for (name, column) in batch.fields() {
            let v = match column.value(r) {
                seamdb::Value::Null => serde_json::Value::Null,
                seamdb::Value::Float(x) => json!(x),
                seamdb::Value::Int(i) => json!(i),
                seamdb::Value::Bool(b) => json!(b),
                seamdb::Value::Tag(s) => json!(s),
            };
            obj.insert(name.clone(), v);
        }
        out.push_str(&serde_json::Value::Object(obj).to_string());
        out.push('\n');
    }
    out.into_bytes()
}
