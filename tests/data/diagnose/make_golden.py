#!/usr/bin/env python3
"""Golden answers for DIAGNOSE (SPEC §4, "SLOs and diagnosis"; docs/QUERY.md "DIAGNOSE"),
computed by pandas and NumPy from the definitions, independently of SeamDB.

Four days (2026-03-02 .. 2026-03-05, UTC) of a model's predictions and their labels, with a
planted cause on the last day: from 2026-03-05T00:00:00Z the predictions for region `east`
are wrong more often than right (the label is drawn with probability 1 - score instead of
score), and the `income` feature shifts (multiplied by 1.6). A rare region `islands` appears
on the last day only (a value the baseline lacks: its metric there is null, and so is the
region's chi2); some regions are null (a slice of its own).

Writes beside this script:
- inference.csv  the driving component: score (float, some null), region and device (tags,
                 region sometimes null), premium (bool), age (int, some null), income (float,
                 some null);
- feedback.csv   labels (0/1) for 85% of predictions, 10 minutes to 6 hours later, a few null,
                 a few corrected later (the latest event is the one joined);
- golden.test    DIAGNOSE statements and their expected CSV answers (`query …`, `----`, CSV),
                 every figure and the order of the rows.

The test `diagnose::pandas_agrees_on_every_figure_and_the_ranking` loads both CSVs, runs
every statement through both executors and both join strategies, and compares text and ints
exactly, floats to 1e-9 relative, and the rows' order exactly. Re-run after changing
anything here (deterministic: the same files every run):

    pip install numpy pandas
    python3 tests/data/diagnose/make_golden.py
"""
import math
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20260305)

START = pd.Timestamp("2026-03-02", tz="UTC")
DAYS = 4
INCIDENT = pd.Timestamp("2026-03-05", tz="UTC")
N = 6000

# ---------------------------------------------------------------------------------------
# The data.

seconds = np.sort(rng.integers(0, DAYS * 86_400, N))
time = START + pd.to_timedelta(seconds, unit="s")
late = np.asarray(time >= INCIDENT)
region = rng.choice(["north", "south", "east", "west"], N, p=[0.35, 0.3, 0.2, 0.15]).astype(object)
region[late & (rng.uniform(0, 1, N) < 0.015)] = "islands"
region[rng.uniform(0, 1, N) < 0.02] = None
device = rng.choice(["android", "ios", "web"], N, p=[0.45, 0.4, 0.15])
premium = rng.uniform(0, 1, N) < 0.3
age = pd.array(rng.integers(18, 76, N), dtype="Int64")
age[rng.uniform(0, 1, N) < 0.01] = pd.NA
income = np.round(np.exp(rng.normal(10.5, 0.5, N)) * np.where(late, 1.6, 1.0), 2)
income[rng.uniform(0, 1, N) < 0.03] = np.nan
score = np.round(rng.uniform(0, 1, N), 3)
broken = late & (region == "east")
truth = (rng.uniform(0, 1, N) < np.where(broken, 1 - score, score)).astype(int)
score[rng.uniform(0, 1, N) < 0.02] = np.nan
trace = rng.choice(np.arange(10_000, 1_000_000), N, replace=False)

inference = pd.DataFrame({"trace_id": trace, "time": time, "score": score, "region": region, "device": device,
                          "premium": premium, "age": age, "income": income})

rows = []
for i in range(N):
    if rng.uniform() >= 0.85:
        continue
    at = time[i] + pd.Timedelta(seconds=int(rng.integers(600, 6 * 3600)))
    label = None if rng.uniform() < 0.01 else int(truth[i])
    rows.append((trace[i], at, label))
    if rng.uniform() < 0.03:
        rows.append((trace[i], at + pd.Timedelta(hours=2), 1 - int(truth[i])))
feedback = pd.DataFrame(rows, columns=["trace_id", "time", "label"]).sort_values("time", kind="stable")
feedback["label"] = feedback["label"].astype("Int64")

# The driving component's fields and their kinds, as SeamDB infers them from the CSV.
CATEGORIES = ["region", "device", "premium"]   # tag, tag, bool: slices and chi2
NUMBERS = ["score", "age", "income"]           # float, int, float: psi


def fmt(v):
    """A value as SeamDB's CSV output prints it: floats shortest round trip without a
    trailing .0, null empty, bools true/false."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return np.format_float_positional(float(v), unique=True, trim="-")
    return str(v)


def write_csvs():
    out = inference.copy()
    out["time"] = out.time.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(os.path.join(HERE, "inference.csv"), "w") as f:
        f.write(",".join(out.columns) + "\n")
        for r in out.itertuples(index=False):
            f.write(",".join(fmt(v) for v in r) + "\n")
    out = feedback.copy()
    out["time"] = out.time.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out.to_csv(os.path.join(HERE, "feedback.csv"), index=False)


# ---------------------------------------------------------------------------------------
# DIAGNOSE from its definitions.


def joined(as_of=None):
    """Each prediction with its trace's latest label (SPEC §4), as of a time."""
    d = inference if as_of is None else inference[inference.time <= as_of]
    f = feedback if as_of is None else feedback[feedback.time <= as_of]
    latest = f.sort_values("time", kind="stable").groupby("trace_id").tail(1).rename(columns={"time": "f_time"})
    j = d.merge(latest, on="trace_id", how="left")
    j["pred"] = pd.array(np.where(j.score.isna(), None, j.score >= 0.5), dtype="boolean")
    return j


# Each metric: (value over a frame of rows, the mask of rows that count toward it).
def accuracy(g):
    both = g[g.pred.notna() & g.label.notna()]
    return float((both.pred.astype(int) == both.label).mean()) if len(both) else None


def recall(g):
    pos = g[g.pred.notna() & g.label.notna() & (g.label == 1)]
    return float(pos.pred.astype(int).mean()) if len(pos) else None


def mean_label(g):
    x = g.label.dropna()
    return float(x.mean()) if len(x) else None


def count(g):
    return len(g)


METRICS = {
    "accuracy": (accuracy, lambda j: j.pred.notna() & j.label.notna()),
    "recall": (recall, lambda j: (j.pred.notna() & j.label.notna() & (j.label == 1)).fillna(False)),
    "mean_label": (mean_label, lambda j: j.label.notna()),
    "count": (count, lambda j: pd.Series(True, index=j.index)),
}


def day_span(at, tz=None):
    """The [start, end) of the day holding `at`, in UTC or in a time zone, as UTC instants."""
    tz = tz or "UTC"
    day = at.tz_convert(tz).tz_localize(None).normalize()
    return day.tz_localize(tz).tz_convert("UTC"), (day + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC")


def psi(window, reference):
    if len(window) == 0 or len(reference) == 0:
        return None
    edges = np.quantile(reference, [j / 10 for j in range(1, 10)])
    def props(x):
        return np.bincount(np.searchsorted(edges, x, side="right"), minlength=10) / len(x)
    a, r = np.maximum(props(window), 1e-4), np.maximum(props(reference), 1e-4)
    return float(np.sum((a - r) * np.log(a / r)))


def chi2(window, reference):
    w, r = window.value_counts(), reference.value_counts()
    if len(window) == 0 or len(reference) == 0 or not set(w.index) <= set(r.index):
        return None
    total, ref_total = len(window), len(reference)
    # In the order of the categories (false before true; strings bytewise), as SeamDB adds.
    terms = []
    for c in sorted(r.index, key=lambda c: (str(type(c)), c)):
        expected = total * r[c] / ref_total
        terms.append((w.get(c, 0) - expected) ** 2 / expected)
    return float(sum(terms))


def value_text(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v)


def diagnose(metric, at, baseline=None, tz=None, where=None, where_driving=None, reference=None, as_of=None):
    """The DIAGNOSE table: slice rows ranked by |impact|, then psi rows, then chi2 rows.

    `where` filters the joined rows (the query's WHERE); `where_driving` is the part of it on
    the driving component alone (what the feature rows apply on both sides); `reference` is a
    mask over `inference` for a query's own REFERENCE."""
    f, counts_mask = METRICS[metric]
    j = joined(as_of)
    if where is not None:
        j = j[where(j)]
    w0, w1 = day_span(at, tz)
    b0, b1 = day_span(baseline, tz) if baseline is not None else day_span(w0 - pd.Timedelta(hours=1), tz)
    win, base = j[(j.time >= w0) & (j.time < w1)], j[(j.time >= b0) & (j.time < b1)]
    assert len(win) and len(base)
    counted_w = counts_mask(win)
    total = int(counted_w.sum())
    slices = []
    for field in CATEGORIES:
        keys = lambda df: df[field].map(value_text)
        wk, bk = keys(win), keys(base)
        values = set(wk.dropna()) | set(bk.dropna())
        has_null = wk.isna().any() or bk.isna().any()
        for v in sorted(values) + ([None] if has_null else []):
            in_w = win[wk.isna()] if v is None else win[wk == v]
            in_b = base[bk.isna()] if v is None else base[bk == v]
            m_w = f(in_w) if len(in_w) else (0 if metric == "count" else None)
            m_b = f(in_b) if len(in_b) else (0 if metric == "count" else None)
            n_w, n_b = int(counts_mask(in_w).sum()), int(counts_mask(in_b).sum())
            share = n_w / total if total else None
            impact = share * (m_w - m_b) if None not in (share, m_w, m_b) else None
            slices.append(["slice", f"inference.{field}", v, m_w, m_b, n_w, n_b, share, impact, None, None])
    # |impact| largest first, undefined last; then field, then value (null last).
    slices.sort(key=lambda r: (r[8] is None, -abs(r[8]) if r[8] is not None else 0, r[1], r[2] is None, r[2] or ""))

    d = inference if as_of is None else inference[inference.time <= as_of]
    if where_driving is not None:
        d = d[where_driving(d)]
    dw = d[(d.time >= w0) & (d.time < w1)]
    if reference is not None:
        dr = (inference if as_of is None else inference[inference.time <= as_of])
        dr = dr[reference(dr)]
    else:
        dr = d[(d.time >= b0) & (d.time < b1)]
    features = []
    for field in NUMBERS:
        x, r = dw[field].dropna().astype(float).to_numpy(), dr[field].dropna().astype(float).to_numpy()
        features.append(["feature", f"inference.{field}", None, None, None, None, None, None, None, "psi", psi(x, r)])
    for field in CATEGORIES:
        features.append(["feature", f"inference.{field}", None, None, None, None, None, None, None, "chi2",
                         chi2(dw[field].dropna(), dr[field].dropna())])
    features.sort(key=lambda r: (r[9] != "psi", r[10] is None, -(r[10] or 0), r[1]))
    return slices + features


COLUMNS = ["kind", "field", "value", "metric_window", "metric_baseline", "n_window", "n_baseline", "share", "impact",
           "drift_measure", "drift"]
T = lambda s: pd.Timestamp(s)

ACC = "accuracy(inference.score >= 0.5, feedback.label) AS acc"
CASES = [
    ("The planted cause: east's accuracy falls on 2026-03-05 and income shifts; the baseline is the day before.",
     f"DIAGNOSE SELECT {ACC} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-03-05T12:00:00Z'",
     dict(metric="accuracy", at=T("2026-03-05T12:00:00Z"))),
    ("BASELINE names another window: the first day.",
     f"DIAGNOSE SELECT {ACC} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-03-05T12:00:00Z' BASELINE '2026-03-02'",
     dict(metric="accuracy", at=T("2026-03-05T12:00:00Z"), baseline=T("2026-03-02T00:00:00Z"))),
    ("A quiet day: nothing was planted between 2026-03-03 and 2026-03-04.",
     f"DIAGNOSE SELECT {ACC} FROM inference JOIN feedback GROUP BY window(1d) AT '2026-03-04T06:00:00Z'",
     dict(metric="accuracy", at=T("2026-03-04T06:00:00Z"))),
    ("Recall counts the rows labelled positive; WHERE on the driving component narrows both the slices and the features.",
     "DIAGNOSE SELECT recall(inference.score >= 0.5, feedback.label) AS rec FROM inference JOIN feedback "
     "WHERE inference.device != 'web' GROUP BY window(1d) AT '2026-03-05T12:00:00Z'",
     dict(metric="recall", at=T("2026-03-05T12:00:00Z"), where=lambda j: j.device != "web",
          where_driving=lambda d: d.device != "web")),
    ("Days in New York (UTC-5): the windows start at 05:00 UTC. A WHERE on a joined field narrows the slices only.",
     "DIAGNOSE SELECT mean(feedback.label) AS positive_rate FROM inference JOIN feedback WHERE feedback.label IS NOT NULL "
     "GROUP BY window(1d, 'America/New_York') AT '2026-03-05T12:00:00Z'",
     dict(metric="mean_label", at=T("2026-03-05T12:00:00Z"), tz="America/New_York", where=lambda j: j.label.notna())),
    ("The query's REFERENCE replaces the baseline window for the feature rows; count() counts every row.",
     "DIAGNOSE SELECT count() AS n FROM inference REFERENCE (inference WHERE time < '2026-03-03') "
     "GROUP BY window(1d) AT '2026-03-05T12:00:00Z'",
     dict(metric="count", at=T("2026-03-05T12:00:00Z"), reference=lambda d: d.time < T("2026-03-03T00:00:00Z"))),
    ("AS OF: the last day's labels as they stood at 08:00 on it (AS OF comes before AT).",
     f"DIAGNOSE SELECT {ACC} FROM inference JOIN feedback GROUP BY window(1d) AS OF '2026-03-05T08:00:00Z' AT '2026-03-05T06:00:00Z'",
     dict(metric="accuracy", at=T("2026-03-05T06:00:00Z"), as_of=T("2026-03-05T08:00:00Z"))),
]


def csv_field(s):
    return f'"{s}"' if any(c in s for c in ',"\n') else s


def main():
    write_csvs()
    with open(os.path.join(HERE, "golden.test"), "w") as f:
        f.write("# Generated by make_golden.py (pandas and NumPy) on inference.csv and feedback.csv: do not edit by hand.\n")
        f.write("# Run by tests/diagnose.rs: text and ints exact, floats to 1e-9 relative, rows in this order.\n")
        for comment, sql, args in CASES:
            table = diagnose(**args)
            f.write(f"\n# {comment}\nquery {sql}\n----\n{','.join(COLUMNS)}\n")
            for row in table:
                f.write(",".join(csv_field(fmt(v)) for v in row) + "\n")
    # The planted cause ranks first, in the slices and in the features.
    first = diagnose(**CASES[0][2])
    assert first[0][1:3] == ["inference.region", "east"], first[0]
    features = [r for r in first if r[0] == "feature"]
    assert features[0][1] == "inference.income", features[0]
    print("wrote", os.path.join(HERE, "golden.test"))


if __name__ == "__main__":
    main()
