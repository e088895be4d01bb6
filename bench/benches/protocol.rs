//! Criterion micro-benchmarks of the wire protocol: an APPEND_COLUMNS request of 65,536 rows
//! and a TABLE reply encoded to bytes and decoded back, as the server and clients do per frame.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use seamdb::query::{Cell, Table};
use seamdb::workload::Workload;
use seamdb_server::frame::Frame;
use seamdb_server::protocol::{Reply, Request};

const LIMIT: u64 = 1 << 30;

fn append_columns(c: &mut Criterion) {
    let batch = Workload::new(1 << 16, 9).inference_batch(0);
    let bytes = Request::append_columns("inference", &batch).encode();
    let mut group = c.benchmark_group("frame");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("append_columns_64k_rows_encode", |b| b.iter(|| Request::append_columns("inference", &batch).encode()));
    group.bench_function("append_columns_64k_rows_decode", |b| {
        b.iter(|| {
            let (frame, _) = Frame::decode(&bytes, LIMIT).unwrap().unwrap();
            Request::from_frame(&frame).unwrap().unwrap()
        })
    });
    group.finish();
}

fn table(c: &mut Criterion) {
    // A week of hourly windows by 20 slices: a typical grouped answer.
    let mut t = Table::new(["window", "country", "n", "accuracy"]);
    for w in 0..168 {
        for s in 0..20 {
            t.rows.push(vec![
                Cell::Time(w * 3_600_000_000),
                Cell::Text(format!("c{s}")),
                Cell::Int(1000 + s),
                Cell::Float(0.5 + s as f64 / 100.0),
            ]);
        }
    }
    let reply = Reply::Table(t);
    let bytes = reply.to_frame().encode();
    let mut group = c.benchmark_group("frame");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("table_3360_rows_encode", |b| b.iter(|| reply.to_frame().encode()));
    group.bench_function("table_3360_rows_decode", |b| {
        b.iter(|| {
            let (frame, _) = Frame::decode(&bytes, LIMIT).unwrap().unwrap();
            Reply::from_frame(&frame).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, append_columns, table);
criterion_main!(benches);
