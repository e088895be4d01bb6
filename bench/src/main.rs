//! `seamdb-bench`: measures SeamDB's ingest on this machine, with the machine's own limits
//! beside the numbers. `--help` lists the experiments; docs/BENCHMARKS.md says which command
//! produced each published number.

use seamdb_bench::{heap, machine, queries};

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

use anyhow::Context;
use clap::{Parser, Subcommand};
use seamdb::workload::Workload;
use seamdb::{Db, Durability, Options};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "seamdb-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Single-core memory-read bandwidth and 4 KiB write + fdatasync latency.
    Machine {
        /// Directory on the disk under test.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Embedded ingest of the standard workload's `inference` component through the WAL.
    Ingest {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        /// Rows per append call.
        #[arg(long, default_value_t = 65_536)]
        batch_rows: u64,
        /// sync (fdatasync before each acknowledgement) or relaxed (fsync every 100 ms).
        #[arg(long, default_value = "sync", value_parser = ["sync", "relaxed"])]
        durability: String,
        /// Concurrent writer threads sharing group commit.
        #[arg(long, default_value_t = 1)]
        writers: u64,
        /// Generate batches while ingesting instead of up front, to show that memory stays
        /// bounded (the timing then includes generation).
        #[arg(long)]
        stream: bool,
        /// Database directory [default: a fresh temporary one].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// What zstd would buy on a sealed `inference` segment: per column, compression ratio
    /// and compress / decompress speed at levels 1 and 3.
    Zstd {
        #[arg(long, default_value_t = 1 << 20)]
        n: u64,
    },
    /// The standard queries Q1–Q6 against an existing database (e.g. made by `seam ingest` of
    /// the `csv` files): cold and warm times, and each query's peak heap. For profiling,
    /// SEAM_BENCH_QUERY adds one statement of your own (`--only custom` runs just it) and
    /// SEAM_BENCH_Q6_REPEAT repeats Q6's timed pass.
    Queries {
        #[arg(long)]
        db: PathBuf,
        /// Warm runs per query after the cold one.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// columnar, or rows (the row-at-a-time reference executor).
        #[arg(long, default_value = "columnar", value_parser = ["columnar", "rows"])]
        executor: String,
        /// index (join indexes kept with the segments) or hash (a hash join per query).
        #[arg(long, default_value = "index", value_parser = ["index", "hash"])]
        join: String,
        /// Traces looked up by Q6 (0 skips it).
        #[arg(long, default_value_t = 1000)]
        traces: usize,
        /// Run only this query (Q1 … Q6).
        #[arg(long)]
        only: Option<String>,
        /// Directory to write each query's answer to as CSV (q1.csv …, q6_ids.txt).
        #[arg(long)]
        answers: Option<PathBuf>,
    },
    /// Ingest over TCP: a `seam serve` in this process (durability sync) and one Rust client
    /// sending the standard workload's `inference` batches as APPEND_COLUMNS (or JSON Lines),
    /// each acknowledged once durable; then a small query's latency while ingest runs.
    Tcp {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        #[arg(long, default_value_t = 65_536)]
        batch_rows: u64,
        /// columns (APPEND_COLUMNS) or json (APPEND_JSON).
        #[arg(long, default_value = "columns", value_parser = ["columns", "json"])]
        format: String,
        /// Database directory [default: a fresh temporary one].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Writes the standard workload as CSV files (inference.csv, feedback.csv) for peers and
    /// for `seam ingest`.
    Csv {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Machine { dir } => {
            let bw = machine::memory_read_bandwidth(5);
            let (p50, p99) = machine::fsync_latency(&dir, 400)?;
            println!("{}", json!({ "memory_read_gb_s": bw / 1e9, "fsync_4k_p50_ms": p50 * 1e3, "fsync_4k_p99_ms": p99 * 1e3 }));
        }
        Command::Ingest { n, batch_rows, durability, writers, stream, dir } => ingest(n, batch_rows, &durability, writers, stream, dir)?,
        Command::Csv { n, out } => write_csv(n, &out)?,
        Command::Zstd { n } => zstd_probe(n)?,
        Command::Tcp { n, batch_rows, format, dir } => seamdb_bench::tcp::run(n, batch_rows, &format, dir)?,
        Command::Queries { db, runs, executor, join, traces, only, answers } => {
            let db = Db::open(&db).with_context(|| format!("open {}", db.display()))?;
            if let Some(dir) = &answers {
                std::fs::create_dir_all(dir)?;
            }
            queries::run(&db.snapshot(), &queries::options(&executor, &join), runs, traces, only.as_deref(), answers.as_deref())?;
        }
    }
    Ok(())
}

fn ingest(n: u64, batch_rows: u64, durability: &str, writers: u64, stream: bool, dir: Option<PathBuf>) -> anyhow::Result<()> {
    let temp = std::env::temp_dir().join(format!("seamdb-bench-{}", std::process::id()));
    let dir = dir.unwrap_or_else(|| temp.clone());
    let durability = match durability {
        "relaxed" => Durability::Relaxed { interval: Duration::from_millis(100) },
        _ => Durability::Sync,
    };
    let workload = Workload { chunk_rows: batch_rows, ..Workload::new(n, 42) };
    // Each writer takes chunks w, w + writers, ...; pre-generated batches are moved, not copied.
    let mut batches: Vec<Vec<seamdb::Batch>> = (0..writers).map(|_| Vec::new()).collect();
    if !stream {
        for k in 0..workload.chunks() {
            batches[(k % writers) as usize].push(workload.inference_batch(k));
        }
    }
    let bytes: usize = batches.iter().flatten().map(|b| b.size_bytes()).sum();
    let rss_before = machine::peak_rss_bytes();
    let db = Db::open_with(&dir, Options { durability, ..Options::default() })?;
    let start = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = batches
            .drain(..)
            .enumerate()
            .map(|(w, mine)| {
                let (db, workload) = (&db, &workload);
                s.spawn(move || -> anyhow::Result<()> {
                    if stream {
                        for k in (w as u64..workload.chunks()).step_by(writers as usize) {
                            db.append("inference", workload.inference_batch(k))?;
                        }
                    }
                    for batch in mine {
                        db.append("inference", batch)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??;
        }
        Ok(())
    })?;
    let acked = start.elapsed().as_secs_f64();
    db.flush()?;
    let sealed = start.elapsed().as_secs_f64();
    let rows = db.snapshot().component("inference").context("nothing ingested")?.rows();
    anyhow::ensure!(rows as u64 == n, "ingested {rows} rows, expected {n}");
    drop(db);
    let _ = std::fs::remove_dir_all(&temp);
    println!(
        "{}",
        json!({
            "rows": n, "batch_rows": batch_rows, "writers": writers, "durability": format!("{durability:?}"), "stream": stream,
            "seconds_to_last_ack": acked, "rows_per_s_acked": n as f64 / acked,
            "seconds_to_all_sealed": sealed, "rows_per_s_sealed": n as f64 / sealed,
            "input_mb": bytes as f64 / 1e6,
            "peak_rss_mb": machine::peak_rss_bytes() as f64 / 1e6, "rss_before_open_mb": rss_before as f64 / 1e6,
        })
    );
    Ok(())
}

fn write_csv(n: u64, out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    let mut inference = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out.join("inference.csv"))?);
    let mut feedback = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(out.join("feedback.csv"))?);
    writeln!(inference, "trace_id,time,score,model_version,country,device,feature_age,feature_income")?;
    writeln!(feedback, "trace_id,time,label")?;
    let workload = Workload::new(n, 42);
    for k in 0..workload.chunks() {
        for r in workload.chunk(k) {
            let income = r.feature_income.map(|x| x.to_string()).unwrap_or_default();
            writeln!(
                inference,
                "{},{},{},{},{},{},{},{}",
                r.trace_id,
                seamdb::query::format_time(r.time_us),
                r.score,
                r.model_version,
                r.country,
                r.device,
                r.feature_age,
                income
            )?;
            if let Some((t, label)) = r.feedback {
                writeln!(feedback, "{},{},{}", r.trace_id, seamdb::query::format_time(t), label)?;
            }
        }
    }
    inference.flush()?;
    feedback.flush()?;
    Ok(())
}

fn zstd_probe(n: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("seamdb-zstd-{}", std::process::id()));
    let db = Db::open_with(&dir, Options { seal_rows: n as usize, ..Options::default() })?;
    let mut load = db.bulk_load("inference")?;
    let workload = Workload::new(n, 42);
    for k in 0..workload.chunks() {
        load.append(workload.inference_batch(k))?;
    }
    load.commit()?;
    let snapshot = db.snapshot();
    let segment = &snapshot.component("inference").context("no data")?.segments()[0];
    let mut columns: Vec<(String, &[u8])> =
        vec![("trace_id".into(), bytemuck::cast_slice(segment.trace_ids())), ("time".into(), bytemuck::cast_slice(segment.times()))];
    for (name, _) in segment.fields() {
        let bytes = match segment.field(name).context("field")?.values {
            seamdb::storage::Values::Float(v) => bytemuck::cast_slice(v),
            seamdb::storage::Values::Int(v) => bytemuck::cast_slice(v),
            seamdb::storage::Values::Bool(v) => v,
            seamdb::storage::Values::Tag { codes: seamdb::storage::Codes::U8(c), .. } => c,
            seamdb::storage::Values::Tag { codes: seamdb::storage::Codes::U16(c), .. } => bytemuck::cast_slice(c),
            seamdb::storage::Values::Tag { codes: seamdb::storage::Codes::U32(c), .. } => bytemuck::cast_slice(c),
        };
        columns.push((name.to_string(), bytes));
    }
    for (name, bytes) in columns {
        for level in [1, 3] {
            let start = Instant::now();
            let packed = zstd::bulk::compress(bytes, level)?;
            let compress_s = start.elapsed().as_secs_f64();
            let start = Instant::now();
            let unpacked = zstd::bulk::decompress(&packed, bytes.len())?;
            let decompress_s = start.elapsed().as_secs_f64();
            anyhow::ensure!(unpacked == bytes, "round trip");
            println!(
                "{}",
                json!({ "column": name, "level": level, "bytes": bytes.len(), "ratio": bytes.len() as f64 / packed.len() as f64,
                        "compress_mb_s": bytes.len() as f64 / compress_s / 1e6, "decompress_mb_s": bytes.len() as f64 / decompress_s / 1e6 })
            );
        }
    }
    drop(snapshot);
    drop(db);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
