"""Numeric inputs the encoder accepts: NaN (missing) or finite numbers. ``inf`` is refused alike
in fit and predict (estimator, FittedModel, ``snas predict``), naming the column and the first
offending row; fit also refuses numbers beyond the float32 range, while rows to predict may
hold them (they encode to the edge of the range) — never with a raw numpy warning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from snas import ConfigError, FittedModel, NetworkSpec, SNASClassifier
from snas.cli import main
from snas.datasets import MAX_NUMBER, Column, Schema
from snas.model import Task
from snas.nn import TabularEncoder

SCHEMA = Schema(
    (
        Column("age", "age", "numeric"),
        Column("hours", "hours", "numeric"),
        Column("kind", "kind", "categorical", ("a", "b")),
        Column("target", "target", "categorical", ("hi", "lo")),
    ),
    "target",
    ("hi", "lo"),
)


def _frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "hours": rng.normal(40, 10, n),
            "kind": pd.Categorical(rng.choice(["a", "b"], n), categories=["a", "b"]),
        }
    )
    return X, np.where(X["age"] + rng.normal(0, 5, n) > 45, "hi", "lo")


def _with(X: pd.DataFrame, column: str, rows: list[int], value: float) -> pd.DataFrame:
    out = X.copy()
    out.loc[rows, column] = value
    return out


@pytest.fixture(autouse=True)
def _no_warnings():
    """Any warning (numpy's 'overflow encountered in cast' ...) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module")
def classifier() -> SNASClassifier:
    X, y = _frame()
    return SNASClassifier(architecture={"layers": [4], "max_epochs": 2}, random_state=0).fit(X, y)


INFINITE = [np.inf, -np.inf]
HUGE = [1e300, -1e39, -np.finfo(np.float64).max]


@pytest.mark.parametrize("value", INFINITE + HUGE, ids=["inf", "-inf", "1e300", "-1e39", "-max"])
def test_fit_refuses_infinite_and_beyond_float32_values_naming_column_and_row(value):
    X, _ = _frame(50)
    with pytest.raises(ConfigError, match=r"column 'hours', row 7 \(counting from 0\): .* is not a finite number"):
        TabularEncoder(SCHEMA, ["age", "hours", "kind"]).fit(_with(X, "hours", [7, 9], value))


@pytest.mark.parametrize("value", INFINITE, ids=["inf", "-inf"])
def test_transform_refuses_infinite_values_naming_column_and_row(value):
    X, _ = _frame(50)
    enc = TabularEncoder(SCHEMA, ["age", "hours", "kind"]).fit(X)
    with pytest.raises(ConfigError, match=r"column 'hours', row 7 \(counting from 0\): -?inf is not a finite number"):
        enc.transform(_with(X, "hours", [7, 9], value))


@pytest.mark.parametrize("value", HUGE, ids=["1e300", "-1e39", "-max"])
def test_far_out_finite_values_encode_to_the_edge_of_the_range_without_warnings(value):
    X, _ = _frame(50)
    enc = TabularEncoder(SCHEMA, ["age", "hours", "kind"]).fit(X)
    out = enc.transform(_with(X, "hours", [7], value))
    assert np.isfinite(out.numeric).all() and np.sign(out.numeric[7, 1]) == np.sign(value)
    assert abs(out.numeric[7, 1]) > 1e30


def test_nan_is_missing_and_the_float32_extremes_fit_finitely():
    X, _ = _frame(50)
    X = _with(_with(X, "age", [3], np.nan), "hours", [0, 1], MAX_NUMBER)
    X.loc[2, "hours"] = -MAX_NUMBER
    enc = TabularEncoder(SCHEMA, ["age", "hours", "kind"]).fit(X)
    out = enc.transform(X)
    assert bool(enc.has_missing_[0]) and out.missing[3, 0] == 1 and out.numeric[3, 0] == 0
    assert np.isfinite(out.numeric).all() and np.isfinite(enc.std_).all()


def test_an_all_missing_column_fits_without_warnings():
    X, _ = _frame(50)
    enc = TabularEncoder(SCHEMA, ["age", "hours", "kind"]).fit(_with(X, "age", list(range(50)), np.nan))
    assert enc.mean_[0] == 0 and enc.std_[0] == 1


@pytest.mark.parametrize("value", INFINITE, ids=["inf", "-inf"])
def test_the_estimator_refuses_infinite_values_in_fit_and_predict_alike(classifier, value):
    X, y = _frame()
    with pytest.raises(ConfigError, match=r"column 'age', row 5 \(counting from 0\)"):
        SNASClassifier(architecture={"layers": [4], "max_epochs": 1}).fit(_with(X, "age", [5], value), y)
    with pytest.raises(ConfigError, match=r"column 'hours', row 1 \(counting from 0\)"):
        classifier.predict_proba(_with(X.head(3), "hours", [1], value))
    with pytest.raises(ConfigError, match=r"column 'hours', row 1 \(counting from 0\)"):
        classifier.model_.predict(_with(X.head(3), "hours", [1], value))


def test_a_column_of_huge_opposite_values_is_refused_at_fit_not_at_predict():
    X, y = _frame()
    X["hours"] = np.where(np.arange(len(X)) % 2, 1e308, -1e308)
    with pytest.raises(ConfigError, match=r"column 'hours', row 0 .*within ±3.403e\+38.*300 such value"):
        SNASClassifier(architecture={"layers": [4], "max_epochs": 1}).fit(X, y)


def test_far_out_and_missing_values_still_predict(classifier):
    X, _ = _frame(5, seed=3)
    X = _with(_with(X, "age", [0, 2], np.nan), "hours", [1], 1e300)
    X.loc[3, "hours"] = -1e308
    p = classifier.predict_proba(X)
    assert p.shape == (5, 2) and np.isfinite(p).all()


def test_a_fitted_model_refuses_in_training_too():
    X, y = _frame()
    task = Task.fit(X, y, None)
    with pytest.raises(ConfigError, match=r"column 'age', row 4"):
        FittedModel.train(
            task, NetworkSpec.from_dict({"layers": [4], "max_epochs": 1}), _with(X, "age", [4], np.inf), y
        )


def test_snas_predict_scores_a_huge_value_without_a_numpy_warning(classifier, tmp_path, capsys):
    classifier.save(tmp_path / "m")
    X, _ = _frame(3, seed=4)
    X = X.astype({"hours": object})
    X.loc[1, "hours"] = "1e300"
    X.to_csv(tmp_path / "in.csv", index=False)
    code = main(["predict", str(tmp_path / "m"), str(tmp_path / "in.csv"), "--log", str(tmp_path / "log.jsonl")])
    out, err = capsys.readouterr()
    assert code == 0 and "column 'hours': 1 value(s) lie far outside the training range" in err
    assert "RuntimeWarning" not in err and "overflow" not in err and "Traceback" not in err
    assert len(out.strip().splitlines()) == 4 and "nan" not in out.lower()
