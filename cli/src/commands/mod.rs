//! One module per subcommand: its arguments and its `run`.

pub mod check;
pub mod compact;
pub mod demo;
pub mod ingest;
pub mod query;
pub mod recover;
pub mod serve;
pub mod stats;
pub mod trace;

use std::path::Path;

/// Opens an existing database; unlike the library, the CLI refuses to create one by accident
/// (except where a command writes).
pub fn open_existing(dir: &Path) -> anyhow::Result<seamdb::Db> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a SeamDB database (no such directory)", dir.display());
    }
    Ok(seamdb::Db::open(dir)?)
}
