//! A component's rows as Arrow, a part at a time, for the Spark data source (python/seamdb/
//! spark.py, docs/DISTRIBUTED.md §Reading from Spark): the planner lists the sealed segments,
//! each becomes one Spark partition, and one more partition reads everything else (the
//! unsealed tail, and segments sealed since planning). Rows are selected before they are
//! read: time bounds by binary search of a segment's sorted times, tag equality and `IN` by
//! the slice index's bitmaps, trace IDs by the trace index.

use crate::error;
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use pyo3::PyResult;
use roaring::RoaringBitmap;
use seamdb::storage::{ComponentView, FieldType, Part, Snapshot, TraceId, Values};
use std::sync::Arc;

/// What a read keeps: the conditions Spark pushed down, all of which a row must meet.
#[derive(Debug, Default)]
pub struct Conditions {
    /// Inclusive bounds on `time`, µs.
    pub time: Option<(i64, i64)>,
    /// A tag field and the values it may hold.
    pub tags: Vec<(String, Vec<String>)>,
    /// The trace IDs a row may have.
    pub traces: Option<Vec<u128>>,
}

/// Which rows of a component one partition reads.
#[derive(Debug)]
pub enum Which<'a> {
    /// The sealed segment with this ID.
    Segment(u64),
    /// Every part but these sealed segments (the other partitions read them).
    Rest(&'a [u64]),
}

/// The component's sealed segments: (ID, rows), oldest first.
pub fn segments(component: &ComponentView<'_>) -> Vec<(u64, usize)> {
    component.segments().iter().map(|s| (s.id(), s.rows())).collect()
}

/// The Arrow schema of a component's rows: `trace_id` (text, as SeamQL prints it), `time`
/// (UTC), then the fields (tags as text).
pub fn schema(component: &ComponentView<'_>) -> Arc<Schema> {
    let mut fields = vec![
        Field::new("trace_id", DataType::Utf8, false),
        Field::new("time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
    ];
    fields.extend(component.schema().fields().iter().map(|(name, ty)| {
        let t = match ty {
            FieldType::Float => DataType::Float64,
            FieldType::Int => DataType::Int64,
            FieldType::Bool => DataType::Boolean,
            FieldType::Tag => DataType::Utf8,
        };
        Field::new(name, t, true)
    }));
    Arc::new(Schema::new(fields))
}

/// The rows of `which` parts of `component` that meet `conditions`, one record batch a part.
pub fn read(snapshot: &Snapshot, component: &str, which: &Which<'_>, conditions: &Conditions) -> PyResult<Vec<RecordBatch>> {
    let Some(view) = snapshot.component(component) else {
        return Err(error::query(seamdb::query::Error::Name(format!("there is no component {component:?}"))));
    };
    let schema = schema(&view);
    let parts: Vec<Part<'_>> = match which {
        Which::Segment(id) => match view.segments().iter().find(|s| s.id() == *id) {
            Some(s) => vec![Part::Segment(s)],
            None => {
                return Err(error::StorageError::new_err(format!(
                "segment {id} of {component:?} is no longer in the database (compacted or dropped since the read was planned): read again"
            )))
            }
        },
        Which::Rest(planned) => view.parts().filter(|p| !matches!(p, Part::Segment(s) if planned.contains(&s.id()))).collect(),
    };
    let mut batches = Vec::new();
    for part in parts {
        if let Part::Segment(s) = part {
            s.verify_all().map_err(error::storage)?;
        }
        let rows = select(&part, conditions).map_err(error::storage)?;
        batches.push(batch(&schema, &view, &part, &rows).map_err(|e| error::input(e.to_string()))?);
    }
    Ok(batches)
}

/// The rows of `part` that meet `conditions`, ascending.
fn select(part: &Part<'_>, conditions: &Conditions) -> seamdb::storage::Result<Vec<u32>> {
    let times = part.times();
    let (lo, hi) = conditions.time.unwrap_or((i64::MIN, i64::MAX));
    let mut rows = RoaringBitmap::new();
    if part.is_sorted_by_time() {
        let (start, end) = (times.partition_point(|&t| t < lo), times.partition_point(|&t| t <= hi));
        if start < end {
            rows.insert_range(start as u32..end as u32);
        }
    } else {
        rows.extend((0..times.len()).filter(|&r| (lo..=hi).contains(&times[r])).map(|r| r as u32));
    }
    for (field, values) in &conditions.tags {
        let mut any = RoaringBitmap::new();
        for v in values {
            any |= part.tag_rows(field, v)?;
        }
        rows &= any;
    }
    if let Some(ids) = &conditions.traces {
        rows &= ids.iter().flat_map(|&id| part.trace_rows(id)).collect::<RoaringBitmap>();
    }
    Ok(rows.into_iter().collect())
}

/// `rows` of `part` as one record batch of `schema`. A field the part lacks is null; one it
/// stores as `int` that has since widened to `float` reads as floats.
fn batch(schema: &Arc<Schema>, view: &ComponentView<'_>, part: &Part<'_>, rows: &[u32]) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let ids = part.trace_ids();
    let times = part.times();
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(rows.iter().map(|&r| TraceId(ids[r as usize]).to_string()))),
        Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|&r| times[r as usize])).with_timezone("UTC")),
    ];
    for (name, ty) in view.schema().fields() {
        let field = part.field(name);
        let valid = |r: usize| field.is_some_and(|f| f.is_valid(r));
        let values = field.map(|f| f.values);
        // Each selected row's value, or None where it is null (or the part lacks the field).
        let cells = || rows.iter().map(|&r| (r as usize, values.filter(|_| valid(r as usize))));
        let column: ArrayRef = match ty {
            FieldType::Float => Arc::new(Float64Array::from_iter(cells().map(|(r, v)| match v {
                Some(Values::Float(v)) => Some(v[r]),
                Some(Values::Int(v)) => Some(v[r] as f64),
                _ => None,
            }))),
            FieldType::Int => Arc::new(Int64Array::from_iter(cells().map(|(r, v)| match v {
                Some(Values::Int(v)) => Some(v[r]),
                _ => None,
            }))),
            FieldType::Bool => Arc::new(BooleanArray::from_iter(cells().map(|(r, v)| match v {
                Some(Values::Bool(v)) => Some(v[r] != 0),
                _ => None,
            }))),
            FieldType::Tag => Arc::new(StringArray::from_iter(cells().map(|(r, v)| match v {
                Some(Values::Tag { codes, dict }) => Some(dict.get(codes.get(r))),
                _ => None,
            }))),
        };
        columns.push(column);
    }
    RecordBatch::try_new(schema.clone(), columns)
}
