//! `seam slo check`: judge the stored SLOs, for cron and CI.

use seamdb::query::slo::{self, Judged, Status};
use seamdb::query::{Cell, Table};
use std::path::PathBuf;
use std::process::ExitCode;

/// The SLOs stored in a database (create them with `seam query DB "CREATE SLO …"`).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    Check(CheckArgs),
}

/// Judge the SLOs and print the violated windows; exit status 1 when there is one.
///
/// Each SLO's query runs over the database's history (read-only: it works beside a running
/// `seam serve`), and each of its rows (a window and group) is ok, violated, pending (its WHEN
/// does not hold yet, e.g. too few labels in) or no_data. Only the latest window of each SLO
/// is looked at unless --since says otherwise; pending never fails. For cron:
///
///   */15 * * * *  seam slo check /var/lib/seamdb || notify-on-call
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Database directory.
    db: PathBuf,
    /// Judge only this SLO (default: every one).
    name: Option<String>,
    /// Judge as the database would have at this time (reproduce an alert). A time as SeamQL
    /// reads one: 2026-01-05T00:00:00Z, 2026-01-05, "now() - 1d".
    #[arg(long, value_parser = super::parse_time)]
    as_of: Option<i64>,
    /// Look at every window starting at or after this time (default: each SLO's latest).
    #[arg(long, value_parser = super::parse_time)]
    since: Option<i64>,
    /// Output: an aligned table per SLO, or one JSON array of the violated rows (each with
    /// its `slo`).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Command::Check(args) = args.command;
    let db = super::open_read_only(&args.db)?;
    let snapshot = db.snapshot();
    let options = seamdb::query::Options::default();
    let judged = match &args.name {
        Some(name) => vec![slo::judge(&snapshot, name, args.as_of, &options)?],
        None => slo::judge_all(&snapshot, args.as_of, &options)?,
    };
    if judged.is_empty() {
        anyhow::bail!("{} holds no SLO: create one with seam query DB \"CREATE SLO name AS SELECT … EXPECT …\"", args.db.display());
    }
    let violated: Vec<Table> = judged.iter().map(|j| violations(j, args.since)).collect();
    let count: usize = violated.iter().map(|t| t.rows.len()).sum();
    if args.format == "json" {
        // Each SLO has its own columns: one array of every SLO's objects, each naming its SLO.
        let mut all = Vec::new();
        for (j, t) in judged.iter().zip(&violated) {
            let columns = ["slo".to_string()].into_iter().chain(t.columns.iter().cloned()).collect();
            let rows = t.rows.iter().map(|r| [Cell::Text(j.name.clone())].into_iter().chain(r.iter().cloned()).collect()).collect();
            all.extend(Table { columns, rows }.json_objects());
        }
        outln!("{}", serde_json::Value::Array(all))?;
    } else {
        for (j, t) in judged.iter().zip(&violated) {
            let latest = j.latest().map_or_else(|| "no windows".to_string(), |(w, s)| format!("latest window {} {}", w.text(), s.as_str()));
            outln!("SLO {}: {} violated; {latest}", j.name, t.rows.len())?;
            if !t.rows.is_empty() {
                out!("{}", t.to_text())?;
            }
        }
    }
    Ok(if count > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The violated rows of `judged` in windows starting at or after `since` (default: its
/// latest window).
fn violations(judged: &Judged, since: Option<i64>) -> Table {
    let latest = judged.latest().map(|(w, _)| w.clone());
    let rows = (0..judged.table.rows.len())
        .filter(|&i| {
            judged.statuses[i] == Status::Violated
                && match since {
                    Some(t) => judged.window_start(i).is_some_and(|w| w >= t),
                    None => Some(&judged.table.rows[i][0]) == latest.as_ref(),
                }
        })
        .map(|i| judged.table.rows[i].clone())
        .collect();
    Table { columns: judged.table.columns.clone(), rows }
}
