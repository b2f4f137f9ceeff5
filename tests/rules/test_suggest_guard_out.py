"""``snas rules suggest --out`` writes a file of its own: never the data it read, the
manifest, the rule file, a file of a run, a directory or into a folder that does not exist —
refused with exit code 2 before any mining."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import snas.rules
from snas.cli import main

RULES = (
    "snas_rules: 1\ndataset: toy\ntarget: {column: y, positive: 'yes'}\nrules:\n  - {id: r, if: z > 5, then: 'yes'}\n"
)


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """A folder with a small data set (``toy.csv``, ``toy.yaml``) and a rule file ``rules.yaml``."""
    rng = np.random.default_rng(0)
    n = 300
    x = rng.integers(0, 100, n)
    frame = pd.DataFrame({"x": x, "z": np.round(rng.normal(size=n), 3), "y": np.where(x >= 70, "yes", "no")})
    frame.to_csv(tmp_path / "toy.csv", index=False)
    sha = hashlib.sha256((tmp_path / "toy.csv").read_bytes()).hexdigest()
    (tmp_path / "toy.yaml").write_text(
        "snas_dataset: 1\nname: toy\n"
        f"files:\n  train: {{path: toy.csv, sha256: {sha}}}\n"
        "format: {header: true, separator: ','}\n"
        "columns:\n  - {name: x, type: numeric, integer: true}\n  - {name: z, type: numeric}\n"
        "  - {name: y, type: categorical}\n"
        "target: {column: y, positive: 'yes'}\nsplit: {train: train, test_fraction: 0.3, seed: 0}\n"
    )
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


@pytest.fixture
def never_mine(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("mined although --out is refused")

    monkeypatch.setattr(snas.rules, "suggest_rules", boom)


def _suggest(d: Path, out: Path | str) -> list[str]:
    return [
        "rules",
        "suggest",
        str(d / "toy.yaml"),
        "--rules",
        str(d / "rules.yaml"),
        "--data-dir",
        str(d),
        "--out",
        str(out),
    ]


def _run_dir(parent: Path, how: str) -> Path:
    run = parent / f"run-{how}"
    run.mkdir()
    if how == "marker":
        (run / ".snas-run").write_text(json.dumps({"snas_run": 1}))
    else:
        (run / "manifest.json").write_text(json.dumps({"snas_run": 1, "data": {}}))
    (run / "model").mkdir()
    (run / "rules.yaml").write_text(RULES)
    return run


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        ("toy.csv", "data file"),
        ("toy.yaml", "dataset manifest"),
        ("rules.yaml", "rule file"),
        ("run-marker/rules.yaml", "snas run"),
        ("run-manifest/rules.yaml", "snas run"),
        ("run-manifest/model/proposal.yaml", "snas run"),
        ("run-marker", "snas run"),
    ],
)
def test_out_never_overwrites_what_the_command_reads_or_a_run(toy, never_mine, capsys, target, fragment):
    _run_dir(toy, "marker"), _run_dir(toy, "manifest")
    before = {p: p.read_bytes() for p in toy.rglob("*") if p.is_file()}
    assert main(_suggest(toy, toy / target)) == 2
    err = capsys.readouterr().err
    assert f"--out {toy / target}" in err and fragment in err and "proposal.yaml" in err, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert {p: p.read_bytes() for p in toy.rglob("*") if p.is_file()} == before


def test_out_through_a_link_to_the_data_is_refused(toy, never_mine, capsys):
    link = toy / "link.yaml"
    os.symlink(toy / "toy.csv", link)
    csv = (toy / "toy.csv").read_bytes()
    assert main(_suggest(toy, link)) == 2
    assert "data file" in capsys.readouterr().err and (toy / "toy.csv").read_bytes() == csv


def test_out_as_a_directory_or_in_a_missing_folder_is_refused_before_mining(toy, never_mine, capsys):
    (toy / "sub").mkdir()
    assert main(_suggest(toy, toy / "sub")) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and str(toy / "sub" / "proposal.yaml") in err
    assert main(_suggest(toy, toy / "nowhere" / "p.yaml")) == 2
    err = capsys.readouterr().err
    assert f"the folder {toy / 'nowhere'} does not exist" in err and not (toy / "nowhere").exists()


def test_a_new_file_or_an_earlier_proposal_is_written(toy, capsys):
    out = toy / "proposal.yaml"
    assert main(_suggest(toy, out)) == 0
    first = out.read_text()
    assert first.startswith("# Rules proposed by `snas rules suggest`")
    assert main(_suggest(toy, out)) == 0  # a proposal written before may be replaced
    assert out.read_text() == first
