//! Every schema rule of SPEC §2: inference is tested in the ingest module; here, evolution,
//! widening, conflicts, names and nulls through the embedded API.

use crate::support::{open, rows_of, small_options, temp};
use seamdb::storage::{Column, ColumnData, Error};
use seamdb::{Batch, BatchBuilder, FieldType, Schema, Value};

type TestRow<'a> = (u128, i64, Vec<(&'a str, Value)>);

fn batch(rows: &[TestRow<'_>]) -> Batch {
    let mut b = BatchBuilder::new();
    for (id, t, values) in rows {
        b.push(*id, *t, values).expect("consistent test rows");
    }
    b.finish().expect("valid batch")
}

#[test]
fn first_write_fixes_the_schema_and_new_fields_are_added() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    db.append("inference", batch(&[(1, 10, vec![("score", Value::Float(0.5))])])).unwrap();
    db.append("inference", batch(&[(2, 20, vec![("score", Value::Float(0.7)), ("country", Value::Tag("US".into()))])])).unwrap();
    let snap = db.snapshot();
    let c = snap.component("inference").unwrap();
    assert_eq!(c.schema().fields(), &[("score".to_string(), FieldType::Float), ("country".to_string(), FieldType::Tag)]);
    let rows = rows_of(&snap, "inference");
    assert_eq!(rows[0].2, vec![("score".to_string(), Value::Float(0.5))], "older rows read null for the new field");
}

#[test]
fn int_widens_to_float_across_writes_segments_and_reopen() {
    let dir = temp();
    {
        let db = open(dir.path(), small_options());
        db.append("feedback", batch(&[(1, 10, vec![("label", Value::Int(1))])])).unwrap();
        db.flush().unwrap(); // an int column now sits in a sealed segment
        db.append("feedback", batch(&[(2, 20, vec![("label", Value::Float(0.25))])])).unwrap();
        assert_eq!(db.snapshot().component("feedback").unwrap().schema().field_type("label"), Some(FieldType::Float));
    }
    let db = open(dir.path(), small_options());
    let rows = rows_of(&db.snapshot(), "feedback");
    assert_eq!(rows[0].2, vec![("label".to_string(), Value::Float(1.0))]);
    assert_eq!(rows[1].2, vec![("label".to_string(), Value::Float(0.25))]);
    db.compact().unwrap();
    assert_eq!(rows_of(&db.snapshot(), "feedback"), rows, "compaction rewrites the int segment as float");
}

#[test]
fn a_float_field_takes_ints_as_floats() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    db.append("m", batch(&[(1, 1, vec![("x", Value::Float(1.5))])])).unwrap();
    db.append("m", batch(&[(2, 2, vec![("x", Value::Int(3))])])).unwrap();
    let snap = db.snapshot();
    assert_eq!(snap.component("m").unwrap().schema().field_type("x"), Some(FieldType::Float));
    assert_eq!(rows_of(&snap, "m")[1].2, vec![("x".to_string(), Value::Float(3.0))]);
}

#[test]
fn a_conflict_names_component_field_both_types_and_row_and_stores_nothing() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    db.append("inference", batch(&[(1, 1, vec![("score", Value::Float(0.5))])])).unwrap();
    let bad = batch(&[(2, 2, vec![("country", Value::Tag("US".into()))]), (3, 3, vec![("score", Value::Tag("high".into()))])]);
    let err = db.append("inference", bad).unwrap_err();
    match &err {
        Error::SchemaConflict { component, field, expected, found, row } => {
            assert_eq!(
                (component.as_str(), field.as_str(), *expected, *found, *row),
                ("inference", "score", FieldType::Float, FieldType::Tag, 1)
            );
        }
        other => panic!("expected a schema conflict, got {other}"),
    }
    let msg = err.to_string();
    for part in ["inference", "score", "float", "tag", "row 1"] {
        assert!(msg.contains(part), "{msg:?} lacks {part:?}");
    }
    let snap = db.snapshot();
    assert_eq!(snap.component("inference").unwrap().rows(), 1, "nothing of the failed batch is stored");
    assert_eq!(snap.component("inference").unwrap().schema().field_type("country"), None, "nor its new field");
}

#[test]
fn every_other_type_pair_conflicts() {
    let types = [Value::Float(1.0), Value::Int(1), Value::Bool(true), Value::Tag("a".into())];
    for first in &types {
        for second in &types {
            let dir = temp();
            let db = open(dir.path(), small_options());
            db.append("c", batch(&[(1, 1, vec![("f", first.clone())])])).unwrap();
            let result = db.append("c", batch(&[(2, 2, vec![("f", second.clone())])]));
            let numeric = |v: &Value| matches!(v, Value::Float(_) | Value::Int(_));
            let compatible = first.field_type() == second.field_type() || (numeric(first) && numeric(second));
            assert_eq!(result.is_ok(), compatible, "{first:?} then {second:?}");
        }
    }
}

#[test]
fn declared_schemas_merge_with_the_same_rules() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    db.create_component("training", &Schema::new(vec![("loss".into(), FieldType::Int)])).unwrap();
    db.create_component("training", &Schema::new(vec![("loss".into(), FieldType::Float), ("run".into(), FieldType::Tag)])).unwrap();
    let err = db.create_component("training", &Schema::new(vec![("run".into(), FieldType::Bool)])).unwrap_err();
    assert!(err.to_string().contains("\"run\" is tag"), "{err}");
    drop(db);
    let db = open(dir.path(), small_options());
    let snap = db.snapshot();
    let schema = snap.component("training").unwrap().schema();
    assert_eq!(schema.fields(), &[("loss".to_string(), FieldType::Float), ("run".to_string(), FieldType::Tag)]);
}

#[test]
fn component_and_field_names_are_checked() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    for bad in ["", "Inference", "1st", "a-b", &"x".repeat(64)] {
        assert!(db.append(bad, batch(&[(1, 1, vec![])])).is_err(), "component name {bad:?} was accepted");
    }
    assert!(db.append(&"x".repeat(63), batch(&[(1, 1, vec![])])).is_ok());
    let column = Column::new(ColumnData::Float(vec![1.0]), None);
    for bad in ["", "time", "trace_id"] {
        assert!(Batch::new(vec![1], vec![1], vec![(bad.to_string(), column.clone())]).is_err(), "field name {bad:?} was accepted");
    }
}

/// The bits of field `x` per trace ID (1..=n), `None` for null.
fn x_bits(db: &seamdb::Db) -> Vec<Option<u64>> {
    let snap = db.snapshot();
    let mut out: Vec<(u128, Option<u64>)> = Vec::new();
    for part in snap.component("m").unwrap().parts() {
        let x = part.field("x").unwrap();
        for r in 0..part.rows() {
            let bits = match x.value(r) {
                Value::Float(f) => Some(f.to_bits()),
                Value::Null => None,
                other => panic!("x is a float field, read {other:?}"),
            };
            out.push((part.trace_ids()[r], bits));
        }
    }
    out.sort();
    out.into_iter().map(|(_, b)| b).collect()
}

#[test]
fn nan_and_infinities_are_values_not_nulls_through_the_log_and_segments() {
    let dir = temp();
    let nan = f64::from_bits(0x7ff8_0000_0000_0001); // a NaN with a payload: kept bit for bit
    let xs = [Value::Float(nan), Value::Float(f64::INFINITY), Value::Float(f64::NEG_INFINITY), Value::Null, Value::Float(2.0)];
    let rows: Vec<TestRow<'_>> = xs.iter().enumerate().map(|(i, x)| (i as u128 + 1, i as i64, vec![("x", x.clone())])).collect();
    let want = vec![Some(nan.to_bits()), Some(f64::INFINITY.to_bits()), Some(f64::NEG_INFINITY.to_bits()), None, Some(2.0f64.to_bits())];
    let options = seamdb::Options { seal_rows: 1 << 20, background_seal: false, ..seamdb::Options::default() };
    {
        let db = open(dir.path(), options.clone());
        db.append("m", batch(&rows)).unwrap();
        assert_eq!(x_bits(&db), want, "in the tail");
        let x = db.snapshot().component("m").unwrap().tail().next().unwrap().field("x").unwrap().clone();
        assert!(x.validity.as_ref().is_some_and(|v| v.is_valid(0) && !v.is_valid(3)), "NaN is valid; only the null is not");
    }
    let db = open(dir.path(), options.clone());
    assert_eq!(db.recovery_report().replayed_batches, 1);
    assert_eq!(x_bits(&db), want, "replayed from the log");
    db.flush().unwrap();
    drop(db);
    let db = open(dir.path(), options);
    assert_eq!(db.snapshot().component("m").unwrap().tail().count(), 0);
    assert_eq!(x_bits(&db), want, "read from a sealed segment");
    // A Column built by hand keeps its NaN too.
    let column = Column::new(ColumnData::Float(vec![f64::NAN]), None);
    let b = Batch::new(vec![9], vec![9], vec![("x".into(), column)]).unwrap();
    assert!(b.field("x").unwrap().validity.is_none());
}

#[test]
fn a_batch_builder_rejects_a_type_change_within_a_batch() {
    let mut b = BatchBuilder::new();
    b.push(1, 1, &[("x", Value::Int(1))]).unwrap();
    b.push(2, 2, &[("x", Value::Float(1.5))]).unwrap();
    let err = b.push(3, 3, &[("x", Value::Tag("no".into()))]).unwrap_err();
    assert_eq!((err.expected, err.found, err.row), (FieldType::Float, FieldType::Tag, 2));
    let batch = b.finish().unwrap();
    assert_eq!(batch.rows(), 2, "the rejected row left nothing behind");
    assert!(matches!(batch.field("x").unwrap().data, ColumnData::Float(_)));
}
