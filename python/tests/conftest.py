"""Fixtures: a fresh database per test, and the hand-written query data loaded by `seam
ingest` (as tests/queries.rs loads it)."""

import os
import subprocess

import pytest

import seamdb
from support import QUERIES, seam_bin


@pytest.fixture
def db(tmp_path):
    with seamdb.open(str(tmp_path / "db")) as d:
        yield d


@pytest.fixture(scope="session")
def seam():
    try:
        return seam_bin()
    except Exception as e:  # unittest.SkipTest
        pytest.skip(str(e))


@pytest.fixture(scope="session")
def query_data(tmp_path_factory, seam):
    """The directory of a database holding tests/queries/data (one `seam ingest` per CSV)."""
    path = str(tmp_path_factory.mktemp("queries") / "db")
    data = os.path.join(QUERIES, "data")
    for name in sorted(os.listdir(data)):
        if name.endswith(".csv"):
            component = name[: -len(".csv")]
            subprocess.run([seam, "ingest", path, "-c", component, "--create", os.path.join(data, name)], check=True, capture_output=True)
    return path
