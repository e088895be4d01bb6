//! The standard queries of SPEC §7 (Q1–Q6) run in process against an open database: each
//! once cold (a joining query then builds its join indexes), then `runs` times warm, with the
//! heap each run allocates. Answers go to CSV files so the peers' can be compared with them.

use crate::heap;
use crate::results::{p50_p99, Query, Spread};
use seamdb::query::{Cell, Executor, JoinStrategy, Options, Table};
use seamdb::{Snapshot, TraceId};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// One standard query: its name, its SeamQL exactly as SPEC §7 gives it, and the driving
/// component's columns it reads (for bytes/s against the machine's read bandwidth).
#[derive(Clone, Copy, Debug)]
pub struct Standard {
    pub name: &'static str,
    pub text: &'static str,
    pub columns: &'static [&'static str],
}

pub const QUERIES: [Standard; 5] = [
    Standard {
        name: "Q1",
        text: "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy \
               FROM inference JOIN feedback WHERE inference.country = 'US' GROUP BY window(1h)",
        columns: &["time", "country", "score"],
    },
    Standard {
        name: "Q2",
        text: "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy \
               FROM inference JOIN feedback GROUP BY window(1h), inference.model_version",
        columns: &["time", "model_version", "score"],
    },
    Standard {
        name: "Q3",
        text: "SELECT count() AS n, psi(inference.feature_age) AS psi FROM inference \
               REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
        columns: &["time", "feature_age"],
    },
    Standard {
        name: "Q4",
        text: "SELECT quantile(inference.score, 0.5) AS p50, quantile(inference.score, 0.9) AS p90, \
               quantile(inference.score, 0.99) AS p99 FROM inference GROUP BY window(1h), inference.device",
        columns: &["time", "device", "score"],
    },
    Standard {
        name: "Q5",
        text: "SELECT coverage(feedback) AS coverage, quantile(feedback.time - inference.time, 0.5) AS delay_p50_s \
               FROM inference JOIN feedback GROUP BY window(1h)",
        columns: &["time"],
    },
];

/// One feature query (issue 14): a query per SeamQL feature beyond Q1–Q6, on the standard
/// workload's data, with its DuckDB equivalent in `bench/peers/peers.py` (same name) whose
/// answer is compared with SeamDB's.
#[derive(Clone, Copy, Debug)]
pub struct Feature {
    pub name: &'static str,
    /// The feature it exercises, as the report names it.
    pub feature: &'static str,
    pub text: &'static str,
}

pub const FEATURES: [Feature; 8] = [
    Feature {
        name: "F1",
        feature: "`window(1w)`, `bucket(x, w)` key, `HAVING` + `ORDER BY` + `LIMIT`: weekly accuracy per feature_age bucket, worst ten",
        text: "SELECT count(feedback.label) AS n, accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
               GROUP BY window(1w), bucket(inference.feature_age, 10) HAVING n >= 100 ORDER BY acc LIMIT 10",
    },
    Feature {
        name: "F2",
        feature: "`window(1mo)`, `CASE WHEN … THEN 'a' … ELSE 'c' END` key: monthly accuracy per score band",
        text: "SELECT count() AS n, mean(inference.score) AS mean_score, accuracy(inference.score >= 0.5, feedback.label) AS acc \
               FROM inference JOIN feedback \
               GROUP BY window(1mo), CASE WHEN inference.score >= 0.9 THEN 'high' WHEN inference.score >= 0.5 THEN 'mid' ELSE 'low' END",
    },
    Feature {
        name: "F3",
        feature: "zoned `window(1d, 'Europe/Berlin')`: accuracy per Berlin day and model version",
        text: "SELECT count(feedback.label) AS n, accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
               GROUP BY window(1d, 'Europe/Berlin'), inference.model_version",
    },
    Feature {
        name: "F4",
        feature: "`FILL`: hourly rows of a sparse slice per device, empty hours filled",
        text: "SELECT count() AS n, mean(inference.score) AS mean_score FROM inference \
               WHERE inference.country = 'ZA' AND inference.score >= 0.999 \
               AND time >= '2026-01-05T00:00:00Z' AND time < '2026-01-12T00:00:00Z' \
               GROUP BY window(1h), inference.device FILL",
    },
    Feature {
        name: "F5",
        feature: "`HAVING` + `ORDER BY … DESC` + `LIMIT`: the ten best (day, country) slices by accuracy",
        text: "SELECT count(feedback.label) AS n, accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
               GROUP BY window(1d), inference.country HAVING n >= 100 ORDER BY acc DESC LIMIT 10",
    },
    Feature {
        name: "F6",
        feature: "boolean condition keys (`x > c` with nulls, `IN`): daily accuracy per income band and market",
        text: "SELECT count() AS n, count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS acc \
               FROM inference JOIN feedback \
               GROUP BY window(1d), inference.feature_income > 40000, inference.country IN ('US', 'DE')",
    },
    Feature {
        name: "F7",
        feature: "`chi2_p` with `REFERENCE`: daily χ² and p-value of country against day one",
        text: "SELECT count() AS n, chi2(inference.country) AS chi2, chi2_p(inference.country) AS p FROM inference \
               REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
    },
    Feature {
        name: "F8",
        feature: "`ks_p` with `REFERENCE`: daily KS statistic and p-value of score and feature_age against day one",
        text: "SELECT count() AS n, ks(inference.score) AS ks_score, ks_p(inference.score) AS p_score, \
               ks(inference.feature_age) AS ks_age, ks_p(inference.feature_age) AS p_age FROM inference \
               REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
    },
];

/// Runs one statement cold, then `runs` times warm; returns the measurement and the answer.
pub fn measure(name: &str, text: &str, db: &seamdb::Db, options: &Options, runs: usize) -> anyhow::Result<(Query, Table)> {
    let statement = seamdb::query::parse(text)?;
    let mut times = Vec::new();
    // Peak heap above what was live before each warm run. The cold run is apart: the first
    // query of a pair stores its join.
    let mut peak = 0;
    let mut table = Table::default();
    for _ in 0..=runs {
        let before = heap::live();
        heap::reset_peak();
        let start = Instant::now();
        table = seamdb::query::run_with(&statement, db, options)?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
        if times.len() > 1 {
            peak = peak.max(heap::peak().saturating_sub(before));
        }
    }
    let cold = times.remove(0);
    let query = Query {
        engine: "seamdb".into(),
        query: name.into(),
        threads: 2,
        ms: Spread::of(&times),
        cold_ms: Some(cold),
        peak_memory_mb: Some(peak as f64 / 1e6),
        ..Query::default()
    };
    Ok((query, table))
}

/// Bytes of `columns` of the `inference` component, over its segments and tail.
pub fn column_bytes(snapshot: &Snapshot, columns: &[&str]) -> u64 {
    let Some(inference) = snapshot.component("inference") else { return 0 };
    let mut bytes = 0;
    for part in inference.parts() {
        for &c in columns {
            bytes += match c {
                "time" => part.times().len() * 8,
                field => part.field(field).map_or(0, |f| f.values.as_bytes().len()),
            } as u64;
        }
    }
    bytes
}

/// The trace IDs Q6 looks up: a fixed-seed pick from the driving component, so peers get the
/// same ones.
pub fn q6_ids(snapshot: &Snapshot, n: usize) -> anyhow::Result<Vec<u128>> {
    let inference = snapshot.component("inference").ok_or_else(|| anyhow::anyhow!("no inference component"))?;
    inference.segments().iter().try_for_each(|s| s.verify(seamdb::storage::segment::Group::Trace))?;
    let ids: Vec<u128> = inference.parts().flat_map(|p| p.trace_ids().iter().copied()).collect();
    anyhow::ensure!(!ids.is_empty(), "inference is empty");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    Ok((0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ids[(state >> 33) as usize % ids.len()]
        })
        .collect())
}

/// Q6: `TRACE` of each of `ids`, one at a time; one cold pass (it builds each segment's trace
/// lookup), then `runs` timed passes. Returns the measurement and the events found, as CSV.
pub fn q6(snapshot: &Snapshot, ids: &[u128], runs: usize) -> anyhow::Result<(Query, String)> {
    let statements: Vec<_> = ids.iter().map(|&id| seamdb::query::parse(&format!("TRACE '{}'", TraceId(id)))).collect::<Result<_, _>>()?;
    let mut out = String::from("trace_id,component,time\n");
    let mut passes = Vec::new();
    let mut each = Vec::new();
    for pass in 0..=runs {
        let start = Instant::now();
        for (statement, &id) in statements.iter().zip(ids) {
            let t = Instant::now();
            let table = seamdb::query::execute(statement, snapshot)?;
            each.push(t.elapsed().as_secs_f64() * 1e3);
            if pass == 0 {
                for row in &table.rows {
                    if let (Cell::Time(t), Cell::Text(c)) = (&row[0], &row[1]) {
                        out.push_str(&format!("{},{c},{}\n", TraceId(id), seamdb::query::format_time(*t)));
                    }
                }
            }
        }
        passes.push(start.elapsed().as_secs_f64() * 1e3);
    }
    let cold = passes.remove(0);
    let per_trace = p50_p99(each.split_off(ids.len()));
    let query = Query {
        engine: "seamdb".into(),
        query: "Q6".into(),
        threads: 1,
        ms: Spread::of(&passes),
        cold_ms: Some(cold),
        per_trace_p50_ms: per_trace.map(|p| p.0),
        per_trace_p99_ms: per_trace.map(|p| p.1),
        ..Query::default()
    };
    Ok((query, out))
}

/// Q1–Q5 as a JSON list of `{name, text}` in `work/queries.json`, for the Python scripts.
pub fn list_file(work: &Path) -> anyhow::Result<std::path::PathBuf> {
    let list: Vec<serde_json::Value> = QUERIES.iter().map(|q| serde_json::json!({ "name": q.name, "text": q.text })).collect();
    let path = work.join("queries.json");
    std::fs::write(&path, serde_json::to_string(&list)?)?;
    Ok(path)
}

/// Writes each answer where the peers script reads it: `q1.csv` … `q5.csv`, `f1.csv` …,
/// `q6.csv` and `q6_ids.txt`.
pub fn write_answers(dir: &Path, tables: &[(&str, Table)], q6: Option<(&[u128], &str)>) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, table) in tables {
        std::fs::write(dir.join(format!("{}.csv", name.to_lowercase())), table.to_csv())?;
    }
    if let Some((ids, events)) = q6 {
        std::fs::write(dir.join("q6.csv"), events)?;
        std::fs::write(dir.join("q6_ids.txt"), ids.iter().map(|id| format!("{}\n", TraceId(*id))).collect::<String>())?;
    }
    Ok(())
}

/// Checks `ours` against a reference answer: same columns, same rows, same text in every
/// non-float cell, floats within 1e-9 relative. Returns the largest absolute float difference.
pub fn compare(name: &str, ours: &Table, reference: &Table) -> anyhow::Result<f64> {
    anyhow::ensure!(ours.columns == reference.columns, "{name}: columns {:?} vs {:?}", ours.columns, reference.columns);
    anyhow::ensure!(ours.rows.len() == reference.rows.len(), "{name}: {} rows vs {}", ours.rows.len(), reference.rows.len());
    let mut worst = 0.0f64;
    for (a, b) in ours.rows.iter().zip(&reference.rows) {
        for (x, y) in a.iter().zip(b) {
            match (x, y) {
                (Cell::Float(x), Cell::Float(y)) => {
                    let d = (x - y).abs();
                    anyhow::ensure!(d <= 1e-9 * x.abs().max(1.0) || x == y, "{name}: {a:?} vs {b:?}");
                    worst = worst.max(if d.is_nan() { 0.0 } else { d });
                }
                _ => anyhow::ensure!(x == y, "{name}: {a:?} vs {b:?}"),
            }
        }
    }
    Ok(worst)
}

/// Parses `--executor` and `--join`.
pub fn options(executor: &str, join: &str) -> Options {
    Options {
        executor: if executor == "rows" { Executor::Rows } else { Executor::Columnar },
        join: if join == "hash" { JoinStrategy::Hash } else { JoinStrategy::Stored },
    }
}

/// Each of Q1–Q6 answered `runs` times by a new process (this binary's hidden `once`
/// subcommand: open the database, answer once, exit), timed from spawn to exit: what a `seam
/// query` from a shell or a cron job pays. Q6 reads its trace IDs from `ids_file`. The
/// database must not be open in this process (a process holds it exclusively).
pub fn new_process(db: &Path, ids_file: &Path, runs: usize) -> anyhow::Result<Vec<(&'static str, Spread)>> {
    let exe = std::env::current_exe()?;
    let names = QUERIES.iter().map(|q| q.name).chain(["Q6"]);
    names
        .map(|name| {
            let mut once = Command::new(&exe);
            once.arg("once").arg("--db").arg(db).args(["--query", name]).arg("--ids").arg(ids_file);
            let times = (0..runs.max(1)).map(|_| process_ms(&mut once, name)).collect::<anyhow::Result<Vec<_>>>()?;
            Ok((name, Spread::of(&times)))
        })
        .collect()
}

/// Runs `command` to its exit, which must be a success, and returns its wall time from spawn
/// to exit in ms. `what` names it in the error, with what it wrote to stderr.
pub fn process_ms(command: &mut Command, what: &str) -> anyhow::Result<f64> {
    let start = Instant::now();
    let out = command.output()?;
    anyhow::ensure!(out.status.success(), "{what} in a new process: {}", String::from_utf8_lossy(&out.stderr));
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

/// The standard query called `name` (Q1 … Q5, any case).
pub fn standard(name: &str) -> anyhow::Result<&'static Standard> {
    QUERIES.iter().find(|q| q.name.eq_ignore_ascii_case(name)).ok_or_else(|| anyhow::anyhow!("no query {name}"))
}

/// The SeamQL of the standard or feature query called `name` (Q1 … Q5, F1 …, any case).
pub fn text(name: &str) -> anyhow::Result<&'static str> {
    match FEATURES.iter().find(|f| f.name.eq_ignore_ascii_case(name)) {
        Some(f) => Ok(f.text),
        None => Ok(standard(name)?.text),
    }
}

/// The `once` subcommand: opens `db`, answers query `name` (Q1–Q5, a feature query, or Q6
/// over the IDs in `ids_file`) once, and returns its result rows.
pub fn once(db: &Path, name: &str, ids_file: &Path) -> anyhow::Result<usize> {
    let db = seamdb::Db::open(db)?;
    let snapshot = db.snapshot();
    if name.eq_ignore_ascii_case("Q6") {
        let ids = std::fs::read_to_string(ids_file)?;
        let mut rows = 0;
        for id in ids.lines().filter(|l| !l.is_empty()) {
            rows += seamdb::query::query(&format!("TRACE '{id}'"), &snapshot)?.rows.len();
        }
        return Ok(rows);
    }
    Ok(seamdb::query::run(&seamdb::query::parse(text(name)?)?, &db)?.rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: Vec<Vec<Cell>>) -> Table {
        Table { columns: vec!["window".into(), "accuracy".into()], rows }
    }

    #[test]
    fn compare_accepts_rounding_and_rejects_differences() {
        let ours = table(vec![vec![Cell::Time(0), Cell::Float(0.75)], vec![Cell::Time(1), Cell::Null]]);
        let noise = table(vec![vec![Cell::Time(0), Cell::Float(0.75 + 1e-13)], vec![Cell::Time(1), Cell::Null]]);
        assert!(compare("Q", &ours, &noise).unwrap() > 0.0);
        let wrong_value = table(vec![vec![Cell::Time(0), Cell::Float(0.75 + 1e-6)], vec![Cell::Time(1), Cell::Null]]);
        assert!(compare("Q", &ours, &wrong_value).is_err());
        let wrong_key = table(vec![vec![Cell::Time(2), Cell::Float(0.75)], vec![Cell::Time(1), Cell::Null]]);
        assert!(compare("Q", &ours, &wrong_key).is_err());
        let null_for_value = table(vec![vec![Cell::Time(0), Cell::Float(0.75)], vec![Cell::Time(1), Cell::Float(0.0)]]);
        assert!(compare("Q", &ours, &null_for_value).is_err());
        assert!(compare("Q", &ours, &table(vec![vec![Cell::Time(0), Cell::Float(0.75)]])).is_err());
    }
}
