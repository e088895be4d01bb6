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

#[test]
fn nan_is_stored_as_null_and_nulls_round_trip_through_segments() {
    let dir = temp();
    let db = open(dir.path(), small_options());
    let b = batch(&[
        (1, 1, vec![("x", Value::Float(f64::NAN)), ("t", Value::Tag("a".into()))]),
        (2, 2, vec![("x", Value::Float(2.0)), ("b", Value::Bool(false))]),
        (3, 3, vec![("i", Value::Int(-7)), ("x", Value::Null)]),
    ]);
    db.append("m", b).unwrap();
    let before = rows_of(&db.snapshot(), "m");
    assert_eq!(before[0].2, vec![("t".to_string(), Value::Tag("a".into()))]);
    db.flush().unwrap();
    assert_eq!(rows_of(&db.snapshot(), "m"), before);
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
