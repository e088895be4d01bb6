//! The statements that describe the database rather than compute over it: `SHOW COMPONENTS`,
//! `DESCRIBE component` and `TRACE 'id'`.

use crate::error::{Error, Result};
use crate::output::{Cell, Table};
use seamdb_storage::model::{is_valid, FieldType, TraceId, Value};
use seamdb_storage::{ComponentView, Snapshot, Values};
use std::collections::BTreeSet;

/// One row per component: name, rows, sealed segments and their bytes, first and last event
/// time, and when the last append arrived (by the writer's clock): whether every component
/// is still being written, in one answer.
pub fn show_components(snapshot: &Snapshot) -> Table {
    let mut table = Table::new(["component", "rows", "segments", "bytes", "first_time", "last_time", "last_append"]);
    for c in snapshot.components() {
        let (first, last) = c.time_range().map_or((Cell::Null, Cell::Null), |(a, b)| (Cell::Time(a), Cell::Time(b)));
        table.rows.push(vec![
            Cell::Text(c.name().into()),
            Cell::Int(c.rows() as i64),
            Cell::Int(c.segments().len() as i64),
            Cell::Int(c.size_bytes() as i64),
            first,
            last,
            c.last_append().map_or(Cell::Null, Cell::Time),
        ]);
    }
    table
}

/// One row per column of `component`: its type, non-null count, distinct values (tags and
/// bools), and min / max (numbers and time).
pub fn describe(snapshot: &Snapshot, component: &str) -> Result<Table> {
    let c = snapshot.component(component).ok_or_else(|| Error::Name(format!("there is no component {component:?}")))?;
    // It reads every field of every segment (see exec/verify.rs).
    for (name, _) in c.schema().fields() {
        c.segments().iter().try_for_each(|s| s.verify(seamdb_storage::segment::Group::Field(name)))?;
    }
    let mut table = Table::new(["field", "type", "non_null", "distinct", "min", "max"]);
    let rows = c.rows() as i64;
    table.rows.push(vec![
        Cell::Text("trace_id".into()),
        Cell::Text("trace_id".into()),
        Cell::Int(rows),
        Cell::Null,
        Cell::Null,
        Cell::Null,
    ]);
    let (min, max) = c.time_range().map_or((Cell::Null, Cell::Null), |(a, b)| (Cell::Time(a), Cell::Time(b)));
    table.rows.push(vec![Cell::Text("time".into()), Cell::Text("time".into()), Cell::Int(rows), Cell::Null, min, max]);
    for (name, ty) in c.schema().fields() {
        table.rows.push(describe_field(&c, name, *ty));
    }
    Ok(table)
}

fn describe_field(c: &ComponentView<'_>, name: &str, ty: FieldType) -> Vec<Cell> {
    let mut non_null = 0i64;
    let mut distinct = BTreeSet::new();
    let (mut min, mut max) = (f64::INFINITY, f64::NEG_INFINITY);
    for part in c.parts() {
        let Some(field) = part.field(name) else { continue };
        for r in 0..part.rows() {
            if !field.validity.is_none_or(|w| is_valid(w, r)) {
                continue;
            }
            non_null += 1;
            match field.values {
                Values::Float(v) => (min, max) = (min.min(v[r]), max.max(v[r])),
                Values::Int(v) => (min, max) = (min.min(v[r] as f64), max.max(v[r] as f64)),
                Values::Bool(v) => drop(distinct.insert((v[r] != 0).to_string())),
                Values::Tag { codes, dict } => drop(distinct.insert(dict.get(codes.get(r)).to_string())),
            }
        }
    }
    let number = |x: f64| {
        if !x.is_finite() {
            Cell::Null
        } else if ty == FieldType::Int {
            Cell::Int(x as i64)
        } else {
            Cell::Float(x)
        }
    };
    let distinct = if matches!(ty, FieldType::Tag | FieldType::Bool) { Cell::Int(distinct.len() as i64) } else { Cell::Null };
    vec![Cell::Text(name.into()), Cell::Text(ty.name().into()), Cell::Int(non_null), distinct, number(min), number(max)]
}

/// Every event of one trace, ordered by time: `time`, `component`, then every component's
/// fields as `component.field` (null where an event has none).
pub fn trace(snapshot: &Snapshot, id: &str) -> Result<Table> {
    let id = TraceId::parse(id).map_err(|e| Error::Invalid(e.to_string()))?;
    let mut columns = vec!["time".to_string(), "component".to_string()];
    // Where each component's fields start; an event lists its fields in schema order.
    let mut starts = Vec::new();
    for c in snapshot.components() {
        starts.push((c.name(), columns.len()));
        columns.extend(c.schema().fields().iter().map(|(f, _)| format!("{}.{f}", c.name())));
    }
    let mut table = Table { columns, rows: Vec::new() };
    for event in snapshot.trace(id)? {
        let mut row = vec![Cell::Null; table.columns.len()];
        row[0] = Cell::Time(event.time_us);
        let start = starts.iter().find(|(name, _)| *name == event.component).map_or(usize::MAX, |(_, s)| *s);
        for (k, (_, value)) in event.fields.into_iter().enumerate() {
            if let Some(c) = row.get_mut(start.saturating_add(k)) {
                *c = cell(value);
            }
        }
        row[1] = Cell::Text(event.component);
        table.rows.push(row);
    }
    Ok(table)
}

fn cell(v: Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Float(x) => Cell::Float(x),
        Value::Int(i) => Cell::Int(i),
        Value::Bool(b) => Cell::Bool(b),
        Value::Tag(s) => Cell::Text(s),
    }
}
