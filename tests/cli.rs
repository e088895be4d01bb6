//! The `seam` binary end to end: exit codes, one-line errors, and what each command prints.

use crate::support::{seam, temp};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn stats_json(db: &Path) -> serde_json::Value {
    let out = seam().args(["stats", db.to_str().unwrap(), "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn ingest_stats_trace_compact_check() {
    let work = temp();
    let db = work.path().join("db");
    let csv =
        write(work.path(), "inference.csv", "trace_id,time,score,country\n1,2026-01-05T00:00:00Z,0.9,US\n2,2026-01-05T00:01:00Z,0.2,DE\n");
    let jsonl = write(work.path(), "feedback.jsonl", "{\"trace_id\":1,\"time\":\"2026-01-05T02:00:00Z\",\"label\":1}\n");
    let out = seam().args(["ingest", db.to_str().unwrap(), "--component", "inference", csv.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ingested 2 rows") && stdout.contains("rows/s"), "{stdout}");
    let out = seam().args(["ingest", db.to_str().unwrap(), "-c", "feedback", jsonl.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let stats = stats_json(&db);
    let components = stats["components"].as_array().unwrap();
    let rows: Vec<(String, u64)> =
        components.iter().map(|c| (c["name"].as_str().unwrap().to_string(), c["rows"].as_u64().unwrap())).collect();
    assert_eq!(rows, [("feedback".to_string(), 1), ("inference".to_string(), 2)]);

    let out = seam().args(["trace", db.to_str().unwrap(), "00000000-0000-0000-0000-000000000001"]).output().unwrap();
    assert!(out.status.success());
    let events: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let components: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["component"].as_str().unwrap()).collect();
    assert_eq!(components, ["inference", "feedback"], "ordered by time");
    assert_eq!(events[0]["score"], 0.9);
    assert_eq!(events[1]["label"], 1);

    let out = seam().args(["query", db.to_str().unwrap(), "SHOW COMPONENTS", "--format", "json"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = shown.as_array().unwrap().iter().map(|c| c["component"].as_str().unwrap()).collect();
    assert_eq!(names, ["feedback", "inference"], "one JSON array of objects");
    let out = seam().args(["query", db.to_str().unwrap(), "DESCRIBE nothing"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("no component"));

    assert!(seam().args(["compact", db.to_str().unwrap()]).status().unwrap().success());
    let out = seam().args(["check", db.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn bad_input_exits_non_zero_with_line_and_column_and_stores_nothing() {
    let work = temp();
    let db = work.path().join("db");
    let csv = write(work.path(), "bad.csv", "trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n2,yesterday,0.7\n");
    let out = seam().args(["ingest", db.to_str().unwrap(), "--component", "inference", csv.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("line 3, column 2") && stderr.contains("nothing was stored"), "{stderr}");
    assert_eq!(stats_json(&db)["components"].as_array().unwrap().len(), 0);
}

#[test]
fn check_names_each_damaged_file_and_exits_non_zero() {
    let work = temp();
    let db = work.path().join("db");
    let csv = write(work.path(), "in.csv", "trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n");
    for component in ["a", "b"] {
        assert!(seam().args(["ingest", db.to_str().unwrap(), "-c", component, csv.to_str().unwrap()]).status().unwrap().success());
    }
    let segments: Vec<_> = std::fs::read_dir(db.join("segments")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(segments.len(), 2);
    for seg in &segments {
        let mut bytes = std::fs::read(seg).unwrap();
        bytes[200] ^= 1;
        std::fs::write(seg, bytes).unwrap();
    }
    let out = seam().args(["check", db.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for seg in &segments {
        assert!(stderr.contains(&seg.display().to_string()), "{stderr}");
    }
    assert!(stderr.contains("2 damaged file(s)"), "{stderr}");
    let out = seam().args(["stats", db.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success(), "a damaged segment is never served");
}

#[test]
fn every_command_has_help_and_unknown_paths_fail_cleanly() {
    for cmd in ["demo", "ingest", "query", "stats", "check", "recover", "trace", "compact"] {
        let out = seam().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Usage"), "{cmd}");
    }
    let out = seam().args(["stats", "/nonexistent/seam-db"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));
}

#[test]
fn demo_runs_on_a_small_deployment() {
    let work = temp();
    let db = work.path().join("demo");
    let out = seam().args(["demo", db.to_str().unwrap(), "--rows", "20000"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let story = String::from_utf8_lossy(&out.stdout);
    for finding in ["BR fell most", "It falls on 2026-01-08", "feature_age drifts", "feature_income is stable", "labelled"] {
        assert!(story.contains(finding), "the demo does not say {finding:?}:\n{story}");
    }
    let stats = stats_json(&db);
    let inference = stats["components"].as_array().unwrap().iter().find(|c| c["name"] == "inference").unwrap();
    assert_eq!(inference["rows"], 20000);
}

/// Issue 11, item 3, end to end: 20 acknowledged batches of 100 rows, a flipped byte in the
/// payload of record 10 of the newest log file. `stats` must refuse (it used to show 1,000
/// rows and exit 0); `check` calls it damage; `recover` keeps the other 1,900 rows.
#[test]
fn recover_salvages_bit_rot_in_the_newest_log() {
    let work = temp();
    let db = work.path().join("db");
    {
        let options = seamdb::Options { seal_rows: 1 << 20, background_seal: false, ..seamdb::Options::default() };
        let db = seamdb::Db::open_with(&db, options).unwrap();
        for k in 0..20u64 {
            let mut b = seamdb::BatchBuilder::new();
            for i in 0..100 {
                b.push((k * 100 + i) as u128, i as i64, &[("score", seamdb::Value::Float(i as f64))]).unwrap();
            }
            db.append("inference", b.finish().unwrap()).unwrap();
        }
    }
    let wal =
        std::fs::read_dir(db.join("wal")).unwrap().map(|e| e.unwrap().path()).find(|p| p.extension().is_some_and(|e| e == "wal")).unwrap();
    let mut bytes = std::fs::read(&wal).unwrap();
    let mut pos = 16;
    for _ in 0..9 {
        pos += 8 + u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
    }
    bytes[pos + 100] ^= 0x01;
    std::fs::write(&wal, &bytes).unwrap();

    let out = seam().args(["stats", db.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a damaged log is not served");
    assert!(stderr.contains(&wal.display().to_string()) && stderr.contains(&format!("offset {pos}")), "{stderr}");
    assert!(stderr.contains("seam recover"), "the error says what to do: {stderr}");
    let out = seam().args(["check", db.to_str().unwrap()]).output().unwrap();
    assert!(!out.status.success(), "check calls it damage");

    let out = seam().args(["recover", db.to_str().unwrap()]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for line in ["lost: 1 record(s), 100 rows of component \"inference\"", "kept: 19 records (1900 rows)", "moved aside:", "damaged"] {
        assert!(stdout.contains(line), "recover does not say {line:?}:\n{stdout}");
    }
    assert!(db.join("damaged").join(wal.file_name().unwrap()).is_file());
    let components = stats_json(&db)["components"].clone();
    assert_eq!(components[0]["rows"], 1900, "{components}");
    assert!(seam().args(["check", db.to_str().unwrap()]).status().unwrap().success());
    let out = seam().args(["recover", db.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("nothing to recover"));
}
