//! DIAGNOSE (SPEC §4 "SLOs and diagnosis", docs/QUERY.md "DIAGNOSE"): every figure and the
//! ranking against pandas on data with a planted cause (`tests/data/diagnose/`), a small
//! example worked by hand, and the statements it refuses.

use crate::queries::{golden_agrees, EVERY_WAY};
use crate::support::{open, small_options, temp};
use seamdb::query::{execute_with, parse, Cell};
use seamdb::{BatchBuilder, Value};
use std::path::Path;

/// Issue 15, item 3: four days of predictions whose last day breaks one region's accuracy
/// and shifts one feature (`make_golden.py` plants both and computes every DIAGNOSE table
/// with pandas). Every executor and join strategy must give each table: every figure, and
/// the rows in the same order; the planted slice and feature rank first.
#[test]
fn pandas_agrees_on_every_figure_and_the_ranking() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/diagnose");
    let (cases, _plain_dir, plain) = golden_agrees(&data, ("inference", "feedback"), 7);

    let planted = seamdb::query::query(&cases[0].statement, &plain.snapshot()).unwrap();
    let text = |row: &[Cell]| row[..3].iter().map(Cell::text).collect::<Vec<_>>().join(" ");
    assert_eq!(text(&planted.rows[0]), "slice inference.region east");
    let first_feature = planted.rows.iter().find(|r| r[0].text() == "feature").unwrap();
    assert_eq!(text(first_feature), "feature inference.income null");
}

const DAY: i64 = 86_400_000_000;
/// 2026-01-05T00:00:00Z.
const T0: i64 = 1_767_571_200_000_000;

/// Two days of predictions in two countries (score ≥ 0.5 predicts 1), each labelled an hour
/// later unless said otherwise:
/// - 2026-01-05: US 0.9→1, 0.9→1, 0.2→0, 0.2→0 (all right); DE 0.8→1, 0.8→1, 0.8→1, 0.8→0
///   (3 of 4 right).
/// - 2026-01-06: US the same; DE 0.8→1, 0.8→0, 0.8→0, 0.8→0 (1 of 4 right) and one 0.8
///   without a label.
fn two_days() -> (tempfile::TempDir, seamdb::Db) {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let (mut preds, mut labels) = (BatchBuilder::new(), BatchBuilder::new());
    let mut id = 0u128;
    let mut add = |day: i64, country: &str, score: f64, label: Option<i64>| {
        id += 1;
        let at = T0 + day * DAY + id as i64 * 60_000_000;
        preds.push(id, at, &[("score", Value::Float(score)), ("country", Value::Tag(country.into()))]).unwrap();
        if let Some(label) = label {
            labels.push(id, at + 3_600_000_000, &[("label", Value::Int(label))]).unwrap();
        }
    };
    for day in 0..2 {
        for (score, label) in [(0.9, 1), (0.9, 1), (0.2, 0), (0.2, 0)] {
            add(day, "US", score, Some(label));
        }
        let de: [i64; 4] = if day == 0 { [1, 1, 1, 0] } else { [1, 0, 0, 0] };
        for label in de {
            add(day, "DE", 0.8, Some(label));
        }
    }
    add(1, "DE", 0.8, None);
    db.append("inference", preds.finish().unwrap()).unwrap();
    db.append("feedback", labels.finish().unwrap()).unwrap();
    (dir, db)
}

/// The table of `statement` on `db`, the same through every executor and join strategy, as CSV.
fn answer(db: &seamdb::Db, statement: &str) -> String {
    let statement = parse(statement).unwrap();
    let answers: Vec<String> = EVERY_WAY.iter().map(|o| execute_with(&statement, &db.snapshot(), o).unwrap().to_csv()).collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:#?}");
    answers[0].clone()
}

/// The example of docs/QUERY.md, worked by hand. Accuracy falls from 7/8 to 5/8. DE: 1/4 of
/// its 4 labelled rows right against 3/4 the day before, and half of the window's 8 labelled
/// rows: impact ½ · (¼ − ¾) = −¼, the whole fall. US: right throughout, impact 0. Country:
/// 5 DE and 4 US rows against 4 and 4, χ² = 2 · (½)² / 4.5 = 1/9. Score: the baseline's
/// deciles (0.2, 0.44, 0.8 five times, 0.86, 0.9) put 0.2 in bin 1, 0.8 in bin 7 and 0.9 in
/// bin 9 (shares ¼, ½, ¼); the window has 2/9, 5/9, 2/9:
/// psi = 2 · (2/9 − ¼) ln((2/9)/(¼)) + (5/9 − ½) ln((5/9)/(½)).
#[test]
fn a_small_example_worked_by_hand() {
    let (_dir, db) = two_days();
    let accuracy = answer(
        &db,
        "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
         GROUP BY window(1d) AT '2026-01-06T12:00:00Z'",
    );
    let psi = 2.0 * (2.0 / 9.0 - 0.25) * ((2.0 / 9.0) / 0.25f64).ln() + (5.0 / 9.0 - 0.5) * ((5.0 / 9.0) / 0.5f64).ln();
    let chi2 = 0.25 / 4.5 + 0.25 / 4.5;
    let expected = format!(
        "kind,field,value,metric_window,metric_baseline,n_window,n_baseline,share,impact,drift_measure,drift\n\
         slice,inference.country,DE,0.25,0.75,4,4,0.5,-0.25,,\n\
         slice,inference.country,US,1,1,4,4,0.5,0,,\n\
         feature,inference.score,,,,,,,,psi,{psi}\n\
         feature,inference.country,,,,,,,,chi2,{chi2}\n"
    );
    assert_eq!(accuracy, expected);
    // Precision counts the rows predicted positive: both US 0.9s and the four labelled DE
    // rows, so DE is 4/6 of them: impact ⅔ · (¼ − ¾) = −⅓.
    let precision = answer(
        &db,
        "DIAGNOSE SELECT precision(inference.score >= 0.5, feedback.label) AS p FROM inference JOIN feedback \
         GROUP BY window(1d) AT '2026-01-06T12:00:00Z'",
    );
    let lines: Vec<&str> = precision.lines().collect();
    assert_eq!(lines[1], format!("slice,inference.country,DE,0.25,0.75,4,4,{},{},,", 4.0 / 6.0, 4.0 / 6.0 * -0.5));
    assert_eq!(lines[2], format!("slice,inference.country,US,1,1,2,2,{},0,,", 2.0 / 6.0));
}

/// BASELINE may name any other window, later ones included; with a time zone the windows
/// are that zone's days.
#[test]
fn baseline_and_time_zone_choose_the_windows() {
    let (_dir, db) = two_days();
    let base = "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback GROUP BY window(1d)";
    // Comparing the first day against the second turns the figures round.
    let backwards = answer(&db, &format!("{base} AT '2026-01-05T06:00:00Z' BASELINE '2026-01-06T23:00:00Z'"));
    assert!(backwards.lines().nth(1).unwrap().starts_with("slice,inference.country,DE,0.75,0.25,4,4,0.5,0.25,"), "{backwards}");
    // Rows are at 00:01 .. 00:17 UTC: in Los Angeles (UTC-8) those are the evening before, so
    // the day holding 2026-01-05T12:00 there holds the second UTC day's rows.
    let zoned = "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
                 GROUP BY window(1d, 'America/Los_Angeles') AT '2026-01-05T12:00:00-08:00'";
    assert_eq!(answer(&db, zoned), answer(&db, &format!("{base} AT '2026-01-06T00:00:00Z'")));
}

/// A prediction that can never be the positive class (a tag against the default class 1)
/// counts no row toward precision: every share is null, and nothing fails.
#[test]
fn a_prediction_that_cannot_be_positive_counts_no_rows() {
    let (_dir, db) = two_days();
    let table = answer(&db, "DIAGNOSE SELECT precision(country, country) AS p FROM inference GROUP BY window(1d) AT '2026-01-06'");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[1..3], ["slice,inference.country,DE,,,0,0,,,,", "slice,inference.country,US,,,0,0,,,,"]);
}

/// Each statement DIAGNOSE cannot answer is refused with a reason, before anything is read.
#[test]
fn what_it_refuses_and_why() {
    let (_dir, db) = two_days();
    let acc = "accuracy(inference.score >= 0.5, feedback.label)";
    let refused = [
        (format!("DIAGNOSE SELECT {acc} AS acc, count() AS n FROM inference JOIN feedback GROUP BY window(1d) AT '2026-01-06'"), "SELECT exactly one, not 2 (acc, n)"),
        (format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback AT '2026-01-06'"), "it needs GROUP BY window(…)"),
        (format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY inference.country AT '2026-01-06'"), "it needs GROUP BY window(…)"),
        (
            format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d), inference.country AT '2026-01-06'"),
            "it finds the slices itself), not inference.country",
        ),
        (format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d), window(1h) AT '2026-01-06'"), "not a second window(…)"),
        (format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d) FILL AT '2026-01-06'"), "takes no FILL"),
        (format!("DIAGNOSE SELECT {acc} AS a FROM inference JOIN feedback GROUP BY window(1d) HAVING a > 0 AT '2026-01-06'"), "takes no HAVING"),
        (format!("DIAGNOSE SELECT {acc} AS a FROM inference JOIN feedback GROUP BY window(1d) LIMIT 3 AT '2026-01-06'"), "takes no ORDER BY or LIMIT"),
        (
            format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-01-06' BASELINE '2026-01-06T23:00:00Z'"),
            "BASELINE falls in the window AT does",
        ),
        (
            format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-01-09'"),
            "the window 2026-01-09T00:00:00Z .. 2026-01-10T00:00:00Z holds no inference rows: AT must fall in a window with data",
        ),
        (
            format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-01-05'"),
            "the baseline window 2026-01-04T00:00:00Z .. 2026-01-05T00:00:00Z holds no inference rows: give a window with data with BASELINE",
        ),
        (
            format!("DIAGNOSE SELECT {acc} FROM inference JOIN feedback WHERE inference.country = 'FR' GROUP BY window(1d) AT '2026-01-06'"),
            "holds no inference rows that pass WHERE",
        ),
        ("DIAGNOSE SELECT mean(country) FROM inference GROUP BY window(1d) AT '2026-01-06'".into(), "mean() takes a number"),
        ("DIAGNOSE SELECT count() FROM nowhere GROUP BY window(1d) AT '2026-01-06'".into(), "there is no component \"nowhere\""),
    ];
    for (statement, message) in refused {
        for options in EVERY_WAY {
            let result = parse(&statement).and_then(|s| execute_with(&s, &db.snapshot(), &options));
            match result {
                Err(e) => assert!(e.to_string().contains(message), "{statement}: {e} lacks {message:?}"),
                Ok(table) => panic!("{statement}: expected an error, got\n{}", table.to_csv()),
            }
        }
    }
}

/// Through a database handle and `seam query`, as a person on call would ask.
#[test]
fn seam_query_answers_diagnose() {
    let (dir, db) = two_days();
    let statement = "DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc FROM inference JOIN feedback \
                     GROUP BY window(1d) AT '2026-01-06T12:00:00Z'";
    let table = seamdb::query::run(&parse(statement).unwrap(), &db).unwrap();
    assert_eq!(table.rows[0][..3], [Cell::Text("slice".into()), Cell::Text("inference.country".into()), Cell::Text("DE".into())]);
    drop(db);
    let out = crate::support::seam().args(["query", dir.path().to_str().unwrap(), statement, "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("slice,inference.country,DE,0.25,0.75,4,4,0.5,-0.25,,"));
}
