"""`seamdb.ShardedWriter`: appends split by trace ID over N databases (docs/DISTRIBUTED.md
§Sharding), so that every event of a trace lands in one shard and a join on `trace_id`
never crosses shards."""

import os

import pyarrow as pa
import pyarrow.compute as pc

from ._convert import to_arrow
from ._errors import Error


class ShardedWriter:
    """Appends to N shards, each row to `seamdb.shard_of(trace_id, N)`. A target is a path
    (opened here), a `(host, port)` address of a `seam serve` (connected here), or an open
    `seamdb.Database` or connection. Closing the writer closes what it opened.

        with seamdb.ShardedWriter(["shard0.db", "shard1.db", ("10.0.0.7", 7878)]) as w:
            w.append("inference", df)
    """

    def __init__(self, targets):
        from . import connect, open as open_db

        self._targets, self._owned = [], []
        try:
            for target in targets:
                if isinstance(target, (str, os.PathLike)):
                    target = open_db(target)
                    self._owned.append(target)
                elif isinstance(target, tuple):
                    target = connect(*target)
                    self._owned.append(target)
                self._targets.append(target)
        except BaseException:
            self.close()
            raise
        if not self._targets:
            raise ValueError("a ShardedWriter needs at least one shard")

    def __len__(self):
        return len(self._targets)

    def append(self, component, data):
        """Appends `data` (any form `Database.append` takes) to `component`, each row to its
        trace's shard, and returns how many rows. Each shard's part is durable when this
        returns; the parts are not one transaction: if a shard fails, the parts before it
        are stored and the error says which shards have theirs.

            w.append("feedback", {"trace_id": [7, 8], "time": [0, 0], "label": [1, 0]})
        """
        from ._seamdb import _shards

        table = pa.table(to_arrow(data))
        shards = _shards(table, len(self._targets))
        # One stable sort by shard (rows keep their order within a shard), then a slice each,
        # instead of a pass over every row per shard.
        table = table.take(pc.sort_indices(shards))
        counts = pc.value_counts(shards).to_pylist()
        rows = {c["values"]: c["counts"] for c in counts}
        appended, done, start = 0, [], 0
        for k, target in enumerate(self._targets):
            part, start = table.slice(start, rows.get(k, 0)), start + rows.get(k, 0)
            if part.num_rows == 0:
                continue
            try:
                appended += target.append(component, part)
            except Error as e:
                e.args = (f"shard {k}: {e} (shards {done} stored their rows of this append)",) + e.args[1:]
                raise
            done.append(k)
        return appended

    def close(self):
        for target in self._owned:
            target.close()
        self._owned = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

