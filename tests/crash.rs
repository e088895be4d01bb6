//! Kill -9 loop: a child process appends, seals and compacts as fast as it can and records
//! each acknowledged batch; the parent SIGKILLs it at random moments, reopens the database
//! and checks that every acknowledged batch is there whole and no batch is there in part.

use crate::support::{open, temp};
use seamdb::{BatchBuilder, Options, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

const CHILD_ENV: &str = "SEAM_CRASH_CHILD";
const TEST_NAME: &str = "crash::kill_9_loop_loses_no_acknowledged_batch";

fn iterations() -> usize {
    std::env::var("SEAM_CRASH_ITERATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(50)
}

fn batch_rows(k: u64) -> usize {
    1 + (k as usize * 37) % 300
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
    assert!(total_checked > 0, "the child never acknowledged a batch");
}

/// Returns how many acknowledged batches were checked.
fn verify(work: &Path, db_dir: &Path, iteration: usize, seed: u64) -> usize {
    let acked_text = std::fs::read_to_string(work.join("acked")).unwrap_or_default();
    // Only whole lines count: the child may die in the middle of writing one.
    let acked: Vec<u64> = acked_text.split_inclusive('\n').filter(|l| l.ends_with('\n')).map(|l| l.trim().parse().unwrap()).collect();
    let db = open(db_dir, Options { background_seal: false, ..options() });
    let snap = db.snapshot();
    let mut present: BTreeMap<u64, usize> = BTreeMap::new();
    if let Some(c) = snap.component("inference") {
        for part in c.parts() {
            let k = part.field("k").expect("every row has k");
            for r in 0..part.rows() {
                let Value::Int(k) = k.value(r) else { panic!("k is null") };
                assert_eq!(part.trace_ids()[r] >> 32, k as u128, "row belongs to its batch");
                *present.entry(k as u64).or_default() += 1;
            }
        }
    }
    for (&k, &n) in &present {
        assert_eq!(n, batch_rows(k), "iteration {iteration} (seed {seed}): batch {k} is present in part");
    }
    for k in &acked {
        assert!(present.contains_key(k), "iteration {iteration} (seed {seed}): acknowledged batch {k} is missing");
    }
    acked.len()
}

/// The child: appends numbered batches forever, recording each acknowledgement.
fn writer(dir: &Path) {
    let db = open(dir, options());
    let acked_path = dir.parent().unwrap().join("acked");
    let start = std::fs::read_to_string(&acked_path)
        .ok()
        .and_then(|t| t.lines().filter_map(|l| l.trim().parse::<u64>().ok()).max())
        .map_or(0, |k| k + 1);
    let mut acked = std::fs::OpenOptions::new().create(true).append(true).open(&acked_path).unwrap();
    // Batches stored but never recorded (killed between ack and record) must not repeat.
    let mut k = start.max(next_free(&db));
    loop {
        let mut b = BatchBuilder::new();
        for i in 0..batch_rows(k) {
            b.push(
                (k as u128) << 32 | i as u128,
                (k * 1000 + i as u64) as i64,
                &[("k", Value::Int(k as i64)), ("score", Value::Float(i as f64 / 300.0))],
            )
            .unwrap();
        }
        db.append("inference", b.finish().unwrap()).unwrap();
        // One write call per line, so a kill cannot split a number from its newline.
        acked.write_all(format!("{k}\n").as_bytes()).unwrap();
        match k % 40 {
            13 => db.flush().unwrap(),
            29 => drop(db.compact().unwrap()),
            _ => {}
        }
        k += 1;
    }
}

/// One past the highest batch number stored.
fn next_free(db: &seamdb::Db) -> u64 {
    let snap = db.snapshot();
    let Some(c) = snap.component("inference") else {
        return 0;
    };
    c.parts().flat_map(|p| p.trace_ids().iter().map(|&t| (t >> 32) as u64 + 1).collect::<Vec<_>>()).max().unwrap_or(0)
}
