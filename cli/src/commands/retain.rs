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
    #[arg(long, value_parser = parse_bound)]
    before: i64,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_existing(&args.db, false)?;
    seamdb::ingest::require_component(&db.snapshot(), &args.component)?;
    let rows = db.retain(&args.component, args.before)?;
    outln!("dropped {rows} rows of {} older than {}", args.component, seamdb::query::format_time(args.before))?;
    Ok(())
}

/// A time as SeamQL reads one, as microseconds since the epoch.
fn parse_bound(text: &str) -> Result<i64, String> {
    seamdb::query::parse_time_arg(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::parse_bound;

    #[test]
    fn a_bound_is_a_time_or_a_date_at_midnight_utc() {
        assert_eq!(parse_bound("2026-01-05"), Ok(1_767_571_200_000_000));
        assert_eq!(parse_bound("2026-01-05T02:00:00+02:00"), Ok(1_767_571_200_000_000));
        assert!(parse_bound("2026-01-05T00:00:00").is_err(), "no zone");
        assert!(parse_bound("yesterday").is_err());
        assert_eq!(parse_bound("'2026-01-05' + 12h"), Ok(1_767_571_200_000_000 + 12 * 3_600_000_000));
        let month_ago = parse_bound("now() - 30d").unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros() as i64;
        let expected = now - 30 * 86_400_000_000;
        assert!((month_ago - expected).abs() < 60_000_000, "{month_ago} vs {expected}");
    }
}
