//! Partial states: one `SELECT` answered over the shards of one logical database (SPEC §6c,
//! docs/DISTRIBUTED.md). Each shard scans its own rows into the per-group aggregate states
//! the columnar executor keeps; the states of every shard merge by group key (in any order,
//! any grouping: merging is associative and commutative); the merged states finish into the
//! rows that one database holding every shard's data answers. `FILL`, `HAVING`, `ORDER BY`
//! and `LIMIT` apply after the merge.
//!
//! Before the scan, the shards agree on a context. First the schemas of the components the
//! query names ([`Step::Schemas`]): a shard may lack a component, or a field, that another
//! has. Then, for a query with drift metrics, every shard's reference rows
//! ([`Step::References`]): the reference bins' edges are deciles of all of them, so each
//! shard must bin against the same edges.
//!
//! Every state merges exactly: counts and sums add (`count`, `null_rate`, `share`,
//! `accuracy`, `coverage`, the confusion counts of `precision`/`recall`/`f1`, psi's and js's
//! bin counts, chi²'s category counts), `min` and `max` keep the extreme, `distinct` unites
//! its sets, and the functions no summary answers exactly (quantiles, `stddev`, KS,
//! Wasserstein, `roc_auc`, `log_loss`, `brier`, the regression metrics) ship their values.
//! Sums of floats added in another order may differ in the last bits.
//!
//! # Format, version 1
//!
//! Little-endian throughout. A string is a `u32` byte length and UTF-8; a key is a tag byte and
//! its value: 0 null, 1 int (`i64`), 2 float (`u64` bits), 3 bool (`u8`), 4 string, 5 time
//! (`i64` µs), 6 trace ID (`u128`).
//!
//! ```text
//! magic       8 bytes  "SEAMPART"
//! version     u16      1
//! query       u64      FNV-1a of the parsed SELECT: states of another query are refused
//! schemas     u32 n, then n × (component: string, fields: u32 m, m × (name: string, type: u8))
//!                      types as in segments: 1 float, 2 int, 3 bool, 4 tag
//! references  u32 n, then n × (field: string, numbers: u64 k, k × f64,
//!                              categories: u32 c, c × (key, rows: u64))
//! time range  u8 0, or u8 1 and the driving component's first and last time (i64, i64),
//!             for FILL (queries without FILL leave it out)
//! groups      u8 0 (no scan yet), or u8 1, u32 aggregates, u64 n, then n ×
//!               (window: u8 0 | u8 1 i64, keys: u32 k, k × key, rows: u64,
//!                aggregates × state)
//! ```
//!
//! A state is a tag byte and its body:
//!
//! ```text
//! 0 rows        u64                                  count(), share()
//! 1 counts      u64 counted, u64 all                 count(x), null_rate, nan_rate, coverage
//! 2 sum         f64 sum, u64 n, u8 every value int   sum, mean
//! 3 extreme     u8 0 | u8 1 key                      min, max
//! 5 numbers     u64 n, n × f64                       quantile, stddev, ks, ks_p, wasserstein
//! 6 distinct    u32 n, n × key                       distinct
//! 7 confusion   u64 tp, fp, fn, tn (against the positive class)   precision, recall, f1
//! 8 agree       u64 equal, u64 pairs                 accuracy
//! 9 binned      9 × f64 edges, 10 × u64 counts       psi, js
//! 10 scores     u64 n, n × f64 score, n × u8 (label is the positive class 1)
//!                                                    roc_auc, log_loss, brier
//! 11 regression u64 n, n × f64 prediction, n × f64 target   mae, rmse, mape, r2
//! 12 categories u32 n, n × (key, rows: u64)          chi2, chi2_p, unseen
//! ```

use super::agg::{call, Aggregate, Func, State};
use super::columnar;
use super::plan::plan_with;
use super::reference::RefData;
use super::value::{Key, Trace};
use super::{answer, post, GroupId, Groups, JoinStrategy};
use crate::ast::Select;
use crate::error::{Error, Result};
use crate::metrics::classification::Confusion;
use crate::metrics::drift::Bins;
use crate::output::Table;
use seamdb_storage::codec::Reader;
use seamdb_storage::model::FieldType;
use seamdb_storage::{Schema, Snapshot};
use std::collections::{HashMap, HashSet};

const MAGIC: &[u8; 8] = b"SEAMPART";
const VERSION: u16 = 1;

/// More rows than any database holds. Every count decoded is at most its group's rows (or, for
/// reference rows, at most this), and merged rows stay at most this, so no sum of counts
/// overflows, whatever the bytes said.
const MAX_ROWS: u64 = 1 << 62;

/// What one shard computes ([`run`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The schemas of the components the query names, as this shard has them.
    Schemas,
    /// This shard's reference rows of each field a drift metric compares (given the merged
    /// schemas).
    References,
    /// This shard's groups and their aggregate states (given the merged schemas and, for
    /// drift metrics, the merged reference rows).
    Groups,
}

/// Whether the query compares with a reference: then [`Step::References`] runs before
/// [`Step::Groups`].
pub fn needs_references(s: &Select) -> bool {
    s.reference.is_some() && funcs(s).is_ok_and(|f| f.iter().any(|f| matches!(f, Func::Drift { .. })))
}

/// Runs one step of `s` on one shard's snapshot. `context` is the merge of the earlier steps'
/// states of every shard ([`merge`]); [`Step::Schemas`] needs none.
pub fn run(s: &Select, snapshot: &Snapshot, step: Step, context: Option<&[u8]>) -> Result<Vec<u8>> {
    let mut out = Partial::new(s);
    if step == Step::Schemas {
        let names = std::iter::once(&s.from).chain(&s.joins).chain(s.reference.as_ref().map(|r| &r.component));
        for name in names {
            if let (Some(c), false) = (snapshot.component(name), out.schemas.iter().any(|(n, _)| n == name)) {
                out.schemas.push((name.clone(), c.schema().clone()));
            }
        }
        return Ok(out.encode());
    }
    let context = Partial::decode(context.ok_or_else(|| Error::Invalid("this step needs the merged schemas of every shard".into()))?)?;
    context.check(s)?;
    let snapshot = context.apply(snapshot)?;
    let given = (step == Step::Groups && needs_references(s)).then_some(context.references.as_slice());
    let mut plan = plan_with(s, &snapshot, given)?;
    match step {
        Step::References => {
            let mut fields: Vec<(usize, &str)> = Vec::new();
            for a in &plan.aggregates {
                if let Func::Drift { field, reference, .. } = &a.func {
                    if !fields.iter().any(|(r, _)| r == reference) {
                        fields.push((*reference, field));
                    }
                }
            }
            fields.sort();
            let references = std::mem::take(&mut plan.references);
            out.references = fields.into_iter().zip(references).map(|((_, f), data)| (f.to_string(), data)).collect();
        }
        _ => {
            post(&plan)?;
            plan.partial = true;
            out.time_range = plan.time_range;
            let groups = columnar::accumulate(&plan, JoinStrategy::default())?;
            let mut found: Vec<(GroupId, usize)> = groups.index.into_iter().collect();
            found.sort_by_key(|(_, g)| *g);
            let mut states: Vec<_> = groups.states.into_iter().map(|s| s.into_iter().map(Some).collect::<Vec<_>>()).collect();
            out.groups = Some(
                found
                    .into_iter()
                    .map(|(id, g)| (id, groups.rows[g], states.iter_mut().map(|s| s[g].take().expect("each taken once")).collect()))
                    .collect(),
            );
        }
    }
    Ok(out.encode())
}

/// Checks `s` against the merged schemas of every shard (`context`, from [`Step::Schemas`])
/// as a database holding them all would, reading nothing: a query that cannot run fails here,
/// once, with one database's error, before any shard works on it.
pub fn check(s: &Select, context: &[u8]) -> Result<()> {
    let context = Partial::decode(context)?;
    context.check(s)?;
    let snapshot = context.apply(&Snapshot::empty())?;
    post(&plan_with(s, &snapshot, None)?).map(drop)
}

/// Merges states of the same query (any steps' and shards'): schemas by the rules of schema
/// evolution, reference rows put together, groups by key with their states merged.
pub fn merge(s: &Select, parts: &[&[u8]]) -> Result<Vec<u8>> {
    let funcs = funcs(s)?;
    let mut out = Partial::new(s);
    let mut index: HashMap<GroupId, usize> = HashMap::new();
    for bytes in parts {
        let part = Partial::decode(bytes)?;
        part.check(s)?;
        for (name, schema) in part.schemas {
            match out.schemas.iter_mut().find(|(n, _)| *n == name) {
                Some((_, mine)) => *mine = mine.merge(&name, &schema)?,
                None => out.schemas.push((name, schema)),
            }
        }
        for (field, data) in part.references {
            match out.references.iter_mut().find(|(f, _)| *f == field) {
                Some((_, mine)) => {
                    mine.values.extend(data.values);
                    let together = total(mine.counts.values().chain(data.counts.values()).copied());
                    if together.is_none_or(|n| n > MAX_ROWS) {
                        return Err(Error::Invalid(format!("reference rows of {field:?} counted past {MAX_ROWS}")));
                    }
                    data.counts.into_iter().for_each(|(k, n)| *mine.counts.entry(k).or_default() += n);
                }
                None => out.references.push((field, data)),
            }
        }
        out.time_range = match (out.time_range, part.time_range) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        let Some(groups) = part.groups else { continue };
        let mine = out.groups.get_or_insert_with(Vec::new);
        for (id, rows, states) in groups {
            match index.get(&id) {
                Some(&g) => {
                    mine[g].1 = mine[g].1.checked_add(rows).filter(|&n| n <= MAX_ROWS).ok_or_else(|| {
                        Error::Invalid(format!(
                            "a group's rows, merged, count past {MAX_ROWS}: these are not partial states of one database"
                        ))
                    })?;
                    for ((state, theirs), func) in mine[g].2.iter_mut().zip(states).zip(&funcs) {
                        state.merge(func, theirs);
                    }
                }
                None => {
                    index.insert(id.clone(), mine.len());
                    mine.push((id, rows, states));
                }
            }
        }
    }
    // Reference rows are a multiset: in whatever order they come, the bins' edges (found by
    // selection) and the sorted values KS reads are the same.
    Ok(out.encode())
}

/// The answer from merged states: `context` holds the merged schemas (and reference rows),
/// `groups` the merged groups. It reads no database: the query is planned against the
/// context's schemas alone.
pub fn finish(s: &Select, context: &[u8], groups: &[u8]) -> Result<Table> {
    let context = Partial::decode(context)?;
    context.check(s)?;
    let merged = Partial::decode(groups)?;
    merged.check(s)?;
    let found =
        merged.groups.ok_or_else(|| Error::Invalid("these partial states hold no groups: run Step::Groups on every shard first".into()))?;
    let snapshot = context.apply(&Snapshot::empty())?;
    let given = needs_references(s).then_some(context.references.as_slice());
    let mut plan = plan_with(s, &snapshot, given)?;
    plan.time_range = merged.time_range;
    let post = post(&plan)?;
    let mut groups = Groups::default();
    groups.states.resize_with(plan.aggregates.len(), Vec::new);
    for (id, rows, states) in found {
        if states.len() != plan.aggregates.len() {
            return Err(Error::Invalid(format!("a group holds {} states for {} aggregates", states.len(), plan.aggregates.len())));
        }
        groups.index.insert(id, groups.rows.len());
        groups.rows.push(rows);
        groups.states.iter_mut().zip(states).for_each(|(all, state)| all.push(state));
    }
    answer(&plan, &post, groups)
}

/// The aggregate functions of `s`'s items, as [`State::merge`] needs them (no snapshot).
fn funcs(s: &Select) -> Result<Vec<Func>> {
    s.items.iter().map(|item| call(item).and_then(|(name, args)| Aggregate::plan(name, args, &s.joins)).map(|a| a.func)).collect()
}

/// One set of partial states, decoded.
struct Partial {
    query: u64,
    schemas: Vec<(String, Schema)>,
    references: Vec<(String, RefData)>,
    time_range: Option<(i64, i64)>,
    /// Each group: its key, its driving rows and one state per aggregate.
    groups: Option<Vec<(GroupId, u64, Vec<State>)>>,
}

impl Partial {
    fn new(s: &Select) -> Partial {
        Partial { query: fingerprint(s), schemas: Vec::new(), references: Vec::new(), time_range: None, groups: None }
    }

    fn check(&self, s: &Select) -> Result<()> {
        if self.query != fingerprint(s) {
            return Err(Error::Invalid("these partial states are of another query".into()));
        }
        Ok(())
    }

    /// The snapshot with every shard's schemas.
    fn apply(&self, snapshot: &Snapshot) -> Result<Snapshot> {
        Ok(snapshot.with_schemas(self.schemas.iter().map(|(n, s)| (n.as_str(), s)))?)
    }

    fn encode(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(MAGIC);
        w.extend_from_slice(&VERSION.to_le_bytes());
        put_u64(&mut w, self.query);
        put_u32(&mut w, self.schemas.len());
        for (name, schema) in &self.schemas {
            put_str(&mut w, name);
            put_u32(&mut w, schema.fields().len());
            for (field, ty) in schema.fields() {
                put_str(&mut w, field);
                w.push(*ty as u8);
            }
        }
        put_u32(&mut w, self.references.len());
        for (field, data) in &self.references {
            put_str(&mut w, field);
            put_f64s(&mut w, &data.values);
            put_counts(&mut w, &data.counts);
        }
        match self.time_range {
            None => w.push(0),
            Some((lo, hi)) => {
                w.push(1);
                w.extend_from_slice(&lo.to_le_bytes());
                w.extend_from_slice(&hi.to_le_bytes());
            }
        }
        let Some(groups) = &self.groups else {
            w.push(0);
            return w;
        };
        w.push(1);
        put_u32(&mut w, groups.first().map_or(0, |g| g.2.len()));
        put_u64(&mut w, groups.len() as u64);
        for ((window, keys), rows, states) in groups {
            match window {
                None => w.push(0),
                Some(t) => {
                    w.push(1);
                    w.extend_from_slice(&t.to_le_bytes());
                }
            }
            put_u32(&mut w, keys.len());
            keys.iter().for_each(|k| put_key(&mut w, k));
            put_u64(&mut w, *rows);
            states.iter().for_each(|s| put_state(&mut w, s));
        }
        w
    }

    fn decode(bytes: &[u8]) -> Result<Partial> {
        let mut r = Reader::payload(bytes);
        decode(&mut r).map_err(|e| Error::Invalid(format!("not partial states of this version: {e}")))
    }
}

fn decode(r: &mut Reader<'_>) -> seamdb_storage::Result<Partial> {
    if r.take(8, "magic")? != MAGIC {
        return Err(r.corrupt("no SEAMPART magic"));
    }
    let version = r.u16("version")?;
    if version != VERSION {
        return Err(r.corrupt(format!("version {version}; this build reads version {VERSION}")));
    }
    let query = r.u64("query")?;
    let mut schemas = Vec::new();
    for _ in 0..r.u32("schemas")? {
        let name = get_str(r, "component")?;
        let mut fields = Vec::new();
        for _ in 0..r.u32("fields")? {
            let field = get_str(r, "field")?;
            let code = r.u8("type")?;
            fields.push((field, FieldType::from_code(code).ok_or_else(|| r.corrupt(format!("field type {code}")))?));
        }
        schemas.push((name, Schema::new(fields)));
    }
    let mut references = Vec::new();
    for _ in 0..r.u32("references")? {
        let field = get_str(r, "reference field")?;
        let values = get_f64s(r)?;
        let counts = get_counts(r)?;
        if total(counts.values().copied()).is_none_or(|n| n > MAX_ROWS) || values.iter().any(|x| x.is_nan()) {
            return Err(r.corrupt(format!("reference rows of {field:?} that no scan keeps (NaN, or counted past {MAX_ROWS})")));
        }
        references.push((field, RefData::rows(values, counts)));
    }
    let time_range = match r.u8("time range")? {
        0 => None,
        _ => Some((r.i64("first time")?, r.i64("last time")?)),
    };
    let groups = match r.u8("groups")? {
        0 => None,
        _ => {
            let aggregates = r.u32("aggregates")?;
            let n = r.u64("groups")?;
            let mut groups = Vec::with_capacity(r.len(n, 13, "groups")?);
            for _ in 0..n {
                let window = match r.u8("window")? {
                    0 => None,
                    _ => Some(r.i64("window")?),
                };
                let keys = (0..r.u32("keys")?).map(|_| get_key(r)).collect::<seamdb_storage::Result<Vec<_>>>()?;
                let rows = r.u64("rows")?;
                let states = (0..aggregates).map(|_| get_state(r)).collect::<seamdb_storage::Result<Vec<_>>>()?;
                if rows > MAX_ROWS || states.iter().any(|s| counted(s).is_none_or(|n| n > rows)) {
                    return Err(
                        r.corrupt(format!("a group's states that no scan writes (NaN, or more than its {rows} rows; at most {MAX_ROWS})"))
                    );
                }
                groups.push(((window, keys), rows, states));
            }
            Some(groups)
        }
    };
    r.finish("the groups")?;
    Ok(Partial { query, schemas, references, time_range, groups })
}

/// The sum of `counts`, if it fits.
fn total(counts: impl IntoIterator<Item = u64>) -> Option<u64> {
    counts.into_iter().try_fold(0u64, u64::checked_add)
}

/// How many of its group's rows a state has counted, or `None` for a state no scan writes:
/// counts that overflow or do not fit together, or a NaN among values (a scan skips NaN as it
/// skips null; KS and the quantiles would not end on one).
fn counted(state: &State) -> Option<u64> {
    let numbers = |v: &[f64]| (!v.iter().any(|x| x.is_nan())).then_some(v.len() as u64);
    match state {
        State::Rows(n) | State::Sum(_, n, _) => Some(*n),
        State::Counts(part, all) | State::Agree(part, all) => (part <= all).then_some(*all),
        State::Extreme(_) => Some(0),
        State::Numbers(v, _) | State::Scores(v, _) => numbers(v),
        State::Regression(p, t) => numbers(p).filter(|_| numbers(t).is_some()),
        State::Distinct(seen) => Some(seen.len() as u64),
        State::Confusion(c) => total([c.tp, c.fp, c.fn_, c.tn]),
        State::Binned(bins, counts) => numbers(&bins.edges).and(total(counts.iter().copied())),
        State::Categories(counts) => total(counts.values().copied()),
    }
}

/// FNV-1a of the parsed statement's debug form: the same SeamQL, however spaced, gives the
/// same number in one build; the version field guards across builds.
fn fingerprint(s: &Select) -> u64 {
    format!("{s:?}").bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

fn put_u32(w: &mut Vec<u8>, n: usize) {
    w.extend_from_slice(&(n as u32).to_le_bytes());
}

fn put_u64(w: &mut Vec<u8>, n: u64) {
    w.extend_from_slice(&n.to_le_bytes());
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_u32(w, s.len());
    w.extend_from_slice(s.as_bytes());
}

fn put_f64s(w: &mut Vec<u8>, values: &[f64]) {
    put_u64(w, values.len() as u64);
    w.reserve(values.len() * 8);
    values.iter().for_each(|v| w.extend_from_slice(&v.to_le_bytes()));
}

fn put_counts<'k>(w: &mut Vec<u8>, counts: impl IntoIterator<Item = (&'k Key, &'k u64)> + Clone) {
    put_u32(w, counts.clone().into_iter().count());
    for (k, n) in counts {
        put_key(w, k);
        put_u64(w, *n);
    }
}

fn put_key(w: &mut Vec<u8>, k: &Key) {
    match k {
        Key::Null => w.push(0),
        Key::Int(i) => {
            w.push(1);
            w.extend_from_slice(&i.to_le_bytes());
        }
        Key::Float(bits) => {
            w.push(2);
            put_u64(w, *bits);
        }
        Key::Bool(b) => w.extend_from_slice(&[3, *b as u8]),
        Key::Str(s) => {
            w.push(4);
            put_str(w, s);
        }
        Key::Time(t) => {
            w.push(5);
            w.extend_from_slice(&t.to_le_bytes());
        }
        Key::TraceId(id) => {
            w.push(6);
            w.extend_from_slice(&id.get().to_le_bytes());
        }
    }
}

fn put_state(w: &mut Vec<u8>, state: &State) {
    match state {
        State::Rows(n) => {
            w.push(0);
            put_u64(w, *n);
        }
        State::Counts(a, b) | State::Agree(a, b) => {
            w.push(if matches!(state, State::Counts(..)) { 1 } else { 8 });
            put_u64(w, *a);
            put_u64(w, *b);
        }
        State::Sum(sum, n, ints) => {
            w.push(2);
            w.extend_from_slice(&sum.to_le_bytes());
            put_u64(w, *n);
            w.push(*ints as u8);
        }
        State::Extreme(best) => {
            w.push(3);
            match best {
                None => w.push(0),
                Some(k) => {
                    w.push(1);
                    put_key(w, k);
                }
            }
        }
        State::Numbers(values, _) => {
            w.push(5);
            put_f64s(w, values);
        }
        State::Distinct(seen) => {
            w.push(6);
            put_u32(w, seen.len());
            seen.iter().for_each(|k| put_key(w, k));
        }
        State::Confusion(c) => {
            w.push(7);
            [c.tp, c.fp, c.fn_, c.tn].iter().for_each(|&n| put_u64(w, n));
        }
        State::Binned(bins, counts) => {
            w.push(9);
            bins.edges.iter().for_each(|e| w.extend_from_slice(&e.to_le_bytes()));
            counts.iter().for_each(|&c| put_u64(w, c));
        }
        State::Scores(scores, labels) => {
            w.push(10);
            put_f64s(w, scores);
            w.extend(labels.iter().map(|l| (*l == Key::Int(1)) as u8));
        }
        State::Regression(predictions, targets) => {
            w.push(11);
            put_f64s(w, predictions);
            targets.iter().for_each(|v| w.extend_from_slice(&v.to_le_bytes()));
        }
        State::Categories(counts) => {
            w.push(12);
            put_counts(w, counts);
        }
    }
}

fn get_str(r: &mut Reader<'_>, what: &str) -> seamdb_storage::Result<String> {
    let n = r.u32(what)? as usize;
    r.str(n, what).map(str::to_string)
}

fn get_f64s(r: &mut Reader<'_>) -> seamdb_storage::Result<Vec<f64>> {
    let n = r.u64("values")?;
    let n = r.len(n, 8, "values")?;
    r.pod_vec(n, "values")
}

fn get_counts(r: &mut Reader<'_>) -> seamdb_storage::Result<HashMap<Key, u64>> {
    (0..r.u32("categories")?).map(|_| Ok((get_key(r)?, r.u64("rows")?))).collect()
}

fn get_key(r: &mut Reader<'_>) -> seamdb_storage::Result<Key> {
    Ok(match r.u8("key")? {
        0 => Key::Null,
        1 => Key::Int(r.i64("int")?),
        2 => Key::Float(r.u64("float")?),
        3 => Key::Bool(r.u8("bool")? != 0),
        4 => Key::Str(get_str(r, "string")?),
        5 => Key::Time(r.i64("time")?),
        6 => Key::TraceId(Trace::new(r.u128("trace ID")?)),
        tag => return Err(r.corrupt(format!("key tag {tag}"))),
    })
}

fn get_state(r: &mut Reader<'_>) -> seamdb_storage::Result<State> {
    let f64_ = |r: &mut Reader<'_>, what: &str| r.u64(what).map(f64::from_bits);
    Ok(match r.u8("state")? {
        0 => State::Rows(r.u64("rows")?),
        1 => State::Counts(r.u64("counted")?, r.u64("all")?),
        2 => State::Sum(f64_(r, "sum")?, r.u64("n")?, r.u8("ints")? != 0),
        3 => State::Extreme(match r.u8("extreme")? {
            0 => None,
            _ => Some(get_key(r)?),
        }),
        5 => State::Numbers(get_f64s(r)?, Vec::new()),
        6 => State::Distinct((0..r.u32("distinct")?).map(|_| get_key(r)).collect::<seamdb_storage::Result<HashSet<_>>>()?),
        7 => State::Confusion(Confusion { tp: r.u64("tp")?, fp: r.u64("fp")?, fn_: r.u64("fn")?, tn: r.u64("tn")? }),
        8 => State::Agree(r.u64("equal")?, r.u64("pairs")?),
        9 => {
            let mut edges = [0.0; 9];
            for e in &mut edges {
                *e = f64_(r, "edge")?;
            }
            let mut counts = [0u64; 10];
            for c in &mut counts {
                *c = r.u64("bin")?;
            }
            State::Binned(Bins { edges }, counts)
        }
        10 => {
            let scores = get_f64s(r)?;
            let labels = r.take(scores.len(), "labels")?.iter().map(|&p| Key::Int((p != 0) as i64)).collect();
            State::Scores(scores, labels)
        }
        11 => {
            let predictions = get_f64s(r)?;
            let targets = r.pod_vec(predictions.len(), "targets")?;
            State::Regression(predictions, targets)
        }
        12 => State::Categories(get_counts(r)?),
        tag => return Err(r.corrupt(format!("state tag {tag}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::{merge, Partial, State, MAX_ROWS};
    use crate::ast::{Select, Statement};
    use crate::metrics::drift::Bins;

    fn select() -> Select {
        match crate::parse_at("SELECT count() AS n, quantile(score, 0.5) AS q, psi(score) AS p FROM inference REFERENCE inference", 0) {
            Ok(Statement::Select(s)) => *s,
            other => panic!("{other:?}"),
        }
    }

    /// One group of `rows` rows with the given states, encoded.
    fn group(s: &Select, rows: u64, states: Vec<State>) -> Vec<u8> {
        let mut p = Partial::new(s);
        p.groups = Some(vec![((None, Vec::new()), rows, states)]);
        p.encode()
    }

    /// States no scan writes are refused when read (they were the fuzz target's finds: a
    /// sum of bin counts that overflowed, and a NaN on which KS never ended), and merged rows
    /// stop at what a database can hold.
    #[test]
    fn states_no_scan_writes_are_refused() {
        let s = select();
        let bins = || Bins { edges: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] };
        let good = group(&s, 3, vec![State::Rows(3), State::Numbers(vec![1.0, 2.0], Vec::new()), State::Binned(bins(), [1; 10])]);
        assert!(merge(&s, &[&good]).is_err(), "ten binned rows in a group of three");
        let good = group(&s, 10, vec![State::Rows(10), State::Numbers(vec![1.0, 2.0], Vec::new()), State::Binned(bins(), [1; 10])]);
        merge(&s, &[&good, &good]).unwrap();
        let bad = [
            group(&s, 10, vec![State::Rows(10), State::Numbers(vec![1.0, f64::NAN], Vec::new()), State::Binned(bins(), [1; 10])]),
            group(&s, u64::MAX, vec![State::Rows(1), State::Numbers(Vec::new(), Vec::new()), State::Binned(bins(), [u64::MAX / 2; 10])]),
        ];
        for bytes in &bad {
            let e = merge(&s, &[bytes]).unwrap_err().to_string();
            assert!(e.contains("no scan writes"), "{e}");
        }
        let big = group(&s, MAX_ROWS, vec![State::Rows(MAX_ROWS), State::Numbers(Vec::new(), Vec::new()), State::Binned(bins(), [0; 10])]);
        let e = merge(&s, &[&big, &big]).unwrap_err().to_string();
        assert!(e.contains("count past"), "{e}");
    }
}
