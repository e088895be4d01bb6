//! Criterion micro-benchmarks of the storage engine: WAL append per durability mode, segment
//! encode (seal) and decode (open with every checksum verified), and the scan of a sealed f64
//! column from a warm map.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use seamdb::storage::segment::Segment;
use seamdb::storage::{Column, ColumnData, Values};
use seamdb::workload::Workload;
use seamdb::{Batch, Db, Durability, Options};
// The kernel `seamdb-bench machine` measures bandwidth with, so the two compare directly.
use seamdb_bench::machine::sum;
use std::time::Duration;

const BATCH_ROWS: u64 = 65_536;

fn append(c: &mut Criterion) {
    let workload = Workload { chunk_rows: BATCH_ROWS, ..Workload::new(BATCH_ROWS * 16, 1) };
    let batches: Vec<_> = (0..16).map(|k| workload.inference_batch(k)).collect();
    let mut group = c.benchmark_group("append");
    group.throughput(Throughput::Elements(BATCH_ROWS));
    for (name, durability) in [("sync", Durability::Sync), ("relaxed", Durability::Relaxed { interval: Duration::from_millis(100) })] {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open_with(dir.path(), Options { durability, ..Options::default() }).unwrap();
        let mut k = 0;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    k += 1;
                    batches[k % batches.len()].clone()
                },
                |batch| db.append("inference", batch).unwrap(),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    // The live shape: one row per append, each acknowledged on its own fdatasync (with the
    // sync mark written before it).
    let mut group = c.benchmark_group("append_small");
    group.throughput(Throughput::Elements(1));
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_with(dir.path(), Options::default()).unwrap();
    let one = Workload { chunk_rows: 1, ..Workload::new(1, 1) }.inference_batch(0);
    group.bench_function("sync_1_row", |b| {
        b.iter_batched(|| one.clone(), |batch| db.append("inference", batch).unwrap(), BatchSize::SmallInput)
    });
    group.finish();
    // An append costs O(its own rows), whatever the tail and the history hold: one row
    // appended to a tail of 0 or 1 M rows beside 0 or 1,000 sealed segments. The log is
    // relaxed (no fdatasync per append), so what is timed is the work under the writer lock
    // that a copied tail or segment list would make grow. Each case starts at its size; the
    // appends it times add to its tail.
    let mut group = c.benchmark_group("append_vs_history");
    group.throughput(Throughput::Elements(1));
    for (tail, segments) in [(0, 0), (1u64 << 20, 0), (0, 1_000), (1 << 20, 1_000)] {
        let dir = tempfile::tempdir().unwrap();
        let relaxed = Durability::Relaxed { interval: Duration::from_secs(1) };
        let db = Db::open_with(
            dir.path(),
            Options { durability: relaxed, background_seal: false, seal_rows: usize::MAX / 8, ..Options::default() },
        )
        .unwrap();
        for _ in 0..segments {
            db.append("inference", one.clone()).unwrap();
            db.flush().unwrap();
        }
        let history = Workload { chunk_rows: 4_096, ..Workload::new(tail, 3) };
        for k in 0..history.chunks() {
            db.append("inference", history.inference_batch(k)).unwrap();
        }
        group.bench_function(format!("tail_{tail}_segments_{segments}"), |b| {
            b.iter_batched(|| one.clone(), |batch| db.append("inference", batch).unwrap(), BatchSize::SmallInput)
        });
    }
    group.finish();
}

fn seal(c: &mut Criterion) {
    let rows = 1 << 20;
    let workload = Workload { chunk_rows: BATCH_ROWS, ..Workload::new(rows, 2) };
    let batches: Vec<_> = (0..workload.chunks()).map(|k| workload.inference_batch(k)).collect();
    let mut group = c.benchmark_group("seal");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows));
    group.bench_function("inference_1m_rows", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().unwrap();
                let db = Db::open_with(
                    dir.path(),
                    Options {
                        durability: Durability::Relaxed { interval: Duration::from_secs(1) },
                        background_seal: false,
                        seal_rows: usize::MAX / 8,
                        ..Options::default()
                    },
                )
                .unwrap();
                for batch in &batches {
                    db.append("inference", batch.clone()).unwrap();
                }
                (dir, db)
            },
            |(dir, db)| {
                db.flush().unwrap();
                (dir, db)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Opens a sealed 1 M-row `inference` segment as `seam check` and recovery do: structure,
/// directory and every section's CRC verified, from a warm page cache.
fn decode(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_with(dir.path(), Options { seal_rows: 1 << 20, ..Options::default() }).unwrap();
    let workload = Workload { chunk_rows: BATCH_ROWS, ..Workload::new(1 << 20, 3) };
    let mut load = db.bulk_load("inference").unwrap();
    for k in 0..workload.chunks() {
        load.append(workload.inference_batch(k)).unwrap();
    }
    load.commit().unwrap();
    let snapshot = db.snapshot();
    let segment = &snapshot.component("inference").unwrap().segments()[0];
    let (path, id) = (segment.path().to_owned(), segment.id());
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(segment.size_bytes()));
    group.bench_function("open_verified_inference_1m_rows", |b| b.iter(|| Segment::open(&path, id).unwrap()));
    group.finish();
}

/// Sums a sealed f64 column of 128 MiB (far beyond the last-level cache) from a warm map,
/// with the kernel `seamdb-bench machine` uses to measure the machine's read bandwidth.
fn scan(c: &mut Criterion) {
    let rows: usize = 1 << 24;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open_with(dir.path(), Options { seal_rows: rows, ..Options::default() }).unwrap();
    let mut load = db.bulk_load("m").unwrap();
    let step = 1 << 20;
    for start in (0..rows).step_by(step) {
        let ids: Vec<u128> = (start..start + step).map(|i| i as u128).collect();
        let times: Vec<i64> = (start..start + step).map(|i| i as i64).collect();
        let values = Column::new(ColumnData::Float((start..start + step).map(|i| i as f64 * 0.5).collect()), None);
        load.append(Batch::new(ids, times, vec![("x".into(), values)]).unwrap()).unwrap();
    }
    load.commit().unwrap();
    let snapshot = db.snapshot();
    let segment = &snapshot.component("m").unwrap().segments()[0];
    let Some(Values::Float(values)) = segment.field("x").map(|f| f.values) else { panic!("x is a float column") };
    assert_eq!(values.len(), rows);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(std::mem::size_of_val(values) as u64));
    group.bench_function("sum_f64_sealed_warm_128mib", |b| b.iter(|| sum(std::hint::black_box(values))));
    group.finish();
}

criterion_group!(benches, append, seal, decode, scan);
criterion_main!(benches);
