"""Every case of tests/queries/*.test, asked through `Database.query`, answers what `seam
query --format json` answers on the same database (and through `.arrow()` the same as
through `.fetchall()`); every error case raises `seamdb.QueryError` with the CLI's message."""

import datetime
import glob
import json
import math
import os
import subprocess

import pytest

import seamdb
from support import QUERIES


def cases():
    out = []
    for path in sorted(glob.glob(os.path.join(QUERIES, "*.test"))):
        lines = open(path).read().splitlines()
        for n, line in enumerate(lines):
            for kind in ("query", "error"):
                if line.startswith(kind + " "):
                    expected = lines[n + 2] if kind == "error" else None
                    out.append(pytest.param(kind, line[len(kind) + 1 :], expected, id=f"{os.path.basename(path)}:{n + 1}"))
    return out


@pytest.fixture(scope="module")
def opened(query_data):
    with seamdb.open(query_data, read_only=True) as db:
        yield db


def same(ours, theirs):
    """One cell of ours equals one JSON value of `seam query` (times print as RFC 3339 Z,
    a float that is not finite prints as null)."""
    if isinstance(ours, datetime.datetime):
        return ours == datetime.datetime.fromisoformat(theirs.replace("Z", "+00:00"))
    if isinstance(ours, float) and not math.isfinite(ours):
        return theirs is None
    return ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("kind,statement,expected", cases())
def test_case_answers_as_seam_query(kind, statement, expected, opened, query_data, seam):
    if kind == "error":
        with pytest.raises(seamdb.QueryError) as e:
            opened.query(statement)
        assert expected in str(e.value)
        return
    theirs = json.loads(subprocess.run([seam, "query", query_data, statement, "--format", "json"], check=True, capture_output=True, text=True).stdout)
    result = opened.query(statement)
    rows = result.fetchall()
    assert len(rows) == len(theirs)
    for row, obj in zip(rows, theirs):
        assert list(obj) == result.columns
        assert all(same(a, b) for a, b in zip(row, obj.values())), (row, obj)
    # The Arrow path gives the same values as the Python one.
    arrow_rows = result.arrow().to_pylist()
    for row, arrow_row in zip(rows, arrow_rows):
        assert all(same_in_arrow(a, b) for a, b in zip(row, arrow_row.values())), (row, arrow_row)


def same_in_arrow(ours, arrow):
    """A cell from `fetchall` and from `arrow()`: equal, NaN for NaN, an int in a float
    column, or (in a column mixing kinds, such as DESCRIBE's `min`) its text."""
    if isinstance(arrow, str) and not isinstance(ours, str):
        return same(ours, arrow) if isinstance(ours, datetime.datetime) else str(ours).lower() == arrow.lower()
    if isinstance(ours, float) and math.isnan(ours):
        return math.isnan(arrow)
    return ours == arrow
