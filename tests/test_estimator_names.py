"""Column names as the user wrote them (capitals, hyphens, spaces) work from fit to predict, to a
saved model and to ``snas predict``; predictions keep y's dtype (int or text), after loading too."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from snas import SNASClassifier
from snas.cli import main
from snas.rules import parse_rules

SMALL = {"layers": [8], "max_epochs": 3}
GLASS_BOX = {"max_epochs": 3}  # the default family on a few hundred rows
RULES = """\
snas_rules: 1
target: {column: label, positive: 1}
rules:
  - id: long-hours
    if: hours_per_week >= 58
    then: 1
    strength: hard
  - id: married
    if: marital_status == "married"
    then: 1
    strength: soft
"""


def _frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "hours-per-week": rng.integers(20, 60, n).astype(float),
            "Age": rng.integers(18, 70, n).astype(float),
            "Marital Status": rng.choice(["married", "single"], n),
            "Capital Gain ($)": rng.exponential(1000, n).round(),
        }
    )
    y = (X["hours-per-week"] + rng.normal(0, 5, n) > 40).astype(int).rename("label")
    return X, y


@pytest.fixture(scope="module", params=[SMALL, GLASS_BOX], ids=["mlp", "glass-box"])
def fitted(request) -> SNASClassifier:
    X, y = _frame()
    return SNASClassifier(rules=parse_rules(RULES), architecture=request.param, random_state=0).fit(X, y)


def test_columns_named_as_at_fit_predict_score_and_explain(fitted):
    X, y = _frame(60, seed=1)
    proba = fitted.predict_proba(X)
    assert proba.shape == (60, 2) and np.isfinite(proba).all()
    assert fitted.predict(X).dtype == np.int64 and 0 <= fitted.score(X, y) <= 1
    assert np.array_equal(fitted.predict_proba(X[X.columns[::-1]]), proba)  # any column order
    assert (fitted.explain_rules(X)[X["hours-per-week"] >= 58] == "long-hours").all()
    assert list(fitted.rule_report(X, y)["rule"]) == ["long-hours", "married"]
    assert list(fitted.feature_names_in_) == list(X.columns)


def test_errors_name_the_columns_as_given_at_fit(fitted):
    X, _ = _frame(20, seed=1)
    with pytest.raises(ValueError, match=r"'hours-per-week' was numeric during fit"):
        fitted.predict(X.assign(**{"hours-per-week": "long"}))
    with pytest.raises(ValueError, match=r"missing: \['Age'\]"):
        fitted.predict(X.drop(columns=["Age"]))
    with pytest.raises(ValueError, match=r"unseen at fit time: \['age'\]"):
        fitted.predict(X.rename(columns={"Age": "age"}))  # the names given at fit, not their normalised form


def test_names_that_normalise_alike_are_refused_at_fit():
    X, y = _frame(50)
    X["AGE "] = X["Age"]
    with pytest.raises(ValueError, match=r"columns 'Age' and 'AGE ' are the same column once names are normalised"):
        SNASClassifier(architecture=SMALL).fit(X, y)


def test_a_saved_model_and_snas_predict_read_the_names_given_at_fit(fitted, tmp_path, capsys):
    X, _ = _frame(20, seed=2)
    again = SNASClassifier.load(fitted.save(tmp_path / "m"))
    assert np.array_equal(again.predict_proba(X), fitted.predict_proba(X))
    X.to_csv(tmp_path / "in.csv", index=False)
    code = main(["predict", str(tmp_path / "m"), str(tmp_path / "in.csv"), "--log", str(tmp_path / "log.jsonl")])
    out = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert code == 0 and out["prediction"].tolist() == fitted.predict(X).tolist()
    assert list(out.columns[: X.shape[1]]) == list(X.columns)  # the user's header comes back as written


@pytest.mark.parametrize(
    "labels",
    [
        lambda y: y.to_numpy(),  # int64
        lambda y: y.to_numpy().astype(np.int32),
        lambda y: y,  # a pandas Series of int
        lambda y: y.map({0: "no", 1: "yes"}),  # text, object dtype
        lambda y: np.where(y == 1, "yes", "no"),  # text, numpy <U3
    ],
    ids=["int64", "int32", "series", "str-object", "str-numpy"],
)
def test_predict_keeps_the_dtype_of_y_after_save_and_load(labels, tmp_path):
    X, y = _frame(200)
    target = labels(y)
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, target)
    dtype = np.asarray(target).dtype
    pred = clf.predict(X)
    assert clf.classes_.dtype == dtype and pred.dtype == dtype
    assert set(pred) <= set(np.asarray(target))
    again = SNASClassifier.load(clf.save(tmp_path / "m"))
    assert again.classes_.dtype == dtype and again.predict(X).dtype == dtype
    assert np.array_equal(again.predict(X), pred)
