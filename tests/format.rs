//! Released formats, pinned: a small database written by each format version is committed
//! under `tests/data/format-v<N>/`, and every later version must read it to the same rows.
//! Version 1: WAL, segments and manifest version 1. Version 2: manifest version 2 (ingest
//! hashes, a dropped component) and WAL version 2 (sync marks). Version 3: manifest version 3
//! (a stored join pair and its join file). Version 4: WAL version 3 (batch records carry
//! their arrival time) and manifest version 4 (each component's last append time, and SLO
//! definitions), on version 3's content plus an SLO. Write a new fixture (only
//! when a format version changes) with `SEAM_WRITE_FIXTURE=N cargo test format::` and commit
//! the new directory; a fixture once committed is never rewritten.

use crate::support::{open, rows_of, temp};
use seamdb::{BatchBuilder, Options, Value};
use std::path::{Path, PathBuf};

fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/format-v{version}"))
}

/// The CSV file the version 2 fixture ingested (its content hash is in the manifest).
const TRAINING: &[u8] = b"trace_id,time,loss\n1,2026-01-04T00:00:00Z,0.5\n2,2026-01-04T00:00:01Z,0.25\n";

fn options() -> Options {
    Options { seal_rows: 1 << 20, background_seal: false, ..Options::default() }
}

/// The fixture's contents, as rows the test can rebuild without reading the fixture.
fn write(dir: &Path) {
    let db = open(dir, options());
    let mut b = BatchBuilder::new();
    for i in 0..100i64 {
        let country = if i % 7 == 0 { Value::Null } else { Value::Tag(["US", "DE", "IN"][i as usize % 3].into()) };
        let values = [
            ("score", Value::Float(i as f64 / 100.0)),
            ("label", Value::Int(i % 2)),
            ("ok", Value::Bool(i % 3 == 0)),
            ("country", country),
        ];
        b.push(i as u128 * 1_000_003, 1_767_571_200_000_000 + i * 1_000_000, &values).unwrap();
    }
    db.append("inference", b.finish().unwrap()).unwrap();
    let mut b = BatchBuilder::new();
    for i in 0..400i64 {
        b.push(u128::MAX - i as u128, 1_767_571_300_000_000 + i, &[("bucket", Value::Tag(format!("b{}", i % 300)))]).unwrap();
    }
    db.append("feedback", b.finish().unwrap()).unwrap();
    db.flush().unwrap();
    let mut b = BatchBuilder::new();
    for i in 100..110i64 {
        b.push(i as u128 * 1_000_003, 1_767_571_200_000_000 + i * 1_000_000, &[("score", Value::Float(i as f64 / 100.0))]).unwrap();
    }
    db.append("inference", b.finish().unwrap()).unwrap(); // stays in the log: the fixture pins the WAL too
}

/// Version 2 adds, on top of [`write`]: a file ingest (its content hash in the manifest) and
/// a dropped component whose batches are still in the log.
fn write_v2(dir: &Path) {
    write(dir);
    let db = open(dir, options());
    seamdb::ingest::ingest(&db, "training", TRAINING, &seamdb::ingest::IngestOptions::default(), &mut |_| {}).unwrap();
    let mut b = BatchBuilder::new();
    b.push(7, 1_767_571_200_000_000, &[("x", Value::Int(1))]).unwrap();
    db.append("gone", b.finish().unwrap()).unwrap();
    db.drop_component("gone").unwrap();
}

/// Version 3 adds, on top of [`write_v2`]: labels for some predictions (a bulk-loaded
/// segment), the stored join of inference with them, and more labels still in the log.
fn write_v3(dir: &Path) {
    write_v2(dir);
    let db = open(dir, options());
    let labels = |from: i64, to: i64| {
        let mut b = BatchBuilder::new();
        for i in (from..to).step_by(3) {
            b.push(i as u128 * 1_000_003, 1_767_571_200_000_000 + i * 1_000_000 + 3_600_000_000, &[("label", Value::Int(i % 2))]).unwrap();
        }
        b.finish().unwrap()
    };
    let mut load = db.bulk_load("labels").unwrap();
    load.append(labels(0, 60)).unwrap();
    load.commit().unwrap();
    db.store_join("inference", "labels").unwrap();
    db.append("labels", labels(40, 110)).unwrap(); // later labels, some for the same traces, in the log
}

/// Version 4 adds, on top of [`write_v3`], an SLO definition.
fn write_v4(dir: &Path) {
    write_v3(dir);
    let db = open(dir, options());
    db.create_slo("labelled", SLO, false).unwrap();
}

const SLO: &str = "SELECT count(labels.label) AS n FROM inference JOIN labels GROUP BY window(1h) EXPECT n >= 10";

/// Opens a copy of fixture `version` (opening starts a new log file, and the fixture must stay
/// as committed), checks it, and compares each component with a database `write` makes now.
fn reads_as_written(version: u32, write: fn(&Path)) -> (tempfile::TempDir, seamdb::Db) {
    if std::env::var("SEAM_WRITE_FIXTURE").ok() == Some(version.to_string()) {
        let _ = std::fs::remove_dir_all(fixture(version));
        write(&fixture(version));
        let _ = std::fs::remove_file(fixture(version).join("LOCK"));
        let _ = std::fs::remove_file(fixture(version).join("READERS"));
    }
    let dir = temp();
    copy_dir(&fixture(version), dir.path());
    assert!(seamdb::storage::check(dir.path()).unwrap().is_ok());
    let db = open(dir.path(), options());
    let expected_dir = temp();
    write(expected_dir.path());
    let expected = open(expected_dir.path(), options());
    let names: Vec<String> = expected.snapshot().component_names().map(str::to_owned).collect();
    assert_eq!(db.snapshot().component_names().collect::<Vec<_>>(), names);
    for component in &names {
        let (got, want) = (rows_of(&db.snapshot(), component), rows_of(&expected.snapshot(), component));
        assert!(!got.is_empty());
        assert_eq!(got, want, "{component}");
    }
    (dir, db)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != "LOCK" {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn version_1_fixture_still_reads() {
    let (_dir, db) = reads_as_written(1, write);
    let snap = db.snapshot();
    let inference = snap.component("inference").unwrap();
    assert_eq!((inference.segments().len(), inference.tail().count()), (1, 1), "one segment and one logged batch");
    assert_eq!(inference.segments()[0].tag_rows("country", "DE").unwrap().len(), 28);
    assert_eq!(snap.trace(seamdb::TraceId(u128::MAX - 5)).unwrap().len(), 1);
}

#[test]
fn version_3_fixture_still_reads() {
    let (_dir, db) = reads_as_written(3, write_v3);
    let snap = db.snapshot();
    let stored: Vec<_> = snap.stored_joins().map(|j| (j.driving().to_owned(), j.joined().to_owned(), j.files())).collect();
    assert_eq!(stored, vec![("inference".to_owned(), "labels".to_owned(), 1)]);
    crate::support::assert_join_matches_hash(&db, "format v3");
}

#[test]
fn version_4_fixture_still_reads_with_when_each_component_was_last_written() {
    let (_dir, db) = reads_as_written(4, write_v4);
    let slos: Vec<_> = db.snapshot().slos().map(|s| (s.name.clone(), s.text.clone())).collect();
    assert_eq!(slos, [("labelled".to_owned(), SLO.to_owned())]);
    crate::support::assert_join_matches_hash(&db, "format v4");
    // The fixture was written on 2026-11-30; every component's last append is kept, from
    // the manifest (inference's sealed batch, the bulk loads) or the log (the later ones).
    let written = 1_796_000_000_000_000..seamdb::storage::model::now_us();
    let snapshot = db.snapshot();
    for c in snapshot.components() {
        assert!(c.last_append().is_some_and(|t| written.contains(&t)), "{}: {:?}", c.name(), c.last_append());
    }
    let inference = snapshot.component("inference").unwrap().last_append().unwrap();
    assert!(snapshot.component("labels").unwrap().last_append().unwrap() > inference, "labels came last");
}

#[test]
fn a_version_3_fixture_knows_no_append_times() {
    let (_dir, db) = reads_as_written(3, write_v3);
    assert!(db.snapshot().components().all(|c| c.last_append().is_none()));
}

#[test]
fn version_2_fixture_still_reads() {
    let (_dir, db) = reads_as_written(2, write_v2);
    assert!(db.snapshot().component("gone").is_none(), "a dropped component stays dropped, its batches in the log");
    let again = seamdb::ingest::ingest(&db, "training", TRAINING, &seamdb::ingest::IngestOptions::default(), &mut |_| {});
    assert!(matches!(again, Err(seamdb::Error::Storage(seamdb::storage::Error::AlreadyIngested { .. }))), "{again:?}");
}
