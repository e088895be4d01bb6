//! `seamdb-bench spark`: SeamQL over shards through local Spark (issue 17). The standard
//! workload is stored once (as every subcommand stores it), then `bench/peers/spark_shards.py`
//! splits it into each `--shards` count with `seamdb.ShardedWriter` and asks Q1–Q5 of each
//! split through `seamdb.spark` on `local[2]`, and of the whole database embedded in the same
//! Python process, in alternating rounds, every Spark answer checked against the embedded one.
//! Measured per query and shard count: the time (partial states on the shards as Spark tasks,
//! merged by Spark, finished on the driver, collected as a DataFrame), the finish's part of it,
//! the bytes of partial state the shards' tasks returned, and the ratio to the embedded time.
//! Then, with `--live-seconds`, Q1 through Spark while a writer appends small batches.
//!
//! Writes `spark-nN.json` ([`SparkRun`]) into `--out` and prints the table.

use crate::results::Header;
use crate::{ingest, peers, queries};
use seamdb::workload::Workload;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::PathBuf;

/// What to run; `seamdb-bench spark --help` documents each.
#[derive(Clone, Debug)]
pub struct Config {
    pub n: u64,
    pub seed: u64,
    pub shards: Vec<u32>,
    pub runs: usize,
    /// Seconds of the live phase (Q1 through Spark while a writer appends); 0 skips it.
    pub live_seconds: f64,
    pub work: PathBuf,
    pub out: PathBuf,
    pub command: String,
}

/// Everything one `seamdb-bench spark` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SparkRun {
    #[serde(flatten)]
    pub header: Header,
    pub rows: u64,
    /// The script's measurements, one JSON object each (`kind`: versions, split, embedded,
    /// spark).
    pub measured: Vec<Value>,
}

pub fn run(config: &Config) -> anyhow::Result<SparkRun> {
    std::fs::create_dir_all(&config.work)?;
    std::fs::create_dir_all(&config.out)?;
    let workload = Workload::new(config.n, config.seed);
    let stored = ingest::stored(&config.work, &workload)?;
    let list = queries::list_file(&config.work)?;
    let shards = config.shards.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let splits = config.work.join(format!("spark-n{}-s{}", config.n, config.seed));
    eprintln!("seamdb-bench spark: Q1–Q5 over {shards} shards through local Spark and embedded, {} rounds", config.runs);
    let (db, splits, list) = (stored.dir.to_string_lossy(), splits.to_string_lossy(), list.to_string_lossy());
    let (runs, live) = (config.runs.to_string(), config.live_seconds.to_string());
    let args = ["--db", &db, "--work", &splits, "--shards", &shards, "--queries", &list, "--runs", &runs, "--live-seconds", &live];
    let measured = peers::json_lines("spark_shards.py", &args)?;
    let run = SparkRun {
        header: Header::new(config.n, config.seed, &config.command, &config.work)?,
        rows: stored.rows.0 + stored.rows.1,
        measured,
    };
    let path = config.out.join(format!("spark-n{}.json", config.n));
    std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    eprintln!("seamdb-bench spark: wrote {}", path.display());
    Ok(run)
}

/// The run as Markdown: per query, the embedded time, then per shard count the Spark time,
/// its finish, the partial state shipped and the ratio to embedded.
pub fn markdown(run: &SparkRun) -> String {
    let mut out = format!(
        "N = {} ({} rows), {} cores, {}; medians of {} rounds (min–max)\n\n",
        run.header.n,
        run.rows,
        run.header.machine.cores,
        run.header.machine.cpu,
        run.measured.iter().find(|v| v["kind"] == "embedded").and_then(|v| v["ms"]["runs"].as_u64()).unwrap_or(0)
    );
    out.push_str("| query | embedded | shards | through Spark | of it, the finish | partial state shipped | Spark / embedded |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    let ms = |v: &Value, key: &str| {
        let s = &v[key];
        let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        (f("median"), format!("{:.0} ms ({:.0}–{:.0})", f("median"), f("min"), f("max")))
    };
    for embedded in run.measured.iter().filter(|v| v["kind"] == "embedded") {
        let (base, base_text) = ms(embedded, "ms");
        for spark in run.measured.iter().filter(|v| v["kind"] == "spark" && v["query"] == embedded["query"]) {
            let (t, text) = ms(spark, "ms");
            out.push_str(&format!(
                "| {} | {base_text} | {} | {text} | {:.0} ms | {:.1} MB | {:.1}× |\n",
                embedded["query"].as_str().unwrap_or("?"),
                spark["shards"],
                ms(spark, "finish_ms").0,
                spark["shipped_bytes"].as_f64().unwrap_or(f64::NAN) / 1e6,
                t / base
            ));
        }
    }
    for live in run.measured.iter().filter(|v| v["kind"] == "live") {
        let (_, text) = ms(live, "q1_ms");
        out.push_str(&format!(
            "\nLive: Q1 through Spark over {} shards while a writer appends {} predictions, then their labels, at a time: {text}, at {:.0} K rows/s appended, each append durable.\n",
            live["shards"],
            live["batch_rows"],
            live["appended_rows_per_s"].as_f64().unwrap_or(f64::NAN) / 1e3
        ));
    }
    out
}
