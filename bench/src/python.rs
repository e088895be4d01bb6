//! `seamdb-bench python`: the Python package against the Rust API and against DuckDB's Python
//! API (issue 16), on the standard workload.
//!
//! - **Queries.** Q1–Q5 through the Rust API in this process (`query::run`, warm), then
//!   `bench/peers/python_api.py queries` in a Python process: the same queries through
//!   `seamdb.open(…, read_only=True)` as `db.query(q)`, `.arrow()` and `.df()`, and DuckDB's
//!   `con.sql(sql).df()` / `.arrow()` on the same data loaded from the CSV files, in rounds
//!   within that one process; then the Rust API again. The Rust API's time is the median of
//!   both blocks, so drift during the Python run falls on both sides. Targets: `.arrow()`
//!   within 1.1× of the Rust API, `.df()` within 1.3×, and DuckDB's `.df()` at least 5× ours.
//! - **Appends.** The workload's batches appended through `Db::append` (the Rust API, one
//!   writer, durable), then `python_api.py append`: the same rows from the CSV files, in
//!   batches of the same size, from numpy, pandas and pyarrow. Target: at least 5 M rows/s
//!   durable from numpy and pyarrow.
//!
//! Writes `python-nN.json` ([`PythonRun`]) into `--out` and prints the tables.

use crate::results::{Header, Query, Spread};
use crate::{ingest, peers, queries};
use seamdb::workload::Workload;
use seamdb::{Db, Durability};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// What to run; `seamdb-bench python --help` documents each.
#[derive(Clone, Debug)]
pub struct Config {
    pub n: u64,
    pub seed: u64,
    pub runs: usize,
    pub append_runs: usize,
    /// `queries`, `append` or both.
    pub parts: Vec<String>,
    pub work: PathBuf,
    pub out: PathBuf,
    pub command: String,
}

/// Everything one `seamdb-bench python` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PythonRun {
    #[serde(flatten)]
    pub header: Header,
    /// Python, pyarrow, pandas, numpy and DuckDB versions.
    pub versions: Vec<String>,
    /// Q1–Q5 through the Rust API: warm times of both blocks together.
    pub rust_queries: Vec<Query>,
    /// The Rust API's appends of the workload: rows/s per run.
    pub rust_append_rows_per_s: Spread,
    pub rows: u64,
    /// The Python script's measurements, one JSON object each (`kind`: query, ratio, append).
    pub python: Vec<Value>,
}

pub fn run(config: &Config) -> anyhow::Result<PythonRun> {
    std::fs::create_dir_all(&config.work)?;
    std::fs::create_dir_all(&config.out)?;
    let workload = Workload::new(config.n, config.seed);
    let mut run = PythonRun {
        header: Header::new(config.n, config.seed, &config.command, &config.work)?,
        versions: versions()?,
        ..PythonRun::default()
    };
    let data = config.work.join(format!("csv-n{}-s{}", config.n, config.seed));
    say(format_args!("writing the workload as CSV into {} (for pyarrow's reader and DuckDB)", data.display()));
    peers::write_csv(&workload, &data)?;
    let wants = |p: &str| config.parts.iter().any(|x| x == p);
    if wants("queries") {
        query_part(config, &workload, &data, &mut run)?;
    }
    if wants("append") {
        append_part(config, &workload, &data, &mut run)?;
    }
    let path = config.out.join(format!("python-n{}.json", config.n));
    std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    say(format_args!("wrote {}", path.display()));
    Ok(run)
}

/// Q1–Q5: the Rust API, the script, the Rust API again.
fn query_part(config: &Config, workload: &Workload, data: &Path, run: &mut PythonRun) -> anyhow::Result<()> {
    let stored = ingest::stored(&config.work, workload)?;
    run.rows = stored.rows.0 + stored.rows.1;
    // The Rust API: cold runs (a join's first stores it), answers for the script to check.
    let answers = config.work.join("python-answers");
    let mut rust: Vec<Vec<f64>> = vec![Vec::new(); queries::QUERIES.len()];
    {
        let db = Db::open(&stored.dir)?;
        let mut tables = Vec::new();
        for q in queries::QUERIES {
            tables.push((q.name, seamdb::query::run(&seamdb::query::parse(q.text)?, &db)?));
        }
        queries::write_answers(&answers, &tables, None)?;
        rust_rounds(&db, config.runs, &mut rust)?;
    }
    let list_file = queries::list_file(&config.work)?;

    say(format_args!("Q1–Q5 from Python, then beside DuckDB's Python API, {} rounds each", config.runs));
    let (db, data, answers, list) =
        (stored.dir.to_string_lossy(), data.to_string_lossy(), answers.to_string_lossy(), list_file.to_string_lossy());
    let runs = config.runs.to_string();
    let args = ["queries", "--db", &db, "--data", &data, "--answers", &answers, "--queries", &list, "--runs", &runs];
    run.python.extend(script(&args)?);
    rust_rounds(&Db::open(&stored.dir)?, config.runs, &mut rust)?;
    for (q, times) in queries::QUERIES.iter().zip(&rust) {
        run.rust_queries.push(Query {
            engine: "seamdb (Rust API)".into(),
            query: q.name.into(),
            threads: 2,
            ms: Spread::of(times),
            ..Query::default()
        });
    }
    Ok(())
}

/// The workload appended through the Rust API, then from numpy, pandas and pyarrow.
fn append_part(config: &Config, workload: &Workload, data: &Path, run: &mut PythonRun) -> anyhow::Result<()> {
    say(format_args!("appends through the Rust API, {} runs", config.append_runs));
    let mut rates = Vec::new();
    for _ in 0..config.append_runs {
        let dir = config.work.join("rust-append");
        let _ = std::fs::remove_dir_all(&dir);
        let outcome = ingest::run(&dir, ingest::batches(workload, true), Durability::Sync, 1)?;
        rates.push(outcome.rows as f64 / outcome.seconds_acked);
        run.rows = outcome.rows;
        std::fs::remove_dir_all(&dir)?;
    }
    run.rust_append_rows_per_s = Spread::of(&rates);
    say(format_args!("appends from numpy, pandas and pyarrow, {} runs each", config.append_runs));
    let runs = config.append_runs.to_string();
    run.python.extend(script(&["append", "--data", &data.to_string_lossy(), "--work", &config.work.to_string_lossy(), "--runs", &runs])?);
    Ok(())
}

/// `runs` rounds of Q1–Q5 through the Rust API, each query once per round (as the script
/// runs them): each query's times added to `times`.
fn rust_rounds(db: &Db, runs: usize, times: &mut [Vec<f64>]) -> anyhow::Result<()> {
    let statements = queries::QUERIES.iter().map(|q| seamdb::query::parse(q.text)).collect::<Result<Vec<_>, _>>()?;
    for _ in 0..runs {
        for (statement, times) in statements.iter().zip(times.iter_mut()) {
            let start = Instant::now();
            seamdb::query::run(statement, db)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(())
}

/// `bench/peers/python_api.py` with `args`: its JSON lines. It exits non-zero on a wrong answer.
fn script(args: &[&str]) -> anyhow::Result<Vec<Value>> {
    peers::json_lines("python_api.py", args)
}

/// The Python side's versions, or an error that says what to install.
fn versions() -> anyhow::Result<Vec<String>> {
    let out = Command::new(peers::python())
        .args(["-c", "import sys, seamdb, pyarrow, pandas, numpy, duckdb\nprint('python', sys.version.split()[0])\nfor m in (pyarrow, pandas, numpy, duckdb): print(m.__name__, m.__version__)"])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "the Python benchmark needs `pip install ./python` and `pip install -r bench/peers/requirements.txt`: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}

fn say(what: std::fmt::Arguments<'_>) {
    eprintln!("seamdb-bench python: {what}");
}

/// The run as Markdown: each query's forms and ratios, then the appends.
pub fn markdown(run: &PythonRun) -> String {
    let mut out = format!(
        "N = {} ({} rows), {} cores, {}; medians of warm runs (min–max)\n\n",
        run.header.n, run.rows, run.header.machine.cores, run.header.machine.cpu
    );
    let python = |kind: &str, query: &str, form: &str| {
        run.python.iter().find(|v| v["kind"] == kind && v["query"] == query && (v["form"] == form || v["what"] == form))
    };
    let median = |v: Option<&Value>, key: &str| v.and_then(|v| v[key]["median"].as_f64()).unwrap_or(f64::NAN);
    out.push_str(
        "| query | Rust API | `db.query(q)` | `.arrow()` | `.df()` | `.arrow()` / Rust | `.df()` / Rust | ours `.df()` beside DuckDB | DuckDB `.df()` | DuckDB / ours, paired |\n",
    );
    out.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for q in &run.rust_queries {
        let rust = q.ms.median;
        let form = |f: &str| median(python("query", &q.query, f), "ms");
        let (query, arrow, df) = (form("seamdb query"), form("seamdb .arrow()"), form("seamdb .df()"));
        let (beside, duck) = (form("seamdb .df() beside duckdb"), form("duckdb .df()"));
        out.push_str(&format!(
            "| {} | {rust:.1} ms | {query:.1} ms | {arrow:.1} ms | {df:.1} ms | {:.3}× | {:.3}× | {beside:.1} ms | {duck:.1} ms | {:.1}× |\n",
            q.query,
            arrow / rust,
            df / rust,
            median(python("ratio", &q.query, "duckdb .df() / seamdb .df() beside duckdb"), "paired")
        ));
    }
    out.push_str("\n| append from | rows/s, median (min–max) | vs the Rust API |\n|---|---|---|\n");
    let rust = &run.rust_append_rows_per_s;
    out.push_str(&format!(
        "| Rust API (`Db::append`) | {:.2} M ({:.2}–{:.2} M) | 1 |\n",
        rust.median / 1e6,
        rust.min / 1e6,
        rust.max / 1e6
    ));
    for v in run.python.iter().filter(|v| v["kind"] == "append") {
        let r = &v["rows_per_s"];
        let m = r["median"].as_f64().unwrap_or(f64::NAN);
        out.push_str(&format!(
            "| {} | {:.2} M ({:.2}–{:.2} M) | {:.2} |\n",
            v["form"].as_str().unwrap_or("?"),
            m / 1e6,
            r["min"].as_f64().unwrap_or(f64::NAN) / 1e6,
            r["max"].as_f64().unwrap_or(f64::NAN) / 1e6,
            m / rust.median
        ));
    }
    out
}
