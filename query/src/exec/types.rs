//! The static type of every expression, checked while planning: a function given a type it
//! cannot take, a comparison of a tag with a number, arithmetic on a tag — each is an error
//! naming the function (or operator) and the types, never a null or a 0 (SPEC §4).

use super::agg::FUNCTIONS;
use crate::ast::{BinaryOp, ColumnRef, Expr};
use crate::error::{Error, Result};
use seamdb_storage::model::FieldType;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    Int,
    Float,
    Bool,
    Tag,
    Time,
    TraceId,
    /// A string literal (it meets tags).
    Text,
    /// The `NULL` literal, which meets everything.
    Null,
}

impl Type {
    pub fn of(field: FieldType) -> Type {
        match field {
            FieldType::Float => Type::Float,
            FieldType::Int => Type::Int,
            FieldType::Bool => Type::Bool,
            FieldType::Tag => Type::Tag,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Type::Int => "an int",
            Type::Float => "a float",
            Type::Bool => "a bool",
            Type::Tag => "a tag",
            Type::Time => "a time",
            Type::TraceId => "a trace ID",
            Type::Text => "a string",
            Type::Null => "null",
        }
    }

    /// A number: bools count as 0 and 1 (SPEC §4).
    fn number(self) -> bool {
        matches!(self, Type::Int | Type::Float | Type::Bool | Type::Null)
    }

    /// The kind of class a classification metric compares: numbers with numbers, text with
    /// text; `None` for a type that cannot be a class.
    fn class(self) -> Option<u8> {
        match self {
            Type::Int | Type::Float | Type::Bool => Some(0),
            Type::Tag | Type::Text => Some(1),
            Type::Null => Some(2),
            Type::Time | Type::TraceId => None,
        }
    }

    fn meets(self, other: Type) -> bool {
        self == Type::Null
            || other == Type::Null
            || (self.number() && other.number())
            || matches!((self, other), (Type::Tag | Type::Text, Type::Tag | Type::Text))
            || self == other
    }
}

/// The error for a call of a function SeamQL does not have.
pub(crate) fn no_function(name: &str) -> Error {
    let hint = crate::suggest::did_you_mean(name, FUNCTIONS.iter().copied());
    Error::Name(format!("there is no function {name}(){hint}"))
}

/// An expression as the user wrote it, near enough for an error message.
pub(crate) fn show(e: &Expr) -> String {
    match e {
        Expr::Column(ColumnRef { component: Some(c), field }) => format!("{c}.{field}"),
        Expr::Column(ColumnRef { component: None, field }) => field.clone(),
        Expr::Int(i) => i.to_string(),
        Expr::Float(x) => x.to_string(),
        Expr::String(s) => format!("'{s}'"),
        Expr::Bool(b) => b.to_string(),
        Expr::Null => "NULL".into(),
        Expr::Call { name, .. } => format!("{name}(…)"),
        _ => "the expression".into(),
    }
}

/// The type of `e`, with `column` giving each column's; an error where the expression mixes
/// types that do not meet.
pub(crate) fn type_of(e: &Expr, column: &dyn Fn(&ColumnRef) -> Result<Type>) -> Result<Type> {
    let of = |e: &Expr| type_of(e, column);
    let mismatch = |what: &str, a: &Expr, ta: Type, b: &Expr, tb: Type| {
        Error::Invalid(format!("cannot {what} {} ({}) and {} ({})", show(a), ta.name(), show(b), tb.name()))
    };
    Ok(match e {
        Expr::Column(c) => column(c)?,
        Expr::Int(_) => Type::Int,
        Expr::Float(_) => Type::Float,
        Expr::String(_) => Type::Text,
        Expr::Bool(_) => Type::Bool,
        Expr::Null => Type::Null,
        Expr::Time(_) => Type::Time,
        Expr::TraceId(_) => Type::TraceId,
        Expr::Duration(_) => {
            return Err(Error::Invalid("a duration can only be added to or subtracted from a time ('2026-01-05' + 12h, now() - 7d)".into()))
        }
        Expr::Neg(x) => match of(x)? {
            Type::Float => Type::Float,
            t if t.number() => Type::Int,
            t => return Err(Error::Invalid(format!("cannot negate {} ({})", show(x), t.name()))),
        },
        Expr::Not(x) => condition("NOT", x, of(x)?)?,
        Expr::IsNull { expr, .. } | Expr::IsNan { expr, .. } => {
            of(expr)?;
            Type::Bool
        }
        Expr::In { expr, list, .. } => {
            let t = of(expr)?;
            for item in list {
                let u = of(item)?;
                if !t.meets(u) {
                    return Err(mismatch("compare", expr, t, item, u));
                }
            }
            Type::Bool
        }
        Expr::Binary { op, lhs, rhs } => {
            let (a, b) = (of(lhs)?, of(rhs)?);
            match op {
                BinaryOp::And | BinaryOp::Or => {
                    let word = if *op == BinaryOp::And { "AND" } else { "OR" };
                    condition(word, lhs, a)?;
                    condition(word, rhs, b)?
                }
                BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                    if !a.meets(b) {
                        return Err(mismatch("compare", lhs, a, rhs, b));
                    }
                    Type::Bool
                }
                BinaryOp::Sub if a == Type::Time && b == Type::Time => Type::Float,
                _ if a.number() && b.number() => match op {
                    BinaryOp::Div => Type::Float,
                    _ if a == Type::Float || b == Type::Float => Type::Float,
                    _ => Type::Int,
                },
                _ => {
                    let verb = match op {
                        BinaryOp::Add => "add",
                        BinaryOp::Sub => "subtract",
                        BinaryOp::Mul => "multiply",
                        _ => "divide",
                    };
                    return Err(mismatch(verb, lhs, a, rhs, b));
                }
            }
        }
        Expr::Case { branches, otherwise } => {
            for (c, _) in branches {
                condition("CASE WHEN", c, of(c)?)?;
            }
            let mut result = Type::Null;
            for v in branches.iter().map(|(_, v)| v).chain(otherwise.as_deref()) {
                let t = of(v)?;
                if !t.meets(result) {
                    return Err(Error::Invalid(format!(
                        "CASE gives one kind of value, but {} is {} and an earlier one {}",
                        show(v),
                        t.name(),
                        result.name()
                    )));
                }
                result = if result == Type::Null { t } else { result };
            }
            result
        }
        Expr::Call { name, args } if name == "bucket" => {
            let width = match args.get(1) {
                Some(Expr::Int(w)) if *w > 0 => Type::Int,
                Some(Expr::Float(w)) if *w > 0.0 && w.is_finite() => Type::Float,
                _ => return Err(Error::Invalid("bucket(x, width) takes a positive number as its width".into())),
            };
            match (args.len(), args.first().map(of).transpose()?) {
                (2, Some(Type::Int)) => width,
                (2, Some(Type::Float | Type::Null)) => Type::Float,
                (2, Some(t)) => return Err(Error::Invalid(format!("bucket() takes a number, but {} is {}", show(&args[0]), t.name()))),
                _ => return Err(Error::Invalid("bucket(x, width) takes two arguments".into())),
            }
        }
        Expr::Call { name, .. } if FUNCTIONS.contains(&name.as_str()) => {
            return Err(Error::Invalid(format!("{name}() is an aggregate; it cannot be used inside another expression")))
        }
        Expr::Call { name, .. } => return Err(no_function(name)),
    })
}

/// A condition (of `WHERE`, `NOT`, `AND`, `OR`) must be a bool.
pub(crate) fn condition(what: &str, e: &Expr, t: Type) -> Result<Type> {
    match t {
        Type::Bool | Type::Null => Ok(Type::Bool),
        t => Err(Error::Invalid(format!("{what} takes a condition, but {} is {}", show(e), t.name()))),
    }
}

/// Checks the argument types of aggregate `name` (arity is checked by the planner).
pub(crate) fn check_call(name: &str, args: &[Expr], types: &[Type]) -> Result<()> {
    let arg = |i: usize| (show(&args[i]), types[i]);
    let number = |i: usize| -> Result<()> {
        let (text, t) = arg(i);
        if t.number() {
            Ok(())
        } else {
            Err(Error::Invalid(format!("{name}() takes a number, but {text} is {}", t.name())))
        }
    };
    let class = |i: usize| -> Result<u8> {
        let (text, t) = arg(i);
        t.class().ok_or_else(|| Error::Invalid(format!("{name}() takes a class (bool, int or tag), but {text} is {}", t.name())))
    };
    match name {
        "sum" | "mean" | "avg" | "stddev" | "quantile" | "nan_rate" => number(0),
        "accuracy" | "precision" | "recall" | "f1" => {
            let (p, l) = (class(0)?, class(1)?);
            if p != l && p != 2 && l != 2 {
                let ((a, ta), (b, tb)) = (arg(0), arg(1));
                return Err(Error::Invalid(format!(
                    "{name}() compares a prediction with a label of the same kind, but {a} is {} and {b} is {}",
                    ta.name(),
                    tb.name()
                )));
            }
            Ok(())
        }
        "roc_auc" | "log_loss" | "brier" => {
            number(0)?;
            match arg(1) {
                (_, t) if t.class() == Some(0) || t == Type::Null => Ok(()),
                (text, t) => Err(Error::Invalid(format!("{name}() takes a label that is a bool or 0/1, but {text} is {}", t.name()))),
            }
        }
        "mae" | "rmse" | "mape" | "r2" => number(0).and(number(1)),
        "psi" | "js" | "ks" | "ks_p" | "wasserstein" => match arg(0) {
            (_, Type::Int | Type::Float | Type::Null) => Ok(()),
            (text, t) => Err(Error::Invalid(format!("{name}() takes a float or int field, but {text} is {}", t.name()))),
        },
        "chi2" | "chi2_p" | "unseen" => match arg(0) {
            (_, Type::Tag | Type::Bool | Type::Null) => Ok(()),
            (text, t) => Err(Error::Invalid(format!("{name}() takes a tag or bool field, but {text} is {}", t.name()))),
        },
        _ => Ok(()),
    }
}
