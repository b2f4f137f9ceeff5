"""What ``snas check`` says about hardening a soft rule: the legend names what the number is
(rows it covers against their label, less those a hard rule decides already), a soft rule
that would conflict with a hard rule once hard shows "conflict" instead of a cost, counts are
pluralised, and a class with a single training row is a warning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas.cli import _format_check
from snas.datasets import from_frame
from snas.rules import check_rules, parse_rules

HEAD = "snas_rules: 1\ndataset: toy\ntarget: {column: y}\nrules:\n"


def _toy(n: int = 200) -> pd.DataFrame:
    x = np.arange(n, dtype=float) % 100
    grp = np.where(np.arange(n) % 4 == 0, "a", "b")
    y = np.where(x < 50, "yes", "no")
    y[::7] = np.where(y[::7] == "yes", "no", "yes")  # some noise: rules do not agree everywhere
    return pd.DataFrame({"x": x, "grp": grp, "y": y})


def _check(rules: str, frame: pd.DataFrame | None = None):
    data = from_frame(_toy() if frame is None else frame, "y", name="toy")
    report = check_rules(parse_rules(HEAD + rules, "r.yaml"), data)
    return data, report, _format_check(report, "toy")


def test_the_legend_says_the_cost_deducts_rows_a_hard_rule_decides():
    rules = (
        "  - {id: low, if: x < 20, then: 'yes', strength: hard}\n"
        "  - {id: below-60, if: x < 60, then: 'yes', strength: soft}\n"  # same head: no conflict
    )
    data, report, text = _check(rules)
    s = next(s for s in report.stats if s.rule == "below-60")
    x, y = data.train["x"].to_numpy(), data.train["y"].astype(str).to_numpy()
    overruled = ((x < 60) & ~(x < 20) & (y != "yes")).mean()
    assert s.hardening_cost == pytest.approx(overruled)
    assert s.hardening_cost < (1 - s.agreement) * s.coverage  # rows 'low' decides are deducted
    assert s.hardening_conflicts == ()
    row = next(line for line in text.splitlines() if line.startswith("below-60 "))
    assert f"{100 * overruled:.2f}%" in row
    legend = " ".join(text.split("harden cost: ", 1)[1].split("\n\n", 1)[0].split())
    assert "(1 − agreement) × coverage, less those a hard rule decides already" in legend


def test_a_soft_rule_that_would_conflict_once_hard_shows_conflict_not_a_cost():
    rules = (
        "  - {id: low, if: x < 20, then: 'yes', strength: hard}\n"
        "  - {id: group-a, if: grp == 'a', then: 'no', strength: soft}\n"  # holds with 'low' on rows
        "  - {id: high, if: x >= 80, then: 'no', strength: soft}\n"  # never with 'low'
    )
    _, report, text = _check(rules)
    stats = {s.rule: s for s in report.stats}
    assert stats["group-a"].hardening_conflicts == ("low",)
    assert stats["high"].hardening_conflicts == ()
    row = next(line for line in text.splitlines() if line.startswith("group-a "))
    assert "conflict" in row and "%" not in row.split("]", 1)[1]
    assert "%" in next(line for line in text.splitlines() if line.startswith("high ")).split("]", 1)[1]
    assert "conflict: made hard, 'group-a' would conflict with hard rule 'low'" in text
    assert "its 'unless:' first" in text
    assert report.to_dict()["stats"][1]["hardening_conflicts"] == ("low",)


def test_a_conflict_without_a_training_row_in_common_counts_too():
    rules = (
        "  - {id: low, if: x < 20, then: 'yes', strength: hard}\n"
        "  - {id: odd, if: x < 10 and grp == 'c', then: 'no', strength: soft}\n"  # 'c' no row: decided by logic
    )
    frame = _toy()
    frame.loc[1, "grp"] = "c"
    frame.loc[1, "x"] = 50.0  # 'c' exists, but never with x < 10
    _, report, _ = _check(rules, frame)
    assert {s.rule: s for s in report.stats}["odd"].hardening_conflicts == ("low",)


def test_counts_are_pluralised():
    frame = _toy()
    frame.loc[:, "grp"] = "b"
    frame.loc[3, "grp"] = "a"  # x = 3: one row where both rules hold
    rules = (
        "  - {id: low, if: x < 20, then: 'yes', strength: hard}\n"
        "  - {id: group-a, if: grp == 'a', then: 'no', strength: soft}\n"
        "  - {id: mid, if: x < 30, then: 'no', strength: soft}\n"
    )
    _, _, text = _check(rules, frame)
    assert "; 1 training row matches both" in text and "1 training rows" not in text
    row = next(line for line in text.splitlines() if line.startswith("low "))
    assert row.rstrip().endswith("3 warnings")  # two overlaps and its low agreement
    assert next(line for line in text.splitlines() if line.startswith("mid ")).rstrip().endswith("1 warning")


def test_a_class_with_a_single_training_row_is_a_warning():
    frame = _toy()
    frame.loc[5, "y"] = "rare"
    _, report, text = _check("  - {id: high, if: x >= 80, then: 'no', strength: soft}\n", frame)
    assert report.ok
    found = [f for f in report.warnings if f.code == "single-row-class"]
    assert len(found) == 1
    msg = found[0].message
    assert "class 'rare' of the target column 'y' has a single training row" in msg
    assert "validation" in msg and "Merge it into another class" in msg and "recode: {rare: OTHER}" in msg
    assert "1 warning" in text
