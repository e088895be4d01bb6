//! Shared helpers: temporary databases, the `seam` binary, and a plain in-memory model of
//! what a database should hold.

use seamdb::storage::{Part, Snapshot};
use seamdb::{Db, Options, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

/// Options that seal small tails on the caller's thread, so tests are deterministic.
pub fn small_options() -> Options {
    Options { seal_rows: 64, background_seal: false, ..Options::default() }
}

/// One event as plain data: (trace ID, time, fields sorted by name, nulls left out).
pub type Row = (u128, i64, Vec<(String, Value)>);

/// Every event of `component` in `snapshot`, sorted, as plain rows. Values of parts written
/// before a field widened to float are widened here, as readers must.
pub fn rows_of(snapshot: &Snapshot, component: &str) -> Vec<Row> {
    let Some(c) = snapshot.component(component) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for part in c.parts() {
        collect_part(&part, c.schema(), &mut out);
    }
    sort_rows(&mut out);
    out
}

fn collect_part(part: &Part<'_>, schema: &seamdb::Schema, out: &mut Vec<Row>) {
    for r in 0..part.rows() {
        let mut fields = Vec::new();
        for (name, ty) in schema.fields() {
            let v = part.field(name).map_or(Value::Null, |f| f.value(r));
            let v = match (v, ty) {
                (Value::Int(i), seamdb::FieldType::Float) => Value::Float(i as f64),
                (v, _) => v,
            };
            if v != Value::Null {
                fields.push((name.clone(), v));
            }
        }
        out.push((part.trace_ids()[r], part.times()[r], fields));
    }
}

pub fn sort_rows(rows: &mut [Row]) {
    for r in rows.iter_mut() {
        r.2.sort_by(|a, b| a.0.cmp(&b.0));
    }
    rows.sort_by(|a, b| (a.0, a.1, format!("{:?}", a.2)).cmp(&(b.0, b.1, format!("{:?}", b.2))));
}

/// The `seam` binary of this build, built on first use.
pub fn seam() -> Command {
    Command::new(seam_path())
}

/// Where the `seam` binary of this build is (built on first use).
pub fn seam_path() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // The test executable lives in target/<profile>/deps; seam goes to target/<profile>.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe.parent().and_then(Path::parent).expect("target directory").to_owned();
        let mut args = vec!["build", "--quiet", "-p", "seamdb-cli", "--bin", "seam"];
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            args.push("--release");
        }
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status =
            Command::new(cargo).args(&args).current_dir(env!("CARGO_MANIFEST_DIR")).status().expect("run cargo build for the seam binary");
        assert!(status.success(), "building seam failed");
        profile_dir.join("seam")
    })
}

/// Opens `dir` with `options`, failing the test with the error if it cannot.
pub fn open(dir: &Path, options: Options) -> Db {
    Db::open_with(dir, options).unwrap_or_else(|e| panic!("open {}: {e}", dir.display()))
}

/// The numbered workload of the crash and fault tests: batch `k` has `numbered_rows(k)` rows
/// with trace IDs `k << 32 | i`, times `k * 1000 + i` and a field `k`, so every row names
/// its batch, and retention at `k * 1000` drops exactly the batches before `k`.
pub fn numbered_batch(k: u64) -> seamdb::Batch {
    let mut b = seamdb::BatchBuilder::new();
    for i in 0..numbered_rows(k) {
        let values = [("k", Value::Int(k as i64)), ("score", Value::Float(i as f64 / 300.0))];
        b.push((k as u128) << 32 | i as u128, (k * 1000 + i as u64) as i64, &values).unwrap();
    }
    b.finish().unwrap()
}

/// Labels for numbered batch `k`: an event for every other row of it, 500 µs after the row,
/// with a label that varies from row to row (so a join that picks a wrong row shows).
pub fn label_batch(k: u64) -> seamdb::Batch {
    let mut b = seamdb::BatchBuilder::new();
    for i in (0..numbered_rows(k)).step_by(2) {
        b.push(
            (k as u128) << 32 | i as u128,
            (k * 1000 + i as u64) as i64 + 500,
            &[("label", Value::Int(((k as usize + i / 2) % 5) as i64))],
        )
        .unwrap();
    }
    b.finish().unwrap()
}

/// The join of `inference` with `labels` answers the same through the stored join as through
/// a per-query hash join.
pub fn assert_join_matches_hash(db: &seamdb::Db, what: &str) {
    use seamdb::query::{execute_with, parse, JoinStrategy, Options};
    let text =
        "SELECT count(labels.label) AS n, sum(labels.label) AS s, max(labels.time) AS t, min(labels.time) AS u FROM inference JOIN labels";
    let snapshot = db.snapshot();
    if snapshot.component("inference").is_none() || snapshot.component("labels").is_none() {
        // Stopped before both sides existed: nothing to join, and nothing stored.
        assert_eq!(snapshot.stored_joins().count(), 0, "{what}");
        return;
    }
    let statement = parse(text).unwrap();
    let run = |join| execute_with(&statement, &db.snapshot(), &Options { join, ..Options::default() }).unwrap();
    assert_eq!(run(JoinStrategy::Stored), run(JoinStrategy::Hash), "{what}: the stored join differs from a hash join");
}

pub fn numbered_rows(k: u64) -> usize {
    1 + (k as usize * 37) % 300
}

/// Rows present per batch number in `component`; every row must belong to its batch.
pub fn numbered_present(snapshot: &Snapshot, component: &str) -> std::collections::BTreeMap<u64, usize> {
    let mut present = std::collections::BTreeMap::new();
    for part in snapshot.component(component).iter().flat_map(|c| c.parts()) {
        let k = part.field("k").expect("every row has k");
        for r in 0..part.rows() {
            let Value::Int(k) = k.value(r) else { panic!("k is null") };
            assert_eq!(part.trace_ids()[r] >> 32, k as u128, "row belongs to its batch");
            *present.entry(k as u64).or_default() += 1;
        }
    }
    present
}

/// Asserts that no batch is present in part, and that every acknowledged batch numbered
/// `floor` or more (retention may have dropped older ones) is present. Returns how many
/// acknowledged batches were checked.
pub fn assert_numbered(snapshot: &Snapshot, component: &str, acked: &[u64], floor: u64, what: &str) -> usize {
    let present = numbered_present(snapshot, component);
    for (&k, &n) in &present {
        assert_eq!(n, numbered_rows(k), "{what}: batch {k} is present in part");
    }
    let checked: Vec<u64> = acked.iter().copied().filter(|&k| k >= floor).collect();
    for k in &checked {
        assert!(present.contains_key(k), "{what}: acknowledged batch {k} is missing");
    }
    checked.len()
}

/// The batch records of a log file's bytes, as (start, end) offsets, in order: the frames
/// after the 16-byte header, less the 17-byte sync marks between them (docs/FORMAT.md §WAL).
pub fn wal_records(bytes: &[u8]) -> Vec<(usize, usize)> {
    let (mut pos, mut out) = (16, Vec::new());
    while pos + 9 <= bytes.len() {
        let end = pos + 8 + u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        if bytes[pos + 8] != 2 {
            out.push((pos, end));
        }
        pos = end;
    }
    out
}
