//! `seam compact`: seal the unsealed tail and merge small segments.

use std::path::PathBuf;

/// Seal every component's unsealed rows and merge neighbouring small segments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_existing(&args.db, false)?;
    let report = db.compact()?;
    outln!("compacted {}: {} segments before, {} after", args.db.display(), report.segments_before, report.segments_after)?;
    Ok(())
}
