//! Values during execution: one typed value per selected row, and group-key values.

use std::cmp::Ordering;

/// One value of an evaluated expression. Tags borrow from the snapshot's dictionaries.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(&'a str),
    /// Microseconds since the epoch.
    Time(i64),
    TraceId(Trace),
}

/// A trace ID held as its two halves, high first (so the derived order is the `u128`'s): a
/// `u128` field would raise the alignment of [`Val`] and [`Key`] to 16 and `Val`'s size from
/// 24 to 32 bytes, a cost every value-by-value path would pay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Trace([u64; 2]);

impl Trace {
    pub fn new(id: u128) -> Trace {
        Trace([(id >> 64) as u64, id as u64])
    }

    pub fn get(self) -> u128 {
        (self.0[0] as u128) << 64 | self.0[1] as u128
    }
}

impl<'a> Val<'a> {
    /// As a number: bools count 0/1 (SPEC §4); times are microseconds.
    pub fn num(self) -> Option<f64> {
        match self {
            Val::Int(i) | Val::Time(i) => Some(i as f64),
            Val::Float(x) => Some(x),
            Val::Bool(b) => Some(b as u8 as f64),
            Val::Null | Val::Str(_) | Val::TraceId(_) => None,
        }
    }

    /// Whether this is a float NaN, which every function but `count`, `null_rate` and
    /// `nan_rate` ignores as it ignores null (SPEC §4).
    pub fn is_nan(self) -> bool {
        matches!(self, Val::Float(x) if x.is_nan())
    }

    /// The owned form that keeps the value's type: for group keys and min / max.
    pub fn exact_key(self) -> Key {
        match self {
            Val::Float(x) => Key::Float(x.to_bits()),
            Val::Bool(b) => Key::Bool(b),
            other => other.key(),
        }
    }

    /// The owned form for class labels: whole floats and bools meet ints (`true` = 1).
    pub fn key(self) -> Key {
        match self {
            Val::Null => Key::Null,
            Val::Int(i) => Key::Int(i),
            Val::Float(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Key::Int(x as i64),
            Val::Float(x) => Key::Float(x.to_bits()),
            Val::Bool(b) => Key::Int(b as i64),
            Val::Str(s) => Key::Str(s.to_string()),
            Val::Time(t) => Key::Time(t),
            Val::TraceId(id) => Key::TraceId(id),
        }
    }
}

/// An owned, hashable value: a group key or a class. As a class, `true`/`false` are
/// `Int(1)`/`Int(0)`, so a bool prediction meets an int label as SPEC §4 says, and whole
/// floats equal ints; as a group key or extreme a bool stays `Bool`, to print as one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Null,
    Int(i64),
    Float(u64),
    Bool(bool),
    Str(String),
    Time(i64),
    TraceId(Trace),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Int(_) | Key::Float(_) | Key::Bool(_) => 0,
            Key::Time(_) => 1,
            Key::TraceId(_) => 2,
            Key::Str(_) => 3,
            Key::Null => 4,
        }
    }

    fn num(&self) -> f64 {
        match self {
            Key::Int(i) | Key::Time(i) => *i as f64,
            Key::Float(b) => f64::from_bits(*b),
            Key::Bool(b) => *b as u8 as f64,
            _ => 0.0,
        }
    }
}

impl Ord for Key {
    /// Ascending; numbers by value, then times, strings, and null last.
    fn cmp(&self, other: &Key) -> Ordering {
        match (self, other) {
            (Key::Str(a), Key::Str(b)) => a.cmp(b),
            (Key::Time(a), Key::Time(b)) => a.cmp(b),
            (Key::TraceId(a), Key::TraceId(b)) => a.cmp(b),
            (a, b) if a.rank() == 0 && b.rank() == 0 => a.num().total_cmp(&b.num()),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::{Key, Trace, Val};

    #[test]
    fn values_stay_small_and_trace_ids_keep_their_order() {
        assert_eq!(std::mem::size_of::<Val<'_>>(), 24);
        assert_eq!(std::mem::align_of::<Key>(), 8);
        let ids = [0u128, 1, u64::MAX as u128, 1 << 64, u128::MAX];
        for w in ids.windows(2) {
            assert!(Trace::new(w[0]) < Trace::new(w[1]));
            assert_eq!(Trace::new(w[1]).get(), w[1]);
        }
    }
}
