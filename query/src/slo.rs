//! SLOs (SPEC §4, "SLOs and diagnosis"): a query grouped by window, a condition each of its
//! rows must meet (`EXPECT`) and a condition without which a row cannot be judged yet
//! (`WHEN`). Storage keeps the definition's text; this module checks it at `CREATE SLO` and
//! judges it from the database's history at `CHECK`, as of now or of any earlier time.

use crate::ast::{GroupKey, Slo};
use crate::error::{Error, Result};
use crate::exec::{self, Condition, Options};
use crate::output::{Cell, Table};
use crate::parser::parse_slo;
use crate::suggest::did_you_mean;
use seamdb_storage::Snapshot;

/// What one row of an SLO's query (one window, one group) says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// `EXPECT` is null: the metric is undefined (no rows, or no labels, in the window).
    NoData,
    /// `EXPECT` holds.
    Ok,
    /// `WHEN` does not hold (yet): too little to judge, e.g. too few labels in.
    Pending,
    /// `EXPECT` does not hold.
    Violated,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Ok, Status::Violated, Status::Pending, Status::NoData];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Violated => "violated",
            Status::Pending => "pending",
            Status::NoData => "no_data",
        }
    }
}

/// Checks a definition before it is stored: its query groups by a window and leaves the
/// time of judging to `CHECK` (no `AS OF`) and every window in (no `ORDER BY`, no `LIMIT`);
/// `EXPECT` and `WHEN` name only its items.
pub fn validate(slo: &Slo) -> Result<()> {
    let q = &slo.query;
    if !q.group_by.iter().any(|k| matches!(k, GroupKey::Window { .. })) {
        return Err(Error::Invalid(format!(
            "an SLO is judged per window: SLO {} needs GROUP BY window(…), e.g. GROUP BY window(1d)",
            slo.name
        )));
    }
    let refuse = |clause: &str, why: &str| Err(Error::Invalid(format!("an SLO's query takes no {clause}: {why}")));
    if q.as_of.is_some() {
        return refuse("AS OF", "CHECK SLO … AS OF t judges it as of any time");
    }
    if !q.order_by.is_empty() || q.limit.is_some() {
        return refuse("ORDER BY or LIMIT", "every window is judged, in time order");
    }
    let items: Vec<String> = q.items.iter().map(|i| i.name().to_owned()).collect();
    Condition::new(&slo.expect, q, &items, "EXPECT")?;
    if let Some(when) = &slo.when {
        Condition::new(when, q, &items, "WHEN")?;
    }
    Ok(())
}

/// An SLO judged: its query's rows (window, group keys, items) with a `status` column last,
/// and each row's status.
#[derive(Clone, Debug)]
pub struct Judged {
    pub name: String,
    pub table: Table,
    pub statuses: Vec<Status>,
    /// How many of the columns are the query's items (they come just before `status`).
    pub items: usize,
}

impl Judged {
    /// The start of row `row`'s window: its `window` cell, a time (or, in a time zone, the
    /// text of one with its offset).
    pub fn window_start(&self, row: usize) -> Option<i64> {
        self.table.rows.get(row)?.first()?.instant()
    }

    /// The newest violated row (the last in window order), if any.
    pub fn latest_violation(&self) -> Option<usize> {
        self.statuses.iter().rposition(|s| *s == Status::Violated)
    }

    /// The start of the newest window before row `row`'s in which its group met the SLO:
    /// the baseline that diagnosing that row's violation compares with.
    pub fn last_ok_before(&self, row: usize) -> Option<i64> {
        let keys = self.keys();
        let group = &self.table.rows[row][keys.clone()];
        let start = self.window_start(row)?;
        (0..row)
            .rev()
            .filter(|&r| self.statuses[r] == Status::Ok && self.table.rows[r][keys.clone()] == *group)
            .filter_map(|r| self.window_start(r))
            .find(|&w| w < start)
    }

    /// The columns of the group keys besides the window (between it and the items).
    pub fn keys(&self) -> std::ops::Range<usize> {
        1..self.table.columns.len() - 1 - self.items
    }

    /// The newest window's start (the `window` cell) and its status: the worst of its rows
    /// (violated, then pending, then ok; `no_data` only when every row is).
    pub fn latest(&self) -> Option<(&Cell, Status)> {
        let window = &self.table.rows.last()?[0];
        let status = self.table.rows.iter().zip(&self.statuses).filter(|(row, _)| row[0] == *window).map(|(_, s)| *s).max()?;
        Some((window, status))
    }
}

/// Judges the stored SLO `name` from `snapshot`, as the database would have at `as_of`
/// (everything it holds, without).
pub fn judge(snapshot: &Snapshot, name: &str, as_of: Option<i64>, options: &Options) -> Result<Judged> {
    let stored = snapshot
        .slo(name)
        .ok_or_else(|| Error::Name(format!("there is no SLO {name:?}{}", did_you_mean(name, snapshot.slos().map(|s| s.name.as_str())))))?;
    let slo = parse_slo(name, &stored.text)?;
    let mut query = slo.query;
    query.as_of = as_of;
    let mut table = exec::select(&query, snapshot, options)?;
    let expect = Condition::new(&slo.expect, &query, &table.columns, "EXPECT")?;
    let when = slo.when.as_ref().map(|w| Condition::new(w, &query, &table.columns, "WHEN")).transpose()?;
    let mut statuses = Vec::with_capacity(table.rows.len());
    for row in &mut table.rows {
        let status = match when.as_ref().map_or(Ok(Some(true)), |w| w.eval(row))? {
            Some(true) => match expect.eval(row)? {
                Some(true) => Status::Ok,
                Some(false) => Status::Violated,
                None => Status::NoData,
            },
            _ => Status::Pending,
        };
        row.push(Cell::Text(status.as_str().into()));
        statuses.push(status);
    }
    table.columns.push("status".into());
    Ok(Judged { name: name.to_owned(), table, statuses, items: query.items.len() })
}

/// Every stored SLO judged, by name.
pub fn judge_all(snapshot: &Snapshot, as_of: Option<i64>, options: &Options) -> Result<Vec<Judged>> {
    snapshot.slos().map(|s| judge(snapshot, &s.name, as_of, options)).collect()
}

/// `CHECK SLO name`: the judged rows. `CHECK SLOS`: one row per SLO with its rows counted by
/// status, and its newest window and that window's status.
pub(crate) fn check(snapshot: &Snapshot, name: Option<&str>, as_of: Option<i64>, options: &Options) -> Result<Table> {
    if let Some(name) = name {
        return Ok(judge(snapshot, name, as_of, options)?.table);
    }
    let mut table = Table::new(["slo", "windows", "ok", "violated", "pending", "no_data", "latest_window", "latest_status"]);
    for judged in judge_all(snapshot, as_of, options)? {
        let mut windows: Vec<&Cell> = judged.table.rows.iter().map(|r| &r[0]).collect();
        windows.dedup();
        let mut row = vec![Cell::Text(judged.name.clone()), Cell::Int(windows.len() as i64)];
        row.extend(Status::ALL.iter().map(|s| Cell::Int(judged.statuses.iter().filter(|x| *x == s).count() as i64)));
        match judged.latest() {
            Some((window, status)) => row.extend([window.clone(), Cell::Text(status.as_str().into())]),
            None => row.extend([Cell::Null, Cell::Null]),
        }
        table.rows.push(row);
    }
    Ok(table)
}

/// `SHOW SLOS`: name, definition, and when it was created.
pub(crate) fn show(snapshot: &Snapshot) -> Table {
    let mut table = Table::new(["slo", "definition", "created"]);
    for s in snapshot.slos() {
        table.rows.push(vec![Cell::Text(s.name.clone()), Cell::Text(s.text.clone()), Cell::Time(s.created_us)]);
    }
    table
}
