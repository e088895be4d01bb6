"""`seamdb.ShardedWriter`: every row lands in its trace's shard (`seamdb.shard_of`), nothing
is lost or doubled, joins stay inside shards (per-shard answers add up to one database's),
and a `seam serve` can be a shard."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import seamdb
from test_client import Served

N = 3000
JOIN = "SELECT count() AS n, count(feedback.label) AS labelled, sum(feedback.label) AS positives FROM inference JOIN feedback"


def workload():
    ids = np.arange(N, dtype="u8") * 7919 + 11
    inference = {
        "trace_id": ids,
        "time": np.datetime64("2026-01-05T00:00:00", "us") + np.arange(N).astype("timedelta64[s]"),
        "score": np.linspace(0, 1, N),
        "country": np.array(["US", "DE", "BR"])[np.arange(N) % 3],
    }
    labelled = ids[::2]
    feedback = pd.DataFrame({"trace_id": labelled, "time": pd.Timestamp("2026-01-06", tz="UTC"), "label": np.arange(len(labelled)) % 2})
    return inference, feedback


def ids_in(db, component):
    t = db.query(f"SELECT count() AS n FROM {component} GROUP BY trace_id").arrow()
    return {int(i) for i in t.column(f"{component}.trace_id").to_pylist()}


def test_rows_go_to_their_traces_shard_and_joins_stay_inside(tmp_path):
    inference, feedback = workload()
    paths = [str(tmp_path / f"shard{k}") for k in range(3)]
    with seamdb.ShardedWriter(paths) as w:
        assert len(w) == 3
        assert w.append("inference", inference) == N
        assert w.append("feedback", feedback) == len(feedback)
    with seamdb.open(str(tmp_path / "whole")) as whole:
        whole.append("inference", inference)
        whole.append("feedback", feedback)
        want = whole.query(JOIN).fetchall()[0]
    seen, sums = set(), [0, 0, 0]
    for k, path in enumerate(paths):
        with seamdb.open(path, read_only=True) as db:
            here = ids_in(db, "inference")
            assert here and all(seamdb.shard_of(i, 3) == k for i in here)
            assert ids_in(db, "feedback") <= here, "a trace's label lands beside its prediction"
            assert not seen & here
            seen |= here
            sums = [a + b for a, b in zip(sums, db.query(JOIN).fetchall()[0])]
    assert seen == {int(i) for i in inference["trace_id"]}
    assert tuple(sums) == want


def test_a_server_can_be_a_shard(tmp_path):
    server = Served()
    try:
        inference, _ = workload()
        with seamdb.ShardedWriter([str(tmp_path / "local"), ("127.0.0.1", server.port)]) as w:
            assert w.append("inference", pa.table(inference)) == N
        with seamdb.connect("127.0.0.1", server.port) as remote:
            remote_ids = remote.query("SELECT count() AS n FROM inference GROUP BY trace_id").arrow().column("inference.trace_id").to_pylist()
            # A pyarrow table crosses the wire through the native encoder: the same tags.
            countries = sorted(remote.query("SELECT count() AS n FROM inference GROUP BY country").arrow().column("inference.country").to_pylist())
        assert remote_ids and all(seamdb.shard_of(int(i), 2) == 1 for i in remote_ids)
        assert countries == ["BR", "DE", "US"]
        with seamdb.open(str(tmp_path / "local"), read_only=True) as db:
            assert len(ids_in(db, "inference")) + len(remote_ids) == N
    finally:
        assert server.stop() == 0


def test_a_failing_shard_says_which_shards_stored_their_rows(tmp_path):
    paths = [str(tmp_path / f"s{k}") for k in range(2)]
    with seamdb.ShardedWriter(paths) as w:
        w.append("c", {"trace_id": [4, 1], "time": [0, 0], "x": [1.0, 2.0]})  # 4 -> shard 1, 1 -> shard 0
        with pytest.raises(seamdb.InputError, match=r"shard 0: .*shards \[\] stored"):
            w.append("c", {"trace_id": [1, 4], "time": [0, 0], "x": ["text", "text"]})
    with pytest.raises(ValueError):
        seamdb.ShardedWriter([])
