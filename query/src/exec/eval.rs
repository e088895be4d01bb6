//! Evaluating expressions over the selected rows of one part, a value per row. This is the
//! plain, row-at-a-time path: correct first; the columnar kernels come with the join work.

use super::value::Val;
use crate::ast::{BinaryOp, ColumnRef, Expr};
use crate::error::{Error, Result};
use seamdb_storage::{Part, Values};
use std::cmp::Ordering;

/// The values of `expr` for `rows` of `part` (a part of the driving component).
pub(crate) fn eval<'a>(expr: &'a Expr, part: &Part<'a>, rows: &[u32]) -> Result<Vec<Val<'a>>> {
    Ok(match expr {
        Expr::Column(c) => column(c, part, rows),
        Expr::Int(i) => vec![Val::Int(*i); rows.len()],
        Expr::Float(x) => vec![Val::Float(*x); rows.len()],
        Expr::String(s) => vec![Val::Str(s); rows.len()],
        Expr::Bool(b) => vec![Val::Bool(*b); rows.len()],
        Expr::Null => vec![Val::Null; rows.len()],
        Expr::Neg(e) => eval(e, part, rows)?.into_iter().map(neg).collect(),
        Expr::Not(e) => eval(e, part, rows)?.into_iter().map(|v| truth(v).map_or(Val::Null, |b| Val::Bool(!b))).collect(),
        Expr::IsNull { expr, negated } => eval(expr, part, rows)?.into_iter().map(|v| Val::Bool((v == Val::Null) != *negated)).collect(),
        Expr::In { expr, list, negated } => {
            let values = eval(expr, part, rows)?;
            let options = list.iter().map(|e| eval(e, part, rows)).collect::<Result<Vec<_>>>()?;
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
            let (a, b) = (eval(lhs, part, rows)?, eval(rhs, part, rows)?);
            a.into_iter().zip(b).map(|(a, b)| binary(*op, a, b)).collect()
        }
        Expr::Call { name, .. } => {
            return Err(Error::Unsupported(format!("{name}() is an aggregate; it cannot be used inside another expression")))
        }
    })
}

fn column<'a>(c: &ColumnRef, part: &Part<'a>, rows: &[u32]) -> Vec<Val<'a>> {
    if c.field == "time" {
        let times = part.times();
        return rows.iter().map(|&r| Val::Time(times[r as usize])).collect();
    }
    let Some(field) = part.field(&c.field) else {
        return vec![Val::Null; rows.len()];
    };
    rows.iter()
        .map(|&r| {
            let r = r as usize;
            if !field.is_valid(r) {
                return Val::Null;
            }
            match field.values {
                Values::Float(v) => Val::Float(v[r]),
                Values::Int(v) => Val::Int(v[r]),
                Values::Bool(v) => Val::Bool(v[r] != 0),
                Values::Tag { codes, dict } => Val::Str(dict.get(codes.get(r))),
            }
        })
        .collect()
}

/// SQL's three-valued truth of a value (`None` = unknown).
pub(crate) fn truth(v: Val<'_>) -> Option<bool> {
    match v {
        Val::Bool(b) => Some(b),
        Val::Null => None,
        other => other.num().map(|x| x != 0.0),
    }
}

fn neg(v: Val<'_>) -> Val<'_> {
    match v {
        Val::Int(i) => i.checked_neg().map_or(Val::Float(-(i as f64)), Val::Int),
        Val::Float(x) => Val::Float(-x),
        Val::Bool(b) => Val::Int(-(b as i64)),
        _ => Val::Null,
    }
}

/// Orders two values of comparable kinds; `None` if either is null or the kinds differ. A
/// string meets a time as an RFC 3339 timestamp (`time >= '2026-01-05T00:00:00Z'`).
pub(crate) fn compare(a: Val<'_>, b: Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Null, _) | (_, Val::Null) => None,
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(&y)),
        (Val::Time(t), Val::Str(s)) => parse_time(s).map(|u| t.cmp(&u)),
        (Val::Str(s), Val::Time(t)) => parse_time(s).map(|u| u.cmp(&t)),
        (Val::Str(_), _) | (_, Val::Str(_)) => None,
        (x, y) => x.num()?.partial_cmp(&y.num()?),
    }
}

pub(crate) fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_microsecond())
}

fn binary<'a>(op: BinaryOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    use BinaryOp::*;
    match op {
        And => match (truth(a), truth(b)) {
            (Some(false), _) | (_, Some(false)) => Val::Bool(false),
            (Some(true), Some(true)) => Val::Bool(true),
            _ => Val::Null,
        },
        Or => match (truth(a), truth(b)) {
            (Some(true), _) | (_, Some(true)) => Val::Bool(true),
            (Some(false), Some(false)) => Val::Bool(false),
            _ => Val::Null,
        },
        Eq | Ne | Lt | Le | Gt | Ge => compare(a, b).map_or(Val::Null, |o| {
            Val::Bool(match op {
                Eq => o == Ordering::Equal,
                Ne => o != Ordering::Equal,
                Lt => o == Ordering::Less,
                Le => o != Ordering::Greater,
                Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            })
        }),
        Add | Sub | Mul | Div => arithmetic(op, a, b),
    }
}

/// `+ - * /`: ints stay ints for `+ - *` (floats on overflow), `/` is always float (null on
/// division by zero), and time − time is float seconds.
fn arithmetic<'a>(op: BinaryOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    if let (Val::Time(x), Val::Time(y), BinaryOp::Sub) = (a, b, op) {
        return Val::Float((x - y) as f64 / 1e6);
    }
    if matches!(a, Val::Time(_) | Val::Str(_)) || matches!(b, Val::Time(_) | Val::Str(_)) {
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
