//! How data leaves (SPEC §2, §5): dropping a component and retention are durable manifest
//! changes; a dropped component's logged batches never come back; ingest remembers the
//! content it stored, per component, until the component is dropped.

use crate::support::{numbered_batch, numbered_present, open, rows_of, temp};
use seamdb::ingest::{ingest, IngestOptions};
use seamdb::storage::failpoints::{arm, Fault, Op, Plan};
use seamdb::storage::Error as StorageError;
use seamdb::{Db, Error, Options};

fn options() -> Options {
    Options { seal_rows: 600, background_seal: false, ..Options::default() }
}

/// `inference` with two sealed batches and two only in the log; `feedback` in the log.
fn populate(db: &Db) {
    for k in 0..4 {
        db.append("inference", numbered_batch(k)).unwrap();
        if k == 1 {
            db.flush().unwrap();
        }
    }
    db.append("feedback", numbered_batch(9)).unwrap();
}

#[test]
fn a_dropped_component_stays_dropped_across_reopen_even_with_batches_in_the_log() {
    let work = temp();
    {
        let db = open(work.path(), options());
        populate(&db);
        let rows = db.drop_component("inference").unwrap();
        assert_eq!(rows, (0..4).map(|k| numbered_batch(k).rows() as u64).sum::<u64>());
        assert!(db.snapshot().component("inference").is_none());
        assert!(db.drop_component("inference").is_err(), "a second drop names a missing component");
    }
    let db = open(work.path(), options());
    assert!(db.snapshot().component("inference").is_none(), "replay resurrected a dropped component");
    assert_eq!(numbered_present(&db.snapshot(), "feedback").len(), 1, "other components are untouched");
    assert_eq!(std::fs::read_dir(work.path().join("segments")).unwrap().count(), 0, "its segment files are gone");
    // The name can be used again; only the new batches belong to it.
    db.append("inference", numbered_batch(7)).unwrap();
    drop(db);
    let db = open(work.path(), options());
    assert_eq!(numbered_present(&db.snapshot(), "inference").into_keys().collect::<Vec<_>>(), [7]);
    assert!(seamdb::storage::check(work.path()).unwrap().is_ok());
}

#[test]
fn a_drop_that_fails_at_any_step_leaves_the_component_whole_or_gone() {
    let mut fired = 0;
    for op in Op::ALL {
        for skip in 0..4 {
            let work = temp();
            let db = open(work.path(), options());
            populate(&db);
            let before = rows_of(&db.snapshot(), "inference");
            let guard = arm(work.path(), Some(Plan { op, skip, fault: Fault::Io, sticky: false }));
            let result = db.drop_component("inference");
            fired += guard.fired();
            drop(db);
            drop(guard);
            let what = format!("{op:?} #{skip}: {:?}", result.as_ref().map_err(ToString::to_string));
            assert!(seamdb::storage::check(work.path()).unwrap().is_ok(), "{what}");
            let db = open(work.path(), options());
            let after = rows_of(&db.snapshot(), "inference");
            match result {
                Ok(_) => assert!(after.is_empty(), "{what}: dropped, then back"),
                Err(_) => assert!(after.is_empty() || after == before, "{what}: dropped in part"),
            }
            assert_eq!(numbered_present(&db.snapshot(), "feedback").len(), 1, "{what}");
        }
    }
    assert!(fired > 4, "the drop does not reach the file-system seam ({fired} faults fired)");
}

fn ingest_text(db: &Db, component: &str, text: &str, options: &IngestOptions) -> seamdb::Result<u64> {
    ingest(db, component, text.as_bytes(), options, &mut |_| {}).map(|r| r.rows)
}

#[test]
fn the_same_content_is_refused_until_again_or_a_drop_and_the_refusal_survives_reopen() {
    let work = temp();
    let text = "trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n2,2026-01-05T00:01:00Z,0.7\n";
    let strict = IngestOptions::default();
    {
        let db = open(work.path(), options());
        assert_eq!(ingest_text(&db, "inference", text, &strict).unwrap(), 2);
        // Other content, or the same content into another component, is new.
        assert_eq!(ingest_text(&db, "inference", &text.replace("0.7", "0.8"), &strict).unwrap(), 2);
        assert_eq!(ingest_text(&db, "shadow", text, &strict).unwrap(), 2);
    }
    let db = open(work.path(), options());
    let e = ingest_text(&db, "inference", text, &strict).unwrap_err();
    assert!(matches!(e, Error::Storage(StorageError::AlreadyIngested { .. })), "{e}");
    assert_eq!(db.snapshot().component("inference").unwrap().rows(), 4, "nothing of the refused input was stored");
    assert_no_orphans(&db);
    assert_eq!(ingest_text(&db, "inference", text, &IngestOptions { again: true, ..strict.clone() }).unwrap(), 2);
    assert_eq!(db.snapshot().component("inference").unwrap().rows(), 6);
    db.drop_component("inference").unwrap();
    assert_eq!(ingest_text(&db, "inference", text, &strict).unwrap(), 2, "a drop forgets what the component held");
}

/// Every segment file on disk is one the database serves: a refused load removed its own.
fn assert_no_orphans(db: &Db) {
    let live: usize = db.snapshot().components().map(|c| c.segments().len()).sum();
    assert_eq!(std::fs::read_dir(db.path().join("segments")).unwrap().count(), live, "a refused load left segment files");
}
