//! Kill -9 loop: a child process appends predictions and their labels (a stored join of the
//! two maintained throughout), seals, compacts, applies retention and creates and drops SLO
//! definitions as fast as it can, and records each acknowledged batch and SLO; the parent SIGKILLs it at random moments, checks the
//! directory (`seam check`: no damage, every join file as a rebuild gives it), reads it
//! read-only as another process would, then reopens it for writing, and each time checks
//! that every acknowledged batch not yet due for retention is there whole, that no batch is
//! there in part, that the stored join answers as a hash join, and that every acknowledged
//! SLO definition not being dropped is there whole. SEAM_CRASH_ITERATIONS
//! sets the count (50 in CI; docs/RELIABILITY.md records a long run).

use crate::support::{assert_join_matches_hash, assert_numbered, label_batch, numbered_batch, open, temp};
use seamdb::Options;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

const CHILD_ENV: &str = "SEAM_CRASH_CHILD";
const TEST_NAME: &str = "crash::kill_9_loop_loses_no_acknowledged_batch";

fn iterations() -> usize {
    std::env::var("SEAM_CRASH_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(50)
}

fn options() -> Options {
    Options { seal_rows: 2000, compact_rows: 8000, ..Options::default() }
}

#[test]
fn kill_9_loop_loses_no_acknowledged_batch() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        return writer(Path::new(&dir));
    }
    let seed = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64;
    println!("crash loop seed {seed}");
    let mut rng = seed | 1;
    let work = temp();
    let db_dir = work.path().join("db");
    let mut total_checked = 0;
    for iteration in 0..iterations() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &db_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(Duration::from_millis(30 + rng % 200));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        total_checked += verify(work.path(), &db_dir, iteration, seed);
    }
    println!("crash loop: {} iterations, {total_checked} acknowledged batches checked", iterations());
    assert!(total_checked > 0, "the child never acknowledged a batch");
}

/// Returns how many acknowledged batches were checked.
fn verify(work: &Path, db_dir: &Path, iteration: usize, seed: u64) -> usize {
    // Only whole lines count: the child may die in the middle of writing one.
    let numbers = |name: &str| -> Vec<u64> {
        let text = std::fs::read_to_string(work.join(name)).unwrap_or_default();
        text.split_inclusive('\n').filter(|l| l.ends_with('\n')).map(|l| l.trim().parse().unwrap()).collect()
    };
    // Each retention bound is recorded before it is applied, so the highest is an upper bound.
    let floor = numbers("retained").into_iter().max().unwrap_or(0);
    let what = format!("iteration {iteration} (seed {seed})");
    if db_dir.join("MANIFEST").exists() {
        let report = seamdb::storage::check(db_dir).unwrap();
        assert!(report.is_ok(), "{what}: {:?}", report.damaged);
        // A reader in another process sees the crashed database as the writer will: every
        // acknowledged batch, torn tail and all, before any recovery has touched it.
        let reader = seamdb::Db::open_read_only(db_dir).unwrap();
        assert_join_matches_hash(&reader, &format!("{what}, read-only"));
        assert_numbered(&reader.snapshot(), "inference", &numbers("acked"), floor, &format!("{what}, read-only"));
    }
    let db = open(db_dir, Options { background_seal: false, ..options() });
    assert_join_matches_hash(&db, &what);
    // SLO definitions: every acknowledged one is there, whole, unless a drop of it was begun.
    let dropping = numbers("slo-dropping");
    for k in numbers("slo-created").into_iter().filter(|k| !dropping.contains(k)) {
        let stored = db.snapshot().slo(&format!("slo_{k}")).map(|s| s.text.clone());
        assert_eq!(stored.as_deref(), Some(slo_text(k).as_str()), "{what}: SLO {k}");
    }
    assert_numbered(&db.snapshot(), "inference", &numbers("acked"), floor, &what)
}

/// The child: appends numbered batches forever, recording each acknowledgement; now and
/// then seals, compacts, or drops the batches more than 100 behind.
fn writer(dir: &Path) {
    let db = open(dir, options());
    let work = dir.parent().unwrap();
    let acked_path = work.join("acked");
    let start = std::fs::read_to_string(&acked_path)
        .ok()
        .and_then(|t| t.lines().filter_map(|l| l.trim().parse::<u64>().ok()).max())
        .map_or(0, |k| k + 1);
    let append = |name: &str| std::fs::OpenOptions::new().create(true).append(true).open(work.join(name)).unwrap();
    let (mut acked, mut retained) = (append("acked"), append("retained"));
    let (mut slo_created, mut slo_dropping) = (append("slo-created"), append("slo-dropping"));
    // Batches stored but never recorded (killed between ack and record) must not repeat.
    let mut k = start.max(next_free(&db));
    let mut stored = false;
    loop {
        db.append("inference", numbered_batch(k)).unwrap();
        // One write call per line, so a kill cannot split a number from its newline.
        acked.write_all(format!("{k}\n").as_bytes()).unwrap();
        if k >= 2 {
            db.append("labels", label_batch(k - 2)).unwrap();
        }
        if k >= 2 && !stored {
            stored = true;
            db.store_join("inference", "labels").unwrap();
        }
        match k % 40 {
            13 => db.flush().unwrap(),
            21 => {
                db.create_slo(&format!("slo_{k}"), &slo_text(k), false).unwrap();
                slo_created.write_all(format!("{k}\n").as_bytes()).unwrap();
            }
            29 => drop(db.compact().unwrap()),
            33 if k >= 40 => {
                // Recorded before it starts: a drop cut short may or may not have happened.
                slo_dropping.write_all(format!("{}\n", k - 52).as_bytes()).unwrap();
                db.drop_slo(&format!("slo_{}", k - 52)).unwrap();
            }
            37 if k > 100 => {
                retained.write_all(format!("{}\n", k - 100).as_bytes()).unwrap();
                db.retain("inference", ((k - 100) * 1000) as i64).unwrap();
                db.retain("labels", ((k - 110) * 1000) as i64).unwrap();
            }
            _ => {}
        }
        k += 1;
    }
}

/// The definition the child stores as SLO `slo_k` (storage keeps it opaque).
fn slo_text(k: u64) -> String {
    format!("SELECT count() AS n FROM inference WHERE k >= {k} GROUP BY window(1h) EXPECT n > {}", k % 7)
}

/// One past the highest batch number stored.
fn next_free(db: &seamdb::Db) -> u64 {
    let snap = db.snapshot();
    let Some(c) = snap.component("inference") else {
        return 0;
    };
    c.parts().flat_map(|p| p.trace_ids().iter().map(|&t| (t >> 32) as u64 + 1).collect::<Vec<_>>()).max().unwrap_or(0)
}
