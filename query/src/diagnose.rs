//! `DIAGNOSE` (SPEC §4, "SLOs and diagnosis"): where the change of one metric between two
//! windows comes from. It runs as plain `SELECT`s through the executor, each narrowed by a
//! `time` condition to one of the two windows, so every scan skips the parts outside it:
//! - per tag or bool field of the driving component, the metric grouped by that field, once
//!   in the window and once in the baseline (the slice rows; their counts per value also
//!   give the field's χ²);
//! - per number field, `psi` of the window against a `REFERENCE` of the baseline window, or
//!   the query's own (the feature rows).
//!
//! The queries run on two threads, each taking the next: one window often lies in the part
//! range of one of a query's own two threads. docs/QUERY.md ("DIAGNOSE") defines every column.

use crate::ast::{BinaryOp, ColumnRef, Diagnose, Expr, GroupKey, Item, Reference, Select};
use crate::error::{Error, Result};
use crate::exec::{self, expr_columns, expr_type, Options, Type, Windowing};
use crate::metrics::drift::chi2;
use crate::output::{Cell, Table};
use seamdb_storage::model::FieldType;
use seamdb_storage::Snapshot;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};

/// The output's columns, in order.
pub const COLUMNS: [&str; 11] =
    ["kind", "field", "value", "metric_window", "metric_baseline", "n_window", "n_baseline", "share", "impact", "drift_measure", "drift"];

/// Functions whose every driving row counts: counts, and rates whose denominator is rows.
const OVER_ROWS: [&str; 5] = ["count", "null_rate", "nan_rate", "coverage", "share"];

/// The driving times of one window, `start <= time < end`.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: i64,
    end: i64,
}

/// What `DIAGNOSE` needs of its statement, checked.
struct Question<'a> {
    query: &'a Select,
    item: &'a Item,
    windowing: Windowing,
    window: Span,
    baseline: Span,
    /// The condition a row meets to count toward the metric; `None`: every row counts.
    counted: Option<Expr>,
}

pub(crate) fn diagnose(d: &Diagnose, snapshot: &Snapshot, options: &Options) -> Result<Table> {
    let q = question(d, snapshot)?;
    let from = &q.query.from;
    let component = snapshot.component(from).ok_or_else(|| Error::Name(format!("there is no component {from:?}")))?;
    let fields = component.schema().fields().to_vec();
    let categories: Vec<&str> = fields.iter().filter(|(_, t)| !numeric(*t)).map(|(f, _)| f.as_str()).collect();
    // χ² needs only each category's rows on both sides: the slice queries count them, unless
    // they see other rows than the feature rows do (a WHERE on a joined component) or the
    // query brings its own REFERENCE.
    let chi2_counted = q.query.reference.is_none() && q.query.filter.as_ref().is_none_or(|f| !reads_joined(f, from));
    let slice_jobs = match categories.as_slice() {
        [] => vec![Job::Slice(None, q.window), Job::Slice(None, q.baseline)],
        fields => fields.iter().flat_map(|f| [Job::Slice(Some(f), q.window), Job::Slice(Some(f), q.baseline)]).collect(),
    };
    // The slowest first, so that the threads finish together.
    let drift_jobs = fields.iter().filter(|(_, t)| numeric(*t) || !chi2_counted).map(|(f, t)| Job::Drift(f, *t));
    let jobs: Vec<Job<'_>> = drift_jobs.chain(slice_jobs).collect();
    let answers = run_all(&jobs, |job| match *job {
        Job::Slice(field, span) => measure(&q, field, span, snapshot, options).map(Answer::Slice),
        Job::Drift(field, t) => drift(&q, field, t, snapshot, options).map(Answer::Drift),
    })?;
    let mut slices: Vec<&ByValue> = Vec::new();
    let mut drifts: BTreeMap<&str, Cell> = BTreeMap::new();
    for (job, answer) in jobs.iter().zip(answers.iter()) {
        match (job, answer) {
            (Job::Slice(..), Answer::Slice(by_value)) => slices.push(by_value),
            (Job::Drift(field, _), Answer::Drift(cell)) => {
                drifts.insert(field, cell.clone());
            }
            _ => unreachable!("each job gives its kind of answer"),
        }
    }
    check_rows(&q, slices[0], q.window, "")?;
    check_rows(&q, slices[1], q.baseline, " baseline")?;
    if chi2_counted {
        for (field, pair) in categories.iter().zip(slices.chunks(2)) {
            drifts.insert(field, counted_chi2(pair[0], pair[1]));
        }
    }
    let mut table = Table::new(COLUMNS);
    table.rows = slice_table(&q, &categories, &slices);
    table.rows.extend(feature_table(from, &fields, drifts));
    Ok(table)
}

/// One query DIAGNOSE runs.
#[derive(Clone, Copy, Debug)]
enum Job<'a> {
    /// The metric per value of a tag or bool field (or over every row) in one window.
    Slice(Option<&'a str>, Span),
    /// psi or chi2 of a field of the window against the baseline window or the REFERENCE.
    Drift(&'a str, FieldType),
}

enum Answer {
    Slice(ByValue),
    Drift(Cell),
}

/// A field's values in one window, each with its figures.
type ByValue = Vec<(Cell, Measured)>;

/// Checks the statement (one item, grouped by one window and nothing else, no clause that
/// reorders or cuts rows) and finds its two windows.
fn question<'a>(d: &'a Diagnose, snapshot: &Snapshot) -> Result<Question<'a>> {
    let query = &d.query;
    if query.items.len() != 1 {
        let names: Vec<&str> = query.items.iter().map(Item::name).collect();
        return Err(Error::Invalid(format!(
            "DIAGNOSE explains one metric: SELECT exactly one, not {} ({})",
            names.len(),
            names.join(", ")
        )));
    }
    let windows = query.group_by.iter().filter(|k| matches!(k, GroupKey::Window { .. })).count();
    let (width, zone) = match query.group_by.as_slice() {
        [GroupKey::Window { width, zone, .. }] => (*width, zone.as_deref()),
        _ if windows == 0 => {
            return Err(Error::Invalid("DIAGNOSE compares two windows: it needs GROUP BY window(…), e.g. GROUP BY window(1d)".into()))
        }
        keys => {
            let others: Vec<String> = keys.iter().filter_map(key_text).collect();
            let what = if others.is_empty() { "a second window(…)".to_string() } else { others.join(", ") };
            return Err(Error::Invalid(format!(
                "DIAGNOSE groups by one window(…) and nothing else (it finds the slices itself), not {what}"
            )));
        }
    };
    let refuse = |clause: &str| Err(Error::Invalid(format!("DIAGNOSE takes no {clause}: it ranks its own rows")));
    if query.fill {
        return refuse("FILL");
    }
    if query.having.is_some() {
        return refuse("HAVING");
    }
    if !query.order_by.is_empty() || query.limit.is_some() {
        return refuse("ORDER BY or LIMIT");
    }
    let windowing = Windowing::new(width, zone)?;
    let at = windowing.index(d.at);
    let base = d.baseline.map_or(at - 1, |t| windowing.index(t));
    if base == at {
        return Err(Error::Invalid("BASELINE falls in the window AT does: give a time in another window".into()));
    }
    let span = |i: i64| Span { start: windowing.start(i), end: windowing.start(i + 1) };
    let (window, baseline) = (span(at), span(base));
    let counted = counted(&query.items[0], query, snapshot)?;
    Ok(Question { query, item: &query.items[0], windowing, window, baseline, counted })
}

/// A group key other than a window, as written.
fn key_text(key: &GroupKey) -> Option<String> {
    match key {
        GroupKey::Window { .. } => None,
        GroupKey::Column(c) => Some(c.component.as_ref().map_or_else(|| c.field.clone(), |n| format!("{n}.{}", c.field))),
        GroupKey::Expr { text, .. } => Some(text.clone()),
    }
}

/// The rows that count toward the metric (its denominator): every driving row for counts and
/// rates over rows; for precision the rows predicted positive, for recall those labelled
/// positive, for F1 either (the rows that enter 2TP + FP + FN); for every other function the
/// rows where each of its inputs is present (not null, not NaN) — its `n`. A prediction that
/// cannot equal the positive class (a tag against the default 1) makes no row count.
fn counted(item: &Item, query: &Select, snapshot: &Snapshot) -> Result<Option<Expr>> {
    // Anything else is not an aggregate, which the executor refuses with its own words.
    let Expr::Call { name, args } = &item.expr else { return Ok(None) };
    // NaN only where a float can be: each test costs a pass over the chunk.
    let present = |e: &Expr| -> Result<Expr> {
        Ok(match expr_type(query, snapshot, e)? {
            Type::Float => and(not_null(e), Expr::IsNan { expr: Box::new(e.clone()), negated: true }),
            _ => not_null(e),
        })
    };
    let inputs = match name.as_str() {
        n if OVER_ROWS.contains(&n) => return Ok(None),
        // quantile's q is a literal; a drift metric's second argument names a reference field.
        "quantile" | "psi" | "js" | "ks" | "wasserstein" | "chi2" | "unseen" | "chi2_p" | "ks_p" => &args[..args.len().min(1)],
        "precision" | "recall" | "f1" => &args[..args.len().min(2)],
        _ => &args[..],
    };
    let Some(all) = inputs.iter().map(present).collect::<Result<Vec<_>>>()?.into_iter().reduce(and) else { return Ok(None) };
    let positive = |e: &Expr| positive(e, args.get(2), query, snapshot);
    Ok(Some(match (name.as_str(), inputs) {
        ("precision", [p, _]) => and(all, positive(p)?),
        ("recall", [_, l]) => and(all, positive(l)?),
        ("f1", [p, l]) => and(all, Expr::Binary { op: BinaryOp::Or, lhs: Box::new(positive(p)?), rhs: Box::new(positive(l)?) }),
        _ => all,
    }))
}

/// `e = positive` (1 unless given), or `false` where `e` is text and the class a number or
/// the other way round: the metric compares them as values, and they never meet.
fn positive(e: &Expr, given: Option<&Expr>, query: &Select, snapshot: &Snapshot) -> Result<Expr> {
    let class = given.cloned().unwrap_or(Expr::Int(1));
    let text = matches!(expr_type(query, snapshot, e)?, Type::Tag | Type::Text);
    if text != matches!(class, Expr::String(_)) {
        return Ok(Expr::Bool(false));
    }
    Ok(Expr::Binary { op: BinaryOp::Eq, lhs: Box::new(e.clone()), rhs: Box::new(class) })
}

fn not_null(e: &Expr) -> Expr {
    Expr::IsNull { expr: Box::new(e.clone()), negated: true }
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::Binary { op: BinaryOp::And, lhs: Box::new(a), rhs: Box::new(b) }
}

fn column(field: &str) -> Expr {
    Expr::Column(ColumnRef { component: None, field: field.to_string() })
}

/// `time >= start AND time < end`: the executor reads only the parts, and the rows of
/// time-sorted segments, inside it.
fn within(span: Span) -> Expr {
    let time = || Box::new(column("time"));
    and(
        Expr::Binary { op: BinaryOp::Ge, lhs: time(), rhs: Box::new(Expr::Time(span.start)) },
        Expr::Binary { op: BinaryOp::Lt, lhs: time(), rhs: Box::new(Expr::Time(span.end)) },
    )
}

fn numeric(t: FieldType) -> bool {
    matches!(t, FieldType::Float | FieldType::Int)
}

/// A `SELECT` of `items` over the query's components and conditions, narrowed to `span`.
fn narrowed(query: &Select, items: Vec<Item>, span: Span, group_by: Vec<GroupKey>) -> Select {
    Select {
        items,
        filter: Some(query.filter.clone().map_or_else(|| within(span), |f| and(f, within(span)))),
        group_by,
        fill: false,
        having: None,
        order_by: Vec::new(),
        limit: None,
        ..query.clone()
    }
}

fn item(expr: Expr, alias: &str) -> Item {
    Item { expr, alias: Some(alias.to_string()), text: alias.to_string() }
}

/// One value of a field in one window: the metric, the rows that count toward it, and all
/// driving rows.
#[derive(Clone, Debug)]
struct Measured {
    metric: Cell,
    counted: u64,
    rows: u64,
}

/// The metric in `span` per value of `field` (one group over every row without a field).
fn measure(q: &Question<'_>, field: Option<&str>, span: Span, snapshot: &Snapshot, options: &Options) -> Result<ByValue> {
    let rows = Expr::Call { name: "count".into(), args: Vec::new() };
    let mut items = vec![Item { alias: Some("metric".into()), ..q.item.clone() }, item(rows, "rows")];
    items.extend(q.counted.clone().map(|c| item(call("sum", c), "counted")));
    let keys = field.map(|f| GroupKey::Column(ColumnRef { component: None, field: f.to_string() })).into_iter().collect();
    let table = exec::select(&narrowed(q.query, items, span, keys), snapshot, options)?;
    let every_row_counts = q.counted.is_none();
    Ok(table
        .rows
        .into_iter()
        .map(|mut row| {
            let counted = if every_row_counts { None } else { row.pop() };
            let rows = count(&row.pop().unwrap_or(Cell::Null));
            let counted = counted.map_or(rows, |c| count(&c));
            let metric = row.pop().unwrap_or(Cell::Null);
            (row.pop().map_or(Cell::Null, value), Measured { metric, counted, rows })
        })
        .collect())
}

fn call(name: &str, arg: Expr) -> Expr {
    Expr::Call { name: name.to_string(), args: vec![arg] }
}

/// A count cell (`sum` of a condition is a float) as a number; null is none.
fn count(cell: &Cell) -> u64 {
    match cell {
        Cell::Int(i) => *i as u64,
        Cell::Float(x) => *x as u64,
        _ => 0,
    }
}

fn number(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Int(i) => Some(*i as f64),
        Cell::Float(x) => Some(*x),
        _ => None,
    }
}

/// A slice's value as the `value` column prints it: text, bools as `true` / `false`.
fn value(key: Cell) -> Cell {
    match key {
        Cell::Bool(b) => Cell::Text(b.to_string()),
        other => other,
    }
}

/// The slice rows: per tag or bool field and value, the metric in both windows, the value's
/// share of the window's counted rows and the impact, ranked by |impact|, largest first.
/// `slices` holds each field's window and baseline answers, in turn.
fn slice_table(q: &Question<'_>, fields: &[&str], slices: &[&ByValue]) -> Vec<Vec<Cell>> {
    let total: u64 = slices[0].iter().map(|(_, m)| m.counted).sum();
    let mut rows: Vec<(Option<f64>, Vec<Cell>)> = Vec::new();
    for (f, pair) in fields.iter().zip(slices.chunks(2)) {
        rows.extend(slice_rows(q, f, pair[0], pair[1], total));
    }
    rows.sort_by(|(a, x), (b, y)| by_size(*a, *b).then_with(|| x[1].text().cmp(&y[1].text())).then_with(|| by_value(&x[2], &y[2])));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// An error unless the window holds driving rows (that pass the `WHERE` clause).
fn check_rows(q: &Question<'_>, measured: &ByValue, span: Span, which: &str) -> Result<()> {
    if measured.iter().any(|(_, m)| m.rows > 0) {
        return Ok(());
    }
    let (start, end) = (q.windowing.cell(span.start).text(), q.windowing.cell(span.end).text());
    let hint = match which {
        "" => "AT must fall in a window with data",
        _ => "give a window with data with BASELINE",
    };
    Err(Error::Invalid(format!(
        "DIAGNOSE: the{which} window {start} .. {end} holds no {} rows{}: {hint}",
        q.query.from,
        if q.query.filter.is_some() { " that pass WHERE" } else { "" }
    )))
}

/// A value of a field with its figures in the window and in the baseline (`None`: no rows).
struct Compared<'m> {
    value: Cell,
    window: Option<&'m Measured>,
    baseline: Option<&'m Measured>,
}

/// One field's slice rows, each with its impact (the rank).
fn slice_rows(q: &Question<'_>, field: &str, window: &ByValue, baseline: &ByValue, total: u64) -> Vec<(Option<f64>, Vec<Cell>)> {
    // Keyed by text, null apart (a tag may read "null").
    let key = |v: &Cell| (*v != Cell::Null).then(|| v.text());
    let mut values: BTreeMap<Option<String>, Compared<'_>> = BTreeMap::new();
    let new = |v: &Cell| Compared { value: v.clone(), window: None, baseline: None };
    for (v, m) in window {
        values.entry(key(v)).or_insert_with(|| new(v)).window = Some(m);
    }
    for (v, m) in baseline {
        values.entry(key(v)).or_insert_with(|| new(v)).baseline = Some(m);
    }
    let absent = || match &q.item.expr {
        // A value missing from a window has a count of 0 there and every other metric null,
        // as FILL has it.
        Expr::Call { name, .. } if name == "count" => Cell::Int(0),
        _ => Cell::Null,
    };
    values
        .into_values()
        .map(|Compared { value: v, window: w, baseline: b }| {
            let metric = |m: Option<&Measured>| m.map_or_else(absent, |m| m.metric.clone());
            let counted = |m: Option<&Measured>| m.map_or(0, |m| m.counted);
            let (m_w, m_b) = (metric(w), metric(b));
            let share = (total > 0).then(|| counted(w) as f64 / total as f64);
            let impact = share.zip(number(&m_w)).zip(number(&m_b)).map(|((s, x), y)| s * (x - y));
            let row = vec![
                Cell::Text("slice".into()),
                Cell::Text(format!("{}.{field}", q.query.from)),
                v,
                m_w,
                m_b,
                Cell::Int(counted(w) as i64),
                Cell::Int(counted(b) as i64),
                share.map_or(Cell::Null, Cell::Float),
                impact.map_or(Cell::Null, Cell::Float),
                Cell::Null,
                Cell::Null,
            ];
            (impact.map(f64::abs), row)
        })
        .collect()
}

/// Larger first, null (undefined) last.
fn by_size(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (a, b) => b.is_some().cmp(&a.is_some()),
    }
}

/// Values ascending bytewise, null last.
fn by_value(a: &Cell, b: &Cell) -> Ordering {
    match (a, b) {
        (Cell::Null, Cell::Null) => Ordering::Equal,
        (Cell::Null, _) => Ordering::Greater,
        (_, Cell::Null) => Ordering::Less,
        (a, b) => a.text().cmp(&b.text()),
    }
}

/// psi (a number field) or chi2 (a tag or bool field) of `field` in the window against the
/// baseline window, or the query's `REFERENCE` (null where that lacks the field, or holds it
/// as another kind). Both sides take only the `WHERE` clause's conditions on the driving
/// component: a reference cannot read a joined one, and both sides must be one population.
fn drift(q: &Question<'_>, field: &str, t: FieldType, snapshot: &Snapshot, options: &Options) -> Result<Cell> {
    let from = &q.query.from;
    let own = q.query.filter.as_ref().and_then(|f| driving_terms(f, from));
    let reference = q.query.reference.clone().unwrap_or_else(|| Reference {
        component: from.clone(),
        filter: Some(own.clone().map_or_else(|| within(q.baseline), |f| and(f, within(q.baseline)))),
    });
    let theirs = snapshot.component(&reference.component).and_then(|c| c.schema().field_type(field));
    if !theirs.is_some_and(|r| if numeric(t) { numeric(r) } else { r == t }) {
        return Ok(Cell::Null);
    }
    let query = Select { joins: Vec::new(), reference: Some(reference), filter: own, ..q.query.clone() };
    let items = vec![item(call(measure_name(t), column(field)), "drift")];
    let table = exec::select(&narrowed(&query, items, q.window, Vec::new()), snapshot, options)?;
    Ok(table.rows.into_iter().next().and_then(|row| row.into_iter().next()).unwrap_or(Cell::Null))
}

/// χ² of a field from the rows per value the slice queries counted in the window and the
/// baseline (null values are no category).
fn counted_chi2(window: &ByValue, baseline: &ByValue) -> Cell {
    let categories = |answer: &ByValue| -> HashMap<String, u64> {
        answer.iter().filter(|(v, m)| *v != Cell::Null && m.rows > 0).map(|(v, m)| (v.text(), m.rows)).collect()
    };
    chi2(&categories(window), &categories(baseline)).map_or(Cell::Null, Cell::Float)
}

fn measure_name(t: FieldType) -> &'static str {
    if numeric(t) {
        "psi"
    } else {
        "chi2"
    }
}

/// The feature rows: psi of every number field, then chi2 of every tag and bool field, each
/// kind largest first (undefined last).
fn feature_table(from: &str, fields: &[(String, FieldType)], mut drifts: BTreeMap<&str, Cell>) -> Vec<Vec<Cell>> {
    let mut rows: Vec<(bool, Option<f64>, Vec<Cell>)> = fields
        .iter()
        .map(|(f, t)| {
            let d = drifts.remove(f.as_str()).unwrap_or(Cell::Null);
            let mut row = vec![Cell::Text("feature".into()), Cell::Text(format!("{from}.{f}"))];
            row.extend(std::iter::repeat_n(Cell::Null, 7));
            row.extend([Cell::Text(measure_name(*t).into()), d.clone()]);
            (!numeric(*t), number(&d), row)
        })
        .collect();
    rows.sort_by(|(k, a, x), (l, b, y)| k.cmp(l).then_with(|| by_size(*a, *b)).then_with(|| x[1].text().cmp(&y[1].text())));
    rows.into_iter().map(|(_, _, row)| row).collect()
}

/// Whether a condition reads a joined component.
fn reads_joined(filter: &Expr, from: &str) -> bool {
    expr_columns(filter).iter().any(|c| c.component.as_deref().is_some_and(|n| n != from))
}

/// The top-level `AND` terms of `filter` that read only the driving component, joined by
/// `AND` again; `None` if there are none.
fn driving_terms(filter: &Expr, from: &str) -> Option<Expr> {
    fn terms(e: &Expr) -> Vec<&Expr> {
        match e {
            Expr::Binary { op: BinaryOp::And, lhs, rhs } => [terms(lhs), terms(rhs)].concat(),
            other => vec![other],
        }
    }
    terms(filter).into_iter().filter(|e| !reads_joined(e, from)).cloned().reduce(and)
}

/// Threads DIAGNOSE runs its queries on (as many as one query uses).
const THREADS: usize = 2;

/// `f` of every job, on up to [`THREADS`] threads each taking the next job, in the jobs' order.
fn run_all<J: Sync, T: Send>(jobs: &[J], f: impl Fn(&J) -> Result<T> + Sync) -> Result<Vec<T>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(THREADS).min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, AtomicOrdering::Relaxed);
            let Some(job) = jobs.get(i) else { return done };
            done.push((i, f(job)));
        }
    };
    let mut done: Vec<(usize, Result<T>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        handles.into_iter().flat_map(|h| h.join().expect("a DIAGNOSE thread panicked")).collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}
