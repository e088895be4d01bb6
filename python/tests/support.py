"""Helpers shared by the test files: where the `seam` binary is, and the repository's paths."""

import os
import shutil
import unittest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
QUERIES = os.path.join(REPO, "tests", "queries")


def seam_bin():
    """The `seam` binary to test against: $SEAM_BIN (cargo test and CI set it), else this
    checkout's own build, else one on PATH. Without any, the tests that need it are skipped
    and say why."""
    candidates = [os.environ.get("SEAM_BIN")]
    candidates += [os.path.join(REPO, "target", profile, "seam") for profile in ("debug", "release")]
    candidates.append(shutil.which("seam"))
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise unittest.SkipTest("no seam binary: build it (cargo build -p seamdb-cli) or set SEAM_BIN")
