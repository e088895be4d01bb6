#!/usr/bin/env python3
"""One peer engine (DuckDB or Polars) at one thread count on the standard workload: load the
CSV files SeamDB's harness wrote, run Q1-Q6 (SPEC section 7) and, for DuckDB, the feature
queries F1-F8 (bench/src/queries.rs), and check every answer against SeamDB's. `seamdb-bench` runs this once per (engine, threads), each in a fresh process, so
every peer's peak memory is its own; run by hand it does the same:

    python3 -m pip install -r bench/peers/requirements.txt
    python3 bench/peers/peers.py duckdb --threads 2 --data DATA --answers ANSWERS --work WORK

DATA holds inference.csv and feedback.csv; ANSWERS holds SeamDB's q1.csv ... q6.csv,
f1.csv ... f8.csv and q6_ids.txt. Prints one JSON line for the load and one per query, in the
shape of the harness's results (bench/src/results.rs). A different answer to Q1-Q6 exits
non-zero and says where; one to a feature query is printed as that query's "mismatch" (and on
stderr), without a time, and the harness fails its run once the results are written.
"""
import argparse, csv, json, os, statistics, sys, time
from decimal import Decimal
from datetime import datetime, timezone

HOUR, DAY = 3_600_000_000, 86_400_000_000
REF = ("TIMESTAMPTZ '2026-01-05 00:00:00+00'", "TIMESTAMPTZ '2026-01-06 00:00:00+00'")
REF_US = (1_767_571_200_000_000, 1_767_657_600_000_000)
DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
FLOOR = 1e-4  # SeamDB's PSI floors each bin's share at this, as does every common PSI

DUCK = {
    "Q1": f"""SELECT epoch_us(i.time) // {HOUR} AS w, count(f.label) AS n_labelled,
                sum(((i.score >= 0.5)::INT = f.label)::INT) / count(*) AS accuracy
             FROM inference i JOIN feedback f USING (trace_id) WHERE i.country = 'US' GROUP BY w ORDER BY w""",
    "Q2": f"""SELECT epoch_us(i.time) // {HOUR} AS w, i.model_version, count(f.label) AS n_labelled,
                sum(((i.score >= 0.5)::INT = f.label)::INT) / count(*) AS accuracy
             FROM inference i JOIN feedback f USING (trace_id) GROUP BY w, i.model_version ORDER BY w, i.model_version""",
    "Q3": f"""WITH e AS (SELECT quantile_cont(feature_age, {DECILES}) AS e FROM inference
                        WHERE time >= {REF[0]} AND time < {REF[1]}),
             b AS (SELECT epoch_us(time) // {DAY} AS w, feature_age AS x,
                      CASE WHEN feature_age IS NULL THEN NULL ELSE
                      (x >= e[1])::INT + (x >= e[2])::INT + (x >= e[3])::INT + (x >= e[4])::INT + (x >= e[5])::INT
                      + (x >= e[6])::INT + (x >= e[7])::INT + (x >= e[8])::INT + (x >= e[9])::INT END AS bin
                   FROM inference, e),
             r AS (SELECT bin, count(*) / sum(count(*)) OVER () AS p FROM b
                   WHERE x IS NOT NULL AND w = epoch_us({REF[0]}) // {DAY} GROUP BY bin),
             bins AS (SELECT unnest(range(10)) AS bin),
             n AS (SELECT w, count(*) AS n, count(x) AS nx FROM b GROUP BY w),
             c AS (SELECT w, bin, count(*) AS k FROM b WHERE x IS NOT NULL GROUP BY w, bin)
             SELECT n.w, n.n, sum((greatest(coalesce(c.k, 0) / n.nx, {FLOOR}) - greatest(coalesce(r.p, 0), {FLOOR}))
                                * ln(greatest(coalesce(c.k, 0) / n.nx, {FLOOR}) / greatest(coalesce(r.p, 0), {FLOOR}))) AS psi
             FROM n CROSS JOIN bins LEFT JOIN c ON c.w = n.w AND c.bin = bins.bin LEFT JOIN r ON r.bin = bins.bin
             GROUP BY n.w, n.n ORDER BY n.w""",
    "Q4": f"""SELECT epoch_us(time) // {HOUR} AS w, device, quantile_cont(score, 0.5) AS p50,
                quantile_cont(score, 0.9) AS p90, quantile_cont(score, 0.99) AS p99
             FROM inference GROUP BY w, device ORDER BY w, device""",
    "Q5": f"""SELECT epoch_us(i.time) // {HOUR} AS w, count(f.trace_id) / count(*) AS coverage,
                quantile_cont((epoch_us(f.time) - epoch_us(i.time)) / 1e6, 0.5) AS delay_p50_s
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY w ORDER BY w""",
    # {ids} is filled in with the trace IDs SeamDB looked up.
    "Q6": """SELECT trace_id, 'feedback' AS component, time FROM feedback WHERE trace_id IN ({ids})
             UNION ALL SELECT trace_id, 'inference', time FROM inference WHERE trace_id IN ({ids})""",
}

# The feature queries F1-F8 (bench/src/queries.rs, FEATURES) as DuckDB SQL. SeamQL's JOIN keeps
# driving rows without a label (count() sees them, label metrics skip them): a LEFT JOIN, with
# accuracy over the labelled rows. Windows come back as the text SeamDB prints: calendar
# windows truncated in UTC, the zoned one in Europe/Berlin with its offset. Ties under ORDER BY
# are broken by the default order (window, then keys), as SeamDB keeps them.
ACC = "sum(((i.score >= 0.5)::INT = f.label)::INT) / nullif(count(f.label), 0)"


def utc_window(unit, t="i.time"):
    return f"strftime(date_trunc('{unit}', {t} AT TIME ZONE 'UTC'), '%Y-%m-%dT%H:%M:%SZ')"


def zoned_text(local, zone):
    """A local window start (TIMESTAMP in `zone`) as RFC 3339 with the zone's offset then."""
    off = f"(epoch({local}) - epoch(timezone('{zone}', {local})))::BIGINT"
    return (f"strftime({local}, '%Y-%m-%dT%H:%M:%S') || CASE WHEN {off} < 0 THEN '-' ELSE '+' END"
            f" || lpad((abs({off}) // 3600)::VARCHAR, 2, '0') || ':' || lpad((abs({off}) % 3600 // 60)::VARCHAR, 2, '0')")


def ks_ctes(field):
    """CTEs ending in ks_{field}(d, n, m, dist): per UTC day d, the two-sample KS statistic
    `dist` of the day's non-null, non-NaN values (n of them) against day one's (m): the largest
    gap between the two empirical CDFs at any value of either sample. Both samples go into one
    window per day ordered by value (day one's copied into every day), with running counts of
    each side at or below each value (the default RANGE frame counts ties). DuckDB has no KS
    function; this is its plain SQL form."""
    ok = f"{field} IS NOT NULL AND NOT isnan({field})"
    return f"""ks_{field}_r AS (SELECT {field} AS x FROM inference WHERE time >= {REF[0]} AND time < {REF[1]} AND {ok}),
             ks_{field}_w AS (SELECT date_trunc('day', time AT TIME ZONE 'UTC') AS d, {field} AS x FROM inference WHERE {ok}),
             ks_{field}_u AS (SELECT d, x, 1 AS a, 0 AS b FROM ks_{field}_w
                              UNION ALL SELECT d, x, 0, 1 FROM (SELECT DISTINCT d FROM ks_{field}_w) CROSS JOIN ks_{field}_r),
             ks_{field}_c AS (SELECT d, sum(a) OVER (PARTITION BY d ORDER BY x) AS ca, sum(b) OVER (PARTITION BY d ORDER BY x) AS cb,
                                     sum(a) OVER (PARTITION BY d) AS n FROM ks_{field}_u),
             ks_{field} AS (SELECT d, any_value(n) AS n, any_value(m) AS m, max(abs(ca / n - cb / m)) AS dist
                            FROM ks_{field}_c, (SELECT count(*) AS m FROM ks_{field}_r) GROUP BY d)"""


DUCK_FEATURES = {
    "F1": f"""SELECT {utc_window('week')} AS w, floor(i.feature_age / 10) * 10 AS b, count(f.label) AS n, {ACC} AS acc
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY ALL
             HAVING count(f.label) >= 100 ORDER BY acc NULLS LAST, w, b NULLS LAST LIMIT 10""",
    "F2": f"""SELECT {utc_window('month')} AS w,
                CASE WHEN i.score >= 0.9 THEN 'high' WHEN i.score >= 0.5 THEN 'mid' ELSE 'low' END AS band,
                count(*) AS n, avg(i.score) AS mean_score, {ACC} AS acc
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY ALL ORDER BY w, band NULLS LAST""",
    "F3": f"""WITH d AS (SELECT date_trunc('day', i.time AT TIME ZONE 'Europe/Berlin') AS day, i.model_version,
                                count(f.label) AS n, {ACC} AS acc
                         FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY ALL)
             SELECT {zoned_text('day', 'Europe/Berlin')} AS w, model_version, n, acc FROM d
             ORDER BY timezone('Europe/Berlin', day), model_version NULLS LAST""",
    "F4": f"""WITH r AS (SELECT date_trunc('hour', time AT TIME ZONE 'UTC') AS h, device, count(*) AS n, avg(score) AS mean_score
                         FROM inference WHERE country = 'ZA' AND score >= 0.999
                           AND time >= {REF[0]} AND time < TIMESTAMPTZ '2026-01-12 00:00:00+00' GROUP BY ALL),
                  hours AS (SELECT unnest(range(TIMESTAMP '2026-01-05 00:00:00', TIMESTAMP '2026-01-12 00:00:00', INTERVAL 1 HOUR)) AS h),
                  devices AS (SELECT DISTINCT device FROM r)
             SELECT strftime(hours.h, '%Y-%m-%dT%H:%M:%SZ') AS w, devices.device, coalesce(r.n, 0) AS n, r.mean_score
             FROM hours CROSS JOIN devices LEFT JOIN r ON r.h = hours.h AND r.device IS NOT DISTINCT FROM devices.device
             ORDER BY hours.h, devices.device NULLS LAST""",
    "F5": f"""SELECT {utc_window('day')} AS w, i.country, count(f.label) AS n, {ACC} AS acc
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY ALL
             HAVING count(f.label) >= 100 ORDER BY acc DESC NULLS LAST, w, i.country NULLS LAST LIMIT 10""",
    "F6": f"""SELECT {utc_window('day')} AS w, i.feature_income > 40000 AS rich, i.country IN ('US', 'DE') AS us_de,
                count(*) AS n, count(f.label) AS n_labelled, {ACC} AS acc
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY ALL ORDER BY w, rich NULLS LAST, us_de NULLS LAST""",
    # chi2 of each day's countries against day one's shares (goodness of fit; null if the day
    # has a country day one lacks); k = day one's countries, for the p-value in Python.
    "F7": f"""WITH ref AS (SELECT country AS c, count(*) AS k FROM inference
                           WHERE time >= {REF[0]} AND time < {REF[1]} AND country IS NOT NULL GROUP BY c),
                  p AS (SELECT c, k / sum(k) OVER () AS p FROM ref),
                  days AS (SELECT date_trunc('day', time AT TIME ZONE 'UTC') AS d, count(*) AS n, count(country) AS total
                           FROM inference GROUP BY d),
                  obs AS (SELECT date_trunc('day', time AT TIME ZONE 'UTC') AS d, country AS c, count(*) AS o
                          FROM inference WHERE country IS NOT NULL GROUP BY ALL),
                  unseen AS (SELECT d, count(*) AS u FROM obs ANTI JOIN ref USING (c) GROUP BY d)
             SELECT strftime(days.d, '%Y-%m-%dT%H:%M:%SZ') AS w, days.n,
                    CASE WHEN any_value(unseen.u) > 0 THEN NULL
                         ELSE sum((coalesce(obs.o, 0) - days.total * p.p) ** 2 / (days.total * p.p)) END AS chi2,
                    (SELECT count(*) FROM ref) AS k
             FROM days CROSS JOIN p LEFT JOIN obs ON obs.d = days.d AND obs.c = p.c LEFT JOIN unseen ON unseen.d = days.d
             GROUP BY days.d, days.n ORDER BY days.d""",
    "F8": f"""WITH {ks_ctes('score')}, {ks_ctes('feature_age')},
                  days AS (SELECT date_trunc('day', time AT TIME ZONE 'UTC') AS d, count(*) AS n FROM inference GROUP BY d)
             SELECT strftime(days.d, '%Y-%m-%dT%H:%M:%SZ') AS w, days.n, s.dist, s.n, s.m, a.dist, a.n, a.m
             FROM days LEFT JOIN ks_score s ON s.d = days.d LEFT JOIN ks_feature_age a ON a.d = days.d ORDER BY days.d""",
}


def p_values(wanted):
    """DuckDB has no p-value functions: F7's and F8's p-values come from SciPy (the functions
    SPEC section 4 defines them by) over the statistic DuckDB computed. Returns the row
    post-processing per query, and which columns go unchecked without SciPy. SciPy is imported
    only when F7 or F8 runs, and only scipy.special (scipy.stats alone takes a second to
    import, which quick mode would pay in every DuckDB process): chdtrc(k, x) is what
    scipy.stats.chi2.sf(x, k) calls."""
    if not {"F7", "F8"} & set(wanted):
        return {}, {}
    try:
        from scipy.special import chdtrc, kolmogorov
    except ImportError:
        unchecked = "p-value columns not compared: SciPy is not installed (pip install -r bench/peers/requirements.txt)"
        return {"F7": lambda r: [*r[:3], None], "F8": lambda r: [r[0], r[1], r[2], None, r[5], None]}, {"F7": ({3}, unchecked), "F8": ({3, 5}, unchecked)}

    def chi2_p(stat, k):
        return None if stat is None or k < 2 else float(chdtrc(k - 1, stat))

    def ks_p(d, n, m):
        return None if d is None or not n or not m else float(kolmogorov((n * m / (n + m)) ** 0.5 * d))

    return {"F7": lambda r: [r[0], r[1], r[2], chi2_p(r[2], r[3])],
            "F8": lambda r: [r[0], r[1], r[2], ks_p(*r[2:5]), r[5], ks_p(*r[5:8])]}, {}


def polars_queries(pl, inf, fb, ids):
    """Q1-Q6 as lazy frames (Q3 as a function: its bin edges come from a first query)."""
    w = lambda col, width: (pl.col(col).dt.epoch("us") // width).alias("w")
    joined = inf.join(fb, on="trace_id", how="inner", suffix="_f")
    acc = [pl.col("label").count().alias("n_labelled"),
           ((pl.col("score") >= 0.5).cast(pl.Int64) == pl.col("label")).mean().alias("accuracy")]

    def q3():
        t = pl.col("time").dt.epoch("us")
        reference = inf.filter((t >= REF_US[0]) & (t < REF_US[1])).select(
            [pl.col("feature_age").quantile(q, interpolation="linear").alias(str(q)) for q in DECILES]).collect().row(0)
        x = pl.col("feature_age")
        binned = inf.select(w("time", DAY), x.alias("x"), pl.sum_horizontal([(x >= e).cast(pl.Int64) for e in reference]).alias("bin"))
        counts = binned.filter(pl.col("x").is_not_null()).group_by("w", "bin").agg(pl.len().alias("k"))
        ref_w = REF_US[0] // DAY
        ref = counts.filter(pl.col("w") == ref_w).select("bin", (pl.col("k") / pl.col("k").sum()).alias("p"))
        totals = binned.group_by("w").agg(pl.len().alias("n"), pl.col("x").count().alias("nx"))
        bins = pl.LazyFrame({"bin": list(range(10))}, schema={"bin": pl.Int64})
        share = pl.max_horizontal(pl.col("k").fill_null(0) / pl.col("nx"), pl.lit(FLOOR))
        base = pl.max_horizontal(pl.col("p").fill_null(0.0), pl.lit(FLOOR))
        return (totals.join(bins, how="cross").join(counts, on=["w", "bin"], how="left").join(ref, on="bin", how="left")
                .group_by("w", "n").agg(((share - base) * (share / base).log()).sum().alias("psi")).sort("w").collect())

    id_list = [int(i) for i in ids]
    return {
        "Q1": lambda: joined.filter(pl.col("country") == "US").group_by(w("time", HOUR)).agg(acc).sort("w").collect(),
        "Q2": lambda: joined.group_by(w("time", HOUR), "model_version").agg(acc).sort("w", "model_version").collect(),
        "Q3": q3,
        "Q4": lambda: inf.group_by(w("time", HOUR), "device").agg(
            [pl.col("score").quantile(q, interpolation="linear").alias(n) for q, n in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"))]
        ).sort("w", "device").collect(),
        "Q5": lambda: inf.join(fb, on="trace_id", how="left", suffix="_f").group_by(w("time", HOUR)).agg(
            (pl.col("time_f").is_not_null().mean()).alias("coverage"),
            ((pl.col("time_f").dt.epoch("us") - pl.col("time").dt.epoch("us")) / 1e6).quantile(0.5, interpolation="linear").alias("delay_p50_s"),
        ).sort("w").collect(),
        "Q6": lambda: pl.concat([
            fb.filter(pl.col("trace_id").is_in(id_list)).select("trace_id", pl.lit("feedback").alias("component"), "time"),
            inf.filter(pl.col("trace_id").is_in(id_list)).select("trace_id", pl.lit("inference").alias("component"), "time"),
        ]).collect(),
    }


def windows(name, rows):
    """Rows as SeamDB's CSV prints them: window starts as RFC 3339, the rest as they are."""
    width = DAY if name == "Q3" else HOUR
    return [[datetime.fromtimestamp(r[0] * width / 1e6, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")] + list(r[1:]) for r in rows]


def cells_differ(x, y):
    """How SeamDB's CSV cell `x` differs from the peer's value `y` (None if it does not): null
    is an empty cell, a bool prints true/false, numbers agree within 1e-9 relative (at least
    1e-9 absolute), anything else as text. Returns (difference or None, absolute difference)."""
    if y is None:
        return (None if x == "" else "null vs a value"), 0.0
    if isinstance(y, bool):
        return (None if x == ("true" if y else "false") else "bools differ"), 0.0
    if isinstance(y, (int, float, Decimal)):
        if x == "":
            return "a value vs null", 0.0
        d = abs(float(x) - float(y))
        return (None if d <= 1e-9 * max(1.0, abs(float(x))) else "numbers differ"), d
    return (None if x == str(y) else "texts differ"), 0.0


def compare_feature(name, rows, answers, unchecked=()):
    """Largest absolute difference from SeamDB's answer to a feature query, and None; or
    (None, where it differs). Columns in `unchecked` are not compared."""
    with open(os.path.join(answers, name.lower() + ".csv")) as f:
        header, *theirs = list(csv.reader(f))
    if len(theirs) != len(rows):
        return None, f"SeamDB has {len(theirs)} rows, the peer {len(rows)}"
    worst = 0.0
    for k, (a, b) in enumerate(zip(theirs, rows)):
        if len(a) != len(b):
            return None, f"row {k}: SeamDB {a} has {len(a)} columns ({header}), the peer {len(b)}: {list(b)}"
        for c, (x, y) in enumerate(zip(a, b)):
            if c in unchecked:
                continue
            what, d = cells_differ(x, y)
            if what:
                return None, f"row {k}, {header[c]}: {what}: SeamDB {a} vs peer {list(b)}"
            worst = max(worst, d)
    return worst, None


def compare(name, rows, answers):
    """Largest absolute difference from SeamDB's answer; exits on a different shape or value."""
    with open(os.path.join(answers, name.lower() + ".csv")) as f:
        theirs = list(csv.reader(f))[1:]
    if name == "Q6":
        # The same events, as (trace, component, time) sets: a trace picked twice appears twice
        # in SeamDB's list, and neither side promises an order.
        us = lambda t: round(t.timestamp() * 1e6)
        seam = {(r[0], r[1], us(datetime.fromisoformat(r[2].replace("Z", "+00:00")))) for r in theirs}
        mine = {(str(r[0]), r[1], us(r[2])) for r in rows}
        if seam != mine:
            sys.exit(f"Q6: SeamDB found {len(seam)} events, the peer {len(mine)}; {len(seam ^ mine)} differ")
        return 0.0
    mine = windows(name, rows)
    if len(theirs) != len(mine):
        sys.exit(f"{name}: SeamDB has {len(theirs)} rows, the peer {len(mine)}")
    worst = 0.0
    for a, b in zip(theirs, mine):
        for x, y in zip(a, b):
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                d = abs(float(x) - float(y))
                if not d <= 1e-9 * max(1.0, abs(float(x))):
                    sys.exit(f"{name}: SeamDB {a} vs peer {b}")
                worst = max(worst, d)
            elif str(x) != str(y):
                sys.exit(f"{name}: SeamDB {a} vs peer {b}")
    return worst


def spread(xs):
    if not xs:
        return {"median": 0.0, "min": 0.0, "max": 0.0, "runs": 0}
    return {"median": statistics.median_high(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}


def timed(f, runs):
    """The answer of a first (cold) run, its time, and `runs` warm times (ms)."""
    t = time.perf_counter()
    answer = f()
    cold = (time.perf_counter() - t) * 1e3
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1e3)
    return answer, cold, times


def peak_mb():
    """This process's peak RSS (VmHWM: unlike ru_maxrss, it does not carry over the peak of
    the process that exec'd this one)."""
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:")) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine", choices=["duckdb", "polars"])
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--data", required=True, help="directory with inference.csv and feedback.csv")
    ap.add_argument("--answers", required=True, help="SeamDB's answers (q1.csv ... q6.csv, q6_ids.txt)")
    ap.add_argument("--work", required=True, help="where the DuckDB file goes")
    ap.add_argument("--runs", type=int, default=5, help="warm runs per query")
    ap.add_argument("--load-runs", type=int, default=3, help="loads of the CSV files, each from scratch")
    ap.add_argument("--queries", default=",".join(["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", *DUCK_FEATURES]),
                    help="which to run (Polars has no feature queries F1...)")
    a = ap.parse_args()
    # Polars sizes its pool once per process, from the environment, before it is imported.
    os.environ["POLARS_MAX_THREADS"] = str(a.threads)
    files = [os.path.join(a.data, f) for f in ("inference.csv", "feedback.csv")]
    input_bytes = sum(os.path.getsize(f) for f in files)
    ids = [l.strip() for l in open(os.path.join(a.answers, "q6_ids.txt")) if l.strip()]
    wanted = a.queries.split(",")
    emit = lambda kind, **kw: print(json.dumps({"kind": kind, "engine": a.engine, "threads": a.threads, **kw}), flush=True)

    if a.engine == "duckdb":
        import duckdb
        os.makedirs(a.work, exist_ok=True)
        path = os.path.join(a.work, f"peer-{a.threads}.duckdb")
        loads, con = [], None
        for _ in range(a.load_runs):
            if con is not None:
                con.close()  # else connect() hands back the open database
            for stale in (path, path + ".wal"):
                if os.path.exists(stale):
                    os.remove(stale)
            con = duckdb.connect(path)
            con.execute(f"SET threads = {a.threads}")
            t = time.perf_counter()
            con.execute(f"""CREATE TABLE inference AS SELECT * FROM read_csv('{files[0]}', header=true, columns={{
                'trace_id':'UBIGINT','time':'TIMESTAMPTZ','score':'DOUBLE','model_version':'VARCHAR','country':'VARCHAR',
                'device':'VARCHAR','feature_age':'DOUBLE','feature_income':'DOUBLE'}})""")
            con.execute(f"""CREATE TABLE feedback AS SELECT * FROM read_csv('{files[1]}', header=true, columns={{
                'trace_id':'UBIGINT','time':'TIMESTAMPTZ','label':'BIGINT'}})""")
            con.execute("CHECKPOINT")
            loads.append(time.perf_counter() - t)
        rows = con.execute("SELECT (SELECT count(*) FROM inference) + (SELECT count(*) FROM feedback)").fetchone()[0]
        emit("ingest", method="CSV files into a database file (read_csv, CHECKPOINT)", rows=rows, input_bytes=input_bytes,
             rows_per_s=spread([rows / s for s in loads]), peak_memory_mb=peak_mb())
        run = lambda sql, post=None: (lambda: [post(r) for r in con.execute(sql).fetchall()] if post else con.execute(sql).fetchall())
        queries = {n: run(q.format(ids=",".join(ids)) if n == "Q6" else q) for n, q in DUCK.items()}
        post, unchecked = p_values(wanted)
        queries.update({n: run(q, post.get(n)) for n, q in DUCK_FEATURES.items()})
        texts = DUCK_FEATURES
    else:
        import polars as pl
        loads = []
        for _ in range(a.load_runs):
            t = time.perf_counter()
            frames = [pl.read_csv(f, schema_overrides={"trace_id": pl.UInt64}).with_columns(
                pl.col("time").str.to_datetime(time_unit="us", time_zone="UTC")) for f in files]
            loads.append(time.perf_counter() - t)
        rows = sum(f.height for f in frames)
        emit("ingest", method="CSV files into data frames (read_csv, parse times)", rows=rows, input_bytes=input_bytes,
             rows_per_s=spread([rows / s for s in loads]), peak_memory_mb=peak_mb())
        lazy = polars_queries(pl, frames[0].lazy(), frames[1].lazy(), ids)
        queries = {n: (lambda f=f: f().rows()) for n, f in lazy.items()}
        unchecked, texts = {}, {}

    for name in (n for n in queries if n in wanted):
        answer, cold, times = timed(queries[name], a.runs)
        if name in texts:
            # A feature query: a different answer is reported as such, without a time, and the
            # others still run; the harness fails the run at its end.
            skip, why = unchecked.get(name, ((), None))
            diff, mismatch = compare_feature(name, answer, a.answers, skip)
            extra = {"text": " ".join(texts[name].split()), "unchecked": why, "peak_memory_mb": peak_mb()}
            if mismatch:
                print(f"{a.engine} {name}: {mismatch}", file=sys.stderr)
                emit("query", query=name, mismatch=mismatch, **extra)
            else:
                emit("query", query=name, ms=spread(times), cold_ms=cold, max_abs_diff=diff, **extra)
            continue
        diff = compare(name, answer, a.answers)
        emit("query", query=name, ms=spread(times), cold_ms=cold, max_abs_diff=diff, peak_memory_mb=peak_mb())


if __name__ == "__main__":
    main()
