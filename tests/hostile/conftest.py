"""Shared pieces of the hostile-input tests: running ``snas`` in-process and judging its answer."""

from __future__ import annotations

import io
import json
import os
import re
import resource
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Peak RSS when this module is imported (before any case or model); the budget is 1 GB above it.
START_MAXRSS_KB = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
RSS_BUDGET_KB = 1024 * 1024
MAX_ERROR_LINES = 8
MAX_ERROR_CHARS = 2500
# an error says what to do: a fix, a requirement or the expected form
FIX_WORDS = re.compile(
    r"\b(write|remove|delete|check|give|save|add|split|rename|keep|quote|simplify|flatten|correct|restore|train|install|create|"
    r"point|pass|run|fit|import|name|list|leave|indent|compare|use|close|did you mean|one of|must|needs?|"
    r"expected|allowed|at most|"
    r"usage|required|invalid choice|unrecognized|not allowed|can never|out of range|listed twice)\b",
    re.IGNORECASE,
)
_SKIP_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache"}


@dataclass(frozen=True)
class Answer:
    """What ``snas`` answered: exit code, outputs and wall time."""

    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def _documentation(args: Sequence[str]) -> int:
    """Pseudo-command ``@documentation PATH``: the documentation reader behind ``snas audit``."""
    from snas.audit import load_documentation
    from snas.exceptions import SNASError

    try:
        load_documentation(args[0])
    except SNASError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


PSEUDO: dict[str, Callable[[Sequence[str]], int]] = {"@documentation": _documentation}


def run_snas(argv: Sequence[str]) -> Answer:
    """``snas.cli.main(argv)`` in this process with stdout/stderr captured; exceptions propagate."""
    import time

    from snas.cli import main

    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = PSEUDO[argv[0]](argv[1:]) if argv and argv[0] in PSEUDO else main(list(argv))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return Answer(int(code), out.getvalue(), err.getvalue(), time.perf_counter() - t0)


def check_answer(answer: Answer, *, names: str | None = None, max_seconds: float = 10.0) -> None:
    """The invariants every hostile input must meet, whatever it is."""
    assert answer.code in (0, 1, 2), f"exit code {answer.code}"
    assert "Traceback" not in answer.text, answer.text[-3000:]
    assert answer.seconds < max_seconds, f"took {answer.seconds:.1f}s (limit {max_seconds}s)"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == "darwin" else 1)
    assert rss - START_MAXRSS_KB < RSS_BUDGET_KB, f"peak RSS grew by {(rss - START_MAXRSS_KB) / 1024:.0f} MB"
    err = answer.err.strip()
    assert len(err.splitlines()) <= MAX_ERROR_LINES, f"stderr is not one short paragraph:\n{err}"
    assert len(err) <= MAX_ERROR_CHARS, f"stderr has {len(err)} characters:\n{err[:500]}"
    if answer.code == 0:
        return
    message = err or "\n".join(line for line in answer.out.splitlines() if ": error:" in line)
    assert message, f"exit {answer.code} without an error message:\n{answer.text[-2000:]}"
    assert FIX_WORDS.search(message), f"the message does not say what to do:\n{message}"
    if names:
        assert Path(names).name in answer.text, f"the message does not name {Path(names).name}:\n{message}"


def check_strict_log(path: Path) -> None:
    """Every line of a decision log parses as strict JSON (``NaN``/``Infinity`` raise)."""

    def refuse(constant: str) -> None:
        raise ValueError(f"non-standard JSON constant {constant}")

    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path} is empty"
    for line in lines:
        record = json.loads(line, parse_constant=refuse)
        assert "deciding_rule" in record and (
            record["deciding_rule"] is None or isinstance(record["deciding_rule"], str)
        )


def snapshot(*roots: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file under ``roots`` (caches and the virtualenv left out)."""
    state: dict[str, tuple[int, int]] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
            for name in filenames:
                p = os.path.join(dirpath, name)
                try:
                    st = os.lstat(p)
                except FileNotFoundError:
                    continue
                state[p] = (st.st_size, st.st_mtime_ns)
    return state


def changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


@pytest.fixture(scope="session")
def harness() -> SimpleNamespace:
    """The helpers above, for test modules (conftest cannot be imported under importlib mode)."""
    return SimpleNamespace(
        run_snas=run_snas,
        check_answer=check_answer,
        check_strict_log=check_strict_log,
        snapshot=snapshot,
        changed=changed,
        root=ROOT,
    )


@pytest.fixture(scope="session")
def hostile_model(tmp_path_factory: pytest.TempPathFactory, census) -> Path:
    """A tiny census model (one layer of 8, 2 epochs, 2,000 rows), trained once per session."""
    from snas.estimator import SNASClassifier
    from snas.rules import load_rules

    d = tmp_path_factory.mktemp("hostile-model")
    X, y = census.X_train.head(2000), census.y_train.head(2000)
    clf = SNASClassifier(
        rules=load_rules(ROOT / "rules" / "census_income.yaml"),
        architecture={"layers": [8], "max_epochs": 2},
        random_state=0,
    )
    clf.fit(X, y).save(d)
    return d


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A case's sandbox: cache in tmp_path, no network."""
    from snas.exceptions import DatasetError

    def no_network(url: str, dest: Path, expected: str) -> None:
        raise DatasetError(f"cannot download {url} (no network in tests)")

    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("snas.datasets._load._download", no_network)
    return tmp_path
