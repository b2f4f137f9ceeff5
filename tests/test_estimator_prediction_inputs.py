"""What SNASClassifier says about prediction inputs that do not match what it was fitted on."""

from __future__ import annotations

import warnings

import pytest

from snas import SNASClassifier


@pytest.fixture(scope="module")
def fitted(census, census_rules):
    X, y = census.X_train.sample(2000, random_state=1), census.y_train.sample(2000, random_state=1)
    arch = {"layers": [{"width": 16}], "max_epochs": 2}
    return SNASClassifier(rules=census_rules, architecture=arch, random_state=0).fit(X, y), census.X_test.head(50)


def test_true_false_in_a_numeric_column_is_refused(fitted) -> None:
    clf, X = fitted
    with pytest.raises(
        ValueError,
        match=r"column 'age' was numeric during fit but has dtype bool(ean)?; give its numbers, not True/False",
    ):
        clf.predict_proba(X.assign(age=X["age"] > 40))


def test_levels_fit_never_saw_are_named_in_a_warning(fitted) -> None:
    clf, X = fitted
    with pytest.warns(UserWarning, match=r"column 'workclass': 2 row\(s\) hold level\(s\) not seen in fit \['Robot'\]"):
        clf.predict_proba(X.assign(workclass=["Robot", "Robot", *X["workclass"].astype(str).iloc[2:]]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.predict_proba(X)  # known levels and missing values: nothing to say
