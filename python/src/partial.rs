//! Partial states for `seamdb.spark.query` (docs/DISTRIBUTED.md §SeamQL over shards): the
//! engine's entry point (`seamdb::query::partial`) for Python. A shard runs a step to bytes,
//! Spark merges bytes, the driver finishes them into a `seamdb.Result`.

use crate::error;
use crate::result::QueryResult;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use seamdb::query::ast::{Select, Statement};
use seamdb::query::partial::{self, Step};
use seamdb::Db;

/// The SELECT of `seamql`, `now()` being `now` (µs since the epoch: one instant for every
/// shard of a query). Only a SELECT runs over shards.
fn select(seamql: &str, now: i64) -> PyResult<Select> {
    match seamdb::query::parse_at(seamql, now).map_err(error::query)? {
        Statement::Select(s) => Ok(*s),
        _ => Err(error::query(seamdb::query::Error::Unsupported("only a SELECT runs over shards".into()))),
    }
}

/// Runs one step ("schemas", "references" or "groups") of `seamql` on this shard.
pub fn run<'py>(py: Python<'py>, db: &Db, seamql: &str, now: i64, step: &str, context: Option<&[u8]>) -> PyResult<Bound<'py, PyBytes>> {
    let step = match step {
        "schemas" => Step::Schemas,
        "references" => Step::References,
        "groups" => Step::Groups,
        other => return Err(error::input(format!("no step {other:?}: schemas, references or groups"))),
    };
    let s = select(seamql, now)?;
    let bytes = py.detach(|| partial::run(&s, &db.snapshot(), step, context)).map_err(error::query)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Merges partial states of one query (any shards', any steps').
///
///     seamdb._seamdb._partial_merge(seamql, now, [a, b, c])
#[pyfunction]
pub fn _partial_merge<'py>(py: Python<'py>, seamql: &str, now: i64, parts: Vec<Vec<u8>>) -> PyResult<Bound<'py, PyBytes>> {
    let s = select(seamql, now)?;
    let bytes = py.detach(|| partial::merge(&s, &parts.iter().map(Vec::as_slice).collect::<Vec<_>>())).map_err(error::query)?;
    Ok(PyBytes::new(py, &bytes))
}

/// Whether `seamql` needs the "references" step (it has drift metrics over a REFERENCE).
///
///     seamdb._seamdb._needs_references("SELECT psi(score) FROM inference REFERENCE inference", 0)  # True
#[pyfunction]
pub fn _needs_references(seamql: &str, now: i64) -> PyResult<bool> {
    Ok(partial::needs_references(&select(seamql, now)?))
}

/// Checks `seamql` against every shard's merged schemas (`context`): the error one database
/// would give, before any shard works on it.
///
///     seamdb._seamdb._partial_check(seamql, now, context)
#[pyfunction]
pub fn _partial_check(py: Python<'_>, seamql: &str, now: i64, context: &[u8]) -> PyResult<()> {
    let s = select(seamql, now)?;
    py.detach(|| partial::check(&s, context)).map_err(error::query)
}

/// The answer from the merged context and groups: what one database holding every shard's
/// data answers.
///
///     seamdb._seamdb._partial_finish(seamql, now, context, groups).df()
#[pyfunction]
pub fn _partial_finish(py: Python<'_>, seamql: &str, now: i64, context: &[u8], groups: &[u8]) -> PyResult<QueryResult> {
    let s = select(seamql, now)?;
    let table = py.detach(|| partial::finish(&s, context, groups)).map_err(error::query)?;
    Ok(QueryResult::new(table, Some(&Statement::Select(Box::new(s)))))
}
