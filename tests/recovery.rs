//! Damage on disk: a torn log tail is cut and reported; a flipped byte anywhere in a segment
//! is caught at open and by `check`, naming file and offset; leftovers of a crash are removed.

use crate::support::{open, rows_of, small_options, temp};
use seamdb::storage::{check, Error};
use seamdb::{BatchBuilder, Options, Value};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

fn batch(first_id: u128, n: usize) -> seamdb::Batch {
    let mut b = BatchBuilder::new();
    for i in 0..n {
        b.push(first_id + i as u128, i as i64, &[("score", Value::Float(i as f64)), ("country", Value::Tag(format!("c{}", i % 3)))])
            .unwrap();
    }
    b.finish().unwrap()
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == ext)).collect();
    out.sort();
    out
}

fn no_seal() -> Options {
    Options { seal_rows: 1 << 20, background_seal: false, ..Options::default() }
}

#[test]
fn a_torn_log_tail_is_cut_and_reported_and_earlier_batches_survive() {
    for cut in [1usize, 7, 100] {
        let dir = temp();
        {
            let db = open(dir.path(), no_seal());
            for k in 0..3 {
                db.append("inference", batch(k * 1000, 50)).unwrap();
            }
        }
        // Cut into the third record (and so through the sync mark after it).
        let wal = files(&dir.path().join("wal"), "wal").pop().unwrap();
        let len = crate::support::wal_records(&std::fs::read(&wal).unwrap())[2].1 as u64;
        OpenOptions::new().write(true).open(&wal).unwrap().set_len(len - cut as u64).unwrap();
        let db = open(dir.path(), no_seal());
        let report = db.recovery_report();
        let (path, offset, dropped) = report.wal.torn_tail.clone().expect("torn tail reported");
        assert_eq!(path, wal);
        assert!(offset < len && dropped > 0);
        assert_eq!(db.snapshot().component("inference").unwrap().rows(), 100, "two whole batches, nothing of the third");
        drop(db);
        let db = open(dir.path(), no_seal());
        assert!(db.recovery_report().wal.torn_tail.is_none(), "the tail was truncated, so a second open finds it clean");
        db.append("inference", batch(9000, 5)).unwrap();
        assert_eq!(db.snapshot().component("inference").unwrap().rows(), 105);
    }
}

#[test]
fn garbage_after_the_last_record_is_a_torn_tail() {
    // Zeros too: eight zero bytes are a frame of nothing whose checksum matches (the kill -9
    // loop found `check` calling that damage, once `check` ran in it).
    for garbage in [[0xAB; 37], [0; 37]] {
        let dir = temp();
        {
            let db = open(dir.path(), no_seal());
            db.append("feedback", batch(1, 10)).unwrap();
        }
        let wal = files(&dir.path().join("wal"), "wal").pop().unwrap();
        OpenOptions::new().append(true).open(&wal).unwrap().write_all(&garbage).unwrap();
        assert!(seamdb::storage::check(dir.path()).unwrap().is_ok());
        let db = open(dir.path(), no_seal());
        assert_eq!(db.recovery_report().wal.torn_tail.as_ref().map(|t| t.2), Some(37));
        assert_eq!(db.snapshot().component("feedback").unwrap().rows(), 10);
    }
}

#[test]
fn damage_in_an_older_log_file_is_an_error_not_a_truncation() {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        db.append("feedback", batch(1, 10)).unwrap();
    }
    {
        let db = open(dir.path(), no_seal()); // starts a second log file
        db.append("feedback", batch(100, 10)).unwrap();
    }
    let wals = files(&dir.path().join("wal"), "wal");
    assert!(wals.len() >= 2);
    flip_byte(&wals[0], 40);
    let err = seamdb::Db::open_with(dir.path(), no_seal()).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { path, .. } if *path == wals[0]), "{err}");
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[offset as usize] ^= 0x40;
    std::fs::write(path, bytes).unwrap();
}

/// A flipped byte anywhere in a segment is caught by `check`, and never served: open refuses
/// the file (header, directory, footer, section layout) or the first read of the damaged
/// section does (open defers section checksums to each group's first read).
#[test]
fn a_flipped_byte_in_any_part_of_a_segment_is_caught_by_check_and_never_served() {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        db.append("inference", batch(0, 3000)).unwrap();
        db.flush().unwrap();
    }
    let seg = files(&dir.path().join("segments"), "seg").pop().unwrap();
    let pristine = std::fs::read(&seg).unwrap();
    let len = pristine.len() as u64;
    // Header, trace IDs, times, values, dictionary, bitmaps, directory, footer.
    let step = (len / 23).max(1);
    let offsets: Vec<u64> = (0..len).step_by(step as usize).chain([len - 1, len - 60]).collect();
    let (mut caught, mut at_first_read) = (0, 0);
    for offset in offsets {
        std::fs::write(&seg, &pristine).unwrap();
        flip_byte(&seg, offset);
        let report = check(dir.path()).unwrap();
        let err = seamdb::Db::open_with(dir.path(), no_seal()).err();
        caught += 1;
        assert_eq!(report.damaged.len(), 1, "check missed a flip at {offset}");
        let damage = report.damaged[0].to_string();
        assert!(damage.contains(&seg.display().to_string()), "{damage}");
        let err = err.or_else(|| {
            // Opened: the queries that between them read every section (the fields and times;
            // the trace index) must refuse it, through the paths users take.
            let db = seamdb::Db::open_with(dir.path(), no_seal()).unwrap();
            // A query that reads only the times (a count) is not held up by damage elsewhere.
            if seamdb::query::query("SELECT count() AS n FROM inference GROUP BY window(1h)", &db.snapshot()).is_ok() {
                at_first_read += 1;
            }
            let reads = ["SELECT count() AS n, sum(score) AS s, distinct(country) AS d FROM inference GROUP BY window(1h)", "TRACE '7'"];
            let failed = reads.iter().find_map(|q| seamdb::query::query(q, &db.snapshot()).err());
            match failed {
                Some(seamdb::query::Error::Storage(e)) => Some(e),
                other => panic!("a query was served from a segment with a flip at {offset}: {other:?}"),
            }
        });
        match err {
            Some(Error::Corrupt { path, .. }) => assert_eq!(path, seg),
            other => panic!("a flip at {offset} was not caught: {other:?}"),
        }
    }
    assert!(caught > 15);
    assert!(at_first_read > 5, "damage in data sections is found by the read that needs them ({at_first_read})");
    std::fs::write(&seg, &pristine).unwrap();
    assert!(check(dir.path()).unwrap().is_ok());
}

#[test]
fn files_left_by_a_crash_are_removed_on_open() {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        db.append("inference", batch(0, 10)).unwrap();
        db.flush().unwrap();
        let mut load = db.bulk_load("inference").unwrap();
        load.append(batch(100, 10)).unwrap();
        std::mem::forget(load); // as if the process died before commit: its segment stays behind
    }
    let segs = files(&dir.path().join("segments"), "seg");
    assert_eq!(segs.len(), 1, "an uncommitted load wrote nothing yet (under seal_rows)");
    let orphan = dir.path().join("segments").join("00000000000000ff.seg");
    std::fs::copy(&segs[0], &orphan).unwrap();
    std::fs::write(dir.path().join("MANIFEST.tmp"), b"half a manifest").unwrap();
    let db = open(dir.path(), no_seal());
    assert!(db.recovery_report().removed_orphans.contains(&orphan));
    assert!(!orphan.exists() && !dir.path().join("MANIFEST.tmp").exists());
    assert_eq!(db.snapshot().component("inference").unwrap().rows(), 10);
}

#[test]
fn a_damaged_manifest_is_reported_not_replaced() {
    let dir = temp();
    {
        let db = open(dir.path(), small_options());
        db.append("inference", batch(0, 100)).unwrap();
        db.flush().unwrap();
    }
    let manifest = dir.path().join("MANIFEST");
    flip_byte(&manifest, 20);
    let err = seamdb::Db::open_with(dir.path(), small_options()).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { path, .. } if *path == manifest), "{err}");
    assert!(!check(dir.path()).unwrap().is_ok());
    std::fs::remove_file(&manifest).unwrap();
    let err = seamdb::Db::open_with(dir.path(), small_options()).unwrap_err();
    assert!(err.to_string().contains("manifest missing"), "{err}");
}

#[test]
fn a_second_process_cannot_open_a_locked_database() {
    let dir = temp();
    let _db = open(dir.path(), small_options());
    // The lock is per open file description, so a second open in this process is refused too.
    let err = seamdb::Db::open_with(dir.path(), small_options()).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err}");
}

#[test]
fn rows_survive_reopen_under_relaxed_durability() {
    let dir = temp();
    let relaxed = Options { durability: seamdb::Durability::Relaxed { interval: std::time::Duration::from_millis(5) }, ..small_options() };
    {
        let db = open(dir.path(), relaxed.clone());
        for k in 0..10 {
            db.append("inference", batch(k * 100, 30)).unwrap();
        }
    }
    let db = open(dir.path(), relaxed);
    assert_eq!(rows_of(&db.snapshot(), "inference").len(), 300);
}

#[test]
fn a_failing_sealer_surfaces_as_an_append_error_not_a_hang() {
    let dir = temp();
    let options = Options { seal_rows: 64, ..Options::default() }; // background sealing on
    let segments = dir.path().join("segments");
    let (tx, rx) = std::sync::mpsc::channel();
    {
        let db = open(dir.path(), options.clone());
        // Sealing cannot create files once the segments directory is a plain file.
        std::fs::rename(&segments, dir.path().join("segments.away")).unwrap();
        std::fs::write(&segments, b"not a directory").unwrap();
        let worker = std::thread::spawn(move || {
            let mut acked = 0;
            for k in 0..20 {
                match db.append("inference", batch(k * 1000, 100)) {
                    Ok(()) => acked += 100,
                    Err(e) => return tx.send((acked, e.to_string())).unwrap(),
                }
            }
            tx.send((acked, String::new())).unwrap();
        });
        let (acked, err) = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("the appender hung");
        worker.join().unwrap();
        assert!(!err.is_empty(), "appends beyond the unsealed-row bound must fail while sealing fails");
        assert!(acked >= 64, "appends within the bound were acknowledged");
        std::fs::remove_file(&segments).unwrap();
        std::fs::rename(dir.path().join("segments.away"), &segments).unwrap();
        let reopened = open(dir.path(), options);
        assert_eq!(reopened.snapshot().component("inference").unwrap().rows(), acked, "every acknowledged row is back");
    }
}

mod never_panic {
    //! Decoders of bytes from disk return errors on garbage; they never panic.
    use super::*;
    use proptest::prelude::*;

    fn sample_db() -> (tempfile::TempDir, Vec<u8>, Vec<u8>, Vec<u8>) {
        let dir = temp();
        {
            let db = open(dir.path(), no_seal());
            db.append("inference", batch(0, 300)).unwrap();
            db.flush().unwrap();
            db.append("inference", batch(1000, 20)).unwrap();
        }
        let seg = std::fs::read(files(&dir.path().join("segments"), "seg").pop().unwrap()).unwrap();
        let wal = std::fs::read(files(&dir.path().join("wal"), "wal").pop().unwrap()).unwrap();
        let manifest = std::fs::read(dir.path().join("MANIFEST")).unwrap();
        (dir, seg, wal, manifest)
    }

    /// Opens the database with `file` replaced by `bytes`, then reads everything it serves:
    /// a segment once it verifies, as every reader must (segments open deferred), and also
    /// through a query and TRACE, which verify what they read themselves.
    fn open_and_read(dir: &Path, file: &Path, bytes: &[u8]) {
        std::fs::write(file, bytes).unwrap();
        let _ = check(dir);
        if let Ok(db) = seamdb::Db::open_with(dir, no_seal()) {
            let snap = db.snapshot();
            for q in [
                "SELECT count() AS n, sum(score) AS s, distinct(country) AS d FROM inference WHERE country = 'c1' GROUP BY window(1h)",
                "TRACE '5'",
            ] {
                let _ = seamdb::query::query(q, &snap);
            }
            for c in snap.components() {
                if c.segments().iter().any(|s| s.verify_all().is_err()) {
                    continue;
                }
                for part in c.parts() {
                    for (name, _) in c.schema().fields() {
                        if let Some(f) = part.field(name) {
                            (0..part.rows()).for_each(|r| drop(f.value(r)));
                        }
                        let _ = part.tag_rows(name, "c1");
                        let _ = part.zones(name);
                    }
                    let _ = part.trace_rows(5);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn mutated_files_never_panic(which in 0..3usize, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in proptest::option::of(any::<prop::sample::Index>())) {
            let (dir, seg, wal, manifest) = sample_db();
            let (path, mut bytes) = match which {
                0 => (files(&dir.path().join("segments"), "seg").pop().unwrap(), seg),
                1 => (files(&dir.path().join("wal"), "wal").pop().unwrap(), wal),
                _ => (dir.path().join("MANIFEST"), manifest),
            };
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            if let Some(cut) = cut {
                bytes.truncate(cut.index(bytes.len() + 1));
            }
            open_and_read(dir.path(), &path, &bytes);
        }
    }
}

/// Found by the `manifest` fuzz target: a checksummed manifest claiming the last LSN there is
/// made open overflow. It is damage, reported as such.
#[test]
fn a_manifest_at_the_end_of_the_lsn_space_is_an_error_not_a_panic() {
    let dir = temp();
    drop(open(dir.path(), small_options()));
    let path = dir.path().join("MANIFEST");
    let mut bytes = std::fs::read(&path).unwrap();
    // magic (8), version (4), reserved (4), next segment ID (8), then the last LSN.
    bytes[24..32].copy_from_slice(&u64::MAX.to_le_bytes());
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    let err = seamdb::Db::open_with(dir.path(), small_options()).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { what, .. } if what.contains("exhausted")), "{err}");
}

/// Start offsets of the batch records of a log file.
fn record_offsets(bytes: &[u8]) -> Vec<usize> {
    crate::support::wal_records(bytes).into_iter().map(|(start, _)| start).collect()
}

/// The scenario: 20 acknowledged batches of 100 rows in the newest log file (none
/// sealed), then damage to record 10 by `damage(bytes, record offset)`. Returns the database,
/// the log file, its damaged bytes and the offset of record 10.
fn damaged_newest_log(damage: impl Fn(&mut Vec<u8>, usize)) -> (tempfile::TempDir, PathBuf, Vec<u8>, u64) {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        for k in 0..20 {
            db.append("inference", batch(k * 1000, 100)).unwrap();
        }
    }
    let wal = files(&dir.path().join("wal"), "wal").pop().unwrap();
    let mut bytes = std::fs::read(&wal).unwrap();
    let offsets = record_offsets(&bytes);
    assert_eq!(offsets.len(), 20, "one file, twenty records");
    damage(&mut bytes, offsets[9]);
    std::fs::write(&wal, &bytes).unwrap();
    (dir, wal, bytes, offsets[9] as u64)
}

/// Trace IDs present, by batch (`batch(k * 1000, ..)` gives IDs k*1000..).
fn batches_present(db: &seamdb::Db, component: &str) -> std::collections::BTreeMap<u128, usize> {
    let mut out = std::collections::BTreeMap::new();
    for (id, _, _) in rows_of(&db.snapshot(), component) {
        *out.entry(id / 1000).or_default() += 1;
    }
    out
}

/// Issue 11, item 3: a flipped payload byte in the middle of the newest log file used to be
/// taken for a torn tail, and open cut away every acknowledged record after it.
#[test]
fn bit_rot_in_the_middle_of_the_newest_log_is_damage_and_recover_keeps_everything_else() {
    type Flip = fn(&mut Vec<u8>, usize);
    let flips: [(&str, Flip); 3] = [
        ("a payload byte", |b, at| b[at + 8 + 40] ^= 0x10),
        ("the length field, pointing past the end", |b, at| b[at + 3] ^= 0x40),
        ("the length field, pointing inside the file", |b, at| b[at] ^= 0x08),
    ];
    for (what, flip) in flips {
        let (dir, wal, damaged, offset) = damaged_newest_log(flip);
        let err = seamdb::Db::open_with(dir.path(), no_seal()).expect_err(what);
        match &err {
            Error::Corrupt { path, offset: at, what: why } => {
                assert_eq!((path, *at), (&wal, offset), "{what}: {err}");
                assert!(why.contains("not a torn tail") && why.contains("seam recover"), "{what}: {err}");
            }
            other => panic!("{what}: not a corruption error: {other}"),
        }
        assert_eq!(std::fs::read(&wal).unwrap(), damaged, "{what}: open left the file untouched");
        let report = check(dir.path()).unwrap();
        assert_eq!(report.damaged.len(), 1, "{what}: check calls it damage: {report:?}");
        assert!(report.notes.is_empty(), "{what}: not a torn-tail note: {:?}", report.notes);

        let recovered = seamdb::storage::recover(dir.path()).unwrap();
        assert_eq!((recovered.records_kept, recovered.rows_kept), (19, 1900), "{what}");
        assert_eq!(recovered.damage.len(), 1, "{what}");
        assert_eq!((recovered.damage[0].path.clone(), recovered.damage[0].offset), (wal.clone(), offset));
        let lost: Vec<_> = recovered.lost().collect();
        assert_eq!(lost.len(), 1, "{what}");
        assert_eq!(lost[0].lsn, 10);
        if what == "a payload byte" {
            assert_eq!((lost[0].component.as_deref(), lost[0].rows), (Some("inference"), Some(100)));
        }
        let aside = dir.path().join("damaged").join(wal.file_name().unwrap());
        assert_eq!(recovered.moved_aside, [(wal.clone(), aside.clone())]);
        assert_eq!(std::fs::read(&aside).unwrap(), damaged, "{what}: the damaged file is kept, byte for byte");

        let db = open(dir.path(), no_seal());
        let present = batches_present(&db, "inference");
        let expected: std::collections::BTreeMap<u128, usize> = (0..20).filter(|&k| k != 9).map(|k| (k, 100)).collect();
        assert_eq!(present, expected, "{what}: every batch but the damaged one");
        db.append("inference", batch(50_000, 5)).unwrap();
        drop(db);
        let db = open(dir.path(), no_seal());
        assert_eq!(db.snapshot().component("inference").unwrap().rows(), 1905, "{what}");
        drop(db);
        assert!(check(dir.path()).unwrap().is_ok(), "{what}");
    }
}

/// A database whose newest (only) log file holds three acknowledged batches of 50 rows, each
/// with its sync mark; and that file.
fn three_acknowledged_batches() -> (tempfile::TempDir, PathBuf) {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        for k in 0..3 {
            db.append("inference", batch(k * 1000, 50)).unwrap();
        }
    }
    let wal = files(&dir.path().join("wal"), "wal").pop().unwrap();
    (dir, wal)
}

/// The sync mark written before the fdatasync that acknowledged the last record tells bit
/// rot in that record from a torn write: it is damage, and nothing is cut.
#[test]
fn damage_to_the_last_acknowledged_record_is_damage_its_sync_mark_follows() {
    let (dir, wal) = three_acknowledged_batches();
    let last = *record_offsets(&std::fs::read(&wal).unwrap()).last().unwrap();
    flip_byte(&wal, last as u64 + 100); // among the trace IDs
    let damaged = std::fs::read(&wal).unwrap();
    let err = seamdb::Db::open_with(dir.path(), no_seal()).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { offset, what, .. } if *offset == last as u64 && what.contains("sync mark")), "{err}");
    assert_eq!(std::fs::read(&wal).unwrap(), damaged, "the file is left as it was");
    assert!(!check(dir.path()).unwrap().is_ok(), "check calls it damage");
    let report = seamdb::storage::recover(dir.path()).unwrap();
    assert_eq!(report.lost().map(|r| (r.lsn, r.rows)).collect::<Vec<_>>(), [(3, Some(50))]);
    assert_eq!(open(dir.path(), no_seal()).snapshot().component("inference").unwrap().rows(), 100);
}

/// Where the last record and the sync mark after it are both gone or damaged, nothing tells a
/// torn write from damage (the mark is what would): it is cut as a torn tail. A record is
/// only acknowledged once its mark and it are synced, so this loses nothing acknowledged
/// unless the disk damaged both.
#[test]
fn a_damaged_last_record_without_its_sync_mark_is_a_torn_tail() {
    let (dir, wal) = three_acknowledged_batches();
    let (last, end) = *crate::support::wal_records(&std::fs::read(&wal).unwrap()).last().unwrap();
    OpenOptions::new().write(true).open(&wal).unwrap().set_len(end as u64).unwrap();
    flip_byte(&wal, last as u64 + 30);
    assert!(check(dir.path()).unwrap().is_ok(), "a torn tail is a note, not damage");
    let db = open(dir.path(), no_seal());
    assert_eq!(db.recovery_report().wal.torn_tail.as_ref().map(|t| t.1), Some(last as u64));
    assert_eq!(db.snapshot().component("inference").unwrap().rows(), 100);
}

#[test]
fn a_damaged_header_of_the_newest_log_is_damage_too() {
    let (dir, wal, damaged, _) = damaged_newest_log(|b, _| b[3] ^= 1);
    let err = seamdb::Db::open_with(dir.path(), no_seal()).unwrap_err();
    assert!(matches!(&err, Error::Corrupt { path, offset: 0, .. } if *path == wal), "{err}");
    assert_eq!(std::fs::read(&wal).unwrap(), damaged);
    let recovered = seamdb::storage::recover(dir.path()).unwrap();
    assert_eq!(recovered.records_kept, 20);
    assert_eq!(recovered.lost().count(), 0, "the header holds no record");
    assert_eq!(open(dir.path(), no_seal()).snapshot().component("inference").unwrap().rows(), 2000);
}

#[test]
fn recover_salvages_an_older_log_file_and_leaves_a_clean_database_alone() {
    let dir = temp();
    assert!(seamdb::storage::recover(dir.path()).is_ok(), "an empty directory: nothing to do");
    {
        let db = open(dir.path(), no_seal());
        for k in 0..3 {
            db.append("feedback", batch(k * 1000, 10)).unwrap();
        }
    }
    {
        let db = open(dir.path(), no_seal()); // starts a second log file
        db.append("feedback", batch(5000, 10)).unwrap();
    }
    let untouched = seamdb::storage::recover(dir.path()).unwrap();
    assert!(untouched.damage.is_empty() && untouched.moved_aside.is_empty() && untouched.written.is_empty());
    assert_eq!(untouched.records_kept, 4);
    let wals = files(&dir.path().join("wal"), "wal");
    let first = record_offsets(&std::fs::read(&wals[0]).unwrap())[0];
    flip_byte(&wals[0], first as u64 + 20);
    assert!(seamdb::Db::open_with(dir.path(), no_seal()).is_err());
    let recovered = seamdb::storage::recover(dir.path()).unwrap();
    assert_eq!((recovered.records_kept, recovered.lost().count()), (3, 1));
    // The damaged record was the file's first: the rest start a file named for their LSN.
    assert!(!wals[0].exists() && recovered.written.len() == 1, "{recovered:?}");
    let db = open(dir.path(), no_seal());
    let ids: Vec<u128> = batches_present(&db, "feedback").into_keys().collect();
    assert_eq!(ids, [1, 2, 5]);
}

/// A damaged record of a component dropped since is not reported as lost: its rows were
/// meant to leave.
#[test]
fn recover_does_not_count_a_dropped_components_records_as_lost() {
    let dir = temp();
    {
        let db = open(dir.path(), no_seal());
        // A batch of "kept" first: with nothing unsealed left, the drop would retire the log
        // file that holds "gone"'s records (a seal or a drop starts a new one then).
        db.append("kept", batch(100_000, 50)).unwrap();
        for k in 0..5 {
            db.append("gone", batch(k * 1000, 50)).unwrap();
        }
        db.drop_component("gone").unwrap();
        for k in 1..5 {
            db.append("kept", batch(100_000 + k * 1000, 50)).unwrap();
        }
    }
    let wal = files(&dir.path().join("wal"), "wal").pop().unwrap();
    let bytes = std::fs::read(&wal).unwrap();
    let offsets = record_offsets(&bytes);
    assert_eq!(offsets.len(), 10, "both components' records are in one log file");
    flip_byte(&wal, offsets[2] as u64 + 40);
    assert!(matches!(seamdb::Db::open_with(dir.path(), no_seal()), Err(Error::Corrupt { .. })));
    let report = seamdb::storage::recover(dir.path()).unwrap();
    assert_eq!(report.damage.len(), 1);
    assert!(report.damage[0].lost.iter().all(|r| r.dropped), "{:?}", report.damage);
    assert_eq!(report.lost().count(), 0, "nothing that was meant to stay is lost");
    let db = open(dir.path(), no_seal());
    assert!(db.snapshot().component("gone").is_none());
    assert_eq!(db.snapshot().component("kept").unwrap().rows(), 250);
}
