"""Shared fixtures: the Census Income data from ../shared/datasets (or SNAS_DATA_DIR)."""

from __future__ import annotations

import hashlib
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


@pytest.fixture(scope="session")
def tiny_search(tmp_path_factory, census) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    frame = census.train.sample(2500, random_state=0)
    frame.to_csv(d / "adult_small.csv", index=False)
    sha = hashlib.sha256((d / "adult_small.csv").read_bytes()).hexdigest()
    manifest = (ROOT / "datasets" / "census_income.yaml").read_text()
    _head, cols = manifest.split("columns:", 1)
    cols = cols.split("target:", 1)[0]
    (d / "manifest.yaml").write_text(
        "snas_dataset: 1\nname: census_small\n"
        f"files:\n  train: {{path: adult_small.csv, sha256: {sha}}}\n"
        "format: {header: true, separator: ',', missing: ['']}\n"
        "columns:"
        + cols.replace("education-num", "education_num")
        .replace("marital-status", "marital_status")
        .replace("capital-gain", "capital_gain")
        .replace("capital-loss", "capital_loss")
        .replace("hours-per-week", "hours_per_week")
        .replace("native-country", "native_country")
        + "target: {column: income, positive: '>50K'}\nsensitive: [sex, race, age]\n"
        "split: {train: train, test_fraction: 0.3, seed: 0}\n"
    )
    rules = (ROOT / "rules" / "census_income.yaml").read_text()
    (d / "rules.yaml").write_text(rules.replace("dataset: census_income", "dataset: census_small"))
    (d / "search.yaml").write_text(
        "snas_search: 1\nname: tiny\ndataset: manifest.yaml\nrules: rules.yaml"
        + "\nseed: 0\nstrategy: evolution+gradient\nbudget: {trials: 4}\nworkers: 1\n"
        "space: {families: [mlp], max_depth: 2, widths: [4, 8, 16], encodings: [standard, ple], embedding_dims: [0, 2]}\n"
        "supernet: {epochs: 1, paths: 2}\nevolution: {population_size: 4, generations: 2}\ngradient: {steps: 2}\n"
        "standalone: {candidates: 4, eta: 2, low_epochs: 1, recipes: 2, epochs: 3, ensemble_top: 1}\n"
    )
    return d
