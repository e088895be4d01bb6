"""`seamdb.open`: appends of every input kind, round trips of every type and of nulls and
NaN, the result forms, errors, and two threads querying at once."""

import datetime
import gc
import math
import threading
import time
import zoneinfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import seamdb
import seamdb._convert

UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 1, 5, tzinfo=UTC)
T0_US = int(T0.timestamp()) * 1_000_000


def every_type():
    """Three events with a float, int, bool and tag field each, with a null in each and a NaN."""
    return {
        "trace_id": [1, 2, 3],
        "time": [T0_US, T0_US + 1_000_000, T0_US + 3_600_000_000],
        "score": [0.5, float("nan"), None],
        "n": [1, None, -(2**62)],
        "ok": [None, True, False],
        "country": ["US", None, "DE"],
    }


def test_every_type_and_null_round_trips(db):
    assert db.append("inference", every_type()) == 3
    # TRACE gives events back as they were stored: time, component, then every field.
    rows = [db.trace(i).fetchall()[0] for i in (1, 2, 3)]
    assert db.trace(1).columns == ["time", "component", "inference.score", "inference.n", "inference.ok", "inference.country"]
    assert [row[0] for row in rows] == [T0, T0 + datetime.timedelta(seconds=1), T0 + datetime.timedelta(hours=1)]
    assert rows[0][2] == 0.5 and math.isnan(rows[1][2]) and rows[2][2] is None
    assert [row[3] for row in rows] == [1, None, -(2**62)]
    assert [row[4] for row in rows] == [None, True, False]
    assert [row[5] for row in rows] == ["US", None, "DE"]


def test_arrow_types(db):
    db.append("inference", every_type())
    q = "SELECT min(time) AS time, mean(score) AS score, max(n) AS n FROM inference GROUP BY trace_id, ok, country"
    t = db.query(q).arrow()
    assert isinstance(t, pa.Table)
    assert t.column_names == ["inference.trace_id", "inference.ok", "inference.country", "time", "score", "n"]
    assert t.schema.field("time").type == pa.timestamp("us", tz="UTC")
    assert t.schema.field("score").type == pa.float64()
    assert t.schema.field("n").type == pa.int64()
    assert t.schema.field("inference.ok").type == pa.bool_()
    assert pa.types.is_dictionary(t.schema.field("inference.country").type)
    assert t.schema.field("inference.trace_id").type == pa.string()
    assert t.column("inference.trace_id").to_pylist() == ["1", "2", "3"]
    assert t.column("score").to_pylist()[0] == 0.5
    assert math.isnan(db.trace(2).arrow().column("inference.score").to_pylist()[0]), "NaN stays NaN"
    assert t.column("n").to_pylist() == [1, None, -(2**62)]
    assert t.column("inference.ok").to_pylist() == [None, True, False]
    assert t.column("inference.country").to_pylist() == ["US", None, "DE"]
    windows = db.query("SELECT count() AS n FROM inference GROUP BY window(1h)").arrow()
    assert windows.schema.field("window").type == pa.timestamp("us", tz="UTC")
    assert windows.column("window").to_pylist() == [T0, T0 + datetime.timedelta(hours=1)]


def test_zoned_windows_are_timestamps_in_their_zone(db):
    # Berlin's days around the spring change (2026-03-29): 24, 23 and 24 hours long.
    times = ["2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z", "2026-03-29T22:30:00Z", "2026-03-30T12:00:00Z"]
    db.append("z", {"trace_id": [1, 2, 3, 4], "time": times})
    r = db.query("SELECT count() AS n FROM z GROUP BY window(1d, 'Europe/Berlin')")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    days = [datetime.datetime(2026, 3, d, tzinfo=berlin) for d in (28, 29, 30, 31)]
    # 22:30 UTC on the 29th is 00:30 on the 30th in Berlin (UTC+2 by then).
    assert r.fetchall() == [(days[0], 1), (days[1], 1), (days[2], 2)]
    assert [str(w.utcoffset()) for w, _ in r.fetchall()] == ["1:00:00", "1:00:00", "2:00:00"]
    t = r.arrow()
    assert t.schema.field("window").type == pa.timestamp("us", tz="Europe/Berlin")
    assert t.column("window").to_pylist() == days[:3]
    df = r.df()
    assert str(df["window"].dt.tz) == "Europe/Berlin"
    assert df["window"].tolist() == [pd.Timestamp(d) for d in days[:3]]
    # Without a zone the windows stay UTC.
    assert db.query("SELECT count() AS n FROM z GROUP BY window(1d)").arrow().schema.field("window").type == pa.timestamp("us", tz="UTC")


def test_df_is_tz_aware_categorical_and_keeps_nan_apart_from_null(db):
    db.append("inference", every_type())
    df = db.query("SELECT min(time) AS time, mean(score) AS score FROM inference GROUP BY country").df()
    assert str(df["time"].dtype) in ("datetime64[us, UTC]", "datetime64[ns, UTC]")
    assert isinstance(df["inference.country"].dtype, pd.CategoricalDtype)
    assert pd.Timestamp("2026-01-05T00:00:00Z") in df["time"].tolist()
    r = db.query("SELECT count(score) AS s, nan_rate(score) AS nan, null_rate(score) AS nul FROM inference").fetchall()
    assert r == [(2, 1 / 3, 1 / 3)]


def test_numpy_columns(db):
    n = 10_000
    cols = {
        "trace_id": np.arange(n, dtype="u8") + 100_000,
        "time": np.datetime64("2026-01-05T00:00:00", "us") + np.arange(n).astype("timedelta64[s]"),
        "score": np.where(np.arange(n) % 10 == 0, np.nan, np.linspace(0, 1, n)),
        "label": (np.arange(n) % 2).astype("i8"),
        "small": np.arange(n, dtype="i2"),
        "ok": np.arange(n) % 3 == 0,
        "device": np.array(["ios", "web"] * (n // 2)),
    }
    assert db.append("np", cols) == n
    r = db.query("SELECT count() AS n, count(score) AS s, nan_rate(score) AS nan, sum(label) AS l, max(small) AS m, count(ok) AS o FROM np")
    assert r.fetchall() == [(n, n, 0.1, n // 2, n - 1, n)]
    assert db.query("SELECT count() AS n FROM np WHERE device = 'ios'").fetchall() == [(n // 2,)]
    assert db.query("SELECT min(time) AS t FROM np").fetchall() == [(T0,)]


def test_numpy_text_and_masked_arrays(db):
    # Fixed-width text crosses as raw UTF-32 or bytes (no string per row): every value, the
    # non-ASCII, the longest and the empty, must come back as it went in, with one dictionary
    # entry per distinct value, and a masked array's mask as nulls.
    words = np.array(["ios", "wéb", "", "android-tv-🙂", "ios"])
    raw = np.array([b"a", b"bb", b"", b"a", b"ccc"])
    db.append(
        "txt",
        {
            "trace_id": np.array(["1", "2", "3", "4", "5"]),  # text IDs, parsed
            "time": np.array(["2026-01-05T00:00:00Z"] * 5),
            "word": words,
            "raw": raw,
            "sliced": np.array(["x", "y", "z", "w", "v", "u", "t", "s", "r", "q"])[::2],  # strided
            "masked": np.ma.masked_array(["p", "q", "p", "q", "p"], mask=[0, 1, 0, 0, 1]),
            "income": np.ma.masked_array([1.0, np.nan, 3.0, 4.0, 5.0], mask=[0, 0, 1, 0, 0]),
        },
    )
    got = sorted(tuple(r[2:]) for i in range(1, 6) for r in db.trace(i).fetchall())
    want = sorted(
        zip(words.tolist(), [b.decode() for b in raw], ["x", "z", "v", "t", "r"], ["p", None, "p", "q", None], [1.0, math.nan, None, 4.0, 5.0])
    )
    assert [g[:4] for g in got] == [w[:4] for w in want]
    assert [repr(g[4]) for g in got] == [repr(w[4]) for w in want], "masked: null; NaN stays a value"
    r = db.query("SELECT count() AS n FROM txt GROUP BY word ORDER BY n DESC, word").fetchall()
    assert r == [("ios", 2), ("", 1), ("android-tv-🙂", 1), ("wéb", 1)]
    assert db.query("SELECT count() AS n FROM txt WHERE raw = 'a'").fetchall() == [(2,)]
    # A slice of a marked table reaches the engine with an offset into numpy's buffer.
    marked = seamdb._convert.to_arrow({"trace_id": np.arange(6, dtype="u8"), "time": np.zeros(6, dtype="i8"), "w": np.array(["a", "bb", "ccc", "dddd", "ee", "f"])})
    assert marked.schema.field("w").metadata == {b"seamdb.numpy_text": b"U"}
    db.append("sliced", marked.slice(2, 3))
    assert db.query("SELECT count() AS n FROM sliced GROUP BY w").fetchall() == [("ccc", 1), ("dddd", 1), ("ee", 1)]


def test_times_of_every_form_land_on_the_same_microsecond(db):
    forms = [
        [T0_US],
        ["2026-01-05T00:00:00Z"],
        np.array(["2026-01-05T00:00:00"], dtype="datetime64[ns]"),
        pa.array([T0_US // 1000], type=pa.timestamp("ms", tz="Europe/Paris")),
        pd.Series(pd.to_datetime(["2026-01-05T01:00:00+01:00"], utc=True)),
    ]
    for i, t in enumerate(forms):
        db.append("times", {"trace_id": [i], "time": t})
    assert db.query("SELECT count() AS n, min(time) AS lo, max(time) AS hi FROM times").fetchall() == [(len(forms), T0, T0)]


def test_trace_ids_of_every_form(db):
    uuid = "00000000-0000-0000-0000-00000000002a"
    db.append("ids", {"trace_id": ["7", uuid, "0000000000000000000000000000002b", str(2**70)], "time": [0, 0, 0, 0]})
    db.append("ids", {"trace_id": pa.array([8], type=pa.uint32()), "time": [0]})
    db.append("ids", {"trace_id": [9, 2**100], "time": [0, 0]})  # past 64 bits: as text
    assert db.query("SELECT count() AS n FROM ids").fetchall() == [(7,)]
    assert len(db.trace(42)) == 1
    with pytest.raises(seamdb.QueryError, match="not a trace ID"):
        db.trace("2b")
    assert len(db.trace("0000000000000000000000000000002b")) == 1
    assert len(db.trace(2**70)) == 1 and len(db.trace("8")) == 1 and len(db.trace(2**100)) == 1


def test_pyarrow_table_record_batch_and_dictionary_columns(db):
    table = pa.table(
        {
            "trace_id": pa.array([1, 2, 3, 4], type=pa.int64()),
            "time": pa.array([T0_US] * 4, type=pa.timestamp("us", tz="UTC")),
            "score": pa.array([0.1, None, 0.3, 0.4], type=pa.float32()),
            "country": pa.array(["US", "DE", None, "US"]).dictionary_encode(),
            "device": pa.array(["a", "b", "a", None], type=pa.large_string()),
        }
    )
    chunked = pa.concat_tables([table.slice(0, 1), table.slice(1, 3)])  # two chunks, sliced
    assert db.append("pa", chunked) == 4
    assert db.append("pa", table.to_batches()[0]) == 4
    rows = db.query("SELECT count() AS n, count(score) AS s, count(country) AS c, count(device) AS d FROM pa GROUP BY country ORDER BY country").fetchall()
    # Trace 2 (DE) has no score; trace 3 no country; trace 4 no device; each appended twice.
    assert rows == [("DE", 2, 0, 2, 2), ("US", 4, 4, 4, 2), (None, 2, 2, 0, 2)]


def test_pandas_frame_keeps_nan_as_a_value_and_none_as_null(db):
    frame = pd.DataFrame(
        {
            "trace_id": np.arange(6, dtype="u8"),
            "time": pd.to_datetime(["2026-01-05T00:00:00"] * 3 + ["2026-01-05T01:00:00"] * 3),
            "score": [0.1, 0.6, np.nan, 0.9, 0.4, 0.7],
            "n": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "device": pd.Categorical(["ios", "web", "ios", None, "ios", "web"]),
        }
    )
    assert db.append("pd", frame) == 6
    out = db.query("SELECT count() AS n, count(pd.score) AS s, count(pd.n) AS k, count(pd.device) AS d FROM pd GROUP BY window(1h)").df()
    assert list(out.columns) == ["window", "n", "s", "k", "d"]
    assert out["s"].tolist() == [3, 3], "a NaN score is a value, counted"
    assert out["k"].tolist() == [2, 3] and out["d"].tolist() == [3, 2]


def test_polars_frame_in_and_out(db):
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"trace_id": [1, 2], "time": [T0, T0], "score": [0.25, None], "tag": ["x", "y"]})
    assert db.append("pl", frame) == 2
    out = db.query("SELECT count() AS n, count(score) AS s FROM pl GROUP BY tag ORDER BY tag").pl()
    assert isinstance(out, pl.DataFrame) and out["s"].to_list() == [1, 0]


def test_empty_results_and_catalog_statements(db):
    db.append("inference", every_type())
    empty = db.query("SELECT mean(score) AS score FROM inference WHERE score > 10 GROUP BY country")
    assert len(empty) == 0 and empty.fetchall() == [] and empty.arrow().num_rows == 0
    assert empty.columns == ["inference.country", "score"]
    assert ("inference",) in [r[:1] for r in db.query("SHOW COMPONENTS").fetchall()]
    assert "score" in repr(db.query("DESCRIBE inference"))


def test_errors_carry_the_engines_messages(db):
    with pytest.raises(seamdb.QueryError, match="line 1, column 1"):
        db.query("SELEC 1")
    with pytest.raises(seamdb.QueryError, match="nothing"):
        db.query("SELECT count() FROM nothing")
    with pytest.raises(seamdb.InputError, match="no \"time\" column"):
        db.append("x", {"trace_id": [1]})
    with pytest.raises(seamdb.InputError, match="trace_id"):
        db.append("x", {"trace_id": ["not an id"], "time": [0]})
    with pytest.raises(seamdb.InputError, match="negative"):
        db.append("x", {"trace_id": [-1], "time": [0]})
    with pytest.raises(seamdb.InputError, match="trace_id has nulls"):
        db.append("x", {"trace_id": [1, None], "time": [0, 0]})
    with pytest.raises(seamdb.InputError, match="not a SeamDB field type"):
        db.append("x", {"trace_id": [1], "time": [0], "when": pa.array([0], type=pa.date32())})
    db.append("x", {"trace_id": [1], "time": [0], "score": [0.5]})
    with pytest.raises(seamdb.InputError, match="field \"score\" is float"):
        db.append("x", {"trace_id": [2], "time": [0], "score": ["high"]})
    assert db.query("SELECT count() AS n FROM x").fetchall() == [(1,)], "a refused append stores nothing"
    with pytest.raises(seamdb.InputError, match="column 'score'"):
        db.append("x", {"trace_id": [3], "time": [0], "score": [1.5, "a"][::-1]})
    with pytest.raises(TypeError, match="cannot append"):
        db.append("x", 42)
    assert issubclass(seamdb.QueryError, seamdb.Error) and issubclass(seamdb.SeamDBError, seamdb.Error)


def test_durable_on_return_and_reopen(tmp_path):
    path = str(tmp_path / "db")
    db = seamdb.open(path)
    db.append("inference", every_type())
    db.close()
    db.close()  # harmless
    with pytest.raises(seamdb.StorageError, match="closed"):
        db.query("SHOW COMPONENTS")
    with seamdb.open(path) as again:
        assert again.query("SELECT count() AS n FROM inference").fetchall() == [(3,)]
        again.flush()
        assert again.query("SELECT count() AS n FROM inference").fetchall() == [(3,)]


def test_read_only_reads_beside_a_writer_and_refuses_changes(tmp_path):
    path = str(tmp_path / "db")
    with seamdb.open(path) as writer:
        writer.append("inference", every_type())
        with pytest.raises(seamdb.StorageError, match="locked"):
            seamdb.open(path)
        with seamdb.open(path, read_only=True) as reader:
            assert reader.query("SELECT count() AS n FROM inference").fetchall() == [(3,)]
            with pytest.raises(seamdb.StorageError, match="read-only"):
                reader.append("inference", every_type())


WRITER = """
import sys, numpy as np, seamdb
db = seamdb.open(sys.argv[1])
k = 0
while True:
    ids = np.arange(k * 100, (k + 1) * 100, dtype="u8")
    db.append("inference", {"trace_id": ids, "time": ids.astype("i8") * 1000, "k": np.full(100, k)})
    print(k, flush=True)   # batch k is durable
    k += 1
"""


def test_read_only_in_this_process_sees_what_a_writer_in_another_acknowledged(tmp_path):
    """A writer process appends 100-row batches and says each one's number once it is durable;
    each read-only open here must see every batch acknowledged before it, and whole ones only."""
    import subprocess
    import sys

    path = str(tmp_path / "db")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, path], stdout=subprocess.PIPE, text=True)
    try:
        acked = -1
        for _ in range(20):
            acked = int(writer.stdout.readline())          # the newest batch acknowledged so far
            with seamdb.open(path, read_only=True) as reader:
                rows, top = reader.query("SELECT count() AS n, max(k) AS top FROM inference").fetchall()[0]
            assert top >= acked, f"batch {acked} was acknowledged before the open; the reader saw up to {top}"
            assert rows == (top + 1) * 100, "every batch up to the newest it saw, each whole"
    finally:
        writer.kill()
        writer.wait()
    assert acked >= 19


def test_two_threads_query_at_once_with_the_gil_released(db):
    n = 3_000_000
    rng = np.random.default_rng(1)
    db.append("big", pa.table({"trace_id": np.arange(n, dtype="u8"), "time": np.arange(n, dtype="i8") * 1000, "x": rng.random(n), "c": pa.array(["a", "b", "c", "d"] * (n // 4)).dictionary_encode()}))
    db.flush()
    q = "SELECT quantile(x, 0.5) AS p, mean(x) AS m FROM big GROUP BY c, window(1s)"
    expected = db.query(q).fetchall()
    one_query_s = min(timed(lambda: db.query(q)) for _ in range(3))
    answers, errors = [], []

    def ask():
        try:
            for _ in range(4):
                answers.append(db.query(q))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=ask) for _ in range(2)]
    # This thread keeps running Python while both query: were the GIL held through a query,
    # it would stand still for a whole query at a time. (The garbage collector is off
    # meanwhile: a full collection of pytest's heap holds the GIL about as long as a query.)
    gc.disable()
    try:
        for t in threads:
            t.start()
        longest_gap_s, last = 0.0, time.perf_counter()
        while any(t.is_alive() for t in threads):
            now = time.perf_counter()
            longest_gap_s, last = max(longest_gap_s, now - last), now
        for t in threads:
            t.join()
    finally:
        gc.enable()
    assert not errors and [a.fetchall() for a in answers] == [expected] * 8
    if one_query_s > 0.05:  # else too fast to tell a held GIL from the switch interval
        assert longest_gap_s < one_query_s * 0.75, (longest_gap_s, one_query_s)


def timed(f):
    started = time.perf_counter()
    f()
    return time.perf_counter() - started
