"""Whole-number columns that hard rules read: the rules' conflict check reasons over whole
numbers (``age < 21`` and ``age > 20`` never meet there), so a fraction in such a column is
refused wherever hard rules decide — Task, FittedModel, SNASClassifier — and ``snas predict``
names the line. A whole number, or a fraction in a column no hard rule reads, is accepted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas import ConfigError, SNASClassifier
from snas.model import Task
from snas.rules import check_rules, parse_rules

RULES = """\
snas_rules: 1
target: {column: y, positive: hi}
rules:
  - id: minor
    if: age < 21
    then: lo
    strength: hard
  - id: adult-earner
    if: age > 20 and hours >= 60
    then: hi
    strength: hard
"""


def _frame(n: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(16, 70, n), "hours": rng.normal(40, 12, n).round(1)})
    y = np.where((X["age"] > 20) & (X["hours"] >= 60), "hi", np.where(X["age"] > 45, "hi", "lo"))
    return X, y


def test_the_rules_are_conflict_free_on_whole_numbers_only():
    X, y = _frame()
    task = Task.fit(X, y, parse_rules(RULES), target="y")
    assert task.schema.column("age").integer and not task.schema.column("hours").integer
    assert check_rules(parse_rules(RULES), task.schema).ok  # whole numbers: the rules never meet
    both = pd.DataFrame({"age": [20, 21], "hours": [70.0, 70.0]})
    assert task.deciding_rules(both).tolist() == ["minor", "adult-earner"]


def test_a_fraction_in_a_whole_number_column_a_hard_rule_reads_is_refused():
    X, y = _frame()
    task = Task.fit(X, y, parse_rules(RULES), target="y")
    row = pd.DataFrame({"age": [30, 20.5], "hours": [70.0, 70.5]})  # 20.5: both rules would fire
    for call in (task.forced, task.deciding_rules):
        with pytest.raises(ConfigError, match=r"column 'age': 1 row\(s\).*first 20.5, in data row 2.*'minor'"):
            call(row)
    clf = SNASClassifier(rules=parse_rules(RULES), architecture={"layers": [4], "max_epochs": 1}, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ConfigError, match="not a whole number"):
        clf.predict(row)
    assert clf.predict(pd.DataFrame({"age": [30, np.nan], "hours": [70.5, 1.25]})).shape == (2,)  # hours: real
