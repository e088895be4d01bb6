//! The embedded facade's error type: storage and query errors kept whole, plus bad input
//! pinned to a place.

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

/// Everything the facade can fail with. Each message is whole: a wrapped error is printed in
/// it (or is it, for `transparent`) and never also its `source()`, so a chain says it once.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value, row or header that cannot be stored; nothing of the input was stored.
    #[error("{place}: {message}")]
    Input { place: Place, message: String },

    /// An ingest into a component that does not exist, into a database that has others,
    /// without asking to create it (SPEC §5: a typo must not start a new stream).
    #[error("component {component:?} does not exist ({})", others(existing, nearest.as_deref()))]
    UnknownComponent { component: String, existing: Vec<String>, nearest: Option<String> },

    #[error(transparent)]
    Storage(#[from] seamdb_storage::Error),

    #[error(transparent)]
    Query(#[from] seamdb_query::Error),

    /// The input could not be read.
    #[error("reading input: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Io(e)
    }
}

impl Error {
    pub(crate) fn input(line: u64, column: Option<usize>, message: impl Into<String>) -> Error {
        Error::Input { place: Place { line, column }, message: message.into() }
    }
}

/// "components: a, b; did you mean "a"?", or that there are none.
fn others(existing: &[String], nearest: Option<&str>) -> String {
    match (existing, nearest) {
        ([], _) => "the database has no components".to_string(),
        (names, None) => format!("components: {}", names.join(", ")),
        (names, Some(n)) => format!("components: {}; did you mean {n:?}?", names.join(", ")),
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
