"""SeamDB on Spark (seamdb.spark), in local mode with two cores: the data source returns
exactly each component's rows and answers pushed filters itself; SeamQL over three shards
through partial states answers what one database holding all the rows answers, for every
SELECT of tests/queries/*.test and for Q1-Q5 of the standard workload.

Needs pyspark (>= 4.1) and Java 17; .ci/run installs both."""

import datetime
import math
import os
import subprocess

import pyarrow as pa
import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import seamdb
import seamdb.spark
from support import QUERIES
from test_queries import cases

# SPEC §7's standard queries.
STANDARD = {
    "Q1": "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy "
    "FROM inference JOIN feedback WHERE inference.country = 'US' GROUP BY window(1h)",
    "Q2": "SELECT count(feedback.label) AS n_labelled, accuracy(inference.score >= 0.5, feedback.label) AS accuracy "
    "FROM inference JOIN feedback GROUP BY window(1h), inference.model_version",
    "Q3": "SELECT count() AS n, psi(inference.feature_age) AS psi FROM inference "
    "REFERENCE (inference WHERE time >= '2026-01-05T00:00:00Z' AND time < '2026-01-06T00:00:00Z') GROUP BY window(1d)",
    "Q4": "SELECT quantile(inference.score, 0.5) AS p50, quantile(inference.score, 0.9) AS p90, "
    "quantile(inference.score, 0.99) AS p99 FROM inference GROUP BY window(1h), inference.device",
    "Q5": "SELECT coverage(feedback) AS coverage, quantile(feedback.time - inference.time, 0.5) AS delay_p50_s "
    "FROM inference JOIN feedback GROUP BY window(1h)",
}

SHARDS = 3


@pytest.fixture(scope="module")
def spark():
    session = (
        SparkSession.builder.master("local[2]")
        .appName("seamdb-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    seamdb.spark.register(session)
    yield session
    session.stop()


def rows_of(path, component):
    """Every row of a component, read by the engine (the reference the data source is
    compared with)."""
    with seamdb.open(path, read_only=True) as db:
        _, schema = db._layout(component)
        return pa.Table.from_batches(db._read(component, None, []), schema=schema)


def split(one, names, tmp_path):
    """Three shards holding `one`'s components, routed by `seamdb.ShardedWriter`."""
    paths = [str(tmp_path / f"shard{k}") for k in range(SHARDS)]
    writer = seamdb.ShardedWriter(paths)
    for component in names:
        writer.append(component, rows_of(one, component))
    writer.close()
    return paths


@pytest.fixture(scope="module")
def workload(tmp_path_factory, seam):
    """The standard workload (`seam demo`: a week of predictions and their labels), as one
    database, with some rows still in the unsealed tail, and split into three shards."""
    tmp = tmp_path_factory.mktemp("workload")
    one = str(tmp / "one")
    subprocess.run([seam, "demo", one, "--rows", "60000", "--report", str(tmp / "report.html")], check=True, capture_output=True)
    late = {"trace_id": [10**30, 7], "time": [datetime.datetime(2026, 1, 11, 23, tzinfo=datetime.timezone.utc)] * 2, "score": [0.25, 0.75],
            "country": ["US", "DE"], "device": ["web", "ios"], "model_version": ["v1", "v2"], "feature_age": [30.0, 40.0]}
    with seamdb.open(one) as db:
        db.append("inference", late)  # not flushed: the tail
    return one, split(one, ["inference", "feedback"], tmp)


@pytest.fixture(scope="module")
def query_shards(query_data, tmp_path_factory):
    """tests/queries/data as one database (`seam ingest`) and as three shards."""
    with seamdb.open(query_data, read_only=True) as db:
        names = [row[0] for row in db.query("SHOW COMPONENTS").fetchall()]
    return split(query_data, names, tmp_path_factory.mktemp("query-shards"))


def load(spark, paths, component):
    reader = spark.read.format("seamdb").option("component", component)
    return reader.option("paths", ",".join(paths)).load() if len(paths) > 1 else reader.option("path", paths[0]).load()


def sorted_rows(table):
    return sorted(table.to_pylist(), key=lambda r: (r["trace_id"], r["time"], str(r)))


@pytest.mark.parametrize("component", ["inference", "feedback"])
def test_the_data_source_returns_exactly_each_components_rows(spark, workload, component):
    one, shards = workload
    expected = rows_of(one, component)
    df = load(spark, [one], component)
    assert df.columns == expected.column_names
    assert df.rdd.getNumPartitions() >= 2  # a partition per sealed segment, one for the tail
    assert df.count() == expected.num_rows
    got = df.toArrow()
    assert sorted_rows(got) == sorted_rows(expected)
    # The shards read together hold the same rows.
    assert sorted_rows(load(spark, shards, component).toArrow()) == sorted_rows(expected)


def test_pushed_filters_are_answered_by_the_engine(spark, workload):
    one, shards = workload
    expected = rows_of(one, "inference").to_pylist()
    lo = datetime.datetime(2026, 1, 6, tzinfo=datetime.timezone.utc)
    hi = datetime.datetime(2026, 1, 7, 12, tzinfo=datetime.timezone.utc)
    df = (
        load(spark, shards, "inference")
        .filter((F.col("time") >= F.lit(lo)) & (F.col("time") < F.lit(hi)))
        .filter(F.col("country").isin("US", "DE"))
        .filter(F.col("device") == "ios")
        .filter(F.col("score") > 0.5)  # not a condition the engine takes: Spark's
    )
    plan = df._jdf.queryExecution().executedPlan().toString()
    # What Spark still filters: `score > 0.5`, and the `isnotnull` it infers (which the
    # engine's `device = 'ios'` implies); the time range, the IN and the equality are gone.
    kept = plan.split("Filter", 1)[1].split("\n")[0]
    assert "score#" in kept and "BatchScan seamdb" in plan, plan
    assert "time#" not in kept and "country#" not in kept and "ios" not in kept, plan
    want = [r for r in expected if lo <= r["time"] < hi and r["country"] in ("US", "DE") and r["device"] == "ios" and r["score"] is not None and r["score"] > 0.5]
    assert want and sorted_rows(df.toArrow()) == sorted(want, key=lambda r: (r["trace_id"], r["time"], str(r)))
    # A trace's events, by its ID as SeamQL prints it (decimal, and 32 hex digits above 2^64).
    for trace in ("7", format(10**30, "032x")):
        got = load(spark, shards, "inference").filter(F.col("trace_id") == trace).toArrow().to_pylist()
        assert got == [r for r in expected if r["trace_id"] == trace]


def close(a, b):
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def same_answer(spark, one, shards, seamql):
    with seamdb.open(one, read_only=True) as db:
        expected = db.query(seamql)
    got = seamdb.spark.query(spark, shards, seamql)
    assert got.columns == expected.columns
    theirs = expected.arrow().to_pylist()
    ours = got.toArrow().to_pylist()
    assert len(ours) == len(theirs), (seamql, ours, theirs)
    for mine, want in zip(ours, theirs):
        assert all(close(mine[c], want[c]) for c in expected.columns), (seamql, mine, want)


@pytest.mark.parametrize("name", sorted(STANDARD))
def test_standard_queries_over_three_shards_equal_one_database(spark, workload, name):
    one, shards = workload
    same_answer(spark, one, shards, STANDARD[name])


def selects():
    return [c for c in cases() if c.values[1].lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize("kind,statement,expected", selects())
def test_every_test_select_over_three_shards_equals_one_database(spark, query_data, query_shards, kind, statement, expected):
    if kind == "error":
        with pytest.raises(seamdb.QueryError) as e:
            seamdb.spark.query(spark, query_shards, statement)
        assert expected in str(e.value)
        return
    same_answer(spark, query_data, query_shards, statement)


def test_partial_states_refuse_what_does_not_merge(workload):
    one, _ = workload
    with seamdb.open(one, read_only=True) as db:
        a = db._partial("SELECT count() AS n FROM inference", 0, "schemas")
        with pytest.raises(seamdb.QueryError, match="another query"):
            seamdb._seamdb._partial_merge("SELECT count() AS m FROM inference", 0, [a])
        with pytest.raises(seamdb.QueryError, match="another query"):  # another now()
            seamdb._seamdb._partial_merge("SELECT count() AS n FROM inference WHERE time < now()", 1, [db._partial("SELECT count() AS n FROM inference WHERE time < now()", 0, "schemas")])
        with pytest.raises(seamdb.QueryError, match="only a SELECT"):
            db._partial("SHOW COMPONENTS", 0, "schemas")
    with pytest.raises(seamdb.QueryError, match="not partial states"):
        seamdb._seamdb._partial_merge("SELECT count() AS n FROM inference", 0, [a[:-3]])


def test_a_segment_gone_since_planning_fails_the_read_and_says_so(workload):
    one, _ = workload
    with seamdb.open(one, read_only=True) as db:
        segments, _ = db._layout("inference")
        gone = max(s for s, _ in segments) + 1000
        with pytest.raises(seamdb.StorageError, match="no longer in the database.*read again"):
            db._read("inference", gone, [s for s, _ in segments])
        # The rest of a shard is every part but the planned segments: none of them twice.
        rest = sum(b.num_rows for b in db._read("inference", None, [s for s, _ in segments]))
        planned = sum(rows for _, rows in segments)
        assert planned > 0 and rest == 2  # the two rows appended after the seal


def test_queries_over_shards_see_a_writer_appending_small_batches(spark, tmp_path):
    """The live shape: a writer appends 10-row batches to three shards (in this process)
    while Spark's tasks open them read-only beside it. Every answer counts at least what was
    acknowledged before the query and at most what was acknowledged by its end."""
    import threading

    paths = [str(tmp_path / f"live{k}") for k in range(SHARDS)]
    acked = [0]
    stop = threading.Event()
    writer = seamdb.ShardedWriter(paths)
    base = datetime.datetime(2026, 1, 5, tzinfo=datetime.timezone.utc)

    def write():
        b = 0
        while not stop.is_set():
            ids = list(range(b * 10, b * 10 + 10))
            writer.append("inference", {"trace_id": ids, "time": [base + datetime.timedelta(seconds=i) for i in ids], "score": [0.5] * 10})
            acked[0] += 10
            b += 1

    writer.append("inference", {"trace_id": [10**9], "time": [base], "score": [0.5]})
    acked[0] += 1
    thread = threading.Thread(target=write)
    thread.start()
    answers = []
    try:
        while len(answers) < 4:
            before = acked[0]
            n = seamdb.spark.query(spark, paths, "SELECT count() AS n FROM inference").collect()[0]["n"]
            answers.append((before, n, acked[0]))
    finally:
        stop.set()
        thread.join()
    writer.close()
    assert all(before <= n <= after for before, n, after in answers), answers
    assert len({n for _, n, _ in answers}) > 1, answers  # they grew as the writer wrote
    assert seamdb.spark.query(spark, paths, "SELECT count() AS n FROM inference").collect()[0]["n"] == acked[0]
