//! Format version 1, pinned: a small database written by this version is committed under
//! `tests/data/format-v1/`, and every later version must read it to the same rows.
//! Regenerate (only when the format version changes) with
//! `SEAM_WRITE_FIXTURE=1 cargo test format::` and commit the new directory under a new name.

use crate::support::{open, rows_of, temp};
use seamdb::{BatchBuilder, Options, Value};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format-v1")
}

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
    if std::env::var_os("SEAM_WRITE_FIXTURE").is_some() {
        let _ = std::fs::remove_dir_all(fixture());
        write(&fixture());
        let _ = std::fs::remove_file(fixture().join("LOCK"));
    }
    // Open a copy: opening starts a new log file, and the fixture must stay as committed.
    let dir = temp();
    copy_dir(&fixture(), dir.path());
    assert!(seamdb::storage::check(dir.path()).unwrap().is_ok());
    let db = open(dir.path(), options());
    let expected_dir = temp();
    write(expected_dir.path());
    let expected = open(expected_dir.path(), options());
    for component in ["inference", "feedback"] {
        let (got, want) = (rows_of(&db.snapshot(), component), rows_of(&expected.snapshot(), component));
        assert!(!got.is_empty());
        assert_eq!(got, want, "{component}");
    }
    let snap = db.snapshot();
    let inference = snap.component("inference").unwrap();
    assert_eq!((inference.segments().len(), inference.tail().count()), (1, 1), "one segment and one logged batch");
    assert_eq!(inference.segments()[0].tag_rows("country", "DE").unwrap().len(), 28);
    assert_eq!(snap.trace(seamdb::TraceId(u128::MAX - 5)).len(), 1);
}
