//! `seamdb-bench slo`: what judging SLOs and diagnosing a window cost (issue 15), on the
//! standard workload's generator.
//!
//! - **SLOs** (the workload spread over `--days`, 365 by default: a year of daily windows):
//!   three SLOs stored ([`SLOS`]); each SLO's `SELECT` alone, `CHECK SLO` of it and `CHECK
//!   SLOS` timed warm in rounds (every statement once per round, so the shared machine's
//!   drift falls on all of them alike); first with only `acc` stored, then with all three.
//!   `CHECK SLO x` is x's query plus judging its rows, so the target is CHECK / SELECT ≤ 1
//!   (within noise), and `CHECK SLOS` ≤ the sum of the three `SELECT`s. Then, each a new
//!   process: `seam query DB "<SELECT>"` against `seam slo check DB [NAME]`.
//! - **DIAGNOSE** (the standard 7-day workload, `--diagnose-days`): Q1 against `DIAGNOSE` of
//!   one day and of one hour, warm, after Q1's cold run stored the join; the target is one
//!   day's DIAGNOSE within 5× of Q1. Then Q1 and the day's DIAGNOSE through `seam query`.
//!
//! Writes `slo-nN.json` ([`SloRun`]) into `--out` after each part, and prints a summary.

use crate::results::{Header, Query, Spread};
use crate::{ingest, queries};
use seamdb::workload::Workload;
use seamdb::Db;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One SLO the benchmark stores: its name, its query and what it expects of each row.
#[derive(Clone, Copy, Debug)]
pub struct Slo {
    pub name: &'static str,
    pub select: &'static str,
    /// `EXPECT …` and `WHEN …`, as `CREATE SLO` takes them after the query.
    pub expect: &'static str,
}

impl Slo {
    pub fn create(&self) -> String {
        format!("CREATE SLO {} AS {} {}", self.name, self.select, self.expect)
    }
}

/// `acc` is issue 15's: daily accuracy per country (20 groups a day), judged once 70% of the
/// day's predictions have a label. `delay`: the daily median label delay (a joined
/// quantile). `drift`: daily psi of `feature_age` against the first day (a `REFERENCE`).
pub const SLOS: [Slo; 3] = [
    Slo {
        name: "acc",
        select: "SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, coverage(feedback) AS cov \
                 FROM inference JOIN feedback GROUP BY window(1d), inference.country",
        expect: "EXPECT acc >= 0.7 WHEN cov >= 0.7",
    },
    Slo {
        name: "delay",
        select: "SELECT quantile(feedback.time - inference.time, 0.5) AS delay_p50_s, coverage(feedback) AS cov \
                 FROM inference JOIN feedback GROUP BY window(1d)",
        expect: "EXPECT delay_p50_s <= 3600 WHEN cov >= 0.5",
    },
    Slo {
        name: "drift",
        select: "SELECT psi(inference.feature_age) AS psi FROM inference \
                 REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') \
                 GROUP BY window(1d)",
        expect: "EXPECT psi < 0.2",
    },
];

/// DIAGNOSE of one day (2026-01-08 against 2026-01-07) and of one hour (00:00–01:00 on the
/// 8th against the hour before), of Q1's metric over every country.
pub const DIAGNOSE_DAY: &str = "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc \
                                FROM inference JOIN feedback GROUP BY window(1d) AT '2026-01-08T00:00:00Z'";
pub const DIAGNOSE_HOUR: &str = "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc \
                                 FROM inference JOIN feedback GROUP BY window(1h) AT '2026-01-08T00:00:00Z'";

/// A slice query of [`DIAGNOSE_PARTS`]: Q1's metric on 2026-01-08 per value of `$key`, with
/// the rows that count toward it (`counted`) as DIAGNOSE asks for them, or without.
macro_rules! slice {
    ($key:literal $(, $counted:ident)?) => {
        concat!(
            "SELECT accuracy(inference.score >= 0.5, feedback.label) AS metric, count() AS rows",
            $(slice!(@$counted),)?
            " FROM inference JOIN feedback WHERE time >= '2026-01-08T00:00:00Z' AND time < '2026-01-09T00:00:00Z' \
             GROUP BY window(1d), ",
            $key
        )
    };
    (@counted) => {
        ", sum((inference.score >= 0.5) IS NOT NULL AND feedback.label IS NOT NULL) AS counted"
    };
}

/// A psi query of [`DIAGNOSE_PARTS`]: `$items` on 2026-01-08 against 2026-01-07.
macro_rules! psi {
    ($items:literal) => {
        concat!(
            "SELECT ",
            $items,
            " FROM inference REFERENCE (inference WHERE time >= '2026-01-07T00:00:00Z' AND time < '2026-01-08T00:00:00Z') \
             WHERE time >= '2026-01-08T00:00:00Z' AND time < '2026-01-09T00:00:00Z' GROUP BY window(1d)"
        )
    };
}

/// The queries `DIAGNOSE_DAY` runs (query/src/diagnose.rs), written as SeamQL: per tag field
/// of `inference` and per window (2026-01-08, and the baseline 2026-01-07), the metric, the
/// rows and the rows that count toward it, grouped by that field; per number field, psi of
/// the window against the baseline. One day's DIAGNOSE runs six slice queries (country,
/// device, model_version × two days) and three psi queries on two threads; timing them alone
/// says where its time goes (the baseline day's slice queries cost what the window's do),
/// and two variants what would save some of it.
pub const DIAGNOSE_PARTS: [(&str, &str); 8] = [
    ("part: slice query by country", slice!("inference.country", counted)),
    ("part: slice query by country, without counted", slice!("inference.country")),
    ("part: slice query by device", slice!("inference.device", counted)),
    ("part: slice query by model_version", slice!("inference.model_version", counted)),
    ("part: psi query of score", psi!("psi(inference.score) AS drift")),
    ("part: psi query of feature_age", psi!("psi(inference.feature_age) AS drift")),
    ("part: psi query of feature_income", psi!("psi(inference.feature_income) AS drift")),
    (
        "part: psi of the three in one query",
        psi!("psi(inference.score) AS a, psi(inference.feature_age) AS b, psi(inference.feature_income) AS c"),
    ),
];

/// What to run; `seamdb-bench slo --help` documents each.
#[derive(Clone, Debug)]
pub struct Config {
    pub n: u64,
    pub days: u64,
    pub diagnose_days: u64,
    pub seed: u64,
    pub runs: usize,
    pub process_runs: usize,
    /// `slo`, `diagnose` or both.
    pub parts: Vec<String>,
    pub work: PathBuf,
    pub keep: bool,
    pub out: PathBuf,
    pub seam: PathBuf,
    pub command: String,
}

/// Everything one `seamdb-bench slo` measured.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SloRun {
    #[serde(flatten)]
    pub header: Header,
    pub slo: Option<Part>,
    pub diagnose: Option<Part>,
}

/// One database and what was timed on it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Part {
    /// Days the workload spans.
    pub days: u64,
    /// Inference rows and feedback rows.
    pub rows: (u64, u64),
    /// Embedded ingest (WAL, fdatasync) to everything sealed, seconds; `None` when an earlier
    /// run's database was reused.
    pub ingest_s: Option<f64>,
    /// Each statement warm in process (`ms`, `cold_ms`: its first run) and, where measured,
    /// from a new process (`new_process_ms`, with the command in `text`).
    pub queries: Vec<Query>,
    /// Rows each statement answered, by `query`.
    pub answer_rows: Vec<(String, usize)>,
    pub ratios: Vec<Ratio>,
    /// `CHECK SLOS`'s answer (CSV), for what was judged.
    pub check_slos: Option<String>,
}

/// A ratio of two timings and the target it is held to.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Ratio {
    pub what: String,
    /// Median over the rounds of each round's ratio (the two measured back to back).
    pub paired_median: f64,
    /// Spread of the per-round ratios.
    pub paired: Spread,
    /// Ratio of the two medians.
    pub of_medians: f64,
    /// Median over the rounds of each round's difference (ms): what the numerator adds.
    pub extra_ms: f64,
    /// The ratio must be at most this.
    pub target: f64,
    pub met: bool,
}

impl Ratio {
    /// The ratio of the sums of `num` and of `den` among `times` (each statement's times, one
    /// per round), per round and of the medians.
    pub fn of(what: &str, times: &[Vec<f64>], num: &[usize], den: &[usize], target: f64) -> Ratio {
        let sum = |i: &[usize], r: usize| i.iter().map(|&i| times[i][r]).sum::<f64>();
        let rounds = times.first().map_or(0, |t| t.len());
        let paired = Spread::of(&(0..rounds).map(|r| sum(num, r) / sum(den, r)).collect::<Vec<_>>());
        let extra = Spread::of(&(0..rounds).map(|r| sum(num, r) - sum(den, r)).collect::<Vec<_>>());
        let median = |i: &[usize]| i.iter().map(|&i| Spread::of(&times[i]).median).sum::<f64>();
        Ratio {
            what: what.into(),
            paired_median: paired.median,
            met: paired.median <= target,
            paired,
            of_medians: median(num) / median(den),
            extra_ms: extra.median,
            target,
        }
    }
}

/// Runs the parts asked for, writing `slo-nN.json` after each.
pub fn run(config: &Config) -> anyhow::Result<SloRun> {
    std::fs::create_dir_all(&config.work)?;
    std::fs::create_dir_all(&config.out)?;
    say(format_args!("measuring the machine (read bandwidth, fsync latency in {})", config.work.display()));
    let mut run = SloRun { header: Header::new(config.n, config.seed, &config.command, &config.work)?, ..SloRun::default() };
    let path = config.out.join(format!("slo-n{}.json", config.n));
    let wants = |p: &str| config.parts.iter().any(|x| x == p);
    if wants("slo") {
        run.slo = Some(slo_part(config)?);
        std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
        say(format_args!("wrote {}", path.display()));
    }
    if wants("diagnose") {
        run.diagnose = Some(diagnose_part(config)?);
        std::fs::write(&path, serde_json::to_string_pretty(&run)?)?;
        say(format_args!("wrote {}", path.display()));
    }
    Ok(run)
}

/// The year of daily windows: three SLOs, their queries, their checks.
fn slo_part(config: &Config) -> anyhow::Result<Part> {
    let (dir, mut part) = database(config, config.days)?;
    let db = Db::open(&dir)?;
    // The join is stored by the first SELECT that joins (its cold run); CHECK runs on it.
    for slo in SLOS {
        let _ = seamdb::query::run(&seamdb::query::parse(&format!("DROP SLO {}", slo.name))?, &db);
    }
    let acc = SLOS[0];
    let mut cold = Vec::new();
    cold.push((format!("SELECT {}", acc.name), time(&db, acc.select)?.0));
    seamdb::query::run(&seamdb::query::parse(&acc.create())?, &db)?;

    say(format_args!("{} days: with SLO acc alone, {} rounds", config.days, config.runs));
    let one = [
        (format!("SELECT {}", acc.name), acc.select.to_string()),
        (format!("CHECK SLO {}", acc.name), format!("CHECK SLO {}", acc.name)),
        ("CHECK SLOS (1 SLO)".to_string(), "CHECK SLOS".to_string()),
    ];
    let first = rounds(&db, &one, config.runs, &mut part.answer_rows)?;

    for slo in &SLOS[1..] {
        cold.push((format!("SELECT {}", slo.name), time(&db, slo.select)?.0));
        seamdb::query::run(&seamdb::query::parse(&slo.create())?, &db)?;
    }
    say(format_args!("{} days: with three SLOs, {} rounds", config.days, config.runs));
    let mut three: Vec<(String, String)> = Vec::new();
    for slo in SLOS {
        three.push((format!("SELECT {} (3 SLOs)", slo.name), slo.select.to_string()));
        three.push((format!("CHECK SLO {} (3 SLOs)", slo.name), format!("CHECK SLO {}", slo.name)));
    }
    three.push(("CHECK SLOS (3 SLOs)".to_string(), "CHECK SLOS".to_string()));
    let second = rounds(&db, &three, config.runs, &mut part.answer_rows)?;
    part.check_slos = Some(seamdb::query::run(&seamdb::query::parse("CHECK SLOS")?, &db)?.to_csv());
    drop(db);

    // Ratios, each round's pair measured back to back.
    let ratio = Ratio::of;
    part.ratios.push(ratio("CHECK SLO acc / SELECT acc (1 SLO stored)", &first, &[1], &[0], 1.0));
    part.ratios.push(ratio("CHECK SLOS / SELECT acc (1 SLO stored)", &first, &[2], &[0], 1.0));
    for (k, slo) in SLOS.iter().enumerate() {
        part.ratios.push(ratio(&format!("CHECK SLO {0} / SELECT {0} (3 SLOs stored)", slo.name), &second, &[2 * k + 1], &[2 * k], 1.0));
    }
    part.ratios.push(ratio("CHECK SLOS / (SELECT acc + delay + drift) (3 SLOs stored)", &second, &[6], &[0, 2, 4], 1.0));

    // Each statement's warm times, its cold run where it had one.
    for (i, (name, text)) in one.iter().enumerate() {
        part.queries.push(query(name, text, &first[i], cold.iter().find(|c| c.0 == *name).map(|c| c.1)));
    }
    for (i, (name, text)) in three.iter().enumerate() {
        part.queries.push(query(name, text, &second[i], None));
    }

    if config.process_runs > 0 {
        slo_processes(config, &dir, &mut part)?;
    }
    finish(config, &dir)?;
    Ok(part)
}

/// `seam query DB "<SELECT>"` of each SLO against `seam slo check DB [acc]`, new processes.
fn slo_processes(config: &Config, dir: &Path, part: &mut Part) -> anyhow::Result<()> {
    say(format_args!("{} days: seam query / seam slo check from new processes, {} rounds", config.days, config.process_runs));
    let db_arg = dir.to_string_lossy().to_string();
    let mut commands: Vec<(String, Vec<String>)> = Vec::new();
    for slo in SLOS {
        commands.push((format!("seam query DB \"SELECT {}\"", slo.name), vec!["query".into(), db_arg.clone(), slo.select.into()]));
    }
    commands.push(("seam slo check DB acc".into(), vec!["slo".into(), "check".into(), db_arg.clone(), "acc".into()]));
    commands.push(("seam slo check DB".into(), vec!["slo".into(), "check".into(), db_arg.clone()]));
    // The same judging, printed in full as `seam query` prints the SELECT (every row).
    commands.push(("seam query DB \"CHECK SLO acc\"".into(), vec!["query".into(), db_arg.clone(), "CHECK SLO acc".into()]));
    commands.push(("seam query DB \"CHECK SLOS\"".into(), vec!["query".into(), db_arg.clone(), "CHECK SLOS".into()]));
    let processes = new_processes(&config.seam, &commands, config.process_runs)?;
    for ((name, args), times) in commands.iter().zip(&processes) {
        part.queries.push(Query {
            engine: "seamdb".into(),
            query: name.clone(),
            threads: 2,
            new_process_ms: Some(Spread::of(times)),
            text: Some(format!("seam {}", args.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" "))),
            ..Query::default()
        });
    }
    let process_ratio = |what: &str, num: &[usize], den: &[usize]| Ratio::of(what, &processes, num, den, 1.0);
    part.ratios.push(process_ratio("new process: seam slo check DB acc / seam query DB \"SELECT acc\"", &[3], &[0]));
    part.ratios.push(process_ratio("new process: seam slo check DB (3 SLOs) / the 3 seam query DB \"SELECT …\"", &[4], &[0, 1, 2]));
    part.ratios.push(process_ratio("new process: seam query DB \"CHECK SLO acc\" / seam query DB \"SELECT acc\"", &[5], &[0]));
    part.ratios.push(process_ratio(
        "new process: seam query DB \"CHECK SLOS\" (3 SLOs) / the 3 seam query DB \"SELECT …\"",
        &[6],
        &[0, 1, 2],
    ));
    Ok(())
}

/// The standard week: Q1 against DIAGNOSE of a day and of an hour.
fn diagnose_part(config: &Config) -> anyhow::Result<Part> {
    let (dir, mut part) = database(config, config.diagnose_days)?;
    let db = Db::open(&dir)?;
    let q1 = queries::text("Q1")?;
    let mut statements = vec![
        ("Q1".to_string(), q1.to_string()),
        ("DIAGNOSE 1d".to_string(), DIAGNOSE_DAY.to_string()),
        ("DIAGNOSE 1h".to_string(), DIAGNOSE_HOUR.to_string()),
    ];
    statements.extend(DIAGNOSE_PARTS.iter().map(|(name, text)| (name.to_string(), text.to_string())));
    // Q1's cold run stores the join; then each DIAGNOSE's first run, apart.
    let cold: Vec<f64> = statements.iter().map(|(_, text)| time(&db, text).map(|t| t.0)).collect::<anyhow::Result<_>>()?;
    say(format_args!("{} days: Q1 and DIAGNOSE, {} rounds", config.diagnose_days, config.runs));
    let times = rounds(&db, &statements, config.runs, &mut part.answer_rows)?;
    drop(db);
    for (i, (name, text)) in statements.iter().enumerate() {
        part.queries.push(query(name, text, &times[i], Some(cold[i])));
    }
    let ratio = |what: &str, num: usize, den: usize, target: f64| Ratio::of(what, &times, &[num], &[den], target);
    part.ratios.push(ratio("DIAGNOSE of one day / Q1", 1, 0, 5.0));
    part.ratios.push(ratio("DIAGNOSE of one hour / Q1", 2, 0, 5.0));

    if config.process_runs > 0 {
        diagnose_processes(config, &dir, q1, &mut part)?;
    }
    finish(config, &dir)?;
    Ok(part)
}

/// Q1 and the day's DIAGNOSE through `seam query`, new processes.
fn diagnose_processes(config: &Config, dir: &Path, q1: &str, part: &mut Part) -> anyhow::Result<()> {
    say(format_args!("{} days: seam query from new processes, {} rounds", config.diagnose_days, config.process_runs));
    let db_arg = dir.to_string_lossy().to_string();
    let commands: Vec<(String, Vec<String>)> = vec![
        ("seam query DB Q1".into(), vec!["query".into(), db_arg.clone(), q1.into()]),
        ("seam query DB \"DIAGNOSE 1d\"".into(), vec!["query".into(), db_arg.clone(), DIAGNOSE_DAY.into()]),
    ];
    let processes = new_processes(&config.seam, &commands, config.process_runs)?;
    for ((name, args), times) in commands.iter().zip(&processes) {
        part.queries.push(Query {
            engine: "seamdb".into(),
            query: name.clone(),
            threads: 2,
            new_process_ms: Some(Spread::of(times)),
            text: Some(format!("seam {}", args.iter().map(|a| shell_word(a)).collect::<Vec<_>>().join(" "))),
            ..Query::default()
        });
    }
    part.ratios.push(Ratio::of("new process: seam query DB \"DIAGNOSE 1d\" / seam query DB Q1", &processes, &[1], &[0], 5.0));
    Ok(())
}

/// The workload over `days` days, stored under --work (reused when an earlier run left it).
fn database(config: &Config, days: u64) -> anyhow::Result<(PathBuf, Part)> {
    let stored = ingest::stored(&config.work, &Workload { days, ..Workload::new(config.n, config.seed) })?;
    Ok((stored.dir, Part { days, rows: stored.rows, ingest_s: stored.ingest_s, ..Part::default() }))
}

/// Removes the part's database unless `--keep`.
fn finish(config: &Config, dir: &Path) -> anyhow::Result<()> {
    if !config.keep {
        if let Some(base) = dir.parent() {
            std::fs::remove_dir_all(base)?;
        }
    }
    Ok(())
}

/// One run of `text` through `query::run` (which stores a SELECT's join first): ms and rows.
fn time(db: &Db, text: &str) -> anyhow::Result<(f64, usize)> {
    let statement = seamdb::query::parse(text)?;
    let start = Instant::now();
    let table = seamdb::query::run(&statement, db)?;
    Ok((start.elapsed().as_secs_f64() * 1e3, table.rows.len()))
}

/// `runs` rounds, each running every statement once in order; each statement's times.
fn rounds(db: &Db, statements: &[(String, String)], runs: usize, answer_rows: &mut Vec<(String, usize)>) -> anyhow::Result<Vec<Vec<f64>>> {
    let mut times = vec![Vec::new(); statements.len()];
    for _ in 0..runs.max(1) {
        for (i, (name, text)) in statements.iter().enumerate() {
            let (ms, rows) = time(db, text)?;
            times[i].push(ms);
            if !answer_rows.iter().any(|(n, _)| n == name) {
                answer_rows.push((name.clone(), rows));
            }
        }
    }
    Ok(times)
}

fn query(name: &str, text: &str, times: &[f64], cold: Option<f64>) -> Query {
    Query {
        engine: "seamdb".into(),
        query: name.into(),
        threads: 2,
        ms: Spread::of(times),
        cold_ms: cold,
        text: Some(text.into()),
        ..Query::default()
    }
}

/// Each command `runs` times, in rounds, each a new `seam` process timed from spawn to exit.
/// `seam slo check` exits 1 when it finds a violation: that is an answer, not a failure.
fn new_processes(seam: &Path, commands: &[(String, Vec<String>)], runs: usize) -> anyhow::Result<Vec<Vec<f64>>> {
    anyhow::ensure!(seam.exists(), "no seam binary at {} (cargo build --release -p seamdb-cli, or --seam)", seam.display());
    let mut times = vec![Vec::new(); commands.len()];
    for _ in 0..runs.max(1) {
        for (i, (name, args)) in commands.iter().enumerate() {
            let start = Instant::now();
            let out = Command::new(seam).args(args).output()?;
            times[i].push(start.elapsed().as_secs_f64() * 1e3);
            let verdict = args.first().is_some_and(|a| a == "slo") && out.status.code() == Some(1);
            anyhow::ensure!(out.status.success() || verdict, "{name}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    Ok(times)
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_word(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn say(what: std::fmt::Arguments<'_>) {
    eprintln!("seamdb-bench slo: {what}");
}

/// The run as Markdown tables: warm times, new-process times, ratios against targets.
pub fn markdown(run: &SloRun) -> String {
    let mut out = String::new();
    for (title, part) in [("SLOs", &run.slo), ("DIAGNOSE", &run.diagnose)] {
        let Some(part) = part else { continue };
        out +=
            &format!("\n### {title}: N = {}, {} days ({} predictions, {} labels)\n\n", run.header.n, part.days, part.rows.0, part.rows.1);
        out += "| statement | rows | warm ms, median (min–max) | cold ms | new process ms, median (min–max) |\n|---|---|---|---|---|\n";
        for q in &part.queries {
            let rows = part.answer_rows.iter().find(|(n, _)| *n == q.query).map_or(String::new(), |r| r.1.to_string());
            let warm = if q.ms.runs > 0 { format!("{:.1} ({:.1}–{:.1})", q.ms.median, q.ms.min, q.ms.max) } else { String::new() };
            let cold = q.cold_ms.map_or(String::new(), |c| format!("{c:.1}"));
            let process = q.new_process_ms.as_ref().map_or(String::new(), |p| format!("{:.0} ({:.0}–{:.0})", p.median, p.min, p.max));
            out += &format!("| {} | {rows} | {warm} | {cold} | {process} |\n", q.query);
        }
        out += "\n| ratio | per round, median (min–max) | of medians | extra ms | target | met |\n|---|---|---|---|---|---|\n";
        for r in &part.ratios {
            out += &format!(
                "| {} | {:.3} ({:.3}–{:.3}) | {:.3} | {:.1} | ≤ {} | {} |\n",
                r.what,
                r.paired_median,
                r.paired.min,
                r.paired.max,
                r.of_medians,
                r.extra_ms,
                r.target,
                if r.met { "yes" } else { "no" }
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_days_is_the_standard_workload_and_days_spread_it() {
        let standard = Workload { chunk_rows: 1000, ..Workload::new(5000, 7) };
        let week = Workload { days: 7, ..standard };
        assert_eq!(standard.chunk(3), week.chunk(3));
        let year = Workload { days: 365, ..standard };
        let last = year.chunk(year.chunks() - 1);
        let end = seamdb::workload::START_US + year.span_us();
        let t = last.last().unwrap().time_us;
        assert!(t < end && t > end - seamdb::workload::DAY_US, "{t}");
        assert!(standard.chunk(4).last().unwrap().time_us < seamdb::workload::START_US + seamdb::workload::SPAN_US);
    }

    #[test]
    fn the_slos_parse_and_diagnose_parses() {
        for slo in SLOS {
            seamdb::query::parse(&slo.create()).unwrap();
            seamdb::query::parse(slo.select).unwrap();
        }
        seamdb::query::parse(DIAGNOSE_DAY).unwrap();
        seamdb::query::parse(DIAGNOSE_HOUR).unwrap();
        for (_, text) in DIAGNOSE_PARTS {
            seamdb::query::parse(text).unwrap();
        }
    }

    #[test]
    fn a_small_run_measures_every_statement() {
        let work = tempfile::tempdir().unwrap();
        let config = Config {
            n: 20_000,
            days: 30,
            diagnose_days: 7,
            seed: 1,
            runs: 2,
            process_runs: 0,
            parts: vec!["slo".into(), "diagnose".into()],
            work: work.path().join("work"),
            keep: false,
            out: work.path().join("out"),
            seam: work.path().join("no-seam"),
            command: "test".into(),
        };
        let slo = slo_part(&config).unwrap();
        assert_eq!(slo.days, 30);
        assert_eq!(slo.rows.0, 20_000);
        assert_eq!(slo.queries.len(), 3 + 7);
        assert!(slo.queries.iter().all(|q| q.ms.runs == 2));
        assert_eq!(slo.ratios.len(), 6);
        // acc: 30 days × 20 countries, give or take a rare country on a thin day.
        let acc = slo.answer_rows.iter().find(|r| r.0 == "CHECK SLO acc").unwrap().1;
        assert!((560..=600).contains(&acc), "{acc}");
        let check = slo.check_slos.unwrap();
        assert_eq!(check.lines().count(), 4, "{check}");
        let diagnose = diagnose_part(&config).unwrap();
        assert_eq!(diagnose.queries.len(), 3 + DIAGNOSE_PARTS.len());
        assert!(diagnose.queries.iter().all(|q| q.cold_ms.is_some()));
        assert_eq!(diagnose.ratios.len(), 2);
        // Both databases were removed.
        assert_eq!(std::fs::read_dir(&config.work).unwrap().count(), 0);
        let mut missing = config.clone();
        missing.process_runs = 1;
        let err = new_processes(&missing.seam, &[("x".into(), vec![])], 1).unwrap_err();
        assert!(err.to_string().contains("no seam binary"), "{err}");
    }

    #[test]
    fn shell_words_are_quoted_when_needed() {
        assert_eq!(shell_word("/tmp/db"), "/tmp/db");
        assert_eq!(shell_word("SELECT 'a'"), "'SELECT '\\''a'\\'''");
    }
}
