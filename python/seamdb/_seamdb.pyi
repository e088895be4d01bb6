"""Type stubs of the native module (python/src): seamdb.open, Database, Result."""

import datetime
import os
from types import TracebackType
from typing import Any, List, Optional, Tuple, Type, Union

import pyarrow

# A dict of columns (lists or numpy arrays), a pyarrow Table or RecordBatch, a pandas or
# polars DataFrame.
AppendData = Any

def open(path: Union[str, os.PathLike[str]], read_only: bool = False) -> Database:
    """Opens (creating if missing) the database at `path`.

    >>> db = seamdb.open("traces.db")
    """

def shard_of(trace_id: Union[int, str], shards: int) -> int:
    """The shard (0 to shards - 1) of a trace when a database is split by trace ID
    (docs/DISTRIBUTED.md §Sharding).

    >>> seamdb.shard_of(4, 2)
    1
    """

class Database:
    """An open SeamDB database; a context manager that closes it."""

    @property
    def path(self) -> str: ...
    def append(self, component: str, data: AppendData) -> int:
        """Appends events (durable on return); returns how many.

        >>> db.append("feedback", {"trace_id": [1], "time": ["2026-01-05T01:00:00Z"], "label": [1]})
        1
        """
    def query(self, seamql: str) -> Result:
        """Runs one SeamQL statement.

        >>> db.query("SELECT count() AS n FROM inference GROUP BY window(1h)").df()
        """
    def trace(self, trace_id: Union[int, str]) -> Result:
        """Every event of one trace in every component, ordered by time.

        >>> db.trace(42).fetchall()
        """
    def flush(self) -> None:
        """Seals everything appended so far into segments (appends are durable without it).

        >>> db.flush()
        """
    def close(self) -> None:
        """Closes the database; later calls raise StorageError.

        >>> db.close()
        """
    def __enter__(self) -> Database: ...
    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> bool: ...

class Result:
    """A query's answer.

    >>> r = db.query("SELECT count() AS n FROM inference")
    >>> r.columns, r.fetchall()
    (['n'], [(4,)])
    """

    @property
    def columns(self) -> List[str]: ...
    def arrow(self) -> pyarrow.Table:
        """The answer as a pyarrow Table (times timestamp[us, UTC], the windows of
        `window(…, 'Zone')` timestamp[us, Zone], tags dictionaries).

        >>> db.query("SELECT count() AS n FROM inference GROUP BY window(1h)").arrow()
        """
    def df(self) -> Any:
        """The answer as a pandas DataFrame (times tz-aware, tags categorical).

        >>> db.query("SELECT mean(score) AS s FROM inference GROUP BY window(1d)").df()
        """
    def pl(self) -> Any:
        """The answer as a polars DataFrame.

        >>> db.query("SELECT count() AS n FROM inference GROUP BY country").pl()
        """
    def fetchall(self) -> List[Tuple[Union[int, float, bool, str, datetime.datetime, None], ...]]:
        """Every row as a tuple (times as UTC datetimes, zoned windows in their zone, null
        as None).

        >>> db.query("SELECT count() AS n FROM inference").fetchall()
        [(4,)]
        """
    def __len__(self) -> int: ...
