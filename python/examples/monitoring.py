# %% [markdown]
# # Is the model still right? A notebook's worth of SeamDB
#
# Cells as a person would write them in Jupyter (`# %%` marks a cell; VS Code and Jupytext
# open this file as a notebook). A week of a deployed model's predictions and the labels
# that come in later, appended from pandas and numpy; then accuracy per day and country, an
# SLO over it, and where its violation comes from. Runs in CI (python/tests/test_examples.py).

# %%
import os
import tempfile

import numpy as np
import pandas as pd

import seamdb

path = os.environ.get("SEAMDB_EXAMPLE_DB") or os.path.join(tempfile.mkdtemp(), "model.db")
db = seamdb.open(path)

# %% [markdown]
# A week of predictions: 20,000 of them, three countries, one input that drifts. From
# Thursday on, Brazil's predictions stop being right.

# %%
rng = np.random.default_rng(7)
n = 20_000
start = pd.Timestamp("2026-01-05", tz="UTC")
time = start + pd.to_timedelta(np.sort(rng.uniform(0, 7 * 86_400, n)), unit="s")
country = rng.choice(["US", "DE", "BR"], n, p=[0.5, 0.3, 0.2])
score = rng.uniform(0, 1, n)
day = (time - start).days.to_numpy()
predictions = pd.DataFrame({
    "trace_id": np.arange(1, n + 1, dtype="u8"),
    "time": time,
    "score": score,
    "country": country,
    "feature_age": rng.normal(40 + 2 * day, 8),
})
db.append("inference", predictions)

# The truth agrees with the score 85% of the time, except in Brazil from day 3 on.
right = rng.uniform(0, 1, n) < np.where((country == "BR") & (day >= 3), 0.45, 0.85)
label = np.where(right, score >= 0.5, score < 0.5).astype("i8")
labelled = rng.uniform(0, 1, n) < 0.8                       # 80% ever get a label
labels = pd.DataFrame({
    "trace_id": predictions["trace_id"][labelled],
    "time": time[labelled] + pd.to_timedelta(rng.exponential(3600, labelled.sum()), unit="s"),
    "label": label[labelled],
})
db.append("feedback", labels)

# %% [markdown]
# Accuracy per day and country: predictions joined with their labels on trace ID.

# %%
daily = db.query("""
    SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, coverage(feedback) AS cov
    FROM inference JOIN feedback GROUP BY window(1d), inference.country
""").df()
daily.pivot(index="window", columns="inference.country", values="acc").round(3)

# %% [markdown]
# Hold it to an SLO, stored in the database, judged once 70% of a day's labels are in.

# %%
db.query("""
    CREATE SLO accuracy_by_country AS
    SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc, coverage(feedback) AS cov
    FROM inference JOIN feedback GROUP BY window(1d), inference.country
    EXPECT acc >= 0.7 WHEN cov >= 0.7
""")
checked = db.query("CHECK SLO accuracy_by_country").df()
violated = checked[checked["status"] == "violated"]
violated

# %% [markdown]
# Where does the newest violation come from? Against the first day for the inputs.

# %%
at = violated["window"].max()
diagnosis = db.query(f"""
    DIAGNOSE SELECT accuracy(inference.score >= 0.5, feedback.label) AS acc
    FROM inference JOIN feedback
    REFERENCE (inference WHERE time < '2026-01-06T00:00:00Z')
    GROUP BY window(1d) AT '{at.isoformat()}' BASELINE '2026-01-06T00:00:00Z'
""").df()
diagnosis.head(6)

# %%
slices = diagnosis[diagnosis["kind"] == "slice"]
features = diagnosis[diagnosis["kind"] == "feature"]
print(f"{len(violated)} violated days; the newest, {at:%Y-%m-%d}, comes from "
      f"{slices.iloc[0]['field']} = {slices.iloc[0]['value']} "
      f"(impact {slices.iloc[0]['impact']:+.3f}), and {features.iloc[0]['field']} drifted most.")
db.close()
