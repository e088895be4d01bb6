//! The `seam` binary end to end: exit codes, one-line errors, and what each command prints.

use crate::support::{seam, temp};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
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
    let out = seam().args(["ingest", db.to_str().unwrap(), "-c", "feedback", "--create", jsonl.to_str().unwrap()]).output().unwrap();
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

    // `seam query` reads only: it answers a join without storing it. A writer's joining
    // query stores it; stats lists the pair and check verifies its file.
    let join = "SELECT count(feedback.label) AS n FROM inference JOIN feedback";
    let out = seam().args(["query", db.to_str().unwrap(), join, "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "n\n1\n");
    assert_eq!(stats_json(&db)["stored_joins"], serde_json::json!([]));
    seamdb::query::run(&seamdb::query::parse(join).unwrap(), &seamdb::Db::open(&db).unwrap()).unwrap();
    let joins = stats_json(&db)["stored_joins"].clone();
    assert_eq!(
        (joins[0]["driving"].as_str(), joins[0]["joined"].as_str(), joins[0]["files"].as_u64()),
        (Some("inference"), Some("feedback"), Some(1))
    );
    assert!(joins[0]["bytes"].as_u64().unwrap() > 64, "{joins}");

    assert!(seam().args(["compact", db.to_str().unwrap()]).status().unwrap().success());
    let out = seam().args(["check", db.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 join files"), "{}", String::from_utf8_lossy(&out.stdout));
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
        assert!(seam()
            .args(["ingest", db.to_str().unwrap(), "-c", component, "--create", csv.to_str().unwrap()])
            .status()
            .unwrap()
            .success());
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
    // Never served: trace 1 is in both segments, so TRACE reads (and verifies) all of both.
    let out = seam().args(["trace", db.to_str().unwrap(), "1"]).output().unwrap();
    assert!(!out.status.success(), "a damaged segment is never served");
    assert!(String::from_utf8_lossy(&out.stderr).contains("damaged at byte offset"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_command_has_help_and_unknown_paths_fail_cleanly() {
    for cmd in ["demo", "ingest", "query", "stats", "check", "recover", "trace", "compact", "retain", "drop"] {
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
    let report = work.path().join("report.html");
    let out = seam().args(["demo", db.to_str().unwrap(), "--rows", "20000", "--report", report.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let story = String::from_utf8_lossy(&out.stdout);
    // At this size the slices are noisy: BR tops the diagnosis from about 100,000 rows on
    // (the default million in the README's run).
    let slo = ["BR is violated most often", "The slice that moved accuracy most", "drifted most from the first day: inference.feature_age"];
    for finding in
        ["BR fell most", "It falls on 2026-01-08", "feature_age drifts", "feature_income is stable", "labelled"].iter().chain(&slo)
    {
        assert!(story.contains(finding), "the demo does not say {finding:?}:\n{story}");
    }
    let stats = stats_json(&db);
    let inference = stats["components"].as_array().unwrap().iter().find(|c| c["name"] == "inference").unwrap();
    assert_eq!(inference["rows"], 20000);
    assert!(std::fs::read_to_string(&report).unwrap().contains("data-slo=\"country_accuracy\""));
    let check = seam().args(["slo", "check", db.to_str().unwrap()]).output().unwrap();
    assert_eq!(check.status.code(), Some(1), "BR's latest day is violated");
}

fn rows_in(db: &Path, component: &str) -> Option<u64> {
    let stats = stats_json(db);
    stats["components"].as_array().unwrap().iter().find(|c| c["name"] == component).map(|c| c["rows"].as_u64().unwrap())
}

/// A work directory, a database path in it (not yet created) and a two-row CSV file.
fn two_rows() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let work = temp();
    let db = work.path().join("db");
    let csv = write(work.path(), "in.csv", "trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n2,2026-01-05T00:01:00Z,0.7\n");
    (work, db, csv)
}

fn ingest_cmd(db: &Path, component: &str, file: &Path, extra: &[&str]) -> std::process::Output {
    seam().args(["ingest", db.to_str().unwrap(), "-c", component, file.to_str().unwrap()]).args(extra).output().unwrap()
}

#[test]
fn the_same_file_twice_is_refused_unless_again_from_a_file_or_standard_input() {
    let (_work, db, csv) = two_rows();
    assert!(ingest_cmd(&db, "inference", &csv, &[]).status.success());
    let out = ingest_cmd(&db, "inference", &csv, &[]);
    assert!(!out.status.success(), "the same bytes were stored twice");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already holds this content") && stderr.contains("--again"), "{stderr}");
    // Standard input is hashed as it is read, and refused at the commit.
    let mut child = seam()
        .args(["ingest", db.to_str().unwrap(), "-c", "inference", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &std::fs::read(&csv).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--again"));
    assert_eq!(rows_in(&db, "inference"), Some(2));
    assert!(ingest_cmd(&db, "inference", &csv, &["--again"]).status.success());
    assert_eq!(rows_in(&db, "inference"), Some(4));
}

#[test]
fn a_new_component_needs_create_once_the_database_has_components() {
    let work = temp();
    let db = work.path().join("db");
    let csv = write(work.path(), "in.csv", "trace_id,time,label\n1,2026-01-05T00:00:00Z,1\n");
    assert!(ingest_cmd(&db, "feedback", &csv, &[]).status.success(), "the first component needs no --create");
    assert!(ingest_cmd(&db, "inference", &csv, &["--create"]).status.success());
    let out = ingest_cmd(&db, "feedbak", &csv, &[]);
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: component \"feedbak\" does not exist (components: feedback, inference; did you mean \"feedback\"?); \
         pass --create to start a new one"
    );
    assert_eq!(rows_in(&db, "feedbak"), None);
}

#[test]
fn retain_and_drop_are_the_ways_data_leaves() {
    let work = temp();
    let db = work.path().join("db");
    let csv = write(
        work.path(),
        "in.csv",
        "trace_id,time,score\n1,2026-01-04T12:00:00Z,0.5\n2,2026-01-05T00:00:00Z,0.7\n3,2026-01-06T00:00:00Z,0.1\n",
    );
    assert!(ingest_cmd(&db, "inference", &csv, &[]).status.success());
    assert!(ingest_cmd(&db, "feedback", &csv, &["--create"]).status.success());
    let out = seam().args(["retain", db.to_str().unwrap(), "-c", "inference", "--before", "2026-01-05"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("dropped 1 rows"));
    assert_eq!(rows_in(&db, "inference"), Some(2));
    let out = seam().args(["retain", db.to_str().unwrap(), "-c", "inference", "--before", "2026-01-06T00:00:00+01:00"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(rows_in(&db, "inference"), Some(1), "an offset is honoured");
    let out = seam().args(["retain", db.to_str().unwrap(), "-c", "inference", "--before", "tomorrow"]).output().unwrap();
    assert!(!out.status.success());

    let out = seam().args(["drop", db.to_str().unwrap(), "-c", "feedbak"]).output().unwrap();
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("did you mean \"feedback\""));
    let out = seam().args(["drop", db.to_str().unwrap(), "-c", "feedback"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(rows_in(&db, "feedback"), None);
    assert_eq!(rows_in(&db, "inference"), Some(1));
    // A dropped component's content may come back.
    assert!(ingest_cmd(&db, "feedback", &csv, &["--create"]).status.success());
    assert_eq!(rows_in(&db, "feedback"), Some(3));
    assert!(seam().args(["check", db.to_str().unwrap()]).status().unwrap().success());
}

/// Runs `seam ARGS` with its standard output a pipe whose reader goes away after one line.
fn run_into_closed_pipe(args: &[&str]) -> std::process::Output {
    use std::io::BufRead;
    let mut child = seam().args(args).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?} printed nothing");
    child.wait_with_output().unwrap()
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let work = temp();
    let db = work.path().join("db");
    // One trace with an event per second: far more output than a pipe buffers, both ways.
    let mut text = String::from("trace_id,time,score\n");
    for s in 0..20_000 {
        text.push_str(&format!("1,{},0.5\n", 1_767_571_200 + s));
    }
    let csv = write(work.path(), "in.csv", &text);
    assert!(ingest_cmd(&db, "inference", &csv, &["--time-unit", "s"]).status.success());
    let db = db.to_str().unwrap();
    for args in [
        &["query", db, "SELECT count() AS n FROM inference GROUP BY window(1s)", "--format", "csv"][..],
        &["query", db, "SELECT count() AS n FROM inference GROUP BY window(1s)"],
        &["trace", db, "1"],
    ] {
        let out = run_into_closed_pipe(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn stats_rows_line_up_under_the_header() {
    let (_work, db, csv) = two_rows();
    assert!(ingest_cmd(&db, "inference", &csv, &[]).status.success());
    assert!(ingest_cmd(&db, "a_component_name_longer_than_twenty", &csv, &["--create"]).status.success());
    let out = seam().args(["stats", db.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    // Each right-aligned column ends where its header ends.
    for header in ["rows", "segments", "bytes"] {
        let end = lines[0].find(header).unwrap() + header.len();
        for line in &lines[1..] {
            let (before, after) = line.split_at(end);
            assert!(before.ends_with(|c: char| c.is_ascii_digit()) && after.starts_with(' '), "{header} in {line:?}:\n{text}");
        }
    }
    assert!(lines[1..].iter().all(|l| l.find("2026-").unwrap() == lines[0].find("time range").unwrap()), "{text}");
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
    let pos = crate::support::wal_records(&bytes)[9].0;
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
