"""The README opens with exactly two commands, CI runs the second one verbatim, and the
README's Python example runs as written (budgets capped by SNAS_BUDGET_CAP, as documented)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _blocks(kind: str = "bash") -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_opens_with_two_commands():
    text = (ROOT / "README.md").read_text()
    head = text.split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)\n```", head, flags=re.S)
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert "snas " in blocks[0] and "pytest" in blocks[1]


def test_ci_runs_the_readme_test_command():
    test_command = _blocks()[1].strip()
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_command.replace(" -q", "") in ci.replace(" -q", "")


def test_every_public_name_in_the_readme_imports():
    import importlib

    found = re.findall(r"^ *from (snas[a-z_.]*) import ([A-Za-z_, ]+)", (ROOT / "README.md").read_text(), re.M)
    assert found
    for module, names in found:
        for name in (n.strip() for n in names.split(",")):
            assert hasattr(importlib.import_module(module), name), f"from {module} import {name}"


@pytest.mark.slow
def test_the_python_example_runs_as_written(data_dir, tmp_path):
    """From a folder laid out like the repository (rules/, audit/, … and ../shared/datasets beside it)."""
    (example,) = [b for b in _blocks("python") if "SNASClassifier(" in b and "budget=" in b]
    repo = tmp_path / "main"
    repo.mkdir()
    (repo / "rules").symlink_to(ROOT / "rules")
    for folder in ("datasets", "audit", "search"):
        (repo / folder).symlink_to(ROOT / folder)
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "datasets").symlink_to(data_dir)
    script = repo / "example.py"
    script.write_text(example + "\nprint('example ok')\n")
    env = {**os.environ, "SNAS_BUDGET_CAP": "40s"}
    done = subprocess.run([sys.executable, str(script)], cwd=repo, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "example ok" in done.stdout and (repo / "model" / "model.json").is_file()
