//! Text ingest through the library: types inferred per SPEC §2, and every kind of bad input
//! rejected with its line and column, storing nothing.

use crate::support::{open, rows_of, small_options, temp};
use seamdb::ingest::{ingest, Format, IngestOptions, TimeUnit};
use seamdb::{Db, Error, FieldType, Value};

fn run(db: &Db, component: &str, input: &[u8], options: &IngestOptions) -> seamdb::Result<seamdb::ingest::IngestReport> {
    ingest(db, component, input, options, &mut |_| {})
}

/// One line per chunk: every row after the first fixed a new field's type is checked
/// against it, as in a large file whose first chunk fixed the types.
fn csv() -> IngestOptions {
    IngestOptions { chunk_bytes: 1, ..IngestOptions::default() }
}

fn jsonl() -> IngestOptions {
    IngestOptions { format: Format::Jsonl, chunk_bytes: 1, ..IngestOptions::default() }
}

#[test]
fn csv_types_are_inferred_and_values_stored() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input = b"trace_id,time,score,label,ok,country,income\n\
        1,2026-01-05T00:00:00Z,0.5,1,true,US,\n\
        4bf92f3577b34da6a3ce929d0e0e4736,2026-01-05T00:00:01.5+00:00,1,0,FALSE,DE,12\n\
        4bf92f35-77b3-4da6-a3ce-929d0e0e4737,2026-01-05T01:00:00Z,NaN,1,true,US,13.5\n\
        7,2026-01-05T02:00:00Z,0.25,0,false,,14\n";
    let report = run(&db, "inference", input, &csv()).unwrap();
    assert_eq!(report.rows, 4);
    let snap = db.snapshot();
    let schema = snap.component("inference").unwrap().schema().clone();
    let types: Vec<(&str, FieldType)> = schema.fields().iter().map(|(n, t)| (n.as_str(), *t)).collect();
    assert_eq!(
        types,
        [
            ("score", FieldType::Float),
            ("label", FieldType::Int),
            ("ok", FieldType::Bool),
            ("country", FieldType::Tag),
            ("income", FieldType::Float)
        ]
    );
    let rows = rows_of(&snap, "inference");
    assert_eq!(rows[0].0, 1);
    assert_eq!(rows[0].1, 1_767_571_200_000_000);
    let nan_row = rows.iter().find(|r| r.0 == 0x4bf92f3577b34da6a3ce929d0e0e4737).unwrap();
    assert!(nan_row.2.iter().any(|(n, v)| n == "score" && matches!(v, Value::Float(x) if x.is_nan())), "NaN is a float, not null");
    let income: Vec<&Value> = rows.iter().flat_map(|r| r.2.iter().filter(|(n, _)| n == "income").map(|(_, v)| v)).collect();
    assert_eq!(income, [&Value::Float(14.0), &Value::Float(12.0), &Value::Float(13.5)]);
}

#[test]
fn integer_times_need_and_use_a_unit() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input = b"trace_id,ts,x\n1,1767571200,1\n";
    let err = run(&db, "c", input, &csv()).unwrap_err().to_string();
    assert!(err.contains("line 2, column 2") && err.contains("--time-unit"), "{err}");
    let options = IngestOptions { time_unit: Some(TimeUnit::S), ..csv() };
    run(&db, "c", input, &options).unwrap();
    assert_eq!(rows_of(&db.snapshot(), "c")[0].1, 1_767_571_200_000_000);
}

#[test]
fn jsonl_types_come_from_json() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input = br#"{"trace_id": "42", "time": "2026-01-05T00:00:00Z", "score": 0.9, "label": 1, "ok": true, "country": "US"}

{"trace_id": 43, "ts": "2026-01-05T00:00:01Z", "score": 1, "label": null, "country": "DE"}
"#;
    assert_eq!(run(&db, "inference", input, &jsonl()).unwrap().rows, 2);
    let snap = db.snapshot();
    let schema = snap.component("inference").unwrap().schema();
    assert_eq!(schema.field_type("score"), Some(FieldType::Float));
    assert_eq!(schema.field_type("label"), Some(FieldType::Int));
    assert_eq!(schema.field_type("ok"), Some(FieldType::Bool));
    assert_eq!(schema.field_type("country"), Some(FieldType::Tag));
}

/// Each bad input: (format, text, expected "line L" and "column C" fragment, a word of the reason).
const BAD: &[(&str, &[u8], &str, &str)] = &[
    // The first chunk (one row here) fixes a new field's type; the bad value comes later.
    ("csv", b"trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n1,2026-01-05T00:00:00Z,0.5\n1,2026-01-05T00:00:00Z,0.5\n2,2026-01-05T00:00:00Z,high\n", "line 5, column 3", "float"),
    ("csv", b"trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\nabc,2026-01-05T00:00:00Z,0.5\n", "line 3, column 1", "trace ID"),
    ("csv", b"trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n2,yesterday,0.5\n", "line 3, column 2", "not a time"),
    ("csv", b"trace_id,time,score\n1,2026-01-05T00:00:00Z,0.5\n2,2026-01-05T00:00:00Z\n", "line 3", "expected 3 fields"),
    ("csv", b"trace_id,time,country\n1,2026-01-05T00:00:00Z,US\n2,2026-01-05T00:00:00Z,\xff\xfe\n", "line 3, column 3", "UTF-8"),
    ("csv", b"", "line 1, column 1", "empty"),
    ("csv", b"trace_id,time,score\n", "line 1", "no events"),
    ("csv", b"id,time,score\n1,2026-01-05T00:00:00Z,1\n", "line 1", "trace_id"),
    ("csv", b"trace_id,time,x,x\n1,2026-01-05T00:00:00Z,1,2\n", "line 1, column 4", "twice"),
    ("jsonl", b"{\"trace_id\": 1, \"time\": \"2026-01-05T00:00:00Z\", \"score\": 0.5}\n{\"trace_id\": 2, \"time\": \"2026-01-05T00:00:00Z\", \"score\": \"high\"}\n", "line 2", "float"),
    ("jsonl", b"{\"trace_id\": \"zz\", \"time\": \"2026-01-05T00:00:00Z\"}\n", "line 1", "trace ID"),
    ("jsonl", b"{\"trace_id\": 1, \"time\": \"soon\"}\n", "line 1", "not a time"),
    ("jsonl", b"{\"trace_id\": 1, \"time\": \"2026-01-05T00:00:00Z\"}\n{\"trace_id\": 2, \"time\": \n", "line 2, column", "JSON"),
    ("jsonl", b"{\"trace_id\": 1, \"time\": \"2026-01-05T00:00:00Z\", \"c\": \"\xff\"}\n", "line 1, column", "JSON"),
    ("jsonl", b"", "line 1", "no events"),
    ("jsonl", b"[1, 2]\n", "line 1, column", "JSON object"),
    ("jsonl", b"{\"trace_id\": 1, \"time\": \"2026-01-05T00:00:00Z\", \"x\": [1]}\n", "line 1", "nested"),
];

/// A time column reads times as SeamQL does (one parser): a date is midnight UTC, and a time
/// without a zone is an error with its line and column, never a guess.
#[test]
fn times_are_read_as_queries_read_them() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    run(&db, "c", b"trace_id,time,x\n1,2026-01-05,1\n2,2026-01-05T02:00:00+02:00,2\n", &csv()).unwrap();
    assert!(rows_of(&db.snapshot(), "c").iter().all(|r| r.1 == 1_767_571_200_000_000));
    let err = run(&db, "c", b"trace_id,time,x\n3,2026-01-05T00:00:00,1\n", &csv()).unwrap_err().to_string();
    assert!(err.contains("line 2, column 2") && err.contains("is not a time"), "{err}");
}

#[test]
fn bad_input_names_line_and_column_and_stores_nothing() {
    for (format, text, place, reason) in BAD {
        let dir = temp();
        let db = open(dir.path(), small_options());
        let options = if *format == "csv" { csv() } else { jsonl() };
        let text_shown = String::from_utf8_lossy(text);
        let err = run(&db, "inference", text, &options).expect_err(&text_shown);
        assert!(matches!(err, Error::Input { .. }), "{text_shown:?}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(place) && msg.contains(reason), "{text_shown:?} gave {msg:?}, expected {place:?} and {reason:?}");
        assert!(db.snapshot().component("inference").is_none_or(|c| c.rows() == 0), "{text_shown:?} stored rows");
    }
}

#[test]
fn invalid_utf8_bytes_in_a_csv_file_are_an_input_error() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input = b"trace_id,time,country\n1,2026-01-05T00:00:00Z,US\n2,2026-01-05T00:00:00Z,\xff\n";
    let msg = run(&db, "c", input, &csv()).unwrap_err().to_string();
    assert!(msg.starts_with("line 3, column 3"), "{msg}");
}

#[test]
fn an_error_after_many_chunks_still_stores_nothing() {
    let dir = temp();
    let db = open(dir.path(), small_options()); // seal_rows 64: the load writes many segments first
    let mut text = String::from("trace_id,time,score\n");
    for i in 0..1000 {
        text.push_str(&format!("{i},2026-01-05T00:00:00Z,{i}.5\n"));
    }
    text.push_str("1000,2026-01-05T00:00:00Z,oops\n");
    let err = run(&db, "c", text.as_bytes(), &csv()).unwrap_err();
    assert!(err.to_string().contains("line 1002, column 3"), "{err}");
    assert!(db.snapshot().component("c").is_none());
    drop(db);
    let segments = std::fs::read_dir(dir.path().join("segments")).unwrap().count();
    assert_eq!(segments, 0, "the aborted load's segment files are gone");
}

#[test]
fn skip_bad_rows_keeps_the_good_ones_and_reports_each_bad_one() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input = b"trace_id,time,score,country\n1,2026-01-05T00:00:00Z,0.5,US\n2,2026-01-05T00:00:00Z,high,DE\nx,2026-01-05T00:00:00Z,0.1,FR\n4,2026-01-05T00:00:00Z,0.7,\n";
    // One-row chunks: the first row fixes score as float before "high" arrives.
    let options = IngestOptions { skip_bad_rows: true, ..csv() };
    let report = run(&db, "c", input, &options).unwrap();
    assert_eq!(report.rows, 2);
    let places: Vec<String> = report.bad_rows.iter().map(|b| b.place.to_string()).collect();
    assert_eq!(places, ["line 3, column 3", "line 4, column 1"]);
    let rows = rows_of(&db.snapshot(), "c");
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 4]);
    assert_eq!(rows[1].2, vec![("score".to_string(), Value::Float(0.7))], "the bad row left no value in any column");
}

#[test]
fn a_later_chunk_widens_int_to_float() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let input =
        b"trace_id,time,x\n1,2026-01-05T00:00:00Z,1\n2,2026-01-05T00:00:00Z,2\n3,2026-01-05T00:00:00Z,3\n4,2026-01-05T00:00:00Z,4.5\n";
    run(&db, "c", input, &csv()).unwrap();
    let snap = db.snapshot();
    assert_eq!(snap.component("c").unwrap().schema().field_type("x"), Some(FieldType::Float));
    let xs: Vec<Value> = rows_of(&snap, "c").into_iter().map(|r| r.2[0].1.clone()).collect();
    assert_eq!(xs, [Value::Float(1.0), Value::Float(2.0), Value::Float(3.0), Value::Float(4.5)]);
}

#[test]
fn quoted_values_survive_every_chunk_size() {
    let input = "trace_id,time,note,x\n\
        1,2026-01-05T00:00:00Z,\"a, b\",1\n\
        2,2026-01-05T00:00:01Z,\"line one\nline two\",2\n\
        3,2026-01-05T00:00:02Z,\"say \"\"hi\"\"\",3\n\
        4,2026-01-05T00:00:03Z,plain,4\n";
    let mut expected = None;
    for chunk_bytes in [1, 5, 17, 40, 64, 1 << 20] {
        let dir = temp();
        let db = open(dir.path(), small_options());
        let options = IngestOptions { chunk_bytes, ..IngestOptions::default() };
        assert_eq!(run(&db, "c", input.as_bytes(), &options).unwrap().rows, 4, "chunk_bytes {chunk_bytes}");
        let notes: Vec<Value> =
            rows_of(&db.snapshot(), "c").into_iter().map(|r| r.2.into_iter().find(|(n, _)| n == "note").unwrap().1).collect();
        assert_eq!(notes[1], Value::Tag("line one\nline two".into()));
        assert_eq!(notes[2], Value::Tag("say \"hi\"".into()));
        match &expected {
            None => expected = Some(notes),
            Some(e) => assert_eq!(&notes, e, "chunk_bytes {chunk_bytes}"),
        }
    }
}

#[test]
fn an_error_in_a_later_chunk_names_its_file_line() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let mut text = String::from("trace_id,time,note,x\n");
    text.push_str("1,2026-01-05T00:00:00Z,\"multi\nline\",1\n");
    for i in 2..50 {
        text.push_str(&format!("{i},2026-01-05T00:00:00Z,n,{i}\n"));
    }
    text.push_str("50,2026-01-05T00:00:00Z,n,fifty\n");
    let options = IngestOptions { chunk_bytes: 100, ..IngestOptions::default() };
    let msg = run(&db, "c", text.as_bytes(), &options).unwrap_err().to_string();
    // Header, a record spanning two lines, 48 rows: the bad row is on line 52.
    assert!(msg.starts_with("line 52, column 4"), "{msg}");
}

/// The float bits of `field` per trace ID, `None` for null.
fn float_bits(db: &Db, component: &str, field: &str) -> Vec<(u128, Option<u64>)> {
    let rows = rows_of(&db.snapshot(), component);
    rows.iter()
        .map(|r| {
            let v = r.2.iter().find(|(n, _)| n == field).map(|(_, v)| v);
            (r.0, v.map(|v| if let Value::Float(x) = v { x.to_bits() } else { panic!("{field} holds {v:?}") }))
        })
        .collect()
}

#[test]
fn nan_and_infinity_in_every_spelling_are_floats_in_csv() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let words = ["nan", "NaN", "NAN", "inf", "-inf", "+inf", "Infinity", "-Infinity"];
    let mut text = String::from("trace_id,time,x,y\n");
    for (i, w) in words.iter().enumerate() {
        // x: only the word (a new field inferred from it); y: an int column given the word.
        text.push_str(&format!("{},2026-01-05T00:00:0{i}Z,{w},{}\n", i + 1, if i == 0 { "3" } else { w }));
    }
    text.push_str("99,2026-01-05T00:00:09Z,,\n");
    run(&db, "m", text.as_bytes(), &IngestOptions::default()).unwrap();
    let schema = db.snapshot().component("m").unwrap().schema().clone();
    assert_eq!((schema.field_type("x"), schema.field_type("y")), (Some(FieldType::Float), Some(FieldType::Float)));
    let x = float_bits(&db, "m", "x");
    for (i, w) in words.iter().enumerate() {
        let want: f64 = w.parse().unwrap();
        let got = f64::from_bits(x[i].1.unwrap_or_else(|| panic!("{w} was stored as null")));
        assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{w}: {got}");
    }
    assert_eq!(x[8], (99, None), "an empty cell is still null");
}

#[test]
fn json_lines_take_python_nan_tokens_and_non_finite_strings_in_a_float_field() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let text = b"{\"trace_id\":1,\"time\":\"2026-01-05T00:00:00Z\",\"x\":0.5,\"note\":\"NaN\"}\n\
        {\"trace_id\":2,\"time\":\"2026-01-05T00:00:01Z\",\"x\":NaN,\"note\":\"a \\\"NaN\\\" in text\"}\n\
        {\"trace_id\":3,\"time\":\"2026-01-05T00:00:02Z\",\"x\":-Infinity}\n\
        {\"trace_id\":4,\"time\":\"2026-01-05T00:00:03Z\",\"x\":\"Infinity\"}\n\
        {\"trace_id\":5,\"time\":\"2026-01-05T00:00:04Z\",\"x\":null}\n";
    run(&db, "m", text, &jsonl()).unwrap();
    let schema = db.snapshot().component("m").unwrap().schema().clone();
    assert_eq!((schema.field_type("x"), schema.field_type("note")), (Some(FieldType::Float), Some(FieldType::Tag)));
    let x: Vec<Option<f64>> = float_bits(&db, "m", "x").into_iter().map(|(_, b)| b.map(f64::from_bits)).collect();
    assert_eq!(x[0], Some(0.5));
    assert!(x[1].is_some_and(f64::is_nan), "bare NaN: {x:?}");
    assert_eq!((x[2], x[3], x[4]), (Some(f64::NEG_INFINITY), Some(f64::INFINITY), None));
    let notes: Vec<Value> =
        rows_of(&db.snapshot(), "m").into_iter().flat_map(|r| r.2.into_iter().filter(|(n, _)| n == "note").map(|(_, v)| v)).collect();
    assert_eq!(notes, [Value::Tag("NaN".into()), Value::Tag("a \"NaN\" in text".into())], "a string stays a tag in a tag field");
}
