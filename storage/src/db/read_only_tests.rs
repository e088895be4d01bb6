//! `Db::open_read_only`: it changes nothing, refuses every change, sees everything
//! acknowledged before it opened, and starts over (or gives up, saying why) when a writer
//! changed the files under it. The race against a live writer is in tests/readers.rs.

use crate::{BatchBuilder, Db, Durability, Error, Options, Schema, Value};
use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Seals on the caller's thread every 64 rows; a new log file every few records.
fn options() -> Options {
    Options { seal_rows: 64, background_seal: false, wal_file_bytes: 2048, ..Options::default() }
}

/// Batch `k`: `1 + k % 50` rows with trace IDs `k << 32 | i`, times `k * 1000 + i`, field `k`.
fn batch(k: u64) -> crate::Batch {
    let mut b = BatchBuilder::new();
    for i in 0..1 + k % 50 {
        b.push((k as u128) << 32 | i as u128, (k * 1000 + i) as i64, &[("k", Value::Int(k as i64))]).unwrap();
    }
    b.finish().unwrap()
}

/// Rows per batch number in `component`, each row checked to belong to its batch.
fn present(db: &Db, component: &str) -> BTreeMap<u64, u64> {
    let mut out = BTreeMap::new();
    for part in db.snapshot().component(component).iter().flat_map(|c| c.parts()) {
        let k = part.field("k").unwrap();
        for r in 0..part.rows() {
            let Value::Int(k) = k.value(r) else { panic!("k is null") };
            assert_eq!(part.trace_ids()[r] >> 32, k as u128, "a row of batch {k} belongs to it");
            *out.entry(k as u64).or_default() += 1;
        }
    }
    out
}

fn expected(batches: impl IntoIterator<Item = u64>) -> BTreeMap<u64, u64> {
    batches.into_iter().map(|k| (k, 1 + k % 50)).collect()
}

/// Every file and directory under `dir`: name, and for files their length, mtime and bytes;
/// for directories their mtime (which moves when an entry is created, renamed or removed).
fn state(dir: &Path) -> BTreeMap<PathBuf, (u64, i64, i64, Vec<u8>)> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = std::fs::metadata(&path).unwrap();
        let bytes = if meta.is_dir() {
            out.extend(state(&path));
            Vec::new()
        } else {
            std::fs::read(&path).unwrap()
        };
        out.insert(path, (meta.len(), meta.mtime(), meta.mtime_nsec(), bytes));
    }
    out
}

/// A database with two components, segments, a stored join, retired log files and an
/// unsealed tail, holding batches `0..n` of "inference" (and labels for the even ones).
fn populated(dir: &Path, n: u64) -> Db {
    let db = Db::open_with(dir, options()).unwrap();
    for k in 0..n {
        db.append("inference", batch(k)).unwrap();
        if k % 2 == 0 {
            db.append("labels", batch(k)).unwrap();
        }
        if k == n / 2 {
            db.store_join("inference", "labels").unwrap();
        }
    }
    db
}

#[test]
fn a_missing_directory_or_manifest_is_not_a_database_and_nothing_is_created() {
    let work = tempfile::tempdir().unwrap();
    let missing = work.path().join("nope");
    let e = Db::open_read_only(&missing).unwrap_err();
    assert!(e.to_string().contains("not a SeamDB database"), "{e}");
    assert!(!missing.exists());
    let empty = work.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = Db::open_read_only(&empty).unwrap_err();
    assert!(e.to_string().contains("not a SeamDB database"), "{e}");
    assert_eq!(std::fs::read_dir(&empty).unwrap().count(), 0, "created something");
}

#[test]
fn a_read_only_open_changes_no_byte_and_no_name_even_with_a_torn_tail_and_orphans() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    drop(populated(dir, 40));
    // What a crash leaves, which a writer's open would cut or remove: a torn record at the
    // end of the newest log file, an orphan segment, a manifest update never renamed.
    let wal_dir = dir.join("wal");
    let (_, newest) = crate::wal::list_files(&wal_dir).unwrap().pop().unwrap();
    let mut bytes = std::fs::read(&newest).unwrap();
    bytes.extend_from_slice(&[200, 0, 0, 0, 1, 2, 3, 4, 1, 9]);
    std::fs::write(&newest, bytes).unwrap();
    std::fs::write(dir.join("segments/00000000000000ff.seg"), b"orphan").unwrap();
    std::fs::write(dir.join("MANIFEST.tmp"), b"half").unwrap();
    let before = state(dir);
    // Coarse file-system timestamps must not hide a change: let a tick pass.
    std::thread::sleep(std::time::Duration::from_millis(20));

    let db = Db::open_read_only(dir).unwrap();
    assert!(db.is_read_only());
    assert_eq!(present(&db, "inference"), expected(0..40));
    assert_eq!(present(&db, "labels"), expected((0..40).step_by(2)));
    assert!(db.recovery_report().wal.torn_tail.is_some(), "the torn tail is seen, and left");
    assert_eq!(db.snapshot().stored_joins().count(), 1);
    let joined = crate::check(dir).unwrap();
    assert!(joined.is_ok(), "{:?}", joined.damaged);
    drop(db);
    assert_eq!(state(dir), before, "a read-only open or check changed the directory");

    // A database last written by a version without READERS is read without it, and the
    // reader does not create it.
    std::fs::remove_file(dir.join("READERS")).unwrap();
    let before = state(dir);
    assert_eq!(present(&Db::open_read_only(dir).unwrap(), "inference"), expected(0..40));
    assert_eq!(state(dir), before);
}

#[test]
fn every_change_is_refused_on_a_read_only_handle_and_nothing_changes() {
    let work = tempfile::tempdir().unwrap();
    drop(populated(work.path(), 10));
    let before = state(work.path());
    let db = Db::open_read_only(work.path()).unwrap();
    let refused = |r: crate::Result<()>, what: &str| match r {
        Err(Error::ReadOnly { path }) => assert_eq!(path, work.path(), "{what}"),
        other => panic!("{what} on a read-only handle: {other:?}"),
    };
    refused(db.append("inference", batch(99)), "append");
    refused(db.create_component("other", &Schema::default()), "create_component");
    refused(db.bulk_load("inference").map(drop), "bulk_load");
    refused(db.flush(), "flush");
    refused(db.compact().map(drop), "compact");
    refused(db.retain("inference", 5000).map(drop), "retain");
    refused(db.store_join("labels", "inference").map(drop), "store_join");
    refused(db.drop_component("labels").map(drop), "drop_component");
    let e = db.append("inference", batch(99)).unwrap_err().to_string();
    assert!(e.contains("read-only"), "{e}");
    assert_eq!(present(&db, "inference"), expected(0..10));
    drop(db);
    assert_eq!(state(work.path()), before);
}

#[test]
fn a_reader_sees_everything_acknowledged_before_it_opened_and_then_stands_still() {
    for durability in [Durability::Sync, Durability::Relaxed { interval: std::time::Duration::from_secs(3600) }] {
        let work = tempfile::tempdir().unwrap();
        drop(populated(work.path(), 30));
        // Under relaxed durability an append returns once written, not synced: a reader
        // sees it too (it is whole in the log).
        let writer = Db::open_with(work.path(), Options { durability, ..options() }).unwrap();
        for k in 30..45 {
            writer.append("inference", batch(k)).unwrap();
        }
        let reader = Db::open_read_only(work.path()).unwrap();
        assert_eq!(present(&reader, "inference"), expected(0..45), "{durability:?}");
        for k in 45..50 {
            writer.append("inference", batch(k)).unwrap();
        }
        writer.compact().unwrap();
        assert_eq!(present(&reader, "inference"), expected(0..45), "a snapshot, not a view that moves");
        assert_eq!(present(&Db::open_read_only(work.path()).unwrap(), "inference"), expected(0..50), "reopened");
    }
}

#[test]
fn the_writer_never_reuses_a_log_file_while_a_reader_reads_the_log() {
    // Inodes of retired files seen, and whether a live log file ever had one of them. A
    // descriptor of each retired file is kept, so that its inode number, if the file is
    // deleted, is not handed to a new file.
    let run = |hold_readers: bool| -> bool {
        let work = tempfile::tempdir().unwrap();
        let db = Db::open_with(work.path(), options()).unwrap();
        let held = if hold_readers { crate::wal::readers::shared(work.path()).unwrap() } else { None };
        assert_eq!(held.is_some(), hold_readers);
        let files = |ext: &str| -> Vec<std::fs::File> {
            std::fs::read_dir(work.path().join("wal"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .filter_map(|p| std::fs::File::open(p).ok())
                .collect()
        };
        let ino = |f: &std::fs::File| f.metadata().unwrap().ino();
        let (mut retired, mut kept, mut reused) = (HashSet::new(), Vec::new(), false);
        for k in 0..60 {
            db.append("inference", batch(k)).unwrap();
            for f in files("free") {
                retired.insert(ino(&f));
                kept.push(f);
            }
            reused |= files("wal").iter().any(|f| retired.contains(&ino(f)));
        }
        assert!(!retired.is_empty(), "no log file was retired: the test proves nothing");
        reused
    };
    assert!(run(false), "without a reader, retired files are reused");
    assert!(!run(true), "a retired file was reused while a reader held READERS");
}

#[test]
fn a_log_file_reused_under_a_reader_starts_it_over_and_a_database_that_keeps_changing_is_reported() {
    let work = tempfile::tempdir().unwrap();
    let db = Db::open_with(work.path(), Options { seal_rows: 1 << 20, ..options() }).unwrap();
    for k in 0..30 {
        db.append("inference", batch(k)).unwrap();
    }
    drop(db);
    // What a reader sees through a descriptor of a file that was retired and reused: the
    // records of a later file under an older file's name.
    let files = crate::wal::list_files(&work.path().join("wal")).unwrap();
    assert!(files.len() >= 3, "{files:?}");
    std::fs::copy(&files[1].1, &files[0].1).unwrap();
    let replay = |mode| crate::wal::replay(&work.path().join("wal"), mode, |_| Ok(()));
    assert!(matches!(replay(crate::wal::Replay::Owned), Err(Error::Corrupt { .. })));
    assert!(matches!(replay(crate::wal::Replay::Shared), Err(Error::Changing { .. })));
    let e = Db::open_read_only(work.path()).unwrap_err();
    assert!(matches!(e, Error::Changing { .. }) && e.to_string().contains("10 attempts"), "{e}");
}

#[test]
fn a_log_of_sealed_batches_is_gone_once_sealed_and_readers_do_not_read_it() {
    let work = tempfile::tempdir().unwrap();
    let db = Db::open_with(work.path(), Options { seal_rows: 1 << 20, wal_file_bytes: 1 << 20, ..options() }).unwrap();
    for k in 0..30 {
        db.append("inference", batch(k)).unwrap();
    }
    let wal = work.path().join("wal");
    let holds_records = |path: &Path| std::fs::metadata(path).unwrap().len() > crate::wal::HEADER_LEN as u64;
    assert!(crate::wal::list_files(&wal).unwrap().iter().any(|(_, p)| holds_records(p)));
    // The active file held every batch when they were sealed: the seal starts a new one and
    // retires it, with the writer still open.
    db.flush().unwrap();
    let after = crate::wal::list_files(&wal).unwrap();
    assert!(after.iter().all(|(_, p)| !holds_records(p)), "{after:?}");
    let reader = Db::open_read_only(work.path()).unwrap();
    assert_eq!(reader.recovery_report().wal.records, 0);
    assert_eq!(present(&reader, "inference"), expected(0..30));
    // Appends go on into the new file, and a reopen replays them.
    db.append("inference", batch(30)).unwrap();
    drop(db);
    assert_eq!(present(&Db::open_with(work.path(), options()).unwrap(), "inference"), expected(0..31));
}

#[test]
fn damage_found_twice_in_a_row_is_damage() {
    let work = tempfile::tempdir().unwrap();
    drop(populated(work.path(), 30));
    let (_, newest) = crate::wal::list_files(&work.path().join("wal")).unwrap().pop().unwrap();
    // A flipped byte in the first record of the newest file, with whole records after it.
    let mut bytes = std::fs::read(&newest).unwrap();
    assert!(bytes.len() > 200, "the newest file holds records");
    bytes[crate::wal::HEADER_LEN + 12] ^= 0x40;
    std::fs::write(&newest, bytes).unwrap();
    let started = std::time::Instant::now();
    let e = Db::open_read_only(work.path()).unwrap_err();
    assert!(matches!(e, Error::Corrupt { ref path, .. } if *path == newest), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_millis(500), "damage is reported at the second attempt");
}
