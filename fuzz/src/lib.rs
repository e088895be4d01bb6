//! What the storage fuzz targets share: a fresh scratch directory per input (in memory, under
//! /dev/shm when there is one) and readers that touch every value of what decoded.

use seamdb_storage::segment::Segment;
use seamdb_storage::{Db, Snapshot};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

fn root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let base = if shm.is_dir() { shm } else { std::env::temp_dir() };
    base.join(format!("seamdb-fuzz-{}", std::process::id()))
}

/// An empty directory for this input; the previous input's is removed.
pub fn scratch() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let _ = std::fs::remove_dir_all(root().join((n.wrapping_sub(1)).to_string()));
    let dir = root().join(n.to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `f` on one database shared by many inputs, started afresh every 2,000 so it stays
/// small.
pub fn with_shared_db<R>(f: impl FnOnce(&Db) -> R) -> R {
    static DB: OnceLock<Mutex<(u64, Db)>> = OnceLock::new();
    let lock = DB.get_or_init(|| Mutex::new((0, Db::open(scratch()).unwrap())));
    let mut guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.0 += 1;
    if guard.0 % 2_000 == 0 {
        guard.1 = Db::open(scratch()).unwrap();
    }
    f(&guard.1)
}

/// Reads every value of every part of every component.
pub fn touch(snapshot: &Snapshot) {
    for component in snapshot.components() {
        // A database opens segments deferred: nothing may read one before it verifies.
        if component.segments().iter().any(|s| s.verify_all().is_err()) {
            continue;
        }
        for part in component.parts() {
            let _ = (part.trace_ids().len(), part.times().len(), part.time_range());
            for (name, _) in component.schema().fields().iter() {
                if let Some(field) = part.field(name) {
                    for r in 0..part.rows() {
                        let _ = field.value(r);
                    }
                }
            }
        }
    }
}

/// Reads every section of a segment through its accessors.
pub fn touch_segment(segment: &Segment) {
    let _ = (segment.trace_ids().len(), segment.times().len(), segment.trace_order().len(), segment.time_range());
    let names: Vec<String> = segment.fields().map(|(n, _)| n.to_string()).collect();
    for name in &names {
        if let Some(field) = segment.field(name) {
            for r in 0..segment.rows() {
                let _ = field.value(r);
            }
            if let seamdb_storage::Values::Tag { dict, .. } = field.values {
                for value in dict.iter().take(8) {
                    let _ = segment.tag_rows(name, value);
                }
            }
        }
        let _ = segment.zones(name);
    }
    if let Some(&id) = segment.trace_ids().first() {
        let _ = segment.trace_rows(id);
    }
}
