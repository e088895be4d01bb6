//! Building one column value by value, with the schema's widening rule built in. Used by the
//! row-wise [`super::BatchBuilder`] and by text ingest.

use super::batch::{Column, ColumnData};
use super::types::{FieldType, Value};
use super::validity::Validity;
// foldhash (hashbrown's default) instead of SipHash: tag lookups are on the ingest hot path.
use hashbrown::HashMap;

/// A typed, growable column.
#[derive(Clone, Debug)]
pub struct ColumnBuilder {
    data: ColumnData,
    validity: Validity,
    nulls: usize,
    tag_index: HashMap<String, u32>,
}

impl ColumnBuilder {
    /// An empty column of type `ty` that already holds `nulls` null rows.
    pub fn new(ty: FieldType, nulls: usize) -> ColumnBuilder {
        let mut b = ColumnBuilder { data: ColumnData::empty(ty), validity: Validity::default(), nulls: 0, tag_index: HashMap::new() };
        (0..nulls).for_each(|_| b.push_null());
        b
    }

    pub fn field_type(&self) -> FieldType {
        self.data.field_type()
    }

    pub fn len(&self) -> usize {
        self.validity.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push_null(&mut self) {
        self.validity.push(false);
        self.nulls += 1;
        match &mut self.data {
            ColumnData::Float(v) => v.push(0.0),
            ColumnData::Int(v) => v.push(0),
            ColumnData::Bool(v) => v.push(0),
            ColumnData::Tag { codes, .. } => codes.push(0),
        }
    }

    /// Pushes a float; an `int` column widens to `float` first. NaN is a value, not a null.
    pub fn push_float(&mut self, x: f64) -> Result<(), FieldType> {
        if let ColumnData::Int(v) = &self.data {
            self.data = ColumnData::Float(v.iter().map(|&i| i as f64).collect());
        }
        match &mut self.data {
            ColumnData::Float(v) => v.push(x),
            other => return Err(other.field_type()),
        }
        self.validity.push(true);
        Ok(())
    }

    /// Pushes an int; a `float` column takes it as a float.
    pub fn push_int(&mut self, x: i64) -> Result<(), FieldType> {
        match &mut self.data {
            ColumnData::Int(v) => v.push(x),
            ColumnData::Float(v) => v.push(x as f64),
            other => return Err(other.field_type()),
        }
        self.validity.push(true);
        Ok(())
    }

    pub fn push_bool(&mut self, x: bool) -> Result<(), FieldType> {
        match &mut self.data {
            ColumnData::Bool(v) => v.push(x as u8),
            other => return Err(other.field_type()),
        }
        self.validity.push(true);
        Ok(())
    }

    /// Pushes a tag value, adding it to the dictionary on first sight (no allocation after).
    pub fn push_tag(&mut self, s: &str) -> Result<(), FieldType> {
        match &mut self.data {
            ColumnData::Tag { dict, codes } => {
                let code = match self.tag_index.get(s) {
                    Some(&c) => c,
                    None => {
                        dict.push(s.to_owned());
                        let c = dict.len() as u32 - 1;
                        self.tag_index.insert(s.to_owned(), c);
                        c
                    }
                };
                codes.push(code);
            }
            other => return Err(other.field_type()),
        }
        self.validity.push(true);
        Ok(())
    }

    /// Pushes any value; on a type that does not fit, returns the column's type and pushes nothing.
    pub fn push_value(&mut self, v: &Value) -> Result<(), FieldType> {
        match v {
            Value::Null => {
                self.push_null();
                Ok(())
            }
            Value::Float(x) => self.push_float(*x),
            Value::Int(x) => self.push_int(*x),
            Value::Bool(x) => self.push_bool(*x),
            Value::Tag(s) => self.push_tag(s),
        }
    }

    /// Drops rows from `len` on (used to undo a partly parsed row). Dictionary entries stay.
    pub fn truncate(&mut self, len: usize) {
        while self.validity.len() > len {
            let last = self.validity.len() - 1;
            if !self.validity.is_valid(last) {
                self.nulls -= 1;
            }
            self.validity.pop();
        }
        match &mut self.data {
            ColumnData::Float(v) => v.truncate(len),
            ColumnData::Int(v) => v.truncate(len),
            ColumnData::Bool(v) => v.truncate(len),
            ColumnData::Tag { codes, .. } => codes.truncate(len),
        }
    }

    /// The finished column, and a fresh empty builder of the same type left in its place.
    pub fn take(&mut self) -> Column {
        let fresh = ColumnBuilder::new(self.field_type(), 0);
        let done = std::mem::replace(self, fresh);
        let validity = (done.nulls > 0).then_some(done.validity);
        Column::new(done.data, validity)
    }
}
