//! Field types and single values of the data model (SPEC §2).

use std::fmt;

/// The four field types. The discriminants are the on-disk codes (docs/FORMAT.md §Types).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
#[repr(u8)]
pub enum FieldType {
    Float = 1,
    Int = 2,
    Bool = 3,
    Tag = 4,
}

impl FieldType {
    pub fn from_code(code: u8) -> Option<FieldType> {
        Some(match code {
            1 => FieldType::Float,
            2 => FieldType::Int,
            3 => FieldType::Bool,
            4 => FieldType::Tag,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Float => "float",
            FieldType::Int => "int",
            FieldType::Bool => "bool",
            FieldType::Tag => "tag",
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field value of one event. `Float(NaN)` is a value like any other float (SPEC §2: NaN
/// is not null); only `Null` is missing.
#[derive(Clone, PartialEq, Debug)]
pub enum Value {
    Null,
    Float(f64),
    Int(i64),
    Bool(bool),
    Tag(String),
}

impl Value {
    /// The type of a non-null value.
    pub fn field_type(&self) -> Option<FieldType> {
        match self {
            Value::Null => None,
            Value::Float(_) => Some(FieldType::Float),
            Value::Int(_) => Some(FieldType::Int),
            Value::Bool(_) => Some(FieldType::Bool),
            Value::Tag(_) => Some(FieldType::Tag),
        }
    }
}

/// Checks a component name against `[a-z][a-z0-9_]{0,62}`.
pub fn valid_component_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_lowercase()
        && b.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Field names: non-empty, at most 255 bytes, and not one of the two built-in columns.
pub fn valid_field_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 255 && name != "trace_id" && name != "time"
}
