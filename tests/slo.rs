//! SLOs (SPEC §4 "SLOs and diagnosis", §5 `seam slo check`): stored durably, validated when
//! created, and judged from history — each window's status worked out by hand below.

use crate::support::{open, seam, small_options, temp};
use seamdb::query::slo::{judge, Status};
use seamdb::query::{parse, run, Cell, Options};
use seamdb::{BatchBuilder, Value};

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;
/// 2026-01-05T00:00:00Z.
const T0: i64 = 1_767_571_200_000_000;

/// Three days of predictions in two countries and their labels, each label an hour after
/// its prediction unless said otherwise (score >= 0.5 predicts 1):
/// - day 0: US 4 predictions, all right, all labelled: accuracy 1, coverage 1.
///   DE 4 predictions, 2 right, all labelled: accuracy 0.5, coverage 1.
/// - day 1: US 4 predictions, 1 labelled (right): accuracy 1, coverage 0.25.
///   DE 2 predictions, none labelled: accuracy null, coverage 0.
/// - day 2: US 2 predictions, both wrong, labelled on day 4 (late): before then accuracy
///   null and coverage 0; after, accuracy 0 and coverage 1.
fn history(db: &seamdb::Db) {
    let (mut preds, mut labels) = (BatchBuilder::new(), BatchBuilder::new());
    let mut id = 0u128;
    let mut add = |day: i64, country: &str, score: f64, label: Option<(i64, i64)>| {
        id += 1;
        let at = T0 + day * DAY + id as i64 * 60_000_000;
        preds.push(id, at, &[("score", Value::Float(score)), ("country", Value::Tag(country.into()))]).unwrap();
        if let Some((label, delay)) = label {
            labels.push(id, at + delay, &[("label", Value::Int(label))]).unwrap();
        }
    };
    for _ in 0..4 {
        add(0, "US", 0.9, Some((1, HOUR)));
    }
    for right in [true, true, false, false] {
        add(0, "DE", 0.9, Some((i64::from(right), HOUR)));
    }
    add(1, "US", 0.2, Some((0, HOUR)));
    for _ in 0..3 {
        add(1, "US", 0.2, None);
    }
    add(1, "DE", 0.7, None);
    add(1, "DE", 0.7, None);
    add(2, "US", 0.8, Some((0, 2 * DAY)));
    add(2, "US", 0.8, Some((0, 2 * DAY)));
    db.append("inference", preds.finish().unwrap()).unwrap();
    db.append("feedback", labels.finish().unwrap()).unwrap();
}

const GATED: &str = "CREATE SLO acc AS SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, coverage(feedback) AS cov \
                     FROM inference JOIN feedback GROUP BY window(1d), inference.country EXPECT acc >= 0.9 WHEN cov >= 0.5";
const UNGATED: &str = "CREATE SLO acc_any AS SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc \
                       FROM inference JOIN feedback GROUP BY window(1d), inference.country EXPECT acc >= 0.9";

fn statuses(db: &seamdb::Db, name: &str, as_of: Option<i64>) -> Vec<(String, &'static str)> {
    let judged = judge(&db.snapshot(), name, as_of, &Options::default()).unwrap();
    assert_eq!(judged.table.columns.last().unwrap(), "status");
    judged.table.rows.iter().zip(&judged.statuses).map(|(row, s)| (format!("{} {}", row[0].text(), row[1].text()), s.as_str())).collect()
}

fn day(d: i64, country: &str) -> String {
    format!("{} {country}", seamdb::query::format_time(T0 + d * DAY))
}

#[test]
fn each_window_is_ok_violated_pending_or_no_data_and_as_of_shows_a_verdict_arriving() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    history(&db);
    for text in [GATED, UNGATED] {
        run(&parse(text).unwrap(), &db).unwrap();
    }
    let expected = [
        (day(0, "DE"), "violated"),
        (day(0, "US"), "ok"),
        (day(1, "DE"), "pending"), // coverage 0 < 0.5, even though accuracy is null
        (day(1, "US"), "pending"), // coverage 0.25
        (day(2, "US"), "violated"),
    ];
    assert_eq!(statuses(&db, "acc", None), expected);
    // Without WHEN: day 1's US accuracy (1 of 1) is judged, DE's has no labels at all.
    let ungated: Vec<_> = statuses(&db, "acc_any", None).into_iter().map(|(_, s)| s).collect();
    assert_eq!(ungated, ["violated", "ok", "no_data", "ok", "violated"]);
    // As of day 3, day 2's labels had not arrived: pending, then violated once they did.
    let before = statuses(&db, "acc", Some(T0 + 3 * DAY));
    assert_eq!(before.last().unwrap(), &(day(2, "US"), "pending"));
    assert_eq!(before[..4], expected[..4]);

    // CHECK SLOS: rows counted by status, and the latest window's worst status.
    let table = run(&parse("CHECK SLOS").unwrap(), &db).unwrap();
    assert_eq!(table.columns, ["slo", "windows", "ok", "violated", "pending", "no_data", "latest_window", "latest_status"]);
    let day2 = Cell::Time(T0 + 2 * DAY);
    let row = |name: &str, counts: [i64; 4], status: &str| {
        let mut row = vec![Cell::Text(name.into()), Cell::Int(3)];
        row.extend(counts.map(Cell::Int));
        row.extend([day2.clone(), Cell::Text(status.into())]);
        row
    };
    assert_eq!(table.rows, [row("acc", [1, 2, 2, 0], "violated"), row("acc_any", [2, 2, 0, 1], "violated")]);
    let as_of = run(&parse("CHECK SLOS AS OF '2026-01-08'").unwrap(), &db).unwrap();
    assert_eq!(as_of.rows[0], row("acc", [1, 1, 3, 0], "pending"));

    // CHECK SLO: the query's own columns, then status.
    let table = run(&parse("CHECK SLO acc").unwrap(), &db).unwrap();
    assert_eq!(table.columns, ["window", "inference.country", "acc", "cov", "status"]);
    assert_eq!(table.rows[0][2..], [Cell::Float(0.5), Cell::Float(1.0), Cell::Text("violated".into())]);
    let latest = judge(&db.snapshot(), "acc", None, &Options::default()).unwrap();
    assert_eq!(latest.latest(), Some((&day2, Status::Violated)));
}

#[test]
fn definitions_are_checked_when_created_and_kept_across_restarts() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    history(&db);
    let create = |text: &str| parse(text).and_then(|s| run(&s, &db));
    let error = |text: &str| create(text).unwrap_err().to_string();
    let no_window = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY inference.country EXPECT n > 0";
    assert!(error(no_window).contains("GROUP BY window"), "{}", error(no_window));
    let as_of = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY window(1d) AS OF '2026-01-06' EXPECT n > 0";
    assert!(error(as_of).contains("AS OF"), "{}", error(as_of));
    let limit = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY window(1d) LIMIT 3 EXPECT n > 0";
    assert!(error(limit).contains("LIMIT"), "{}", error(limit));
    let key = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY window(1d), inference.country EXPECT inference.country = 'US'";
    assert!(error(key).contains("only the query's items"), "{}", error(key));
    let unknown = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY window(1d) EXPECT n > 0 WHEN m > 1";
    assert!(error(unknown).contains("WHEN can name only") && error(unknown).contains("\"m\""), "{}", error(unknown));
    let no_expect = "CREATE SLO x AS SELECT count() AS n FROM inference GROUP BY window(1d)";
    assert!(error(no_expect).contains("EXPECT"), "{}", error(no_expect));
    assert!(db.snapshot().slos().next().is_none(), "nothing refused was stored");

    create(GATED).unwrap();
    assert!(error(GATED).contains("exists already"), "{}", error(GATED));
    // An item may be named as written, too.
    create("CREATE SLO volume AS SELECT count() FROM inference GROUP BY window(1d) EXPECT count() >= 3").unwrap();
    let shown = run(&parse("SHOW SLOS").unwrap(), &db).unwrap();
    assert_eq!(shown.columns, ["slo", "definition", "created"]);
    assert_eq!(shown.rows.len(), 2);
    assert_eq!(shown.rows[0][1], Cell::Text(GATED.split_once(" AS ").unwrap().1.into()));
    drop(db);

    // Durable: a reader, then a restart, see the same definitions and verdicts.
    let reader = seamdb::Db::open_read_only(dir.path()).unwrap();
    assert_eq!(run(&parse("SHOW SLOS").unwrap(), &reader).unwrap(), shown);
    assert!(run(&parse("DROP SLO volume").unwrap(), &reader).unwrap_err().to_string().contains("read-only"));
    assert_eq!(statuses(&reader, "volume", None).iter().map(|(_, s)| *s).collect::<Vec<_>>(), ["ok", "ok", "violated"]);
    drop(reader);
    let db = open(dir.path(), small_options());
    assert_eq!(run(&parse("SHOW SLOS").unwrap(), &db).unwrap(), shown);
    run(&parse("DROP SLO volume").unwrap(), &db).unwrap();
    let gone = run(&parse("DROP SLO volume").unwrap(), &db).unwrap_err().to_string();
    assert!(gone.contains("no SLO"), "{gone}");
    let typo = run(&parse("CHECK SLO acx").unwrap(), &db).unwrap_err().to_string();
    assert!(typo.contains("did you mean acc"), "{typo}");
    drop(db);
    let db = open(dir.path(), small_options());
    assert_eq!(db.snapshot().slos().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["acc"]);
}

#[test]
fn seam_slo_check_exits_1_on_a_violated_window_and_0_when_only_pending() {
    let dir = temp();
    let db_path = dir.path().join("db");
    let db = open(&db_path, small_options());
    history(&db);
    drop(db);
    let path = db_path.to_str().unwrap();
    let seam_run = |args: &[&str]| seam().args(args).output().unwrap();
    let none = seam_run(&["slo", "check", path]);
    assert!(!none.status.success() && String::from_utf8_lossy(&none.stderr).contains("holds no SLO"));
    // `seam query` creates an SLO (it opens the database for writing for that statement).
    let created = seam_run(&["query", path, GATED]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));

    // The latest window (day 2) is violated: exit 1, and the row printed.
    let out = seam_run(&["slo", "check", path]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("SLO acc: 1 violated") && text.contains("2026-01-07T00:00:00Z  US"), "{text}");
    // As of day 3, the latest window is pending: pending never fails.
    let out = seam_run(&["slo", "check", path, "--as-of", "2026-01-08"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    // Since day 0, as of day 3: day 0's DE violation, as JSON.
    let out = seam_run(&["slo", "check", path, "acc", "--as-of", "2026-01-08", "--since", "2026-01-05", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{"slo": "acc", "window": "2026-01-05T00:00:00Z", "inference.country": "DE", "acc": 0.5, "cov": 1.0, "status": "violated"}])
    );
    let out = seam_run(&["slo", "check", path, "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no SLO \"nope\""));
}

/// `seam report`: one self-contained page (nothing fetched: no script, no external link or
/// image) with a chart per SLO whose every point is the SLO's value and status per window
/// and group as `CHECK SLO` gives them, and the drift heatmap.
#[test]
fn the_report_has_a_chart_per_slo_whose_points_are_check_slos_answers() {
    let dir = temp();
    let db_path = dir.path().join("db");
    let db = open(&db_path, small_options());
    history(&db);
    for text in [GATED, UNGATED] {
        run(&parse(text).unwrap(), &db).unwrap();
    }
    let judged: Vec<_> = ["acc", "acc_any"].iter().map(|n| judge(&db.snapshot(), n, None, &Options::default()).unwrap()).collect();
    drop(db);
    let out_path = dir.path().join("report.html");
    let out = seam().args(["report", db_path.to_str().unwrap(), "--out", out_path.to_str().unwrap()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&out_path).unwrap();
    for fetched in ["<script", "src=", "href=\"http", "url(", "@import"] {
        assert!(!html.contains(fetched), "the page fetches nothing: {fetched}");
    }
    let attr = |tag: &str, name: &str| -> Option<String> {
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[start..].split('"').next()?.to_owned())
    };
    for j in &judged {
        let chart = html.split(&format!("data-slo=\"{}\"", j.name)).nth(1).unwrap_or_else(|| panic!("no chart for {}", j.name));
        let chart = chart.split("</svg>").next().unwrap();
        // Every defined value is a point, with its window, value and status.
        let mut points: Vec<(i64, String, f64, String)> = chart
            .split("<circle")
            .skip(1)
            .filter_map(|c| {
                let tag = c.split('>').next().unwrap();
                Some((
                    attr(tag, "data-window")?.parse().ok()?,
                    attr(tag, "data-group")?,
                    attr(tag, "data-value")?.parse().ok()?,
                    attr(tag, "data-status")?,
                ))
            })
            .collect();
        let mut expected: Vec<(i64, String, f64, String)> = (0..j.table.rows.len())
            .filter_map(|r| match j.table.rows[r][2] {
                Cell::Float(v) => Some((j.window_start(r).unwrap(), j.table.rows[r][1].text(), v, j.statuses[r].as_str().to_owned())),
                _ => None,
            })
            .collect();
        points.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        expected.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        assert_eq!(points, expected, "{}", j.name);
        assert!(chart.contains("EXPECT acc &gt;= 0.9"), "the threshold is drawn");
    }
    assert!(html.contains("data-chart=\"drift\"") && html.contains("data-feature=\"score\""), "the drift heatmap");
}
