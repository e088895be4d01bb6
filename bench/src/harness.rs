//! The harness: for each N, the standard workload ingested embedded, over TCP and from CSV,
//! Q1–Q6 and the feature queries F1–F8 on the result, the answers checked against the row-at-a-time executor and against
//! DuckDB and Polars on the same data, the peers timed on that data, and the machine's own
//! limits measured in the same run. Writes one JSON result file per N, a Markdown report and,
//! for more than one N, the growth plot.

use crate::results::{p50_p99, Ingest, Run, Spread};
use crate::{heap, ingest, machine, peers, plot, queries, report, tcp};
use seamdb::workload::Workload;
use seamdb::{Db, Durability};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What to run; `seamdb-bench --help` documents each.
#[derive(Clone, Debug)]
pub struct Config {
    pub sizes: Vec<u64>,
    pub seed: u64,
    pub quick: bool,
    /// Warm runs per query.
    pub runs: usize,
    /// Runs of each ingest path (each into a fresh directory).
    pub ingest_runs: usize,
    pub traces: usize,
    pub peers: bool,
    pub threads: Vec<usize>,
    /// Compare with the row-at-a-time executor up to this N.
    pub reference_up_to: u64,
    pub work: PathBuf,
    pub out: PathBuf,
    pub command: String,
}

/// Runs everything, writing results as it goes; returns the runs.
pub fn run(config: &Config) -> anyhow::Result<Vec<Run>> {
    std::fs::create_dir_all(&config.work)?;
    std::fs::create_dir_all(&config.out)?;
    // Before anything long: the peers must be there if they are to be compared.
    let peer_versions = if config.peers { peers::versions()? } else { Vec::new() };
    say(format_args!("measuring the machine (read bandwidth, fsync latency in {})", config.work.display()));
    let machine = machine::describe(&config.work, if config.quick { 2 } else { 5 })?;
    let mut runs = Vec::new();
    for &n in &config.sizes {
        let mut run = one(config, n)?;
        run.machine = machine.clone();
        run.peers = peer_versions.clone();
        let path = config.out.join(format!("n{n}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
        say(format_args!("wrote {}", path.display()));
        runs.push(run);
    }
    write_report(&runs, &config.out)?;
    // A feature query's different answer does not stop the run (its results and report are
    // written, saying where), but the run fails: CI and whoever reads the exit status see it.
    let wrong: Vec<String> = runs.iter().flat_map(|r| r.mismatches().into_iter().map(move |m| format!("N = {}: {m}", r.n))).collect();
    anyhow::ensure!(wrong.is_empty(), "answers differ:\n{}", wrong.join("\n"));
    Ok(runs)
}

/// Writes `report.md` and, with more than one N, `growth.svg`, into `out`.
pub fn write_report(runs: &[Run], out: &Path) -> anyhow::Result<()> {
    std::fs::write(out.join("report.md"), report::markdown(runs))?;
    if runs.len() > 1 {
        std::fs::write(out.join("growth.svg"), plot::growth(runs))?;
    }
    say(format_args!("wrote {}", out.join("report.md").display()));
    Ok(())
}

fn say(what: std::fmt::Arguments<'_>) {
    eprintln!("seamdb-bench: {what}");
}

fn one(config: &Config, n: u64) -> anyhow::Result<Run> {
    let work = config.work.join(format!("n{n}"));
    std::fs::create_dir_all(&work)?;
    let workload = Workload::new(n, config.seed);
    say(format_args!("N = {n}: generating the workload (seed {})", config.seed));
    let batches = ingest::batches(&workload, true);
    let count = |c: &str| batches.iter().filter(|(name, _)| *name == c).map(|(_, b)| b.rows() as u64).sum::<u64>();
    let mut run = Run {
        n,
        seed: config.seed,
        quick: config.quick,
        command: config.command.clone(),
        started: now_rfc3339(),
        seamdb_version: env!("CARGO_PKG_VERSION").into(),
        rows: (count("inference"), count("feedback")),
        traces: config.traces,
        ..Run::default()
    };

    say(format_args!("N = {n}: embedded ingest, {} runs", config.ingest_runs));
    let db_dir = work.join("db");
    let mut outcomes = Vec::new();
    for _ in 0..config.ingest_runs {
        remove(&db_dir)?;
        outcomes.push(ingest::run(&db_dir, batches.clone(), Durability::Sync, 1)?);
    }
    run.ingest.push(summarise("embedded, acknowledged", &outcomes, |o| o.seconds_acked));
    run.ingest.push(Ingest { ack_p50_ms: None, ack_p99_ms: None, ..summarise("embedded, all sealed", &outcomes, |o| o.seconds_sealed) });

    say(format_args!("N = {n}: TCP ingest, {} runs", config.ingest_runs));
    let (mut outcomes, mut probe) = (Vec::new(), Vec::new());
    for _ in 0..config.ingest_runs {
        let dir = work.join("tcp");
        remove(&dir)?;
        let t = tcp::run(&dir, batches.clone(), false)?;
        remove(&dir)?;
        outcomes.push(t.ingest);
        probe.extend(t.probe_ms);
    }
    drop(batches);
    let probe = p50_p99(probe);
    run.ingest.push(Ingest {
        query_during_p50_ms: probe.map(|p| p.0),
        query_during_p99_ms: probe.map(|p| p.1),
        ..summarise("TCP, APPEND_COLUMNS", &outcomes, |o| o.seconds_acked)
    });

    let data = work.join("data");
    say(format_args!("N = {n}: writing the workload as CSV into {}", data.display()));
    peers::write_csv(&workload, &data)?;
    say(format_args!("N = {n}: CSV ingest, {} runs", config.ingest_runs));
    run.ingest.push(csv_ingest(&data, &work.join("csv"), config.ingest_runs)?);

    say(format_args!("N = {n}: Q1-Q6, {} warm runs each", config.runs));
    let answers = work.join("answers");
    let db = Db::open(&db_dir)?;
    let snapshot = db.snapshot();
    let mut tables = Vec::new();
    for q in queries::QUERIES {
        let (mut measured, table) = queries::measure(q.name, q.text, &db, &seamdb::query::Options::default(), config.runs)?;
        measured.column_bytes = Some(queries::column_bytes(&snapshot, q.columns));
        if n <= config.reference_up_to {
            let rows = seamdb::query::Options { executor: seamdb::query::Executor::Rows, ..Default::default() };
            let reference = seamdb::query::execute_with(&seamdb::query::parse(q.text)?, &snapshot, &rows)?;
            measured.max_abs_diff = Some(queries::compare(q.name, &table, &reference)?);
        }
        run.queries.push(measured);
        tables.push((q.name, table));
    }
    let ids = queries::q6_ids(&snapshot, config.traces)?;
    let (q6, events) = queries::q6(&snapshot, &ids, config.runs)?;
    run.queries.push(q6);
    say(format_args!("N = {n}: feature queries F1-F{}, {} warm runs each", queries::FEATURES.len(), config.runs));
    for f in queries::FEATURES {
        let (mut measured, table) = queries::measure(f.name, f.text, &db, &seamdb::query::Options::default(), config.runs)?;
        measured.text = Some(f.text.into());
        if n <= config.reference_up_to {
            let rows = seamdb::query::Options { executor: seamdb::query::Executor::Rows, ..Default::default() };
            let reference = seamdb::query::execute_with(&seamdb::query::parse(f.text)?, &snapshot, &rows)?;
            match queries::compare(f.name, &table, &reference) {
                Ok(diff) => measured.max_abs_diff = Some(diff),
                Err(e) => measured.mismatch = Some(format!("the row-at-a-time executor answers otherwise: {e}")),
            }
        }
        run.queries.push(measured);
        tables.push((f.name, table));
    }
    if n <= config.reference_up_to {
        run.checked_against.push(format!("SeamDB's row-at-a-time reference executor (Q1-Q5, F1-F{})", queries::FEATURES.len()));
    }
    queries::write_answers(&answers, &tables, Some((&ids, &events)))?;
    drop((snapshot, db));
    say(format_args!("N = {n}: Q1-Q6 each from a new process, {} times", config.runs));
    for (name, spread) in queries::new_process(&db_dir, &answers.join("q6_ids.txt"), config.runs)? {
        if let Some(q) = run.queries.iter_mut().find(|q| q.engine == "seamdb" && q.query == name) {
            q.new_process_ms = Some(spread);
        }
    }

    if config.peers {
        let setup =
            peers::Setup { data: &data, answers: &answers, work: &work, runs: config.runs, load_runs: config.ingest_runs, queries: None };
        if config.quick {
            peers::check_rejects_wrong_answer(&setup)?;
        }
        for engine in peers::ENGINES {
            let mut features = Vec::new();
            for &threads in &config.threads {
                say(format_args!("N = {n}: {engine} with {threads} thread(s): load, its queries, answers checked"));
                let (load, answered) = peers::run(engine, threads, &setup)?;
                run.ingest.push(load);
                features.extend(answered.iter().filter(|q| crate::results::is_feature(&q.query)).map(|q| q.query.clone()));
                run.queries.extend(answered);
            }
            features.sort();
            features.dedup();
            let features = match (features.first(), features.last()) {
                (Some(first), Some(last)) => format!(" and {first}-{last}"),
                _ => String::new(),
            };
            run.checked_against.push(format!("{} (Q1-Q6{features}, every thread count)", crate::results::engine_name(engine)));
        }
    }
    Ok(run)
}

fn remove(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// One ingest path over its runs: rows/s by `seconds`, every append's latency, the peak heap.
fn summarise(method: &str, outcomes: &[ingest::Outcome], seconds: impl Fn(&ingest::Outcome) -> f64) -> Ingest {
    let first = outcomes.first().cloned().unwrap_or_default();
    let acks = p50_p99(outcomes.iter().flat_map(|o| o.ack_ms.iter().copied()).collect());
    Ingest {
        engine: "seamdb".into(),
        method: method.into(),
        threads: 1,
        rows: first.rows,
        input_bytes: first.input_bytes,
        rows_per_s: Spread::of(&outcomes.iter().map(|o| o.rows as f64 / seconds(o)).collect::<Vec<_>>()),
        ack_p50_ms: acks.map(|a| a.0),
        ack_p99_ms: acks.map(|a| a.1),
        peak_memory_mb: outcomes.iter().map(|o| o.peak_db_heap).max().map(|b| b as f64 / 1e6),
        ..Ingest::default()
    }
}

/// `seam ingest`'s path, in process: both CSV files into a fresh database, each file one
/// atomic bulk load, timed to the commit of the second.
fn csv_ingest(data: &Path, dir: &Path, runs: usize) -> anyhow::Result<Ingest> {
    let files = [("inference", data.join("inference.csv")), ("feedback", data.join("feedback.csv"))];
    let input_bytes: u64 = files.iter().map(|(_, f)| std::fs::metadata(f).map_or(0, |m| m.len())).sum();
    let (mut rates, mut peak, mut rows) = (Vec::new(), 0, 0);
    for _ in 0..runs {
        remove(dir)?;
        let db = Db::open(dir)?;
        let before = heap::live();
        heap::reset_peak();
        let start = Instant::now();
        rows = 0;
        for (component, path) in &files {
            let file = std::fs::File::open(path)?;
            rows += seamdb::ingest::ingest(&db, component, file, &Default::default(), &mut |_| {})?.rows;
        }
        rates.push(rows as f64 / start.elapsed().as_secs_f64());
        peak = peak.max(heap::peak().saturating_sub(before));
        drop(db);
        remove(dir)?;
    }
    Ok(Ingest {
        engine: "seamdb".into(),
        method: "CSV files (seam ingest)".into(),
        threads: 2,
        rows,
        input_bytes,
        rows_per_s: Spread::of(&rates),
        peak_memory_mb: Some(peak as f64 / 1e6),
        ..Ingest::default()
    })
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    let us = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64);
    seamdb::query::format_time(us)
}
