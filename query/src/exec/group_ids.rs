//! Group IDs for a chunk's rows. Where every group key has few values — a driving tag (its
//! dictionary code), a condition or `IN` (false, true, null), a `CASE` of constant labels
//! (the label's index), one `bucket()` (a number per distinct bucket met in the part) — a
//! row's group comes from arithmetic on its window and these codes through a per-part table;
//! with any other key, the row's key values are hashed ([`Groups::find`]) row by row.

use super::plan::Plan;
use super::value::{Key, Val};
use super::vector::{eval, Chunk, Column, Data};
use super::window::Windowing;
use super::Groups;
use crate::ast::Expr;
use crate::error::Result;
use seamdb_storage::model::FieldType;
use seamdb_storage::{Part, Values};

/// Slots of a part's table at most; past this the part's rows are hashed.
const MAX_TABLE: usize = 1 << 20;

/// How a group key becomes a digit of a row's slot in the dense table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyPath {
    /// A driving tag field: its dictionary code (null last).
    Tag,
    /// A condition, an `IN`, a driving bool field: false, true, null.
    Truth,
    /// A `CASE` of this many constant labels (`ELSE`'s counted, null without it): the index
    /// of the row's label.
    Labels(usize),
    /// The first `bucket()` key: buckets numbered as the part's rows meet them.
    Bucket,
    /// Anything else: turns the table off, so every row's key values are hashed.
    General,
}

impl KeyPath {
    /// For `EXPLAIN`.
    pub fn describe(self) -> &'static str {
        match self {
            KeyPath::Tag => "dictionary code",
            KeyPath::Truth => "false/true/null",
            KeyPath::Labels(_) => "label index",
            KeyPath::Bucket => "bucket number",
            KeyPath::General => "hashed",
        }
    }
}

/// The path of each of the plan's group keys (window aside).
pub(super) fn key_paths(plan: &Plan<'_>) -> Vec<KeyPath> {
    let literal = |e: &Expr| matches!(e, Expr::Int(_) | Expr::Float(_) | Expr::String(_) | Expr::Bool(_) | Expr::Null);
    let mut bucketed = false;
    let mut path = |k: &Expr| match k {
        Expr::Column(c) if c.component.as_deref().is_none_or(|n| n == plan.select.from) => {
            match plan.component.schema().field_type(&c.field) {
                Some(FieldType::Tag) => KeyPath::Tag,
                Some(FieldType::Bool) => KeyPath::Truth,
                _ => KeyPath::General,
            }
        }
        Expr::Column(_) => KeyPath::General,
        Expr::Call { name, .. } if name == "bucket" && !bucketed => {
            bucketed = true;
            KeyPath::Bucket
        }
        Expr::Call { .. } => KeyPath::General,
        Expr::Case { branches, otherwise } if branches.iter().all(|(_, v)| literal(v)) && otherwise.as_deref().is_none_or(literal) => {
            KeyPath::Labels(branches.len() + 1)
        }
        Expr::Case { .. } => KeyPath::General,
        // The planner takes no other expression as a key but a condition.
        _ => KeyPath::Truth,
    };
    plan.keys.iter().map(&mut path).collect()
}

/// Maps a chunk's rows to group indexes, for the rows of one part.
pub(super) struct GroupTable<'k> {
    paths: &'k [KeyPath],
    /// First window of the part, in window widths since the epoch.
    first_window: i64,
    /// Per key: its codes, the last standing for null (1 for the bucket key, whose number is
    /// the slot's outermost digit instead).
    radix: Vec<u32>,
    /// Slots per bucket number: the part's windows × every other key's radix; 0 when the
    /// table is off.
    inner: usize,
    table: Vec<u32>,
    buckets: Buckets,
}

impl<'k> GroupTable<'k> {
    pub fn new(plan: &Plan<'_>, paths: &'k [KeyPath], part: &Part<'_>) -> GroupTable<'k> {
        let (first_window, windows) = match (&plan.window, part.time_range()) {
            (Some(w), Some((lo, hi))) => (w.index(lo), (w.index(hi) - w.index(lo)) as usize + 1),
            _ => (0, 1),
        };
        let radix: Vec<usize> = plan
            .keys
            .iter()
            .zip(paths)
            .map(|(k, path)| match (path, k) {
                (KeyPath::Tag, Expr::Column(c)) => match part.field(&c.field) {
                    Some(f) => match f.values {
                        Values::Tag { dict, .. } => dict.len() + 1,
                        _ => 0,
                    },
                    None => 1,
                },
                (KeyPath::Truth, _) => 3,
                (KeyPath::Labels(n), _) => n + 1,
                (KeyPath::Bucket, _) => 1,
                _ => 0,
            })
            .collect();
        let inner = radix.iter().try_fold(windows, |acc, &r| if r == 0 { None } else { acc.checked_mul(r) });
        let inner = inner.filter(|&n| n <= MAX_TABLE && n <= u32::MAX as usize).unwrap_or(0);
        let radix = radix.into_iter().map(|r| r as u32).collect();
        GroupTable { paths, first_window, radix, inner, table: Vec::new(), buckets: Buckets::default() }
    }

    pub fn assign(&mut self, plan: &Plan<'_>, groups: &mut Groups, at: &Chunk<'_, '_>) -> Result<Vec<u32>> {
        let keys = plan.keys.iter().map(|e| eval(e, at)).collect::<Result<Vec<Column<'_>>>>()?;
        let mut windows = Windows::new(plan.window.as_ref());
        let row_times = at.rows.slice(at.part.times());
        let find = |groups: &mut Groups, i: usize, w: Option<i64>| -> u32 {
            let key: Vec<Key> = keys.iter().map(|k| k.get(i).exact_key()).collect();
            groups.find(plan, (w.zip(plan.window.as_ref()).map(|(i, window)| window.start(i)), key)) as u32
        };
        let Some(mut slots) = self.slots(plan.window.is_some(), &keys, &row_times, &mut windows) else {
            let ids: Vec<u32> = row_times.iter().enumerate().map(|(i, &t)| find(groups, i, windows.of(t))).collect();
            ids.iter().for_each(|&g| groups.rows[g as usize] += 1);
            return Ok(ids);
        };
        for (i, slot) in slots.iter_mut().enumerate() {
            let mut g = self.table[*slot as usize];
            if g == u32::MAX {
                g = find(groups, i, windows.of(row_times[i]));
                self.table[*slot as usize] = g;
            }
            *slot = g;
        }
        slots.iter().for_each(|&g| groups.rows[g as usize] += 1);
        Ok(slots)
    }

    /// Each row's slot in the table (grown to hold them), a digit per key: window offset,
    /// then × radix + code; the bucket number outermost. `None` when the table is off or a
    /// key's column is not of the shape its path expects (a joined field stored with
    /// different types in different parts).
    fn slots(&mut self, windowed: bool, keys: &[Column<'_>], times: &[i64], windows: &mut Windows<'_>) -> Option<Vec<u32>> {
        if self.inner == 0 {
            return None;
        }
        let mut slots: Vec<u32> = match windowed {
            true => times.iter().map(|&t| (windows.of(t).unwrap_or(0) - self.first_window) as u32).collect(),
            false => vec![0; times.len()],
        };
        let mut size = self.inner;
        let mut numbers = None;
        for ((k, &radix), path) in keys.iter().zip(&self.radix).zip(self.paths) {
            match path {
                KeyPath::Bucket => numbers = Some(self.buckets.number(k, slots.len())?),
                _ => digits(&mut slots, k, *path, radix)?,
            }
        }
        if let Some(numbers) = numbers {
            size = self.inner.checked_mul(self.buckets.next as usize).filter(|&n| n <= MAX_TABLE)?;
            let inner = self.inner as u32;
            slots.iter_mut().zip(numbers).for_each(|(s, b)| *s += b * inner);
        }
        if self.table.len() < size {
            self.table.resize(size, u32::MAX);
        }
        Some(slots)
    }
}

/// Appends a key's digit to every row's slot (`slot × radix + code`, null the last code).
fn digits(slots: &mut [u32], k: &Column<'_>, path: KeyPath, radix: u32) -> Option<()> {
    let null = radix - 1;
    let valid = k.valid.as_deref();
    match (path, &k.data) {
        (KeyPath::Tag, Data::Tag { codes, .. }) => push(slots, codes.iter().copied(), valid, radix),
        (KeyPath::Truth, Data::Bool(v)) => push(slots, v.iter().map(|&b| b as u32), valid, radix),
        (KeyPath::Labels(n), Data::Labels { codes, labels }) if labels.len() == n => push(slots, codes.iter().copied(), valid, radix),
        (_, Data::Const(Val::Null)) => slots.iter_mut().for_each(|s| *s = *s * radix + null),
        (KeyPath::Truth, Data::Const(Val::Bool(b))) => slots.iter_mut().for_each(|s| *s = *s * radix + *b as u32),
        (KeyPath::Truth, Data::Vals(v)) => {
            for (s, v) in slots.iter_mut().zip(v) {
                *s = *s * radix
                    + match v {
                        Val::Bool(b) => *b as u32,
                        Val::Null => null,
                        _ => return None,
                    };
            }
        }
        _ => return None,
    }
    Some(())
}

/// `slot × radix + code` for every row; an invalid (null) row's code is the last.
#[inline]
fn push(slots: &mut [u32], codes: impl Iterator<Item = u32>, valid: Option<&[bool]>, radix: u32) {
    match valid {
        None => slots.iter_mut().zip(codes).for_each(|(s, c)| *s = *s * radix + c),
        Some(valid) => slots.iter_mut().zip(codes).zip(valid).for_each(|((s, c), &v)| *s = *s * radix + if v { c } else { radix - 1 }),
    }
}

/// Numbers for the distinct values of a `bucket()` key in a part, in the order met: kept
/// apart by their exact key (a float bucket and an int one are different groups, as
/// [`Val::exact_key`] has them).
#[derive(Default)]
struct Buckets {
    floats: hashbrown::HashMap<u64, u32>,
    ints: hashbrown::HashMap<i64, u32>,
    null: Option<u32>,
    next: u32,
}

impl Buckets {
    /// Each row's bucket number; `None` for a column that is not floats or ints.
    fn number(&mut self, k: &Column<'_>, n: usize) -> Option<Vec<u32>> {
        let Buckets { floats, ints, null, next } = self;
        let mut fresh = || {
            *next += 1;
            *next - 1
        };
        Some(match &k.data {
            Data::Float(v) => (0..n)
                .map(|i| match k.is_valid(i) {
                    true => *floats.entry(v[i].to_bits()).or_insert_with(&mut fresh),
                    false => *null.get_or_insert_with(&mut fresh),
                })
                .collect(),
            Data::Int(v) => (0..n)
                .map(|i| match k.is_valid(i) {
                    true => *ints.entry(v[i]).or_insert_with(&mut fresh),
                    false => *null.get_or_insert_with(&mut fresh),
                })
                .collect(),
            Data::Const(Val::Null) => vec![*null.get_or_insert_with(fresh); n],
            _ => return None,
        })
    }
}

/// A time's window number, remembering the last window's span: rows of a segment come in
/// time order, so most rows need no division (nor calendar arithmetic).
struct Windows<'p> {
    window: Option<&'p Windowing>,
    current: (i64, i64, i64),
}

impl<'p> Windows<'p> {
    fn new(window: Option<&'p Windowing>) -> Windows<'p> {
        Windows { window, current: (0, 0, 0) }
    }

    #[inline]
    fn of(&mut self, t: i64) -> Option<i64> {
        let w = self.window?;
        let (lo, hi, index) = self.current;
        if t >= lo && t < hi {
            return Some(index);
        }
        let index = w.index(t);
        self.current = (w.start(index), w.start(index + 1), index);
        Some(index)
    }
}
