//! The storage engine's one error type.

use crate::model::FieldType;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the storage engine, grouped by what the caller can do.
///
/// Each message is whole: the I/O error inside `Io` is printed in it and is not also its
/// `source()`, so a printer of error chains (the CLI's `{:#}`) says the cause once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused an operation; `context` says which.
    #[error("{context}: {io}")]
    Io { context: String, io: std::io::Error },

    /// Bytes on disk are not what was written. The file is never served.
    #[error("{}: damaged at byte offset {offset}: {what}", path.display())]
    Corrupt { path: PathBuf, offset: u64, what: String },

    /// A write whose value types do not fit the component's schema. Nothing of it was stored.
    #[error("component {component:?}: field {field:?} is {expected} but row {row} gives {found}")]
    SchemaConflict { component: String, field: String, expected: FieldType, found: FieldType, row: usize },

    /// A bulk load whose content (by the hash given to [`crate::BulkLoad::set_content_hash`])
    /// the component already holds. Nothing of it was stored.
    #[error("component {component:?} already holds this content (the same bytes were ingested before)")]
    AlreadyIngested { component: String },

    /// The caller's input is malformed (bad name, ragged batch, unknown component).
    #[error("{0}")]
    Invalid(String),

    /// An earlier write-path I/O failure (for example a failed fsync) left the log in an unknown
    /// state; the database refuses further writes until it is reopened.
    #[error("the database stopped accepting writes after an earlier I/O failure: {0}")]
    Poisoned(String),

    /// Another process has the database open.
    #[error("{} is locked by another process", path.display())]
    Locked { path: PathBuf },

    /// A change asked of a database opened with [`crate::Db::open_read_only`]: only the
    /// process that opened it for writing (say, the `seam serve` holding it) may change it.
    #[error("{} is open read-only: appends, loads, flushes, compaction, retention, stored joins and drops go to the process that has it open for writing", path.display())]
    ReadOnly { path: PathBuf },

    /// A read-only open met files that a writer changed while they were read (a seal,
    /// compaction or retention committed, a log file retired), on every attempt; opening
    /// again usually succeeds. Also, internally, the reason one attempt starts over.
    #[error("{}: changed while being read ({what}); try again", path.display())]
    Changing { path: PathBuf, what: String },

    /// The files were written by a format version this build does not read.
    #[error("{}: format version {found} is not supported (this build reads {supported})", path.display())]
    UnsupportedVersion { path: PathBuf, found: u32, supported: u32 },
}

impl Error {
    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    pub(crate) fn changing(path: impl Into<PathBuf>, what: impl Into<String>) -> Error {
        Error::Changing { path: path.into(), what: what.into() }
    }

    pub(crate) fn corrupt(path: impl Into<PathBuf>, offset: u64, what: impl Into<String>) -> Error {
        Error::Corrupt { path: path.into(), offset, what: what.into() }
    }
}

/// Adds the operation and path to an `io::Error`.
pub(crate) trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|io| Error::Io { context: what(), io })
    }
}
