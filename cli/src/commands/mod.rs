//! One module per subcommand: its arguments and its `run`.

pub mod check;
pub mod compact;
pub mod demo;
pub mod drop;
pub mod ingest;
pub mod query;
pub mod recover;
pub mod remote;
pub mod retain;
pub mod serve;
pub mod stats;
pub mod trace;

use std::path::Path;

/// Opens an existing database; unlike the library, the CLI refuses to create one by accident
/// (except where a command writes). `has_remote`: the command has `--remote`.
pub fn open_existing(dir: &Path, has_remote: bool) -> anyhow::Result<seamdb::Db> {
    if !dir.is_dir() {
        anyhow::bail!("{} is not a SeamDB database (no such directory)", dir.display());
    }
    open(dir, has_remote)
}

/// Opens (or creates) a database. Until other processes can read a database that one has
/// open, the likeliest holder of its lock is a `seam serve`: the error says so, and names
/// `--remote` where the command has it (`has_remote`).
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
