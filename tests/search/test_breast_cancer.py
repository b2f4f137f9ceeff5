"""The second regulated case runs through the same commands with both families: a short
search on breast cancer (the copy inside scikit-learn) ends in a model and an audit report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snas.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_breast_cancer_search_and_audit_with_glass_boxes(tmp_path, capsys):
    out = tmp_path / "breast"
    cfg = str(ROOT / "search" / "breast_cancer.yaml")
    assert main(["search", cfg, "--out", str(out), "--budget", "25s", "--quiet"]) == 0
    evaluations = json.loads((out / "history.json").read_text())
    searched = {e["genome"].get("family", "mlp") for e in evaluations}
    trained = {e["genome"].get("family", "mlp") for e in evaluations if e["fidelity"] == "stand-alone"}
    assert searched == {"mlp", "additive"} and "additive" in trained  # both searched; glass boxes trained
    report = json.loads((out / "reports" / "report.json").read_text())
    evidence = {e["id"]: e for e in report["evidence"]}
    assert evidence["ev:metric:accuracy"]["value"] > 0.85
    assert (out / "model" / "model.json").is_file() and (out / "reports" / "report.html").is_file()
