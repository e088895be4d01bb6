//! `seamdb.shard_of`: the shard of a trace, by the engine's own function
//! (`seamdb::storage::model::shard_of`, docs/DISTRIBUTED.md §Sharding); and the shard of
//! every row of a table at once, for `seamdb.ShardedWriter`.

use arrow_array::{Array, UInt32Array};
use arrow_pyarrow::{FromPyArrow, ToPyArrow};
use pyo3::prelude::*;
use seamdb::ingest::{parse_trace_id, TraceIdMode};

/// The shard, from 0 to `shards - 1`, that the trace `trace_id` belongs to when a database is
/// split `shards` ways by trace ID: every event of a trace goes to that one shard, so joins on
/// `trace_id` stay inside it. `trace_id`: an int, or text (decimal, UUID or 32 hex digits).
///
///     seamdb.shard_of(42, 4)          # the same number in Rust, Python and every release
#[pyfunction]
pub fn shard_of(trace_id: &Bound<'_, PyAny>, shards: u32) -> PyResult<u32> {
    let shards = at_least_one(shards)?;
    let id = match trace_id.extract::<u128>() {
        Ok(id) => id,
        Err(_) => {
            let text = trace_id.str()?.to_string();
            parse_trace_id(&text, TraceIdMode::Strict).map_err(|e| crate::error::input(format!("trace_id: {e}")))?
        }
    };
    Ok(seamdb::storage::model::shard_of(id, shards))
}

/// The shard of every row of `data` (an Arrow stream, as `_convert.to_arrow` makes it) by its
/// `trace_id`, read as appends read it: a pyarrow `uint32` array.
#[pyfunction]
pub fn _shards<'py>(py: Python<'py>, data: &Bound<'py, PyAny>, shards: u32) -> PyResult<Bound<'py, PyAny>> {
    let shards = at_least_one(shards)?;
    let (batches, schema) = arrow_pyarrow::Table::from_pyarrow_bound(data)?.into_inner();
    let ids = py.detach(|| crate::append::trace_id_column(&schema, &batches)).map_err(crate::error::input)?;
    let of: UInt32Array = ids.iter().map(|&id| seamdb::storage::model::shard_of(id, shards)).collect();
    of.to_data().to_pyarrow(py)
}

/// `shards`, or the error for none (the engine's `shard_of` would panic).
fn at_least_one(shards: u32) -> PyResult<u32> {
    (shards >= 1).then_some(shards).ok_or_else(|| crate::error::input("shards must be at least 1"))
}
