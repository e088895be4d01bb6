//! SeamQL, SeamDB's query language (SPEC §4). So far: the parser and the syntax tree it
//! produces; planning and execution over storage snapshots come next (issue 3).

#![forbid(unsafe_code)]

pub mod ast;
mod error;
mod lexer;
pub mod metrics;
mod parser;

pub use error::{Error, Result};
pub use parser::parse;
