//! The server crate's one error type: what the Rust client, the frame reader, the message
//! decoders and the server itself can fail with. [`Error::code`] is the one place where a
//! failure becomes the code of an ERROR frame (docs/PROTOCOL.md §Error codes).
//!
//! Each message is whole: a wrapped error is printed in it (or is it, for `transparent`) and
//! is never also its `source()`, so a printer of error chains (the CLI's `{:#}`) says it once.

use crate::protocol::{ErrorCode, Reply};
use seamdb::storage;
use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The connection failed: refused, reset, timed out.
    #[error("connection: {0}")]
    Io(io::Error),

    /// A frame longer than the reader's limit; nothing was allocated for it.
    #[error("frame of {length} bytes is over the limit of {limit}")]
    TooLarge { length: u64, limit: u64 },

    #[error("empty frame (a frame holds at least its kind byte)")]
    EmptyFrame,

    #[error("connection closed in the middle of a frame")]
    Truncated,

    /// The reader's `admit` refused the length (the server's budget of buffered request
    /// bytes is spent).
    #[error("the server holds too many request bytes to take a frame of {length} more; retry later")]
    NotAdmitted { length: u64 },

    /// A payload that does not fit its kind; `offset` counts from the payload's first byte.
    #[error("malformed payload at byte {offset}: {what}")]
    Malformed { offset: u64, what: String },

    /// The server's ERROR frame.
    #[error("server error {code:?}: {message}")]
    Server { code: ErrorCode, message: String },

    #[error("the server closed the connection")]
    Closed,

    #[error("unexpected reply {0:?}")]
    Unexpected(Box<Reply>),

    /// The database refused or failed: bad rows, a query that does not run, damage or I/O,
    /// kept whole (file, offset, line) as the database said it.
    #[error(transparent)]
    Db(#[from] seamdb::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}

impl From<storage::Error> for Error {
    fn from(e: storage::Error) -> Error {
        Error::Db(e.into())
    }
}

impl From<seamdb::query::Error> for Error {
    fn from(e: seamdb::query::Error) -> Error {
        Error::Db(e.into())
    }
}

impl Error {
    /// A payload the byte reader refused (its `Corrupt` names the offset in the payload).
    pub(crate) fn malformed(e: storage::Error) -> Error {
        match e {
            storage::Error::Corrupt { offset, what, .. } => Error::Malformed { offset, what },
            other => other.into(),
        }
    }

    /// The code an ERROR frame about this error carries.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Io(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => ErrorCode::Timeout,
            Error::TooLarge { .. } => ErrorCode::TooLarge,
            Error::NotAdmitted { .. } => ErrorCode::Busy,
            Error::Io(_) | Error::EmptyFrame | Error::Truncated | Error::Malformed { .. } | Error::Closed | Error::Unexpected(_) => {
                ErrorCode::Malformed
            }
            Error::Server { code, .. } => *code,
            Error::Db(e) => db_code(e),
        }
    }

    /// The ERROR frame about this error.
    pub fn reply(&self) -> Reply {
        Reply::Error { code: self.code(), message: self.to_string() }
    }
}

/// A failure of the database itself (I/O, damage, a poisoned log) is `Storage`, whichever
/// request met it; otherwise the request was at fault: `Query` for a query, `Append` for rows.
fn db_code(e: &seamdb::Error) -> ErrorCode {
    match e {
        seamdb::Error::Storage(storage::Error::AlreadyIngested { .. }) => ErrorCode::AlreadyIngested,
        seamdb::Error::UnknownComponent { .. } => ErrorCode::UnknownComponent,
        seamdb::Error::Storage(e) | seamdb::Error::Query(seamdb::query::Error::Storage(e)) if is_fault(e) => ErrorCode::Storage,
        seamdb::Error::Query(_) => ErrorCode::Query,
        seamdb::Error::Input { .. } | seamdb::Error::Storage(_) | seamdb::Error::Io(_) => ErrorCode::Append,
    }
}

/// Whether the database failed, as opposed to refusing what it was asked.
fn is_fault(e: &storage::Error) -> bool {
    match e {
        storage::Error::Io { .. }
        | storage::Error::Corrupt { .. }
        | storage::Error::Poisoned(_)
        | storage::Error::Locked { .. }
        | storage::Error::Changing { .. }
        | storage::Error::UnsupportedVersion { .. } => true,
        storage::Error::SchemaConflict { .. }
        | storage::Error::Invalid(_)
        | storage::Error::AlreadyIngested { .. }
        | storage::Error::ReadOnly { .. } => false,
    }
}
