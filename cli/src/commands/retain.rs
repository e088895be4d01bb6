//! `seam retain`: drop one component's events older than a time.

use std::path::PathBuf;

/// Drop a component's events older than a time (`time < --before`), durably.
///
/// The component's ingest hashes stay: re-ingesting a file it already took is still refused
/// (pass --again to `seam ingest` to store it again).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// Component to trim.
    #[arg(long, short)]
    component: String,
    /// Keep events at or after this time: RFC 3339 with a zone (2026-01-05T00:00:00Z), a date
    /// (2026-01-05, midnight UTC), or now() or either of them plus or minus a duration
    /// ("now() - 30d"), as SeamQL reads times.
    #[arg(long, value_parser = super::parse_time)]
    before: i64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_existing(&args.db, false)?;
    seamdb::ingest::require_component(&db.snapshot(), &args.component)?;
    let rows = db.retain(&args.component, args.before)?;
    outln!("dropped {rows} rows of {} older than {}", args.component, seamdb::query::format_time(args.before))?;
    Ok(())
}
