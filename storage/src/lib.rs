//! SeamDB's storage engine: a durable, columnar, append-only store of ML trace events.
//!
//! Events of each *component* (features, inference, feedback, ...) are appended in batches
//! through a write-ahead log ([`wal`]), held in memory as the component's unsealed tail, and
//! sealed into immutable, checksummed, memory-mapped segment files ([`segment`]). A manifest
//! names the live segments and is replaced atomically. Readers take a [`Snapshot`] and scan
//! each component as a list of [`Part`]s through borrowed column slices.
//!
//! See `docs/ARCHITECTURE.md` for the design and `docs/FORMAT.md` for every byte on disk.

// Segments are read zero-copy: mapped bytes are cast straight to `&[u64]`, `&[f64]`, … and
// every integer on disk is little-endian (docs/FORMAT.md), so a big-endian build would read
// every number wrong. Refuse to build rather than do that.
#[cfg(not(target_endian = "little"))]
compile_error!("SeamDB's on-disk format is little-endian and read zero-copy: it builds only for little-endian targets");

mod check;
pub mod codec;
mod db;
mod error;
mod fs;
pub mod join;
mod manifest;
pub mod model;
mod options;
mod recover;
mod scan;
pub mod segment;
mod snapshot;
mod tail;
pub mod wal;

pub use check::{check, CheckReport};
pub use db::{BulkLoad, CompactReport, Db, RecoveryReport};
pub use error::{Error, Result};
pub use model::{Batch, BatchBuilder, Column, ColumnData, FieldType, Schema, TraceId, Validity, Value};
pub use options::{Durability, Options};
pub use recover::{recover, Damage, LostRecord, RecoverReport, DAMAGED_DIR};
pub use scan::{Codes, Dict, FieldView, Part, Values};
pub use snapshot::{ComponentView, Event, Slo, Snapshot, StoredJoin};

/// Fault injection into the file-system seam, for tests (feature `failpoints`).
#[cfg(feature = "failpoints")]
pub use fs::failpoints;
