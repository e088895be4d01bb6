//! Evaluating expressions over the selected rows of one driving part, a value per row, with
//! joined components' matching events. This is the plain, row-at-a-time path: correct first;
//! the columnar kernels come later.

use super::value::{Trace, Val};
use crate::ast::{BinaryOp, ColumnRef, Expr};
use crate::error::{Error, Result};
use seamdb_storage::{Part, Values};
use std::cmp::Ordering;

/// The rows being evaluated: some rows of one part of the driving component, and for each
/// joined component the event matched to each of those rows.
pub(crate) struct Rows<'c, 'a> {
    pub driving: &'c str,
    pub part: Part<'a>,
    pub rows: &'c [u32],
    pub joined: Vec<Matches<'c, 'a>>,
}

/// A joined component's parts and, per driving row, its matching event (part, row), if any.
pub(crate) struct Matches<'c, 'a> {
    pub name: &'c str,
    pub parts: &'c [Part<'a>],
    pub hits: Vec<Option<(u32, u32)>>,
}

/// The values of `expr` for every row of `at`.
pub(crate) fn eval<'a>(expr: &'a Expr, at: &Rows<'_, 'a>) -> Result<Vec<Val<'a>>> {
    let rows = at.rows;
    Ok(match expr {
        Expr::Column(c) => column(c, at),
        Expr::Int(i) => vec![Val::Int(*i); rows.len()],
        Expr::Float(x) => vec![Val::Float(*x); rows.len()],
        Expr::String(s) => vec![Val::Str(s); rows.len()],
        Expr::Bool(b) => vec![Val::Bool(*b); rows.len()],
        Expr::Null | Expr::Duration(_) => vec![Val::Null; rows.len()],
        Expr::Time(t) => vec![Val::Time(*t); rows.len()],
        Expr::TraceId(id) => vec![Val::TraceId(Trace::new(*id)); rows.len()],
        Expr::Neg(e) => eval(e, at)?.into_iter().map(neg).collect(),
        Expr::Not(e) => eval(e, at)?.into_iter().map(|v| truth(v).map_or(Val::Null, |b| Val::Bool(!b))).collect(),
        Expr::IsNull { expr, negated } => eval(expr, at)?.into_iter().map(|v| Val::Bool((v == Val::Null) != *negated)).collect(),
        Expr::IsNan { expr, negated } => eval(expr, at)?.into_iter().map(|v| Val::Bool(v.is_nan() != *negated)).collect(),
        Expr::In { expr, list, negated } => {
            let values = eval(expr, at)?;
            let options = list.iter().map(|e| eval(e, at)).collect::<Result<Vec<_>>>()?;
            values
                .iter()
                .enumerate()
                .map(|(r, &v)| {
                    if v == Val::Null {
                        return Val::Null;
                    }
                    let hit = options.iter().any(|o| compare(v, o[r]) == Some(Ordering::Equal));
                    Val::Bool(hit != *negated)
                })
                .collect()
        }
        Expr::Binary { op, lhs, rhs } => {
            let (a, b) = (eval(lhs, at)?, eval(rhs, at)?);
            a.into_iter().zip(b).map(|(a, b)| binary(*op, a, b)).collect()
        }
        Expr::Call { name, args } if name == "bucket" => {
            let (x, w) = (eval(&args[0], at)?, eval(&args[1], at)?);
            x.into_iter().zip(w).map(|(x, w)| bucket(x, w)).collect()
        }
        Expr::Case { branches, otherwise } => {
            let conditions = branches.iter().map(|(c, _)| eval(c, at)).collect::<Result<Vec<_>>>()?;
            let values = branches.iter().map(|(_, v)| eval(v, at)).collect::<Result<Vec<_>>>()?;
            let otherwise = otherwise.as_deref().map(|e| eval(e, at)).transpose()?;
            (0..rows.len())
                .map(|r| match conditions.iter().position(|c| truth(c[r]) == Some(true)) {
                    Some(b) => values[b][r],
                    None => otherwise.as_ref().map_or(Val::Null, |o| o[r]),
                })
                .collect()
        }
        // The planner's type check refuses an aggregate inside an expression.
        Expr::Call { name, .. } => return Err(Error::Invalid(format!("{name}() cannot be used inside another expression"))),
    })
}

fn column<'a>(c: &ColumnRef, at: &Rows<'_, 'a>) -> Vec<Val<'a>> {
    let joined = c.component.as_deref().filter(|name| *name != at.driving).and_then(|name| at.joined.iter().find(|j| j.name == name));
    match joined {
        None => at.rows.iter().map(|&r| value(&at.part, &c.field, r)).collect(),
        Some(j) => j.hits.iter().map(|hit| hit.map_or(Val::Null, |(p, r)| value(&j.parts[p as usize], &c.field, r))).collect(),
    }
}

/// One field (or `time`) of one row of a part; null where the part lacks the field.
fn value<'a>(part: &Part<'a>, field: &str, row: u32) -> Val<'a> {
    let r = row as usize;
    match field {
        "time" => return Val::Time(part.times()[r]),
        "trace_id" => return Val::TraceId(Trace::new(part.trace_ids()[r])),
        _ => {}
    }
    let Some(f) = part.field(field) else { return Val::Null };
    if !f.is_valid(r) {
        return Val::Null;
    }
    match f.values {
        Values::Float(v) => Val::Float(v[r]),
        Values::Int(v) => Val::Int(v[r]),
        Values::Bool(v) => Val::Bool(v[r] != 0),
        Values::Tag { codes, dict } => Val::Str(dict.get(codes.get(r))),
    }
}

/// SQL's three-valued truth of a value (`None` = unknown).
pub(crate) fn truth(v: Val<'_>) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(b),
        Val::Null => None,
        other => other.num().map(|x| x != 0.0),
    }
}

/// `bucket(x, width)`: the lower edge ⌊x / width⌋ · width of `x`'s bin, an int when both
/// are ints (the planner checks that `width` is a positive number).
pub(super) fn bucket<'a>(x: Val<'a>, width: Val<'_>) -> Val<'a> {
    match (x, width) {
        // Near i64::MIN the edge may not fit an int: then it is a float, as with a float width.
        (Val::Int(x), Val::Int(w)) => {
            x.div_euclid(w).checked_mul(w).map_or_else(|| Val::Float((x as f64 / w as f64).floor() * w as f64), Val::Int)
        }
        (Val::Int(x), Val::Float(w)) => Val::Float((x as f64 / w).floor() * w),
        (Val::Float(x), Val::Int(w)) => Val::Float((x / w as f64).floor() * w as f64),
        (Val::Float(x), Val::Float(w)) => Val::Float((x / w).floor() * w),
        _ => Val::Null,
    }
}

pub(super) fn neg(v: Val<'_>) -> Val<'_> {
    match v {
        Val::Int(i) => i.checked_neg().map_or(Val::Float(-(i as f64)), Val::Int),
        Val::Float(x) => Val::Float(-x),
        Val::Bool(b) => Val::Int(-(b as i64)),
        _ => Val::Null,
    }
}

/// Orders two values of comparable kinds; `None` if either is null or the kinds differ (the
/// planner's type check refuses such comparisons; a string compared with a time was made a
/// time by the parser).
pub(crate) fn compare(a: Val<'_>, b: Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) => None,
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(&y)),
        (Val::TraceId(x), Val::TraceId(y)) => Some(x.cmp(&y)),
        (Val::Str(_) | Val::Time(_) | Val::TraceId(_), _) | (_, Val::Str(_) | Val::Time(_) | Val::TraceId(_)) => None,
        (x, y) => x.num()?.partial_cmp(&y.num()?),
    }
}

pub(super) fn binary<'a>(op: BinaryOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    use BinaryOp::*;
    match op {
        And | Or => logic(op, truth(a), truth(b)).map_or(Val::Null, Val::Bool),
        Eq | Ne | Lt | Le | Gt | Ge => compare(a, b).map_or(Val::Null, |o| Val::Bool(holds(op, o))),
        Add | Sub | Mul | Div => arithmetic(op, a, b),
    }
}

/// SQL's three-valued `AND` / `OR` (`None` = unknown).
pub(super) fn logic(op: BinaryOp, a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (op, a, b) {
        (BinaryOp::And, Some(false), _) | (BinaryOp::And, _, Some(false)) => Some(false),
        (BinaryOp::And, Some(true), Some(true)) => Some(true),
        (BinaryOp::Or, Some(true), _) | (BinaryOp::Or, _, Some(true)) => Some(true),
        (BinaryOp::Or, Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Whether ordering `o` satisfies comparison `op`.
pub(super) fn holds(op: BinaryOp, o: Ordering) -> bool {
    use BinaryOp::*;
    match op {
        Eq => o == Ordering::Equal,
        Ne => o != Ordering::Equal,
        Lt => o == Ordering::Less,
        Le => o != Ordering::Greater,
        Gt => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

/// `+ - * /`: ints stay ints for `+ - *` (floats on overflow), `/` is always float (null on
/// division by zero), and time − time is float seconds.
fn arithmetic<'a>(op: BinaryOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    if let (Val::Time(x), Val::Time(y), BinaryOp::Sub) = (a, b, op) {
        return Val::Float((x - y) as f64 / 1e6);
    }
    if matches!(a, Val::Time(_) | Val::Str(_) | Val::TraceId(_)) || matches!(b, Val::Time(_) | Val::Str(_) | Val::TraceId(_)) {
        return Val::Null;
    }
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        let exact = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            _ => None,
        };
        if let Some(v) = exact {
            return Val::Int(v);
        }
    }
    let (Some(x), Some(y)) = (a.num(), b.num()) else { return Val::Null };
    match op {
        BinaryOp::Add => Val::Float(x + y),
        BinaryOp::Sub => Val::Float(x - y),
        BinaryOp::Mul => Val::Float(x * y),
        _ if y == 0.0 => Val::Null,
        _ => Val::Float(x / y),
    }
}
