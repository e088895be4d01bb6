//! SeamDB: an embedded time-series database for ML traces.
//!
//! This crate is the embedded entry point: it re-exports the storage engine (`storage`) and
//! the query layer (`query`), and adds text ingest (CSV and JSON Lines).
//!
//! See the README (whose example is compiled as a doctest below) and `docs/ARCHITECTURE.md`.

mod error;
pub mod ingest;
#[cfg(feature = "workload")]
pub mod workload;

pub use error::{Error, Place, Result};
pub use seamdb_query as query;
pub use seamdb_storage as storage;
pub use seamdb_storage::{Batch, BatchBuilder, Db, Durability, FieldType, Options, Schema, Snapshot, TraceId, Value};

/// The README's example, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
