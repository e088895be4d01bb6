//! The query layer's one error type.

/// Everything that can go wrong with a SeamQL query.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not SeamQL; `line` and `column` count from 1 and point at the offending token.
    #[error("line {line}, column {column}: {message}")]
    Parse { line: usize, column: usize, message: String },

    /// The query names a component or field the database does not have.
    #[error("{0}")]
    Name(String),

    /// A value in the query cannot be used (a malformed trace ID or timestamp).
    #[error("{0}")]
    Invalid(String),

    /// Valid SeamQL that this version cannot run yet.
    #[error("{0}")]
    Unsupported(String),

    /// The database could not be read (a damaged slice index, say): the storage error, with
    /// its file and offset, kept whole so that callers can tell damage from a bad query. Its
    /// message is part of this one, so it is not also the `source()` (which would print it
    /// twice in a chain).
    #[error("reading the database: {0}")]
    Storage(seamdb_storage::Error),
}

impl From<seamdb_storage::Error> for Error {
    fn from(e: seamdb_storage::Error) -> Error {
        Error::Storage(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
