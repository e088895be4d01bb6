//! The Markdown report of one or more runs: the machine, then per N the ingest and query
//! tables with ratios against each peer and against the machine's limits, then (for several
//! N) how the rates grow.

use crate::results::{engine_name as engine, is_feature, Ingest, Query, Run, Spread};
use std::fmt::Write;

pub fn markdown(runs: &[Run]) -> String {
    let mut out = String::new();
    let Some(first) = runs.first() else { return out };
    let m = &first.machine;
    let _ = writeln!(out, "# SeamDB benchmark results\n");
    let _ = writeln!(out, "Written by `seamdb-bench`; every number below comes from the run this file describes.\n");
    let _ = writeln!(out, "- Command: `{}`", first.command);
    let _ = writeln!(out, "- Started: {}; SeamDB {}; peers: {}", first.started, first.seamdb_version, list(&first.peers));
    let _ = writeln!(
        out,
        "- Machine: {}, {} cores, {:.1} GiB. Measured at the start of the run: one core reads memory at \
         **{:.1} GB/s**; a 4 KiB write + fdatasync takes **{:.3} ms** (p50), {:.3} ms (p99).",
        m.cpu, m.cores, m.memory_gib, m.memory_read_gb_s, m.fsync_p50_ms, m.fsync_p99_ms
    );
    if runs.len() > 1 {
        growth(&mut out, runs);
    }
    for run in runs {
        section(&mut out, run);
    }
    out
}

fn section(out: &mut String, run: &Run) {
    let m = &run.machine;
    let _ = writeln!(
        out,
        "\n## N = {} predictions{}\n\n{} rows: {} `inference` + {} `feedback` (seed {}).\n",
        count(run.n),
        if run.quick { " (quick mode: answers checked, times not meaningful)" } else { "" },
        count(run.rows.0 + run.rows.1),
        count(run.rows.0),
        count(run.rows.1),
        run.seed
    );
    let _ = writeln!(out, "### Ingest\n");
    let _ =
        writeln!(out, "| engine | path | threads | rows/s: median (min–max, runs) | input MB/s | ack latency p50 / p99 | peak memory |");
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for i in &run.ingest {
        let mb_s = i.rows_per_s.median * i.input_bytes as f64 / i.rows.max(1) as f64 / 1e6;
        let ack = match (i.ack_p50_ms, i.ack_p99_ms) {
            (Some(a), Some(b)) => format!("{} / {} ms ({:.0}× fsync p50)", ms(a), ms(b), a / m.fsync_p50_ms),
            _ => "–".into(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {} | {} |",
            engine(&i.engine),
            i.method,
            i.threads,
            rates(&i.rows_per_s),
            mb_s,
            ack,
            memory(i)
        );
    }
    if let Some(t) = run.ingest.iter().find(|i| i.query_during_p50_ms.is_some()) {
        let _ = writeln!(
            out,
            "\nDuring TCP ingest, a second client's `count()` over the first hour took {} ms (p50) and {} ms (p99).",
            ms(t.query_during_p50_ms.unwrap_or(0.0)),
            ms(t.query_during_p99_ms.unwrap_or(0.0))
        );
    }
    let _ = writeln!(
        out,
        "\nSeamDB's embedded and TCP input is the generated column batches (MB/s counts their bytes); the CSV \
         rows read the same data as CSV files (MB/s counts file bytes). Peak memory is SeamDB's heap beyond \
         the input it was handed (sampled after each append; the peak during the whole CSV load), and each \
         peer process's peak RSS.\n"
    );

    let threads: Vec<usize> = {
        let mut t: Vec<usize> = run.queries.iter().filter(|q| q.engine != "seamdb").map(|q| q.threads).collect();
        t.sort_unstable();
        t.dedup();
        t
    };
    let peers: Vec<(&str, usize)> = ["duckdb", "polars"].iter().flat_map(|&e| threads.iter().map(move |&t| (e, t))).collect();
    let peers: Vec<_> = peers.into_iter().filter(|(e, t)| run.query(e, *t, "Q1").is_some()).collect();
    let _ = writeln!(
        out,
        "### Queries\n\nMilliseconds, median of the warm runs (min–max); SeamDB runs each query on 2 threads. \
         \"New process\": each run a fresh process that opens the database and answers once (as `seam query` \
         does), spawn to exit; the ratios against the peers use their warm, in-process times.\n"
    );
    let mut header = String::from("| query | SeamDB | SeamDB cold | SeamDB, new process | SeamDB heap | columns read at |");
    let mut rule = String::from("|---|---|---|---|---|---|");
    for (e, t) in &peers {
        let _ = write!(header, " {} {t} thr |", engine(e));
        rule.push_str("---|");
    }
    for e in ["duckdb", "polars"].iter().filter(|e| peers.iter().any(|(p, _)| p == *e)) {
        let _ = write!(header, " SeamDB faster than {} (best) | SeamDB in a new process faster than {0} (best) |", engine(e));
        rule.push_str("---|---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    for q in run.queries.iter().filter(|q| q.engine == "seamdb" && !is_feature(&q.query)) {
        let read = match q.column_bytes {
            Some(b) if q.ms.median > 0.0 => {
                let gb_s = b as f64 / q.ms.median / 1e6;
                format!("{gb_s:.1} GB/s ({:.0}% of one core's read bandwidth)", 100.0 * gb_s / m.memory_read_gb_s)
            }
            _ => "–".into(),
        };
        let heap = q.peak_memory_mb.map_or("–".into(), |h| format!("{h:.1} MB"));
        let new_process = q.new_process_ms.as_ref().map_or("–".into(), spread);
        let _ = write!(out, "| {} | {} | {} | {new_process} | {heap} | {read} |", q.query, spread(&q.ms), q.cold_ms.map_or("–".into(), ms));
        for (e, t) in &peers {
            let _ = write!(out, " {} |", run.query(e, *t, &q.query).map_or("–".into(), |p| spread(&p.ms)));
        }
        for e in ["duckdb", "polars"].iter().filter(|e| peers.iter().any(|(p, _)| p == *e)) {
            let best =
                peers.iter().filter(|(p, _)| p == e).filter_map(|(p, t)| run.query(p, *t, &q.query)).map(|p| p.ms.median).reduce(f64::min);
            let ratio = |seamdb: Option<f64>| match (best, seamdb) {
                (Some(b), Some(s)) if s > 0.0 => format!("{:.1}×", b / s),
                _ => "–".into(),
            };
            let _ = write!(out, " {} | {} |", ratio(Some(q.ms.median)), ratio(q.new_process_ms.as_ref().map(|s| s.median)));
        }
        let _ = writeln!(out);
    }
    if let Some(q6) = run.query("seamdb", 0, "Q6") {
        let _ = writeln!(
            out,
            "\nQ6 times are for the whole list of trace lookups, one `TRACE` at a time for SeamDB, one `IN` list for \
             the peers; SeamDB's per-trace latency: {} ms (p50), {} ms (p99).",
            ms(q6.per_trace_p50_ms.unwrap_or(0.0)),
            ms(q6.per_trace_p99_ms.unwrap_or(0.0))
        );
    }
    let worst = run.queries.iter().filter_map(|q| q.max_abs_diff).fold(0.0, f64::max);
    let _ = writeln!(
        out,
        "\nAnswers checked, before any time was reported, against: {}. Largest absolute difference of any number: {worst:.1e}.",
        list(&run.checked_against)
    );
    features(out, run);
}

/// The feature queries: SeamDB against DuckDB's equivalent SQL, and whether the answers agree.
fn features(out: &mut String, run: &Run) {
    let ours: Vec<&Query> = run.queries.iter().filter(|q| q.engine == "seamdb" && is_feature(&q.query)).collect();
    if ours.is_empty() {
        return;
    }
    let mut threads: Vec<usize> = run.queries.iter().filter(|q| q.engine == "duckdb" && is_feature(&q.query)).map(|q| q.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let _ = writeln!(
        out,
        "\n### Feature queries\n\nOne query per SeamQL feature beyond Q1–Q6 (`bench/src/queries.rs`, `FEATURES`), on the same \
         data, beside an equivalent DuckDB SQL query (`bench/peers/peers.py`, `DUCK_FEATURES`; Polars has none) whose \
         answer is compared with SeamDB's as for Q1–Q6: row count, every text cell (windows as printed, a zoned one with \
         its offset), every number within 1e-9 relative. DuckDB has no p-value functions: F7's and F8's p-values are \
         SciPy's (`chi2.sf`, `kolmogorov`) of the statistic DuckDB computed, inside its timed run. Milliseconds, median \
         of the warm runs (min–max); SeamDB's cold run is the query's first in the process, after Q1–Q6.\n"
    );
    let mut header = String::from("| query | feature | SeamDB | SeamDB cold |");
    let mut rule = String::from("|---|---|---|---|");
    for t in &threads {
        let _ = write!(header, " DuckDB {t} thr |");
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header} SeamDB faster than DuckDB (best) | answers agree |\n{rule}---|---|");
    for q in &ours {
        let duck: Vec<&Query> = threads.iter().filter_map(|&t| run.query("duckdb", t, &q.query)).collect();
        let timed = |p: &Query| p.mismatch.is_none().then_some(p.ms.median);
        let best = duck.iter().filter_map(|p| timed(p)).reduce(f64::min);
        let ratio = match best {
            Some(b) if q.ms.median > 0.0 && q.mismatch.is_none() => format!("{:.1}×", b / q.ms.median),
            _ => "–".into(),
        };
        let differs: Vec<String> = std::iter::once(*q)
            .chain(duck.iter().copied())
            .filter_map(|p| p.mismatch.as_ref().map(|m| format!("{} {} thr: {m}", engine(&p.engine), p.threads)))
            .collect();
        let agree = if !differs.is_empty() {
            format!("**no**: {}", differs.join("; ").replace('|', "\\|"))
        } else if !duck.is_empty() || q.max_abs_diff.is_some() {
            let worst = duck.iter().filter_map(|p| p.max_abs_diff).chain(q.max_abs_diff).fold(0.0, f64::max);
            let mut with: Vec<&str> = Vec::new();
            if q.max_abs_diff.is_some() {
                with.push("row executor");
            }
            if !duck.is_empty() {
                with.push("DuckDB");
            }
            let unchecked: Vec<&str> = duck.iter().filter_map(|p| p.unchecked.as_deref()).collect();
            let unchecked = unchecked.first().map_or(String::new(), |u| format!("; {u}"));
            let worst = if worst == 0.0 { "0".into() } else { format!("{worst:.1e}") };
            format!("yes ({}; max diff {worst}{unchecked})", with.join(", "))
        } else {
            "not checked".into()
        };
        let feature = crate::queries::FEATURES.iter().find(|f| f.name == q.query).map_or("", |f| f.feature);
        let _ = write!(out, "| {} | {feature} | {} | {} |", q.query, spread(&q.ms), q.cold_ms.map_or("–".into(), ms));
        for &t in &threads {
            let cell = match run.query("duckdb", t, &q.query) {
                Some(p) if p.mismatch.is_none() => spread(&p.ms),
                Some(_) => "different answer".into(),
                None => "–".into(),
            };
            let _ = write!(out, " {cell} |");
        }
        let _ = writeln!(out, " {ratio} | {agree} |");
    }
    let _ = writeln!(out);
    for q in &ours {
        let _ = writeln!(
            out,
            "- {}: `{}`",
            q.query,
            q.text.as_deref().map_or(String::new(), |t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        );
    }
}

/// Rates against N, one row per run.
fn growth(out: &mut String, runs: &[Run]) {
    let _ = writeln!(out, "\n## Growth\n\n![rates against N](growth.svg)\n");
    let _ = writeln!(out, "Rows per second (ingest: both components; queries: `inference` rows over the median time).\n");
    let columns = [
        ("SeamDB embedded", "seamdb", "embedded, acknowledged"),
        ("SeamDB TCP", "seamdb", "TCP, APPEND_COLUMNS"),
        ("SeamDB CSV", "seamdb", "CSV files (seam ingest)"),
    ];
    let _ = write!(out, "| N | ");
    for (name, _, _) in columns {
        let _ = write!(out, "{name} | ");
    }
    let _ = writeln!(out, "Q1 | Q2 | Q3 | Q4 | Q5 | Q6 per trace p50 |");
    let _ = writeln!(out, "|{}", "---|".repeat(columns.len() + 7));
    for run in runs {
        let _ = write!(out, "| {} |", count(run.n));
        for (_, e, method) in columns {
            let i = run.ingest.iter().find(|i| i.engine == e && i.method == method);
            let _ = write!(out, " {} |", i.map_or("–".into(), |i| rate(i.rows_per_s.median)));
        }
        for q in ["Q1", "Q2", "Q3", "Q4", "Q5"] {
            let _ = write!(out, " {} |", run.query("seamdb", 0, q).map_or("–".into(), |q| rate(run.rows.0 as f64 / q.ms.median * 1e3)));
        }
        let p50 = run.query("seamdb", 0, "Q6").and_then(|q| q.per_trace_p50_ms);
        let _ = writeln!(out, " {} |", p50.map_or("–".into(), |p| format!("{} ms", ms(p))));
    }
}

fn memory(i: &Ingest) -> String {
    match (i.peak_memory_mb, i.engine.as_str()) {
        (Some(mb), "seamdb") => format!("{mb:.0} MB heap"),
        (Some(mb), _) => format!("{mb:.0} MB RSS"),
        (None, _) => "–".into(),
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// 10000000 as "10,000,000".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as "8.55 M" or "950 K".
pub fn rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else {
        format!("{:.0} K", x / 1e3)
    }
}

fn rates(s: &Spread) -> String {
    format!("**{}** ({}–{}, {})", rate(s.median), rate(s.min), rate(s.max), s.runs)
}

/// Milliseconds to three significant digits.
fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.3}")
    }
}

fn spread(s: &Spread) -> String {
    format!("**{}** ({}–{})", ms(s.median), ms(s.min), ms(s.max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Query, Run};

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(count(18_001_148), "18,001,148");
        assert_eq!(count(999), "999");
        assert_eq!(rate(8_550_000.0), "8.55 M");
        assert_eq!(rate(950_400.0), "950 K");
        assert_eq!(ms(0.0104), "0.010");
        assert_eq!(ms(135.4), "135");
    }

    #[test]
    fn ratios_are_peer_over_seamdb() {
        let q = |engine: &str, threads, median| Query {
            engine: engine.into(),
            query: "Q1".into(),
            threads,
            ms: Spread { median, min: median, max: median, runs: 1 },
            ..Query::default()
        };
        // SeamDB warm 10 ms, 90 ms in a new process; against the peers' best warm times.
        let seamdb = Query { new_process_ms: Some(Spread { median: 90.0, min: 90.0, max: 90.0, runs: 1 }), ..q("seamdb", 2, 10.0) };
        let run = Run { n: 10, queries: vec![seamdb, q("duckdb", 1, 80.0), q("duckdb", 2, 45.0), q("polars", 2, 20.0)], ..Run::default() };
        let text = markdown(&[run.clone(), Run { n: 20, ..run }]);
        assert!(text.contains("| 4.5× | 0.5× | 2.0× | 0.2× |"), "{text}");
        assert!(text.contains("## Growth"));
        let svg = crate::plot::growth(&[Run { n: 1_000_000, ..Run::default() }, Run { n: 30_000_000, ..Run::default() }]);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn feature_queries_say_whether_answers_agree() {
        let q = |engine: &str, query: &str, threads, median| Query {
            engine: engine.into(),
            query: query.into(),
            threads,
            ms: Spread { median, min: median, max: median, runs: 1 },
            max_abs_diff: Some(1e-15),
            ..Query::default()
        };
        let wrong = Query { mismatch: Some("row 0, acc: numbers differ".into()), max_abs_diff: None, ..q("duckdb", "F2", 2, 0.0) };
        let run = Run {
            n: 10,
            queries: vec![
                q("seamdb", "Q1", 2, 1.0),
                q("seamdb", "F1", 2, 10.0),
                q("duckdb", "F1", 2, 30.0),
                q("seamdb", "F2", 2, 5.0),
                wrong,
            ],
            ..Run::default()
        };
        let text = markdown(std::slice::from_ref(&run));
        // Feature queries have their own table, not the standard one.
        assert!(!text.contains("| F1 | **10.0**"), "{text}");
        assert!(text.contains("| 3.0× | yes (row executor, DuckDB; max diff 1.0e-15) |"), "{text}");
        assert!(text.contains("| different answer | – | **no**: DuckDB 2 thr: row 0, acc: numbers differ |"), "{text}");
        assert_eq!(run.mismatches(), vec!["F2 DuckDB 2 thr: row 0, acc: numbers differ".to_string()]);
    }
}
