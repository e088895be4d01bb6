//! Aggregate functions: what each needs per group, and how it turns into a result cell.

use super::reference::RefData;
use super::value::{Key, Val};
use super::vector::{Column, Data};
use crate::ast::{ColumnRef, Expr, Item};
use crate::error::{Error, Result};
use crate::metrics::classification::{brier, log_loss, roc_auc, Confusion};
use crate::metrics::distribution::{quantile_placed, stddev};
use crate::metrics::drift::{chi2, chi2_sf, js, ks, ks_p, psi, shares, unseen, wasserstein, Bins};
use crate::metrics::regression::{mae, mape, r2, rmse};
use crate::output::Cell;
use std::borrow::Cow;
use std::collections::HashMap;
use std::collections::HashSet;

/// A planned aggregate: which function, over which argument expressions.
#[derive(Debug)]
pub(crate) struct Aggregate {
    pub func: Func,
    pub args: Vec<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Func {
    CountRows,
    Count,
    Sum,
    Mean,
    Min,
    Max,
    Stddev,
    Quantile(f64),
    NullRate,
    NanRate,
    Distinct,
    Share,
    Accuracy,
    Precision(Key),
    Recall(Key),
    F1(Key),
    RocAuc,
    LogLoss,
    Brier,
    Mae,
    Rmse,
    Mape,
    R2,
    /// coverage(component): share of driving rows with a matching event there.
    Coverage,
    /// A drift metric of a driving column against reference field `field`; `reference`
    /// indexes the loaded reference data.
    Drift {
        kind: Drift,
        field: String,
        reference: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drift {
    Psi,
    Js,
    Ks,
    Wasserstein,
    Chi2,
    Unseen,
    Chi2P,
    KsP,
}

impl Drift {
    /// Compares numbers (else categories: tags or bools).
    pub fn numeric(self) -> bool {
        !matches!(self, Drift::Chi2 | Drift::Unseen | Drift::Chi2P)
    }

    pub fn name(self) -> &'static str {
        match self {
            Drift::Psi => "psi",
            Drift::Js => "js",
            Drift::Ks => "ks",
            Drift::Wasserstein => "wasserstein",
            Drift::Chi2 => "chi2",
            Drift::Unseen => "unseen",
            Drift::Chi2P => "chi2_p",
            Drift::KsP => "ks_p",
        }
    }
}

/// Every aggregate function [`Aggregate::plan`] knows (a unit test keeps the two in step), for
/// "did you mean" and for telling an aggregate from a function that does not exist.
#[rustfmt::skip]
pub(crate) const FUNCTIONS: [&str; 32] = [
    "count", "sum", "mean", "avg", "min", "max", "stddev", "quantile", "null_rate", "nan_rate", "distinct", "share", "accuracy",
    "precision", "recall", "f1", "roc_auc", "log_loss", "brier", "mae", "rmse", "mape", "r2", "coverage", "psi", "js", "ks",
    "wasserstein", "chi2", "unseen", "chi2_p", "ks_p",
];

/// The call a `SELECT` item makes: its function's name and arguments. Every item must be an
/// aggregate call.
pub(crate) fn call(item: &Item) -> Result<(&str, &[Expr])> {
    match &item.expr {
        Expr::Call { name, args } => Ok((name, args)),
        _ => Err(Error::Unsupported(format!("{}: every item must be an aggregate such as count() or mean(x)", item.text))),
    }
}

impl Aggregate {
    /// Checks a call's name and arity; literal arguments (quantile's q, the positive class)
    /// are taken here. `joins` names the joined components, for `coverage()`.
    pub fn plan(name: &str, args: &[Expr], joins: &[String]) -> Result<Aggregate> {
        let arity = |n: usize| -> Result<()> {
            if args.len() == n {
                Ok(())
            } else {
                Err(Error::Invalid(format!("{name}() takes {n} argument{}, got {}", if n == 1 { "" } else { "s" }, args.len())))
            }
        };
        let positive = || -> Result<Key> {
            match args.get(2) {
                None => Ok(Key::Int(1)),
                Some(Expr::Int(i)) => Ok(Key::Int(*i)),
                Some(Expr::Bool(b)) => Ok(Key::Int(*b as i64)),
                Some(Expr::String(s)) => Ok(Key::Str(s.clone())),
                Some(_) => Err(Error::Invalid(format!("{name}()'s positive class must be a literal"))),
            }
        };
        let func = match name {
            "count" if args.is_empty() => Func::CountRows,
            "count" => arity(1).map(|_| Func::Count)?,
            "sum" => arity(1).map(|_| Func::Sum)?,
            "mean" | "avg" => arity(1).map(|_| Func::Mean)?,
            "min" => arity(1).map(|_| Func::Min)?,
            "max" => arity(1).map(|_| Func::Max)?,
            "stddev" => arity(1).map(|_| Func::Stddev)?,
            "null_rate" => arity(1).map(|_| Func::NullRate)?,
            "nan_rate" => arity(1).map(|_| Func::NanRate)?,
            "distinct" => arity(1).map(|_| Func::Distinct)?,
            "share" => arity(0).map(|_| Func::Share)?,
            "quantile" => {
                arity(2)?;
                match args[1] {
                    Expr::Float(q) if (0.0..=1.0).contains(&q) => Func::Quantile(q),
                    Expr::Int(q @ 0..=1) => Func::Quantile(q as f64),
                    _ => return Err(Error::Invalid("quantile()'s second argument must be a number from 0 to 1".into())),
                }
            }
            "accuracy" => arity(2).map(|_| Func::Accuracy)?,
            "precision" | "recall" | "f1" => {
                if !(2..=3).contains(&args.len()) {
                    return Err(Error::Invalid(format!("{name}() takes 2 or 3 arguments, got {}", args.len())));
                }
                match name {
                    "precision" => Func::Precision(positive()?),
                    "recall" => Func::Recall(positive()?),
                    _ => Func::F1(positive()?),
                }
            }
            "roc_auc" => arity(2).map(|_| Func::RocAuc)?,
            "log_loss" => arity(2).map(|_| Func::LogLoss)?,
            "brier" => arity(2).map(|_| Func::Brier)?,
            "mae" => arity(2).map(|_| Func::Mae)?,
            "rmse" => arity(2).map(|_| Func::Rmse)?,
            "mape" => arity(2).map(|_| Func::Mape)?,
            "r2" => arity(2).map(|_| Func::R2)?,
            "coverage" => {
                arity(1)?;
                return match &args[0] {
                    // A joined event always has a time, so `component.time` is non-null exactly
                    // where the driving row has a match.
                    Expr::Column(ColumnRef { component: None, field }) if joins.contains(field) => Ok(Aggregate {
                        func: Func::Coverage,
                        args: vec![Expr::Column(ColumnRef { component: Some(field.clone()), field: "time".into() })],
                    }),
                    _ => Err(Error::Invalid("coverage() takes the name of a JOINed component".into())),
                };
            }
            "psi" | "js" | "ks" | "wasserstein" | "chi2" | "unseen" | "chi2_p" | "ks_p" => {
                let kind = match name {
                    "psi" => Drift::Psi,
                    "js" => Drift::Js,
                    "ks" => Drift::Ks,
                    "wasserstein" => Drift::Wasserstein,
                    "chi2" => Drift::Chi2,
                    "chi2_p" => Drift::Chi2P,
                    "ks_p" => Drift::KsP,
                    _ => Drift::Unseen,
                };
                // One argument: compare with the reference's field of the same name; a second
                // column names the reference field.
                let field = match (args.first(), args.get(1)) {
                    (Some(_), Some(Expr::Column(c))) | (Some(Expr::Column(c)), None) => c.field.clone(),
                    _ => {
                        return Err(Error::Invalid(format!(
                            "{name}() takes a column, and optionally the reference column to compare it with"
                        )))
                    }
                };
                return Ok(Aggregate { func: Func::Drift { kind, field, reference: 0 }, args: args[..1].to_vec() });
            }
            other => return Err(super::types::no_function(other)),
        };
        let evaluated = match func {
            Func::Quantile(_) => 1,
            Func::Precision(_) | Func::Recall(_) | Func::F1(_) => 2,
            _ => args.len(),
        };
        Ok(Aggregate { func, args: args[..evaluated].to_vec() })
    }
}

/// One aggregate's state for one group.
#[derive(Debug)]
pub(crate) enum State {
    Rows(u64),
    /// count(x), null_rate(x): (non-null, all)
    Counts(u64, u64),
    /// sum, mean: (sum, non-null, every value an int)
    Sum(f64, u64, bool),
    Extreme(Option<Key>),
    /// The values, and the ranks quantiles already put in place (`quantile_placed`).
    Numbers(Vec<f64>, Vec<usize>),
    Distinct(HashSet<Key>),
    /// precision, recall, f1: pairs counted against the positive class
    Confusion(Confusion),
    /// accuracy: (pairs whose prediction equals the label, pairs)
    Agree(u64, u64),
    /// psi, js: values per reference bin
    Binned(Bins, [u64; 10]),
    Scores(Vec<f64>, Vec<Key>),
    Regression(Vec<f64>, Vec<f64>),
    Categories(HashMap<Key, u64>),
}

impl Func {
    /// Whether a NaN counts as a value here: only `count`, `null_rate` and `nan_rate` see
    /// NaNs; every other function ignores them as it ignores nulls (SPEC §4).
    fn sees_nan(&self) -> bool {
        matches!(self, Func::CountRows | Func::Count | Func::NullRate | Func::NanRate | Func::Coverage | Func::Share)
    }
}

impl State {
    pub fn new(func: &Func, references: &[RefData]) -> State {
        match func {
            Func::Accuracy => State::Agree(0, 0),
            Func::Drift { kind: Drift::Psi | Drift::Js, reference, .. } if references[*reference].bins.is_some() => {
                State::Binned(references[*reference].bins.clone().expect("checked"), [0; 10])
            }
            Func::CountRows | Func::Share => State::Rows(0),
            Func::Count | Func::NullRate | Func::NanRate | Func::Coverage => State::Counts(0, 0),
            Func::Sum | Func::Mean => State::Sum(0.0, 0, true),
            Func::Min | Func::Max => State::Extreme(None),
            Func::Stddev | Func::Quantile(_) => State::Numbers(Vec::new(), Vec::new()),
            Func::Distinct => State::Distinct(HashSet::new()),
            Func::Precision(_) | Func::Recall(_) | Func::F1(_) => State::Confusion(Confusion::default()),
            Func::RocAuc | Func::LogLoss | Func::Brier => State::Scores(Vec::new(), Vec::new()),
            Func::Mae | Func::Rmse | Func::Mape | Func::R2 => State::Regression(Vec::new(), Vec::new()),
            Func::Drift { kind, .. } if kind.numeric() => State::Numbers(Vec::new(), Vec::new()),
            Func::Drift { .. } => State::Categories(HashMap::new()),
        }
    }

    /// Adds one row's argument values (nulls, and NaNs where the function ignores them, are
    /// skipped as SPEC §4 says).
    pub fn add(&mut self, func: &Func, args: &[Val<'_>]) {
        let sees_nan = func.sees_nan();
        let arg = |i: usize| match args.get(i).copied() {
            Some(v) if sees_nan || !v.is_nan() => v,
            _ => Val::Null,
        };
        match self {
            State::Rows(n) => *n += 1,
            State::Counts(counted, all) => {
                *all += 1;
                *counted += if *func == Func::NanRate { arg(0).is_nan() } else { arg(0) != Val::Null } as u64;
            }
            State::Sum(sum, n, ints) => {
                if let Some(x) = arg(0).num() {
                    *sum += x;
                    *n += 1;
                    *ints &= matches!(arg(0), Val::Int(_));
                }
            }
            State::Extreme(best) => {
                let v = arg(0);
                if v != Val::Null {
                    let k = v.exact_key();
                    let better = best.as_ref().is_none_or(|b| if *func == Func::Min { k < *b } else { k > *b });
                    if better {
                        *best = Some(k);
                    }
                }
            }
            State::Numbers(values, _) => values.extend(arg(0).num()),
            State::Distinct(seen) => {
                if arg(0) != Val::Null {
                    seen.insert(arg(0).key());
                }
            }
            State::Confusion(counts) => {
                if let (Func::Precision(positive) | Func::Recall(positive) | Func::F1(positive), false, false) =
                    (func, arg(0) == Val::Null, arg(1) == Val::Null)
                {
                    counts.add(arg(0).key() == *positive, arg(1).key() == *positive);
                }
            }
            State::Agree(hits, n) => {
                if arg(0) != Val::Null && arg(1) != Val::Null {
                    *n += 1;
                    *hits += (arg(0).key() == arg(1).key()) as u64;
                }
            }
            State::Binned(bins, counts) => {
                if let Some(x) = arg(0).num() {
                    counts[bins.bin(x)] += 1;
                }
            }
            State::Scores(scores, labels) => {
                if let (Some(s), true) = (arg(0).num(), arg(1) != Val::Null) {
                    scores.push(s);
                    labels.push(arg(1).key());
                }
            }
            State::Regression(pred, target) => {
                if let (Some(p), Some(t)) = (arg(0).num(), arg(1).num()) {
                    pred.push(p);
                    target.push(t);
                }
            }
            State::Categories(counts) => {
                if matches!(arg(0), Val::Str(_) | Val::Bool(_)) {
                    *counts.entry(arg(0).key()).or_default() += 1;
                }
            }
        }
    }

    /// Adds the rows another state of the same aggregate has seen (from another thread).
    pub fn merge(&mut self, func: &Func, other: State) {
        match (self, other) {
            (State::Rows(a), State::Rows(b)) => *a += b,
            (State::Counts(a, x), State::Counts(b, y)) | (State::Agree(a, x), State::Agree(b, y)) => {
                *a += b;
                *x += y;
            }
            (State::Sum(s, n, ints), State::Sum(t, m, other_ints)) => {
                *s += t;
                *n += m;
                *ints &= other_ints;
            }
            (State::Extreme(best), State::Extreme(Some(k)))
                if best.as_ref().is_none_or(|b| if *func == Func::Min { k < *b } else { k > *b }) =>
            {
                *best = Some(k);
            }
            (State::Numbers(a, placed), State::Numbers(b, _)) => {
                a.extend(b);
                placed.clear();
            }
            (State::Distinct(a), State::Distinct(b)) => a.extend(b),
            (State::Confusion(a), State::Confusion(b)) => a.merge(&b),
            (State::Binned(_, a), State::Binned(_, b)) => a.iter_mut().zip(b).for_each(|(a, b)| *a += b),
            (State::Scores(s, l), State::Scores(t, m)) => {
                s.extend(t);
                l.extend(m);
            }
            (State::Regression(p, t), State::Regression(q, u)) => {
                p.extend(q);
                t.extend(u);
            }
            (State::Categories(a), State::Categories(b)) => b.into_iter().for_each(|(k, n)| *a.entry(k).or_default() += n),
            _ => {}
        }
    }

    /// The result. `window_rows` is the number of driving rows in this group's window;
    /// `references` holds the data drift metrics compare with.
    pub fn finish(&mut self, func: &Func, window_rows: u64, references: &[RefData]) -> Cell {
        let float = |x: Option<f64>| x.map_or(Cell::Null, Cell::Float);
        if let Func::Drift { kind, reference, .. } = func {
            return drift(self, *kind, &references[*reference]);
        }
        match (self, func) {
            (State::Rows(n), Func::Share) => float((window_rows > 0).then(|| *n as f64 / window_rows as f64)),
            (State::Rows(n), _) => Cell::Int(*n as i64),
            (State::Counts(non_null, _), Func::Count) => Cell::Int(*non_null as i64),
            (State::Counts(non_null, all), Func::Coverage) => float((*all > 0).then(|| *non_null as f64 / *all as f64)),
            (State::Counts(nans, all), Func::NanRate) => float((*all > 0).then(|| *nans as f64 / *all as f64)),
            (State::Counts(non_null, all), _) => float((*all > 0).then(|| (*all - *non_null) as f64 / *all as f64)),
            (State::Sum(sum, n, ints), Func::Sum) if *n > 0 && *ints && sum.abs() < 9.0e15 => Cell::Int(*sum as i64),
            (State::Sum(sum, n, _), Func::Sum) => float((*n > 0).then_some(*sum)),
            (State::Sum(sum, n, _), _) => float((*n > 0).then(|| *sum / *n as f64)),
            (State::Extreme(best), _) => best.take().map_or(Cell::Null, key_cell),
            (State::Numbers(values, placed), Func::Quantile(q)) => float(quantile_placed(values, placed, *q)),
            (State::Numbers(values, _), _) => float(stddev(values)),
            (State::Distinct(seen), _) => Cell::Int(seen.len() as i64),
            (State::Agree(hits, n), _) => float((*n > 0).then(|| *hits as f64 / *n as f64)),
            (State::Confusion(c), Func::Precision(_)) => float(c.precision()),
            (State::Confusion(c), Func::Recall(_)) => float(c.recall()),
            (State::Confusion(c), _) => float(c.f1()),
            (State::Scores(scores, labels), func) => {
                let positive: Vec<bool> = labels.iter().map(|l| *l == Key::Int(1)).collect();
                match func {
                    Func::RocAuc => float(roc_auc(scores, &positive)),
                    Func::LogLoss => float(log_loss(scores, &positive)),
                    _ => float(brier(scores, &positive.iter().map(|&p| p as u8 as f64).collect::<Vec<_>>())),
                }
            }
            (State::Regression(pred, target), func) => float(match func {
                Func::Mae => mae(pred, target),
                Func::Rmse => rmse(pred, target),
                Func::Mape => mape(pred, target),
                _ => r2(pred, target),
            }),
            _ => Cell::Null,
        }
    }
}

/// A drift metric of a group's values against the reference (SPEC §4 definitions).
fn drift(state: &mut State, kind: Drift, reference: &RefData) -> Cell {
    let float = |x: Option<f64>| x.map_or(Cell::Null, Cell::Float);
    match state {
        State::Binned(_, counts) => {
            let binned = shares(counts).zip(reference.shares);
            float(binned.map(|(a, r)| if kind == Drift::Psi { psi(&a, &r) } else { js(&a, &r) }))
        }
        State::Numbers(values, _) => {
            values.sort_unstable_by(f64::total_cmp);
            float(match kind {
                Drift::Ks => ks(values, reference.sorted()),
                Drift::KsP => ks(values, reference.sorted()).map(|d| ks_p(d, values.len(), reference.sorted().len())),
                Drift::Wasserstein => wasserstein(values, reference.sorted()),
                // psi / js without reference bins (an empty reference)
                _ => None,
            })
        }
        State::Categories(counts) if kind == Drift::Chi2 => float(chi2(counts, &reference.counts)),
        // k − 1 degrees of freedom, k the reference's categories; null below two.
        State::Categories(counts) if kind == Drift::Chi2P => {
            let k = reference.counts.len();
            float(chi2(counts, &reference.counts).filter(|_| k >= 2).map(|x| chi2_sf(x, (k - 1) as f64)))
        }
        State::Categories(counts) => Cell::Int(unseen(counts, &reference.counts) as i64),
        _ => Cell::Null,
    }
}

pub(crate) fn key_cell(k: Key) -> Cell {
    match k {
        Key::Null => Cell::Null,
        Key::Int(i) => Cell::Int(i),
        Key::Float(bits) => Cell::Float(f64::from_bits(bits)),
        Key::Str(s) => Cell::Text(s),
        Key::Time(t) => Cell::Time(t),
        Key::Bool(b) => Cell::Bool(b),
        Key::TraceId(id) => Cell::Text(seamdb_storage::model::TraceId(id.get()).to_string()),
    }
}

/// Feeds the values of `x` (numeric, not a constant) to `Numbers` states, skipping nulls and
/// NaN. Kept out of [`feed`] (not inlined): inlined, it changed how the compiler laid out
/// the scan loop around `feed`, and Q1, Q2 and Q5 ran 2–7% slower at N = 10 M (A/B runs of
/// `seamdb-bench queries`).
#[inline(never)]
fn feed_numbers(states: &mut [State], groups: &[u32], x: &Column<'_>) {
    let present = |i: usize| x.valid.as_ref().is_none_or(|v| v[i]);
    let values = x.f64s();
    // NaN is skipped like null here: no function fed this way sees NaNs.
    let keep = |i: usize| present(i) && !values[i].is_nan();
    // The first run's length says which kind of chunk this is.
    if groups.iter().position(|&g| g != groups[0]).is_none_or(|first| first >= 8) {
        // Long runs of one group (windows of time-sorted rows): a run at a time, copied
        // whole when it has no null and no NaN.
        for (g, rows) in runs(groups) {
            if let State::Numbers(numbers, _) = &mut states[g as usize] {
                let run = &values[rows.clone()];
                if x.valid.is_none() && !run.iter().any(|v| v.is_nan()) {
                    numbers.extend_from_slice(run);
                } else {
                    // Without branches: every value written, the kept ones advance.
                    let from = numbers.len();
                    numbers.resize(from + run.len(), 0.0);
                    let mut kept = from;
                    for i in rows {
                        numbers[kept] = values[i];
                        kept += keep(i) as usize;
                    }
                    numbers.truncate(kept);
                }
            }
        }
        return;
    }
    // Row by row (a group's rows alternate with others', as by a tag key), into
    // vectors first grown by what this chunk brings each group: no pushes that grow.
    let mut rows = vec![0usize; states.len()];
    groups.iter().for_each(|&g| rows[g as usize] += 1);
    for (state, &n) in states.iter_mut().zip(&rows) {
        if let (State::Numbers(v, _), true) = (state, n > 0) {
            v.reserve(n);
        }
    }
    for (i, &g) in groups.iter().enumerate() {
        if keep(i) {
            if let State::Numbers(numbers, _) = &mut states[g as usize] {
                numbers.push(values[i]);
            }
        }
    }
}

/// The rows of `groups` as runs of one group: (group, rows), in order.
fn runs(groups: &[u32]) -> impl Iterator<Item = (u32, std::ops::Range<usize>)> + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        let g = *groups.get(start)?;
        let end = start + groups[start..].iter().position(|&h| h != g).unwrap_or(groups.len() - start);
        let run = start..end;
        start = end;
        Some((g, run))
    })
}

/// Feeds one aggregate's per-group `states` with a chunk: `groups[i]` is row `i`'s group and
/// `args` its evaluated arguments. Numeric and class columns go straight into the states in
/// typed loops; anything else goes value by value through [`State::add`], the row-at-a-time
/// rules.
pub(crate) fn feed(states: &mut [State], func: &Func, groups: &[u32], args: &[&Column<'_>]) {
    let present = |x: &Column<'_>, i: usize| x.valid.as_ref().is_none_or(|v| v[i]);
    let by_row = |states: &mut [State]| {
        for (i, &g) in groups.iter().enumerate() {
            let row: Vec<Val<'_>> = args.iter().map(|c| c.get(i)).collect();
            states[g as usize].add(func, &row);
        }
    };
    match (states.first(), args) {
        (None, _) => {}
        (Some(State::Rows(_)), _) => {
            for (g, rows) in runs(groups) {
                if let State::Rows(n) = &mut states[g as usize] {
                    *n += rows.len() as u64;
                }
            }
        }
        // Typed columns only: a constant or a value-by-value column (a joined field stored
        // as int in one part and float in another) may hold a NaN anywhere.
        (Some(State::Counts(..)), [x])
            if matches!(x.data, Data::Float(_) | Data::Int(_) | Data::Bool(_) | Data::Time(_) | Data::Tag { .. }) =>
        {
            let nan_rate = *func == Func::NanRate;
            let floats = match &x.data {
                Data::Float(v) if nan_rate => Some(v),
                _ => None,
            };
            for (i, &g) in groups.iter().enumerate() {
                if let State::Counts(counted, all) = &mut states[g as usize] {
                    *all += 1;
                    *counted += match (floats, nan_rate) {
                        (Some(v), _) => present(x, i) && v[i].is_nan(),
                        // Ints, bools, times and tags are never NaN.
                        (None, true) => false,
                        (None, false) => present(x, i),
                    } as u64;
                }
            }
        }
        (Some(State::Numbers(..)), [x]) if x.numeric() && !matches!(x.data, Data::Const(_)) => feed_numbers(states, groups, x),
        (Some(State::Sum(..) | State::Binned(..)), [x]) if x.numeric() && !matches!(x.data, Data::Const(_)) => {
            let ints = matches!(x.data, Data::Int(_));
            let values = x.f64s();
            // Rows come in runs of one group (windows of time-sorted segments): the state is
            // looked up once per run, the run's values go through one tight loop.
            for (g, rows) in runs(groups) {
                // NaN is skipped like null here: no function fed this way sees NaNs.
                let run = rows.clone().filter(|&i| present(x, i) && !values[i].is_nan()).map(|i| values[i]);
                match &mut states[g as usize] {
                    State::Sum(sum, n, all_ints) => {
                        for v in run {
                            *sum += v;
                            *n += 1;
                        }
                        *all_ints &= ints;
                    }
                    State::Binned(bins, counts) => bins.count(&values[rows.clone()], x.valid.as_deref().map(|v| &v[rows]), counts),
                    _ => {}
                }
            }
        }
        (Some(State::Agree(..)), [p, l]) if p.is_class() && l.is_class() => {
            let (p_class, l_class) = (p.classes(), l.classes());
            for (i, &g) in groups.iter().enumerate() {
                if present(p, i) && present(l, i) {
                    if let State::Agree(hits, n) = &mut states[g as usize] {
                        *n += 1;
                        *hits += (p_class[i] == l_class[i]) as u64;
                    }
                }
            }
        }
        (Some(State::Categories(_)), [x]) if matches!(x.data, Data::Tag { .. } | Data::Bool(_)) => categories(states, groups, x),
        _ => by_row(states),
    }
}

/// Feeds `chi2`, `chi2_p` and `unseen` with a tag or bool column: each run of rows of one group
/// is counted by dictionary code (0/1 for a bool), and each code met turns into its category
/// key once per run, not once per row.
fn categories(states: &mut [State], groups: &[u32], x: &Column<'_>) {
    let codes: Cow<'_, [u32]> = match &x.data {
        Data::Tag { codes, .. } => Cow::Borrowed(codes),
        Data::Bool(v) => Cow::Owned(v.iter().map(|&b| b as u32).collect()),
        _ => return,
    };
    let key = |c: u32| match &x.data {
        Data::Tag { dict, .. } => Key::Str(dict.get(c).to_string()),
        _ => Val::Bool(c != 0).key(),
    };
    // Per code, the run's count; the codes met in the run, in the order met.
    let (mut counts, mut met): (Vec<u64>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < groups.len() {
        let g = groups[start];
        let end = start + groups[start..].iter().position(|&h| h != g).unwrap_or(groups.len() - start);
        for i in (start..end).filter(|&i| x.is_valid(i)) {
            let c = codes[i] as usize;
            if c >= counts.len() {
                counts.resize(c + 1, 0);
            }
            if counts[c] == 0 {
                met.push(c as u32);
            }
            counts[c] += 1;
        }
        if let State::Categories(found) = &mut states[g as usize] {
            for c in met.drain(..) {
                *found.entry(key(c)).or_default() += std::mem::take(&mut counts[c as usize]);
            }
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::{Aggregate, FUNCTIONS};
    use crate::ast::{ColumnRef, Expr};
    use crate::error::Error;

    /// `FUNCTIONS` names exactly the functions `plan` knows: each plans with some arity, and a
    /// name outside it is "there is no function".
    #[test]
    fn the_function_list_is_what_plan_knows() {
        let column = |f: &str| Expr::Column(ColumnRef { component: None, field: f.into() });
        let argument_lists = [vec![], vec![column("x")], vec![column("x"), Expr::Float(0.5)], vec![column("x"), column("y")]];
        for name in FUNCTIONS {
            let joins = ["x".to_string()];
            assert!(argument_lists.iter().any(|args| Aggregate::plan(name, args, &joins).is_ok()), "{name}() does not plan");
        }
        for name in ["foo", "now", "median"] {
            let planned = Aggregate::plan(name, &[column("x")], &[]);
            assert!(matches!(&planned, Err(Error::Name(m)) if m.starts_with("there is no function")), "{name}");
        }
    }
}
