//! The join: for each joined component, where every trace's latest event is. Built once per
//! query by hashing the component's trace IDs — the plain strategy the join index will be
//! measured against.

use seamdb_storage::{ComponentView, Part};
use std::collections::HashMap;

/// Where a trace's latest event in a joined component is.
#[derive(Clone, Copy)]
pub(super) struct Latest {
    pub time: i64,
    pub part: u32,
    pub row: u32,
}

/// The joined component's parts and, per trace, its latest event with `time <= as_of`. Equal
/// times resolve to the event stored later (a later part, or a later row of a part).
pub(super) fn latest_events<'a>(component: &ComponentView<'a>, as_of: Option<i64>) -> (Vec<Part<'a>>, HashMap<u128, Latest>) {
    let parts: Vec<Part<'a>> = component.parts().collect();
    let mut latest: HashMap<u128, Latest> = HashMap::new();
    for (p, part) in parts.iter().enumerate() {
        for (r, (&id, &time)) in part.trace_ids().iter().zip(part.times()).enumerate() {
            if as_of.is_some_and(|t| time > t) {
                continue;
            }
            let candidate = Latest { time, part: p as u32, row: r as u32 };
            latest
                .entry(id)
                .and_modify(|l| {
                    if time >= l.time {
                        *l = candidate
                    }
                })
                .or_insert(candidate);
        }
    }
    (parts, latest)
}
