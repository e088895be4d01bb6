//! The parser against SPEC §4's statements, its error positions, and arbitrary input.

use super::parse;
use crate::ast::{BinaryOp, ColumnRef, Expr, GroupKey, Statement, WindowWidth};
use crate::error::Error;
use proptest::prelude::*;

fn select(text: &str) -> crate::ast::Select {
    match parse(text) {
        Ok(Statement::Select(s)) => *s,
        other => panic!("{text:?} parsed as {other:?}"),
    }
}

fn col(component: &str, field: &str) -> Expr {
    Expr::Column(ColumnRef { component: Some(component.into()), field: field.into() })
}

/// The standard queries of SPEC §7, verbatim.
const STANDARD: [&str; 5] = [
    "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy
     FROM inference JOIN feedback WHERE inference.country = 'US' GROUP BY window(1h)",
    "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy
     FROM inference JOIN feedback GROUP BY window(1h), inference.model_version",
    "SELECT count() AS n, psi(inference.feature_age) AS psi FROM inference
     REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z')
     GROUP BY window(1d)",
    "SELECT quantile(inference.score, 0.5) AS p50, quantile(inference.score, 0.9) AS p90,
            quantile(inference.score, 0.99) AS p99
     FROM inference GROUP BY window(1h), inference.device",
    "SELECT coverage(feedback) AS coverage, quantile(feedback.time - inference.time, 0.5) AS delay_p50_s
     FROM inference JOIN feedback GROUP BY window(1h)",
];

#[test]
fn the_standard_queries_parse() {
    for q in STANDARD {
        select(q);
    }
    let q1 = select(STANDARD[0]);
    assert_eq!(q1.from, "inference");
    assert_eq!(q1.joins, ["feedback"]);
    assert_eq!(q1.items[0].name(), "n_labelled");
    assert_eq!(
        q1.items[1].expr,
        Expr::Call {
            name: "accuracy".into(),
            args: vec![
                Expr::Binary { op: BinaryOp::Ge, lhs: Box::new(col("inference", "score")), rhs: Box::new(Expr::Float(0.5)) },
                col("feedback", "label")
            ]
        }
    );
    assert_eq!(
        q1.filter,
        Some(Expr::Binary { op: BinaryOp::Eq, lhs: Box::new(col("inference", "country")), rhs: Box::new(Expr::String("US".into())) })
    );
    assert_eq!(q1.group_by, [GroupKey::Window { width: WindowWidth::Fixed(3_600_000_000), zone: None, text: "1h".into() }]);
    let q3 = select(STANDARD[2]);
    let reference = q3.reference.expect("reference");
    assert_eq!(reference.component, "inference");
    assert!(matches!(reference.filter, Some(Expr::Binary { op: BinaryOp::And, .. })));
    let q5 = select(STANDARD[4]);
    assert_eq!(
        q5.items[0].expr,
        Expr::Call { name: "coverage".into(), args: vec![Expr::Column(ColumnRef { component: None, field: "feedback".into() })] }
    );
}

#[test]
fn other_statements_parse() {
    assert_eq!(parse("TRACE '4bf92f3577b34da6a3ce929d0e0e4736'").unwrap(), Statement::Trace("4bf92f3577b34da6a3ce929d0e0e4736".into()));
    assert_eq!(parse("show components;").unwrap(), Statement::ShowComponents);
    assert_eq!(parse("DESCRIBE inference").unwrap(), Statement::Describe("inference".into()));
    assert!(matches!(parse("explain select count() from inference"), Ok(Statement::Explain(_))));
    let s =
        select("select count() from inference where country in ('US', 'DE') and not device is null as of '2026-01-06T00:00:00Z' limit 10");
    assert_eq!(s.as_of, Some(1_767_657_600_000_000)); // 2026-01-06T00:00:00Z
    assert_eq!(s.limit, Some(10));
    let s = select("SELECT mean(score) FROM inference AS OF '2026-01-06T00:00:00Z'");
    assert_eq!((s.items[0].alias.as_deref(), s.items[0].name()), (None, "mean(score)"), "AS OF is not an alias");
}

#[test]
fn precedence_and_item_text() {
    let s = select("SELECT a + b * -c AS x, max( score ) FROM m");
    let Expr::Binary { op: BinaryOp::Add, rhs, .. } = &s.items[0].expr else { panic!("{:?}", s.items[0].expr) };
    assert!(matches!(**rhs, Expr::Binary { op: BinaryOp::Mul, .. }));
    assert_eq!(s.items[1].name(), "max( score )", "an unnamed item is named by its text");
    let s = select("SELECT count() FROM m WHERE a = 1 OR b = 2 AND NOT c = 3");
    assert!(matches!(s.filter, Some(Expr::Binary { op: BinaryOp::Or, .. })), "AND binds tighter than OR");
}

#[test]
fn durations_in_every_unit() {
    for (d, width) in [
        ("30s", WindowWidth::Fixed(30_000_000)),
        ("15m", WindowWidth::Fixed(900_000_000)),
        ("1h", WindowWidth::Fixed(3_600_000_000)),
        ("7d", WindowWidth::Fixed(604_800_000_000)),
        ("2w", WindowWidth::Weeks(2)),
        ("1mo", WindowWidth::Months(1)),
        ("1q", WindowWidth::Months(3)),
        ("2y", WindowWidth::Months(24)),
    ] {
        let s = select(&format!("SELECT count() FROM m GROUP BY window({d})"));
        assert_eq!(s.group_by, [GroupKey::Window { width, zone: None, text: d.into() }]);
    }
}

#[test]
fn errors_point_at_line_and_column_and_say_what_was_expected() {
    let cases = [
        ("SELEC count() FROM m", 1, 1, "expected SELECT"),
        ("SELECT count() FORM m", 1, 16, "expected FROM"),
        ("SELECT count()\nFROM m\nGROUP BY window(1x)", 3, 17, "not a window width"),
        ("SELECT count() FROM m GROUP BY window(5)", 1, 39, "expected a window width"),
        ("SELECT count() FROM m WHERE a = 'open", 1, 33, "unterminated string"),
        ("SELECT count() FROM m LIMIT -1", 1, 29, "whole number"),
        ("SELECT count() FROM m WHERE", 1, 28, "the end of the query"),
        ("SELECT count(( FROM m", 1, 16, "expected a column"),
        ("SELECT a FROM m extra", 1, 17, "expected the end"),
        ("SELECT a FROM m WHERE a # 1", 1, 25, "unexpected character"),
    ];
    for (text, line, column, words) in cases {
        match parse(text) {
            Err(Error::Parse { line: l, column: c, message }) => {
                assert_eq!((l, c), (line, column), "{text:?}: {message}");
                assert!(message.contains(words), "{text:?}: {message:?} lacks {words:?}");
            }
            other => panic!("{text:?} gave {other:?}"),
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let text = format!("SELECT {}1{} FROM m", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(parse(&text), Err(Error::Parse { .. })));
    let text = format!("SELECT {}1 FROM m", "-".repeat(10_000));
    assert!(matches!(parse(&text), Err(Error::Parse { .. })));
    let text = format!("SELECT count() FROM m WHERE {}a", "NOT ".repeat(10_000));
    assert!(matches!(parse(&text), Err(Error::Parse { .. })));
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = parse(&text);
    }

    #[test]
    fn arbitrary_token_soup_never_panics(words in proptest::collection::vec(prop_oneof![
        Just("SELECT"), Just("FROM"), Just("WHERE"), Just("GROUP"), Just("BY"), Just("window("), Just("1h"), Just(")"), Just("("),
        Just(","), Just("AS"), Just("OF"), Just("'x'"), Just("a.b"), Just("count()"), Just("="), Just("NOT"), Just("IN"), Just("IS"),
        Just("NULL"), Just("LIMIT"), Just("3"), Just("-"), Just("*"), Just("REFERENCE"), Just("JOIN"), Just("EXPLAIN"), Just("TRACE"),
    ], 0..30)) {
        let _ = parse(&words.join(" "));
    }
}
