//! Batches: the unit of ingest, one component's events in columnar form.

use super::column_builder::ColumnBuilder;
use super::types::{valid_field_name, FieldType, Value};
use super::validity::Validity;
use crate::error::{Error, Result};
use std::collections::HashMap;

/// The values of one field for every row of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    Float(Vec<f64>),
    Int(Vec<i64>),
    /// 0 or 1 per row.
    Bool(Vec<u8>),
    /// Dictionary codes into `dict`; the dictionary need not be sorted or minimal.
    Tag {
        dict: Vec<String>,
        codes: Vec<u32>,
    },
}

impl ColumnData {
    pub fn field_type(&self) -> FieldType {
        match self {
            ColumnData::Float(_) => FieldType::Float,
            ColumnData::Int(_) => FieldType::Int,
            ColumnData::Bool(_) => FieldType::Bool,
            ColumnData::Tag { .. } => FieldType::Tag,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ColumnData::Float(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Bool(v) => v.len(),
            ColumnData::Tag { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(crate) fn empty(ty: FieldType) -> ColumnData {
        match ty {
            FieldType::Float => ColumnData::Float(Vec::new()),
            FieldType::Int => ColumnData::Int(Vec::new()),
            FieldType::Bool => ColumnData::Bool(Vec::new()),
            FieldType::Tag => ColumnData::Tag { dict: Vec::new(), codes: Vec::new() },
        }
    }
}

/// A column with its null mask (`None` when every row is present).
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub data: ColumnData,
    pub validity: Option<Validity>,
}

impl Column {
    pub fn new(data: ColumnData, validity: Option<Validity>) -> Column {
        Column { data, validity }
    }

    pub fn is_valid(&self, row: usize) -> bool {
        self.validity.as_ref().is_none_or(|v| v.is_valid(row))
    }

    /// The value at `row`, as an owned [`Value`].
    pub fn value(&self, row: usize) -> Value {
        if !self.is_valid(row) {
            return Value::Null;
        }
        match &self.data {
            ColumnData::Float(v) => Value::Float(v[row]),
            ColumnData::Int(v) => Value::Int(v[row]),
            ColumnData::Bool(v) => Value::Bool(v[row] != 0),
            ColumnData::Tag { dict, codes } => Value::Tag(dict[codes[row] as usize].clone()),
        }
    }

    /// Index of the first non-null row, used to name the offending row in schema errors.
    pub fn first_valid_row(&self) -> Option<usize> {
        (0..self.data.len()).find(|&r| self.is_valid(r))
    }

    /// Turns an `int` column into a `float` one (SPEC §2 widening); other types are unchanged.
    pub fn widen_to_float(&mut self) {
        if let ColumnData::Int(v) = &self.data {
            self.data = ColumnData::Float(v.iter().map(|&x| x as f64).collect());
        }
    }
}

/// One component's events: trace IDs, times in microseconds, and named fields, all the same
/// length. A batch is stored whole or not at all.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Batch {
    pub(crate) trace_ids: Vec<u128>,
    pub(crate) times: Vec<i64>,
    pub(crate) fields: Vec<(String, Column)>,
}

impl Batch {
    /// Builds a batch from columns, checking lengths, names, tag codes and bools. A NaN float
    /// is a value, not a null (SPEC §2): nulls are only what the validity mask says.
    pub fn new(trace_ids: Vec<u128>, times: Vec<i64>, fields: Vec<(String, Column)>) -> Result<Batch> {
        let rows = trace_ids.len();
        if times.len() != rows {
            return Err(Error::invalid(format!("{} trace IDs but {} times", rows, times.len())));
        }
        let mut seen = HashMap::new();
        let mut batch = Batch { trace_ids, times, fields: Vec::with_capacity(fields.len()) };
        for (name, mut column) in fields {
            if !valid_field_name(&name) {
                return Err(Error::invalid(format!("{name:?} is not a valid field name")));
            }
            if seen.insert(name.clone(), ()).is_some() {
                return Err(Error::invalid(format!("field {name:?} appears twice")));
            }
            if column.data.len() != rows || column.validity.as_ref().is_some_and(|v| v.len() != rows) {
                return Err(Error::invalid(format!("field {name:?} does not have {rows} rows")));
            }
            normalize(&name, &mut column)?;
            batch.fields.push((name, column));
        }
        Ok(batch)
    }

    pub fn rows(&self) -> usize {
        self.trace_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }

    pub fn trace_ids(&self) -> &[u128] {
        &self.trace_ids
    }

    pub fn times(&self) -> &[i64] {
        &self.times
    }

    pub fn fields(&self) -> &[(String, Column)] {
        &self.fields
    }

    pub fn field(&self, name: &str) -> Option<&Column> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Smallest and largest time, if any rows.
    pub fn time_range(&self) -> Option<(i64, i64)> {
        let min = *self.times.iter().min()?;
        Some((min, *self.times.iter().max()?))
    }

    /// The rows of `batches` one after another, as one batch: every field of any of them (null
    /// where a batch lacks it), an int field that is float in another widened to float.
    /// Batches of one component's tail always fit together (the schema admitted each).
    pub fn concat(batches: &[&Batch]) -> Result<Batch> {
        let mut fields: Vec<(String, ColumnBuilder)> = Vec::new();
        for (name, column) in batches.iter().flat_map(|b| &b.fields) {
            let ty = column.data.field_type();
            match fields.iter_mut().find(|(n, _)| n == name) {
                Some((_, b)) if b.field_type() == FieldType::Int && ty == FieldType::Float => *b = ColumnBuilder::new(ty, 0),
                Some(_) => {}
                None => fields.push((name.clone(), ColumnBuilder::new(ty, 0))),
            }
        }
        let mut out = Batch::default();
        for b in batches {
            out.trace_ids.extend_from_slice(&b.trace_ids);
            out.times.extend_from_slice(&b.times);
            for (name, builder) in &mut fields {
                builder.extend(b.field(name), b.rows()).map_err(|found| Error::SchemaConflict {
                    component: String::new(),
                    field: name.clone(),
                    expected: builder.field_type(),
                    found,
                    row: 0,
                })?;
            }
        }
        out.fields = fields.into_iter().map(|(name, mut b)| (name, b.take())).collect();
        Ok(out)
    }

    /// Approximate bytes held, for seal thresholds and memory accounting.
    pub fn size_bytes(&self) -> usize {
        let fields: usize = self
            .fields
            .iter()
            .map(|(_, c)| match &c.data {
                ColumnData::Float(v) => v.len() * 8,
                ColumnData::Int(v) => v.len() * 8,
                ColumnData::Bool(v) => v.len(),
                ColumnData::Tag { dict, codes } => codes.len() * 4 + dict.iter().map(|s| s.len() + 24).sum::<usize>(),
            })
            .sum();
        self.rows() * 24 + fields
    }
}

/// Tag codes must index the dictionary; bools must be 0 or 1. Floats are taken as they are.
fn normalize(name: &str, column: &mut Column) -> Result<()> {
    match &mut column.data {
        ColumnData::Bool(values) => {
            if values.iter().any(|&b| b > 1) {
                return Err(Error::invalid(format!("bool field {name:?} holds a value other than 0 or 1")));
            }
        }
        ColumnData::Tag { dict, codes } => {
            let n = dict.len() as u32;
            let validity = column.validity.as_ref();
            let bad = codes.iter().enumerate().any(|(r, &c)| c >= n && validity.is_none_or(|v| v.is_valid(r)));
            if bad {
                return Err(Error::invalid(format!("tag field {name:?} has a code outside its dictionary")));
            }
            for (r, c) in codes.iter_mut().enumerate() {
                if *c >= n {
                    debug_assert!(!validity.is_none_or(|v| v.is_valid(r)));
                    *c = 0;
                }
            }
        }
        ColumnData::Float(_) | ColumnData::Int(_) => {}
    }
    Ok(())
}

/// Builds a batch row by row from [`Value`]s. Fields may differ between rows (absent = null);
/// within the batch a field's type is its first non-null value's, and an `int` field given a
/// float widens to `float` as in the schema rules.
#[derive(Debug, Default)]
pub struct BatchBuilder {
    trace_ids: Vec<u128>,
    times: Vec<i64>,
    /// Fields in first-seen order; `None` until the first non-null value fixes the type.
    fields: Vec<(String, Option<ColumnBuilder>)>,
    index: HashMap<String, usize>,
}

/// A row whose value's type does not fit the type its field already has in the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowTypeConflict {
    pub field: String,
    pub expected: FieldType,
    pub found: FieldType,
    pub row: usize,
}

impl BatchBuilder {
    pub fn new() -> BatchBuilder {
        BatchBuilder::default()
    }

    pub fn rows(&self) -> usize {
        self.trace_ids.len()
    }

    /// Appends one event. On a type conflict nothing of the row is kept. If a field appears
    /// twice in one row, the first value wins.
    pub fn push(&mut self, trace_id: u128, time_us: i64, values: &[(&str, Value)]) -> std::result::Result<(), RowTypeConflict> {
        let row = self.rows();
        for (name, value) in values {
            let i = match self.index.get(*name) {
                Some(&i) => i,
                None => {
                    self.index.insert(name.to_string(), self.fields.len());
                    self.fields.push((name.to_string(), None));
                    self.fields.len() - 1
                }
            };
            let column = &mut self.fields[i].1;
            if column.as_ref().is_some_and(|c| c.len() > row) {
                continue;
            }
            if let (None, Some(ty)) = (&column, value.field_type()) {
                *column = Some(ColumnBuilder::new(ty, row));
            }
            if let Some(c) = column {
                if let Err(expected) = c.push_value(value) {
                    let found = value.field_type().unwrap_or(expected);
                    self.fields.iter_mut().filter_map(|(_, c)| c.as_mut()).for_each(|c| c.truncate(row));
                    return Err(RowTypeConflict { field: name.to_string(), expected, found, row });
                }
            }
        }
        self.trace_ids.push(trace_id);
        self.times.push(time_us);
        for c in self.fields.iter_mut().filter_map(|(_, c)| c.as_mut()) {
            if c.len() == row {
                c.push_null();
            }
        }
        Ok(())
    }

    /// The finished batch. Fields that were null in every row are left out.
    pub fn finish(self) -> Result<Batch> {
        let fields = self.fields.into_iter().filter_map(|(name, c)| Some((name, c?.take()))).collect();
        Batch::new(self.trace_ids, self.times, fields)
    }
}
