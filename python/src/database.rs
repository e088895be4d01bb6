//! `seamdb.Database`: one open database in this process. Appends and queries run with the
//! GIL released, so Python threads use both cores.

use crate::error;
use crate::result::QueryResult;
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
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

/// A component's sealed segments as (ID, rows), and the pyarrow schema of its rows.
type Layout<'py> = (Vec<(u64, usize)>, Bound<'py, PyAny>);

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

    /// One step of `seamql` over this shard, as partial states (`seamdb.spark.query`):
    /// "schemas", "references" or "groups"; `context` is the merge of the earlier steps';
    /// `now` is what `now()` means (µs since the epoch), the same for every shard.
    ///
    ///     db._partial("SELECT count() AS n FROM inference", 0, "schemas")
    #[pyo3(signature = (seamql, now, step, context = None))]
    fn _partial<'py>(&self, py: Python<'py>, seamql: &str, now: i64, step: &str, context: Option<&[u8]>) -> PyResult<Bound<'py, PyBytes>> {
        crate::partial::run(py, &*self.db()?, seamql, now, step, context)
    }

    /// The sealed segments of `component` as (ID, rows), oldest first, and the Arrow schema
    /// of its rows (the Spark data source's plan).
    ///
    ///     segments, schema = db._layout("inference")
    fn _layout<'py>(&self, py: Python<'py>, component: &str) -> PyResult<Layout<'py>> {
        let snapshot = self.db()?.snapshot();
        let view = snapshot
            .component(component)
            .ok_or_else(|| error::query(seamdb::query::Error::Name(format!("there is no component {component:?}"))))?;
        let schema = crate::read::schema(&view);
        Ok((crate::read::segments(&view), schema.as_ref().to_pyarrow(py)?))
    }

    /// The rows of one sealed segment of `component` (`segment`), or of every part but the
    /// `planned` segments (`segment=None`), that meet the conditions: inclusive `time`
    /// bounds (µs), tag fields and their allowed values, trace IDs. A list of pyarrow
    /// RecordBatches.
    ///
    ///     db._read("inference", None, [], time=(0, 10**12), tags=[("country", ["US"])])
    #[pyo3(signature = (component, segment, planned, time = None, tags = Vec::new(), traces = None))]
    #[allow(clippy::too_many_arguments)]
    fn _read<'py>(
        &self,
        py: Python<'py>,
        component: &str,
        segment: Option<u64>,
        planned: Vec<u64>,
        time: Option<(i64, i64)>,
        tags: Vec<(String, Vec<String>)>,
        traces: Option<Vec<u128>>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        let snapshot = self.db()?.snapshot();
        let which = segment.map_or(crate::read::Which::Rest(&planned), crate::read::Which::Segment);
        let conditions = crate::read::Conditions { time, tags, traces };
        let batches = py.detach(|| crate::read::read(&snapshot, component, &which, &conditions))?;
        batches.into_iter().map(|b| b.to_pyarrow(py)).collect()
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
