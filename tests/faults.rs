//! Fault injection through the storage engine's file-system seam (`seamdb-storage`'s
//! `failpoints` feature): every create, write, fsync, directory fsync, rename, remove and
//! truncate of a mixed workload (appends of predictions and their labels, a stored join of the
//! two, seals, compactions, retention) is made to fail in turn, with EIO, ENOSPC or a short
//! write. Each time the error must reach the caller, the database must reopen consistent
//! (`seam check` clean, which rebuilds every join file and compares) with every acknowledged
//! batch whole and the stored join answering as a hash join does, and it must take writes
//! again.

use crate::support::{assert_join_matches_hash, assert_numbered, label_batch, numbered_batch, open, temp};
use seamdb::storage::failpoints::{arm, Fault, Op, Plan};
use seamdb::{Db, Options};
use std::path::Path;

const BATCHES: u64 = 48;

fn options() -> Options {
    // Seals and compactions run on the caller's thread, so each fault has one place to surface.
    Options { seal_rows: 600, compact_rows: 2400, background_seal: false, ..Options::default() }
}

/// What a workload run left: the acknowledged batches, the highest retention bound tried,
/// and the first error.
#[derive(Default)]
struct Outcome {
    acked: Vec<u64>,
    floor: u64,
    error: Option<seamdb::storage::Error>,
}

/// Appends batches `from..to`, sealing, compacting and applying retention now and then;
/// stops at the first error.
fn workload(db: &Db, from: u64, to: u64, out: &mut Outcome) {
    for k in from..to {
        let mut step = || -> seamdb::storage::Result<()> {
            db.append("inference", numbered_batch(k))?;
            out.acked.push(k);
            // Labels arrive two batches late; the join is stored once both sides exist.
            if k >= 2 {
                db.append("labels", label_batch(k - 2))?;
            }
            if k == 3 {
                db.store_join("inference", "labels")?;
            }
            match k % 12 {
                5 => db.flush()?,
                8 => {
                    db.compact()?;
                }
                11 if k > 24 => {
                    out.floor = out.floor.max(k - 20);
                    db.retain("inference", ((k - 20) * 1000) as i64)?;
                    db.retain("labels", ((k - 24) * 1000) as i64)?;
                }
                _ => {}
            }
            Ok(())
        };
        if let Err(e) = step() {
            out.error = Some(e);
            return;
        }
    }
}

/// Reopens `dir` without faults and checks it: a clean `check`, every acknowledged batch at
/// or above the floor whole, and a write that works.
fn verify(dir: &Path, out: &Outcome, what: &str) -> usize {
    let report = seamdb::storage::check(dir).unwrap_or_else(|e| panic!("{what}: check: {e}"));
    assert!(report.damaged.is_empty(), "{what}: check found damage: {:?}", report.damaged);
    let db = open(dir, options());
    let checked = assert_numbered(&db.snapshot(), "inference", &out.acked, out.floor, what);
    assert_join_matches_hash(&db, what);
    db.append("inference", numbered_batch(1_000)).unwrap_or_else(|e| panic!("{what}: append after reopen: {e}"));
    db.flush().unwrap_or_else(|e| panic!("{what}: flush after reopen: {e}"));
    checked
}

/// How many operations of each kind the workload does, counted on a run without faults.
fn census() -> Vec<(Op, u64)> {
    let work = temp();
    let guard = arm(work.path(), None);
    let db = open(work.path(), options());
    let mut out = Outcome::default();
    workload(&db, 0, BATCHES, &mut out);
    assert!(out.error.is_none());
    drop(db);
    Op::ALL.iter().map(|&op| (op, guard.count(op))).collect()
}

#[test]
fn every_failing_operation_reaches_the_caller_and_loses_no_acknowledged_batch() {
    let (mut cases, mut fired, mut checked) = (0, 0, 0);
    for (op, count) in census() {
        // Every position up to 24, then every thirteenth: each kind's early and late moments.
        for skip in (0..count).filter(|&s| s < 24 || s % 13 == 0) {
            let faults: &[Fault] = if op == Op::Write { &[Fault::Io, Fault::ShortWrite] } else { &[Fault::Io, Fault::NoSpace] };
            for &fault in faults {
                let what = format!("{op:?} #{skip} fails with {fault:?}");
                let work = temp();
                let mut out = Outcome::default();
                {
                    let guard = arm(work.path(), Some(Plan { op, skip, fault, sticky: false }));
                    // Opening may itself hit the fault (it creates the log file): that error
                    // must be clean too, and then nothing was acknowledged.
                    match Db::open_with(work.path(), options()) {
                        Ok(db) => workload(&db, 0, BATCHES, &mut out),
                        Err(e) => out.error = Some(e),
                    }
                    if guard.fired() > 0 {
                        fired += 1;
                        // A fault on the write path must be reported. (One that hits cleanup
                        // of a file nobody needs, such as removing a retired segment, may be
                        // logged and skipped; the checks below still hold.)
                        if let Some(e) = &out.error {
                            let text = e.to_string();
                            assert!(text.contains(work.path().to_str().unwrap()) || text.contains("I/O"), "{what}: unclear error {text}");
                        }
                    }
                }
                checked += verify(work.path(), &out, &what);
                cases += 1;
            }
        }
    }
    println!("fault injection: {cases} cases, {fired} faults fired, {checked} acknowledged batches checked");
    assert!(fired > 100, "too few faults fired ({fired}): the seam is not on the write path");
}

#[test]
fn an_fsync_error_stops_the_write_path_until_reopen() {
    let work = temp();
    let db = open(work.path(), Options { background_seal: false, ..Options::default() });
    db.append("inference", numbered_batch(0)).unwrap();
    let guard = arm(work.path(), Some(Plan { op: Op::Sync, skip: 0, fault: Fault::Io, sticky: false }));
    let e = db.append("inference", numbered_batch(1)).expect_err("the fsync failed");
    assert!(e.to_string().contains("fdatasync"), "{e}");
    guard.heal();
    // The kernel may have dropped the dirty pages: retrying the fsync could report success for
    // data that is gone. Every later write fails until the database is reopened.
    let again = db.append("inference", numbered_batch(2)).expect_err("the log is poisoned");
    assert!(matches!(again, seamdb::storage::Error::Poisoned(_)), "{again}");
    drop(db);
    drop(guard);
    let out = Outcome { acked: vec![0], ..Outcome::default() };
    verify(work.path(), &out, "after a failed fsync");
}

#[test]
fn a_full_disk_is_a_clear_error_and_ingest_resumes_once_space_is_freed() {
    for background_seal in [false, true] {
        let work = temp();
        let db = open(work.path(), Options { seal_rows: 600, compact_rows: 2400, background_seal, ..Options::default() });
        let mut out = Outcome::default();
        workload(&db, 0, 10, &mut out);
        assert!(out.error.is_none());
        // Twenty writes from now on, every write under the directory fails: the disk is full.
        let guard = arm(work.path(), Some(Plan { op: Op::Write, skip: 20, fault: Fault::NoSpace, sticky: true }));
        let mut k = 10;
        let error = loop {
            assert!(k < 200, "no error although every write fails");
            if let Err(e) = db.append("inference", numbered_batch(k)) {
                break e;
            }
            out.acked.push(k);
            k += 1;
            if let Err(e) = db.flush() {
                break e;
            }
        };
        assert!(error.to_string().contains("No space left on device"), "unclear: {error}");
        // Nothing breaks while the disk stays full: each try is refused the same way.
        for _ in 0..3 {
            match db.append("inference", numbered_batch(k)) {
                Ok(()) => {
                    out.acked.push(k);
                    k += 1;
                    assert!(db.flush().is_err(), "sealing works on a full disk");
                }
                Err(e) => assert!(e.to_string().contains("No space left on device"), "{e}"),
            }
        }
        // Space is freed: ingest goes on in the same process, without a reopen.
        guard.heal();
        let mut resumed = Outcome::default();
        workload(&db, 200, 230, &mut resumed);
        assert!(resumed.error.is_none(), "after space was freed: {:?}", resumed.error.map(|e| e.to_string()));
        out.acked.extend(resumed.acked);
        out.floor = out.floor.max(resumed.floor);
        drop(db);
        drop(guard);
        verify(work.path(), &out, &format!("disk full (background seal: {background_seal})"));
    }
}

/// A database whose only log file holds numbered batches 0..20 with the record of batch
/// `damaged` hit by a flipped payload byte (issue 11, item 3): open refuses it.
fn damaged_log(dir: &Path, damaged: usize) {
    let db = open(dir, Options { seal_rows: 1 << 20, background_seal: false, ..Options::default() });
    for k in 0..20 {
        db.append("inference", numbered_batch(k)).unwrap();
    }
    drop(db);
    let wal =
        std::fs::read_dir(dir.join("wal")).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "wal")).unwrap();
    let mut bytes = std::fs::read(&wal).unwrap();
    let pos = crate::support::wal_records(&bytes)[damaged].0;
    bytes[pos + 12] ^= 0x20;
    std::fs::write(&wal, bytes).unwrap();
    assert!(matches!(Db::open_with(dir, options()), Err(seamdb::storage::Error::Corrupt { .. })));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// `seam recover` with each of its file operations failing in turn (the damaged record first
/// in its file, and in the middle): the error reaches the caller; open then either still
/// refuses the damaged file or serves every kept batch; a second recover finishes the job
/// and loses nothing more than the damaged batch.
#[test]
fn recover_under_every_failing_operation_loses_nothing_more() {
    let (mut cases, mut fired) = (0, 0);
    for damaged in [0usize, 9] {
        let template = temp();
        damaged_log(template.path(), damaged);
        let census = {
            let work = temp();
            copy_dir(template.path(), work.path());
            let guard = arm(work.path(), None);
            seamdb::storage::recover(work.path()).unwrap();
            Op::ALL.iter().map(|&op| (op, guard.count(op))).collect::<Vec<_>>()
        };
        let kept: Vec<u64> = (0..20).filter(|&k| k != damaged as u64).collect();
        for (op, count) in census {
            for skip in 0..count {
                for fault in [Fault::Io, if op == Op::Write { Fault::ShortWrite } else { Fault::NoSpace }] {
                    let what = format!("recover (batch {damaged} damaged): {op:?} #{skip} fails with {fault:?}");
                    let work = temp();
                    copy_dir(template.path(), work.path());
                    {
                        let guard = arm(work.path(), Some(Plan { op, skip, fault, sticky: false }));
                        let result = seamdb::storage::recover(work.path());
                        assert_eq!(guard.fired(), 1, "{what}");
                        fired += 1;
                        let e = result.expect_err(&what).to_string();
                        assert!(e.contains(work.path().to_str().unwrap()), "{what}: unclear error {e}");
                    }
                    match Db::open_with(work.path(), options()) {
                        Ok(db) => drop(assert_numbered(&db.snapshot(), "inference", &kept, 0, &what)),
                        Err(e) => assert!(matches!(e, seamdb::storage::Error::Corrupt { .. }), "{what}: {e}"),
                    }
                    seamdb::storage::recover(work.path()).unwrap_or_else(|e| panic!("{what}: second recover: {e}"));
                    let present = verify(work.path(), &Outcome { acked: kept.clone(), ..Outcome::default() }, &what);
                    assert_eq!(present, kept.len());
                    let db = open(work.path(), options());
                    assert!(!crate::support::numbered_present(&db.snapshot(), "inference").contains_key(&(damaged as u64)), "{what}");
                    cases += 1;
                }
            }
        }
    }
    println!("recover fault injection: {cases} cases, {fired} faults fired");
    assert!(cases > 30, "too few cases ({cases})");
}
