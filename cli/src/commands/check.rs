//! `seam check`: verify every checksum; non-zero exit naming each damaged file.

use std::path::PathBuf;

/// Verify the checksum of every segment, log record and the manifest.
///
/// Exits non-zero and names each damaged file (with the byte offset) if anything is wrong.
/// It reads only, so it is safe to run beside a live writer.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let report = seamdb::storage::check(&args.db)?;
    for note in &report.notes {
        eprintln!("note: {note}");
    }
    for damage in &report.damaged {
        eprintln!("damaged: {damage}");
    }
    if !report.is_ok() {
        anyhow::bail!("{} damaged file(s) in {}", report.damaged.len(), args.db.display());
    }
    outln!(
        "ok: {} segments, {} join files and {} log records verified ({} bytes)",
        report.segments_checked,
        report.join_files_checked,
        report.wal_records_checked,
        report.bytes_checked
    )?;
    Ok(())
}
