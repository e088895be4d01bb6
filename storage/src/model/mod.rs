//! The data model of SPEC §2: trace IDs, field types, values, batches and schemas.

mod batch;
pub mod batch_codec;
pub(crate) mod column_builder;
mod schema;
mod shard;
mod trace_id;
mod types;
mod validity;

pub use batch::{Batch, BatchBuilder, Column, ColumnData, RowTypeConflict};
pub use column_builder::ColumnBuilder;
pub use schema::Schema;
pub use shard::shard_of;
pub use trace_id::{BadTraceId, TraceId};
pub use types::{valid_component_name, valid_field_name, FieldType, Value};
pub use validity::{is_valid, Validity};

/// The wall clock, in microseconds since the Unix epoch (the unit of event times). A clock
/// set before 1970 reads as the epoch.
pub fn now_us() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_micros() as i64)
}
