"""python/examples/ run as a notebook would run them, cell after cell, and say what they find."""

import os
import runpy

from support import REPO


def test_the_monitoring_notebook_finds_the_planted_cause(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEAMDB_EXAMPLE_DB", str(tmp_path / "model.db"))
    scope = runpy.run_path(os.path.join(REPO, "python", "examples", "monitoring.py"))
    violated = scope["violated"]
    # Only Brazil breaks, from day 3 (2026-01-08) on, and the diagnosis says so.
    assert set(violated["inference.country"]) == {"BR"}
    assert violated["window"].min().strftime("%Y-%m-%d") == "2026-01-08"
    slices = scope["slices"]
    assert (slices.iloc[0]["field"], slices.iloc[0]["value"]) == ("inference.country", "BR")
    assert scope["features"].iloc[0]["field"] == "inference.feature_age"
    assert "comes from inference.country = BR" in capsys.readouterr().out
