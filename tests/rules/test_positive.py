"""`target.positive` must be a class: `snas check` reports it, building a task refuses it
(it used to fall back to the last class silently, which can flip monotone directions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas.datasets import load_manifest
from snas.exceptions import ConfigError
from snas.rules import check_rules, parse_rules

SCHEMA = load_manifest("census_income").schema
CLASSES = ("<=50K", ">50K")


def _rules(positive: str):
    return parse_rules(
        "snas_rules: 1\n"
        "dataset: census_income\n"
        f'target: {{column: income, positive: "{positive}"}}\n'
        "rules:\n"
        "  - {id: a, if: age < 21, then: '<=50K', strength: hard}\n"
        "constraints: {monotonic: {increasing: [capital_gain]}}\n",
        "pos.yaml",
    )


@pytest.mark.parametrize(
    "positive, hint",
    [("<=50k", "Did you mean '<=50K'?"), (">60K", "Use one of the classes: <=50K, >50K")],
)
def test_check_reports_a_positive_that_is_not_a_class(positive, hint):
    report = check_rules(_rules(positive), SCHEMA)
    (err,) = report.errors
    assert err.code == "unknown-positive" and hint in err.message and positive in err.message
    assert (err.path, err.line, err.column) == ("pos.yaml", 3, 36)  # at the value of 'positive:'
    assert err.context.splitlines()[-1].strip() == "^"


def test_check_accepts_a_class(census):
    assert check_rules(_rules(">50K"), census).ok
    assert check_rules(_rules("<=50K"), SCHEMA).ok


def test_compiling_for_a_network_refuses_it():
    from snas.nn import compile_rules

    with pytest.raises(ConfigError, match=r"pos\.yaml: target\.positive '<=50k' is not one of the classes"):
        compile_rules(_rules("<=50k"), SCHEMA, CLASSES)
    # a real class still flips the network's directions when it is the first class
    assert compile_rules(_rules("<=50K"), SCHEMA, CLASSES).monotonic == {"capital_gain": -1}


def test_building_a_task_refuses_it():
    from snas.model import Task

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(17, 90, 50), "capital_gain": rng.integers(0, 9000, 50)})
    y = np.where(X["capital_gain"] > 5000, ">50K", "<=50K")
    with pytest.raises(ConfigError, match="Did you mean '>50K'"):
        Task.fit(X, y, _rules(">50k"), target="income")
    assert Task.fit(X, y, _rules(">50K"), target="income").positive == ">50K"
