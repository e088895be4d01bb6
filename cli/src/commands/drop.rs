//! `seam drop`: remove one component whole.

use std::path::PathBuf;

/// Remove a component whole — its events, schema and ingest history — durably.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory.
    db: PathBuf,
    /// Component to remove.
    #[arg(long, short)]
    component: String,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let db = super::open_existing(&args.db, false)?;
    seamdb::ingest::require_component(&db.snapshot(), &args.component)?;
    let rows = db.drop_component(&args.component)?;
    outln!("dropped component {} ({rows} rows)", args.component)?;
    Ok(())
}
