//! The standard queries of SPEC §7 (Q1–Q6) run in process against an open database: each
//! once cold (a joining query then builds its join indexes), then `runs` times warm, with the
//! heap each run allocates. Answers go to CSV files so the peers' can be compared with them.

use crate::heap;
use seamdb::query::{Cell, Executor, JoinStrategy, Options, Table};
use seamdb::{Snapshot, TraceId};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// Q1–Q5 as SeamQL, exactly as SPEC §7 gives them.
pub const QUERIES: [(&str, &str); 5] = [
    (
        "Q1",
        "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy \
         FROM inference JOIN feedback WHERE inference.country = 'US' GROUP BY window(1h)",
    ),
    (
        "Q2",
        "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy \
         FROM inference JOIN feedback GROUP BY window(1h), inference.model_version",
    ),
    (
        "Q3",
        "SELECT count() AS n, psi(inference.feature_age) AS psi FROM inference \
         REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
    ),
    (
        "Q4",
        "SELECT quantile(inference.score, 0.5) AS p50, quantile(inference.score, 0.9) AS p90, \
         quantile(inference.score, 0.99) AS p99 FROM inference GROUP BY window(1h), inference.device",
    ),
    (
        "Q5",
        "SELECT coverage(feedback) AS coverage, quantile(feedback.time - inference.time, 0.5) AS delay_p50_s \
         FROM inference JOIN feedback GROUP BY window(1h)",
    ),
];

/// Runs Q1–Q5 and Q6 (`trace_ids` random traces), printing one JSON line per query.
pub fn run(
    snapshot: &Snapshot,
    options: &Options,
    runs: usize,
    trace_ids: usize,
    only: Option<&str>,
    answers: Option<&Path>,
) -> anyhow::Result<()> {
    let extra = std::env::var("SEAM_BENCH_QUERY").ok();
    let custom = extra.as_deref().map(|q| ("custom", q));
    for (name, text) in QUERIES.into_iter().chain(custom).filter(|(name, _)| only.is_none_or(|o| o.eq_ignore_ascii_case(name))) {
        let statement = seamdb::query::parse(text)?;
        let mut times = Vec::new();
        // Peak heap above what was live before the run: warm runs, and the cold one apart
        // (it builds the join indexes and attached columns that stay with the segments).
        let (mut peak, mut cold_peak) = (0, 0);
        let mut table = Table::default();
        for run in 0..=runs {
            let before = heap::live();
            heap::reset_peak();
            let start = Instant::now();
            table = seamdb::query::execute_with(&statement, snapshot, options)?;
            times.push(start.elapsed().as_secs_f64() * 1e3);
            let used = heap::peak().saturating_sub(before);
            if run == 0 {
                cold_peak = used;
            } else {
                peak = peak.max(used);
            }
        }
        let cold = times.remove(0);
        if let Some(dir) = answers {
            std::fs::write(dir.join(format!("{}.csv", name.to_lowercase())), table.to_csv())?;
        }
        println!(
            "{}",
            json!({ "query": name, "executor": format!("{:?}", options.executor), "join": format!("{:?}", options.join),
                    "cold_ms": cold, "warm_ms": summary(&mut times), "peak_heap_mb": peak as f64 / 1e6, "cold_peak_heap_mb": cold_peak as f64 / 1e6,
                    "rows": table.rows.len() })
        );
    }
    // What the queries left behind: join indexes, attached columns, trace lookups.
    println!("{}", json!({ "retained_heap_mb": heap::live() as f64 / 1e6 }));
    if trace_ids > 0 && only.is_none_or(|o| o.eq_ignore_ascii_case("Q6")) {
        q6(snapshot, trace_ids, answers)?;
    }
    Ok(())
}

/// Q6: `TRACE` of random trace IDs of the driving component, one at a time.
fn q6(snapshot: &Snapshot, n: usize, answers: Option<&Path>) -> anyhow::Result<()> {
    let inference = snapshot.component("inference").ok_or_else(|| anyhow::anyhow!("no inference component"))?;
    let ids: Vec<u128> = inference.parts().flat_map(|p| p.trace_ids().iter().copied()).collect();
    anyhow::ensure!(!ids.is_empty(), "inference is empty");
    // A fixed-seed pick, so peers get the same IDs.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let picked: Vec<u128> = (0..n)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ids[(state >> 33) as usize % ids.len()]
        })
        .collect();
    // The first pass builds each segment's trace lookup (a Bloom filter and ID sample).
    let start = Instant::now();
    for &id in &picked {
        seamdb::query::query(&format!("TRACE '{}'", TraceId(id)), snapshot)?;
    }
    let cold = start.elapsed().as_secs_f64() * 1e3;
    let mut times = Vec::new();
    let mut out = String::from("trace_id,component,time\n");
    let start = Instant::now();
    let repeat: usize = std::env::var("SEAM_BENCH_Q6_REPEAT").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    for &id in picked.iter().cycle().take(picked.len() * repeat) {
        let t = Instant::now();
        let table = seamdb::query::query(&format!("TRACE '{}'", TraceId(id)), snapshot)?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        for row in &table.rows {
            if let (Cell::Time(t), Cell::Text(c)) = (&row[0], &row[1]) {
                out.push_str(&format!("{},{c},{}\n", TraceId(id), seamdb::query::format_time(*t)));
            }
        }
    }
    let total = start.elapsed().as_secs_f64() * 1e3;
    if let Some(dir) = answers {
        std::fs::write(dir.join("q6.csv"), out)?;
        let list: String = picked.iter().map(|id| format!("{}\n", TraceId(*id))).collect();
        std::fs::write(dir.join("q6_ids.txt"), list)?;
    }
    times.sort_by(f64::total_cmp);
    let pct = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{}",
        json!({ "query": "Q6", "traces": n, "cold_total_ms": cold, "total_ms": total, "per_trace_p50_ms": pct(0.5), "per_trace_p99_ms": pct(0.99) })
    );
    Ok(())
}

/// Median, min and max of warm runs.
fn summary(times: &mut [f64]) -> serde_json::Value {
    if times.is_empty() {
        return json!(null);
    }
    times.sort_by(f64::total_cmp);
    json!({ "median": times[times.len() / 2], "min": times[0], "max": times[times.len() - 1] })
}

/// Parses `--executor` and `--join`.
pub fn options(executor: &str, join: &str) -> Options {
    Options {
        executor: if executor == "rows" { Executor::Rows } else { Executor::Columnar },
        join: if join == "hash" { JoinStrategy::Hash } else { JoinStrategy::Index },
    }
}
