#!/usr/bin/env python3
"""Golden values for SeamDB's metric functions, computed by scikit-learn, SciPy and NumPy.

Writes dataset.json (the inputs) and expected.json (the answers) beside this script; the
test `metrics::golden_values_match_scikit_learn_and_scipy` recomputes every value with
SeamDB's own functions and compares. Re-run after changing the dataset:

    pip install numpy scipy scikit-learn
    python3 tests/data/metrics/make_golden.py
"""
import json, os
import numpy as np
import scipy
import sklearn
from scipy.spatial.distance import jensenshannon
from scipy.stats import chisquare, ks_2samp, wasserstein_distance
from sklearn import metrics as m

rng = np.random.default_rng(20260105)
n = 300
score = np.round(rng.uniform(0, 1, n), 4)            # rounded: ties exercise AUC's half counts
label = (rng.uniform(0, 1, n) < score).astype(int)
pred_class = rng.integers(0, 3, n)
label_class = np.where(rng.uniform(0, 1, n) < 0.6, pred_class, rng.integers(0, 3, n))
y_true = rng.normal(50, 10, n)
y_pred = y_true + rng.normal(0, 4, n)
window = rng.normal(1.0, 1.3, 400)
reference = rng.normal(0.0, 1.0, 500)
categories = ["US", "DE", "IN", "BR"]
window_cats = rng.choice(categories, 250, p=[0.5, 0.2, 0.2, 0.1])
reference_cats = rng.choice(categories, 300, p=[0.4, 0.3, 0.2, 0.1])
window_cats_unseen = np.concatenate([window_cats, ["JP"] * 7])
# A bool feature: chi2 and unseen take bools as categories (drawn last, so that the draws
# above are the same as before these were added).
window_flags = rng.uniform(0, 1, 240) < 0.35
reference_flags = rng.uniform(0, 1, 260) < 0.5

pred = (score >= 0.5).astype(int)
edges = np.quantile(reference, [j / 10 for j in range(1, 10)])
def props(x):
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=10)
    return counts / len(x)
a, r = props(window), props(reference)
af, rf = np.maximum(a, 1e-4), np.maximum(r, 1e-4)
ref_counts = {c: int((reference_cats == c).sum()) for c in categories}
win_counts = {c: int((window_cats == c).sum()) for c in categories}
observed = np.array([win_counts[c] for c in categories], dtype=float)
expected_counts = observed.sum() * np.array([ref_counts[c] for c in categories]) / sum(ref_counts.values())
quantiles = [0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0]

dataset = {
    "score": score.tolist(), "label": label.tolist(), "pred_class": pred_class.tolist(), "label_class": label_class.tolist(),
    "y_true": y_true.tolist(), "y_pred": y_pred.tolist(), "window": window.tolist(), "reference": reference.tolist(),
    "window_cats": window_cats.tolist(), "reference_cats": reference_cats.tolist(), "window_cats_unseen": window_cats_unseen.tolist(),
    "quantiles": quantiles,
    "window_flags": window_flags.tolist(), "reference_flags": reference_flags.tolist(),
}
flag_observed = np.array([(window_flags == v).sum() for v in (False, True)], dtype=float)
flag_expected = flag_observed.sum() * np.array([(reference_flags == v).sum() for v in (False, True)]) / len(reference_flags)
expected = {
    "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__},
    "accuracy_multiclass": m.accuracy_score(label_class, pred_class),
    "accuracy_binary": m.accuracy_score(label, pred),
    "precision": m.precision_score(label, pred),
    "recall": m.recall_score(label, pred),
    "f1": m.f1_score(label, pred),
    "roc_auc": m.roc_auc_score(label, score),
    "log_loss": m.log_loss(label, score),
    "brier": m.brier_score_loss(label, score),
    "mae": m.mean_absolute_error(y_true, y_pred),
    "rmse": m.root_mean_squared_error(y_true, y_pred),
    "mape": m.mean_absolute_percentage_error(y_true, y_pred),
    "r2": m.r2_score(y_true, y_pred),
    "quantiles": [float(np.quantile(y_true, q)) for q in quantiles],
    "stddev": float(np.std(y_true, ddof=1)),
    "bin_edges": edges.tolist(),
    "psi": float(np.sum((af - rf) * np.log(af / rf))),
    "js": float(jensenshannon(a, r, base=2)),
    "ks": float(ks_2samp(window, reference).statistic),
    "wasserstein": float(wasserstein_distance(window, reference)),
    "chi2": float(chisquare(observed, expected_counts).statistic),
    "unseen": 7,
    "chi2_bool": float(chisquare(flag_observed, flag_expected).statistic),
}
# p-values (SPEC §4): chi2_p = chi2.sf(chi2, k - 1); ks_p = kolmogorov(sqrt(n m / (n + m)) D),
# the asymptotic form (not ks_2samp's exact one). Then each function alone across its
# regimes (tails far below 1e-12 included: compared relatively), for the series and the
# continued fraction of the incomplete gamma, and both sums of the Kolmogorov function.
from scipy.special import kolmogorov
from scipy.stats import chi2 as chi2_dist
d = ks_2samp(window, reference).statistic
expected["chi2_p"] = float(chi2_dist.sf(expected["chi2"], len(categories) - 1))
expected["chi2_bool_p"] = float(chi2_dist.sf(expected["chi2_bool"], 1))
expected["ks_p"] = float(kolmogorov(np.sqrt(len(window) * len(reference) / (len(window) + len(reference))) * d))
expected["chi2_sf"] = [[x, k, float(chi2_dist.sf(x, k))] for k in (1, 2, 3, 5, 10, 40) for x in (0.01, 0.5, 1.0, 3.0, 7.8, 20.0, 60.0, 200.0)]
expected["kolmogorov"] = [[x, float(kolmogorov(x))] for x in (0.05, 0.2, 0.5, 0.8, 1.0, 1.1, 1.2, 1.5, 2.0, 3.0, 5.0)]
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "dataset.json"), "w") as f:
    json.dump(dataset, f)
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
print(json.dumps(expected, indent=1))
