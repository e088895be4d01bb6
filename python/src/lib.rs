//! `seamdb._seamdb`, the native half of the `seamdb` Python package (python/seamdb): SeamDB
//! embedded in the Python process, with Arrow in and out (SPEC §6b). The Python half adds
//! input conversion (`_convert.py`), the exception classes (`_errors.py`) and the TCP client.

mod append;
mod database;
mod error;
mod partial;
mod read;
mod result;
mod shard;
mod wire;

use pyo3::prelude::*;

#[pymodule]
fn _seamdb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(database::open, m)?)?;
    m.add_class::<database::Database>()?;
    m.add_class::<result::QueryResult>()?;
    m.add_function(wrap_pyfunction!(shard::shard_of, m)?)?;
    m.add_function(wrap_pyfunction!(shard::_shards, m)?)?;
    m.add_function(wrap_pyfunction!(wire::_append_columns_frame, m)?)?;
    m.add_function(wrap_pyfunction!(partial::_partial_merge, m)?)?;
    m.add_function(wrap_pyfunction!(partial::_needs_references, m)?)?;
    m.add_function(wrap_pyfunction!(partial::_partial_check, m)?)?;
    m.add_function(wrap_pyfunction!(partial::_partial_finish, m)?)?;
    Ok(())
}
