//! `seamdb-bench`: the benchmark harness. Without a subcommand it runs everything for one or
//! more N (ingest embedded, over TCP and from CSV; Q1–Q6; DuckDB and Polars on the same data,
//! answers checked) and writes JSON, Markdown and a plot; the subcommands are single
//! experiments for profiling. docs/BENCHMARKS.md says which command produced each number.

use seamdb_bench::{harness, heap, ingest, live, machine, python, queries, results, slo, spark};

#[global_allocator]
static HEAP: heap::Counting = heap::Counting;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use seamdb::workload::Workload;
use seamdb::{Db, Durability, Options};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(name = "seamdb-bench", args_conflicts_with_subcommands = true)]
/// SeamDB's benchmark harness.
///
/// Without a subcommand: for each N, generate the standard workload (SPEC §7), ingest it
/// embedded, over TCP and from CSV, run Q1–Q6, check the answers against the row-at-a-time
/// executor (small N) and against DuckDB and Polars on the same data, time the peers, and
/// write nN.json, report.md and (for several N) growth.svg into --out. The peers need
/// `python3 -m pip install -r bench/peers/requirements.txt`.
struct Cli {
    #[command(flatten)]
    harness: HarnessArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args, Debug)]
struct HarnessArgs {
    /// Predictions per run; several, comma-separated, measure growth (e.g. 1000000,10000000,30000000)
    /// [default: 10000000; quick: 100000].
    #[arg(long, value_delimiter = ',')]
    n: Vec<u64>,
    /// Small and fast, for CI: N = 100000 unless --n is given, one run of everything; checks
    /// every answer, and its times mean nothing.
    #[arg(long)]
    quick: bool,
    /// Warm runs per query [default: 5; quick: 1].
    #[arg(long)]
    runs: Option<usize>,
    /// Runs of each ingest path and peer load, each from scratch [default: 3; quick: 1].
    #[arg(long)]
    ingest_runs: Option<usize>,
    /// Traces looked up by Q6 [default: 1000; quick: 100].
    #[arg(long)]
    traces: Option<usize>,
    /// Thread counts to run the peers with.
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    threads: Vec<usize>,
    /// Skip DuckDB and Polars (no speed ratios then; answers are still checked against the
    /// row-at-a-time executor up to --reference-up-to).
    #[arg(long)]
    no_peers: bool,
    /// Largest N whose answers are also computed by the row-at-a-time reference executor.
    #[arg(long, default_value_t = 1_000_000)]
    reference_up_to: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Scratch space: databases, CSV files (kept and reused for the same N and seed), answers.
    #[arg(long, default_value = "target/seamdb-bench/work")]
    work: PathBuf,
    /// Where nN.json, report.md and growth.svg go.
    #[arg(long, default_value = "target/seamdb-bench")]
    out: PathBuf,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Single-core memory-read bandwidth and 4 KiB write + fdatasync latency.
    Machine {
        /// Directory on the disk under test.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Embedded ingest of the standard workload through the WAL (`inference` only unless
    /// --feedback).
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
        writers: usize,
        /// Append each chunk's labels to `feedback` after its predictions.
        #[arg(long)]
        feedback: bool,
        /// Days the predictions are spread over (the standard workload: 7).
        #[arg(long, default_value_t = 7)]
        days: u64,
        /// Database directory [default: a fresh temporary one].
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// The Python package (issue 16): Q1–Q5 through the Rust API, through `seamdb.open` as
    /// `db.query(q)`, `.arrow()` and `.df()`, and through DuckDB's Python API on the same
    /// data in the same Python process; then appends of the workload through the Rust API and
    /// from numpy, pandas and pyarrow. Needs `pip install ./python` and the peers'
    /// requirements. Writes python-nN.json into --out and prints the tables.
    Python {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        /// Warm rounds of the queries (every query and form once per round).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Appends of the whole workload per input form, each into a fresh database.
        #[arg(long, default_value_t = 3)]
        append_runs: usize,
        /// Which parts: queries, append.
        #[arg(long, value_delimiter = ',', default_value = "queries,append", value_parser = ["queries", "append"])]
        only: Vec<String>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scratch space: the stored workload and its CSV files (kept and reused), appends.
        #[arg(long, default_value = "target/seamdb-bench/work")]
        work: PathBuf,
        /// Where python-nN.json goes.
        #[arg(long, default_value = "target/seamdb-bench/python")]
        out: PathBuf,
    },
    /// SeamQL over shards through local Spark (issue 17): the workload split into each
    /// --shards count by `seamdb.ShardedWriter`, Q1–Q5 asked through `seamdb.spark` on
    /// `local[2]` and of the whole database embedded, in rounds, every answer checked. Needs
    /// `pip install ./python pyspark` and Java 17. Writes spark-nN.json into --out and prints
    /// the table.
    Spark {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        /// Shard counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
        shards: Vec<u32>,
        /// Rounds (every query, embedded and at every shard count, once per round).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Then Q1 through Spark for this many seconds while a writer appends 100-row batches
        /// to a copy of the 2-shard split (0 skips it).
        #[arg(long, default_value_t = 20.0)]
        live_seconds: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scratch space: the stored workload and its splits (kept and reused).
        #[arg(long, default_value = "target/seamdb-bench/work")]
        work: PathBuf,
        /// Where spark-nN.json goes.
        #[arg(long, default_value = "target/seamdb-bench/spark")]
        out: PathBuf,
    },
    /// What zstd would buy on a sealed `inference` segment: per column, compression ratio
    /// and compress / decompress speed at levels 1 and 3.
    Zstd {
        #[arg(long, default_value_t = 1 << 20)]
        n: u64,
    },
    /// The standard queries Q1–Q6 and the feature queries F1–F8 against an existing database:
    /// cold and warm times, and each query's peak heap. For profiling, SEAM_BENCH_QUERY adds one
    /// statement of your own (`--only custom` runs just it).
    Queries {
        #[arg(long)]
        db: PathBuf,
        /// Warm runs per query after the cold one.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// columnar, or rows (the row-at-a-time reference executor).
        #[arg(long, default_value = "columnar", value_parser = ["columnar", "rows"])]
        executor: String,
        /// stored (the stored join, kept on disk) or hash (a hash join per query).
        #[arg(long, default_value = "stored", value_parser = ["stored", "hash"])]
        join: String,
        /// Traces looked up by Q6 (0 skips it).
        #[arg(long, default_value_t = 1000)]
        traces: usize,
        /// Run only this query (Q1 … Q6, F1 … F8, or custom).
        #[arg(long)]
        only: Option<String>,
        /// Directory to write each answer to as CSV (q1.csv …, f1.csv …, q6.csv, q6_ids.txt).
        #[arg(long)]
        answers: Option<PathBuf>,
    },
    /// Opens a database and answers one of Q1–Q6 or F1–F8 once (the harness times this in a
    /// new process, as a `seam query` pays it).
    #[command(hide = true)]
    Once {
        #[arg(long)]
        db: PathBuf,
        /// Q1 … Q6, F1 … F8.
        #[arg(long)]
        query: String,
        /// Q6's trace IDs, one a line.
        #[arg(long)]
        ids: PathBuf,
    },
    /// Ingest over TCP: a server in this process (durability sync) and one client sending the
    /// standard workload's batches (both components) as APPEND_COLUMNS or JSON Lines, each
    /// acknowledged once durable; a small query's latency from a second client meanwhile.
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
    /// The live shape through `seam serve` in a process of its own: --writers clients append
    /// --batch-rows predictions and then their labels (an hour later in event time), each
    /// acknowledged once durable, while another client asks Q1 once a second; then Q1 after
    /// the writers stop, from a new `seam query` process and through a freshly started server,
    /// the server's peak RSS and the segment bytes. Each (batch rows, writers) pair runs on a
    /// copy of the same preloaded database.
    Live {
        /// Predictions of the standard workload (and their labels) loaded embedded first.
        #[arg(long, default_value_t = 3_000_000)]
        preload: u64,
        /// Rows per prediction append; several, comma-separated, run one after another.
        #[arg(long, value_delimiter = ',', default_value = "100")]
        batch_rows: Vec<u64>,
        /// Concurrent writer connections; several, comma-separated, run one after another.
        #[arg(long, value_delimiter = ',', default_value = "8")]
        writers: Vec<usize>,
        /// How long the writers run per configuration.
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        /// Work directory for the databases and the servers' logs [default: a fresh temporary
        /// one, removed at the end].
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Also write the results as JSON to this file.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The `seam` binary to serve and query with [default: `seam` beside this one, from
        /// `cargo build --release -p seamdb-cli`].
        #[arg(long)]
        server_bin: Option<PathBuf>,
    },
    /// Writes the standard workload as CSV files (inference.csv, feedback.csv).
    Csv {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        /// Days the predictions are spread over (the standard workload: 7).
        #[arg(long, default_value_t = 7)]
        days: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Issue 15: what judging SLOs and DIAGNOSE cost. On the workload spread over --days (a
    /// year of daily windows by default), three SLOs stored (acc: daily accuracy per country,
    /// delay: daily median label delay, drift: daily psi of feature_age against day one):
    /// each SLO's SELECT against CHECK SLO of it and CHECK SLOS, warm, in rounds; then `seam
    /// query DB "<SELECT>"` against `seam slo check DB` from new processes. On the standard
    /// week (--diagnose-days): Q1 against DIAGNOSE of one day and of one hour, warm after the
    /// join is stored, and through `seam query`. Writes slo-nN.json into --out and prints the
    /// tables. Databases go under --work and are removed unless --keep.
    Slo {
        #[arg(long, default_value_t = 10_000_000)]
        n: u64,
        /// Days the SLO part's workload spans.
        #[arg(long, default_value_t = 365)]
        days: u64,
        /// Days the DIAGNOSE part's workload spans (the standard workload: 7).
        #[arg(long, default_value_t = 7)]
        diagnose_days: u64,
        /// Warm rounds (each statement once per round) after the cold runs.
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Rounds of new `seam` processes (0 skips them).
        #[arg(long, default_value_t = 5)]
        process_runs: usize,
        /// Which parts: slo, diagnose.
        #[arg(long, value_delimiter = ',', default_value = "slo,diagnose", value_parser = ["slo", "diagnose"])]
        only: Vec<String>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Scratch space for the databases (reused by a later run with --keep).
        #[arg(long, default_value = "/tmp/seamdb-bench-slo")]
        work: PathBuf,
        /// Keep the databases for the next run.
        #[arg(long)]
        keep: bool,
        /// Where slo-nN.json goes.
        #[arg(long, default_value = "target/seamdb-bench/slo")]
        out: PathBuf,
        /// The `seam` binary [default: `seam` beside this one, from `cargo build --release -p
        /// seamdb-cli`].
        #[arg(long)]
        seam: Option<PathBuf>,
    },
    /// Rewrites report.md and growth.svg in DIR from the nN.json files there, without
    /// measuring anything.
    Report { dir: PathBuf },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        None => run_harness(cli.harness)?,
        Some(Command::Machine { dir }) => println!("{}", serde_json::to_string(&machine::describe(&dir, 5)?)?),
        Some(Command::Ingest { n, batch_rows, durability, writers, feedback, days, dir }) => {
            let durability = match durability.as_str() {
                "relaxed" => Durability::Relaxed { interval: Duration::from_millis(100) },
                _ => Durability::Sync,
            };
            let workload = Workload { chunk_rows: batch_rows, days, ..Workload::new(n, 42) };
            let batches = ingest::batches(&workload, feedback);
            let (dir, temp) = scratch(dir, "ingest");
            let o = ingest::run(&dir, batches, durability, writers.max(1))?;
            let (ack_p50, ack_p99) = results::p50_p99(o.ack_ms.clone()).unwrap_or_default();
            println!(
                "{}",
                json!({ "rows": o.rows, "batch_rows": batch_rows, "writers": writers, "durability": format!("{durability:?}"),
                        "rows_per_s_acked": o.rows as f64 / o.seconds_acked, "rows_per_s_sealed": o.rows as f64 / o.seconds_sealed,
                        "input_mb": o.input_bytes as f64 / 1e6, "ack_p50_ms": ack_p50,
                        "ack_p99_ms": ack_p99, "peak_db_heap_mb": o.peak_db_heap as f64 / 1e6 })
            );
            if temp {
                std::fs::remove_dir_all(&dir)?;
            }
        }
        Some(Command::Csv { n, days, out }) => seamdb_bench::peers::write_csv(&Workload { days, ..Workload::new(n, 42) }, &out)?,
        Some(Command::Slo { n, days, diagnose_days, runs, process_runs, only, seed, work, keep, out, seam }) => {
            let seam = match seam {
                Some(bin) => bin,
                None => std::env::current_exe()?.with_file_name("seam"),
            };
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let config = slo::Config { n, days, diagnose_days, seed, runs, process_runs, parts: only, work, keep, out, seam, command };
            print!("{}", slo::markdown(&slo::run(&config)?));
        }
        Some(Command::Python { n, runs, append_runs, only, seed, work, out }) => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let config = python::Config { n, seed, runs, append_runs, parts: only, work, out, command };
            print!("{}", python::markdown(&python::run(&config)?));
        }
        Some(Command::Spark { n, shards, runs, live_seconds, seed, work, out }) => {
            let command = std::env::args().collect::<Vec<_>>().join(" ");
            let config = spark::Config { n, seed, shards, runs, live_seconds, work, out, command };
            print!("{}", spark::markdown(&spark::run(&config)?));
        }
        Some(Command::Zstd { n }) => zstd_probe(n)?,
        Some(Command::Tcp { n, batch_rows, format, dir }) => {
            let workload = Workload { chunk_rows: batch_rows, ..Workload::new(n, 42) };
            let (dir, temp) = scratch(dir, "tcp");
            let t = seamdb_bench::tcp::run(&dir, ingest::batches(&workload, true), format == "json")?;
            let samples = t.probe_ms.len();
            let (p50, p99) = results::p50_p99(t.probe_ms).unwrap_or_default();
            println!(
                "{}",
                json!({ "rows": t.ingest.rows, "seconds": t.ingest.seconds_acked, "rows_per_s": t.ingest.rows as f64 / t.ingest.seconds_acked,
                        "format": format, "batch_rows": batch_rows,
                        "query_during_ingest": { "samples": samples, "p50_ms": p50, "p99_ms": p99 } })
            );
            if temp {
                std::fs::remove_dir_all(&dir)?;
            }
        }
        Some(Command::Live { preload, batch_rows, writers, seconds, dir, out, server_bin }) => {
            let server_bin = match server_bin {
                Some(bin) => bin,
                None => std::env::current_exe()?.with_file_name("seam"),
            };
            let config = live::Config { preload, batch_rows, writers, seconds, server_bin };
            let (dir, temp) = scratch(dir, "live");
            let report = live::run(&dir, &config);
            // Removed even when the run failed: each configuration leaves a database copy.
            if temp && dir.exists() {
                std::fs::remove_dir_all(&dir)?;
            }
            if let Some(out) = out {
                std::fs::write(&out, serde_json::to_string_pretty(&report?)?).with_context(|| format!("write {}", out.display()))?;
            } else {
                report?;
            }
        }
        Some(Command::Queries { db, runs, executor, join, traces, only, answers }) => {
            let db = Db::open(&db).with_context(|| format!("open {}", db.display()))?;
            let snapshot = db.snapshot();
            let options = queries::options(&executor, &join);
            let wanted = |name: &str| only.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(name));
            let custom = std::env::var("SEAM_BENCH_QUERY").ok();
            let standard = queries::QUERIES.iter().map(|q| (q.name, q.text, q.columns));
            let features = queries::FEATURES.iter().map(|f| (f.name, f.text, &[][..]));
            let own = custom.as_deref().map(|t| ("custom", t, &[][..]));
            let mut tables = Vec::new();
            for (name, text, columns) in standard.chain(features).chain(own).filter(|q| wanted(q.0)) {
                let (mut q, table) = queries::measure(name, text, &db, &options, runs)?;
                q.column_bytes = Some(queries::column_bytes(&snapshot, columns));
                println!("{}", serde_json::to_string(&q)?);
                tables.push((name, table));
            }
            // What the queries left behind: join indexes, attached columns, trace lookups.
            println!("{}", json!({ "retained_heap_mb": heap::live() as f64 / 1e6 }));
            let ids = if traces > 0 && wanted("Q6") { queries::q6_ids(&snapshot, traces)? } else { Vec::new() };
            let q6 = if ids.is_empty() { None } else { Some(queries::q6(&snapshot, &ids, runs)?) };
            if let Some((q, _)) = &q6 {
                println!("{}", serde_json::to_string(q)?);
            }
            if let Some(dir) = &answers {
                queries::write_answers(dir, &tables, q6.as_ref().map(|(_, events)| (&ids[..], events.as_str())))?;
            }
        }
        Some(Command::Once { db, query, ids }) => {
            queries::once(&db, &query, &ids)?;
        }
        Some(Command::Report { dir }) => {
            let mut runs = Vec::new();
            for entry in std::fs::read_dir(&dir)? {
                let path = entry?.path();
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with('n') && name.ends_with(".json") {
                    let text = std::fs::read_to_string(&path)?;
                    runs.push(serde_json::from_str::<results::Run>(&text).with_context(|| format!("read {}", path.display()))?);
                }
            }
            anyhow::ensure!(!runs.is_empty(), "no nN.json result files in {}", dir.display());
            runs.sort_by_key(|r| r.n);
            harness::write_report(&runs, &dir)?;
        }
    }
    Ok(())
}

fn run_harness(a: HarnessArgs) -> anyhow::Result<()> {
    let config = harness::Config {
        sizes: match (a.n.is_empty(), a.quick) {
            (false, _) => a.n,
            (true, true) => vec![100_000],
            (true, false) => vec![10_000_000],
        },
        seed: a.seed,
        quick: a.quick,
        runs: a.runs.unwrap_or(if a.quick { 1 } else { 5 }),
        ingest_runs: a.ingest_runs.unwrap_or(if a.quick { 1 } else { 3 }).max(1),
        traces: a.traces.unwrap_or(if a.quick { 100 } else { 1000 }),
        peers: !a.no_peers,
        threads: a.threads,
        reference_up_to: a.reference_up_to,
        work: a.work,
        out: a.out,
        command: std::env::args().collect::<Vec<_>>().join(" "),
    };
    let runs = harness::run(&config)?;
    print!("{}", seamdb_bench::report::markdown(&runs));
    Ok(())
}

/// `dir`, or a fresh temporary directory (then `true`: remove it afterwards).
fn scratch(dir: Option<PathBuf>, what: &str) -> (PathBuf, bool) {
    match dir {
        Some(d) => (d, false),
        None => (std::env::temp_dir().join(format!("seamdb-bench-{what}-{}", std::process::id())), true),
    }
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
    segment.verify_all()?;
    let mut columns: Vec<(String, &[u8])> =
        vec![("trace_id".into(), bytemuck::cast_slice(segment.trace_ids())), ("time".into(), bytemuck::cast_slice(segment.times()))];
    for (name, _) in segment.fields() {
        let bytes = segment.field(name).context("field")?.values.as_bytes();
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
