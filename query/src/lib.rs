//! SeamQL, SeamDB's query language (SPEC §4). So far: the parser and syntax tree, the metric
//! functions, result tables with their output formats, and the catalog statements (`SHOW
//! COMPONENTS`, `DESCRIBE`, `TRACE`); `SELECT` planning and execution over storage snapshots
//! come next (issue 3).

#![forbid(unsafe_code)]

pub mod ast;
mod catalog;
mod error;
mod exec;
mod lexer;
pub mod metrics;
mod output;
mod parser;

pub use error::{Error, Result};
pub use output::{format_time, Cell, Table};
pub use parser::parse;

use ast::Statement;
use seamdb_storage::Snapshot;

/// Parses and runs one statement against a snapshot.
pub fn query(text: &str, snapshot: &Snapshot) -> Result<Table> {
    execute(&parse(text)?, snapshot)
}

/// Runs a parsed statement against a snapshot.
pub fn execute(statement: &Statement, snapshot: &Snapshot) -> Result<Table> {
    match statement {
        Statement::ShowComponents => Ok(catalog::show_components(snapshot)),
        Statement::Describe(component) => catalog::describe(snapshot, component),
        Statement::Trace(id) => catalog::trace(snapshot, id),
        Statement::Select(select) => exec::select(select, snapshot),
        Statement::Explain(select) => exec::explain(select, snapshot),
    }
}
