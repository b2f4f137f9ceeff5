"""README section 6 (your own dataset) as written: its manifest and rule file, with the hash
``sha256sum`` prints pasted in, pass ``snas check``, and its Python example prints what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("### 6. Your own dataset", 1)[1].split("\n### ", 1)[0]


def _block(kind: str, containing: str) -> str:
    (block,) = [b for b in re.findall(rf"```{kind}\n(.*?)\n```", _section(), flags=re.S) if containing in b]
    return block


def _csv(path: Path, n: int = 400) -> None:
    """Rows with the manifest's columns, empty cells where values are missing."""
    rng = np.random.default_rng(0)
    dti = np.round(rng.uniform(0, 1.2, n), 3)
    employment = rng.choice(["salaried", "self-employed", "unemployed", "retired", None], n)
    frame = pd.DataFrame(
        {
            "account_id": [f"ACC-{i:05d}" for i in range(n)],
            "Alter Jahre": rng.integers(18, 80, n),
            "debt to income": np.where(rng.uniform(size=n) < 0.05, np.nan, dti),
            "employment": employment,
            "Region": rng.choice(["Nord", "Süd", "Ost", "West"], n),
            "default": (rng.uniform(size=n) < 0.2 + 0.5 * (dti > 0.8)).astype(int),
        }
    )
    frame.to_csv(path, index=False)


def test_the_own_dataset_example_runs_as_written(tmp_path):
    manifest = _block("yaml", "snas_dataset: 1")
    assert "sha256: PASTE-THE-SHA256SUM-OUTPUT-HERE" in manifest and 'missing: [""]' in manifest
    for folder in ("data", "datasets", "rules"):
        (tmp_path / folder).mkdir()
    _csv(tmp_path / "data" / "credit.csv")
    (tmp_path / "rules" / "credit.yaml").write_text(_block("yaml", "snas_rules: 1"), encoding="utf-8")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("SNAS_DATA_DIR", None)
    commands = _block("bash", "sha256sum").splitlines()
    assert commands[0] == "sha256sum data/credit.csv"
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        if command.startswith("sha256sum"):  # paste it into the manifest, as the README says
            sha = done.stdout.split()[0]
            text = manifest.replace("PASTE-THE-SHA256SUM-OUTPUT-HERE", sha)
            (tmp_path / "datasets" / "credit.yaml").write_text(text, encoding="utf-8")
        else:
            assert "0 errors, 0 warnings — the rules are usable" in done.stdout, done.stdout
    script = tmp_path / "example.py"
    script.write_text(_block("python", "from snas.datasets import load"), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "('retired', 'salaried', 'self-employed', 'unemployed')",
        "('0', '1') int64",
    ]


def test_the_section_documents_what_a_new_user_trips_over():
    text = " ".join(_section().split())
    for fragment in (
        "`sha256` is required for every file, a local one too",
        "Compute it with `sha256sum`",
        "relative to the folder given by `--data-dir` or `SNAS_DATA_DIR`",
        '`format.missing` to `["?"]`',
        '`missing: [""]`',
        "A categorical column without `levels:` takes the levels its training rows hold",
        "(`Alter Jahre` → `alter_jahre`",
        "`Größe (cm)` → `groesse_cm`",
        "the original name works in backquotes",
        "must be quoted in YAML",
        "`exclude_features`",
    ):
        assert fragment in text, fragment
    assert '"`Alter Jahre` < 25"' in _block("yaml", "snas_rules: 1")  # the quoting, shown
