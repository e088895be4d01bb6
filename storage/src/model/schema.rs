//! Per-component schemas and the rules by which they evolve (SPEC §2).

use super::batch::Batch;
use super::types::FieldType;
use crate::error::{Error, Result};

/// The fields of one component in the order they were first written. `trace_id` and `time`
/// are implicit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    fields: Vec<(String, FieldType)>,
}

impl Schema {
    pub fn new(fields: Vec<(String, FieldType)>) -> Schema {
        Schema { fields }
    }

    pub fn fields(&self) -> &[(String, FieldType)] {
        &self.fields
    }

    pub fn field_type(&self, name: &str) -> Option<FieldType> {
        self.fields.iter().find(|(n, _)| n == name).map(|&(_, t)| t)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The schema after writing `batch`, with the batch's columns converted to the resulting
    /// types. Rules: a new field is added; an `int` field given floats widens to `float`; a
    /// `float` field given ints takes them as floats; any other difference is a conflict that
    /// names component, field, both types and the first row holding the offending value.
    pub fn absorb(&self, component: &str, batch: &mut Batch) -> Result<Schema> {
        let written = Schema::new(batch.fields.iter().map(|(n, c)| (n.clone(), c.data.field_type())).collect());
        let next = self.merge(component, &written).map_err(|mut e| {
            if let Error::SchemaConflict { field, row, .. } = &mut e {
                *row = batch.field(field).and_then(|c| c.first_valid_row()).unwrap_or(0);
            }
            e
        })?;
        for (name, column) in &mut batch.fields {
            if next.field_type(name) == Some(FieldType::Float) {
                column.widen_to_float();
            }
        }
        Ok(next)
    }

    /// Merges another schema of the same component (a batch's, or one written by a concurrent
    /// bulk load) with the rules of [`Schema::absorb`]; a conflict names row 0.
    pub fn merge(&self, component: &str, other: &Schema) -> Result<Schema> {
        let mut next = self.clone();
        for (name, found) in &other.fields {
            match next.fields.iter_mut().find(|(n, _)| n == name) {
                None => next.fields.push((name.clone(), *found)),
                Some((_, existing)) => match (*existing, *found) {
                    (a, b) if a == b => {}
                    (FieldType::Int, FieldType::Float) => *existing = FieldType::Float,
                    (FieldType::Float, FieldType::Int) => {}
                    (expected, found) => {
                        return Err(Error::SchemaConflict { component: component.to_owned(), field: name.clone(), expected, found, row: 0 })
                    }
                },
            }
        }
        Ok(next)
    }
}
