//! `seam report`: the SLOs, the latest diagnosis and feature drift as one HTML page.

use std::path::PathBuf;

/// Write one self-contained HTML page about the database: each SLO's metric over its windows
/// against its threshold (violations in red, pending windows hollow), the diagnosis of the
/// latest violation, and per-feature drift over time. No script, font or image is fetched
/// from anywhere: open it from a file, mail it, attach it to a ticket.
///
/// Reads only (it works beside a running `seam serve`).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// Where to write the page.
    #[arg(long, short)]
    out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_read_only(&args.db)?;
    let name = args.db.file_name().map_or_else(|| args.db.display().to_string(), |n| n.to_string_lossy().into_owned());
    let html = crate::report::page(&db.snapshot(), &name)?;
    std::fs::write(&args.out, html).map_err(|e| anyhow::anyhow!("writing {}: {e}", args.out.display()))?;
    outln!("wrote {}", args.out.display())?;
    Ok(())
}
