//! SeamQL, SeamDB's query language (SPEC §4): the parser and syntax tree, the metric
//! functions, `SELECT` planning and execution over storage snapshots (a columnar executor with
//! join indexes, and a row-at-a-time reference executor), the catalog statements (`SHOW
//! COMPONENTS`, `DESCRIBE`, `TRACE`) and result tables with their output formats.

#![forbid(unsafe_code)]

pub mod ast;
mod catalog;
mod error;
mod exec;
mod lexer;
pub mod metrics;
mod output;
mod parser;
mod suggest;
mod time;

pub use error::{Error, Result};
pub use exec::{Executor, JoinStrategy, Options};
pub use output::{format_time, Cell, Table};
pub use parser::{parse, parse_time_arg};
pub use suggest::nearest;
pub use time::{parse_time, TIME_FORMS};

use ast::Statement;
use seamdb_storage::Snapshot;

/// Parses and runs one statement against a snapshot.
pub fn query(text: &str, snapshot: &Snapshot) -> Result<Table> {
    execute(&parse(text)?, snapshot)
}

/// Runs a parsed statement against a snapshot.
pub fn execute(statement: &Statement, snapshot: &Snapshot) -> Result<Table> {
    execute_with(statement, snapshot, &Options::default())
}

/// Runs a parsed statement with chosen executor and join strategy (for tests and benchmarks;
/// every choice gives the same answer).
pub fn execute_with(statement: &Statement, snapshot: &Snapshot, options: &Options) -> Result<Table> {
    match statement {
        Statement::ShowComponents => Ok(catalog::show_components(snapshot)),
        Statement::Describe(component) => catalog::describe(snapshot, component),
        Statement::Trace(id) => catalog::trace(snapshot, id),
        Statement::Select(select) => exec::select(select, snapshot, options),
        Statement::Explain(select) => exec::explain(select, snapshot),
    }
}
