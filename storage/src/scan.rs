//! The scan API the query layer reads through: a component's data as a list of parts (sealed
//! segments, then the unsealed tail), each exposing its columns as borrowed slices.
//!
//! A part's field may be stored with an older type than the component's schema (an `int`
//! field that has since widened to `float`); readers widen on the fly. A field a part lacks
//! is null in every row of it.

use crate::model::{is_valid, Batch, ColumnData, FieldType, Value};
use crate::segment::{Segment, Zone};
use roaring::RoaringBitmap;

/// A tag dictionary.
#[derive(Clone, Copy, Debug)]
pub enum Dict<'a> {
    /// A batch's dictionary, in first-seen order.
    Strings(&'a [String]),
    /// A segment's dictionary: sorted values, back to back.
    Packed { offsets: &'a [u32], bytes: &'a [u8] },
}

impl<'a> Dict<'a> {
    pub fn len(&self) -> usize {
        match self {
            Dict::Strings(s) => s.len(),
            Dict::Packed { offsets, .. } => offsets.len().saturating_sub(1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of `code` ("" for an out-of-range code, which validated parts never hold).
    pub fn get(&self, code: u32) -> &'a str {
        match *self {
            Dict::Strings(s) => s.get(code as usize).map_or("", |s| s.as_str()),
            Dict::Packed { offsets, bytes } => {
                let i = code as usize;
                match (offsets.get(i), offsets.get(i + 1)) {
                    (Some(&a), Some(&b)) => bytes.get(a as usize..b as usize).and_then(|s| std::str::from_utf8(s).ok()).unwrap_or(""),
                    _ => "",
                }
            }
        }
    }

    /// The code of `value`, if the dictionary holds it.
    pub fn find(&self, value: &str) -> Option<u32> {
        match self {
            Dict::Strings(s) => s.iter().position(|v| v == value).map(|i| i as u32),
            Dict::Packed { .. } => {
                let (mut lo, mut hi) = (0usize, self.len());
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match self.get(mid as u32).cmp(value) {
                        std::cmp::Ordering::Less => lo = mid + 1,
                        std::cmp::Ordering::Greater => hi = mid,
                        std::cmp::Ordering::Equal => return Some(mid as u32),
                    }
                }
                None
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        (0..self.len() as u32).map(|c| self.get(c))
    }
}

/// Tag dictionary codes, as narrow as the dictionary allows: segments store `u8` codes for
/// up to 256 values, `u16` up to 65,536, else `u32`; the unsealed tail always holds `u32`.
#[derive(Clone, Copy, Debug)]
pub enum Codes<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
}

impl Codes<'_> {
    pub fn len(&self) -> usize {
        match self {
            Codes::U8(c) => c.len(),
            Codes::U16(c) => c.len(),
            Codes::U32(c) => c.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The code of `row`.
    #[inline]
    pub fn get(&self, row: usize) -> u32 {
        match self {
            Codes::U8(c) => c[row] as u32,
            Codes::U16(c) => c[row] as u32,
            Codes::U32(c) => c[row],
        }
    }

    /// Appends the codes of `rows` (or all) to `out`, mapped through `f`.
    pub fn extend_into(&self, out: &mut Vec<u32>, rows: Option<&[u32]>, f: impl Fn(u32) -> u32) {
        fn go<T: Copy + Into<u32>>(c: &[T], out: &mut Vec<u32>, rows: Option<&[u32]>, f: impl Fn(u32) -> u32) {
            match rows {
                None => out.extend(c.iter().map(|&x| f(x.into()))),
                Some(rows) => out.extend(rows.iter().map(|&r| f(c[r as usize].into()))),
            }
        }
        match self {
            Codes::U8(c) => go(c, out, rows, f),
            Codes::U16(c) => go(c, out, rows, f),
            Codes::U32(c) => go(c, out, rows, f),
        }
    }
}

/// A column's values as stored.
#[derive(Clone, Copy, Debug)]
pub enum Values<'a> {
    Float(&'a [f64]),
    Int(&'a [i64]),
    /// 0 or 1 per row.
    Bool(&'a [u8]),
    Tag {
        codes: Codes<'a>,
        dict: Dict<'a>,
    },
}

impl<'a> Values<'a> {
    pub fn field_type(&self) -> FieldType {
        match self {
            Values::Float(_) => FieldType::Float,
            Values::Int(_) => FieldType::Int,
            Values::Bool(_) => FieldType::Bool,
            Values::Tag { .. } => FieldType::Tag,
        }
    }

    /// The stored values as bytes (for tags, the codes without the dictionary): what a scan
    /// of this column reads.
    pub fn as_bytes(&self) -> &'a [u8] {
        match self {
            Values::Float(v) => bytemuck::cast_slice(v),
            Values::Int(v) => bytemuck::cast_slice(v),
            Values::Bool(v) => v,
            Values::Tag { codes: Codes::U8(c), .. } => c,
            Values::Tag { codes: Codes::U16(c), .. } => bytemuck::cast_slice(c),
            Values::Tag { codes: Codes::U32(c), .. } => bytemuck::cast_slice(c),
        }
    }
}

/// One field of one part: values and null mask (`None` = no nulls).
#[derive(Clone, Copy, Debug)]
pub struct FieldView<'a> {
    pub values: Values<'a>,
    pub validity: Option<&'a [u64]>,
}

impl FieldView<'_> {
    pub fn is_valid(&self, row: usize) -> bool {
        self.validity.is_none_or(|w| is_valid(w, row))
    }

    pub fn value(&self, row: usize) -> Value {
        if !self.is_valid(row) {
            return Value::Null;
        }
        match self.values {
            Values::Float(v) => Value::Float(v[row]),
            Values::Int(v) => Value::Int(v[row]),
            Values::Bool(v) => Value::Bool(v[row] != 0),
            Values::Tag { codes, dict } => Value::Tag(dict.get(codes.get(row)).to_owned()),
        }
    }
}

/// One piece of a component: a sealed segment or an unsealed batch.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    Segment(&'a Segment),
    Tail(&'a Batch),
}

impl<'a> Part<'a> {
    pub fn rows(&self) -> usize {
        match self {
            Part::Segment(s) => s.rows(),
            Part::Tail(b) => b.rows(),
        }
    }

    pub fn trace_ids(&self) -> &'a [u128] {
        match self {
            Part::Segment(s) => s.trace_ids(),
            Part::Tail(b) => b.trace_ids(),
        }
    }

    /// Event times in microseconds; non-decreasing in segments, arrival order in the tail.
    pub fn times(&self) -> &'a [i64] {
        match self {
            Part::Segment(s) => s.times(),
            Part::Tail(b) => b.times(),
        }
    }

    pub fn time_range(&self) -> Option<(i64, i64)> {
        match self {
            Part::Segment(s) => s.time_range(),
            Part::Tail(b) => b.time_range(),
        }
    }

    pub fn is_sorted_by_time(&self) -> bool {
        matches!(self, Part::Segment(_))
    }

    pub fn field(&self, name: &str) -> Option<FieldView<'a>> {
        match self {
            Part::Segment(s) => s.field(name),
            Part::Tail(b) => b.field(name).map(|c| FieldView {
                values: match &c.data {
                    ColumnData::Float(v) => Values::Float(v),
                    ColumnData::Int(v) => Values::Int(v),
                    ColumnData::Bool(v) => Values::Bool(v),
                    ColumnData::Tag { dict, codes } => Values::Tag { codes: Codes::U32(codes), dict: Dict::Strings(dict) },
                },
                validity: c.validity.as_ref().map(|v| v.words()),
            }),
        }
    }

    /// Zone maps of a time or numeric column (segments only; `None` for the tail).
    pub fn zones(&self, field: &str) -> Option<&'a [Zone]> {
        match self {
            Part::Segment(s) => s.zones(field),
            Part::Tail(_) => None,
        }
    }

    /// The rows whose tag `field` equals `value` (the slice index). The tail has no stored
    /// index, so its bitmap is computed from the codes.
    pub fn tag_rows(&self, field: &str, value: &str) -> crate::Result<RoaringBitmap> {
        match self {
            Part::Segment(s) => s.tag_rows(field, value),
            Part::Tail(_) => {
                let mut rows = RoaringBitmap::new();
                if let Some(FieldView { values: Values::Tag { codes, dict }, validity }) = self.field(field) {
                    if let Some(code) = dict.find(value) {
                        let valid = |r: usize| validity.is_none_or(|w| is_valid(w, r));
                        rows.extend((0..codes.len()).filter(|&r| codes.get(r) == code && valid(r)).map(|r| r as u32));
                    }
                }
                Ok(rows)
            }
        }
    }

    /// Rows holding events of `trace_id`, in time order.
    pub fn trace_rows(&self, trace_id: u128) -> Vec<u32> {
        match self {
            Part::Segment(s) => s.trace_rows(trace_id),
            Part::Tail(b) => {
                let mut rows: Vec<u32> = (0..b.rows()).filter(|&r| b.trace_ids()[r] == trace_id).map(|r| r as u32).collect();
                rows.sort_by_key(|&r| b.times()[r as usize]);
                rows
            }
        }
    }
}
