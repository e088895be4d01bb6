//! SeamQL, SeamDB's query language (SPEC §4): the parser and syntax tree, the metric
//! functions, `SELECT` planning and execution over storage snapshots (a columnar executor with
//! stored joins, and a row-at-a-time reference executor), the catalog statements (`SHOW
//! COMPONENTS`, `DESCRIBE`, `TRACE`) and result tables with their output formats.

#![forbid(unsafe_code)]

pub mod ast;
mod catalog;
mod diagnose;
mod error;
mod exec;
mod lexer;
pub mod metrics;
mod output;
mod parser;
pub mod slo;
mod suggest;
mod time;

pub use error::{Error, Result};
pub use exec::{partial, Executor, JoinStrategy, Options};
pub use output::{format_time, Cell, Table};
pub use parser::{parse, parse_at, parse_slo, parse_time_arg};
pub use suggest::nearest;
pub use time::{parse_time, TIME_FORMS};

use ast::Statement;
use seamdb_storage::{Db, Snapshot};

/// Runs a statement against a database: first stores the join of every pair of components a
/// `SELECT` joins (once for the life of the database; storage maintains it from then on),
/// then runs it against a snapshot taken after that. A read-only database stores nothing:
/// the query reads the join files a writer stored and builds the others for itself.
pub fn run(statement: &Statement, db: &Db) -> Result<Table> {
    run_with(statement, db, &Options::default())
}

/// [`run`] with chosen executor and join strategy.
pub fn run_with(statement: &Statement, db: &Db, options: &Options) -> Result<Table> {
    match statement {
        Statement::CreateSlo(slo) => {
            slo::validate(slo)?;
            db.create_slo(&slo.name, &slo.text, false)?;
            return Ok(done(&slo.name, "created"));
        }
        Statement::DropSlo(name) => {
            if !db.drop_slo(name)? {
                return Err(Error::Name(format!("there is no SLO {name:?}")));
            }
            return Ok(done(name, "dropped"));
        }
        _ => {}
    }
    let select = match statement {
        Statement::Select(select) => Some(&**select),
        Statement::Diagnose(d) => Some(&d.query),
        _ => None,
    };
    if let (Some(select), false) = (select, db.is_read_only()) {
        let snapshot = db.snapshot();
        for joined in &select.joins {
            // A component that does not exist is left to the query's own error.
            if snapshot.component(&select.from).is_some() && snapshot.component(joined).is_some() && *joined != select.from {
                db.store_join(&select.from, joined)?;
            }
        }
    }
    execute_with(statement, &db.snapshot(), options)
}

/// What a statement that changes the database answers: the name and what happened to it.
fn done(name: &str, what: &str) -> Table {
    Table { columns: vec!["slo".into(), "result".into()], rows: vec![vec![Cell::Text(name.into()), Cell::Text(what.into())]] }
}

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
        Statement::ShowSlos => Ok(slo::show(snapshot)),
        Statement::CheckSlo { name, as_of } => slo::check(snapshot, name.as_deref(), *as_of, options),
        Statement::Diagnose(d) => diagnose::diagnose(d, snapshot, options),
        Statement::CreateSlo(_) | Statement::DropSlo(_) => {
            Err(Error::Invalid("CREATE SLO and DROP SLO change the database: run them with a database handle (query::run)".into()))
        }
    }
}
