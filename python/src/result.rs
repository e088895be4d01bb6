//! A query's answer for Python: the engine's `Table` turned into one Arrow record batch
//! (typed columns; times as UTC timestamps, the windows of a zoned `window(…, 'Zone')` as
//! timestamps in that zone; text as dictionaries, except trace IDs), handed to pyarrow
//! through the C data interface, and from there to pandas or polars.

use arrow_array::builder::StringDictionaryBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, NullArray, RecordBatch, RecordBatchOptions, StringArray, TimestampMicrosecondArray,
};
use arrow_pyarrow::IntoPyArrow;
use arrow_schema::{Field, Schema};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple};
use seamdb::ingest::parse_time;
use seamdb::query::ast::{GroupKey, Statement};
use seamdb::query::{Cell, Table};
use std::sync::{Arc, OnceLock};

/// The answer to a query (or a trace): `columns`, and the rows as Arrow (`arrow()`), pandas
/// (`df()`), polars (`pl()`) or Python tuples (`fetchall()`).
///
///     r = db.query("SELECT count() AS n FROM inference GROUP BY window(1h)")
///     r.columns        # ['window', 'n']
///     r.df()           # window as datetime64[us, UTC]
#[pyclass(frozen, module = "seamdb", name = "Result")]
#[derive(Debug)]
pub struct QueryResult {
    table: Table,
    /// The zone of the statement's `window(…, 'Zone')`, whose `window` column the engine
    /// gives as text with the offset of the day.
    zone: Option<String>,
    arrow: OnceLock<RecordBatch>,
}

impl QueryResult {
    pub fn new(table: Table, statement: Option<&Statement>) -> QueryResult {
        let zone = match statement {
            Some(Statement::Select(select)) => select.group_by.iter().find_map(|key| match key {
                GroupKey::Window { zone, .. } => zone.clone(),
                _ => None,
            }),
            _ => None,
        };
        QueryResult { table, zone, arrow: OnceLock::new() }
    }

    /// The zone of column `i`, if it holds zoned windows.
    fn zoned(&self, i: usize) -> Option<&str> {
        self.zone.as_deref().filter(|_| self.table.columns[i] == "window")
    }

    fn batch(&self, py: Python<'_>) -> PyResult<&RecordBatch> {
        if let Some(b) = self.arrow.get() {
            return Ok(b);
        }
        let batch = py.detach(|| to_arrow(&self.table, |i| self.zoned(i))).map_err(|e| crate::error::input(e.to_string()))?;
        Ok(self.arrow.get_or_init(|| batch))
    }
}

#[pymethods]
impl QueryResult {
    /// Column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.table.columns.clone()
    }

    /// The answer as a `pyarrow.Table`.
    fn arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let batch = self.batch(py)?.clone();
        let table = arrow_pyarrow::Table::try_new(vec![batch.clone()], batch.schema()).map_err(|e| crate::error::input(e.to_string()))?;
        table.into_pyarrow(py)
    }

    /// The answer as a pandas DataFrame (windows and times tz-aware UTC, tags categorical).
    fn df<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.arrow(py)?.call_method0("to_pandas")
    }

    /// The answer as a polars DataFrame.
    fn pl<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.arrow(py)?;
        py.import("polars")?.call_method1("from_arrow", (table,))
    }

    /// Every row as a tuple of Python values (times as UTC `datetime`s, zoned windows in
    /// their zone, null as `None`).
    fn fetchall<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // The zone's tzinfo, made once for every row.
        let zone = match &self.zone {
            Some(zone) => Some(py.import("zoneinfo")?.getattr("ZoneInfo")?.call1((zone,))?),
            None => None,
        };
        let rows = self.table.rows.iter().map(|row| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(i, c)| match (self.zoned(i).and(zone.as_ref()), c) {
                    (Some(zone), Cell::Text(text)) => zoned_time(py, text, zone),
                    _ => cell(py, c),
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyTuple::new(py, cells)
        });
        PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
    }

    /// The result of a `seam serve` reply: the payload of its TABLE frame (docs/PROTOCOL.md),
    /// as `seamdb.connect`'s queries and traces receive it.
    /// `seamql` is the statement it answers, if any (for the zone of its windows).
    #[staticmethod]
    #[pyo3(signature = (payload, seamql = None))]
    fn _from_table_frame(py: Python<'_>, payload: &[u8], seamql: Option<&str>) -> PyResult<QueryResult> {
        let frame = seamdb_server::frame::Frame::new(seamdb_server::protocol::kind::TABLE, payload);
        let statement = seamql.and_then(|q| seamdb::query::parse(q).ok());
        match py.detach(|| seamdb_server::protocol::Reply::from_frame(&frame)) {
            Ok(seamdb_server::protocol::Reply::Table(table)) => Ok(QueryResult::new(table, statement.as_ref())),
            Ok(other) => Err(crate::error::Error::new_err(format!("a TABLE frame decoded as {other:?}"))),
            Err(e) => Err(crate::error::Error::new_err(format!("the server's TABLE reply: {e}"))),
        }
    }

    fn __len__(&self) -> usize {
        self.table.rows.len()
    }

    /// The aligned text table `seam query` prints.
    fn __repr__(&self) -> String {
        self.table.to_text()
    }
}

/// One cell as a Python value.
fn cell<'py>(py: Python<'py>, c: &Cell) -> PyResult<Bound<'py, PyAny>> {
    Ok(match c {
        Cell::Null => py.None().into_bound(py),
        Cell::Int(i) => i.into_pyobject(py)?.into_any(),
        Cell::Float(x) => x.into_pyobject(py)?.into_any(),
        Cell::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Cell::Text(s) => s.into_pyobject(py)?.into_any(),
        Cell::Time(us) => time(py, *us)?,
    })
}

/// Microseconds since the epoch as a tz-aware UTC `datetime` (exact: epoch + timedelta).
fn time<'py>(py: Python<'py>, us: i64) -> PyResult<Bound<'py, PyAny>> {
    static PARTS: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();
    let (epoch, delta) = PARTS.get_or_try_init(py, || -> PyResult<_> {
        let dt = py.import("datetime")?;
        let utc = dt.getattr("timezone")?.getattr("utc")?;
        let epoch = dt.getattr("datetime")?.call1((1970, 1, 1, 0, 0, 0, 0, utc))?;
        Ok((epoch.unbind(), dt.getattr("timedelta")?.unbind()))
    })?;
    let delta = delta.bind(py).call1((0, 0, us))?;
    epoch.bind(py).add(delta)
}

/// A zoned window's text (RFC 3339 with the day's offset) as a `datetime` in `zone` (a tzinfo).
fn zoned_time<'py>(py: Python<'py>, text: &str, zone: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let us = parse_time(text, None).map_err(|e| crate::error::input(e.to_string()))?;
    time(py, us)?.call_method1("astimezone", (zone,))
}

/// The table as one record batch, each column typed by its cells; the columns `zoned` names
/// a zone for (zoned windows, as text) as timestamps in that zone.
fn to_arrow<'a>(table: &Table, zoned: impl Fn(usize) -> Option<&'a str>) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let cells = table.rows.iter().map(|r| r.get(i).unwrap_or(&Cell::Null));
            let array = match zoned(i).and_then(|zone| zoned_column(cells.clone(), zone)) {
                Some(array) => array,
                None => column(name, cells),
            };
            (Field::new(name, array.data_type().clone(), true), array)
        })
        .unzip();
    let options = RecordBatchOptions::new().with_row_count(Some(table.rows.len()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
}

/// Zoned windows (text with the day's offset) as microsecond timestamps in `zone`; `None` if
/// a cell is not such a time.
fn zoned_column<'a>(cells: impl Iterator<Item = &'a Cell>, zone: &str) -> Option<ArrayRef> {
    let times = cells
        .map(|c| match c {
            Cell::Null => Some(None),
            Cell::Text(text) => parse_time(text, None).ok().map(Some),
            _ => None,
        })
        .collect::<Option<TimestampMicrosecondArray>>()?;
    Some(Arc::new(times.with_timezone(zone)))
}

/// One column, typed by its cells: int, float (ints widened), bool, time, or text (tags and
/// names as dictionaries, trace IDs plain); cells of several other kinds (DESCRIBE's `min`)
/// as their text; a column of nulls only has Arrow's null type.
fn column<'a>(name: &str, cells: impl Iterator<Item = &'a Cell> + Clone) -> ArrayRef {
    let n = cells.clone().count();
    let kinds = cells.clone().fold(0u8, |k, c| k | kind(c));
    match kinds {
        0 => Arc::new(NullArray::new(n)),
        INT => Arc::new(cells.map(|c| if let Cell::Int(i) = c { Some(*i) } else { None }).collect::<Int64Array>()),
        FLOAT | FLOAT_INT => Arc::new(
            cells
                .map(|c| match c {
                    Cell::Float(x) => Some(*x),
                    Cell::Int(i) => Some(*i as f64),
                    _ => None,
                })
                .collect::<Float64Array>(),
        ),
        BOOL => Arc::new(cells.map(|c| if let Cell::Bool(b) = c { Some(*b) } else { None }).collect::<BooleanArray>()),
        TIME => Arc::new(
            cells.map(|c| if let Cell::Time(t) = c { Some(*t) } else { None }).collect::<TimestampMicrosecondArray>().with_timezone("UTC"),
        ),
        TEXT if name != "trace_id" && !name.ends_with(".trace_id") => {
            let mut b = StringDictionaryBuilder::<Int32Type>::new();
            cells.for_each(|c| b.append_option(if let Cell::Text(s) = c { Some(s.as_str()) } else { None }));
            Arc::new(b.finish())
        }
        _ => Arc::new(cells.map(|c| (*c != Cell::Null).then(|| c.text())).collect::<StringArray>()),
    }
}

const INT: u8 = 1;
const FLOAT: u8 = 2;
const FLOAT_INT: u8 = INT | FLOAT;
const BOOL: u8 = 4;
const TIME: u8 = 8;
const TEXT: u8 = 16;

fn kind(c: &Cell) -> u8 {
    match c {
        Cell::Null => 0,
        Cell::Int(_) => INT,
        Cell::Float(_) => FLOAT,
        Cell::Bool(_) => BOOL,
        Cell::Time(_) => TIME,
        Cell::Text(_) => TEXT,
    }
}
