//! `seam recover`: salvage a log that open refuses because a record in it is damaged.

use seamdb::storage::{LostRecord, RecoverReport};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Salvage a database whose log holds a damaged record.
///
/// When a record in the middle of a write-ahead-log file is damaged (a flipped bit, a bad
/// sector), opening the database fails with the file and byte offset rather than silently
/// dropping the acknowledged records after it. `seam recover` keeps every whole record
/// before and after the damage, reports what was lost (records, rows, components), and moves
/// the damaged file to DB/damaged/ instead of deleting it. A database without damage is left
/// as it is. The database must not be open elsewhere. Safe to rerun after a crash.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.db.is_dir() {
        anyhow::bail!("{} is not a SeamDB database (no such directory)", args.db.display());
    }
    let report = seamdb::storage::recover(&args.db).map_err(|e| super::explain_lock(e, &args.db, false))?;
    print(&args, &report)?;
    Ok(())
}

fn print(args: &Args, report: &RecoverReport) -> std::io::Result<()> {
    if report.damage.is_empty() {
        outln!("no damage in the log of {} ({} files): nothing to recover", args.db.display(), report.files_checked)?;
    }
    for d in &report.damage {
        outln!("damaged: {} at byte offset {} ({} bytes): {}", d.path.display(), d.offset, d.bytes, d.what)?;
        for r in &d.lost {
            outln!("  {}", describe(r))?;
        }
    }
    if let Some((path, offset, bytes)) = &report.torn_tail {
        outln!("torn tail: {} at byte offset {offset} ({bytes} bytes, never acknowledged)", path.display())?;
    }
    for (from, to) in &report.moved_aside {
        outln!("moved aside: {} -> {}", from.display(), to.display())?;
    }
    for path in &report.written {
        outln!("written: {}", path.display())?;
    }
    let lost: Vec<&LostRecord> = report.lost().collect();
    if !lost.is_empty() {
        outln!("lost: {}", summary(&lost))?;
    }
    outln!("kept: {} records ({} rows) in the log", report.records_kept, report.rows_kept)
}

fn describe(r: &LostRecord) -> String {
    let what = match (&r.component, r.rows) {
        (Some(c), Some(rows)) => format!("component {c:?}, {rows} rows (read from the damaged record, unverified)"),
        _ => "component unknown, rows unknown (unreadable)".to_string(),
    };
    let sealed = match (r.sealed, r.dropped) {
        (true, _) => "; already sealed into a segment, nothing lost",
        (_, true) => "; its component was dropped since, nothing lost",
        _ => "",
    };
    format!("record LSN {}: {what}{sealed}", r.lsn)
}

/// `N records (M rows): K of "a", ...`, per component, unknown ones last.
fn summary(lost: &[&LostRecord]) -> String {
    // (unknown?, component) sorts known components by name, unknown last; the value is
    // (records, rows), the rows unknown once one record's are.
    type Tally = (u64, Option<u64>);
    let mut by: BTreeMap<(bool, Option<&str>), Tally> = BTreeMap::new();
    for r in lost {
        let e = by.entry((r.component.is_none(), r.component.as_deref())).or_insert((0, Some(0)));
        e.0 += 1;
        e.1 = e.1.zip(r.rows).map(|(a, b)| a + b);
    }
    let parts: Vec<String> = by
        .iter()
        .map(|((_, c), (n, rows))| {
            let rows = rows.map_or("unknown rows".to_string(), |r| format!("{r} rows"));
            format!("{n} record(s), {rows} of component {}", c.map_or("unknown".to_string(), |c| format!("{c:?}")))
        })
        .collect();
    parts.join("; ")
}
