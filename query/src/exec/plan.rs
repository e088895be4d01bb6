//! Planning a `SELECT`: resolve every name against the snapshot, plan the aggregates, load
//! the reference data, and work out which driving parts can hold rows.

use super::agg::{Aggregate, Func};
use super::eval::{Matches, Rows};
use super::join::Latest;
use super::reference::{self, RefData};
use super::types::{check_call, condition, type_of, Type};
use super::window::Windowing;
use crate::ast::{ColumnRef, Expr, GroupKey, Select};
use crate::error::{Error, Result};
use seamdb_storage::model::FieldType;
use seamdb_storage::{ComponentView, Part, Snapshot, StoredJoin};
use std::collections::HashMap;

/// What a `SELECT` needs, checked against the snapshot.
pub(super) struct Plan<'a> {
    pub select: &'a Select,
    pub component: ComponentView<'a>,
    pub joins: Vec<ComponentView<'a>>,
    /// Each joined component's stored join with the driving one, if that pair is stored.
    pub stored: Vec<Option<StoredJoin<'a>>>,
    /// Joined components the WHERE clause reads: a driving row without a match in any of
    /// them is dropped (SPEC §4, as in SQL).
    pub filter_joins: Vec<usize>,
    pub aggregates: Vec<Aggregate>,
    /// For each aggregate, an earlier one whose state it reads instead of keeping its own:
    /// quantiles of the same expression share one collection of values.
    pub shares: Vec<Option<usize>>,
    /// The data each drift metric compares with (indexed by `Func::Drift::reference`).
    pub references: Vec<RefData>,
    pub window: Option<Windowing>,
    pub keys: Vec<Expr>,
    /// Each key's output column name: `component.field`, or an expression's text.
    pub key_names: Vec<String>,
    pub as_of: Option<i64>,
    /// Driving-time bounds implied by AS OF and the WHERE clause: parts whose time range
    /// lies outside are skipped without reading a row.
    pub time_bounds: (i64, i64),
    /// The driving component's first and last event, for `FILL` (which fills between them
    /// without time bounds; `None` without FILL): this database's, or every shard's when
    /// finishing partial states.
    pub time_range: Option<(i64, i64)>,
    /// Whether the scan keeps every group's state to the end, as partial states need,
    /// instead of answering a window as soon as no part still to read overlaps it.
    pub partial: bool,
}

pub(super) fn plan<'a>(s: &'a Select, snapshot: &'a Snapshot) -> Result<Plan<'a>> {
    plan_with(s, snapshot, None)
}

/// [`plan`], with each reference field's rows given (by field name) instead of read from
/// this snapshot: partial states over shards compare with every shard's reference rows.
pub(super) fn plan_with<'a>(s: &'a Select, snapshot: &'a Snapshot, given: Option<&[(String, RefData)]>) -> Result<Plan<'a>> {
    let find = |name: &str| snapshot.component(name).ok_or_else(|| Error::Name(format!("there is no component {name:?}")));
    let component = find(&s.from)?;
    let mut joins: Vec<ComponentView<'a>> = Vec::new();
    for name in &s.joins {
        if *name == s.from || joins.iter().any(|j| j.name() == name) {
            return Err(Error::Invalid(format!("{name} is joined twice (or with itself)")));
        }
        joins.push(find(name)?);
    }
    let column_type = |c: &ColumnRef| -> Result<Type> {
        let owner = match c.component.as_deref() {
            None => &component,
            Some(name) if name == s.from => &component,
            Some(name) => joins
                .iter()
                .find(|j| j.name() == name)
                .ok_or_else(|| Error::Name(format!("{name}.{}: {name} is neither the FROM nor a JOINed component", c.field)))?,
        };
        field_type(owner, &c.field)
    };
    let mut aggregates = Vec::new();
    let mut arg_types = Vec::new();
    for item in &s.items {
        let (name, args) = super::agg::call(item)?;
        let aggregate = Aggregate::plan(name, args, &s.joins)?;
        let types = aggregate.args.iter().map(|a| type_of(a, &column_type)).collect::<Result<Vec<_>>>()?;
        check_call(name, &aggregate.args, &types)?;
        aggregates.push(aggregate);
        arg_types.push(types);
    }
    if let Some(f) = &s.filter {
        condition("WHERE", f, type_of(f, &column_type)?)?;
    }
    let filter_reads = s.filter.as_ref().map(columns).unwrap_or_default();
    let filter_joins = (0..joins.len()).filter(|&j| filter_reads.iter().any(|c| c.component.as_deref() == Some(joins[j].name()))).collect();
    let mut window = None;
    let (mut keys, mut key_names) = (Vec::new(), Vec::new());
    for g in &s.group_by {
        match g {
            GroupKey::Window { width, zone, .. } => window = Some(Windowing::new(*width, zone.as_deref())?),
            GroupKey::Column(c) => {
                column_type(c)?;
                keys.push(Expr::Column(c.clone()));
                key_names.push(format!("{}.{}", c.component.as_deref().unwrap_or(&s.from), c.field));
            }
            GroupKey::Expr { expr, text } => {
                let t = type_of(expr, &column_type)?;
                let labelled = matches!(expr, Expr::Call { name, .. } if name == "bucket") || matches!(expr, Expr::Case { .. });
                if t != Type::Bool && !labelled {
                    return Err(Error::Invalid(format!(
                        "GROUP BY takes window(…), a field, a condition or bucket(x, width); {text} is {}",
                        t.name()
                    )));
                }
                keys.push(expr.clone());
                key_names.push(text.clone());
            }
        }
    }
    let as_of = s.as_of;
    let stored: Vec<_> = joins.iter().map(|j| snapshot.stored_join(component.name(), j.name())).collect();
    let reference = s.reference.as_ref().and_then(|r| snapshot.component(&r.component));
    super::verify::reads(s, &component, &joins, &stored, reference.as_ref(), false)?;
    let references = references(s, snapshot, &mut aggregates, &arg_types, as_of, given)?;
    let (lo, hi) = s.filter.as_ref().map_or((i64::MIN, i64::MAX), |f| time_bounds(f, &s.from));
    let time_bounds = (lo, hi.min(as_of.unwrap_or(i64::MAX)));
    let shares = (0..aggregates.len())
        .map(|a| {
            let quantile = |i: usize| matches!(aggregates[i].func, Func::Quantile(_));
            (0..a).find(|&b| quantile(a) && quantile(b) && aggregates[a].args == aggregates[b].args)
        })
        .collect();
    Ok(Plan {
        select: s,
        component,
        joins,
        stored,
        filter_joins,
        aggregates,
        shares,
        references,
        window,
        keys,
        key_names,
        as_of,
        time_bounds,
        // A pass over the tail's times: only for FILL.
        time_range: if s.fill { component.time_range() } else { None },
        partial: false,
    })
}

impl<'a> Plan<'a> {
    /// Whether a driving part can hold rows inside the time bounds.
    pub fn reads(&self, part: &Part<'_>) -> bool {
        overlaps(part, self.time_bounds)
    }

    /// The evaluation context for `rows` of a driving part, with their joined matches.
    pub fn rows<'c>(
        &'c self,
        part: Part<'a>,
        rows: &'c [u32],
        joined: &'c [(Vec<Part<'a>>, HashMap<u128, Latest>)],
        hits: Vec<Vec<Option<(u32, u32)>>>,
    ) -> Rows<'c, 'a> {
        let matches =
            self.joins.iter().zip(joined).zip(hits).map(|((j, (parts, _)), hits)| Matches { name: j.name(), parts, hits }).collect();
        Rows { joined: matches, driving: &self.select.from, part, rows }
    }
}

/// The type of `e` over `s`'s driving and joined components, as the planner checks it
/// (DIAGNOSE asks it of a prediction before comparing it with the positive class).
pub(crate) fn expr_type(s: &Select, snapshot: &Snapshot, e: &Expr) -> Result<Type> {
    let owner = |c: &ColumnRef| -> Result<ComponentView<'_>> {
        let name = c.component.as_deref().unwrap_or(&s.from);
        if name != s.from && !s.joins.iter().any(|j| j == name) {
            return Err(Error::Name(format!("{name}.{}: {name} is neither the FROM nor a JOINed component", c.field)));
        }
        snapshot.component(name).ok_or_else(|| Error::Name(format!("there is no component {name:?}")))
    };
    type_of(e, &|c: &ColumnRef| field_type(&owner(c)?, &c.field))
}

/// Whether a part's time range meets the inclusive bounds `[lo, hi]`.
pub(super) fn overlaps(part: &Part<'_>, (lo, hi): (i64, i64)) -> bool {
    part.time_range().is_some_and(|(min, max)| max >= lo && min <= hi)
}

/// Loads the reference data each drift metric needs (one load per reference field) and
/// points the metrics at it. Drift needs `REFERENCE`; the compared fields must exist there
/// with a type the metric takes.
fn references(
    s: &Select,
    snapshot: &Snapshot,
    aggregates: &mut [Aggregate],
    arg_types: &[Vec<Type>],
    as_of: Option<i64>,
    given: Option<&[(String, RefData)]>,
) -> Result<Vec<RefData>> {
    let mut loaded: Vec<(String, RefData)> = Vec::new();
    for (a, types) in aggregates.iter_mut().zip(arg_types) {
        let Func::Drift { kind, field, reference } = &mut a.func else { continue };
        let r = s.reference.as_ref().ok_or_else(|| Error::Invalid(format!("{field}: drift metrics need a REFERENCE clause")))?;
        let component = snapshot.component(&r.component).ok_or_else(|| Error::Name(format!("there is no component {:?}", r.component)))?;
        let column_type = |c: &ColumnRef| -> Result<Type> {
            if c.component.as_deref().is_some_and(|name| name != r.component) {
                return Err(Error::Name(format!("the REFERENCE condition can only read {:?}, not {:?}", r.component, c.component)));
            }
            field_type(&component, &c.field)
        };
        if let Some(f) = &r.filter {
            condition("the REFERENCE condition", f, type_of(f, &column_type)?)?;
        }
        let ty = component
            .schema()
            .field_type(field)
            .ok_or_else(|| Error::Name(format!("reference component {:?} has no field {field:?}", r.component)))?;
        let numeric = matches!(ty, FieldType::Float | FieldType::Int);
        if numeric != kind.numeric() {
            return Err(Error::Invalid(format!("{} does not apply to {} field {field:?}", kind.name(), ty.name())));
        }
        // A tag window is not compared with a bool reference (nor a bool with a tag).
        if !numeric && types[0] != Type::of(ty) {
            return Err(Error::Invalid(format!(
                "{} compares like with like, but the reference's {field:?} is a {} field",
                kind.name(),
                ty.name()
            )));
        }
        *reference = match loaded.iter().position(|(f, _)| f == field) {
            Some(i) => i,
            None => {
                let data = match given {
                    None => reference::load(&component, r, field, as_of)?,
                    Some(given) => match given.iter().find(|(f, _)| f == field) {
                        Some((_, data)) => RefData::new(data.values.clone(), data.counts.clone()),
                        None => return Err(Error::Invalid(format!("the partial states' context holds no reference rows of {field:?}"))),
                    },
                };
                loaded.push((field.clone(), data));
                loaded.len() - 1
            }
        };
    }
    Ok(loaded.into_iter().map(|(_, data)| data).collect())
}

/// The [lo, hi] range of driving times a condition allows, from its top-level `AND` terms
/// of the form `time <op> 'timestamp'` (other terms allow everything).
pub(super) fn time_bounds(e: &Expr, driving: &str) -> (i64, i64) {
    use crate::ast::BinaryOp::*;
    match e {
        Expr::Binary { op: And, lhs, rhs } => {
            let (a, b) = (time_bounds(lhs, driving), time_bounds(rhs, driving));
            (a.0.max(b.0), a.1.min(b.1))
        }
        Expr::Binary { op, lhs, rhs } => {
            let is_time =
                |e: &Expr| matches!(e, Expr::Column(c) if c.field == "time" && c.component.as_deref().is_none_or(|n| n == driving));
            let at = |e: &Expr| if let Expr::Time(t) = e { Some(*t) } else { None };
            let (op, t) = match (is_time(lhs), at(rhs), at(lhs), is_time(rhs)) {
                (true, Some(t), _, _) => (*op, t),
                // 'T' < time is time > 'T'
                (_, _, Some(t), true) => (
                    match op {
                        Lt => Gt,
                        Le => Ge,
                        Gt => Lt,
                        Ge => Le,
                        other => *other,
                    },
                    t,
                ),
                _ => return (i64::MIN, i64::MAX),
            };
            match op {
                Ge => (t, i64::MAX),
                Gt => (t.saturating_add(1), i64::MAX),
                Le => (i64::MIN, t),
                Lt => (i64::MIN, t.saturating_sub(1)),
                Eq => (t, t),
                _ => (i64::MIN, i64::MAX),
            }
        }
        _ => (i64::MIN, i64::MAX),
    }
}

/// Every column an expression reads.
pub(crate) fn columns(e: &Expr) -> Vec<&ColumnRef> {
    match e {
        Expr::Column(c) => vec![c],
        Expr::Neg(x) | Expr::Not(x) | Expr::IsNull { expr: x, .. } | Expr::IsNan { expr: x, .. } => columns(x),
        Expr::Binary { lhs, rhs, .. } => [columns(lhs), columns(rhs)].concat(),
        Expr::In { expr, list, .. } => std::iter::once(&**expr).chain(list).flat_map(columns).collect(),
        Expr::Call { args, .. } => args.iter().flat_map(columns).collect(),
        Expr::Case { branches, otherwise } => {
            branches.iter().flat_map(|(c, v)| [c, v]).chain(otherwise.as_deref()).flat_map(columns).collect()
        }
        Expr::Int(_)
        | Expr::Float(_)
        | Expr::String(_)
        | Expr::Bool(_)
        | Expr::Null
        | Expr::Time(_)
        | Expr::Duration(_)
        | Expr::TraceId(_) => Vec::new(),
    }
}

/// The type of a column of `component`: `time` and `trace_id` are columns of every component
/// (SPEC §2); a missing field is an error that names the nearest one.
fn field_type(component: &ComponentView<'_>, field: &str) -> Result<Type> {
    match field {
        "time" => Ok(Type::Time),
        "trace_id" => Ok(Type::TraceId),
        _ => component.schema().field_type(field).map(Type::of).ok_or_else(|| {
            let names = component.schema().fields().iter().map(|(f, _)| f.as_str()).chain(["time", "trace_id"]);
            let hint = crate::suggest::did_you_mean(field, names);
            Error::Name(format!("component {:?} has no field {field:?}{hint}", component.name()))
        }),
    }
}
