//! Embedded ingest: `Db::append` of pre-generated batches, timed to the last acknowledgement
//! and to everything sealed, with each append's latency and the database's own heap.

use crate::heap;
use seamdb::workload::Workload;
use seamdb::{Batch, Db, Durability, Options};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The standard workload's batches in arrival order: each chunk's predictions, then that
/// chunk's labels. Generated on both cores; chunk `k` depends only on (seed, k).
pub fn batches(workload: &Workload, feedback: bool) -> Vec<(&'static str, Batch)> {
    let chunks: Vec<u64> = (0..workload.chunks()).collect();
    let halves: Vec<Vec<(&'static str, Batch)>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .chunks(chunks.len().div_ceil(2).max(1))
            .map(|part| {
                s.spawn(move || {
                    let mut out = Vec::with_capacity(part.len() * 2);
                    for &k in part {
                        if feedback {
                            let (inference, labels) = workload.batches(k);
                            out.push(("inference", inference));
                            out.push(("feedback", labels));
                        } else {
                            out.push(("inference", workload.inference_batch(k)));
                        }
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("generator thread")).collect()
    });
    halves.into_iter().flatten().collect()
}

/// What one ingest run measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    pub rows: u64,
    pub input_bytes: u64,
    pub seconds_acked: f64,
    pub seconds_sealed: f64,
    /// Every append's latency, in ms.
    pub ack_ms: Vec<f64>,
    /// The most heap the database held beyond the input not yet appended (bytes), sampled
    /// after every append: the tail, the log's buffers and the sealer's.
    pub peak_db_heap: usize,
}

/// Appends `batches` to a database opened in `dir` from `writers` threads (batch i goes to
/// writer i mod writers), then flushes, and checks that every row arrived.
pub fn run(dir: &Path, batches: Vec<(&'static str, Batch)>, durability: Durability, writers: usize) -> anyhow::Result<Outcome> {
    let rows: u64 = batches.iter().map(|(_, b)| b.rows() as u64).sum();
    let input_bytes: usize = batches.iter().map(|(_, b)| b.size_bytes()).sum();
    let mut mine: Vec<Vec<(&'static str, Batch)>> = (0..writers).map(|_| Vec::new()).collect();
    for (i, b) in batches.into_iter().enumerate() {
        mine[i % writers].push(b);
    }
    let db = Db::open_with(dir, Options { durability, ..Options::default() })?;
    let pending = AtomicUsize::new(input_bytes);
    let base = heap::live().saturating_sub(input_bytes);
    let peak = AtomicUsize::new(0);
    let start = Instant::now();
    let ack_ms = std::thread::scope(|s| -> anyhow::Result<Vec<f64>> {
        let handles: Vec<_> = mine
            .into_iter()
            .map(|list| {
                let (db, pending, peak) = (&db, &pending, &peak);
                s.spawn(move || -> anyhow::Result<Vec<f64>> {
                    let mut times = Vec::with_capacity(list.len());
                    for (component, batch) in list {
                        let size = batch.size_bytes();
                        let t = Instant::now();
                        db.append(component, batch)?;
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                        let left = pending.fetch_sub(size, Ordering::Relaxed) - size;
                        peak.fetch_max(heap::live().saturating_sub(base + left), Ordering::Relaxed);
                    }
                    Ok(times)
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??);
        }
        Ok(all)
    })?;
    let seconds_acked = start.elapsed().as_secs_f64();
    db.flush()?;
    let seconds_sealed = start.elapsed().as_secs_f64();
    let stored: u64 = db.snapshot().components().map(|c| c.rows() as u64).sum();
    anyhow::ensure!(stored == rows, "ingested {stored} rows, expected {rows}");
    Ok(Outcome { rows, input_bytes: input_bytes as u64, seconds_acked, seconds_sealed, ack_ms, peak_db_heap: peak.into_inner() })
}

/// A stored workload: where it is, its (inference, feedback) rows, and how long ingesting it
/// took to everything sealed (`None` when an earlier run's database was reused).
#[derive(Clone, Debug)]
pub struct Stored {
    pub dir: PathBuf,
    pub rows: (u64, u64),
    pub ingest_s: Option<f64>,
}

/// The workload stored durably in `work/n{N}-d{days}-s{seed}/db`, by one writer; reused when
/// a stamp says an earlier run finished it.
pub fn stored(work: &Path, workload: &Workload) -> anyhow::Result<Stored> {
    let base = work.join(format!("n{}-d{}-s{}", workload.n, workload.days, workload.seed));
    let (dir, stamp) = (base.join("db"), base.join("done"));
    if stamp.exists() {
        eprintln!("seamdb-bench: reusing {}", dir.display());
        let db = Db::open_read_only(&dir)?;
        let snapshot = db.snapshot();
        let rows = |c: &str| snapshot.component(c).map_or(0, |c| c.rows() as u64);
        return Ok(Stored { rows: (rows("inference"), rows("feedback")), dir, ingest_s: None });
    }
    if base.exists() {
        std::fs::remove_dir_all(&base)?;
    }
    std::fs::create_dir_all(&base)?;
    eprintln!("seamdb-bench: N = {}: generating the workload over {} days (seed {})", workload.n, workload.days, workload.seed);
    let batches = batches(workload, true);
    let count = |c: &str| batches.iter().filter(|(name, _)| *name == c).map(|(_, b)| b.rows() as u64).sum::<u64>();
    let rows = (count("inference"), count("feedback"));
    eprintln!("seamdb-bench: N = {}: ingesting into {}", workload.n, dir.display());
    let outcome = run(&dir, batches, Durability::Sync, 1)?;
    std::fs::write(&stamp, "")?;
    Ok(Stored { dir, rows, ingest_s: Some(outcome.seconds_sealed) })
}
