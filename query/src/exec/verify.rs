//! What a query reads from sealed segments, verified before anything reads it. A database
//! opens its segments deferred: storage checks a group of sections (a field, the times, the
//! trace index) the first time it is asked to, once per process, so a query pays for the
//! columns it reads instead of every byte of the database (docs/RELIABILITY.md). Everything
//! below must ask for each group a `SELECT` will touch; whatever it misses would be read
//! unverified.

use super::plan::columns;
use crate::ast::{GroupKey, Select};
use crate::error::Result;
use seamdb_storage::segment::Group;
use seamdb_storage::{ComponentView, StoredJoin};

/// Verifies the groups a `SELECT` reads: per component, its times, the fields it names, and
/// the trace index where the join (or `trace_id`) needs it. `whole`: every group of every
/// component (the row-at-a-time executor and the hash join read all of them).
pub(super) fn reads(
    s: &Select,
    driving: &ComponentView<'_>,
    joins: &[ComponentView<'_>],
    stored: &[Option<StoredJoin<'_>>],
    reference: Option<&ComponentView<'_>>,
    whole: bool,
) -> Result<()> {
    let mut named: Vec<(Option<&str>, &str)> = Vec::new();
    let exprs = s.items.iter().map(|i| &i.expr).chain(&s.filter);
    let keys = s.group_by.iter().flat_map(|g| match g {
        GroupKey::Column(c) => vec![c],
        GroupKey::Expr { expr, .. } => columns(expr),
        GroupKey::Window { .. } => Vec::new(),
    });
    for c in exprs.flat_map(columns).chain(keys) {
        named.push((c.component.as_deref(), &c.field));
    }
    // The join reads trace IDs and times on both sides unless every sealed driving segment has
    // its stored join, no tail needs laying over and no row can fall back under AS OF.
    let all_stored = joins.iter().zip(stored).all(|(j, st)| super::join::stored_segments(driving, j, *st) == driving.segments().len());
    let tails = driving.tail().next().is_some() || joins.iter().any(|j| j.tail().next().is_some());
    let join_reads_traces = !joins.is_empty() && (whole || s.as_of.is_some() || !all_stored || tails);
    let names = |component: &ComponentView<'_>, is_driving: bool| -> Vec<&str> {
        let mine = |owner: Option<&str>| owner.map_or(is_driving, |o| o == component.name());
        named.iter().filter(|(owner, _)| mine(*owner)).map(|(_, field)| *field).collect()
    };
    let verify = |component: &ComponentView<'_>, fields: &[&str], trace: bool| -> Result<()> {
        for segment in component.segments() {
            if whole {
                segment.verify_all()?;
                continue;
            }
            segment.verify(Group::Time)?;
            if trace || fields.contains(&"trace_id") {
                segment.verify(Group::Trace)?;
            }
            for field in fields {
                segment.verify(Group::Field(field))?;
            }
        }
        Ok(())
    };
    verify(driving, &names(driving, true), join_reads_traces)?;
    for j in joins {
        verify(j, &names(j, false), join_reads_traces)?;
    }
    if let Some(r) = reference {
        let mut fields: Vec<&str> = r.schema().fields().iter().map(|(f, _)| f.as_str()).collect();
        fields.extend(named.iter().map(|(_, f)| *f).filter(|f| *f == "trace_id"));
        verify(r, &fields, false)?;
    }
    Ok(())
}
