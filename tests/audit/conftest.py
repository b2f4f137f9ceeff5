"""One small searched run with its report, shared by the audit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "audit" / "census_income.yaml"


@pytest.fixture(scope="session")
def audit_run(tiny_search, tmp_path_factory) -> Path:
    from snas.audit import write_reports
    from snas.search import load_config, search

    out = tmp_path_factory.mktemp("audit") / "run"
    search(load_config(tiny_search / "search.yaml"), out, data_dir=str(tiny_search), budget="2trials", progress=False)
    write_reports(out, documentation=DOC, data_dir=str(tiny_search))  # every default format
    return out


@pytest.fixture(scope="session")
def tiny_data(tiny_search):
    from snas.datasets import load

    return load(tiny_search / "manifest.yaml", data_dir=tiny_search)
