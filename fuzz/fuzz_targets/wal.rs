//! A write-ahead-log file of arbitrary bytes (checksums accepted: built with `--cfg fuzzing`)
//! in an otherwise empty database: opening replays what decodes (a torn tail is cut and
//! reported) or fails with an error; `check` reports instead of panicking. Then the same
//! bytes go to `recover`, which must not panic either, must keep at least every record
//! replay accepted (a damaged stretch is never a reason to drop what is whole before it),
//! and must leave a log that opens serving at least the rows replay served.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fn with_log(data: &[u8]) -> std::path::PathBuf {
    let dir = seamdb_fuzz::scratch();
    std::fs::create_dir_all(dir.join("wal")).unwrap();
    std::fs::write(dir.join("wal").join(format!("{:020}.wal", 1)), data).unwrap();
    dir
}

/// Rows served per component.
fn rows(dir: &Path) -> Option<Vec<(String, usize)>> {
    let db = seamdb_storage::Db::open(dir).ok()?;
    let snapshot = db.snapshot();
    seamdb_fuzz::touch(&snapshot);
    Some(snapshot.components().map(|c| (c.name().to_string(), c.rows())).collect())
}

fuzz_target!(|data: &[u8]| {
    let replay_dir = with_log(data);
    let _ = seamdb_storage::check(&replay_dir);
    let replayed = seamdb_storage::Db::open(&replay_dir).ok().map(|db| db.recovery_report().wal.records);
    let served = rows(&replay_dir);
    let dir = with_log(data);
    let Ok(report) = seamdb_storage::recover(&dir) else { return };
    if let Some(records) = replayed {
        assert!(report.records_kept >= records, "replay accepted {records} records, recover kept {}", report.records_kept);
    }
    if let (Some(before), Some(after)) = (served, rows(&dir)) {
        for (component, n) in before {
            let kept = after.iter().find(|(c, _)| *c == component).map_or(0, |(_, m)| *m);
            assert!(kept >= n, "{component}: replay served {n} rows, recover left {kept}");
        }
    }
});
