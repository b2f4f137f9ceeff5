"""Which features ``rules suggest`` combines: never the identifier-like columns ``snas check``
warns about, and with many features only the best-ranked ones (bounded time, progress on
standard error, what was left out said in the proposal file)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import snas.rules._mine as mine_module
from snas.datasets import from_frame
from snas.exceptions import ConfigError
from snas.rules import check_rules, features_of, parse_condition, parse_rules, suggest_rules


def _used(report) -> set[str]:
    return {f for p in report.proposals for f in features_of(parse_condition(p.condition))}


def _with_identifiers(n: int = 400) -> pd.DataFrame:
    """The label follows the row numbers (account_id, ref) more closely than anything else."""
    rng = np.random.default_rng(0)
    account = np.arange(1000, 1000 + n)
    y = np.where(account >= 1000 + n // 2, "yes", "no")
    x = np.where(rng.random(n) < 0.8, np.where(y == "yes", 60, 20), 40) + rng.integers(0, 10, n)
    return pd.DataFrame(
        {"account_id": account, "ref": [f"R{i:05d}" for i in account], "x": x, "g": rng.choice(["a", "b"], n), "y": y}
    )


def test_identifier_like_columns_are_never_used_and_named():
    data = from_frame(_with_identifiers(), target="y", positive="yes")
    rules = parse_rules("snas_rules: 1\nrules:\n  - {id: r, if: x > 1000, then: 'yes'}\n")
    warned = [f for f in check_rules(rules, data).warnings if f.code == "identifier-like"]
    assert len(warned) == 2  # what snas check says about these columns
    report = suggest_rules(data, None, max_rules=5, target_agreement=0.9)
    assert report.proposals and not _used(report) & {"account_id", "ref"}, _used(report)
    assert report.identifier_features == ("account_id", "ref")
    assert "account_id" not in report.features
    text = report.to_yaml()
    assert "# Never used (identifier-like, as `snas check` warns): account_id, ref." in text


def test_nothing_left_but_identifiers_is_refused():
    df = _with_identifiers()[["account_id", "y"]]
    with pytest.raises(ConfigError, match="identifier-like"):
        suggest_rules(from_frame(df, target="y", positive="yes"), None)


def _wide(n: int = 200, p: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(np.round(rng.random((n, p)), 3), columns=[f"f{i}" for i in range(p)])
    df["y"] = np.where(df["f7"] + 0.5 * df["f3"] > 0.8, "yes", "no")
    return df


def test_with_many_features_only_the_best_ranked_are_combined():
    data = from_frame(_wide(), target="y", positive="yes")
    report = suggest_rules(data, None, max_rules=5, max_features=4)
    assert len(report.features) == 4 and {"f3", "f7"} <= set(report.features)
    assert len(report.unmined_features) == 8 and _used(report) <= set(report.features)
    assert "# Not combined (8 of 12 features" in report.to_yaml() and "--max-features" in report.to_yaml()
    with pytest.raises(ConfigError, match="max_features"):
        suggest_rules(data, None, max_features=0)


def test_the_default_limit_keeps_the_estimated_time_within_the_budget(monkeypatch):
    costs = [1e-5] * 100  # 100 features on a few hundred rows: about 15 min of trees if all were combined
    assert mine_module.estimated_seconds(costs) > 100 * mine_module.BUDGET_SECONDS
    k = mine_module._within_budget(costs)
    assert 10 < k < 100 and mine_module.estimated_seconds(costs[:k]) <= mine_module.BUDGET_SECONDS
    # mining applies it: with a budget of a few trees only the best features are combined
    monkeypatch.setattr(mine_module, "BUDGET_SECONDS", 0.05)
    report = suggest_rules(from_frame(_wide(), target="y", positive="yes"), None, max_rules=5)
    assert 4 <= len(report.features) < 12 and {"f3", "f7"} <= set(report.features)


def test_long_runs_report_progress_on_stderr(monkeypatch, capsys):
    ticks = iter(range(10_000))
    monkeypatch.setattr(mine_module._Ticker, "clock", staticmethod(lambda: float(next(ticks))))  # 1 s a call
    suggest_rules(from_frame(_wide(p=8), target="y", positive="yes"), None, max_rules=3, progress=True)
    err = capsys.readouterr().err
    assert "snas rules suggest: mining: " in err and "feature subsets (" in err and "measuring " in err, err
    suggest_rules(from_frame(_wide(p=8), target="y", positive="yes"), None, max_rules=3)
    assert capsys.readouterr().err == ""
