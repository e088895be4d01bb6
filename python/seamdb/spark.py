"""SeamDB on Apache Spark (docs/DISTRIBUTED.md): read components as DataFrames, and ask SeamQL
of the shards of one logical database with the answers one database would give.

    import seamdb.spark
    seamdb.spark.register(spark)
    df = (spark.read.format("seamdb").option("path", "traces.db")
          .option("component", "inference").load())
    seamdb.spark.query(spark, ["s0.db", "s1.db", "s2.db"],
                       "SELECT accuracy(score > 0.5, feedback.label) AS acc "
                       "FROM inference JOIN feedback GROUP BY window(1d)").show()

Needs pyspark 4.1 or later (the Python data source with filter pushdown). Every executor
opens the shards it reads itself, read-only: the paths must be reachable from the executors
(a local or shared file system). The databases may be written meanwhile; a read sees them as
they were when its task opened them.
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator, List, Optional, Sequence

import pyarrow as pa
from py4j.protocol import Py4JJavaError
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.datasource import (
    DataSource,
    DataSourceReader,
    EqualTo,
    Filter,
    GreaterThan,
    GreaterThanOrEqual,
    In,
    InputPartition,
    LessThan,
    LessThanOrEqual,
)
from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
from pyspark.sql.types import StructType

from . import _errors, _seamdb
from ._errors import QueryError

__all__ = ["register", "query", "partial_states", "PartialStates", "SeamDBDataSource"]


def register(spark: SparkSession) -> None:
    """Registers the data source as format "seamdb" with this session, and turns on Spark's
    filter pushdown for Python data sources (which a reader that takes filters needs).

        seamdb.spark.register(spark)
        spark.read.format("seamdb").option("path", "traces.db").option("component", "inference").load()
    """
    spark.conf.set("spark.sql.python.filterPushdown.enabled", "true")
    spark.dataSource.register(SeamDBDataSource)


def _open(path: str):
    return _seamdb.open(path, read_only=True)


def _paths(options) -> List[str]:
    """The shards an option map names: "path" (one database), or "paths" (several: a JSON
    list, as `load([...])` gives it, or comma-separated)."""
    paths = options.get("paths")
    if paths:
        listed = json.loads(paths) if paths.lstrip().startswith("[") else paths.split(",")
        return [p.strip() for p in listed if p.strip()]
    if options.get("path"):
        return [options["path"]]
    raise ValueError('the seamdb data source needs option("path", DB) or option("paths", ...) and option("component", NAME)')


class SeamDBDataSource(DataSource):
    """`spark.read.format("seamdb")`: one component of one database, or of the shards of one
    logical database, as a DataFrame with columns trace_id (text, as SeamQL prints it), time
    (UTC timestamp) and the component's fields (tags as text). One input partition per sealed
    segment, and one per shard for the rest (its unsealed tail). Filters on time ranges, tag
    equality and IN, and trace_id equality and IN are answered by the engine (binary search,
    slice bitmaps, trace index); Spark evaluates the others."""

    @classmethod
    def name(cls) -> str:
        return "seamdb"

    def schema(self) -> StructType:
        component = self.options.get("component")
        if not component:
            raise ValueError('the seamdb data source needs option("component", NAME)')
        merged: Optional[pa.Schema] = None
        for path in _paths(self.options):
            db = _open(path)
            try:
                _, schema = db._layout(component)
            except QueryError:
                continue  # this shard holds no event of the component
            finally:
                db.close()
            merged = schema if merged is None else _union(merged, schema)
        if merged is None:
            raise QueryError(f"there is no component {component!r} in {_paths(self.options)}")
        return from_arrow_schema(merged)

    def reader(self, schema: StructType) -> "DataSourceReader":
        return _Reader(_paths(self.options), self.options["component"], schema)


def _union(a: pa.Schema, b: pa.Schema) -> pa.Schema:
    """Two shards' schemas of one component as one: fields in first-seen order, an int field
    that is float on another shard widened (SeamDB's own schema rule)."""
    fields = {f.name: f for f in a}
    for f in b:
        if f.name not in fields:
            fields[f.name] = f
        elif fields[f.name].type != f.type and {fields[f.name].type, f.type} == {pa.int64(), pa.float64()}:
            fields[f.name] = pa.field(f.name, pa.float64())
    return pa.schema(list(fields.values()))


@dataclass(frozen=True)
class _Part(InputPartition):
    path: str
    # None: every part of the shard but `planned` (the tail, and segments sealed since).
    segment: Optional[int]
    planned: tuple


class _Reader(DataSourceReader):
    def __init__(self, paths: List[str], component: str, schema: StructType):
        self.paths, self.component = paths, component
        self.arrow = to_arrow_schema(schema, timezone="UTC")
        self.time: Optional[tuple] = None
        self.tags: List[tuple] = []
        self.traces: Optional[List[int]] = None

    def pushFilters(self, filters: List[Filter]) -> Iterator[Filter]:
        for f in filters:
            if not self._take(f):
                yield f

    def _take(self, f: Filter) -> bool:
        """Keeps a filter the engine answers exactly, else says no."""
        if len(f.attribute) != 1 or f.attribute[0] not in self.arrow.names:
            return False
        column = f.attribute[0]
        kind = self.arrow.field(column).type
        values = f.value if isinstance(f, In) else (f.value,) if isinstance(f, EqualTo) else None
        if column == "time" and isinstance(f, (EqualTo, GreaterThan, GreaterThanOrEqual, LessThan, LessThanOrEqual)):
            t = _micros(f.value)
            if t is None:
                return False
            lo, hi = {
                EqualTo: (t, t),
                GreaterThan: (t + 1, None),
                GreaterThanOrEqual: (t, None),
                LessThan: (None, t - 1),
                LessThanOrEqual: (None, t),
            }[type(f)]
            old_lo, old_hi = self.time or (-(2**63), 2**63 - 1)
            self.time = (old_lo if lo is None else max(old_lo, lo), old_hi if hi is None else min(old_hi, hi))
            return True
        if values is None or not all(isinstance(v, str) for v in values):
            return False
        if column == "trace_id":
            ids = [_trace_id(v) for v in values]
            if any(i is None for i in ids):
                return False  # not as SeamDB prints an ID: Spark compares the text itself
            keep = set(ids) if self.traces is None else set(self.traces) & set(ids)
            self.traces = sorted(keep)
            return True
        if kind == pa.string():  # every text field but trace_id is a tag
            self.tags.append((column, list(values)))
            return True
        return False

    def partitions(self) -> Sequence[InputPartition]:
        parts: List[InputPartition] = []
        for path in self.paths:
            db = _open(path)
            try:
                segments, _ = db._layout(self.component)
            except QueryError:
                continue
            finally:
                db.close()
            planned = tuple(s for s, _ in segments)
            parts.extend(_Part(path, s, planned) for s in planned)
            parts.append(_Part(path, None, planned))
        return parts

    def read(self, partition: _Part) -> Iterator[pa.RecordBatch]:
        db = _open(partition.path)
        try:
            batches = db._read(
                self.component, partition.segment, list(partition.planned), time=self.time, tags=self.tags, traces=self.traces
            )
        finally:
            db.close()
        for batch in batches:
            yield _conform(batch, self.arrow)


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """A shard's batch in the schema of every shard: fields it lacks as nulls, ints of a
    field widened elsewhere as floats."""
    columns = []
    for field in schema:
        i = batch.schema.get_field_index(field.name)
        column = pa.nulls(batch.num_rows, field.type) if i < 0 else batch.column(i)
        columns.append(column if column.type == field.type else column.cast(field.type))
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def _micros(value) -> Optional[int]:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.astimezone()  # Spark hands over session-local naive datetimes
    delta = value - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _trace_id(text: str) -> Optional[int]:
    """The ID SeamDB prints as `text` (decimal below 2^64, else 32 lowercase hex digits)."""
    try:
        if text.isdigit() and str(int(text)) == text and int(text) < 2**64:
            return int(text)
        if len(text) == 32 and text == text.lower() and int(text, 16) >= 2**64:
            return int(text, 16)
    except ValueError:
        pass
    return None


@dataclass(frozen=True)
class PartialStates:
    """What `partial_states` gathered: `context` (every shard's schemas and reference rows),
    `groups` (every shard's groups, merged), and `shipped`, the bytes the shards' tasks
    returned for the query (schemas, reference rows and groups, before any merge)."""

    context: bytes
    groups: bytes
    shipped: int
    now: int  # what now() meant, µs since the epoch


def partial_states(spark: SparkSession, paths: Sequence, seamql: str) -> PartialStates:
    """Runs `seamql` (a SELECT) on every shard as a Spark task, to partial states merged by
    Spark (a tree of merges on the executors). `query` finishes them; this is the half a
    benchmark or another engine can use on its own.

        states = seamdb.spark.partial_states(spark, ["s0.db", "s1.db"], "SELECT count() AS n FROM inference")
        len(states.groups)
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("no shards: give the path of every shard of the database")
    now = time.time_ns() // 1000  # one now() for every shard
    needs_references = _seamdb._needs_references(seamql, now)  # also: a SELECT that parses, before any task
    sc = spark.sparkContext
    shards = sc.parallelize(paths, len(paths))
    shipped = sc.accumulator(0)
    broadcasts = []  # the contexts sent to the executors, dropped once the query is done

    def step(name: str, context: Optional[bytes]):
        shared = None if context is None else sc.broadcast(context)
        broadcasts.extend([shared] if shared is not None else [])

        def run(path: str) -> bytes:
            db = _open(path)
            try:
                out = db._partial(seamql, now, name, None if shared is None else shared.value)
            finally:
                db.close()
            shipped.add(len(out))
            return out

        return shards.map(run)

    try:
        with _engine_errors():
            context = _seamdb._partial_merge(seamql, now, step("schemas", None).collect())
            _seamdb._partial_check(seamql, now, context)
            if needs_references:
                context = _seamdb._partial_merge(seamql, now, [context, *step("references", context).collect()])
            groups = step("groups", context).treeReduce(lambda a, b: _seamdb._partial_merge(seamql, now, [a, b]))
    finally:
        for shared in broadcasts:
            shared.destroy()
    return PartialStates(context=context, groups=groups, shipped=shipped.value, now=now)


@contextmanager
def _engine_errors():
    """An engine error raised in a Spark task, raised again here as its own class
    (`seamdb.QueryError`, `StorageError`, ...) with its own message, not as Spark's wrapper."""
    try:
        yield
    except (PySparkException, Py4JJavaError) as e:
        found = re.search(r"seamdb\._errors\.(\w+): (.*)", str(e))
        kind = getattr(_errors, found.group(1), None) if found else None
        if not (isinstance(kind, type) and issubclass(kind, _errors.Error)):
            raise
        raise kind(found.group(2).strip()) from e


def query(spark: SparkSession, paths: Sequence, seamql: str) -> DataFrame:
    """`seamql` (a SELECT) over the shards of one logical database (split by `seamdb.shard_of`,
    as `seamdb.ShardedWriter` writes them), as a DataFrame with the columns and rows `seam
    query` gives over one database holding all of their data.

        seamdb.spark.query(spark, ["s0.db", "s1.db", "s2.db"],
                           "SELECT count() AS n FROM inference GROUP BY window(1h)").show()
    """
    states = partial_states(spark, paths, seamql)
    table = _seamdb._partial_finish(seamql, states.now, states.context, states.groups).arrow()
    return spark.createDataFrame(_plain(table))


def _plain(table: pa.Table) -> pa.Table:
    """The result in types Spark takes from Arrow: text dictionaries decoded."""
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns]
    return pa.table(columns, names=table.column_names)
