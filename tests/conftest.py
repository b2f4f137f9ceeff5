"""Shared fixtures: the Census Income data from ../shared/datasets (or SNAS_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("SNAS_DATA_DIR") or ROOT.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not (DATA_DIR / "census-income" / "adult.data").exists():
        pytest.skip(f"Census Income files not found under {DATA_DIR}; set SNAS_DATA_DIR")
    return DATA_DIR


@pytest.fixture(scope="session")
def census(data_dir: Path):
    from snas.datasets import load

    return load(ROOT / "datasets" / "census_income.yaml", data_dir=data_dir)


@pytest.fixture(scope="session")
def census_rules():
    from snas.rules import load_rules

    return load_rules(ROOT / "rules" / "census_income.yaml")
