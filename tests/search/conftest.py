"""A small Census Income extract with its own manifest, so searches in tests take seconds."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tiny_search(tmp_path_factory, census) -> Path:
    d = tmp_path_factory.mktemp("tiny")
    frame = census.train.sample(2500, random_state=0)
    frame.to_csv(d / "adult_small.csv", index=False)
    sha = hashlib.sha256((d / "adult_small.csv").read_bytes()).hexdigest()
    manifest = (ROOT / "datasets" / "census_income.yaml").read_text()
    head, cols = manifest.split("columns:", 1)
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
    (d / "search.yaml").write_text(
        "snas_search: 1\nname: tiny\ndataset: manifest.yaml\nrules: "
        + str(ROOT / "rules" / "census_income.yaml")
        + "\nseed: 0\nstrategy: evolution\nbudget: {trials: 4}\npopulation_size: 2\n"
        "space: {max_depth: 2, widths: [4, 8, 16], encodings: [standard, ple]}\n"
        "screening: {enabled: false}\ngradient: {epochs: 1}\nfinal_epochs: 3\n"
    )
    return d
