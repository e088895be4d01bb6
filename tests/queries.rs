//! Data-driven SeamQL tests: every `tests/queries/*.test` file holds statements with the
//! exact CSV they must produce (or the error they must raise) on the data in
//! `tests/queries/data/` (one CSV file per component).

use crate::support::{open, small_options, temp};
use seamdb::ingest::{ingest, IngestOptions};
use seamdb::query::{execute_with, Executor, JoinStrategy, Options};
use std::path::Path;

/// The columnar executor with each join strategy, and the row-at-a-time reference.
pub(crate) const EVERY_WAY: [Options; 3] = [
    Options { executor: Executor::Columnar, join: JoinStrategy::Stored },
    Options { executor: Executor::Columnar, join: JoinStrategy::Hash },
    Options { executor: Executor::Rows, join: JoinStrategy::Hash },
];

pub(crate) struct Case {
    pub file: String,
    pub line: usize,
    pub statement: String,
    pub expect_error: bool,
    pub expected: String,
}

pub(crate) fn cases(path: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(path).unwrap();
    let file = path.file_name().unwrap().to_string_lossy().to_string();
    let mut cases = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        let (expect_error, statement) = match (line.strip_prefix("query "), line.strip_prefix("error ")) {
            (Some(s), _) => (false, s),
            (_, Some(s)) => (true, s),
            _ => continue, // comments and blank lines between cases
        };
        assert_eq!(lines.next().map(|l| l.1), Some("----"), "{file}:{}: expected ---- after the statement", n + 1);
        let mut expected = Vec::new();
        while let Some((_, l)) = lines.next_if(|(_, l)| !l.is_empty()) {
            expected.push(l);
        }
        cases.push(Case { file: file.clone(), line: n + 1, statement: statement.to_string(), expect_error, expected: expected.join("\n") });
    }
    cases
}

/// A database holding `tests/queries/data/` (one bulk load per component).
fn query_data() -> (tempfile::TempDir, seamdb::Db) {
    load_csvs(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/queries/data"))
}

/// A database holding every `*.csv` file of `data` as the component of its name (one bulk
/// load each).
pub(crate) fn load_csvs(data: &Path) -> (tempfile::TempDir, seamdb::Db) {
    let dir = temp();
    let db = open(dir.path(), small_options());
    for entry in std::fs::read_dir(data).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let component = path.file_stem().unwrap().to_string_lossy().to_string();
        let input = std::fs::File::open(&path).unwrap();
        ingest(&db, &component, input, &IngestOptions::default(), &mut |_| {}).unwrap();
    }
    (dir, db)
}

#[test]
fn every_query_file_gives_its_expected_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/queries");
    // Two copies of the data: joins are never stored in `plain` (each query builds what it
    // joins), and every pair of components is stored in `stored` before the first case.
    let (_plain_dir, plain) = query_data();
    let (_stored_dir, stored) = query_data();
    let names: Vec<String> = stored.snapshot().component_names().map(str::to_owned).collect();
    for driving in &names {
        for joined in names.iter().filter(|j| *j != driving) {
            assert!(stored.store_join(driving, joined).unwrap());
        }
    }
    let mut files: Vec<_> =
        std::fs::read_dir(&root).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "test")).collect();
    files.sort();
    let mut checked = 0;
    for path in files {
        for case in cases(&path) {
            let at = format!("{}:{} ({})", case.file, case.line, case.statement);
            let statement = seamdb::query::parse(&case.statement);
            // Every executor and join strategy must give the expected answer; EXPLAIN says
            // how the stored database answers.
            let explain = matches!(statement, Ok(seamdb::query::ast::Statement::Explain(_)));
            let ways = EVERY_WAY.iter().filter(|_| !explain).map(|o| (&plain, *o)).chain([(&stored, EVERY_WAY[0])]);
            for (db, options) in ways {
                let at = format!("{at} with {options:?}{}", if std::ptr::eq(db, &stored) { ", joins stored" } else { "" });
                let result = seamdb::query::parse(&case.statement).and_then(|s| execute_with(&s, &db.snapshot(), &options));
                match (result, case.expect_error) {
                    (Ok(table), false) => assert_eq!(table.to_csv().trim_end(), case.expected, "{at}"),
                    (Err(e), true) => assert!(e.to_string().contains(&case.expected), "{at}: error {e:?} lacks {:?}", case.expected),
                    (Ok(table), true) => panic!("{at}: expected an error, got\n{}", table.to_csv()),
                    (Err(e), false) => panic!("{at}: {e}"),
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} cases found");
}

/// The golden file `golden.test` of `data` (made by pandas and SciPy beside it) against every
/// executor and join strategy, on two copies of the CSV files there, one with the `pair`'s
/// join stored: text, times and ints exactly, floats to 1e-9 relative, rows in order. Panics
/// with every difference; returns the cases and the plain copy for further checks.
pub(crate) fn golden_agrees(data: &Path, pair: (&str, &str), min_cases: usize) -> (Vec<Case>, tempfile::TempDir, seamdb::Db) {
    use seamdb::query::parse;
    let (plain_dir, plain) = load_csvs(data);
    let (_stored_dir, stored) = load_csvs(data);
    assert!(stored.store_join(pair.0, pair.1).unwrap());
    let cases = cases(&data.join("golden.test"));
    assert!(cases.len() >= min_cases, "only {} cases found", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let at = format!("golden.test:{} ({})", case.line, case.statement);
        let statement = parse(&case.statement).unwrap_or_else(|e| panic!("{at}: {e}"));
        let expected: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(case.expected.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        let ways = EVERY_WAY.iter().map(|o| (&plain, *o, "")).chain([(&stored, EVERY_WAY[0], ", joins stored")]);
        for (db, options, stored) in ways {
            match execute_with(&statement, &db.snapshot(), &options) {
                Ok(table) => failures.extend(differs(&table, &expected).map(|d| format!("{at} with {options:?}{stored}: {d}"))),
                Err(e) => failures.push(format!("{at} with {options:?}{stored}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} answers differ from the golden file:\n{}", failures.len(), failures.join("\n\n"));
    (cases, plain_dir, plain)
}

/// `table` against the expected CSV (header first): the first difference, if any.
fn differs(table: &seamdb::query::Table, expected: &[Vec<String>]) -> Option<String> {
    use seamdb::query::Cell;
    if table.columns != expected[0] {
        return Some(format!("columns {:?}, the golden file has {:?}", table.columns, expected[0]));
    }
    if table.rows.len() != expected.len() - 1 {
        return Some(format!("{} rows, the golden file has {}:\n{}", table.rows.len(), expected.len() - 1, table.to_csv()));
    }
    for (r, (row, want)) in table.rows.iter().zip(&expected[1..]).enumerate() {
        for ((cell, want), column) in row.iter().zip(want).zip(&table.columns) {
            let same = match cell {
                Cell::Null => want.is_empty(),
                Cell::Float(x) => want.parse::<f64>().is_ok_and(|y| *x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())),
                other => other.text() == *want,
            };
            if !same {
                return Some(format!("row {}, {column}: {cell:?}, the golden file has {want:?}; the row is {row:?}", r + 1));
            }
        }
    }
    None
}

/// Issue 14, item 9: calendar windows, time zones, FILL, HAVING / ORDER BY / LIMIT, expression
/// group keys and drift p-values on data big enough to matter — 17 months of loans and their
/// outcomes in `tests/data/oncall/` (months of 28 to 31 days, a leap day, three DST changes, an
/// empty month and empty weeks, ties, nulls, corrected labels) — against the answers pandas
/// and SciPy give in `golden.test` (made by `make_golden.py` there).
#[test]
fn pandas_and_scipy_agree_on_two_years_of_loans() {
    golden_agrees(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/oncall"), ("loans", "outcomes"), 30);
}

#[test]
fn the_first_joining_query_stores_the_join_and_a_new_process_reads_it() {
    let (dir, db) = query_data();
    let explain = "EXPLAIN SELECT count(feedback.label) AS n FROM inference JOIN feedback";
    let join_step = |db: &seamdb::Db| {
        let table = seamdb::query::query(explain, &db.snapshot()).unwrap();
        table.to_csv().lines().find(|l| l.starts_with("join,")).unwrap().to_owned()
    };
    assert!(join_step(&db).contains("stored join read for 0 of 1 sealed inference segments, built for 1"), "{}", join_step(&db));
    let select = seamdb::query::parse("SELECT count(feedback.label) AS n FROM inference JOIN feedback").unwrap();
    let answer = seamdb::query::run(&select, &db).unwrap();
    assert!(join_step(&db).contains("stored join read for 1 of 1 sealed inference segments;"), "{}", join_step(&db));
    assert!(!db.store_join("inference", "feedback").unwrap(), "stored once only");
    drop(db);
    // Reopened (as a new process would): the pair and its file are in the manifest.
    let db = open(dir.path(), small_options());
    assert!(join_step(&db).contains("read for 1 of 1"), "{}", join_step(&db));
    let stored = db.snapshot().stored_joins().map(|j| (j.driving().to_owned(), j.joined().to_owned(), j.files())).collect::<Vec<_>>();
    assert_eq!(stored, vec![("inference".to_owned(), "feedback".to_owned(), 1)]);
    assert_eq!(seamdb::query::execute(&select, &db.snapshot()).unwrap(), answer);
}

mod against_a_plain_loop {
    //! `SELECT` with windows, group keys and a filter, against the same answer computed by a
    //! plain loop over the rows, on random data spread over segments and the unsealed tail.
    use crate::support::{open, small_options, temp};
    use proptest::prelude::*;
    use seamdb::query::{query, Cell};
    use seamdb::{BatchBuilder, FieldType, Schema, Value};
    use std::collections::BTreeMap;

    const HOUR_US: i64 = 3_600_000_000;
    const DEVICES: [&str; 3] = ["android", "ios", "web"];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn grouped_aggregates_match(rows in proptest::collection::vec((0i64..6 * HOUR_US, proptest::option::of(0u32..1000), 0usize..3, any::<bool>()), 1..300)) {
            let dir = temp();
            let db = open(dir.path(), small_options()); // seals every 64 rows: many parts
            // Declared, so that `score` exists even when every generated score is null.
            let fields = vec![("score".into(), FieldType::Float), ("device".into(), FieldType::Tag), ("ok".into(), FieldType::Bool)];
            db.create_component("c", &Schema::new(fields)).unwrap();
            for chunk in rows.chunks(50) {
                let mut b = BatchBuilder::new();
                for (i, (t, score, device, ok)) in chunk.iter().enumerate() {
                    let score = score.map_or(Value::Null, |s| Value::Float(s as f64 / 1000.0));
                    b.push(i as u128, *t, &[("score", score), ("device", Value::Tag(DEVICES[*device].into())), ("ok", Value::Bool(*ok))]).unwrap();
                }
                db.append("c", b.finish().unwrap()).unwrap();
            }
            // The time bounds also let whole parts be skipped; the answer must not change.
            let text = "SELECT count() AS n, count(score) AS k, sum(score) AS s, max(score) AS hi FROM c \
                        WHERE ok = true AND time >= '1970-01-01T01:00:00Z' AND c.time < '1970-01-01T05:00:00Z' GROUP BY window(1h), c.device";
            let table = query(text, &db.snapshot()).unwrap();
            // (hour, device) -> (rows, scores)
            let mut want: BTreeMap<(i64, &str), (i64, Vec<f64>)> = BTreeMap::new();
            for (t, score, device, ok) in &rows {
                if *ok && (HOUR_US..5 * HOUR_US).contains(t) {
                    let e = want.entry((t.div_euclid(HOUR_US) * HOUR_US, DEVICES[*device])).or_default();
                    e.0 += 1;
                    e.1.extend(score.map(|s| s as f64 / 1000.0));
                }
            }
            prop_assert_eq!(table.rows.len(), want.len());
            for (row, ((hour, device), (n, scores))) in table.rows.iter().zip(&want) {
                prop_assert_eq!(&row[0], &Cell::Time(*hour));
                prop_assert_eq!(&row[1], &Cell::Text(device.to_string()));
                prop_assert_eq!(&row[2], &Cell::Int(*n));
                prop_assert_eq!(&row[3], &Cell::Int(scores.len() as i64));
                match (&row[4], &row[5]) {
                    (Cell::Float(s), Cell::Float(hi)) => {
                        prop_assert!((s - scores.iter().sum::<f64>()).abs() < 1e-9);
                        prop_assert_eq!(*hi, scores.iter().copied().fold(f64::MIN, f64::max));
                    }
                    (Cell::Null, Cell::Null) => prop_assert!(scores.is_empty()),
                    other => prop_assert!(false, "unexpected cells {:?}", other),
                }
            }
        }
    }
}

mod columnar_against_rows {
    //! The columnar executor and its stored join against the row-at-a-time reference executor
    //! (per-query hash join, value-by-value evaluation) on random joined data: several events
    //! per trace (equal times included) spread over segments and the unsealed tail, nulls,
    //! and a spread of query shapes — before the join is stored (each query builds it), once
    //! stored, and as late events, seals, bulk loads, compaction and retention on either side
    //! make storage maintain it; `seam check`'s rebuild of every join file agrees throughout.
    use super::EVERY_WAY;
    use crate::support::{open, small_options, temp};
    use proptest::prelude::*;
    use seamdb::query::{execute_with, parse};
    use seamdb::{BatchBuilder, FieldType, Schema, Value};

    const HOUR_US: i64 = 3_600_000_000;
    const COUNTRIES: [&str; 3] = ["US", "DE", "IN"];

    pub(super) const QUERIES: [&str; 19] = [
        "SELECT count(f.label) AS n, accuracy(i.score >= 0.5, f.label) AS acc FROM i JOIN f WHERE i.country = 'US' GROUP BY window(1h)",
        "SELECT count() AS n, accuracy(i.score >= 0.5, f.label) AS acc, precision(i.score >= 0.5, f.label) AS p FROM i JOIN f GROUP BY window(1h), i.country",
        "SELECT coverage(f) AS c, quantile(f.time - i.time, 0.5) AS d, max(f.time - i.time) AS m FROM i JOIN f GROUP BY window(2h)",
        "SELECT count() AS n, sum(i.score) AS s, mean(i.score * 2 + 1) AS m, null_rate(i.score) AS z FROM i WHERE i.country IN ('US', 'IN') AND i.score > 0.2 GROUP BY i.country",
        "SELECT count() AS n, share() AS sh FROM i WHERE NOT (i.country = 'DE') OR i.score IS NULL GROUP BY window(1h), i.country",
        "SELECT count(f.label) AS n, sum(f.label) AS s FROM i JOIN f WHERE f.label = 1 AND time >= '1970-01-01T01:00:00Z' GROUP BY window(1h)",
        "SELECT psi(i.score) AS psi, js(i.score) AS js, ks(i.score) AS ks, count() AS n FROM i REFERENCE (i WHERE time < '1970-01-01T02:00:00Z') GROUP BY window(1h)",
        "SELECT quantile(i.score, 0.9) AS q, stddev(i.score) AS sd, min(i.country) AS lo, distinct(i.country) AS k FROM i JOIN f WHERE f.label IS NULL GROUP BY window(3h)",
        "SELECT roc_auc(i.score, f.label) AS auc, brier(i.score, f.label) AS b, mae(i.score, f.label) AS e FROM i JOIN f WHERE i.country != 'IN'",
        "SELECT count() AS n, sum(f.label) AS s FROM i JOIN f GROUP BY f.label",
        "SELECT count(f.label) AS n, sum(f.label) AS s, max(f.time) AS t FROM i JOIN f GROUP BY window(1h) AS OF '1970-01-01T03:00:00Z'",
        "SELECT count(f.label) AS n, max(f.time) AS t FROM i JOIN f AS OF '1970-01-01T00:20:00Z'",
        "SELECT count() AS n, accuracy(i.score >= 0.5, f.label) AS acc FROM i JOIN f GROUP BY window(1h), i.country HAVING n > 1 OR acc IS NULL ORDER BY n DESC, i.country LIMIT 5",
        "SELECT count() AS n, sum(i.score) AS s FROM i WHERE time < '1970-01-01T05:00:00Z' GROUP BY window(30m), i.country FILL",
        "SELECT count() AS n, max(i.score) AS m FROM i GROUP BY window(1d, 'America/St_Johns'), i.country",
        "SELECT count() AS n, sum(f.label) AS s FROM i JOIN f GROUP BY bucket(i.score, 0.25), f.label = 1, CASE WHEN i.country = 'US' THEN 'us' WHEN f.label IS NULL THEN 'unlabelled' END",
        "SELECT count() AS n, mean(i.score) AS m FROM i GROUP BY window(2h), i.country IN ('US', 'DE'), CASE WHEN i.score >= 0.7 THEN 'high' WHEN i.score >= 0.3 THEN 'mid' ELSE 'low' END, i.country",
        "SELECT count() AS n, sum(f.label) AS s FROM i JOIN f GROUP BY bucket(f.label, 2), i.country NOT IN ('US'), bucket(i.score, 0.1)",
        "SELECT count() AS n, chi2(i.country) AS c, chi2_p(i.country) AS p, unseen(i.country) AS u FROM i REFERENCE (i WHERE time < '1970-01-01T02:00:00Z') GROUP BY window(1h), i.score >= 0.5",
    ];

    pub(super) type Row = (u8, i64, Option<u16>, usize);

    /// Two CSV answers agree: the same text, except that floats may differ in the last bits
    /// (the columnar executor adds partial sums from two threads in a different order).
    pub(super) fn same(a: &str, b: &str) -> bool {
        let cells = |t: &str| t.lines().flat_map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>()).collect::<Vec<_>>();
        let (a, b) = (cells(a), cells(b));
        a.len() == b.len()
            && a.iter().zip(&b).all(|(x, y)| {
                x == y
                    || match (x.parse::<f64>(), y.parse::<f64>()) {
                        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
                        _ => false,
                    }
            })
    }

    pub(super) fn rows() -> impl Strategy<Value = Vec<Row>> {
        proptest::collection::vec((0u8..40, 0i64..6 * HOUR_US, proptest::option::of(0u16..1000), 0usize..3), 1..200)
    }

    /// A batch of `rows` of component `i` (predictions) or `f` (labels).
    pub(super) fn batch(component: &str, rows: &[Row]) -> seamdb::Batch {
        let mut b = BatchBuilder::new();
        for (id, t, x, c) in rows {
            let fields: Vec<(&str, Value)> = if component == "i" {
                vec![("score", x.map_or(Value::Null, |s| Value::Float(s as f64 / 1000.0))), ("country", Value::Tag(COUNTRIES[*c].into()))]
            } else {
                vec![("label", x.map_or(Value::Null, |l| Value::Int((l % 2) as i64)))]
            };
            // Times in whole minutes, so that events of one trace tie often.
            b.push(*id as u128, t - t % 60_000_000, &fields).unwrap();
        }
        b.finish().unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn every_way_gives_the_same_answer(mut inference in rows(), feedback in rows(), late in rows(), in_time_order in any::<bool>()) {
            // Rows appended in time order make segments that follow one another in time, so
            // the columnar executor answers windows before the end of the scan.
            if in_time_order {
                inference.sort_by_key(|r| r.1);
            }
            let dir = temp();
            let db = open(dir.path(), small_options()); // seals every 64 rows: many parts
            db.create_component("i", &Schema::new(vec![("score".into(), FieldType::Float), ("country".into(), FieldType::Tag)])).unwrap();
            db.create_component("f", &Schema::new(vec![("label".into(), FieldType::Int)])).unwrap();
            let append = |component: &str, rows: &[Row]| {
                for chunk in rows.chunks(30) {
                    db.append(component, batch(component, chunk)).unwrap();
                }
            };
            append("i", &inference);
            append("f", &feedback);
            let answers = |db: &seamdb::Db| -> Vec<Vec<String>> {
                QUERIES.iter().map(|q| {
                    let statement = parse(q).unwrap();
                    EVERY_WAY.iter().map(|o| execute_with(&statement, &db.snapshot(), o).map(|t| t.to_csv()).unwrap_or_else(|e| format!("error: {e}"))).collect()
                }).collect()
            };
            let stages: [(&str, &dyn Fn()); 9] = [
                ("not stored", &|| {}),
                ("stored", &|| assert!(db.store_join("i", "f").unwrap())),
                ("late events", &|| append("f", &late)),
                // Seals of the driving side under labels still in the tail (whose chunks keep
                // their matches against the driving segments they have seen).
                ("late predictions", &|| append("i", &late)),
                ("sealed", &|| db.flush().unwrap()),
                ("bulk loaded", &|| {
                    let mut load = db.bulk_load("f").unwrap();
                    load.append(batch("f", &late[..late.len() / 2])).unwrap();
                    load.commit().unwrap();
                }),
                ("compacted", &|| assert!(db.compact().is_ok())),
                ("labels retained", &|| assert!(db.retain("f", HOUR_US).is_ok())),
                ("predictions retained", &|| assert!(db.retain("i", 2 * HOUR_US).is_ok())),
            ];
            for (stage, step) in stages {
                step();
                for (q, ways) in QUERIES.iter().zip(answers(&db)) {
                    prop_assert!(ways.iter().all(|w| same(w, &ways[2])), "{}: {}\n{:#?}", stage, q, ways);
                }
                let check = seamdb::storage::check(dir.path()).unwrap();
                prop_assert!(check.is_ok(), "{}: {:?}", stage, check.damaged);
            }
        }
    }
}

mod shards_against_one {
    //! SeamQL over shards (`seamdb::query::partial`): the same random data as
    //! `columnar_against_rows`, once in one database and once split three ways by
    //! `shard_of`, each shard appending and sealing on its own (so a shard may lack a
    //! component, or a field whose values all fell elsewhere). For every query, the shards'
    //! partial states, merged in two different orders, finish into one database's answer
    //! (or fail with its error).
    use super::columnar_against_rows::{batch, rows, same, Row, QUERIES};
    use crate::support::{open, small_options, temp};
    use proptest::prelude::*;
    use seamdb::query::ast::Statement;
    use seamdb::query::partial::{self, Step};
    use seamdb::query::{execute, parse, Table};
    use seamdb::storage::model::shard_of;
    use seamdb::Snapshot;

    const SHARDS: u32 = 3;

    /// `q` over the shards' snapshots, merging the shards' states in the order `order`.
    fn over_shards(q: &str, shards: &[Snapshot], order: &[usize]) -> seamdb::query::Result<Table> {
        let Statement::Select(s) = parse(q)? else { unreachable!("every query is a SELECT") };
        let merged = |step: Step, context: Option<&[u8]>| -> seamdb::query::Result<Vec<u8>> {
            let parts = order.iter().map(|&k| partial::run(&s, &shards[k], step, context)).collect::<seamdb::query::Result<Vec<_>>>()?;
            // A tree of merges: the first two, then the rest.
            let first = partial::merge(&s, &[&parts[0], &parts[1]])?;
            partial::merge(&s, &std::iter::once(first.as_slice()).chain(parts[2..].iter().map(Vec::as_slice)).collect::<Vec<_>>())
        };
        let mut context = merged(Step::Schemas, None)?;
        partial::check(&s, &context)?;
        if partial::needs_references(&s) {
            let references = merged(Step::References, Some(&context))?;
            context = partial::merge(&s, &[&context, &references])?;
        }
        let groups = merged(Step::Groups, Some(&context))?;
        partial::finish(&s, &context, &groups)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        #[test]
        fn shards_answer_as_one_database(inference in rows(), feedback in rows(), seal_one in any::<bool>()) {
            let dirs: Vec<_> = (0..=SHARDS).map(|_| temp()).collect();
            let dbs: Vec<_> = dirs.iter().map(|d| open(d.path(), small_options())).collect();
            let (one, shards) = dbs.split_first().expect("four databases");
            let append = |component: &str, rows: &[Row]| {
                for chunk in rows.chunks(30) {
                    one.append(component, batch(component, chunk)).unwrap();
                    for (k, shard) in shards.iter().enumerate() {
                        let mine: Vec<Row> = chunk.iter().copied().filter(|r| shard_of(r.0 as u128, SHARDS) == k as u32).collect();
                        if !mine.is_empty() {
                            shard.append(component, batch(component, &mine)).unwrap();
                        }
                    }
                }
            };
            append("i", &inference);
            append("f", &feedback);
            if seal_one {
                shards[0].flush().unwrap();
            }
            let snapshots: Vec<Snapshot> = shards.iter().map(|s| s.snapshot()).collect();
            for q in QUERIES {
                let want = execute(&parse(q).unwrap(), &one.snapshot()).map(|t| t.to_csv());
                for order in [[0, 1, 2], [2, 0, 1]] {
                    let got = over_shards(q, &snapshots, &order).map(|t| t.to_csv());
                    match (&want, &got) {
                        (Ok(a), Ok(b)) => prop_assert!(same(a, b), "{}\none database:\n{}\nshards:\n{}", q, a, b),
                        (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                        _ => prop_assert!(false, "{}: one database {:?}, shards {:?}", q, want, got),
                    }
                }
            }
        }
    }
}

/// NaN is a float value, not a null (SPEC §2, §4): `count`, `null_rate` and `nan_rate` see it,
/// `IS NAN` finds it, and every other function ignores it as it ignores null — in every
/// executor.
#[test]
fn nan_is_a_value_only_count_null_rate_and_nan_rate_see() {
    use seamdb::{BatchBuilder, Value};
    let dir = temp();
    let db = open(dir.path(), small_options());
    let mut batch = BatchBuilder::new();
    let xs = [Value::Float(1.0), Value::Float(f64::NAN), Value::Float(3.0), Value::Null, Value::Float(f64::NAN)];
    for (i, x) in xs.into_iter().enumerate() {
        batch.push(i as u128 + 1, 1_767_571_200_000_000 + i as i64, &[("x", x), ("y", Value::Float(2.0))]).unwrap();
    }
    db.append("m", batch.finish().unwrap()).unwrap();
    let cases = [
        ("SELECT count(x) AS c, null_rate(x) AS nr, nan_rate(x) AS nan FROM m", "c,nr,nan\n4,0.2,0.4"),
        (
            "SELECT mean(x) AS a, sum(x) AS s, min(x) AS lo, max(x) AS hi, quantile(x, 0.5) AS q, distinct(x) AS d FROM m",
            "a,s,lo,hi,q,d\n2,4,1,3,2,2",
        ),
        ("SELECT stddev(x) AS sd, mae(x, y) AS e FROM m", "sd,e\n1.4142135623730951,1"),
        ("SELECT count() AS n FROM m WHERE x IS NAN", "n\n2"),
        ("SELECT count() AS n FROM m WHERE x IS NOT NAN", "n\n3"),
        ("SELECT count() AS n FROM m WHERE x > 0", "n\n2"),
        ("SELECT ks(x, y) AS d FROM m REFERENCE m", "d\n0.5"),
    ];
    for (statement, expected) in cases {
        for options in EVERY_WAY {
            let table = seamdb::query::parse(statement).and_then(|s| execute_with(&s, &db.snapshot(), &options)).unwrap();
            assert_eq!(table.to_csv().trim_end(), expected, "{statement} with {options:?}");
        }
    }
}

/// The live shape: a query after every small append of predictions or labels, while seals
/// come and go, answers as a hash join does. Unsealed chunks keep what the join worked out
/// about them between queries, extend it as the other side seals and concatenate it as they
/// merge (storage/src/join/tail.rs); every one of those paths runs here.
#[test]
fn a_join_asked_after_every_small_append_agrees_with_a_hash_join() {
    use crate::support::{assert_join_matches_hash, label_batch, numbered_batch};
    let dir = temp();
    const LAG: u64 = 20;
    let db = open(dir.path(), seamdb::Options { seal_rows: 1_000, ..small_options() });
    for k in 0..120u64 {
        db.append("inference", numbered_batch(k)).unwrap();
        assert_join_matches_hash(&db, &format!("after predictions {k}"));
        // Labels come 20 batches late (their predictions mostly sealed by then), and some
        // twice (a relabel wins by time).
        if k >= LAG {
            db.append("labels", label_batch(k - LAG)).unwrap();
            if k % 7 == 0 {
                db.append("labels", label_batch(k - LAG)).unwrap();
            }
            if k == LAG {
                assert!(db.store_join("inference", "labels").unwrap());
            }
            assert_join_matches_hash(&db, &format!("after labels {}", k - LAG));
        }
    }
    let sealed = db.snapshot().component("inference").unwrap().segments().len();
    assert!(sealed >= 3, "seals happened on the way ({sealed})");
}

/// `SHOW COMPONENTS` answers "is every component fresh?" in one statement: rows, segments,
/// bytes, event times, and when the last append arrived by the writer's clock. That time is
/// kept in the log and the manifest, so a restart, a seal and a reader in another process
/// all see it.
#[test]
fn show_components_says_how_fresh_every_component_is() {
    use seamdb::query::Cell;
    let dir = temp();
    let show = |snapshot: &seamdb::Snapshot| {
        let table = execute_with(&seamdb::query::parse("SHOW COMPONENTS").unwrap(), snapshot, &Options::default()).unwrap();
        assert_eq!(table.columns, ["component", "rows", "segments", "bytes", "first_time", "last_time", "last_append"]);
        table.rows
    };
    let time = |cell: &Cell| match cell {
        Cell::Time(us) => *us,
        other => panic!("not a time: {other:?}"),
    };
    let before = seamdb::storage::model::now_us();
    let db = open(dir.path(), small_options());
    db.append("inference", crate::support::numbered_batch(1)).unwrap();
    db.flush().unwrap(); // sealed: its arrival is now the manifest's to keep
    let inference_at = seamdb::storage::model::now_us();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let mut load = db.bulk_load("labels").unwrap();
    load.append(crate::support::label_batch(1)).unwrap();
    load.commit().unwrap();
    let after = seamdb::storage::model::now_us();
    db.append("inference", crate::support::numbered_batch(2)).unwrap(); // stays in the log
    let latest = seamdb::storage::model::now_us();

    let rows = show(&db.snapshot());
    let snapshot = db.snapshot();
    let (inference, labels) = (snapshot.component("inference").unwrap(), snapshot.component("labels").unwrap());
    assert_eq!(
        rows[0][..4],
        [Cell::Text("inference".into()), Cell::Int(inference.rows() as i64), Cell::Int(1), Cell::Int(inference.size_bytes() as i64)]
    );
    assert_eq!(
        rows[1][..4],
        [Cell::Text("labels".into()), Cell::Int(labels.rows() as i64), Cell::Int(1), Cell::Int(labels.size_bytes() as i64)]
    );
    assert!(inference.tail().count() == 1 && inference.size_bytes() > 0 && labels.size_bytes() > 0);
    assert_eq!((time(&rows[0][4]), time(&rows[0][5])), inference.time_range().unwrap());
    let (inference_last, labels_last) = (time(&rows[0][6]), time(&rows[1][6]));
    assert!(after <= inference_last && inference_last <= latest, "the second append: {before} {inference_last} {latest}");
    assert!(inference_at < labels_last && labels_last <= after, "the bulk load's commit");
    drop(db);

    // From the log (the second batch) and the manifest (the first, sealed, and the bulk
    // load), after a restart and from a reader.
    let reader = seamdb::Db::open_read_only(dir.path()).unwrap();
    assert_eq!(show(&reader.snapshot()), rows, "a reader in another process");
    drop(reader);
    let db = open(dir.path(), small_options());
    assert_eq!(show(&db.snapshot()), rows, "after a restart");
    db.flush().unwrap();
    drop(db);
    let db = open(dir.path(), small_options());
    let sealed = show(&db.snapshot());
    assert_eq!((time(&sealed[0][6]), time(&sealed[1][6])), (inference_last, labels_last), "sealed: kept by the manifest");
}
