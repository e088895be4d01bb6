//! `REFERENCE`: the distribution drift metrics compare each group against. A reference field
//! is read once per query: its numbers sorted (for bins, KS and Wasserstein) or its
//! categories counted (for χ² and unseen).

use super::columnar::Scan;
use super::plan::time_bounds;
use super::value::{Key, Val};
use super::vector::{eval, Data};
use crate::ast::{Expr, Reference};
use crate::error::Result;
use crate::metrics::drift::Bins;
use seamdb_storage::ComponentView;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One reference field's data.
#[derive(Debug, Default)]
pub(crate) struct RefData {
    /// Non-null numbers (numeric fields), in no particular order.
    pub values: Vec<f64>,
    /// The same, ascending: sorted at first need (KS, Wasserstein).
    sorted: OnceLock<Vec<f64>>,
    pub bins: Option<Bins>,
    /// Each bin's share of the reference.
    pub shares: Option<[f64; 10]>,
    /// Rows per category (tag and bool fields).
    pub counts: HashMap<Key, u64>,
}

/// Reads `field` of the reference component: events with `time <= as_of` that pass its filter.
pub(crate) fn load(component: &ComponentView<'_>, reference: &Reference, field: &str, as_of: Option<i64>) -> Result<RefData> {
    // Only the rows here: `RefData::new` works out the rest.
    let mut data = RefData::rows(Vec::new(), HashMap::new());
    let column = Expr::Column(crate::ast::ColumnRef { component: None, field: field.to_string() });
    let (lo, hi) = reference.filter.as_ref().map_or((i64::MIN, i64::MAX), |f| time_bounds(f, component.name()));
    let scan = Scan {
        driving: *component,
        joins: Vec::new(),
        filter: reference.filter.as_ref(),
        time_bounds: (lo, hi.min(as_of.unwrap_or(i64::MAX))),
        filter_joins: &[],
    };
    scan.run(0..usize::MAX, |_, at| {
        let values = eval(&column, at)?;
        // Bools are categories here (χ², unseen), not the numbers 0 and 1 they are to mean().
        if matches!(values.data, Data::Float(_) | Data::Int(_)) {
            let numbers = values.f64s();
            let kept = (0..at.rows.len()).filter(|&i| values.is_valid(i) && !numbers[i].is_nan());
            data.values.extend(kept.map(|i| numbers[i]));
            return Ok(());
        }
        for i in 0..at.rows.len() {
            match values.get(i) {
                v @ (Val::Str(_) | Val::Bool(_)) => *data.counts.entry(v.key()).or_default() += 1,
                other => data.values.extend(other.num().filter(|x| !x.is_nan())),
            }
        }
        Ok(())
    })?;
    Ok(RefData::new(data.values, data.counts))
}

impl RefData {
    /// Only the rows, with nothing worked out: partial states put them together first.
    pub fn rows(values: Vec<f64>, counts: HashMap<Key, u64>) -> RefData {
        RefData { values, counts, ..RefData::default() }
    }

    /// A reference field's data from its rows: the non-null numbers (in any order) and the
    /// rows per category. The bins' edges are the numbers' deciles.
    pub fn new(mut values: Vec<f64>, counts: HashMap<Key, u64>) -> RefData {
        let bins = Bins::from_reference(&mut values);
        let shares = bins.as_ref().and_then(|b| b.proportions(&values));
        RefData { values, sorted: OnceLock::new(), bins, shares, counts }
    }

    /// The reference's numbers, ascending.
    pub fn sorted(&self) -> &[f64] {
        self.sorted.get_or_init(|| {
            let mut sorted = self.values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            sorted
        })
    }
}
