//! `REFERENCE`: the distribution drift metrics compare each group against. A reference field
//! is read once per query: its numbers sorted (for bins, KS and Wasserstein) or its
//! categories counted (for χ² and unseen).

use super::eval::{eval, truth, Rows};
use super::value::{Key, Val};
use crate::ast::{Expr, Reference};
use crate::error::Result;
use crate::metrics::drift::Bins;
use seamdb_storage::ComponentView;
use std::collections::HashMap;

/// One reference field's data.
#[derive(Debug, Default)]
pub(crate) struct RefData {
    /// Non-null numbers, ascending (numeric fields).
    pub sorted: Vec<f64>,
    pub bins: Option<Bins>,
    /// Rows per category (tag and bool fields).
    pub counts: HashMap<Key, u64>,
}

/// Reads `field` of the reference component: events with `time <= as_of` that pass its filter.
pub(crate) fn load(component: &ComponentView<'_>, reference: &Reference, field: &str, as_of: Option<i64>) -> Result<RefData> {
    let mut data = RefData::default();
    let column = Expr::Column(crate::ast::ColumnRef { component: None, field: field.to_string() });
    for part in component.parts() {
        let times = part.times();
        let mut rows: Vec<u32> = (0..part.rows() as u32).filter(|&r| as_of.is_none_or(|t| times[r as usize] <= t)).collect();
        if let Some(f) = &reference.filter {
            let keep = eval(f, &Rows { driving: component.name(), part, rows: &rows, joined: Vec::new() })?;
            rows = rows.into_iter().zip(keep).filter(|(_, v)| truth(*v) == Some(true)).map(|(r, _)| r).collect();
        }
        for v in eval(&column, &Rows { driving: component.name(), part, rows: &rows, joined: Vec::new() })? {
            match v {
                Val::Null => {}
                Val::Str(_) | Val::Bool(_) => *data.counts.entry(v.key()).or_default() += 1,
                other => data.sorted.extend(other.num()),
            }
        }
    }
    data.sorted.sort_unstable_by(f64::total_cmp);
    data.bins = Bins::from_sorted_reference(&data.sorted);
    Ok(data)
}
