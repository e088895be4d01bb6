//! The row-at-a-time executor: the plain reference the columnar executor is checked against
//! in the tests. It evaluates every expression value by value and joins through a hash of
//! each joined component's latest event per trace, built per query.

use super::eval::{eval, truth};
use super::join::{latest_events, Latest};
use super::plan::Plan;
use super::value::{Key, Val};
use super::Groups;
use crate::error::Result;
use seamdb_storage::Part;
use std::collections::HashMap;

/// Filters each part's rows, matches them with joined events, assigns them to groups and
/// feeds the aggregates.
pub(super) fn accumulate(plan: &Plan<'_>) -> Result<Groups> {
    let joined: Vec<(Vec<Part<'_>>, HashMap<u128, Latest>)> = plan.joins.iter().map(|j| latest_events(j, plan.as_of)).collect();
    let mut groups = Groups::default();
    for part in plan.component.parts().filter(|p| plan.reads(p)) {
        let times = part.times();
        let mut rows: Vec<u32> = (0..part.rows() as u32).filter(|&r| plan.as_of.is_none_or(|t| times[r as usize] <= t)).collect();
        let hits = |rows: &[u32]| -> Vec<Vec<Option<(u32, u32)>>> {
            let ids = part.trace_ids();
            joined.iter().map(|(_, latest)| rows.iter().map(|&r| latest.get(&ids[r as usize]).map(|l| (l.part, l.row))).collect()).collect()
        };
        if let Some(f) = &plan.select.filter {
            let found = hits(&rows);
            let at = plan.rows(part, &rows, &joined, found.clone());
            let keep = eval(f, &at)?;
            let matched = |i: usize| plan.filter_joins.iter().all(|&j| found[j][i].is_some());
            rows = rows
                .iter()
                .zip(keep)
                .enumerate()
                .filter(|(i, (_, v))| truth(*v) == Some(true) && matched(*i))
                .map(|(_, (&r, _))| r)
                .collect();
        }
        let at = plan.rows(part, &rows, &joined, hits(&rows));
        let key_values = plan.keys.iter().map(|e| eval(e, &at)).collect::<Result<Vec<_>>>()?;
        let arg_values =
            plan.aggregates.iter().map(|a| a.args.iter().map(|e| eval(e, &at)).collect::<Result<Vec<_>>>()).collect::<Result<Vec<_>>>()?;
        for (i, &r) in rows.iter().enumerate() {
            let window = plan.window.as_ref().map(|w| w.start(w.index(times[r as usize])));
            let key: Vec<Key> = key_values.iter().map(|v| v[i].exact_key()).collect();
            let g = groups.find(plan, (window, key));
            groups.rows[g] += 1;
            for (a, (agg, args)) in plan.aggregates.iter().zip(&arg_values).enumerate() {
                let row_args: Vec<Val<'_>> = args.iter().map(|v| v[i]).collect();
                groups.states[a][g].add(&agg.func, &row_args);
            }
        }
    }
    Ok(groups)
}
