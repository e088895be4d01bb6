"""SeamDB from Python: the database embedded in this process (`seamdb.open`), or a
`seam serve` over TCP (`seamdb.connect`).

    import seamdb
    with seamdb.open("traces.db") as db:
        db.append("inference", {"trace_id": [1, 2], "time": [0, 1_000_000], "score": [0.9, 0.2]})
        db.query("SELECT count() AS n, mean(score) AS s FROM inference").df()

    with seamdb.connect("127.0.0.1", 7878) as remote:
        remote.query("SELECT count() AS n FROM inference").df()
"""

from ._errors import Error, InputError, QueryError, StorageError
from .client import Connection, SeamDBError, connect
from .sharded import ShardedWriter

try:
    from ._seamdb import Database, Result, open, shard_of
except ImportError as _e:  # the source tree without a build: nothing that answers works
    _missing = _e
    Database = Result = shard_of = None

    def open(path, read_only=False):  # noqa: A001 - the name DuckDB's users expect
        raise ImportError(
            "seamdb's native module is not built in this copy of the package "
            "(pip install ./python builds it)"
        ) from _missing


__all__ = [
    "open",
    "connect",
    "Database",
    "Result",
    "shard_of",
    "ShardedWriter",
    "Connection",
    "Error",
    "QueryError",
    "InputError",
    "StorageError",
    "SeamDBError",
]
