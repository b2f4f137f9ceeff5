"""EnsembleModel: the weighted mean logit of different architectures, one shield, files
that round-trip and refuse tampering; greedy ensemble selection on log-loss."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from snas import EnsembleModel, FittedModel, ModelFileError, NetworkSpec, SNASError
from snas.metrics import monotonicity_violation_rate
from snas.model import Task, ensemble_selection
from snas.nn import PAIR_COST


@pytest.fixture(scope="module")
def parts(census, census_rules):
    X = census.X_train.head(2500)
    y = census.y_train.head(2500).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    mlp = FittedModel.train(task, NetworkSpec.from_dict({"layers": [16, 8], "max_epochs": 3}), X, y, seed=0)
    additive = FittedModel.train(task, NetworkSpec.from_dict({"family": "additive", "max_epochs": 3}), X, y, seed=1)
    seeds = FittedModel.train(task, NetworkSpec.from_dict({"layers": [8], "max_epochs": 3, "members": 2}), X, y, seed=2)
    return [mlp, additive, seeds]


def test_the_logit_is_the_weighted_mean_and_the_shield_decides_once(parts, census):
    X = census.X_test.head(3000)
    ens = EnsembleModel.of(parts, [3, 1, 1])
    assert ens.weights == pytest.approx((0.6, 0.2, 0.2))
    expected = 0.6 * parts[0].logits(X) + 0.2 * parts[1].logits(X) + 0.2 * parts[2].logits(X)
    assert np.allclose(ens.logits(X), expected, atol=1e-5)
    proba = ens.predict_proba(X)
    decided = ens.deciding_rules(X) != None  # noqa: E711 - elementwise on an object array
    assert decided.any() and set(np.unique(proba[decided])) <= {0.0, 1.0}
    assert np.array_equal(ens.deciding_rules(X), parts[0].deciding_rules(X))
    off = ens.with_spec(shield=False).predict_proba(X)
    assert not np.allclose(off[decided], proba[decided]) and np.allclose(off[~decided], proba[~decided])
    assert ens.n_parameters == sum(p.n_parameters for p in parts)
    assert ens.complexity == pytest.approx(sum(p.complexity for p in parts))
    assert ens.family == "ensemble"


def test_monotone_where_every_part_is(parts, census):
    ens = EnsembleModel.of(parts, [1, 1, 1])
    X = census.X_test.head(400).reset_index(drop=True)
    for feature in ("education_num", "capital_gain"):
        assert monotonicity_violation_rate(ens.predict_proba, X, feature, +1) == 0.0


def test_files_round_trip_and_tampering_is_refused(parts, census, tmp_path):
    X = census.X_test.head(500)
    ens = EnsembleModel.of(parts, [2, 1, 1], extra={"note": "x"})
    ens.save(tmp_path / "m")
    back = FittedModel.load(tmp_path / "m")
    assert isinstance(back, EnsembleModel) and back.weights == pytest.approx(ens.weights)
    assert np.array_equal(back.predict_proba(X), ens.predict_proba(X)) and back.extra == {"note": "x"}
    assert [p.spec for p in back.parts] == [p.spec for p in parts]
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["ensemble"][0]["weight"] = 0.9  # outside the hash now: refused
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="sha256"):
        FittedModel.load(tmp_path / "m")


def test_an_ensemble_has_no_exact_terms_and_refuses_bad_weights(parts, census):
    ens = EnsembleModel.of(parts[:2], [1, 1])
    with pytest.raises(SNASError, match="SHAP"):
        ens.explain(census.X_test.head(5))
    with pytest.raises(SNASError, match="weight"):
        EnsembleModel.of(parts[:2], [1, -1])
    with pytest.raises(SNASError, match="weight"):
        EnsembleModel.of(parts[:2], [1])


def test_greedy_selection_adds_what_lowers_the_log_loss():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    truth = np.where(y == 1, 2.0, -2.0)
    good = truth + rng.normal(0, 2.0, 400)
    other = truth + rng.normal(0, 2.0, 400)  # as good, independent errors: averaging helps
    bad = -truth
    logits = np.stack([bad, good, other])[..., None]
    chosen = ensemble_selection(logits, y, steps=10)
    assert 0 not in chosen and {1, 2} <= set(chosen)
    assert ensemble_selection(logits, y, steps=10, allowed=lambda c, k: k != 2) == [1] * 10  # 0 only hurts
    assert ensemble_selection(logits, y, steps=10, allowed=lambda c, k: False) == []
    three = np.stack([np.eye(3)[y] * 3, np.zeros((400, 3)), -np.eye(3)[y]])  # multiclass logits
    assert ensemble_selection(three, y, steps=3) == [0, 0, 0]


@pytest.fixture(scope="module")
def glass_boxes(census, census_rules):
    X = census.X_train.head(2500)
    y = census.y_train.head(2500).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    a = {"family": "additive", "max_epochs": 3, "shape_bins": 16, "pair_bins": 2, "default_rule_mode": "both"}
    a["pairs"] = [["age", "marital_status"], ["capital_gain", "education_num"]]
    b = {"family": "additive", "max_epochs": 3, "shape_bins": 32, "pair_bins": 4, "members": 2}
    b["pairs"] = [["capital_gain", "education_num"], ["hours_per_week", "occupation"]]
    models = [FittedModel.train(task, NetworkSpec.from_dict(s), X, y, seed=k) for k, s in enumerate((a, b))]
    return EnsembleModel.of(models, [2, 1])


def test_a_mean_of_glass_boxes_is_a_glass_box_explained_exactly(glass_boxes, census):
    ens = glass_boxes
    X = census.X_test.head(3000).reset_index(drop=True)
    e = ens.explain(X)
    assert ens.family == "additive"
    assert np.abs(e.contributions.to_numpy().sum(axis=1) - ens.logits(X)[:, 0]).max() < 1e-5
    assert np.allclose(e.probability, ens.predict_proba(X)[:, 1])
    pairs = [c for c in e.contributions.columns if "×" in c]
    assert len(pairs) == 3  # the union: capital_gain×education_num once
    a, b = ens.parts
    union = set(a.architecture.terms) | set(b.architecture.terms)
    assert ens.complexity == len(union) - 3 + PAIR_COST * 3
    shapes = {s.name: s for s in ens.shapes(census.X_train.head(2500))}
    assert set(shapes) == {"bias", *e.contributions.columns[1:]}
    assert shapes["bias"].contribution[0] == pytest.approx(e.contributions["bias"].iloc[0])
    for f in ("age", "capital_gain", "education_num"):  # piecewise linear on the union of the knots
        s = shapes[f]
        assert len(s.grid[0]) > len(a.shapes()[a.architecture.terms.index(f) + 1].grid[0])
        shown = np.interp(X[f].astype(float).to_numpy(), s.grid[0], s.contribution)
        assert np.allclose(shown, e.contributions[f], atol=1e-5), f
    for f in ("capital_gain", "education_num"):
        assert shapes[f].monotone == (1,) and (np.diff(shapes[f].contribution) >= -1e-6).all()
    pair = shapes["education_num×capital_gain"]
    assert (np.diff(pair.contribution, axis=0) >= -1e-6).all() and (np.diff(pair.contribution, axis=1) >= -1e-6).all()


def test_nested_and_repeated_parts_flatten_and_the_parameter_limit_holds(parts, census):
    import copy
    import pickle

    a, b, _ = parts
    nested = EnsembleModel.of([EnsembleModel.of([a, b], [1, 1]), a], [2, 1])  # a twice: 1/3 + 1/3
    assert len(nested.parts) == 2 and nested.weights == pytest.approx((2 / 3, 1 / 3))
    X = census.X_test.head(300)
    assert np.allclose(nested.logits(X), (2 * a.logits(X) + b.logits(X)) / 3, atol=1e-5)
    for twin in (copy.deepcopy(nested), pickle.loads(pickle.dumps(nested))):  # e.g. joblib of an estimator
        assert np.array_equal(twin.predict_proba(X), nested.predict_proba(X))
    with pytest.raises(SNASError, match=r"EnsembleModel\.of"):
        EnsembleModel(a.task, a.spec, a.network)
    small = dataclasses.replace(a.task.compiled, max_parameters=a.n_parameters + b.n_parameters - 1)
    task = dataclasses.replace(a.task, compiled=small)  # the rules allow each part, not both
    with pytest.raises(SNASError, match="max_parameters"):
        EnsembleModel.of([dataclasses.replace(a, task=task), dataclasses.replace(b, task=task)], [1, 1])
