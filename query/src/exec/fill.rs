//! `GROUP BY window(…) … FILL` (SPEC §4): every window from the query's lower to its upper
//! time bound appears, for every combination of the other group keys found in the result,
//! with `count()` 0 and every other item null — so a component that stopped writing shows as
//! zeros, not as rows nobody notices are missing.

use super::agg::Func;
use super::plan::Plan;
use super::GroupId;
use crate::error::{Error, Result};
use crate::output::Cell;
use std::collections::{BTreeSet, HashSet};

/// The most rows `FILL` may add: beyond it the time range is surely not what was meant.
const MAX_FILLED: usize = 1_000_000;

/// Adds the missing (window, keys) groups to `groups`.
pub(super) fn fill(plan: &Plan<'_>, groups: &mut Vec<(GroupId, Vec<Cell>)>) -> Result<()> {
    // `select` refuses FILL without a window before anything is read.
    let Some(window) = &plan.window else { return Ok(()) };
    // The query's time bounds (WHERE time conditions, AS OF), else the driving component's
    // first and last event.
    let (lo, hi) = plan.time_bounds;
    let range = plan.time_range;
    let (Some(lo), Some(hi)) =
        (if lo == i64::MIN { range.map(|r| r.0) } else { Some(lo) }, if hi == i64::MAX { range.map(|r| r.1) } else { Some(hi) })
    else {
        return Ok(()); // no bound and no events: nothing to fill between
    };
    if lo > hi {
        return Ok(());
    }
    let mut combinations: BTreeSet<_> = groups.iter().map(|((_, keys), _)| keys.clone()).collect();
    if combinations.is_empty() && plan.keys.is_empty() {
        combinations.insert(Vec::new());
    }
    let (first, last) = (window.index(lo), window.index(hi));
    let windows = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
    if windows.saturating_mul(combinations.len()) > MAX_FILLED + groups.len() {
        return Err(Error::Invalid(format!(
            "FILL would make {windows} windows for each of {} key combinations; narrow the time range (WHERE time …) or widen the window",
            combinations.len()
        )));
    }
    let empty: Vec<Cell> =
        plan.aggregates.iter().map(|a| if matches!(a.func, Func::CountRows | Func::Count) { Cell::Int(0) } else { Cell::Null }).collect();
    let present: HashSet<GroupId> = groups.iter().map(|(id, _)| id.clone()).collect();
    for w in first..=last {
        for keys in &combinations {
            let id = (Some(window.start(w)), keys.clone());
            if !present.contains(&id) {
                groups.push((id, empty.clone()));
            }
        }
    }
    Ok(())
}
