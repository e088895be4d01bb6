//! TCP ingest: rows/s from one client through `seam serve`'s protocol on loopback, every
//! batch acknowledged durable, and a small query's latency from a second client meanwhile.

use seamdb::workload::Workload;
use seamdb::{Batch, Db};
use seamdb_server::{Client, Config, Server};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub fn run(n: u64, batch_rows: u64, format: &str, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let temp = std::env::temp_dir().join(format!("seamdb-bench-tcp-{}", std::process::id()));
    let dir = dir.unwrap_or_else(|| temp.clone());
    let workload = Workload { chunk_rows: batch_rows, ..Workload::new(n, 42) };
    let batches: Vec<Batch> = (0..workload.chunks()).map(|k| workload.inference_batch(k)).collect();
    let json: Vec<Vec<u8>> = if format == "json" { batches.iter().map(jsonl).collect() } else { Vec::new() };
    let db = Arc::new(Db::open(&dir)?);
    let server = Server::bind(db, Config { listen: "127.0.0.1:0".parse()?, ..Config::default() })?;
    let (addr, stopper) = (server.local_addr()?, server.stopper()?);
    let serving = std::thread::spawn(move || server.run());
    let done = AtomicBool::new(false);
    let (rows, seconds, latencies) = std::thread::scope(|s| -> anyhow::Result<(u64, f64, Vec<f64>)> {
        let prober = s.spawn(|| -> anyhow::Result<Vec<f64>> {
            let mut c = Client::connect(addr, None)?;
            let mut times = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                // Fails until the first batch created the component; only successes count.
                if c.query("SELECT count() AS n FROM inference WHERE time < '2026-01-05T01:00:00Z'").is_ok() {
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Ok(times)
        });
        let mut c = Client::connect(addr, None)?;
        let start = Instant::now();
        let mut rows = 0;
        for (k, batch) in batches.iter().enumerate() {
            rows += if format == "json" { c.append_json("inference", &json[k])? } else { c.append_batch("inference", batch)? };
        }
        let seconds = start.elapsed().as_secs_f64();
        done.store(true, Ordering::Relaxed);
        let latencies = prober.join().expect("prober")?;
        Ok((rows, seconds, latencies))
    })?;
    stopper.stop();
    serving.join().expect("server thread")?;
    let mut l = latencies;
    l.sort_by(f64::total_cmp);
    let pct = |q: f64| l.get(((l.len().saturating_sub(1)) as f64 * q).round() as usize).copied();
    println!(
        "{}",
        json!({ "rows": rows, "seconds": seconds, "rows_per_s": rows as f64 / seconds, "format": format, "batch_rows": batch_rows,
                "query_during_ingest": { "samples": l.len(), "p50_ms": pct(0.5), "p99_ms": pct(0.99) } })
    );
    if dir == temp {
        std::fs::remove_dir_all(&temp)?;
    }
    Ok(())
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
