//! Columnar evaluation: an expression's values for a chunk of selected rows as one typed
//! vector, computed a column at a time. Common shapes (a numeric column against a number, a
//! tag against a string, time differences, boolean logic) run as tight loops over typed
//! slices; anything else falls back to the row-at-a-time rules of `eval`, value by value, so
//! both executors give the same answer by construction of the rules.

use super::eval::{binary, compare, holds, logic as three_valued, truth};
use super::join::Join;
use super::value::{Trace, Val};
use crate::ast::{BinaryOp, ColumnRef, Expr};
use crate::error::{Error, Result};
use seamdb_storage::model::is_valid;
use seamdb_storage::{Codes, Dict, FieldView, Part, Values};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::Range;

pub(crate) use seamdb_storage::join::{split, Loc, NO_MATCH};

/// The rows of one driving part being evaluated.
#[derive(Clone)]
pub(crate) enum Sel<'c> {
    Range(Range<u32>),
    List(&'c [u32]),
}

impl Sel<'_> {
    pub fn len(&self) -> usize {
        match self {
            Sel::Range(r) => r.len(),
            Sel::List(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn for_each(&self, mut f: impl FnMut(usize)) {
        match self {
            Sel::Range(r) => r.clone().for_each(|r| f(r as usize)),
            Sel::List(l) => l.iter().for_each(|&r| f(r as usize)),
        }
    }

    /// Calls `f(i, row)` for the `i`-th selected row.
    pub fn for_each_indexed(&self, mut f: impl FnMut(usize, usize)) {
        let mut i = 0;
        self.for_each(|r| {
            f(i, r);
            i += 1;
        });
    }

    /// Appends `v[row]` of every selected row to `out`.
    pub fn extend_from<T: Copy>(&self, v: &[T], out: &mut Vec<T>) {
        match self {
            Sel::Range(r) => out.extend_from_slice(&v[r.start as usize..r.end as usize]),
            Sel::List(l) => out.extend(l.iter().map(|&r| v[r as usize])),
        }
    }

    /// `v[row]` of every selected row: borrowed for a range, gathered for a list.
    pub fn slice<'v, T: Copy>(&self, v: &'v [T]) -> Cow<'v, [T]> {
        match self {
            Sel::Range(r) => Cow::Borrowed(&v[r.start as usize..r.end as usize]),
            Sel::List(_) => {
                let mut out = Vec::with_capacity(self.len());
                self.extend_from(v, &mut out);
                Cow::Owned(out)
            }
        }
    }
}

/// A chunk of one driving part: its selected rows and, per joined component, the location
/// of each selected row's matching event.
pub(crate) struct Chunk<'c, 'a> {
    pub driving: &'c str,
    pub part: Part<'a>,
    pub rows: Sel<'c>,
    pub joined: Vec<Joined<'c, 'a>>,
}

/// A joined component during a chunk: one location per selected row.
pub(crate) struct Joined<'c, 'a> {
    pub join: &'c Join<'a>,
    pub locs: &'c [Loc],
}

/// Values of one expression for the rows of a chunk.
pub(crate) struct Column<'a> {
    pub data: Data<'a>,
    /// Per row; `None` when every row is valid (not null).
    pub valid: Option<Vec<bool>>,
}

pub(crate) enum Data<'a> {
    Float(Cow<'a, [f64]>),
    Int(Cow<'a, [i64]>),
    /// 0 or 1.
    Bool(Cow<'a, [u8]>),
    /// Microseconds since the epoch.
    Time(Cow<'a, [i64]>),
    TraceId(Cow<'a, [u128]>),
    Tag {
        codes: Vec<u32>,
        dict: Dict<'a>,
    },
    /// `labels[code]` in each row: a `CASE` of constant labels.
    Labels {
        codes: Vec<u32>,
        labels: Vec<Val<'a>>,
    },
    /// The same value in every row.
    Const(Val<'a>),
    /// Anything else, value by value.
    Vals(Vec<Val<'a>>),
}

impl<'a> Column<'a> {
    fn all(data: Data<'a>) -> Column<'a> {
        Column { data, valid: None }
    }

    pub fn is_valid(&self, i: usize) -> bool {
        self.valid.as_ref().is_none_or(|v| v[i])
    }

    /// Row `i`'s value, as the row-at-a-time executor sees it.
    #[inline]
    pub fn get(&self, i: usize) -> Val<'a> {
        if !self.is_valid(i) {
            return Val::Null;
        }
        match &self.data {
            Data::Float(v) => Val::Float(v[i]),
            Data::Int(v) => Val::Int(v[i]),
            Data::Bool(v) => Val::Bool(v[i] != 0),
            Data::Time(v) => Val::Time(v[i]),
            Data::TraceId(v) => Val::TraceId(Trace::new(v[i])),
            Data::Tag { codes, dict } => Val::Str(dict.get(codes[i])),
            Data::Labels { codes, labels } => labels[codes[i] as usize],
            Data::Const(v) => *v,
            Data::Vals(v) => v[i],
        }
    }

    /// Row `i` as a number, for columns that are numbers in every row (see [`Column::numeric`]).
    #[inline]
    pub fn num(&self, i: usize) -> f64 {
        match &self.data {
            Data::Float(v) => v[i],
            Data::Int(v) | Data::Time(v) => v[i] as f64,
            Data::Bool(v) => v[i] as f64,
            Data::Const(v) => v.num().unwrap_or(f64::NAN),
            _ => f64::NAN,
        }
    }

    /// Whether every valid row is a number (`Val::num` is `Some`).
    pub fn numeric(&self) -> bool {
        match &self.data {
            Data::Float(_) | Data::Int(_) | Data::Bool(_) | Data::Time(_) => true,
            Data::Const(v) => v.num().is_some(),
            _ => false,
        }
    }

    /// Every row as a number (meaningful where valid) for a [`Column::numeric`] column.
    pub fn f64s(&self) -> Cow<'_, [f64]> {
        match &self.data {
            Data::Float(v) => Cow::Borrowed(v),
            Data::Int(v) | Data::Time(v) => Cow::Owned(v.iter().map(|&x| x as f64).collect()),
            Data::Bool(v) => Cow::Owned(v.iter().map(|&x| x as f64).collect()),
            _ => Cow::Owned(Vec::new()),
        }
    }

    /// Every row as an exact class, for int and bool columns (`Val::key` of both is `Int`).
    pub fn classes(&self) -> Cow<'_, [i64]> {
        match &self.data {
            Data::Int(v) => Cow::Borrowed(v),
            Data::Bool(v) => Cow::Owned(v.iter().map(|&x| x as i64).collect()),
            _ => Cow::Owned(Vec::new()),
        }
    }

    pub fn is_class(&self) -> bool {
        matches!(self.data, Data::Int(_) | Data::Bool(_))
    }
}

/// The values of `expr` for every selected row of `at`.
pub(crate) fn eval<'a>(expr: &'a Expr, at: &Chunk<'_, 'a>) -> Result<Column<'a>> {
    let n = at.rows.len();
    Ok(match expr {
        Expr::Column(c) => column(c, at),
        Expr::Int(i) => Column::all(Data::Const(Val::Int(*i))),
        Expr::Float(x) => Column::all(Data::Const(Val::Float(*x))),
        Expr::String(s) => Column::all(Data::Const(Val::Str(s))),
        Expr::Bool(b) => Column::all(Data::Const(Val::Bool(*b))),
        Expr::Null | Expr::Duration(_) => Column::all(Data::Const(Val::Null)),
        Expr::Time(t) => Column::all(Data::Const(Val::Time(*t))),
        Expr::TraceId(id) => Column::all(Data::Const(Val::TraceId(Trace::new(*id)))),
        Expr::Neg(e) => {
            let x = eval(e, at)?;
            match x.data {
                Data::Float(v) => Column { data: Data::Float(v.iter().map(|x| -x).collect()), valid: x.valid },
                _ => per_row(n, |i| super::eval::neg(x.get(i))),
            }
        }
        Expr::Not(e) => {
            let x = truths(&eval(e, at)?, n);
            logic(n, |i| x[i].map(|b| !b))
        }
        Expr::IsNull { expr, negated } => {
            let x = eval(expr, at)?;
            let is_null: Vec<u8> = match (&x.data, &x.valid) {
                (Data::Const(v), _) => vec![(*v == Val::Null) as u8; n],
                (Data::Vals(v), _) => v.iter().map(|v| (*v == Val::Null) as u8).collect(),
                (_, None) => vec![0; n],
                (_, Some(valid)) => valid.iter().map(|&v| !v as u8).collect(),
            };
            let data = if *negated { is_null.into_iter().map(|x| x ^ 1).collect() } else { is_null };
            Column::all(Data::Bool(Cow::Owned(data)))
        }
        Expr::IsNan { expr, negated } => {
            let x = eval(expr, at)?;
            let data = match &x.data {
                Data::Float(v) => (0..n).map(|i| ((x.is_valid(i) && v[i].is_nan()) != *negated) as u8).collect(),
                _ => (0..n).map(|i| (x.get(i).is_nan() != *negated) as u8).collect(),
            };
            Column::all(Data::Bool(Cow::Owned(data)))
        }
        Expr::In { expr, list, negated } => {
            let x = eval(expr, at)?;
            let options = list.iter().map(|e| eval(e, at)).collect::<Result<Vec<_>>>()?;
            in_list(&x, &options, *negated, n)
        }
        Expr::Binary { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, at)?, eval(rhs, at)?);
            binary_columns(*op, a, b, n)
        }
        Expr::Call { name, args } if name == "bucket" => {
            let (x, w) = (eval(&args[0], at)?, eval(&args[1], at)?);
            bucket(x, &w, n)
        }
        Expr::Case { branches, otherwise } => {
            let conditions = branches.iter().map(|(c, _)| eval(c, at).map(|c| truths(&c, n))).collect::<Result<Vec<_>>>()?;
            let values = branches.iter().map(|(_, v)| eval(v, at)).collect::<Result<Vec<_>>>()?;
            let otherwise = otherwise.as_deref().map(|e| eval(e, at)).transpose()?;
            let branch = |i: usize| conditions.iter().position(|c| c[i] == Some(true));
            match case_labels(&values, otherwise.as_ref()) {
                Some(labels) => labelled(n, labels, |i| branch(i).unwrap_or(values.len())),
                None => per_row(n, |i| match branch(i) {
                    Some(b) => values[b].get(i),
                    None => otherwise.as_ref().map_or(Val::Null, |o| o.get(i)),
                }),
            }
        }
        // The planner's type check refuses an aggregate inside an expression.
        Expr::Call { name, .. } => return Err(Error::Invalid(format!("{name}() cannot be used inside another expression"))),
    })
}

/// `x IN (…)`: true, false, or null for a null `x` (a null option matches nothing). A tag
/// against constants is decided once per dictionary code.
fn in_list<'a>(x: &Column<'a>, options: &[Column<'a>], negated: bool, n: usize) -> Column<'a> {
    let constants: Option<Vec<Val<'_>>> = options.iter().map(|o| if let Data::Const(v) = o.data { Some(v) } else { None }).collect();
    let hit = |v: Val<'_>, i: usize| match &constants {
        Some(c) => c.iter().any(|&o| compare(v, o) == Some(Ordering::Equal)),
        None => options.iter().any(|o| compare(v, o.get(i)) == Some(Ordering::Equal)),
    };
    match (&x.data, &constants) {
        // Building the table costs a comparison per dictionary entry: worth it unless the
        // dictionary is much larger than the chunk.
        (Data::Tag { codes, dict }, Some(_)) if dict.len() <= 4 * n.max(1024) => {
            let table: Vec<u8> = (0..dict.len() as u32).map(|c| (hit(Val::Str(dict.get(c)), 0) != negated) as u8).collect();
            let data = codes.iter().map(|&c| table.get(c as usize).copied().unwrap_or(0)).collect();
            Column { data: Data::Bool(Cow::Owned(data)), valid: x.valid.clone() }
        }
        _ => logic(n, |i| {
            let v = x.get(i);
            (v != Val::Null).then(|| hit(v, i) != negated)
        }),
    }
}

/// `bucket(x, width)` with a constant width over a float or int column, in one loop (the
/// row rule, [`super::eval::bucket`], for anything else, and for int buckets whose edge
/// overflows and so becomes a float).
fn bucket<'a>(x: Column<'a>, w: &Column<'a>, n: usize) -> Column<'a> {
    let floats = |v: &[f64], w: f64| Data::Float(Cow::Owned(v.iter().map(|x| (x / w).floor() * w).collect()));
    let data = match (&x.data, &w.data) {
        (Data::Float(v), Data::Const(Val::Float(w))) => Some(floats(v, *w)),
        (Data::Float(v), Data::Const(Val::Int(w))) => Some(floats(v, *w as f64)),
        (Data::Int(v), Data::Const(Val::Float(w))) => {
            Some(Data::Float(Cow::Owned(v.iter().map(|&x| (x as f64 / w).floor() * w).collect())))
        }
        (Data::Int(v), Data::Const(Val::Int(w))) if *w > 0 => {
            v.iter().map(|x| x.div_euclid(*w).checked_mul(*w)).collect::<Option<Vec<i64>>>().map(|v| Data::Int(Cow::Owned(v)))
        }
        _ => None,
    };
    match data {
        Some(data) => Column { data, valid: x.valid },
        None => per_row(n, |i| super::eval::bucket(x.get(i), w.get(i))),
    }
}

/// A `CASE`'s labels, when every branch (and `ELSE`, if any) is a constant: the branches'
/// in order, then `ELSE`'s (null without one).
fn case_labels<'a>(values: &[Column<'a>], otherwise: Option<&Column<'a>>) -> Option<Vec<Val<'a>>> {
    let constant = |c: &Column<'a>| if let Data::Const(v) = c.data { Some(v) } else { None };
    let mut labels = values.iter().map(constant).collect::<Option<Vec<_>>>()?;
    labels.push(match otherwise {
        Some(o) => constant(o)?,
        None => Val::Null,
    });
    Some(labels)
}

/// A column of `labels[code(i)]`: a code per row, nulls marked invalid.
fn labelled<'a>(n: usize, labels: Vec<Val<'a>>, code: impl Fn(usize) -> usize) -> Column<'a> {
    let codes: Vec<u32> = (0..n).map(|i| code(i) as u32).collect();
    let valid = labels.contains(&Val::Null).then(|| codes.iter().map(|&c| labels[c as usize] != Val::Null).collect());
    Column { data: Data::Labels { codes, labels }, valid }
}

fn per_row<'a>(n: usize, f: impl Fn(usize) -> Val<'a>) -> Column<'a> {
    Column::all(Data::Vals((0..n).map(f).collect()))
}

/// A boolean column from three-valued results.
fn logic<'a>(n: usize, f: impl Fn(usize) -> Option<bool>) -> Column<'a> {
    let mut data = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    for i in 0..n {
        let t = f(i);
        data.push(t == Some(true));
        valid.push(t.is_some());
    }
    let valid = valid.iter().any(|v| !v).then_some(valid);
    Column { data: Data::Bool(Cow::Owned(data.into_iter().map(u8::from).collect())), valid }
}

/// SQL truth of every row (`None` = unknown).
pub(crate) fn truths(x: &Column<'_>, n: usize) -> Vec<Option<bool>> {
    match &x.data {
        Data::Bool(v) => (0..n).map(|i| x.is_valid(i).then(|| v[i] != 0)).collect(),
        _ => (0..n).map(|i| truth(x.get(i))).collect(),
    }
}

fn binary_columns<'a>(op: BinaryOp, a: Column<'a>, b: Column<'a>, n: usize) -> Column<'a> {
    use BinaryOp::*;
    match op {
        And | Or => {
            let (x, y) = (truths(&a, n), truths(&b, n));
            logic(n, |i| three_valued(op, x[i], y[i]))
        }
        Eq | Ne | Lt | Le | Gt | Ge => comparison(op, a, b, n),
        Add | Sub | Mul | Div => arithmetic(op, a, b, n),
    }
}

fn flip(op: BinaryOp) -> BinaryOp {
    use BinaryOp::*;
    match op {
        Lt => Gt,
        Le => Ge,
        Gt => Lt,
        Ge => Le,
        other => other,
    }
}

fn comparison<'a>(op: BinaryOp, a: Column<'a>, b: Column<'a>, n: usize) -> Column<'a> {
    // Put the constant, if any, on the right.
    if matches!(a.data, Data::Const(_)) && !matches!(b.data, Data::Const(_)) {
        return comparison(flip(op), b, a, n);
    }
    let valid = both_valid(&a, &b, n);
    match (&a.data, &b.data) {
        // A tag against a string: decide once per dictionary code.
        (Data::Tag { codes, dict }, Data::Const(Val::Str(s))) => {
            let table: Vec<u8> = dict.iter().map(|v| holds(op, v.cmp(s)) as u8).collect();
            let data = codes.iter().map(|&c| table.get(c as usize).copied().unwrap_or(0)).collect();
            Column { data: Data::Bool(Cow::Owned(data)), valid }
        }
        // A time against a time (the parser made a time of the string), a trace against a trace.
        (Data::Time(t), Data::Const(Val::Time(u))) => {
            Column { data: Data::Bool(Cow::Owned(t.iter().map(|x| holds(op, x.cmp(u)) as u8).collect())), valid }
        }
        (Data::TraceId(t), Data::Const(Val::TraceId(u))) => {
            let u = u.get();
            Column { data: Data::Bool(Cow::Owned(t.iter().map(|x| holds(op, x.cmp(&u)) as u8).collect())), valid }
        }
        (Data::Const(Val::Null), _) | (_, Data::Const(Val::Null)) => Column::all(Data::Const(Val::Null)),
        _ if a.numeric() && b.numeric() && !matches!(a.data, Data::Time(_)) && !matches!(b.data, Data::Time(_)) => {
            // Numbers compare as floats; NaN compares with nothing (null).
            let x = a.f64s();
            let ys = (!matches!(b.data, Data::Const(_))).then(|| b.f64s());
            let (data, y_nan) = match &ys {
                None => {
                    let y = b.num(0);
                    (compare_floats(op, &x, |_| y), y.is_nan())
                }
                Some(y) => (compare_floats(op, &x, |i| y[i]), y.iter().any(|y| y.is_nan())),
            };
            let valid = if y_nan || x.iter().any(|x| x.is_nan()) {
                let nan = |i: usize| x[i].is_nan() || ys.as_ref().map_or(b.num(0), |y| y[i]).is_nan();
                Some((0..n).map(|i| valid.as_ref().is_none_or(|v| v[i]) && !nan(i)).collect())
            } else {
                valid
            };
            Column { data: Data::Bool(Cow::Owned(data)), valid }
        }
        _ => per_row(n, |i| binary(op, a.get(i), b.get(i))),
    }
}

/// `x[i] op y(i)` for every row, with the operator chosen once, outside the loop (NaN
/// compares false here; the caller marks it null).
fn compare_floats(op: BinaryOp, x: &[f64], y: impl Fn(usize) -> f64) -> Vec<u8> {
    use BinaryOp::*;
    let run = |f: fn(f64, f64) -> bool| x.iter().enumerate().map(|(i, &x)| f(x, y(i)) as u8).collect();
    match op {
        Eq => run(|a, b| a == b),
        Ne => run(|a, b| a != b),
        Lt => run(|a, b| a < b),
        Le => run(|a, b| a <= b),
        Gt => run(|a, b| a > b),
        _ => run(|a, b| a >= b),
    }
}

fn both_valid(a: &Column<'_>, b: &Column<'_>, n: usize) -> Option<Vec<bool>> {
    match (&a.valid, &b.valid) {
        (None, None) => None,
        (Some(v), None) | (None, Some(v)) => Some(v.clone()),
        (Some(x), Some(y)) => Some((0..n).map(|i| x[i] && y[i]).collect()),
    }
}

/// `time − time` in float seconds, and float arithmetic; integer arithmetic (which stays
/// integer unless it overflows) and everything else go value by value.
fn arithmetic<'a>(op: BinaryOp, a: Column<'a>, b: Column<'a>, n: usize) -> Column<'a> {
    let valid = both_valid(&a, &b, n);
    match (&a.data, &b.data) {
        (Data::Time(x), Data::Time(y)) if op == BinaryOp::Sub => {
            Column { data: Data::Float(x.iter().zip(y.iter()).map(|(x, y)| (x - y) as f64 / 1e6).collect()), valid }
        }
        (Data::Float(_), Data::Float(_) | Data::Int(_) | Data::Bool(_) | Data::Const(Val::Float(_) | Val::Int(_) | Val::Bool(_)))
        | (Data::Int(_) | Data::Bool(_), Data::Float(_) | Data::Const(Val::Float(_)))
            if op != BinaryOp::Div =>
        {
            let f = |x: f64, y: f64| match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                _ => x * y,
            };
            Column { data: Data::Float((0..n).map(|i| f(a.num(i), b.num(i))).collect()), valid }
        }
        _ => per_row(n, |i| binary(op, a.get(i), b.get(i))),
    }
}

fn column<'a>(c: &ColumnRef, at: &Chunk<'_, 'a>) -> Column<'a> {
    let joined = c.component.as_deref().filter(|name| *name != at.driving).and_then(|name| at.joined.iter().find(|j| j.join.name == name));
    match joined {
        None => driving_column(&at.part, &c.field, &at.rows),
        Some(j) => joined_column(&j.join.parts, &j.join.field(&c.field), j.locs, &c.field),
    }
}

/// A driving part's field for the selected rows: borrowed straight from the part for a
/// range, gathered for a list.
fn driving_column<'a>(part: &Part<'a>, field: &str, rows: &Sel<'_>) -> Column<'a> {
    match field {
        "time" => return Column::all(Data::Time(rows.slice(part.times()))),
        "trace_id" => return Column::all(Data::TraceId(rows.slice(part.trace_ids()))),
        _ => {}
    }
    let Some(FieldView { values, validity }) = part.field(field) else { return Column::all(Data::Const(Val::Null)) };
    let valid = validity.map(|w| {
        let mut out = Vec::with_capacity(rows.len());
        rows.for_each(|r| out.push(is_valid(w, r)));
        out
    });
    let data = match values {
        Values::Float(v) => Data::Float(rows.slice(v)),
        Values::Int(v) => Data::Int(rows.slice(v)),
        Values::Bool(v) => Data::Bool(rows.slice(v)),
        Values::Tag { codes, dict } => {
            let mut out = Vec::with_capacity(rows.len());
            match rows {
                Sel::Range(r) => match codes {
                    Codes::U8(c) => out.extend(c[r.start as usize..r.end as usize].iter().map(|&c| c as u32)),
                    Codes::U16(c) => out.extend(c[r.start as usize..r.end as usize].iter().map(|&c| c as u32)),
                    Codes::U32(c) => out.extend_from_slice(&c[r.start as usize..r.end as usize]),
                },
                Sel::List(l) => codes.extend_into(&mut out, Some(l), |c| c),
            }
            Data::Tag { codes: out, dict }
        }
    };
    Column { data, valid }
}

/// A joined component's field at each location (one per row), given the field in each joined
/// part (`views`): typed when every joined part stores it with one numeric type, value by
/// value otherwise.
pub(crate) fn joined_column<'a>(parts: &[Part<'a>], views: &[Option<FieldView<'a>>], locs: &[Loc], field: &str) -> Column<'a> {
    let n = locs.len();
    let mut valid = vec![false; n];
    // `time` and `trace_id`: every event has one, so a matched row is never null.
    fn gather<'a, T: Copy + Default>(slices: Vec<&'a [T]>, locs: &[Loc], data: fn(Cow<'a, [T]>) -> Data<'a>) -> Column<'a> {
        let mut out = vec![T::default(); locs.len()];
        for (o, &loc) in out.iter_mut().zip(locs).filter(|(_, &loc)| loc != NO_MATCH) {
            let (p, r) = split(loc);
            *o = slices[p][r];
        }
        Column { data: data(Cow::Owned(out)), valid: Some(locs.iter().map(|&loc| loc != NO_MATCH).collect()) }
    }
    match field {
        "time" => return gather(parts.iter().map(|p| p.times()).collect(), locs, Data::Time),
        "trace_id" => return gather(parts.iter().map(|p| p.trace_ids()).collect(), locs, Data::TraceId),
        _ => {}
    }
    macro_rules! typed {
        ($variant:ident, $t:ty) => {{
            let slices: Option<Vec<(&'a [$t], Option<&'a [u64]>)>> = views
                .iter()
                .map(|v| match v {
                    Some(FieldView { values: Values::$variant(s), validity }) => Some((*s, *validity)),
                    _ => None,
                })
                .collect();
            if let Some(slices) = slices {
                let mut out: Vec<$t> = vec![Default::default(); n];
                for (i, &loc) in locs.iter().enumerate() {
                    if loc != NO_MATCH {
                        let (p, r) = split(loc);
                        let (s, w) = slices[p];
                        out[i] = s[r];
                        valid[i] = w.is_none_or(|w| is_valid(w, r));
                    }
                }
                return Column { data: Data::$variant(Cow::Owned(out)), valid: Some(valid) };
            }
        }};
    }
    typed!(Float, f64);
    typed!(Int, i64);
    typed!(Bool, u8);
    let vals = locs
        .iter()
        .map(|&loc| {
            if loc == NO_MATCH {
                return Val::Null;
            }
            let (p, r) = split(loc);
            match &views[p] {
                Some(f) if f.is_valid(r) => match f.values {
                    Values::Float(v) => Val::Float(v[r]),
                    Values::Int(v) => Val::Int(v[r]),
                    Values::Bool(v) => Val::Bool(v[r] != 0),
                    Values::Tag { codes, dict } => Val::Str(dict.get(codes.get(r))),
                },
                _ => Val::Null,
            }
        })
        .collect();
    Column::all(Data::Vals(vals))
}
