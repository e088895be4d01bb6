//! `seam demo`: a week of a deployed model, ingested durably, then the questions SeamDB is
//! for: which slice's accuracy fell and when, which feature drifted, how labels mature; then
//! an SLO that holds it all: judged, diagnosed, and drawn as a report.

use seamdb::query::{format_time, Cell, Table};
use seamdb::workload::{Incident, Workload, START_US};
use seamdb::Db;
use std::path::PathBuf;
use std::time::Instant;

/// Generate a week of a deployed model, ingest it, and show what SeamDB answers about it.
///
/// Predictions (`inference`: score, model version, country, device, two features) arrive over
/// a week; labels (`feedback`) for 80% of them arrive about an hour later. On day 4 one
/// country's predictions stop being right, and one feature drifts all week. Every batch is
/// acknowledged only once durable. Then the demo asks, in SeamQL, what a person on call would.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory to fill; it must not hold data yet [default: a temporary directory,
    /// removed afterwards].
    db: Option<PathBuf>,
    /// Number of predictions.
    #[arg(long, default_value_t = 1_000_000)]
    rows: u64,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where to write the HTML report [default: seamdb-demo-report.html in the system's
    /// temporary directory].
    #[arg(long)]
    report: Option<PathBuf>,
}

const DAY_US: i64 = 86_400_000_000;
const BROKEN: &str = "BR";

pub fn run(args: Args) -> anyhow::Result<()> {
    let temp;
    let dir = match &args.db {
        Some(d) => d.clone(),
        None => {
            temp = std::env::temp_dir().join(format!("seam-demo-{}", std::process::id()));
            temp.clone()
        }
    };
    let result = demo(&dir, &args);
    if args.db.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

fn demo(dir: &std::path::Path, args: &Args) -> anyhow::Result<()> {
    let db = Db::open(dir)?;
    if db.snapshot().components().next().is_some() {
        anyhow::bail!("{} already holds data; give an empty or new directory", dir.display());
    }
    ingest(&db, args)?;
    db.flush()?;
    which_slice_fell(&db)?;
    which_feature_drifted(&db)?;
    how_labels_mature(&db)?;
    hold_it_to_an_slo(&db, args)?;
    if let Some(path) = &args.db {
        outln!("\nThe data stays in {}; ask it more, for example:", path.display())?;
        outln!("  seam query {} \"DESCRIBE inference\"", path.display())?;
        outln!("  seam query {} \"SELECT roc_auc(inference.score, feedback.label) AS auc FROM inference JOIN feedback GROUP BY window(1d), inference.model_version\"", path.display())?;
        outln!("  seam slo check {}          # exit status 1 while an SLO is violated: for cron", path.display())?;
    }
    Ok(())
}

fn ingest(db: &Db, args: &Args) -> anyhow::Result<()> {
    let incident = Incident { country: BROKEN, from_us: START_US + 3 * DAY_US };
    let workload = Workload { incident: Some(incident), ..Workload::new(args.rows, args.seed) };
    outln!("SeamDB demo: a week of a deployed model, {} predictions from 20 countries;", args.rows)?;
    outln!("labels for 80% of them arrive about an hour later. Something breaks on day 4.\n")?;
    let start = Instant::now();
    let mut events = 0;
    for k in 0..workload.chunks() {
        let (inference, feedback) = (workload.inference_batch(k), workload.feedback_batch(k));
        events += inference.rows() + feedback.rows();
        db.append("inference", inference)?;
        db.append("feedback", feedback)?;
    }
    let secs = start.elapsed().as_secs_f64();
    outln!("Ingested {events} events in {secs:.2} s ({:.0} events/s), each batch acknowledged only once on disk.", events as f64 / secs)?;
    Ok(())
}

fn ask(db: &Db, seamql: &str) -> anyhow::Result<Table> {
    outln!("\n  > {seamql}\n")?;
    query(db, seamql)
}

/// Answers `seamql` as `seam query` does: the first joining query stores its join.
fn query(db: &Db, seamql: &str) -> anyhow::Result<Table> {
    Ok(seamdb::query::run(&seamdb::query::parse(seamql)?, db)?)
}

fn float(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Float(x) => Some(*x),
        Cell::Int(i) => Some(*i as f64),
        _ => None,
    }
}

/// Daily accuracy per country; the country whose accuracy fell most, day by day.
fn which_slice_fell(db: &Db) -> anyhow::Result<()> {
    outln!("\n1. Is the model still right, per slice?")?;
    let by_country = query(
        db,
        "SELECT accuracy(inference.score >= 0.5, feedback.label) AS accuracy FROM inference JOIN feedback GROUP BY window(1d), inference.country",
    )?;
    // (country, first three days' mean, last three days' mean)
    let mut drops: Vec<(String, f64)> = Vec::new();
    let countries: std::collections::BTreeSet<String> = by_country.rows.iter().map(|r| r[1].text()).collect();
    for country in countries {
        let days: Vec<f64> = by_country.rows.iter().filter(|r| r[1].text() == country).filter_map(|r| float(&r[2])).collect();
        if days.len() >= 6 {
            let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
            drops.push((country, mean(&days[..3]) - mean(&days[days.len() - 3..])));
        }
    }
    drops.sort_by(|a, b| b.1.total_cmp(&a.1));
    let Some((worst, drop)) = drops.first() else { return Ok(()) };
    let table = ask(
        db,
        &format!("SELECT accuracy(inference.score >= 0.5, feedback.label) AS accuracy, count(feedback.label) AS labelled FROM inference JOIN feedback WHERE inference.country = '{worst}' GROUP BY window(1d)"),
    )?;
    out!("{}", table.to_text())?;
    outln!("\n  Of 20 countries, {worst} fell most: {:.0} points of accuracy between the first and the last three days.", drop * 100.0)?;
    if let Some(day) = table.rows.iter().position(|r| float(&r[1]).is_some_and(|a| a < 0.6)) {
        outln!("  It falls on {} (the answer is computed from labels joined to predictions on trace ID).", table.rows[day][0].text())?;
    }
    Ok(())
}

/// PSI of both features per day against the first day.
fn which_feature_drifted(db: &Db) -> anyhow::Result<()> {
    outln!("\n2. Have the inputs drifted from the first day?")?;
    let table = ask(
        db,
        "SELECT psi(inference.feature_age) AS psi_feature_age, psi(inference.feature_income) AS psi_feature_income FROM inference REFERENCE (inference WHERE time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
    )?;
    out!("{}", table.to_text())?;
    for (i, name) in ["feature_age", "feature_income"].iter().enumerate() {
        match table.rows.iter().find(|r| float(&r[i + 1]).is_some_and(|p| p > 0.2)) {
            Some(row) => outln!("\n  {name} drifts: its PSI passes 0.2 (a common alarm level) on {}.", row[0].text())?,
            None => outln!("\n  {name} is stable: its PSI stays below 0.2 all week.")?,
        }
    }
    Ok(())
}

/// Coverage of one hour's predictions as the labels come in, replayed with AS OF.
fn how_labels_mature(db: &Db) -> anyhow::Result<()> {
    outln!("\n3. How complete are the labels, and when?")?;
    let hour_start = START_US + 5 * DAY_US + 12 * 3_600_000_000;
    let (from, to) = (format_time(hour_start), format_time(hour_start + 3_600_000_000));
    outln!("  Label coverage of the predictions made {from} .. {to}, as it looked at later times (AS OF):")?;
    for minutes in [15i64, 60, 120, 360, 24 * 60] {
        let as_of = format_time(hour_start + 3_600_000_000 + minutes * 60_000_000);
        let table = query(
            db,
            &format!("SELECT coverage(feedback) AS coverage FROM inference JOIN feedback WHERE time >= '{from}' AND time < '{to}' AS OF '{as_of}'"),
        )?;
        let coverage = table.rows.first().and_then(|r| float(&r[0])).unwrap_or(0.0);
        outln!("    {:>5} min after the hour: {:>5.1}% labelled", minutes, coverage * 100.0)?;
    }
    let delay = ask(db, "SELECT quantile(feedback.time - inference.time, 0.5) AS delay_p50_s, quantile(feedback.time - inference.time, 0.9) AS delay_p90_s FROM inference JOIN feedback")?;
    out!("{}", delay.to_text())?;
    Ok(())
}

/// The SLO someone on call would state for this model, judged, its newest violation
/// diagnosed, and the report written.
fn hold_it_to_an_slo(db: &Db, args: &Args) -> anyhow::Result<()> {
    outln!("\n4. Hold it to an SLO, and let the database say when and where it breaks.")?;
    ask(
        db,
        "CREATE SLO country_accuracy AS SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, coverage(feedback) AS cov \
         FROM inference JOIN feedback GROUP BY window(1d), inference.country EXPECT acc >= 0.7 WHEN cov >= 0.7",
    )?;
    outln!("  Accuracy at least 0.7 per day in every country, judged once 70% of a day's labels are in.")?;
    let summary = ask(db, "CHECK SLOS")?;
    out!("{}", summary.to_text())?;
    let judged = seamdb::query::slo::judge(&db.snapshot(), "country_accuracy", None, &Default::default())?;
    let violated: Vec<usize> = (0..judged.statuses.len()).filter(|&r| judged.statuses[r] == seamdb::query::slo::Status::Violated).collect();
    let groups: std::collections::BTreeSet<String> = violated.iter().map(|&r| judged.table.rows[r][1].text()).collect();
    outln!(
        "\n  {} of {} (day, country) windows are violated, in {}.",
        violated.len(),
        judged.statuses.len(),
        groups.into_iter().collect::<Vec<_>>().join(", ")
    )?;
    // The country violated most often, and its newest violation.
    let times = |country: &String| violated.iter().filter(|&&r| judged.table.rows[r][1].text() == *country).count();
    let worst = violated.iter().map(|&r| judged.table.rows[r][1].text()).max_by_key(times);
    if let Some(last) = violated.iter().rev().copied().find(|&r| Some(judged.table.rows[r][1].text()) == worst) {
        // Against the last day that country met the SLO, and the inputs against the first day.
        let at = judged.table.rows[last][0].text();
        let baseline = judged.last_ok_before(last).map_or(String::new(), |t| format!(" BASELINE '{}'", format_time(t)));
        let country = judged.table.rows[last][1].text();
        outln!("\n  {country} is violated most often. Where does its newest violation ({at}) come from?")?;
        let diagnosis = ask(
            db,
            &format!(
                "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
                 REFERENCE (inference WHERE time < '2026-01-06T00:00:00Z') GROUP BY window(1d) AT '{at}'{baseline}"
            ),
        )?;
        let top = Table { columns: diagnosis.columns.clone(), rows: diagnosis.rows.iter().take(5).cloned().collect() };
        out!("{}", top.to_text())?;
        let kind = diagnosis.columns.iter().position(|c| c == "kind");
        let first = |k: &str| diagnosis.rows.iter().find(|r| kind.is_some_and(|i| r[i].text() == k));
        let (field, value) = (diagnosis.columns.iter().position(|c| c == "field"), diagnosis.columns.iter().position(|c| c == "value"));
        if let (Some(slice), Some(f), Some(v)) = (first("slice"), field, value) {
            outln!("\n  The slice that moved accuracy most: {} = {}.", slice[f].text(), slice[v].text())?;
        }
        if let (Some(feature), Some(f)) = (first("feature"), field) {
            outln!("  The input that drifted most from the first day: {}.", feature[f].text())?;
        }
    }
    let report = args.report.clone().unwrap_or_else(|| std::env::temp_dir().join("seamdb-demo-report.html"));
    let title = args.db.as_ref().map_or("seam demo".to_string(), |p| p.display().to_string());
    std::fs::write(&report, crate::report::page(&db.snapshot(), &title)?)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", report.display()))?;
    outln!("\n  The SLO over the week, the diagnosis and feature drift, as one page: {}", report.display())?;
    Ok(())
}
