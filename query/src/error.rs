//! The query layer's one error type.

/// Everything that can go wrong with a SeamQL query.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Error {
    /// The text is not SeamQL; `line` and `column` count from 1 and point at the offending token.
    #[error("line {line}, column {column}: {message}")]
    Parse { line: usize, column: usize, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
