from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas._stats import wilson_interval
from snas.metrics import flip_rate, monotonicity_violation_rate, rule_metrics, rule_summary
from snas.rules import parse_rules


def test_wilson_interval_known_values():
    lo, hi = wilson_interval(np.array([0, 5, 10]), np.array([10, 10, 10]))
    assert lo[0] == 0 and hi[0] == pytest.approx(0.2775, abs=1e-4)
    assert lo[1] == pytest.approx(0.2366, abs=1e-4) and hi[1] == pytest.approx(0.7634, abs=1e-4)
    assert hi[2] == pytest.approx(1) and lo[2] == pytest.approx(0.7225, abs=1e-4)


def test_rule_metrics_by_hand():
    rs = parse_rules(
        "snas_rules: 1\nrules:\n"
        "  - {id: big, if: x >= 5, then: p, strength: hard}\n"
        "  - {id: small, if: x < 2, then: n, weight: 2}\n"
    )
    X = pd.DataFrame({"x": [0.0, 1, 2, 5, 6, 7, np.nan]})
    pred = np.array(["n", "p", "n", "p", "p", "n", "p"])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.8, 0.2], [0.1, 0.9], [0.3, 0.7], [0.6, 0.4], [0.5, 0.5]])
    y = np.array(["n", "n", "n", "p", "n", "p", "p"])
    t = rule_metrics(rs, X, pred, proba, ["n", "p"], y).set_index("rule")
    assert t.loc["big", "support"] == 3 and t.loc["big", "violations"] == 1
    assert t.loc["big", "violation_rate"] == pytest.approx(1 / 3)
    assert t.loc["big", "expected_violation"] == pytest.approx((0.1 + 0.3 + 0.6) / 3)
    assert t.loc["big", "label_agreement"] == pytest.approx(2 / 3)
    assert t.loc["big", "excess_violation"] == pytest.approx(0.0)
    assert t.loc["small", "support"] == 2 and t.loc["small", "violations"] == 1
    s = rule_summary(t.reset_index())
    assert s["hard_violations"] == 1
    assert s["micro_compliance"] == pytest.approx(1 - 2 / 5)
    assert s["macro_compliance"] == pytest.approx((2 / 3 + 1 / 2) / 2)
    assert s["f_soft"] == pytest.approx(1 / 2)


def test_monotonicity_and_flip_detect_dependence():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "g": pd.Categorical(rng.choice(["u", "v"], 400))})

    def proba_sin(frame):
        p = 1 / (1 + np.exp(-np.sin(3 * frame["a"].to_numpy())))
        return np.column_stack([1 - p, p])

    def proba_up(frame):
        p = 1 / (1 + np.exp(-frame["a"].to_numpy()))
        return np.column_stack([1 - p, p])

    assert monotonicity_violation_rate(proba_sin, X, "a", 1) > 0.9
    assert monotonicity_violation_rate(proba_up, X, "a", 1) == 0.0
    assert monotonicity_violation_rate(proba_up, X, "a", -1) == 1.0
    uses_g = lambda f: (f["g"].astype(str) == "u").to_numpy()  # noqa: E731
    ignores_g = lambda f: (f["a"] > 0).to_numpy()  # noqa: E731
    assert flip_rate(uses_g, X, "g") == 1.0
    assert flip_rate(ignores_g, X, "g") == 0.0


def test_flip_rate_work_is_bounded_on_an_id_column():
    """An excluded ID column with thousands of levels costs one prediction on at most
    n_rows × (FLIP_LEVELS + 1) rows, not one prediction per level; the levels tried are the same
    for the same data and seed, the most frequent first."""
    from snas.metrics import FLIP_LEVELS, substitute_levels

    rng = np.random.default_rng(0)
    n = 900
    ids = [f"ACC-{i:07d}" for i in range(n)]
    ids[:30] = ["ACC-FREQUENT"] * 30  # one level far more frequent than the others
    X = pd.DataFrame({"a": rng.normal(size=n), "account_id": ids})
    calls: list[int] = []

    def ignores_id(frame):
        calls.append(len(frame))
        return (frame["a"] > 0).to_numpy()

    assert flip_rate(ignores_id, X, "account_id") == 0.0
    assert len(calls) == 1 and calls[0] <= n * (FLIP_LEVELS + 1)
    levels = substitute_levels(X["account_id"], seed=3)
    assert len(levels) == FLIP_LEVELS and levels[0] == "ACC-FREQUENT"
    assert levels == substitute_levels(X["account_id"], seed=3) and len(set(levels)) == FLIP_LEVELS
    assert substitute_levels(X["account_id"].iloc[:5]) == sorted(set(ids[:5]))  # few levels: all of them

    def uses_frequent(frame):
        return (frame["account_id"] == "ACC-FREQUENT").to_numpy()

    assert flip_rate(uses_frequent, X, "account_id") == 1.0  # every row flips for one level or another
    calls.clear()
    flip_rate(ignores_id, X, "a")  # numbers: the rows and one shuffled copy, in one prediction
    assert len(calls) == 1 and calls[0] == 2 * n
