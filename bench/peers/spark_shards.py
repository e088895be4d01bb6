"""SeamQL over shards through local Spark (issue 17), run by `seamdb-bench spark`.

The stored workload (--db) is split into 1, 2, 4, ... shards by `seamdb.ShardedWriter` (kept
under --work and reused), then Q1-Q5 are asked of each split through `seamdb.spark.query`'s
two halves (`partial_states` on the shards as Spark tasks, merged by Spark; the finish on the
driver; the rows collected as a DataFrame), and of the whole database embedded in this
process (`seamdb.open(db).query(q)`), in alternating rounds. Every Spark answer is checked
against the embedded one (within 1e-12) before a time is kept; a wrong answer exits 1.

Then the live shape (--live-seconds): Q1 through Spark over a copy of the 2-shard split (or
the first split) while a writer in this process appends 100 predictions and then their 100
labels at a time, each append durable, through `ShardedWriter`.

Prints one JSON object a line: {"kind": "embedded" | "spark" | "split" | "live", ...}.
"""

import argparse
import datetime
import json
import math
import os
import shutil
import statistics
import sys
import threading
import time

import pyarrow as pa
from pyspark.sql import SparkSession

import seamdb
import seamdb.spark


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": len(values)}


def store_join(path):
    """Stores the join of inference with feedback, as a writer's first joining query does:
    read-only readers (the Spark tasks, the embedded reference) use it from then on."""
    with seamdb.open(path) as db:
        db.query("SELECT count() AS n FROM inference JOIN feedback")


def split(db_path, work, k):
    """The database split `k` ways under work/shards-k, made once (a stamp marks it done),
    each shard sealed and its join stored."""
    base = os.path.join(work, f"shards-{k}")
    paths = [os.path.join(base, str(i)) for i in range(k)]
    if os.path.exists(os.path.join(base, "done")):
        return paths, None
    start = time.perf_counter()
    with seamdb.open(db_path, read_only=True) as one, seamdb.ShardedWriter(paths) as writer:
        for component in ("inference", "feedback"):
            _, schema = one._layout(component)
            writer.append(component, pa.Table.from_batches(one._read(component, None, []), schema=schema))
    for p in paths:
        with seamdb.open(p) as shard:
            shard.flush()
        store_join(p)
    open(os.path.join(base, "done"), "w").close()
    return paths, time.perf_counter() - start


def live(spark, paths, work, q1, seconds):
    """Q1 through Spark, over copies of `paths`, while a writer appends 100-row batches."""
    copies = [os.path.join(work, "live", str(i)) for i in range(len(paths))]
    shutil.rmtree(os.path.join(work, "live"), ignore_errors=True)
    for src, dst in zip(paths, copies):
        shutil.copytree(src, dst)
    writer = seamdb.ShardedWriter(copies)
    stop, acked = threading.Event(), [0]
    start_time = datetime.datetime(2026, 1, 12, tzinfo=datetime.timezone.utc)  # after the week

    def write():
        b = 0
        while not stop.is_set():
            ids = [10**12 + b * 100 + i for i in range(100)]
            times = [start_time + datetime.timedelta(milliseconds=b * 100 + i) for i in range(100)]
            writer.append("inference", {"trace_id": ids, "time": times, "score": [(i % 10) / 10 for i in range(100)],
                                        "model_version": ["v1"] * 100, "country": ["US", "DE"] * 50, "device": ["ios"] * 100,
                                        "feature_age": [30.0] * 100, "feature_income": [50_000.0] * 100})
            writer.append("feedback", {"trace_id": ids, "time": [t + datetime.timedelta(hours=1) for t in times], "label": [i % 2 for i in range(100)]})
            acked[0] += 200
            b += 1

    thread = threading.Thread(target=write)
    began = time.perf_counter()
    thread.start()
    ms = []
    try:
        while time.perf_counter() - began < seconds:
            start = time.perf_counter()
            seamdb.spark.query(spark, copies, q1).collect()
            ms.append((time.perf_counter() - start) * 1e3)
    finally:
        stop.set()
        thread.join()
        writer.close()
    elapsed = time.perf_counter() - began
    return {"kind": "live", "shards": len(paths), "q1_ms": spread(ms), "appended_rows_per_s": acked[0] / elapsed, "batch_rows": 100}


def same(a, b):
    if isinstance(a, float) and isinstance(b, (int, float)):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--shards", default="1,2,4")
    ap.add_argument("--queries", required=True, help="JSON list of {name, text}")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--live-seconds", type=float, default=0, help="the live phase's length (0: none)")
    args = ap.parse_args()
    queries = json.load(open(args.queries))
    counts = [int(k) for k in args.shards.split(",")]
    store_join(args.db)
    splits = {}
    for k in counts:
        splits[k], seconds = split(args.db, args.work, k)
        if seconds is not None:
            print(json.dumps({"kind": "split", "shards": k, "seconds": seconds}), flush=True)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("seamdb-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    seamdb.spark.register(spark)
    print(json.dumps({"kind": "versions", "spark": spark.version, "seamdb": "local build", "cores": "local[2]"}), flush=True)

    embedded = {q["name"]: [] for q in queries}
    timed = {(k, q["name"]): {"ms": [], "finish_ms": [], "shipped": []} for k in counts for q in queries}
    with seamdb.open(args.db, read_only=True) as one:
        answers = {q["name"]: one.query(q["text"]).arrow().to_pylist() for q in queries}
        # A warm-up of every split and query (Python workers started, files in the page
        # cache), its answer checked.
        for k in counts:
            for q in queries:
                got = seamdb.spark.query(spark, splits[k], q["text"]).toArrow().to_pylist()
                want = answers[q["name"]]
                ok = len(got) == len(want) and all(same(r[c], w[c]) for r, w in zip(got, want) for c in w)
                if not ok:
                    print(f"{q['name']} over {k} shards differs from one database", file=sys.stderr)
                    sys.exit(1)
        for _ in range(args.runs):
            for q in queries:
                start = time.perf_counter()
                one.query(q["text"]).arrow()
                embedded[q["name"]].append((time.perf_counter() - start) * 1e3)
                for k in counts:
                    start = time.perf_counter()
                    states = seamdb.spark.partial_states(spark, splits[k], q["text"])
                    finish = time.perf_counter()
                    table = seamdb._seamdb._partial_finish(q["text"], states.now, states.context, states.groups).arrow()
                    spark.createDataFrame(seamdb.spark._plain(table)).collect()
                    end = time.perf_counter()
                    t = timed[(k, q["name"])]
                    t["ms"].append((end - start) * 1e3)
                    t["finish_ms"].append((end - finish) * 1e3)
                    t["shipped"].append(states.shipped)
    for q in queries:
        print(json.dumps({"kind": "embedded", "query": q["name"], "ms": spread(embedded[q["name"]])}), flush=True)
        for k in counts:
            t = timed[(k, q["name"])]
            print(
                json.dumps(
                    {
                        "kind": "spark",
                        "query": q["name"],
                        "shards": k,
                        "ms": spread(t["ms"]),
                        "finish_ms": spread(t["finish_ms"]),
                        "shipped_bytes": statistics.median(t["shipped"]),
                    }
                ),
                flush=True,
            )
    if args.live_seconds > 0:
        k = 2 if 2 in splits else counts[0]
        q1 = next(q["text"] for q in queries if q["name"] == "Q1")
        print(json.dumps(live(spark, splits[k], args.work, q1, args.live_seconds)), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
