//! Partial states (`seamdb_query::partial`, docs/DISTRIBUTED.md) on arbitrary bytes: merging
//! them, and finishing them into an answer, must give states, a table or an error, and never
//! panic, hang or allocate beyond what the bytes can hold. The query touches every kind of
//! state (counts, sums, extremes, values, sets, class pairs, bins, scores, categories) and
//! reference rows; the first byte picks where the input goes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use seamdb_query::ast::{Select, Statement};
use seamdb_query::partial;
use std::sync::OnceLock;

/// The query the corpus (corpus/partial/) was made with, `now()` at 0.
pub const QUERY: &str = "SELECT count() AS n, count(score) AS c, sum(score) AS s, min(country) AS lo, \
    quantile(score, 0.5) AS q, distinct(country) AS d, precision(score >= 0.5, label) AS p, \
    accuracy(score >= 0.5, label) AS a, psi(score) AS psi, ks(score) AS ks, roc_auc(score, label) AS auc, \
    mae(score, label) AS e, chi2(country) AS x FROM inference REFERENCE inference \
    GROUP BY window(1h), country HAVING n > 0 ORDER BY n DESC LIMIT 5";

fn select() -> &'static Select {
    static S: OnceLock<Select> = OnceLock::new();
    S.get_or_init(|| match seamdb_query::parse_at(QUERY, 0) {
        Ok(Statement::Select(s)) => *s,
        other => panic!("the fuzz query: {other:?}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&how, bytes)) = data.split_first() else { return };
    let s = select();
    match how % 3 {
        // Merged alone, and with itself (which may count past the rows any database holds,
        // an error): what a merge writes, a merge reads.
        0 => {
            if let Ok(once) = partial::merge(s, &[bytes]) {
                partial::merge(s, &[&once]).expect("a merge reads what a merge wrote");
                if let Ok(twice) = partial::merge(s, &[&once, bytes]) {
                    partial::merge(s, &[&twice]).expect("a merge reads what a merge wrote");
                }
            }
        }
        // As the merged groups, with the same bytes as their context (schemas, references).
        1 => {
            let _ = partial::finish(s, bytes, bytes);
        }
        // Split in two: a context and groups.
        _ => {
            let at = bytes.len() / 2;
            let _ = partial::check(s, &bytes[..at]);
            let _ = partial::finish(s, &bytes[..at], &bytes[at..]);
        }
    }
});
