#!/usr/bin/env python3
"""The standard queries Q1-Q6 (SPEC section 7) on DuckDB and Polars, on the same CSV files SeamDB
ingested, with 1 and 2 threads; checks that their answers equal SeamDB's.

    pip install duckdb polars
    seamdb-bench csv --n 10000000 --out DATA
    seam ingest DB -c inference DATA/inference.csv && seam ingest DB -c feedback DATA/feedback.csv
    seamdb-bench queries --db DB --answers ANSWERS
    python3 bench/peers/queries.py --data DATA --answers ANSWERS --work WORK

Prints one JSON line per (engine, threads, query) with the median of --runs warm runs, and
the largest difference from SeamDB's answer (a failed comparison exits non-zero).
"""
import argparse, csv, json, math, os, statistics, sys, time
from datetime import datetime, timezone

HOUR, DAY = 3_600_000_000, 86_400_000_000
REF = ("TIMESTAMPTZ '2026-01-05 00:00:00+00'", "TIMESTAMPTZ '2026-01-06 00:00:00+00'")

DUCK = {
    "Q1": f"""SELECT epoch_us(i.time) // {HOUR} AS w, count(f.label) AS n_labelled,
                sum(((i.score >= 0.5)::INT = f.label)::INT) / count(*) AS accuracy
             FROM inference i JOIN feedback f USING (trace_id) WHERE i.country = 'US' GROUP BY w ORDER BY w""",
    "Q2": f"""SELECT epoch_us(i.time) // {HOUR} AS w, i.model_version, count(f.label) AS n_labelled,
                sum(((i.score >= 0.5)::INT = f.label)::INT) / count(*) AS accuracy
             FROM inference i JOIN feedback f USING (trace_id) GROUP BY w, i.model_version ORDER BY w, i.model_version""",
    "Q3": f"""WITH e AS (SELECT quantile_cont(feature_age, [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9]) AS e FROM inference
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
             SELECT n.w, n.n, sum((greatest(coalesce(c.k, 0) / n.nx, 1e-4) - greatest(coalesce(r.p, 0), 1e-4))
                                * ln(greatest(coalesce(c.k, 0) / n.nx, 1e-4) / greatest(coalesce(r.p, 0), 1e-4))) AS psi
             FROM n CROSS JOIN bins LEFT JOIN c ON c.w = n.w AND c.bin = bins.bin LEFT JOIN r ON r.bin = bins.bin
             GROUP BY n.w, n.n ORDER BY n.w""",
    "Q4": f"""SELECT epoch_us(time) // {HOUR} AS w, device, quantile_cont(score, 0.5) AS p50,
                quantile_cont(score, 0.9) AS p90, quantile_cont(score, 0.99) AS p99
             FROM inference GROUP BY w, device ORDER BY w, device""",
    "Q5": f"""SELECT epoch_us(i.time) // {HOUR} AS w, count(f.trace_id) / count(*) AS coverage,
                quantile_cont((epoch_us(f.time) - epoch_us(i.time)) / 1e6, 0.5) AS delay_p50_s
             FROM inference i LEFT JOIN feedback f USING (trace_id) GROUP BY w ORDER BY w""",
}


def polars_queries(pl, inf, fb):
    w = lambda col, width: (pl.col(col).dt.epoch("us") // width).alias("w")
    joined = inf.join(fb, on="trace_id", how="inner", suffix="_f")
    acc = [pl.col("label").count().alias("n_labelled"),
           ((pl.col("score") >= 0.5).cast(pl.Int64) == pl.col("label")).mean().alias("accuracy")]
    return {
        "Q1": joined.filter(pl.col("country") == "US").group_by(w("time", HOUR)).agg(acc).sort("w"),
        "Q2": joined.group_by(w("time", HOUR), "model_version").agg(acc).sort("w", "model_version"),
        "Q4": inf.group_by(w("time", HOUR), "device").agg(
            [pl.col("score").quantile(q, interpolation="linear").alias(n) for q, n in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"))]
        ).sort("w", "device"),
        "Q5": inf.join(fb, on="trace_id", how="left", suffix="_f").group_by(w("time", HOUR)).agg(
            (pl.col("time_f").is_not_null().mean()).alias("coverage"),
            ((pl.col("time_f").dt.epoch("us") - pl.col("time").dt.epoch("us")) / 1e6).quantile(0.5, interpolation="linear").alias("delay_p50_s"),
        ).sort("w"),
    }


def to_rows(name, rows):
    """Rows as SeamDB's CSV prints them: windows as RFC 3339, numbers as floats."""
    width = DAY if name == "Q3" else HOUR
    out = []
    for r in rows:
        t = datetime.fromtimestamp(r[0] * width / 1e6, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append([t] + list(r[1:]))
    return out


def compare(name, mine, answers):
    """Largest absolute difference from SeamDB's answer; raises on a different shape or text."""
    with open(os.path.join(answers, name.lower() + ".csv")) as f:
        theirs = list(csv.reader(f))[1:]
    if len(theirs) != len(mine):
        raise SystemExit(f"{name}: SeamDB has {len(theirs)} rows, the peer {len(mine)}")
    worst = 0.0
    for a, b in zip(theirs, mine):
        for x, y in zip(a, b):
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                d = abs(float(x) - float(y))
                if not d <= 1e-9 * max(1.0, abs(float(x))):
                    raise SystemExit(f"{name}: {a} vs {b}")
                worst = max(worst, d)
            elif str(x) != str(y):
                raise SystemExit(f"{name}: {a} vs {b}")
    return worst


def timed(f, runs):
    f()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times), min(times), max(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory with inference.csv and feedback.csv")
    ap.add_argument("--answers", help="SeamDB's answers (seamdb-bench queries --answers)")
    ap.add_argument("--work", default="/tmp/seamdb-peers", help="where the DuckDB file goes")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--engines", default="duckdb,polars")
    ap.add_argument("--queries", default="Q1,Q2,Q3,Q4,Q5,Q6", help="which of Q1..Q6 to run")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    threads = [int(t) for t in args.threads.split(",")]
    inf_csv, fb_csv = os.path.join(args.data, "inference.csv"), os.path.join(args.data, "feedback.csv")

    if "duckdb" in args.engines:
        import duckdb
        path = os.path.join(args.work, "peers.duckdb")
        fresh = not os.path.exists(path)
        con = duckdb.connect(path)
        if fresh:
            con.execute(f"""CREATE TABLE inference AS SELECT * FROM read_csv('{inf_csv}', header=true, columns={{
                'trace_id':'UBIGINT','time':'TIMESTAMPTZ','score':'DOUBLE','model_version':'VARCHAR','country':'VARCHAR',
                'device':'VARCHAR','feature_age':'DOUBLE','feature_income':'DOUBLE'}})""")
            con.execute(f"""CREATE TABLE feedback AS SELECT * FROM read_csv('{fb_csv}', header=true, columns={{
                'trace_id':'UBIGINT','time':'TIMESTAMPTZ','label':'BIGINT'}})""")
        ids = None
        if args.answers and os.path.exists(os.path.join(args.answers, "q6_ids.txt")):
            ids = [l.strip() for l in open(os.path.join(args.answers, "q6_ids.txt")) if l.strip()]
        for t in threads:
            con.execute(f"SET threads = {t}")
            for name, sql in ((n, q) for n, q in DUCK.items() if n in args.queries.split(",")):
                rows = con.execute(sql).fetchall()
                median, lo, hi = timed(lambda: con.execute(sql).fetchall(), args.runs)
                diff = compare(name, to_rows(name, rows), args.answers) if args.answers else None
                print(json.dumps({"engine": "duckdb", "threads": t, "query": name, "median_ms": median, "min_ms": lo, "max_ms": hi, "max_abs_diff": diff}), flush=True)
            if ids and "Q6" in args.queries.split(","):
                in_list = ",".join(ids)
                sql = f"""SELECT trace_id, 'feedback' AS component, time FROM feedback WHERE trace_id IN ({in_list})
                          UNION ALL SELECT trace_id, 'inference', time FROM inference WHERE trace_id IN ({in_list})"""
                rows = con.execute(sql).fetchall()
                median, lo, hi = timed(lambda: con.execute(sql).fetchall(), args.runs)
                us = lambda t: round(t.timestamp() * 1e6)
                with open(os.path.join(args.answers, "q6.csv")) as f:
                    theirs = [(r[0], r[1], us(datetime.fromisoformat(r[2]))) for r in list(csv.reader(f))[1:]]
                mine = [(str(r[0]), r[1], us(r[2])) for r in rows]
                # A trace picked twice appears twice in SeamDB's list.
                if sorted(set(theirs)) != sorted(set(mine)):
                    raise SystemExit("Q6: different events")
                print(json.dumps({"engine": "duckdb", "threads": t, "query": "Q6", "traces": len(ids), "median_ms": median, "min_ms": lo, "max_ms": hi}), flush=True)

    if "polars" in args.engines:
        for t in threads:
            # Polars sizes its thread pool once per process, from the environment.
            code = f"""
import os, sys, json
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
import queries as q
import polars as pl
inf = pl.read_csv({inf_csv!r}, schema_overrides={{"trace_id": pl.UInt64}}).with_columns(pl.col("time").str.to_datetime(time_unit="us", time_zone="UTC")).lazy()
fb = pl.read_csv({fb_csv!r}, schema_overrides={{"trace_id": pl.UInt64}}).with_columns(pl.col("time").str.to_datetime(time_unit="us", time_zone="UTC")).lazy()
inf, fb = inf.collect().lazy(), fb.collect().lazy()
for name, lf in ((n, l) for n, l in q.polars_queries(pl, inf, fb).items() if n in {args.queries.split(",")!r}):
    rows = lf.collect().rows()
    median, lo, hi = q.timed(lambda: lf.collect(), {args.runs})
    diff = q.compare(name, q.to_rows(name, rows), {args.answers!r}) if {args.answers!r} else None
    print(json.dumps({{"engine": "polars", "threads": {t}, "query": name, "median_ms": median, "min_ms": lo, "max_ms": hi, "max_abs_diff": diff}}), flush=True)
"""
            import subprocess
            r = subprocess.run([sys.executable, "-c", code], env={**os.environ, "POLARS_MAX_THREADS": str(t)})
            if r.returncode != 0:
                sys.exit(r.returncode)


if __name__ == "__main__":
    main()
