//! One module per subcommand: its arguments and its `run`.

pub mod check;
pub mod compact;
pub mod demo;
pub mod drop;
pub mod ingest;
pub mod query;
pub mod recover;
pub mod remote;
pub mod report;
pub mod retain;
pub mod serve;
pub mod slo;
pub mod stats;
pub mod trace;

use std::path::Path;

/// Opens an existing database for writing; unlike the library, the CLI refuses to create one
/// by accident (except where a command writes). `has_remote`: the command has `--remote`.
pub fn open_existing(dir: &Path, has_remote: bool) -> anyhow::Result<seamdb::Db> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a SeamDB database (no such directory)", dir.display());
    }
    open(dir, has_remote)
}

/// A time on the command line, as SeamQL reads one (microseconds since the epoch).
pub fn parse_time(text: &str) -> Result<i64, String> {
    seamdb::query::parse_time_arg(text).map_err(|e| e.to_string())
}

/// Opens an existing database read-only, for the commands that only read: they work beside
/// the process that writes it (a `seam serve`), change nothing, and see everything
/// acknowledged before they started.
pub fn open_read_only(dir: &Path) -> anyhow::Result<seamdb::Db> {
    Ok(seamdb::Db::open_read_only(dir)?)
}

/// Opens (or creates) a database for writing. Only one process may: the likeliest holder of
/// its lock is a `seam serve`, so the error says so, and names `--remote` where the command
/// has it (`has_remote`).
pub fn open(dir: &Path, has_remote: bool) -> anyhow::Result<seamdb::Db> {
    seamdb::Db::open(dir).map_err(|e| explain_lock(e, dir, has_remote))
}

/// A storage error as the CLI says it: a held lock names its likely holder (see [`open`]).
pub fn explain_lock(e: seamdb::storage::Error, dir: &Path, has_remote: bool) -> anyhow::Error {
    match e {
        seamdb::storage::Error::Locked { .. } => {
            let what = if has_remote { "ask that server with --remote ADDR" } else { "stop it first" };
            anyhow::anyhow!("{} is in use by another process (a running `seam serve`?); {what}", dir.display())
        }
        e => e.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn a_time_is_a_time_or_a_date_at_midnight_utc_or_a_time_expression() {
        assert_eq!(parse_time("2026-01-05"), Ok(1_767_571_200_000_000));
        assert_eq!(parse_time("2026-01-05T02:00:00+02:00"), Ok(1_767_571_200_000_000));
        assert!(parse_time("2026-01-05T00:00:00").is_err(), "no zone");
        assert!(parse_time("yesterday").is_err());
        assert_eq!(parse_time("'2026-01-05' + 12h"), Ok(1_767_571_200_000_000 + 12 * 3_600_000_000));
        let month_ago = parse_time("now() - 30d").unwrap();
        let now = seamdb::storage::model::now_us();
        let expected = now - 30 * 86_400_000_000;
        assert!((month_ago - expected).abs() < 60_000_000, "{month_ago} vs {expected}");
    }
}
