//! `HAVING`, `ORDER BY` and `LIMIT`: what happens to the output rows once every executor has
//! answered (SPEC §4). Their expressions read the row's cells: an item, named by its `AS`
//! name or written as in `SELECT` (`HAVING count() > 100`), or a group key (`window`,
//! `component.field`); they are resolved to column positions before the scan, so a name the
//! output does not have is an error before any row is read.

use crate::ast::{BinaryOp, ColumnRef, Expr, Select};
use crate::error::{Error, Result};
use crate::output::Cell;
use std::cmp::Ordering;

/// The resolved clauses of one query.
#[derive(Debug, Default)]
pub(super) struct Post {
    having: Option<CellExpr>,
    /// Sort keys, and whether each is descending.
    order: Vec<(CellExpr, bool)>,
    limit: Option<usize>,
}

/// An expression over one output row.
#[derive(Debug)]
enum CellExpr {
    Column(usize),
    Literal(Cell),
    Neg(Box<CellExpr>),
    Not(Box<CellExpr>),
    Binary { op: BinaryOp, lhs: Box<CellExpr>, rhs: Box<CellExpr> },
    In { expr: Box<CellExpr>, list: Vec<CellExpr>, negated: bool },
    IsNull { expr: Box<CellExpr>, negated: bool },
    IsNan { expr: Box<CellExpr>, negated: bool },
}

impl Post {
    /// Resolves `s`'s clauses against the output's `columns` (group keys first, then items;
    /// `keys` are the group keys' expressions, the last of the key columns).
    pub fn new(s: &Select, columns: &[String], keys: &[Expr]) -> Result<Post> {
        let items = columns.len() - s.items.len();
        let at = Names { s, columns, items, keys, only_items: false };
        let resolve = |e: &Expr, clause: &str| resolve(e, &at, clause);
        Ok(Post {
            having: s.having.as_ref().map(|h| resolve(h, "HAVING")).transpose()?,
            order: s.order_by.iter().map(|(e, desc)| Ok((resolve(e, "ORDER BY")?, *desc))).collect::<Result<_>>()?,
            limit: s.limit.map(|l| usize::try_from(l).unwrap_or(usize::MAX)),
        })
    }

    /// Keeps the rows `HAVING` holds for, sorts them by `ORDER BY` (stable: ties keep the
    /// default order; nulls last either way), then keeps the first `LIMIT`.
    pub fn apply(&self, rows: &mut Vec<Vec<Cell>>) -> Result<()> {
        if let Some(having) = &self.having {
            let mut kept = Vec::with_capacity(rows.len());
            for row in rows.drain(..) {
                if matches!(having.eval(&row)?, Cell::Bool(true)) {
                    kept.push(row);
                }
            }
            *rows = kept;
        }
        if !self.order.is_empty() {
            let mut keyed = Vec::with_capacity(rows.len());
            for row in rows.drain(..) {
                let keys = self.order.iter().map(|(e, _)| e.eval(&row)).collect::<Result<Vec<Cell>>>()?;
                keyed.push((keys, row));
            }
            keyed.sort_by(|(a, _), (b, _)| {
                a.iter()
                    .zip(b)
                    .zip(&self.order)
                    .map(|((x, y), (_, desc))| order(x, y, *desc))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            });
            rows.extend(keyed.into_iter().map(|(_, row)| row));
        }
        if let Some(limit) = self.limit {
            rows.truncate(limit);
        }
        Ok(())
    }
}

/// A condition over one output row that may name only the query's items (an SLO's
/// `EXPECT` and `WHEN`): whatever the group keys, the same condition judges every row.
#[derive(Debug)]
pub(crate) struct Condition(CellExpr);

impl Condition {
    /// Resolves `e` against `s`'s items, whose cells end a row of `columns`.
    pub fn new(e: &Expr, s: &Select, columns: &[String], clause: &str) -> Result<Condition> {
        let items = columns.len() - s.items.len();
        resolve(e, &Names { s, columns, items, keys: &[], only_items: true }, clause).map(Condition)
    }

    /// True, false, or null (unknown: a null operand).
    pub fn eval(&self, row: &[Cell]) -> Result<Option<bool>> {
        match self.0.eval(row)? {
            Cell::Bool(b) => Ok(Some(b)),
            Cell::Null => Ok(None),
            other => Err(Error::Invalid(format!("a condition must be true or false; this one is {}", other.text()))),
        }
    }
}

/// `x` before `y`? Nulls last in both directions.
fn order(x: &Cell, y: &Cell, desc: bool) -> Ordering {
    match (x, y) {
        (Cell::Null, Cell::Null) => Ordering::Equal,
        (Cell::Null, _) => Ordering::Greater,
        (_, Cell::Null) => Ordering::Less,
        _ => {
            let o = compare(x, y).unwrap_or(Ordering::Equal);
            if desc {
                o.reverse()
            } else {
                o
            }
        }
    }
}

/// What the output's columns are called and hold.
struct Names<'a> {
    s: &'a Select,
    columns: &'a [String],
    /// The first item's column.
    items: usize,
    keys: &'a [Expr],
    /// Only items may be named (not group keys).
    only_items: bool,
}

fn resolve(e: &Expr, at: &Names<'_>, clause: &str) -> Result<CellExpr> {
    let (s, columns, items) = (at.s, at.columns, at.items);
    // An item or a group key written out again names its column.
    if !matches!(e, Expr::Column(_)) {
        if let Some(i) = s.items.iter().position(|item| item.expr == *e) {
            return Ok(CellExpr::Column(items + i));
        }
        if let Some(k) = at.keys.iter().position(|key| key == e) {
            return Ok(CellExpr::Column(items - at.keys.len() + k));
        }
    }
    let again = |e: &Expr| resolve(e, at, clause).map(Box::new);
    Ok(match e {
        Expr::Column(c) => CellExpr::Column(column(c, at).ok_or_else(|| {
            let name = c.component.as_ref().map_or_else(|| c.field.clone(), |comp| format!("{comp}.{}", c.field));
            if at.only_items {
                let named: Vec<&str> = s.items.iter().map(|i| i.name()).collect();
                Error::Name(format!("{clause} can name only the query's items (by AS name or as written); {name:?} is none of {}", named.join(", ")))
            } else {
                Error::Name(format!(
                    "{clause} can name the query's items (by AS name or as written) and its group keys; {name:?} is neither (the output has {})",
                    columns.join(", ")
                ))
            }
        })?),
        Expr::Int(i) => CellExpr::Literal(Cell::Int(*i)),
        Expr::Float(f) => CellExpr::Literal(Cell::Float(*f)),
        Expr::String(t) => CellExpr::Literal(Cell::Text(t.clone())),
        Expr::Bool(b) => CellExpr::Literal(Cell::Bool(*b)),
        Expr::Null => CellExpr::Literal(Cell::Null),
        Expr::Time(t) => CellExpr::Literal(Cell::Time(*t)),
        Expr::Neg(x) => CellExpr::Neg(again(x)?),
        Expr::Not(x) => CellExpr::Not(again(x)?),
        Expr::Binary { op, lhs, rhs } => CellExpr::Binary { op: *op, lhs: again(lhs)?, rhs: again(rhs)? },
        Expr::In { expr, list, negated } => CellExpr::In {
            expr: again(expr)?,
            list: list.iter().map(|x| resolve(x, at, clause)).collect::<Result<_>>()?,
            negated: *negated,
        },
        Expr::IsNull { expr, negated } => CellExpr::IsNull { expr: again(expr)?, negated: *negated },
        Expr::IsNan { expr, negated } => CellExpr::IsNan { expr: again(expr)?, negated: *negated },
        Expr::Call { name, .. } => {
            return Err(Error::Name(format!(
                "{clause} reads the output rows: {name}(…) is not among the query's items; add it to SELECT (with AS to name it)"
            )))
        }
        Expr::Case { .. } => {
            return Err(Error::Unsupported(format!("{clause} takes CASE only as a group key written out again")))
        }
        Expr::Duration(_) | Expr::TraceId(_) => {
            return Err(Error::Invalid(format!("{clause} compares output values: a duration or trace ID has no meaning there")))
        }
    })
}

/// The output column a name refers to: an item's `AS` name, then a group key (`window`,
/// `component.field`, or a field of the driving component by its bare name).
fn column(c: &ColumnRef, at: &Names<'_>) -> Option<usize> {
    let (s, columns, items) = (at.s, at.columns, at.items);
    if c.component.is_none() {
        if let Some(i) = s.items.iter().position(|item| item.alias.as_deref() == Some(c.field.as_str())) {
            return Some(items + i);
        }
        if c.field == "window" && !at.only_items && columns.first().is_some_and(|w| w == "window") {
            return Some(0);
        }
    }
    let key = format!("{}.{}", c.component.as_deref().unwrap_or(&s.from), c.field);
    let as_key = if at.only_items { None } else { columns[..items].iter().position(|k| *k == key) };
    as_key.or_else(|| s.items.iter().position(|item| item.text == key).map(|i| items + i))
}

impl CellExpr {
    fn eval(&self, row: &[Cell]) -> Result<Cell> {
        Ok(match self {
            CellExpr::Column(i) => row[*i].clone(),
            CellExpr::Literal(c) => c.clone(),
            CellExpr::Neg(x) => match x.eval(row)? {
                Cell::Int(i) => Cell::Int(i.wrapping_neg()),
                Cell::Float(f) => Cell::Float(-f),
                Cell::Null => Cell::Null,
                other => return Err(mismatch("-", &other, &Cell::Null)),
            },
            CellExpr::Not(x) => match x.eval(row)? {
                Cell::Bool(b) => Cell::Bool(!b),
                Cell::Null => Cell::Null,
                other => return Err(mismatch("NOT", &other, &Cell::Null)),
            },
            CellExpr::Binary { op: op @ (BinaryOp::And | BinaryOp::Or), lhs, rhs } => {
                let (a, b) = (truth(lhs.eval(row)?)?, truth(rhs.eval(row)?)?);
                // Three-valued, as in SQL.
                let v = match op {
                    BinaryOp::And => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    _ => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                };
                v.map_or(Cell::Null, Cell::Bool)
            }
            CellExpr::Binary { op, lhs, rhs } => binary(*op, &lhs.eval(row)?, &rhs.eval(row)?)?,
            CellExpr::In { expr, list, negated } => {
                let x = expr.eval(row)?;
                if matches!(x, Cell::Null) {
                    return Ok(Cell::Null);
                }
                let mut found = false;
                for item in list {
                    let y = item.eval(row)?;
                    found |= !matches!(y, Cell::Null) && comparable(&x, &y)? == Ordering::Equal;
                }
                Cell::Bool(found != *negated)
            }
            CellExpr::IsNull { expr, negated } => Cell::Bool(matches!(expr.eval(row)?, Cell::Null) != *negated),
            CellExpr::IsNan { expr, negated } => Cell::Bool(matches!(expr.eval(row)?, Cell::Float(f) if f.is_nan()) != *negated),
        })
    }
}

fn truth(c: Cell) -> Result<Option<bool>> {
    match c {
        Cell::Bool(b) => Ok(Some(b)),
        Cell::Null => Ok(None),
        other => Err(mismatch("AND/OR", &other, &Cell::Null)),
    }
}

fn binary(op: BinaryOp, a: &Cell, b: &Cell) -> Result<Cell> {
    if matches!(a, Cell::Null) || matches!(b, Cell::Null) {
        return Ok(Cell::Null);
    }
    let cmp = |want: fn(Ordering) -> bool| comparable(a, b).map(|o| Cell::Bool(want(o)));
    match op {
        BinaryOp::Eq => cmp(|o| o == Ordering::Equal),
        BinaryOp::Ne => cmp(|o| o != Ordering::Equal),
        BinaryOp::Lt => cmp(|o| o == Ordering::Less),
        BinaryOp::Le => cmp(|o| o != Ordering::Greater),
        BinaryOp::Gt => cmp(|o| o == Ordering::Greater),
        BinaryOp::Ge => cmp(|o| o != Ordering::Less),
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
            let (Some(x), Some(y)) = (number(a), number(b)) else { return Err(mismatch("arithmetic", a, b)) };
            Ok(Cell::Float(match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                _ => x / y,
            }))
        }
        BinaryOp::And | BinaryOp::Or => unreachable!("three-valued logic is evaluated above"),
    }
}

fn number(c: &Cell) -> Option<f64> {
    match c {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(f) => Some(*f),
        _ => None,
    }
}

/// Two non-null cells of comparable types; an error names the two types otherwise.
fn comparable(a: &Cell, b: &Cell) -> Result<Ordering> {
    compare(a, b).ok_or_else(|| mismatch("a comparison", a, b))
}

/// Numbers with numbers, texts, bools, and times with times or with a text that is a time
/// (`HAVING window >= '2026-01-05'`).
fn compare(a: &Cell, b: &Cell) -> Option<Ordering> {
    match (a, b) {
        (Cell::Text(x), Cell::Text(y)) => Some(x.cmp(y)),
        (Cell::Bool(x), Cell::Bool(y)) => Some(x.cmp(y)),
        (Cell::Time(x), Cell::Time(y)) => Some(x.cmp(y)),
        (Cell::Time(x), Cell::Text(t)) => crate::parse_time(t).map(|y| x.cmp(&y)),
        (Cell::Text(t), Cell::Time(y)) => crate::parse_time(t).map(|x| x.cmp(y)),
        _ => Some(number(a)?.total_cmp(&number(b)?)),
    }
}

fn mismatch(what: &str, a: &Cell, b: &Cell) -> Error {
    let kind = |c: &Cell| match c {
        Cell::Null => "null",
        Cell::Int(_) | Cell::Float(_) => "a number",
        Cell::Bool(_) => "a bool",
        Cell::Text(_) => "a text",
        Cell::Time(_) => "a time",
    };
    Error::Invalid(format!("{what} of {} and {} in HAVING or ORDER BY", kind(a), kind(b)))
}
