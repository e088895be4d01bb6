//! SeamQL's metric functions against scikit-learn / SciPy golden values
//! (`tests/data/metrics/make_golden.py`) and against naive implementations on random data.

use proptest::prelude::*;
use seamdb::query::metrics::classification::{accuracy, brier, log_loss, roc_auc, Confusion};
use seamdb::query::metrics::distribution::{quantile, stddev};
use seamdb::query::metrics::drift::{chi2, chi2_sf, js, kolmogorov, ks, ks_p, psi, unseen, wasserstein, Bins};
use seamdb::query::metrics::regression::{mae, mape, r2, rmse};
use serde_json::Value as Json;
use std::collections::HashMap;

fn load(name: &str) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/metrics").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn strings(v: &Json) -> Vec<String> {
    v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect()
}

fn close(name: &str, ours: Option<f64>, theirs: f64) {
    let ours = ours.unwrap_or_else(|| panic!("{name}: SeamDB says undefined, the reference says {theirs}"));
    let tolerance = 1e-12 * theirs.abs().max(1.0);
    assert!((ours - theirs).abs() <= tolerance, "{name}: SeamDB {ours} vs reference {theirs}");
}

fn counts(values: &[String]) -> HashMap<String, u64> {
    let mut m = HashMap::new();
    values.iter().for_each(|v| *m.entry(v.clone()).or_default() += 1);
    m
}

#[test]
fn golden_values_match_scikit_learn_and_scipy() {
    let d = load("dataset.json");
    let e = load("expected.json");
    let score = floats(&d["score"]);
    let label: Vec<i64> = floats(&d["label"]).iter().map(|&x| x as i64).collect();
    let positive: Vec<bool> = label.iter().map(|&l| l == 1).collect();
    let pred: Vec<i64> = score.iter().map(|&s| (s >= 0.5) as i64).collect();
    let pred_class = floats(&d["pred_class"]);
    let label_class = floats(&d["label_class"]);
    let (y_true, y_pred) = (floats(&d["y_true"]), floats(&d["y_pred"]));
    let f = |k: &str| e[k].as_f64().unwrap();

    close("accuracy multiclass", accuracy(pred_class.iter().zip(&label_class)), f("accuracy_multiclass"));
    close("accuracy binary", accuracy(pred.iter().zip(&label)), f("accuracy_binary"));
    let confusion = Confusion::from_pairs(pred.iter().copied().zip(label.iter().copied()), &1);
    close("precision", confusion.precision(), f("precision"));
    close("recall", confusion.recall(), f("recall"));
    close("f1", confusion.f1(), f("f1"));
    close("roc_auc", roc_auc(&score, &positive), f("roc_auc"));
    close("log_loss", log_loss(&score, &positive), f("log_loss"));
    let label_f: Vec<f64> = label.iter().map(|&l| l as f64).collect();
    close("brier", brier(&score, &label_f), f("brier"));
    close("mae", mae(&y_pred, &y_true), f("mae"));
    close("rmse", rmse(&y_pred, &y_true), f("rmse"));
    close("mape", mape(&y_pred, &y_true), f("mape"));
    close("r2", r2(&y_pred, &y_true), f("r2"));
    for (q, want) in floats(&d["quantiles"]).into_iter().zip(floats(&e["quantiles"])) {
        close(&format!("quantile {q}"), quantile(&mut y_true.clone(), q), want);
    }
    close("stddev", stddev(&y_true), f("stddev"));

    let (window, reference) = (floats(&d["window"]), floats(&d["reference"]));
    let mut sorted_ref = reference.clone();
    sorted_ref.sort_by(f64::total_cmp);
    let mut sorted_win = window.clone();
    sorted_win.sort_by(f64::total_cmp);
    let bins = Bins::from_sorted_reference(&sorted_ref).unwrap();
    for (ours, theirs) in bins.edges.iter().zip(floats(&e["bin_edges"])) {
        close("bin edge", Some(*ours), theirs);
    }
    let (a, r) = (bins.proportions(&window).unwrap(), bins.proportions(&reference).unwrap());
    close("psi", Some(psi(&a, &r)), f("psi"));
    close("js", Some(js(&a, &r)), f("js"));
    close("ks", ks(&sorted_win, &sorted_ref), f("ks"));
    close("wasserstein", wasserstein(&sorted_win, &sorted_ref), f("wasserstein"));
    let (wc, rc) = (counts(&strings(&d["window_cats"])), counts(&strings(&d["reference_cats"])));
    close("chi2", chi2(&wc, &rc), f("chi2"));
    // p-values: compared relatively, as tails far below the absolute tolerance must still be
    // right (an answer of 0 would pass an absolute check).
    let relative = |name: &str, ours: f64, theirs: f64| {
        assert!((ours - theirs).abs() <= 1e-10 * theirs.abs(), "{name}: SeamDB {ours:e} vs SciPy {theirs:e}");
    };
    relative("chi2_p", chi2_sf(chi2(&wc, &rc).unwrap(), (rc.len() - 1) as f64), f("chi2_p"));
    relative("ks_p", ks_p(ks(&sorted_win, &sorted_ref).unwrap(), sorted_win.len(), sorted_ref.len()), f("ks_p"));
    for case in e["chi2_sf"].as_array().unwrap() {
        let [x, k, p] = [0, 1, 2].map(|i| case[i].as_f64().unwrap());
        relative(&format!("chi2.sf({x}, {k})"), chi2_sf(x, k), p);
    }
    for case in e["kolmogorov"].as_array().unwrap() {
        let [x, p] = [0, 1].map(|i| case[i].as_f64().unwrap());
        relative(&format!("kolmogorov({x})"), kolmogorov(x), p);
    }
    let with_unseen = counts(&strings(&d["window_cats_unseen"]));
    assert_eq!(chi2(&with_unseen, &rc), None, "a category absent from the reference makes chi2 null");
    assert_eq!(unseen(&with_unseen, &rc), e["unseen"].as_u64().unwrap());
}

#[test]
fn undefined_cases_are_none_as_the_spec_says() {
    assert_eq!(accuracy(Vec::<(i64, i64)>::new()), None);
    let none_predicted = Confusion::from_pairs([(0, 1), (0, 0)], &1);
    assert_eq!((none_predicted.precision(), none_predicted.recall(), none_predicted.f1()), (None, Some(0.0), Some(0.0)));
    assert_eq!(Confusion::from_pairs([(0, 0)], &1).f1(), None);
    assert_eq!(roc_auc(&[0.2, 0.9], &[true, true]), None, "one class only");
    assert_eq!(roc_auc(&[0.5, 0.5], &[true, false]), Some(0.5), "a tie counts one half");
    assert_eq!(r2(&[1.0], &[1.0]), None);
    assert_eq!(r2(&[1.0, 2.0], &[3.0, 3.0]), None, "no variance in the target");
    assert_eq!(stddev(&[1.0]), None);
    assert_eq!(quantile(&mut [], 0.5), None);
    assert_eq!(ks(&[], &[1.0]), None);
    let clipped = log_loss(&[0.0], &[true]).unwrap();
    assert!((clipped - -(f64::EPSILON).ln()).abs() < 1e-9, "a certain wrong answer costs -ln(eps), not infinity");
}

/// The textbook O(n²) forms.
fn naive_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (i, &p) in positive.iter().enumerate() {
        for (j, &q) in positive.iter().enumerate() {
            if p && !q {
                pairs += 1.0;
                wins += if scores[i] > scores[j] {
                    1.0
                } else if scores[i] == scores[j] {
                    0.5
                } else {
                    0.0
                };
            }
        }
    }
    (pairs > 0.0).then(|| wins / pairs)
}

fn cdf(sorted: &[f64], x: f64) -> f64 {
    sorted.iter().filter(|&&v| v <= x).count() as f64 / sorted.len() as f64
}

fn naive_ks(a: &[f64], b: &[f64]) -> f64 {
    a.iter().chain(b).map(|&x| (cdf(a, x) - cdf(b, x)).abs()).fold(0.0, f64::max)
}

fn naive_wasserstein(a: &[f64], b: &[f64]) -> f64 {
    let mut xs: Vec<f64> = a.iter().chain(b).copied().collect();
    xs.sort_by(f64::total_cmp);
    xs.windows(2).map(|w| (cdf(a, w[0]) - cdf(b, w[0])).abs() * (w[1] - w[0])).sum()
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

proptest! {
    #[test]
    fn ranking_and_distance_metrics_match_naive_forms(
        rows in proptest::collection::vec((0u8..20, any::<bool>()), 1..120),
        a in proptest::collection::vec(-50i32..50, 1..80),
        b in proptest::collection::vec(-50i32..50, 1..80),
    ) {
        // Scores on a coarse grid, so ties are common.
        let scores: Vec<f64> = rows.iter().map(|r| r.0 as f64 / 20.0).collect();
        let positive: Vec<bool> = rows.iter().map(|r| r.1).collect();
        let (ours, naive) = (roc_auc(&scores, &positive), naive_auc(&scores, &positive));
        prop_assert_eq!(ours.is_some(), naive.is_some());
        if let (Some(x), Some(y)) = (ours, naive) {
            prop_assert!((x - y).abs() < 1e-12);
        }
        let a = sorted(a.iter().map(|&x| x as f64 / 4.0).collect());
        let b = sorted(b.iter().map(|&x| x as f64 / 4.0).collect());
        prop_assert!((ks(&a, &b).unwrap() - naive_ks(&a, &b)).abs() < 1e-12);
        prop_assert!((wasserstein(&a, &b).unwrap() - naive_wasserstein(&a, &b)).abs() < 1e-9);
    }

    #[test]
    fn confusion_metrics_and_bins_match_naive_counts(
        pairs in proptest::collection::vec((0u8..3, 0u8..3), 0..100),
        values in proptest::collection::vec(-20i32..20, 1..60),
        reference in proptest::collection::vec(-20i32..20, 1..60),
    ) {
        let c = Confusion::from_pairs(pairs.iter().copied(), &1);
        let tp = pairs.iter().filter(|p| p.0 == 1 && p.1 == 1).count() as f64;
        let predicted = pairs.iter().filter(|p| p.0 == 1).count() as f64;
        let actual = pairs.iter().filter(|p| p.1 == 1).count() as f64;
        prop_assert_eq!(c.precision(), (predicted > 0.0).then(|| tp / predicted));
        prop_assert_eq!(c.recall(), (actual > 0.0).then(|| tp / actual));
        prop_assert_eq!(c.f1(), (predicted + actual > 0.0).then(|| 2.0 * tp / (predicted + actual)));
        // Bins: left-closed, by a linear scan of the edges.
        let reference = sorted(reference.iter().map(|&x| x as f64).collect());
        let bins = Bins::from_sorted_reference(&reference).unwrap();
        for &v in &values {
            let v = v as f64;
            let naive = bins.edges.iter().filter(|&&e| e <= v).count();
            prop_assert_eq!(bins.bin(v), naive);
        }
        let props = bins.proportions(&values.iter().map(|&v| v as f64).collect::<Vec<_>>()).unwrap();
        prop_assert!((props.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}

/// χ² and unseen over a bool field (the query layer takes bools as categories, not as the
/// numbers 0 and 1), and the p-values of χ² over a tag and of KS over floats, through SeamQL,
/// against SciPy.
#[test]
fn drift_through_seamql_matches_scipy() {
    use seamdb::{BatchBuilder, TraceId, Value};
    let d = load("dataset.json");
    let e = load("expected.json");
    let dir = crate::support::temp();
    let db = crate::support::open(dir.path(), crate::support::small_options());
    // Each field of its own length; a row past a field's end leaves it null, which every
    // drift function ignores.
    let fields = |flags: &str, cats: &str, xs: &str| [flags, cats, xs].map(|k| d[k].as_array().unwrap().clone());
    for (component, [flags, cats, xs]) in
        [("live", fields("window_flags", "window_cats", "window")), ("training", fields("reference_flags", "reference_cats", "reference"))]
    {
        let mut batch = BatchBuilder::new();
        for i in 0..flags.len().max(cats.len()).max(xs.len()) {
            let mut values = Vec::new();
            if let Some(f) = flags.get(i) {
                values.push(("f", Value::Bool(f.as_bool().unwrap())));
            }
            if let Some(c) = cats.get(i) {
                values.push(("c", Value::Tag(c.as_str().unwrap().into())));
            }
            if let Some(x) = xs.get(i) {
                values.push(("x", Value::Float(x.as_f64().unwrap())));
            }
            batch.push(TraceId(i as u128 + 1).0, 1_767_571_200_000_000 + i as i64, &values).unwrap();
        }
        db.append(component, batch.finish().unwrap()).unwrap();
    }
    let text = "SELECT chi2(f) AS c, unseen(f) AS u, chi2_p(f) AS cp, chi2_p(c) AS tp, ks_p(x) AS kp FROM live REFERENCE training";
    let table = seamdb::query::query(text, &db.snapshot()).unwrap();
    let float = |i: usize| match table.rows[0][i] {
        seamdb::query::Cell::Float(x) => x,
        ref other => panic!("column {i}: {other:?}"),
    };
    let relative = |name: &str, ours: f64, key: &str| {
        let theirs = e[key].as_f64().unwrap();
        assert!((ours - theirs).abs() <= 1e-10 * theirs.abs(), "{name}: SeamDB {ours:e} vs SciPy {theirs:e}");
    };
    close("chi2 of a bool field", Some(float(0)), e["chi2_bool"].as_f64().unwrap());
    assert_eq!(table.rows[0][1], seamdb::query::Cell::Int(0), "every window value occurs in the reference");
    relative("chi2_p of a bool field", float(2), "chi2_bool_p");
    relative("chi2_p of a tag field", float(3), "chi2_p");
    relative("ks_p of a float field", float(4), "ks_p");
}
