//! `seamdb.shard_of`: the shard of a trace, by the engine's own function
//! (`seamdb::storage::model::shard_of`, docs/DISTRIBUTED.md §Sharding).

use pyo3::prelude::*;
use seamdb::ingest::{parse_trace_id, TraceIdMode};

/// The shard, from 0 to `shards - 1`, that the trace `trace_id` belongs to when a database is
/// split `shards` ways by trace ID: every event of a trace goes to that one shard, so joins on
/// `trace_id` stay inside it. `trace_id`: an int, or text (decimal, UUID or 32 hex digits).
///
///     seamdb.shard_of(42, 4)          # the same number in Rust, Python and every release
#[pyfunction]
pub fn shard_of(trace_id: &Bound<'_, PyAny>, shards: u32) -> PyResult<u32> {
    if shards == 0 {
        return Err(crate::error::input("shards must be at least 1"));
    }
    let id = match trace_id.extract::<u128>() {
        Ok(id) => id,
        Err(_) => {
            let text = trace_id.str()?.to_string();
            parse_trace_id(&text, TraceIdMode::Strict).map_err(|e| crate::error::input(format!("trace_id: {e}")))?
        }
    };
    Ok(seamdb::storage::model::shard_of(id, shards))
}
