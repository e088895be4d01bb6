"""SeamDB's Python client: talks to `seam serve` over its framed TCP protocol
(docs/PROTOCOL.md in the repository). Standard library only; pandas DataFrames and numpy
arrays are accepted and returned when those packages are installed.

    import seamdb
    with seamdb.connect("127.0.0.1", 7878) as db:
        db.append("inference", [{"trace_id": 1, "time": "2026-01-05T00:00:00Z", "score": 0.9}])
        rows = db.query("SELECT count() AS n FROM inference")
"""

from .client import Connection, SeamDBError, connect

__all__ = ["connect", "Connection", "SeamDBError"]
