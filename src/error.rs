//! The embedded facade's error type: storage errors, plus bad input pinned to a place.

/// Where in a text input something went wrong. Lines and columns count from 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub line: u64,
    /// The CSV column (1-based) or, for JSON Lines, `None`.
    pub column: Option<usize>,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.column {
            Some(c) => write!(f, "line {}, column {c}", self.line),
            None => write!(f, "line {}", self.line),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value, row or header that cannot be stored; nothing of the input was stored.
    #[error("{place}: {message}")]
    Input { place: Place, message: String },

    #[error(transparent)]
    Storage(#[from] seamdb_storage::Error),

    #[error("reading input: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn input(line: u64, column: Option<usize>, message: impl Into<String>) -> Error {
        Error::Input { place: Place { line, column }, message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
