"""Data minimisation at prediction: a column the model never reads — an excluded feature, an input
the network drops — may be left out (estimator and ``snas predict``); when given it is neither
checked nor warned about, and the predictions and the decision log are the same either way. A
column the network or a hard rule reads stays required, and the error says who reads it."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from snas import EnsembleModel, FittedModel, NetworkSpec, SNASClassifier
from snas.cli import main
from snas.exceptions import RuleError
from snas.model import Task
from snas.rules import parse_rules

RULES = """\
snas_rules: 1
target: {column: default, positive: 1}
rules:
  - id: many-late
    if: late_payments >= 3
    then: 1
    strength: hard
  - id: unemployed
    if: employment == "unemployed"
    then: 1
    strength: soft
constraints:
  exclude_features: [gender, account_id]
"""
EXCLUDED = ["account id", "gender"]
SMALL = {"layers": [8], "max_epochs": 3}


def _frame(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "account id": [f"ACC-{seed}-{i}" for i in range(n)],
            "Alter Jahre": rng.integers(18, 80, n).astype(float),
            "debt ratio": rng.uniform(0, 1.2, n).round(3),
            "late payments": rng.poisson(0.7, n).astype(float),
            "employment": rng.choice(["salaried", "unemployed", "retired"], n),
            "gender": rng.choice(["F", "M"], n),
        }
    )
    y = ((X["debt ratio"] + 0.5 * X["late payments"] + rng.normal(0, 0.3, n)) > 1).astype(int).rename("default")
    return X, y


def _fit(arch: dict, rules: str = RULES) -> SNASClassifier:
    X, y = _frame()
    return SNASClassifier(rules=parse_rules(rules), architecture=arch, random_state=0).fit(X, y)


@pytest.fixture(autouse=True)
def _no_warnings():
    """A warning about a column the model never reads (an unknown level ...) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module", params=[SMALL, {"max_epochs": 3}], ids=["mlp", "glass-box"])
def fitted(request) -> SNASClassifier:
    return _fit(request.param)


def test_excluded_columns_may_be_left_out(fitted):
    X, y = _frame(80, seed=1)
    lean = X.drop(columns=EXCLUDED)
    assert np.array_equal(fitted.predict_proba(lean), fitted.predict_proba(X))
    assert fitted.explain_rules(lean).equals(fitted.explain_rules(X))
    assert fitted.rule_report(lean, y).equals(fitted.rule_report(X, y))
    assert fitted.score(lean, y) == fitted.score(X, y)
    assert "gender" not in fitted.model_.features_read() and "account_id" not in fitted.model_.features_read()


def test_given_excluded_columns_are_neither_checked_nor_warned_about(fitted):
    X, _ = _frame(80, seed=1)
    odd = X.assign(gender="X", **{"account id": np.arange(80)})  # an unknown level, another dtype
    assert np.array_equal(fitted.predict_proba(odd), fitted.predict_proba(X))


def test_a_column_the_model_reads_stays_required_naming_who_reads_it(fitted):
    X, _ = _frame(20, seed=1)
    with pytest.raises(ValueError, match=r"missing: \['late payments'\]") as info:
        fitted.predict(X.drop(columns=["late payments", "gender"]))
    message = str(info.value)
    assert "'late payments' is read by the network and hard rule 'many-late'" in message
    assert "may be left out: ['account id', 'gender']" in message
    with pytest.raises(ValueError, match=r"'debt ratio' was numeric during fit"):
        fitted.predict(X.assign(**{"debt ratio": "high"}))


def test_an_input_the_network_drops_is_optional_unless_a_hard_rule_reads_it():
    clf = _fit({**SMALL, "drop_features": ["debt_ratio", "late_payments"]})
    assert clf.model_.features_read() == {
        "alter_jahre": ["the network"],
        "late_payments": ["hard rule 'many-late'"],  # the shield still reads it
        "employment": ["the network"],
    }
    X, _ = _frame(80, seed=1)
    proba = clf.predict_proba(X)
    assert np.array_equal(clf.predict_proba(X.drop(columns=["debt ratio", *EXCLUDED])), proba)
    assert np.array_equal(clf.predict_proba(X.assign(**{"debt ratio": "n/a"})), proba)
    with pytest.raises(ValueError, match=r"'late payments' is read by hard rule 'many-late'\."):
        clf.predict(X.drop(columns=["late payments"]))


def test_no_rule_reads_an_excluded_feature_so_the_shield_never_needs_one():
    """compile_rules refuses such a rule (in 'if' or 'unless'); a model file cannot hold one either."""
    rules = RULES.replace("if: late_payments >= 3", 'if: late_payments >= 3\n    unless: gender == "F"')
    with pytest.raises(RuleError, match=r"rule 'many-late' reads 'gender', which 'exclude_features' keeps out"):
        _fit(SMALL, rules)


def test_the_rule_report_reads_the_soft_rules_features_too():
    clf = _fit({**SMALL, "drop_features": ["employment"], "rule_modes": {"unemployed": "loss"}})
    X, y = _frame(80, seed=1)
    assert "employment" not in clf.model_.features_read()
    assert clf.model_.features_read(soft_rules=True)["employment"] == ["soft rule 'unemployed'"]
    lean = X.drop(columns=["employment"])
    assert np.array_equal(clf.predict_proba(lean), clf.predict_proba(X))
    with pytest.raises(ValueError, match=r"'employment' is read by soft rule 'unemployed'"):
        clf.rule_report(lean, y)


def test_a_pair_or_an_ensemble_part_reading_an_input_keeps_it_required():
    X, y = _frame()
    frame = SNASClassifier()._as_frame(X, fitting=True)
    task = Task.fit(frame, y.astype(str).to_numpy(), parse_rules(RULES), target="default")
    spec = {"family": "additive", "max_epochs": 1}
    paired = FittedModel.train(
        task, NetworkSpec.from_dict({**spec, "drop_features": ["debt_ratio"], "pairs": [["debt_ratio", "alter_jahre"]]}),
        frame, y.astype(str).to_numpy(),
    )  # fmt: skip
    assert paired.features_read()["debt_ratio"] == ["the network"]
    lean = FittedModel.train(
        task, NetworkSpec.from_dict({**spec, "drop_features": ["debt_ratio", "alter_jahre"]}), frame, y.astype(str)
    )
    assert set(lean.features_read()) == {"late_payments", "employment"}
    both = EnsembleModel.of([paired, lean], [0.5, 0.5])
    assert set(both.features_read()) == {"alter_jahre", "debt_ratio", "late_payments", "employment"}


def test_snas_predict_accepts_rows_without_the_excluded_columns(fitted, tmp_path, capsys):
    model = fitted.save(tmp_path / "m")
    X, _ = _frame(30, seed=2)
    X.to_csv(tmp_path / "full.csv", index=False)
    X.drop(columns=EXCLUDED).to_csv(tmp_path / "lean.csv", index=False)
    results = {}
    for name in ("full", "lean"):
        log = tmp_path / f"{name}.jsonl"
        code = main(["predict", str(model), str(tmp_path / f"{name}.csv"), "--log", str(log)])
        out, err = capsys.readouterr()
        assert code == 0 and "unknown level" not in err  # the new account ids are not the model's business
        hashes = [json.loads(line)["input_sha256"] for line in log.read_text().splitlines()]
        results[name] = (pd.read_csv(io.StringIO(out)), hashes)
    full, lean = results["full"], results["lean"]
    assert full[0].drop(columns=EXCLUDED).equals(lean[0])  # the output repeats the header as written
    assert full[1] == lean[1]  # the log hashes what decided: the same input, the same hash
    assert full[0]["prediction"].tolist() == fitted.predict(X).tolist()


def test_snas_predict_names_a_missing_column_and_who_reads_it(fitted, tmp_path, capsys):
    model = fitted.save(tmp_path / "m")
    X, _ = _frame(5, seed=2)
    X.drop(columns=["late payments", "gender"]).to_csv(tmp_path / "in.csv", index=False)
    code = main(["predict", str(model), str(tmp_path / "in.csv"), "--log", str(tmp_path / "log.jsonl")])
    err = capsys.readouterr().err
    assert code == 2 and "missing column(s) ['late_payments']; the model needs [" in err
    assert "'late_payments' is read by the network and hard rule 'many-late'" in err
    assert "the columns it does not read may be left out: ['account_id', 'gender']" in err
