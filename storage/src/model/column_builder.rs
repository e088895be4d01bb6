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
        self.widen_to_float();
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

    /// Appends every row of `column` (`None`: `rows` nulls) a slice at a time, widening int to
    /// float either way; a tag column's dictionary is mapped once. Returns the column's type,
    /// appending nothing, when it does not fit.
    pub fn extend(&mut self, column: Option<&Column>, rows: usize) -> Result<(), FieldType> {
        let Some(column) = column else {
            (0..rows).for_each(|_| self.push_null());
            return Ok(());
        };
        if let ColumnData::Float(_) = column.data {
            self.widen_to_float();
        }
        match (&mut self.data, &column.data) {
            (ColumnData::Float(v), ColumnData::Float(x)) => v.extend_from_slice(x),
            (ColumnData::Float(v), ColumnData::Int(x)) => v.extend(x.iter().map(|&i| i as f64)),
            (ColumnData::Int(v), ColumnData::Int(x)) => v.extend_from_slice(x),
            (ColumnData::Bool(v), ColumnData::Bool(x)) => v.extend_from_slice(x),
            (ColumnData::Tag { dict, codes }, ColumnData::Tag { dict: theirs, codes: x }) => {
                let map = merge_dictionary(&mut self.tag_index, dict, theirs.iter().map(String::as_str));
                // Codes of null rows may be anything below the dictionary's length (or 0).
                codes.extend(x.iter().map(|&c| map.get(c as usize).copied().unwrap_or(0)));
            }
            (ours, theirs) => return Err(if ours.field_type() == theirs.field_type() { ours.field_type() } else { theirs.field_type() }),
        }
        self.validity.extend_from(column.validity.as_ref().map(|v| v.words()), rows);
        self.nulls += column.validity.as_ref().map_or(0, |v| v.null_count());
        Ok(())
    }

    /// An `int` column becomes `float` (SPEC §2 widening); other types are unchanged.
    fn widen_to_float(&mut self) {
        if let ColumnData::Int(v) = &self.data {
            self.data = ColumnData::Float(v.iter().map(|&i| i as f64).collect());
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

/// The code in `dict` of each of `values` (another dictionary's, in its code order), adding
/// the ones `dict` lacks (and to `index`, its reverse): how that dictionary's codes map into
/// this one.
pub(crate) fn merge_dictionary<'a>(
    index: &mut HashMap<String, u32>,
    dict: &mut Vec<String>,
    values: impl Iterator<Item = &'a str>,
) -> Vec<u32> {
    values
        .map(|s| {
            *index.entry_ref(s).or_insert_with(|| {
                dict.push(s.to_owned());
                dict.len() as u32 - 1
            })
        })
        .collect()
}
