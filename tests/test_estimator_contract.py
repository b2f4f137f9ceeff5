"""SNASClassifier keeps its promises at the edges: every feature is read whatever y is called,
``explain`` reads the user's own frame, a searched model saved and loaded refits as its
``load`` docstring says, no state survives a refit, and bad input is refused with a clear
message (never a raw pandas or numpy error)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer

from snas import EnsembleModel, FittedModel, SNASClassifier
from snas.datasets import normalise_name
from snas.exceptions import ConfigError, ModelFileError
from snas.model._files import _digest
from snas.rules import parse_rules

SMALL = {"layers": [4], "max_epochs": 1}
GLASS_BOX = {"max_epochs": 1}  # the default family on a few hundred rows


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[:300, :6].copy(), y.iloc[:300]


# ------------------------------------------------------------- the target's name
def test_a_label_named_after_a_feature_leaves_that_feature_read(cancer):
    X, _ = cancer
    y = (X["mean radius"] > 14).astype(int)  # derived from a column: it keeps that name
    assert y.name == "mean radius"
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, y)
    names = [normalise_name(c) for c in X.columns]
    assert list(clf.schema_.feature_names) == names
    assert clf.schema_.target not in names
    assert "mean_radius" in clf.model_.features_read()


def test_a_feature_called_target_is_read_when_y_has_no_name(cancer):
    X, y = cancer
    X = X.rename(columns={"mean area": "Target"})
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, y.to_numpy())
    assert "target" in clf.schema_.feature_names and clf.schema_.target == "target_2"
    assert "target" in clf.model_.features_read()
    assert clf.predict_proba(X).shape == (len(X), 2)


def test_rules_naming_a_target_that_is_also_a_feature_are_refused(cancer):
    X, y = cancer
    rules = parse_rules(
        "snas_rules: 1\ntarget: {column: mean radius, positive: '1'}\n"
        "rules:\n  - {id: big, if: mean_area > 1000, then: '1', strength: hard}\n"
    )
    with pytest.raises(ConfigError, match=r"the rules name the target column 'mean radius'.*feature 'mean_radius'"):
        SNASClassifier(rules=rules, architecture=SMALL).fit(X, y)


# ------------------------------------------------------------------- explain
def test_explain_reads_the_frame_as_fit_saw_it(cancer):
    X, y = cancer
    clf = SNASClassifier(architecture=GLASS_BOX, random_state=0).fit(X, y)
    rows = X.iloc[10:15]
    with pytest.raises(ConfigError, match="no column 'mean_radius'"):  # the model layer needs normalised names …
        clf.model_.explain(rows)
    e = clf.explain(rows)  # … the estimator reads the user's own
    same = clf.model_.explain(rows.rename(columns=normalise_name))
    pd.testing.assert_frame_equal(e.contributions, same.contributions)
    assert list(e.contributions.index) == list(rows.index) and "mean_radius" in e.contributions.columns
    np.testing.assert_allclose(e.contributions.sum(axis=1), e.logit, atol=1e-5)
    np.testing.assert_allclose(e.probability, clf.predict_proba(rows)[:, 1], atol=1e-6)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        assert clf.explain(rows.to_numpy()).contributions.shape == e.contributions.shape
    assert clf.explain(rows, target=1).target == "1"


# ------------------------------------------------------- a searched model saved
class _Search:
    """Stands in for ``snas.search.search_frame``: trains the models a search would find."""

    def __init__(self, ensemble: bool) -> None:
        self.ensemble, self.calls = ensemble, 0

    def __call__(self, frame: pd.DataFrame, labels: np.ndarray, rules: Any, **kw: Any) -> Any:
        from snas.model import Task
        from snas.nn import NetworkSpec

        self.calls += 1
        task = Task.fit(frame, labels, rules, target=kw["target"], classes=kw["classes"])
        one = FittedModel.train(task, NetworkSpec.from_dict({"layers": [3], "max_epochs": 1}), frame, labels)
        model = one
        if self.ensemble:
            other = FittedModel.train(task, NetworkSpec.from_dict({**GLASS_BOX, "family": "additive"}), frame, labels)
            model = replace(EnsembleModel.of([one, other], [2, 1]), split={})  # a search's model records no split

        class Result:
            def front_frame(self) -> pd.DataFrame:
                return pd.DataFrame()

            def history_frame(self) -> pd.DataFrame:
                return pd.DataFrame()

        result = Result()
        result.model = model  # type: ignore[attr-defined]
        return result


def test_a_searched_network_loads_as_its_spec_and_refits_it_without_searching(cancer, tmp_path, monkeypatch):
    X, y = cancer
    search = _Search(ensemble=False)
    monkeypatch.setattr("snas.search.search_frame", search)
    clf = SNASClassifier(budget="40trials", random_state=0).fit(X, y)
    loaded = SNASClassifier.load(clf.save(tmp_path / "m"))
    params = loaded.get_params()
    assert (params["architecture"], params["budget"], params["search"]) == (clf.spec_.to_dict(), None, None)
    refit = clone(loaded).fit(X, y)
    assert search.calls == 1 and refit.spec_ == clf.spec_ and type(refit.model_) is FittedModel


def test_a_searched_ensemble_loads_with_its_search_and_refits_by_searching(cancer, tmp_path, monkeypatch):
    X, y = cancer
    search = _Search(ensemble=True)
    monkeypatch.setattr("snas.search.search_frame", search)
    clf = SNASClassifier(budget="40trials", random_state=0).fit(X, y)
    loaded = SNASClassifier.load(clf.save(tmp_path / "m"))
    params = loaded.get_params()
    assert (params["architecture"], params["budget"], params["search"]) == (None, "40trials", None)
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    refit = clone(loaded).fit(X, y)
    assert search.calls == 2 and isinstance(refit.model_, EnsembleModel)


@pytest.mark.parametrize("budget", [40, {"trials": 40}, "40trials"])
def test_every_budget_fit_accepts_is_saved_and_loads_again(cancer, tmp_path, monkeypatch, budget):
    X, y = cancer
    monkeypatch.setattr("snas.search.search_frame", _Search(ensemble=True))
    clf = SNASClassifier(budget=budget, random_state=0).fit(X, y)
    assert SNASClassifier.load(clf.save(tmp_path / "m")).get_params()["budget"] == budget


def test_a_split_from_an_earlier_fit_does_not_survive_a_search(cancer, monkeypatch):
    X, y = cancer
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, y)
    assert len(clf.split_indices_["train"]) > 0
    monkeypatch.setattr("snas.search.search_frame", _Search(ensemble=True))
    clf.set_params(budget="40trials").fit(X.iloc[:250], y.iloc[:250])
    assert not hasattr(clf, "split_indices_")


# ---------------------------------------------------------------- bad input
def test_an_array_for_a_model_with_categorical_columns_is_refused_by_name(census):
    X, y = census.X_train.head(300), census.y_train.head(300)
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, y)
    with (
        pytest.warns(UserWarning, match="X does not have valid feature names"),
        pytest.raises(ValueError, match="column 'workclass' is categorical: pass a DataFrame"),
    ):
        clf.predict(X.to_numpy())


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda y: y.astype(float).where(y.index != 3), r"Input y contains NaN: 1 label\(s\) are missing.*position 3"),
        (lambda y: y.map({0: "no", 1: None}), r"Input y contains NaN"),
        (lambda y: y.map({0: "no", 1: 1}).astype(object), r"y mixes labels of different types.*'no'.*1"),
        (lambda y: y.map({0: 0, 1: "yes"}).astype(object), r"y mixes labels of different types.*'yes'.*0"),
    ],
    ids=["nan", "none", "text-first", "number-first"],
)
def test_labels_that_cannot_be_classes_are_refused_clearly(cancer, labels, message):
    X, y = cancer
    with pytest.raises(ValueError, match=message):
        SNASClassifier(architecture=SMALL).fit(X, labels(y))


@pytest.mark.parametrize("seed", ["abc", -1, 1.5, 2**31, np.random.default_rng(0)])
def test_a_random_state_that_seeds_nothing_is_refused_before_training(cancer, seed):
    X, y = cancer
    with pytest.raises(ConfigError, match=r"'random_state' parameter of SNASClassifier must be an int"):
        SNASClassifier(architecture=SMALL, random_state=seed).fit(X, y)


def test_a_random_state_as_numpy_randomstate_still_seeds(cancer):
    X, y = cancer
    clf = SNASClassifier(architecture=SMALL, random_state=np.random.RandomState(0)).fit(X, y)
    assert clf.predict(X).shape == (len(X),)
    assert clf.seed_ == np.random.RandomState(0).randint(2**31 - 1)  # the first draw: checking takes none


@pytest.fixture(scope="module")
def fitted(cancer) -> SNASClassifier:
    X, y = cancer
    return SNASClassifier(architecture=GLASS_BOX, random_state=0).fit(X, y)


def _twice(X: pd.DataFrame, column: str) -> pd.DataFrame:
    return pd.concat([X, X[[column]]], axis=1)


def test_a_repeated_column_name_is_refused_by_the_estimator(cancer, fitted):
    X, y = cancer
    doubled = _twice(X, "mean texture")
    for call in (
        lambda: SNASClassifier(architecture=SMALL).fit(doubled, y),
        lambda: fitted.predict(doubled),
        lambda: fitted.explain_rules(doubled),
        lambda: fitted.explain(doubled),
    ):
        with pytest.raises(ValueError, match=r"X has 2 columns named 'mean texture'; column names must be unique"):
            call()


@pytest.mark.parametrize("entry", ["predict_proba", "predict", "logits", "explain", "deciding_rules"])
def test_a_repeated_column_name_is_refused_by_the_model(cancer, fitted, entry):
    frame = _twice(cancer[0].rename(columns=normalise_name), "mean_texture")
    with pytest.raises(ValueError, match=r"the rows have 2 columns named 'mean_texture'; column names must be unique"):
        getattr(fitted.model_, entry)(frame)


@pytest.mark.parametrize("cls", [FittedModel, EnsembleModel])
@pytest.mark.parametrize("name", ["architecture", "n_parameters", "fit_seconds"])
def test_the_models_properties_say_what_they_are(cls, name):
    assert (vars(cls)[name].__doc__ or "").strip()


# ------------------------------------------------- an edited estimator record
def _edit_estimator(field: str, value: Any) -> Any:
    """Set ``extra.estimator.<field>`` of a model.json (a callable maps the old value to the new)."""

    def edit(meta: dict[str, Any]) -> None:
        *path, last = field.split(".")
        record = meta["extra"]["estimator"]
        for key in path:
            record = record[key]
        record[last] = value(record[last]) if callable(value) else value

    return edit


ESTIMATOR_EDITS = {
    "classes-null": ("'extra.estimator.classes'", _edit_estimator("classes", None)),
    "classes-one-short": ("'extra.estimator.classes'", _edit_estimator("classes", lambda v: v[:1])),
    "classes-dtype-number": ("'extra.estimator.classes_dtype'", _edit_estimator("classes_dtype", 5)),
    "classes-dtype-unknown": ("'extra.estimator.classes_dtype'", _edit_estimator("classes_dtype", "<q9")),
    "names-null": ("'extra.estimator.feature_names_in'", _edit_estimator("feature_names_in", None)),
    "names-one-short": ("'extra.estimator.feature_names_in'", _edit_estimator("feature_names_in", lambda v: v[:-1])),
    "names-renamed": (
        "'extra.estimator.feature_names_in'",
        _edit_estimator("feature_names_in", lambda v: ["zz", *v[1:]]),
    ),
    "names-number": ("'extra.estimator.feature_names_in'", _edit_estimator("feature_names_in", lambda v: [3, *v[1:]])),
    "n-features-text": ("'extra.estimator.n_features_in'", _edit_estimator("n_features_in", "6")),
    "params-list": ("'extra.estimator.params'", _edit_estimator("params", [])),
    "params-seed-text": ("'extra.estimator.params.random_state'", _edit_estimator("params.random_state", "abc")),
    "params-fraction": (
        "'extra.estimator.params.validation_fraction'",
        _edit_estimator("params.validation_fraction", 2),
    ),
    "params-unknown": ("'extra.estimator.params.rules'", _edit_estimator("params.rules", "x.yaml")),
    "defaults-list": ("'extra.estimator.defaults'", _edit_estimator("defaults", [1])),
    "estimator-text": ("'extra.estimator'", lambda meta: meta["extra"].update(estimator="x")),
}


@pytest.fixture(scope="module")
def saved(cancer, tmp_path_factory) -> Path:
    X, y = cancer
    clf = SNASClassifier(architecture=SMALL, random_state=0).fit(X, y.map({0: "benign", 1: "malignant"}))
    return clf.save(tmp_path_factory.mktemp("saved") / "m")


@pytest.mark.parametrize("case", list(ESTIMATOR_EDITS))
def test_an_edited_estimator_record_is_refused_on_load_naming_the_field(saved, tmp_path, case):
    field, edit = ESTIMATOR_EDITS[case]
    path = tmp_path / "m"
    shutil.copytree(saved, path)
    meta = json.loads((path / "model.json").read_text())
    edit(meta)
    meta["content_sha256"] = _digest(meta)  # re-hashed, as a careless tool would
    (path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError) as err:
        SNASClassifier.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: model.json: {field} ") and "restore the original" in message


def test_the_unedited_estimator_record_loads_and_predicts_as_before(saved, cancer):
    X, _ = cancer
    loaded = SNASClassifier.load(saved)
    assert list(loaded.classes_) == ["benign", "malignant"] and list(loaded.feature_names_in_) == list(X.columns)
    assert loaded.predict(X.head(5)).dtype == object
