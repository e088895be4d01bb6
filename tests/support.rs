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
