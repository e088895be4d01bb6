//! The TCP client's native half: an append of any input `Database.append` takes, encoded as
//! the server's APPEND_COLUMNS frame by the server crate's own encoder (docs/PROTOCOL.md).

use arrow_pyarrow::FromPyArrow;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The whole APPEND_COLUMNS frame (length, kind, payload) of `data` (an Arrow stream, as
/// `_convert.to_arrow` makes it) for `component`, and its rows.
#[pyfunction]
pub fn _append_columns_frame<'py>(py: Python<'py>, component: &str, data: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyBytes>, usize)> {
    let (batches, schema) = arrow_pyarrow::Table::from_pyarrow_bound(data)?.into_inner();
    let (bytes, rows) = py.detach(|| {
        let batch = crate::append::to_batch(&schema, &batches).map_err(crate::error::input)?;
        let mut bytes = Vec::new();
        seamdb_server::protocol::Request::append_columns(component, &batch)
            .write_to(&mut bytes)
            .map_err(|e| crate::error::input(e.to_string()))?;
        Ok::<_, PyErr>((bytes, batch.rows()))
    })?;
    Ok((PyBytes::new(py, &bytes), rows))
}
