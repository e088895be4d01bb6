//! `seamdb.Database`: one open database in this process. Appends and queries run with the
//! GIL released, so Python threads use both cores.

use crate::error;
use crate::result::QueryResult;
use arrow_pyarrow::FromPyArrow;
use pyo3::prelude::*;
use seamdb::query::ast::Statement;
use seamdb::Db;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// An open SeamDB database (from `seamdb.open`). Also a context manager that closes it.
///
///     with seamdb.open("traces.db") as db:
///         db.append("inference", {"trace_id": [1, 2], "time": [0, 1], "score": [0.9, 0.2]})
///         db.query("SELECT count() AS n, mean(score) AS s FROM inference").fetchall()
#[pyclass(frozen, module = "seamdb")]
#[derive(Debug)]
pub struct Database {
    path: PathBuf,
    /// `None` once closed. Each call clones the handle out, so a close waits for no call
    /// in flight: the database closes when the last of them ends.
    db: Mutex<Option<Arc<Db>>>,
}

impl Database {
    fn db(&self) -> PyResult<Arc<Db>> {
        let guard = self.db.lock().unwrap_or_else(|e| e.into_inner());
        guard.clone().ok_or_else(|| error::StorageError::new_err(format!("{} is closed", self.path.display())))
    }
}

/// Opens (creating if missing) the database at `path`. With `read_only=True` it reads a
/// database another process may be writing: a snapshot of what was there when it opened.
///
///     db = seamdb.open("traces.db")
#[pyfunction]
#[pyo3(signature = (path, read_only = false))]
pub fn open(py: Python<'_>, path: PathBuf, read_only: bool) -> PyResult<Database> {
    let db = py.detach(|| if read_only { Db::open_read_only(&path) } else { Db::open(&path) }).map_err(error::storage)?;
    Ok(Database { path, db: Mutex::new(Some(Arc::new(db))) })
}

#[pymethods]
impl Database {
    /// Appends events to `component` (created on first write) and returns how many; they
    /// are durable when it returns. `data`: a dict of numpy arrays or lists, a pyarrow Table
    /// or RecordBatch, a pandas or polars DataFrame. Columns `trace_id` (integers or text) and
    /// `time` (datetimes, integer microseconds or RFC 3339 text) are required; the others
    /// are fields (float, int, bool; text is a tag). None/NA is null; NaN is a float value.
    ///
    ///     db.append("feedback", {"trace_id": [1], "time": ["2026-01-05T01:00:00Z"], "label": [1]})
    fn append(&self, py: Python<'_>, component: &str, data: &Bound<'_, PyAny>) -> PyResult<usize> {
        let arrow = py.import("seamdb._convert")?.call_method1("to_arrow", (data,))?;
        let (batches, schema) = arrow_pyarrow::Table::from_pyarrow_bound(&arrow)?.into_inner();
        let db = self.db()?;
        let component = component.to_owned();
        py.detach(move || {
            let batch = crate::append::to_batch(&schema, &batches).map_err(error::input)?;
            let rows = batch.rows();
            db.append(&component, batch).map_err(error::storage)?;
            Ok(rows)
        })
    }

    /// Runs one SeamQL statement.
    ///
    ///     db.query("SELECT count() AS n FROM inference GROUP BY window(1h)").df()
    fn query(&self, py: Python<'_>, seamql: &str) -> PyResult<QueryResult> {
        let db = self.db()?;
        let (statement, table) = py.detach(|| {
            let statement = seamdb::query::parse(seamql).map_err(error::query)?;
            let table = seamdb::query::run(&statement, &db).map_err(error::query)?;
            Ok::<_, PyErr>((statement, table))
        })?;
        Ok(QueryResult::new(table, Some(&statement)))
    }

    /// Every event of one trace in every component, ordered by time. `trace_id`: an int, or
    /// text (decimal, UUID or 32 hex digits).
    ///
    ///     db.trace(42).fetchall()
    fn trace(&self, py: Python<'_>, trace_id: &Bound<'_, PyAny>) -> PyResult<QueryResult> {
        let id = trace_id.str()?.to_string();
        let db = self.db()?;
        let table = py.detach(|| seamdb::query::execute(&Statement::Trace(id), &db.snapshot()).map_err(error::query))?;
        Ok(QueryResult::new(table, None))
    }

    /// Seals everything appended so far into segments (appends are durable without it).
    ///
    ///     db.flush()   # e.g. before copying the directory elsewhere
    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        let db = self.db()?;
        py.detach(|| db.flush()).map_err(error::storage)
    }

    /// Closes the database; later calls raise. Closing twice is harmless.
    ///
    ///     db.close()   # or leave a `with seamdb.open(...) as db:` block
    fn close(&self, py: Python<'_>) {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner()).take();
        py.detach(move || drop(db));
    }

    /// The directory this database lives in.
    ///
    ///     seamdb.open("traces.db").path   # PosixPath('traces.db')
    #[getter]
    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        let closed = self.db.lock().map(|g| g.is_none()).unwrap_or(true);
        format!("<seamdb.Database {:?}{}>", self.path.display().to_string(), if closed { " (closed)" } else { "" })
    }
}
