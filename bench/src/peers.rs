//! DuckDB and Polars on the same data: the workload written as CSV files, and
//! `bench/peers/peers.py` run once per (engine, threads), each in a process of its own so that
//! its peak memory is its own. The script checks each answer against SeamDB's before it
//! prints a time, and exits non-zero on the first difference in Q1–Q6; a feature query's
//! difference is reported as that query's `mismatch`, without a time.

use crate::results::{Ingest, Query};
use seamdb::workload::Workload;
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const ENGINES: [&str; 2] = ["duckdb", "polars"];

/// The script, found beside this crate's sources.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers").join("peers.py")
}

/// `bench/peers/<file>` with `args` (under [`python`]): the JSON object of each line it
/// prints. The scripts check answers and exit non-zero on a wrong one, an error here.
pub fn json_lines(file: &str, args: &[&str]) -> anyhow::Result<Vec<serde_json::Value>> {
    let path = script().with_file_name(file);
    let out = Command::new(python()).arg(&path).args(args).output()?;
    anyhow::ensure!(out.status.success(), "{} {}: {}", path.display(), args.join(" "), String::from_utf8_lossy(&out.stderr).trim());
    String::from_utf8_lossy(&out.stdout).lines().map(|l| Ok(serde_json::from_str(l)?)).collect()
}

/// The Python interpreter the harness runs its scripts with: $SEAM_PYTHON, else `python3`.
pub fn python() -> String {
    std::env::var("SEAM_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The peer packages' versions, or an error that says how to install them.
pub fn versions() -> anyhow::Result<Vec<String>> {
    let requirements = script().with_file_name("requirements.txt");
    let install = format!("{} -m pip install -r {}", python(), requirements.display());
    let out = Command::new(python())
        .args([
            "-c",
            "import duckdb, polars; print('duckdb', duckdb.__version__); print('polars', polars.__version__)\n\
             try:\n    import scipy; print('scipy', scipy.__version__)\nexcept ImportError:\n    print('scipy missing: p-values not compared')",
        ])
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run {} for the peer comparison: {e} (or pass --no-peers)", python()))?;
    anyhow::ensure!(
        out.status.success(),
        "the peer comparison needs the duckdb and polars packages: {install} (or pass --no-peers)\n{}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect())
}

/// Writes the workload as `inference.csv` and `feedback.csv` in `dir`, unless a stamp there
/// says the same (N, seed, days) was written before.
pub fn write_csv(workload: &Workload, dir: &Path) -> anyhow::Result<()> {
    let stamp = dir.join("workload.txt");
    // The span only when it is not the standard week, so earlier stamps still match.
    let days = if workload.days == 7 { String::new() } else { format!(" days={}", workload.days) };
    let want = format!("n={} seed={}{days}\n", workload.n, workload.seed);
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == want) {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    let _ = std::fs::remove_file(&stamp);
    let create =
        |name: &str| -> std::io::Result<_> { Ok(std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join(name))?)) };
    let (mut inference, mut feedback) = (create("inference.csv")?, create("feedback.csv")?);
    writeln!(inference, "trace_id,time,score,model_version,country,device,feature_age,feature_income")?;
    writeln!(feedback, "trace_id,time,label")?;
    for k in 0..workload.chunks() {
        for r in workload.chunk(k) {
            let time = seamdb::query::format_time(r.time_us);
            let income = r.feature_income.map(|x| x.to_string()).unwrap_or_default();
            let (id, score, age) = (r.trace_id, r.score, r.feature_age);
            writeln!(inference, "{id},{time},{score},{},{},{},{age},{income}", r.model_version, r.country, r.device)?;
            if let Some((t, label)) = r.feedback {
                writeln!(feedback, "{id},{},{label}", seamdb::query::format_time(t))?;
            }
        }
    }
    inference.into_inner()?.sync_all()?;
    feedback.into_inner()?.sync_all()?;
    std::fs::write(&stamp, want)?;
    Ok(())
}

/// How the peers are run.
#[derive(Clone, Debug)]
pub struct Setup<'a> {
    pub data: &'a Path,
    pub answers: &'a Path,
    pub work: &'a Path,
    pub runs: usize,
    pub load_runs: usize,
    /// Comma-separated subset of Q1..Q6 and F1..F8 [default: all the engine has].
    pub queries: Option<&'a str>,
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Line {
    Ingest(Ingest),
    Query(Query),
}

/// Runs one engine at one thread count: its load, and Q1–Q6 (and, for DuckDB, the feature
/// queries) checked against SeamDB's answers. A different answer to Q1–Q6 fails the run; one
/// to a feature query comes back as that query's `mismatch`.
pub fn run(engine: &str, threads: usize, setup: &Setup<'_>) -> anyhow::Result<(Ingest, Vec<Query>)> {
    let out = Command::new(python())
        .arg(script())
        .arg(engine)
        .args(["--threads", &threads.to_string(), "--runs", &setup.runs.to_string(), "--load-runs", &setup.load_runs.to_string()])
        .arg("--data")
        .arg(setup.data)
        .arg("--answers")
        .arg(setup.answers)
        .arg("--work")
        .arg(setup.work)
        .args(setup.queries.map(|q| ["--queries", q]).into_iter().flatten())
        .stderr(std::process::Stdio::inherit())
        .output()?;
    anyhow::ensure!(out.status.success(), "{engine} with {threads} threads failed ({}); no speed is reported", out.status);
    let (mut ingest, mut queries) = (None, Vec::new());
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match serde_json::from_str(line).map_err(|e| anyhow::anyhow!("{engine}: unreadable result line {line:?}: {e}"))? {
            Line::Ingest(i) => ingest = Some(i),
            Line::Query(q) => queries.push(q),
        }
    }
    Ok((ingest.ok_or_else(|| anyhow::anyhow!("{engine}: no load result"))?, queries))
}

/// Proves the answer check can fail: a copy of SeamDB's answers with one Q1 accuracy moved by
/// 1e-6 must make DuckDB's run exit non-zero, and one with an F3 accuracy (a row keyed by a
/// zoned window, printed with its offset) moved by 1e-6 must come back as F3's mismatch.
pub fn check_rejects_wrong_answer(setup: &Setup<'_>) -> anyhow::Result<()> {
    let wrong = setup.work.join("answers-wrong");
    std::fs::create_dir_all(&wrong)?;
    for entry in std::fs::read_dir(setup.answers)? {
        let path = entry?.path();
        std::fs::copy(&path, wrong.join(path.file_name().unwrap_or_default()))?;
    }
    for query in ["Q1", "F3"] {
        let file = wrong.join(format!("{}.csv", query.to_lowercase()));
        let answer = std::fs::read_to_string(&file)?;
        let mut lines: Vec<String> = answer.lines().map(str::to_owned).collect();
        let row = lines.get_mut(1).ok_or_else(|| anyhow::anyhow!("{query} has no rows"))?;
        let (head, accuracy) = row.rsplit_once(',').ok_or_else(|| anyhow::anyhow!("{query} row {row:?}"))?;
        *row = format!("{head},{}", accuracy.parse::<f64>()? + 1e-6);
        std::fs::write(&file, lines.join("\n") + "\n")?;
    }
    eprintln!("seamdb-bench: self-test: DuckDB must reject a Q1 answer moved by 1e-6 (its error below is expected)");
    let outcome = run("duckdb", 1, &Setup { answers: &wrong, runs: 0, load_runs: 1, queries: Some("Q1"), ..setup.clone() });
    anyhow::ensure!(outcome.is_err(), "the peers' answer check accepted a wrong Q1 answer");
    eprintln!("seamdb-bench: self-test: DuckDB must report an F3 answer moved by 1e-6 as different");
    let (_, answered) = run("duckdb", 1, &Setup { answers: &wrong, runs: 0, load_runs: 1, queries: Some("F3"), ..setup.clone() })?;
    anyhow::ensure!(answered.iter().any(|q| q.query == "F3" && q.mismatch.is_some()), "the peers' answer check accepted a wrong F3 answer");
    Ok(())
}
