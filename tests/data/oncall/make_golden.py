#!/usr/bin/env python3
"""Golden answers for SeamQL's calendar windows, time zones, FILL, HAVING / ORDER BY / LIMIT,
expression group keys and drift p-values (issue 14, item 9), computed by pandas and SciPy on
a data set big enough to matter.

Writes beside this script:
- loans.csv    the driving component: 2023-11-01 .. 2025-03-31, a few thousand loan
               applications (score with nulls and exact 0.5s, int age and float dti with a few
               nulls, a region tag, a secured bool), with a leap day, Berlin's DST changes of
               2024-03-31, 2024-10-27 and 2025-03-30 (rows on both sides of local midnight),
               a whole empty month (an outage 2024-07-25 .. 2024-09-02), empty weeks (that
               outage and a holiday lull 2024-12-23 .. 2025-01-05), a region that only starts
               in June 2024, and drift from January 2025;
- outcomes.csv the joined labels (defaulted 0/1): most loans get one 1 to 90 days later,
               some none, some a null label, some a later correction (the latest event wins);
- golden.test  the queries and their expected CSV answers, in the form of
               tests/queries/*.test (`query …`, `----`, the CSV).

The test `queries::pandas_and_scipy_agree_on_two_years_of_loans` loads both CSVs and runs
every query through both executors and both join strategies, comparing text and ints
exactly and floats to 1e-9 relative. The answers here are computed independently of SeamDB,
from SPEC §4's definitions: windows by pandas' periods and time zones (not jiff), metrics
by plain counting, p-values by scipy.stats.chi2.sf and scipy.special.kolmogorov. The ORDER BY
rule (stable: ties keep the default order of window, then keys ascending, nulls last) is
applied by Python's stable sort.

Re-run after changing anything here (deterministic: the same files every run):

    pip install numpy pandas scipy
    python3 tests/data/oncall/make_golden.py
"""
import collections
import functools
import math
import os

import numpy as np
import pandas as pd
from scipy.special import kolmogorov
from scipy.stats import chi2 as chi2_dist

HERE = os.path.dirname(os.path.abspath(__file__))
BERLIN = "Europe/Berlin"
rng = np.random.default_rng(20260105)

# ---------------------------------------------------------------------------------------
# The data.

START, END = pd.Timestamp("2023-11-01", tz="UTC"), pd.Timestamp("2025-04-01", tz="UTC")
OUTAGE = (pd.Timestamp("2024-07-25", tz="UTC"), pd.Timestamp("2024-09-03", tz="UTC"))
LULL = (pd.Timestamp("2024-12-23", tz="UTC"), pd.Timestamp("2025-01-06", tz="UTC"))
DRIFT = pd.Timestamp("2025-01-06", tz="UTC")
ISLANDS = pd.Timestamp("2024-06-10", tz="UTC")

times = []
for day in pd.date_range(START, END - pd.Timedelta(days=1), freq="D"):
    if OUTAGE[0] <= day < OUTAGE[1] or LULL[0] <= day < LULL[1]:
        continue
    rate = 2.5 if day.day_of_week >= 5 else 6.5
    for s in rng.integers(0, 86_400, rng.poisson(rate)):
        times.append(day + pd.Timedelta(seconds=int(s)))
# Rows either side of Berlin's midnight on the days of the DST changes (spring forward at
# 01:00 UTC on 2024-03-31 and 2025-03-30, fall back at 01:00 UTC on 2024-10-27), and of the
# leap day, where a UTC day and a Berlin day differ.
for day in ["2024-03-30", "2024-03-31", "2024-04-01", "2024-10-26", "2024-10-27", "2024-10-28", "2025-03-29", "2025-03-30", "2025-03-31"]:
    d = pd.Timestamp(day, tz="UTC")
    for minutes in [-150, -90, -45, -20, 0, 30, 65, 90, 150]:
        times.append(d + pd.Timedelta(minutes=minutes))
for t in ["2024-02-28T23:30:00", "2024-02-29T00:00:00", "2024-02-29T12:00:00", "2024-02-29T22:59:59", "2024-02-29T23:00:00",
          "2024-02-29T23:59:59", "2024-03-01T00:00:00"]:
    times.append(pd.Timestamp(t, tz="UTC"))
# The last evening of every month: 22:30 and 23:30 UTC fall in the next month in Berlin.
for month in pd.date_range(START, END, freq="MS")[1:]:
    if not (OUTAGE[0] <= month < OUTAGE[1] or LULL[0] <= month < LULL[1]):
        times += [month - pd.Timedelta(minutes=90), month - pd.Timedelta(minutes=30)]
times = sorted(t for t in times if START <= t < END)
n = len(times)

t = pd.DatetimeIndex(times)
late = np.asarray(t >= DRIFT)
region = rng.choice(["north", "south", "east", "west"], n, p=[0.35, 0.3, 0.2, 0.15]).astype(object)
region[late] = rng.choice(["north", "south", "east", "west"], late.sum(), p=[0.25, 0.25, 0.35, 0.15])
islands = np.asarray(t >= ISLANDS) & (rng.uniform(0, 1, n) < 0.04)
region[islands] = "islands"
secured = rng.uniform(0, 1, n) < np.where(late, 0.3, 0.45)
age = rng.integers(18, 76, n).astype(float)
dti = np.round(np.clip(rng.normal(np.where(late, 30.0, 24.0), 9.0), 0.0, 69.9), 1)
logit = -1.2 + 0.06 * (dti - 25) - 0.9 * secured - 0.02 * (age - 45) + np.where(region == "east", 0.4, 0.0)
p = 1 / (1 + np.exp(-logit))
default = (rng.uniform(0, 1, n) < p).astype(int)
score = np.round(np.clip(p + rng.normal(0, 0.12, n) + np.where(default == 1, 0.25, -0.05), 0.0, 1.0), 3)
score[rng.uniform(0, 1, n) < 0.02] = 0.5  # ties at the threshold: score >= 0.5 holds
score[rng.uniform(0, 1, n) < 0.03] = np.nan  # null scores
age[rng.uniform(0, 1, n) < 0.01] = np.nan
dti[rng.uniform(0, 1, n) < 0.01] = np.nan
trace = rng.choice(np.arange(100_000, 1_000_000), n, replace=False)

loans = pd.DataFrame({"trace_id": trace, "time": t, "score": score, "age": pd.array(age, dtype="Int64"), "dti": dti,
                      "region": region, "secured": secured})

# Outcomes: one for 90% of loans, 1 to 90 days later; 2% of those with a null label; 5% get
# a later correction (flipped, or null), which is the event the join takes.
rows = []
for i in range(n):
    if rng.uniform() >= 0.9:
        continue
    at = t[i] + pd.Timedelta(seconds=int(rng.integers(86_400, 90 * 86_400)))
    label = None if rng.uniform() < 0.02 else int(default[i])
    rows.append((trace[i], at, label))
    if rng.uniform() < 0.05:
        later = at + pd.Timedelta(seconds=int(rng.integers(3_600, 30 * 86_400)))
        rows.append((trace[i], later, None if rng.uniform() < 0.2 else 1 - int(default[i])))
outcomes = pd.DataFrame(rows, columns=["trace_id", "time", "label"])
outcomes["label"] = outcomes["label"].astype("Int64")

# Two islands loans alone in their ISO week lose their outcomes: weeks whose accuracy is
# undefined (null), for ORDER BY to put last.
alone = loans[loans.region == "islands"].groupby(loans.time.dt.tz_localize(None).dt.to_period("W-SUN")).trace_id
alone = [ids.iloc[0] for _, ids in alone if len(ids) == 1][:2]
outcomes = outcomes[~outcomes.trace_id.isin(alone)].reset_index(drop=True)


def latest(outcomes, as_of=None):
    """Each trace's latest outcome (SPEC §4: the joined event with the latest time)."""
    o = outcomes if as_of is None else outcomes[outcomes.time <= as_of]
    o = o.sort_values("time", kind="stable").groupby("trace_id").tail(1)
    assert not o.trace_id.duplicated().any()
    return o.rename(columns={"time": "o_time"})


def joined(as_of=None):
    driving = loans if as_of is None else loans[loans.time <= as_of]
    j = driving.merge(latest(outcomes, as_of), on="trace_id", how="left")
    j["pred"] = pd.array(np.where(j.score.isna(), None, j.score >= 0.5), dtype="boolean")
    return j


# Ties for the worst-five query: force the accuracy of some (month, region) groups, among
# those with at least 20 labels, to exactly 0.4 or 0.5 (set the latest label of each loan to
# its prediction or to the other class). Five (or six) groups at 0.5 and one at 0.4 make
# LIMIT 5 cut through a tie, which the default order (window, then region) breaks. An islands month
# (fewer than 20 labels) is forced to 0, below them all, for HAVING to drop.
def force(month, region_name, right_share, need):
    j = joined()
    in_group = (j.time.dt.strftime("%Y-%m") == month) & (j.region == region_name)
    both = j[in_group & j.pred.notna() & j.label.notna()]
    assert len(both) >= need[0] and len(both) % need[1] == 0, (month, region_name, len(both))
    right = round(len(both) * right_share)
    for k, (_, row) in enumerate(both.iterrows()):
        want = int(row.pred) if k < right else 1 - int(row.pred)
        last = outcomes[outcomes.trace_id == row.trace_id].time.idxmax()
        outcomes.loc[last, "label"] = want


def forcible(multiple, exclude):
    """(month, region) groups with at least 20 labelled, predicted rows, a multiple of `multiple`."""
    j = joined()
    both = j[j.pred.notna() & j.label.notna() & (j.region != "islands")]
    sizes = both.groupby([both.time.dt.strftime("%Y-%m"), both.region]).size()
    return [g for g, s in sizes.items() if s >= 20 and s % multiple == 0 and g not in exclude]


chosen = []
for share, multiple, count in [(0.4, 5, 1), (0.5, 2, 5)]:
    candidates = forcible(multiple, chosen)
    picks = [candidates[i] for i in sorted(rng.choice(len(candidates), count, replace=False))]
    for month, region_name in picks:
        force(month, region_name, share, (20, multiple))
    chosen += picks
# Two of the 0.5 groups in one month (unless the draw made two already), so that the region
# breaks a tie too.
same_month = [g for g in forcible(2, chosen) if g[0] == chosen[-1][0]]
if len({m for m, _ in chosen[1:]}) == len(chosen) - 1 and same_month:
    force(*same_month[0], 0.5, (20, 2))
    chosen.append(same_month[0])
j_all = joined()
islands_months = j_all[(j_all.region == "islands") & j_all.pred.notna() & j_all.label.notna()].time.dt.strftime("%Y-%m")
force(islands_months.value_counts().index[0], "islands", 0.0, (1, 1))

# ---------------------------------------------------------------------------------------
# Output formats (query/src/output.rs): floats as Rust prints them (shortest round trip, no
# exponent, no trailing .0), null as an empty field, bools as true/false, UTC window starts
# with Z and zoned ones with their offset.


def fmt(v):
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return np.format_float_positional(float(v), unique=True, trim="-")
    if isinstance(v, Window):
        return v.text
    return str(v)


def csv_field(s):
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n\r') else s


@functools.total_ordering
class Window:
    """A window: its start instant (for order) and its printed form."""

    def __init__(self, start, tz):
        self.start = start  # a tz-aware Timestamp
        self.text = start.strftime("%Y-%m-%dT%H:%M:%SZ") if tz is None else start.tz_convert(tz).isoformat()

    def __eq__(self, o):
        return self.start == o.start

    def __lt__(self, o):
        return self.start < o.start

    def __hash__(self):
        return hash(self.start)


def window_of(ts, width, tz=None):
    """Window of each time in `ts`: `width` is '1d', '1w', '1mo', '2mo', '1q', '1y'. Windows
    are pandas periods of the local (naive) time; `n` months count from January 1970."""
    local = ts.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    if width == "2mo":
        months = (local.dt.year - 1970) * 12 + local.dt.month - 1
        first = (months // 2) * 2
        starts = pd.to_datetime({"year": 1970 + first // 12, "month": first % 12 + 1, "day": 1})
    else:
        freq = {"1d": "D", "1w": "W-SUN", "1mo": "M", "1q": "Q", "1y": "Y"}[width]
        starts = local.dt.to_period(freq).dt.start_time
    return [Window(s.tz_localize(tz or "UTC"), tz) for s in starts]


def windows_between(lo, hi, width, tz=None):
    """FILL's windows: every window from the one holding `lo` to the one holding `hi`."""
    a, b = window_of(pd.Series([lo, hi]), width, tz)
    out, start = [], a.start.tz_convert(tz or "UTC").tz_localize(None)
    step = {"1d": pd.DateOffset(days=1), "1w": pd.DateOffset(weeks=1), "1mo": pd.DateOffset(months=1),
            "1q": pd.DateOffset(months=3), "1y": pd.DateOffset(years=1), "2mo": pd.DateOffset(months=2)}[width]
    while True:
        w = Window(start.tz_localize(tz or "UTC"), tz)
        if w > b:
            return out
        out.append(w)
        start = start + step


# ---------------------------------------------------------------------------------------
# Metrics, from SPEC §4's definitions (nulls ignored; "undefined" is None).


def some(x):
    return x[x.notna()]


def count(x):
    return int(x.notna().sum())


def mean(x):
    x = some(x).astype(float)
    return float(x.sum() / len(x)) if len(x) else None


def total(x):
    x = some(x)
    return int(x.astype("int64").sum()) if len(x) else None


def classes(pred, label):
    both = pred.notna() & label.notna()
    p, y = pred[both].astype(int).to_numpy(), label[both].astype(int).to_numpy()
    return p, y


def accuracy(pred, label):
    p, y = classes(pred, label)
    return int((p == y).sum()) / len(p) if len(p) else None


def f1(pred, label):
    p, y = classes(pred, label)
    tp, fp, fn = ((p == 1) & (y == 1)).sum(), ((p == 1) & (y == 0)).sum(), ((p == 0) & (y == 1)).sum()
    return int(2 * tp) / int(2 * tp + fp + fn) if 2 * tp + fp + fn else None


def chi2_p(window, reference):
    """P(χ²ₖ₋₁ ≥ Σ (O − E)² / E) over the reference's categories (goodness of fit)."""
    window, reference = some(window), some(reference)
    cats = sorted(set(reference))
    if set(window) - set(cats) or len(cats) < 2 or len(window) == 0:
        return None
    stat = sum((int((window == c).sum()) - len(window) * (reference == c).mean()) ** 2 / (len(window) * (reference == c).mean())
               for c in cats)
    return float(chi2_dist.sf(stat, len(cats) - 1))


def ks_p(window, reference):
    """Q(√(nm/(n+m)) D), D the two-sample KS statistic, from the empirical CDFs."""
    a, b = np.sort(some(window).astype(float).to_numpy()), np.sort(some(reference).astype(float).to_numpy())
    if len(a) == 0 or len(b) == 0:
        return None
    xs = np.concatenate([a, b])
    d = np.max(np.abs(np.searchsorted(a, xs, side="right") / len(a) - np.searchsorted(b, xs, side="right") / len(b)))
    return float(kolmogorov(math.sqrt(len(a) * len(b) / (len(a) + len(b))) * d))


# ---------------------------------------------------------------------------------------
# A query, answered by pandas: group the rows by their keys, compute the items per group,
# order by window then keys (nulls last), FILL, then HAVING, ORDER BY (stable) and LIMIT.


def nullable(v):
    return None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v


def sort_key(keys):
    return tuple((1, 0) if k is None else (0, k) for k in keys)


def answer(df, keys, items, window=None, fill=None, having=None, order=(), limit=None):
    """`keys`: [(name, per-row values)]; `window`: per-row Windows or None; `items`:
    [(name, fn(group rows) -> value, value when FILL adds the group)]; `fill`: (lo, hi,
    width, tz); `having`: fn(row dict) -> bool; `order`: [(name, descending)]."""
    key_rows = list(zip(*([window] if window is not None else []), *[[nullable(v) for v in vals] for _, vals in keys]))
    groups = {}
    for i, k in enumerate(key_rows):
        groups.setdefault(k, []).append(i)
    names = (["window"] if window is not None else []) + [name for name, _ in keys] + [name for name, _, _ in items]
    out = {k: [fn(df.iloc[idx]) for _, fn, _ in items] for k, idx in groups.items()}
    if fill:
        lo, hi, width, tz = fill
        combos = {k[1:] for k in groups}
        for w in windows_between(lo, hi, width, tz):
            for c in combos:
                out.setdefault((w,) + c, [empty for _, _, empty in items])
    rows = [list(k) + v for k, v in sorted(out.items(), key=lambda kv: sort_key(kv[0]))]
    if having:
        rows = [r for r in rows if having(dict(zip(names, r))) is True]
    for name, desc in reversed(order):
        col = names.index(name)

        def cmp(a, b, col=col, desc=desc):
            x, y = a[col], b[col]
            if x is None or y is None:
                return (x is None) - (y is None)  # nulls last either way
            return (int(x > y) - int(x < y)) * (-1 if desc else 1)

        rows.sort(key=functools.cmp_to_key(cmp))
    if limit is not None:
        rows = rows[:limit]
    return names, rows


def utc(s):
    return pd.Timestamp(s, tz="UTC")


US = pd.Timedelta(microseconds=1)
QUERIES = []


def query(comment, sql, names_rows):
    QUERIES.append((comment, " ".join(sql.split()), names_rows))


J = joined()
L = loans
pred, label = "loans.score >= 0.5", "outcomes.label"
acc_f1 = [("n", lambda g: len(g), 0), ("labelled", lambda g: count(g.label), 0), ("acc", lambda g: accuracy(g.pred, g.label), None),
          ("f1", lambda g: f1(g.pred, g.label), None)]
ACC_F1 = f"count() AS n, count({label}) AS labelled, accuracy({pred}, {label}) AS acc, f1({pred}, {label}) AS f1"

query("Monthly accuracy and F1 over 17 months (months of 28 to 31 days, the leap February, no August).",
      f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1mo)",
      answer(J, [], acc_f1, window_of(J.time, "1mo")))
query("The same with FILL: August 2024 appears, count() 0 and the rest null.",
      f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1mo) FILL",
      answer(J, [], acc_f1, window_of(J.time, "1mo"), fill=(L.time.min(), L.time.max(), "1mo", None)))
query("Months in Berlin: the last evening of each month (22:30 and 23:30 UTC) belongs to the next.",
      f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1mo, '{BERLIN}')",
      answer(J, [], acc_f1, window_of(J.time, "1mo", BERLIN)))
weekly = [("n", lambda g: len(g), 0), ("scored", lambda g: count(g.score), 0), ("m", lambda g: mean(g.score), None)]
query("ISO weeks from Monday, every one from the first loan to the last: the outage's and the lull's weeks are empty.",
      "SELECT count() AS n, count(loans.score) AS scored, mean(loans.score) AS m FROM loans GROUP BY window(1w) FILL",
      answer(L, [], weekly, window_of(L.time, "1w"), fill=(L.time.min(), L.time.max(), "1w", None)))
query("Only the empty weeks.",
      "SELECT count() AS n FROM loans GROUP BY window(1w) FILL HAVING n = 0",
      answer(L, [], [("n", lambda g: len(g), 0)], window_of(L.time, "1w"), fill=(L.time.min(), L.time.max(), "1w", None),
             having=lambda r: r["n"] == 0))
query("The busiest weeks: ties in count keep window order.",
      "SELECT count() AS n FROM loans GROUP BY window(1w) ORDER BY n DESC LIMIT 12",
      answer(L, [], [("n", lambda g: len(g), 0)], window_of(L.time, "1w"), order=[("n", True)], limit=12))
query("Berlin weeks (Monday local midnight) across the autumn change.",
      "SELECT count() AS n, mean(loans.secured) AS sec FROM loans WHERE time >= '2024-10-01' AND time < '2024-11-15' GROUP BY window(1w, 'Europe/Berlin') FILL",
      answer(L[(L.time >= utc("2024-10-01")) & (L.time < utc("2024-11-15"))], [],
             [("n", lambda g: len(g), 0), ("sec", lambda g: mean(g.secured), None)],
             window_of(L[(L.time >= utc("2024-10-01")) & (L.time < utc("2024-11-15"))].time, "1w", BERLIN),
             fill=(utc("2024-10-01"), utc("2024-11-15") - US, "1w", BERLIN)))
quarterly = acc_f1 + [("sec", lambda g: mean(g.secured), None)]
query("Quarters.",
      f"SELECT {ACC_F1}, mean(loans.secured) AS sec FROM loans JOIN outcomes GROUP BY window(1q)",
      answer(J, [], quarterly, window_of(J.time, "1q")))
query("Years, in Berlin: 2024-12-31 from 23:00 UTC is 2025 there.",
      f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1y, '{BERLIN}')",
      answer(J, [], acc_f1, window_of(J.time, "1y", BERLIN)))
query("Years in UTC, per region.",
      "SELECT count() AS n, sum(loans.age) AS ages FROM loans GROUP BY window(1y), loans.region",
      answer(L, [("loans.region", L.region)], [("n", lambda g: len(g), 0), ("ages", lambda g: total(g.age), None)],
             window_of(L.time, "1y")))
query("Two months counted from January 1970: January–February, March–April, …",
      "SELECT count() AS n, mean(loans.dti) AS dti FROM loans GROUP BY window(2mo)",
      answer(L, [], [("n", lambda g: len(g), 0), ("dti", lambda g: mean(g.dti), None)], window_of(L.time, "2mo")))

days = [("n", lambda g: len(g), 0), ("scored", lambda g: count(g.score), 0), ("acc", lambda g: accuracy(g.pred, g.label), None)]
for lo, hi, what in [("2024-03-29", "2024-04-03", "spring forward (a 23-hour day)"), ("2024-10-25", "2024-10-30", "fall back (a 25-hour day)"),
                     ("2025-03-28", "2025-04-01", "spring forward of 2025, to the last loan"),
                     ("2024-02-27", "2024-03-03", "leap day")]:
    part = J[(J.time >= utc(lo)) & (J.time < utc(hi))]
    query(f"Berlin days around the {what}; window starts printed with their offset.",
          f"SELECT count() AS n, count(loans.score) AS scored, accuracy({pred}, {label}) AS acc FROM loans JOIN outcomes "
          f"WHERE time >= '{lo}' AND time < '{hi}' GROUP BY window(1d, '{BERLIN}') FILL",
          answer(part, [], days, window_of(part.time, "1d", BERLIN), fill=(utc(lo), utc(hi) - US, "1d", BERLIN)))
    query(f"The same rows in UTC days, around the {what}.",
          f"SELECT count() AS n, count(loans.score) AS scored, accuracy({pred}, {label}) AS acc FROM loans JOIN outcomes "
          f"WHERE time >= '{lo}' AND time < '{hi}' GROUP BY window(1d) FILL",
          answer(part, [], days, window_of(part.time, "1d"), fill=(utc(lo), utc(hi) - US, "1d", None)))

part = L[(L.time >= utc("2024-04-01")) & (L.time < utc("2024-11-01"))]
in_month = collections.Counter(window_of(part.time, "1mo"))  # share(): rows in the group / rows in its window
query("Per-slice FILL: every month for every region found, islands (from June) included before it started.",
      "SELECT count() AS n, mean(loans.score) AS m, share() AS sh FROM loans WHERE time >= '2024-04-01' AND time < '2024-11-01' "
      "GROUP BY window(1mo), loans.region FILL",
      answer(part, [("loans.region", part.region)],
             [("n", lambda g: len(g), 0), ("m", lambda g: mean(g.score), None),
              ("sh", lambda g: len(g) / in_month[window_of(g.time[:1], "1mo")[0]], None)],
             window_of(part.time, "1mo"), fill=(utc("2024-04-01"), utc("2024-11-01") - US, "1mo", None)))
part = L[L.time >= utc("2024-05-01")]
query("FILL with only a lower bound: up to the last loan; per slice, in Berlin quarters.",
      "SELECT count() AS n, count(loans.dti) AS k FROM loans WHERE time >= '2024-05-01' GROUP BY window(1q, 'Europe/Berlin'), loans.secured FILL",
      answer(part, [("loans.secured", part.secured)], [("n", lambda g: len(g), 0), ("k", lambda g: count(g.dti), 0)],
             window_of(part.time, "1q", BERLIN), fill=(utc("2024-05-01"), L.time.max(), "1q", BERLIN)))

worst = [("acc", lambda g: accuracy(g.pred, g.label), None), ("n", lambda g: count(g.label), 0)]
query(f"The worst five (month, region) slices by accuracy with at least 20 labels: one at 0.4, then a tie of {len(chosen) - 1} at 0.5, "
      "cut by LIMIT in the default order (window, then region); an islands month at 0 has too few labels.",
      f"SELECT accuracy({pred}, {label}) AS acc, count({label}) AS n FROM loans JOIN outcomes "
      "GROUP BY window(1mo), loans.region HAVING count(outcomes.label) >= 20 ORDER BY acc ASC LIMIT 5",
      answer(J, [("loans.region", J.region)], worst, window_of(J.time, "1mo"), having=lambda r: r["n"] >= 20,
             order=[("acc", False)], limit=5))
query("The same slices, best first, ties broken by n descending then the default order.",
      f"SELECT accuracy({pred}, {label}) AS acc, count({label}) AS n FROM loans JOIN outcomes "
      "GROUP BY window(1mo), loans.region HAVING n >= 20 AND acc <= 0.5 ORDER BY acc DESC, n DESC",
      answer(J, [("loans.region", J.region)], worst, window_of(J.time, "1mo"),
             having=lambda r: r["n"] >= 20 and r["acc"] is not None and r["acc"] <= 0.5, order=[("acc", True), ("n", True)]))
query("Every quarterly slice without HAVING, worst first.",
      f"SELECT accuracy({pred}, {label}) AS acc, count({label}) AS n FROM loans JOIN outcomes "
      "GROUP BY window(1q), loans.region ORDER BY acc",
      answer(J, [("loans.region", J.region)], worst, window_of(J.time, "1q"), order=[("acc", False)]))
isl = J[J.region == "islands"]
query("Weekly islands slices, worst first: many ties (0, 1) kept in window order, undefined accuracies (no labels) last.",
      f"SELECT accuracy({pred}, {label}) AS acc, count({label}) AS n FROM loans JOIN outcomes WHERE loans.region = 'islands' "
      "GROUP BY window(1w) ORDER BY acc",
      answer(isl, [], worst, window_of(isl.time, "1w"), order=[("acc", False)]))
query("Monthly F1, best first, nulls last; F1 undefined in islands months without positives.",
      f"SELECT f1({pred}, {label}) AS f1, count() AS n FROM loans JOIN outcomes WHERE loans.region = 'islands' "
      "GROUP BY window(1mo) ORDER BY f1 DESC, n",
      answer(J[J.region == "islands"], [], [("f1", lambda g: f1(g.pred, g.label), None), ("n", lambda g: len(g), 0)],
             window_of(J[J.region == "islands"].time, "1mo"), order=[("f1", True), ("n", False)]))
in_berlin = L[(L.time >= utc("2024-10-20")) & (L.time < utc("2024-11-03"))]
query("HAVING on a zoned window compares its start as an instant with the time (a date is midnight UTC): Berlin's "
      "2024-10-27 starts at 2024-10-26T22:00:00Z, its 2024-10-29 at 2024-10-28T23:00:00Z, before '2024-10-29'.",
      "SELECT count() AS n FROM loans WHERE time >= '2024-10-20' AND time < '2024-11-03' GROUP BY window(1d, 'Europe/Berlin') "
      "HAVING window >= '2024-10-26T22:00:00Z' AND window < '2024-10-29' ORDER BY window DESC",
      answer(in_berlin, [], [("n", lambda g: len(g), 0)], window_of(in_berlin.time, "1d", BERLIN),
             having=lambda r: utc("2024-10-26T22:00:00") <= r["window"].start < utc("2024-10-29"), order=[("window", True)]))

by = [("n", lambda g: len(g), 0), ("m", lambda g: mean(g.score), None), ("acc", lambda g: accuracy(g.pred, g.label), None)]
BY = f"count() AS n, mean(loans.score) AS m, accuracy({pred}, {label}) AS acc"


def bucket(x, width):
    return [None if pd.isna(v) else (int(v) // width * width if isinstance(v, (int, np.integer)) else math.floor(v / width) * width)
            for v in x]


query("bucket() of an int: int lower edges, the null ages last.",
      f"SELECT {BY} FROM loans JOIN outcomes GROUP BY bucket(loans.age, 10)",
      answer(J, [("bucket(loans.age, 10)", bucket(J.age.astype(object), 10))], by))
query("bucket() of a float, per quarter.",
      "SELECT count() AS n, mean(loans.score) AS m FROM loans GROUP BY window(1q), bucket(loans.dti, 10)",
      answer(L, [("bucket(loans.dti, 10)", [None if v is None else float(v) for v in bucket(L.dti, 10.0)])],
             by[:2], window_of(L.time, "1q")))


def case_band(s):
    return ["high" if pd.notna(v) and v >= 0.8 else "mid" if pd.notna(v) and v >= 0.5 else "low" for v in s]


CASE = "CASE WHEN loans.score >= 0.8 THEN 'high' WHEN loans.score >= 0.5 THEN 'mid' ELSE 'low' END"
query("CASE bands with ELSE (a null score takes ELSE), per quarter.",
      f"SELECT {BY} FROM loans JOIN outcomes GROUP BY window(1q), {CASE}",
      answer(J, [(CASE, case_band(J.score))], by, window_of(J.time, "1q")))
CASE2 = "CASE WHEN loans.region IN ('north', 'south') THEN 'ns' WHEN loans.secured = true THEN 'secured' END"
query("CASE without ELSE: rows no branch takes have a null key, last.",
      f"SELECT {BY} FROM loans JOIN outcomes GROUP BY {CASE2}",
      answer(J, [(CASE2, ["ns" if r in ("north", "south") else "secured" if s else None for r, s in zip(J.region, J.secured)])], by))


def cond(mask, null):
    return [None if nl else bool(m) for m, nl in zip(mask, null)]


query("Condition keys: a bool field, a comparison (null for a null score) and a joined one (null without a label).",
      f"SELECT count() AS n, mean(loans.dti) AS dti FROM loans JOIN outcomes GROUP BY loans.secured, {pred}, outcomes.label = 1",
      answer(J, [("loans.secured", J.secured), (pred, cond(J.score >= 0.5, J.score.isna())),
                 ("outcomes.label = 1", cond(J.label == 1, J.label.isna()))],
             [("n", lambda g: len(g), 0), ("dti", lambda g: mean(g.dti), None)]))
query("A compound condition key (false AND null is false) per month: the eight biggest groups, ties in window order.",
      "SELECT count() AS n FROM loans GROUP BY window(1mo), loans.dti > 30 AND loans.secured = false ORDER BY n DESC LIMIT 8",
      answer(L, [("loans.dti > 30 AND loans.secured = false",
                  [False if s else (None if pd.isna(d) else bool(d > 30)) for d, s in zip(L.dti, L.secured)])],
             [("n", lambda g: len(g), 0)], window_of(L.time, "1mo"), order=[("n", True)], limit=8))

REF = loans[loans.time < utc("2024-01-01")]
drift = [("n", lambda g: len(g), 0), ("p_region", lambda g: chi2_p(g.region, REF.region), None),
         ("p_secured", lambda g: chi2_p(g.secured, REF.secured), None), ("p_dti", lambda g: ks_p(g.dti, REF.dti), None),
         ("p_age", lambda g: ks_p(g.age, REF.age), None)]
DRIFT_ITEMS = "count() AS n, chi2_p(loans.region) AS p_region, chi2_p(secured) AS p_secured, ks_p(loans.dti) AS p_dti, ks_p(age) AS p_age"
query("Drift p-values against the first two months: chi2_p null where islands (unseen in the reference) occur.",
      f"SELECT {DRIFT_ITEMS} FROM loans REFERENCE (loans WHERE time < '2024-01-01') GROUP BY window(1q)",
      answer(L, [], drift, window_of(L.time, "1q")))
part = L[L.region != "islands"]
query("Monthly, islands left out: every p-value defined; tiny ones from January 2025's drift.",
      f"SELECT {DRIFT_ITEMS} FROM loans REFERENCE (loans WHERE time < '2024-01-01') WHERE loans.region != 'islands' GROUP BY window(1mo) FILL",
      answer(part, [], drift, window_of(part.time, "1mo"), fill=(L.time.min(), L.time.max(), "1mo", None)))
query("ks_p per region and quarter, the reference's column named explicitly; the six smallest p-values.",
      "SELECT ks_p(loans.score, score) AS p, count(loans.score) AS k FROM loans REFERENCE (loans WHERE time < '2024-01-01') "
      "GROUP BY window(1q), loans.region HAVING k >= 5 ORDER BY p LIMIT 6",
      answer(L, [("loans.region", L.region)], [("p", lambda g: ks_p(g.score, REF.score), None), ("k", lambda g: count(g.score), 0)],
             window_of(L.time, "1q"), having=lambda r: r["k"] >= 5, order=[("p", False)], limit=6))

AS_OF = utc("2024-06-15T00:00:00")
J_then = joined(AS_OF)
query("AS OF: labels that arrived later do not count, corrections after it neither; FILL runs to AS OF.",
      f"SELECT {ACC_F1} FROM loans JOIN outcomes WHERE time >= '2024-01-01' GROUP BY window(1mo) FILL AS OF '2024-06-15T00:00:00Z'",
      answer(J_then[J_then.time >= utc("2024-01-01")], [], acc_f1, window_of(J_then[J_then.time >= utc("2024-01-01")].time, "1mo"),
             fill=(utc("2024-01-01"), AS_OF, "1mo", None)))

# ---------------------------------------------------------------------------------------
# Checks that the data holds what the queries are meant to test.

months = set(window.text for window in window_of(L.time, "1mo"))
assert "2024-08-01T00:00:00Z" not in months and "2024-07-01T00:00:00Z" in months, "a whole empty month"
assert ((L.time >= utc("2024-02-29")) & (L.time < utc("2024-03-01"))).sum() >= 4, "the leap day"
worst5 = [q for q in QUERIES if "worst five" in q[0]][0][2][1]
accs = [r[2] for r in worst5]
assert accs[0] == 0.4 and accs[1:] == [0.5] * 4, accs
all_ties = answer(J, [("loans.region", J.region)], worst, window_of(J.time, "1mo"), having=lambda r: r["n"] >= 20,
                  order=[("acc", False)])[1]
tied = len(chosen) - 1
assert [r[2] for r in all_ties[:tied + 1]] == [0.4] + [0.5] * tied and all_ties[tied + 1][2] > 0.5 and tied >= 5, "LIMIT 5 cuts a tie"
assert len({r[0] for r in all_ties[1:tied + 1]}) < tied, "two tied slices in one month"
assert J.label.isna().sum() > 0 and L.score.isna().sum() > 0 and (L.score == 0.5).sum() > 0

# ---------------------------------------------------------------------------------------
# Files.

out = loans.copy()
out["time"] = out.time.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
out["score"] = [fmt(v) for v in out.score]
out["age"] = [fmt(v) for v in out.age]
out["dti"] = ["" if pd.isna(v) else f"{v:.1f}" for v in out.dti]
out["secured"] = [fmt(v) for v in out.secured]
out.to_csv(os.path.join(HERE, "loans.csv"), index=False)
o = outcomes.sort_values("time", kind="stable")
o = o.assign(time=o.time.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), label=[fmt(v) for v in o.label])
o.to_csv(os.path.join(HERE, "outcomes.csv"), index=False)

with open(os.path.join(HERE, "golden.test"), "w") as f:
    f.write("# Generated by make_golden.py (pandas and SciPy) on loans.csv and outcomes.csv: do not edit by hand.\n"
            "# Run by tests/queries.rs (pandas_and_scipy_agree_on_two_years_of_loans): text and ints exact,\n"
            "# floats to 1e-9 relative.\n")
    for comment, sql, (names, rows) in QUERIES:
        f.write(f"\n# {comment}\nquery {sql}\n----\n")
        f.write(",".join(csv_field(c) for c in names) + "\n")
        for r in rows:
            f.write(",".join(csv_field(fmt(v)) for v in r) + "\n")
print(f"{n} loans, {len(outcomes)} outcomes, {len(QUERIES)} queries, forced slices {chosen}")

# ---------------------------------------------------------------------------------------
# A second opinion: DuckDB, from the CSV files just written, on a few of the answers (its own
# CSV reader, join, calendar and time zones). Skipped when DuckDB is not installed.


def duckdb_agrees():
    try:
        import duckdb
    except ImportError:
        print("duckdb is not installed: its cross-check is skipped")
        return
    db = duckdb.connect()
    db.execute(f"""CREATE VIEW j AS
        WITH o AS (SELECT * FROM read_csv('{os.path.join(HERE, "outcomes.csv")}')
                   QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY time DESC) = 1)
        SELECT l.*, o.label, l.score >= 0.5 AS pred FROM read_csv('{os.path.join(HERE, "loans.csv")}') l LEFT JOIN o USING (trace_id)""")
    metrics = """count(*) AS n, count(label) AS labelled,
        count(*) FILTER (WHERE pred::int = label) / count(*) FILTER (WHERE pred IS NOT NULL AND label IS NOT NULL) AS acc"""

    def pandas(text):
        [(_, _, (_, rows))] = [q for q in QUERIES if q[1] == " ".join(text.split())]
        return rows

    def same(ours, theirs, what):
        assert len(ours) == len(theirs), (what, ours, theirs)
        for a, b in zip(ours, theirs):
            for x, y in zip(a, b):
                x, y = nullable(x), nullable(y)
                ok = x == y or (isinstance(x, float) and isinstance(y, float) and abs(x - y) <= 1e-12 * max(abs(x), abs(y)))
                assert ok, (what, a, b)

    # Monthly accuracy (UTC months), and every loan's month.
    theirs = db.sql(f"""SELECT strftime(date_trunc('month', time AT TIME ZONE 'UTC'), '%Y-%m-%dT%H:%M:%SZ'), {metrics}
                        FROM j GROUP BY 1 ORDER BY 1""").fetchall()
    same([[r[0].text] + r[1:4] for r in pandas(f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1mo)")], theirs, "1mo")
    # Berlin months and days: local dates (the offsets are pandas' alone).
    theirs = db.sql(f"""SELECT strftime(date_trunc('month', time AT TIME ZONE 'Europe/Berlin'), '%Y-%m-%d'), {metrics}
                        FROM j GROUP BY 1 ORDER BY 1""").fetchall()
    same([[r[0].text[:10]] + r[1:4] for r in pandas(f"SELECT {ACC_F1} FROM loans JOIN outcomes GROUP BY window(1mo, '{BERLIN}')")],
         theirs, "1mo Berlin")
    for lo, hi in [("2024-03-29", "2024-04-03"), ("2024-10-25", "2024-10-30"), ("2025-03-28", "2025-04-01")]:
        theirs = db.sql(f"""SELECT strftime(date_trunc('day', time AT TIME ZONE 'Europe/Berlin'), '%Y-%m-%d'), {metrics}
                            FROM j WHERE time >= '{lo}' AND time < '{hi}' GROUP BY 1 ORDER BY 1""").fetchall()
        ours = pandas(f"SELECT count() AS n, count(loans.score) AS scored, accuracy({pred}, {label}) AS acc FROM loans JOIN outcomes "
                      f"WHERE time >= '{lo}' AND time < '{hi}' GROUP BY window(1d, '{BERLIN}') FILL")
        same([[r[0].text[:10], r[1]] for r in ours if r[1]], [r[:2] for r in theirs], f"Berlin days {lo}")
    # ISO weeks (Monday), non-empty ones.
    theirs = db.sql("""SELECT strftime(date_trunc('week', time AT TIME ZONE 'UTC'), '%Y-%m-%dT%H:%M:%SZ'), count(*)
                       FROM j GROUP BY 1 ORDER BY 1""").fetchall()
    ours = pandas("SELECT count() AS n, count(loans.score) AS scored, mean(loans.score) AS m FROM loans GROUP BY window(1w) FILL")
    same([[r[0].text, r[1]] for r in ours if r[1]], theirs, "1w")
    # The worst five, the tie rule written out: accuracy, then month, then region.
    theirs = db.sql(f"""SELECT strftime(date_trunc('month', time AT TIME ZONE 'UTC'), '%Y-%m-%dT%H:%M:%SZ') AS w, region, {metrics}
                        FROM j GROUP BY ALL HAVING labelled >= 20 ORDER BY acc, w, region LIMIT 5""").fetchall()
    worst5 = [q for q in QUERIES if "worst five" in q[0]][0][2][1]
    same([[r[0].text, r[1], r[2], r[3]] for r in worst5], [[r[0], r[1], r[4], r[3]] for r in theirs], "worst five")
    print("duckdb agrees")


duckdb_agrees()
