//! Readers in other processes (SPEC §3): read-only opens racing a writer that seals,
//! compacts, applies retention and rotates, retires and reuses log files all the time. Every
//! batch acknowledged before a reader opened is there and whole, nothing is there in part or
//! twice, and what retention removed is a prefix.

use crate::support::{assert_join_matches_hash, label_batch, numbered_batch, numbered_present, numbered_rows, seam, temp};
use seamdb::{Db, Options};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A seal every few batches, compaction of everything, a new log file every few records.
fn busy_options() -> Options {
    Options { seal_rows: 400, compact_rows: 2_000, background_seal: false, wal_file_bytes: 8 << 10, ..Options::default() }
}

/// Sets its flag when dropped: a writer thread then stops also when a reader's assertion
/// panics, instead of keeping the test's scope from ending.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Checks what a reader holds against the number of batches acknowledged before it opened:
/// the batches present are whole, form one run `lo..hi` with `hi` at least `acked`, and the
/// component's row count, a query's count and the stored join agree with them. Returns `lo`.
fn check_reader(db: &Db, acked: u64, what: &str) -> u64 {
    let snapshot = db.snapshot();
    let present = numbered_present(&snapshot, "inference");
    for (&k, &n) in &present {
        assert_eq!(n, numbered_rows(k), "{what}: batch {k} is present in part (or twice)");
    }
    let (lo, hi) = match (present.keys().next(), present.keys().last()) {
        (Some(&lo), Some(&hi)) => (lo, hi + 1),
        _ => (0, 0),
    };
    assert_eq!(present.len() as u64, hi - lo, "{what}: batches {lo}..{hi} have a gap");
    assert!(hi >= acked, "{what}: {acked} batches acknowledged before the open, the reader has up to {hi}");
    let rows: usize = present.values().sum();
    assert_eq!(snapshot.component("inference").map_or(0, |c| c.rows()), rows, "{what}");
    if snapshot.component("inference").is_none() {
        // Opened before the writer's first append: nothing to count or join yet (the query
        // would name the missing component).
        assert_eq!(acked, 0, "{what}");
        return lo;
    }
    let counted = seamdb::query::run(&seamdb::query::parse("SELECT count() AS n FROM inference").unwrap(), db).unwrap();
    assert_eq!(counted.rows[0][0], seamdb::query::Cell::Int(rows as i64), "{what}");
    assert_join_matches_hash(db, what);
    lo
}

#[test]
fn readers_racing_a_writer_that_seals_compacts_and_retains_see_every_acknowledged_batch_whole() {
    let dir = temp();
    let writer = Db::open_with(dir.path(), busy_options()).unwrap();
    let (acked, stop) = (AtomicU64::new(0), AtomicBool::new(false));
    let (opens, retained) = std::thread::scope(|s| {
        let writing = s.spawn(|| {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                writer.append("inference", numbered_batch(k)).unwrap();
                writer.append("labels", label_batch(k)).unwrap();
                acked.store(k + 1, Ordering::SeqCst);
                if k == 3 {
                    writer.store_join("inference", "labels").unwrap();
                }
                if k % 9 == 8 {
                    writer.compact().unwrap();
                }
                if k % 13 == 12 {
                    // Retention drops the batches before k - 20: always a prefix.
                    writer.retain("inference", (k as i64 - 20) * 1000).unwrap();
                }
                k += 1;
            }
        });
        let stopping = StopOnDrop(&stop);
        let (started, mut opens, mut retained) = (Instant::now(), 0, false);
        while opens < 25 || started.elapsed() < Duration::from_secs(2) {
            let before = acked.load(Ordering::SeqCst);
            let reader = Db::open_read_only(dir.path()).unwrap_or_else(|e| panic!("read-only open {opens}: {e}"));
            retained |= check_reader(&reader, before, &format!("open {opens} ({before} acknowledged)")) > 0;
            opens += 1;
            if started.elapsed() > Duration::from_secs(8) {
                break;
            }
        }
        drop(stopping);
        writing.join().unwrap();
        (opens, retained)
    });
    assert!(opens >= 10 && retained, "{opens} opens; retention seen: {retained}");
    let final_count = acked.load(Ordering::SeqCst);
    drop(writer);
    check_reader(&Db::open_read_only(dir.path()).unwrap(), final_count, "after the writer closed");
}

/// `seam query`, `seam stats` and `seam check` in their own processes while `seam serve`
/// in another one takes appends (and seals, on FLUSH): each query counts at least the rows
/// acknowledged before it started.
#[test]
fn seam_query_counts_every_row_acknowledged_before_it_started_while_seam_serve_writes() {
    let dir = temp();
    let db = dir.path().join("db");
    let (mut child, _, mut client) = crate::server::serve_process_with(&db, &[]);
    let (acked_rows, stop) = (AtomicU64::new(0), AtomicBool::new(false));
    std::thread::scope(|s| {
        let writing = s.spawn(|| {
            let mut k = 0;
            while !stop.load(Ordering::SeqCst) {
                let n = client.append_batch("inference", &numbered_batch(k)).unwrap();
                acked_rows.fetch_add(n, Ordering::SeqCst);
                if k % 10 == 9 {
                    client.flush().unwrap();
                }
                k += 1;
            }
        });
        let stopping = StopOnDrop(&stop);
        let db = db.to_str().unwrap();
        for i in 0..8 {
            let before = acked_rows.load(Ordering::SeqCst);
            let out = seam().args(["query", db, "SELECT count() AS n FROM inference", "--format", "csv"]).output().unwrap();
            assert!(out.status.success(), "query {i}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&out.stdout);
            let n: u64 = text.lines().nth(1).and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("query {i}: {text}"));
            assert!(n >= before, "query {i}: counted {n} rows, {before} acknowledged before it started");
        }
        for args in [&["stats", db][..], &["check", db], &["trace", db, "1"]] {
            let out = seam().args(args).output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        drop(stopping);
        writing.join().unwrap();
    });
    let _ = child.kill();
    let _ = child.wait();
}
