//! SeamDB: an embedded time-series database for ML traces.
//!
//! This crate is the embedded entry point: it re-exports the storage engine and adds text
//! ingest (CSV and JSON Lines).
//!
//! ```
//! use seamdb::{BatchBuilder, Db, TraceId, Value};
//!
//! let dir = tempfile::tempdir()?;
//! let db = Db::open(dir.path())?;
//! let mut batch = BatchBuilder::new();
//! batch.push(TraceId::parse("42")?.0, 1_767_571_200_000_000, &[("score", Value::Float(0.93))]).unwrap();
//! db.append("inference", batch.finish()?)?; // durable when this returns
//!
//! let snapshot = db.snapshot();
//! let inference = snapshot.component("inference").unwrap();
//! assert_eq!(inference.rows(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod ingest;
#[cfg(feature = "workload")]
pub mod workload;

pub use error::{Error, Place, Result};
pub use seamdb_storage as storage;
pub use seamdb_storage::{Batch, BatchBuilder, Db, Durability, FieldType, Options, Schema, Snapshot, TraceId, Value};
