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


def _rewrite(path, edit):
    """Edit model.json and recompute its hashes as snas would (what a careless tool could do)."""
    from snas.model._files import _digest

    meta = json.loads((path / "model.json").read_text())
    edit(meta)
    meta["content_sha256"] = _digest(meta)
    (path / "model.json").write_text(json.dumps(meta))


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["ensemble"][0].update(weight=10**400),
        lambda m: m["ensemble"][0].update(weight="0.7"),
        lambda m: m["ensemble"][0].update(members=0),
        lambda m: m["ensemble"][0].update(members=20_000),
        lambda m: m["ensemble"][0].update(members=1.9),
        lambda m: m["ensemble"][1].update(training=[]),
        lambda m: m["ensemble"][1].update(seed=True),
    ],
    ids=[
        "huge-int-weight",
        "string-weight",
        "no-members",
        "20000-members",
        "float-members",
        "no-training",
        "bool-seed",
    ],
)
def test_inconsistent_records_are_refused_as_model_file_errors(parts, tmp_path, edit):
    EnsembleModel.of(parts[:2], [1, 1]).save(tmp_path / "m")
    _rewrite(tmp_path / "m", edit)
    with pytest.raises(ModelFileError, match=str(tmp_path / "m")):
        FittedModel.load(tmp_path / "m")


def test_damaged_json_and_weights_are_refused_before_use(parts, tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from snas._util import sha256_file

    d = tmp_path / "m"
    parts[0].save(d)
    text = (d / "model.json").read_text()
    for damaged in (
        text.replace('"extra": {}', '"extra": {"a": 1e999}'),
        text.replace('"extra": {}', '"extra": ' + "[" * 987 + "]" * 987),
    ):
        assert damaged != text
        (d / "model.json").write_text(damaged)
        with pytest.raises(ModelFileError, match="not valid"):
            FittedModel.load(d)
    (d / "model.json").write_text(text)
    state = load_file(d / "model.safetensors")
    name = next(iter(state))
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, d / "model.safetensors")
    _rewrite(d, lambda m: m.update(weights_sha256=sha256_file(d / "model.safetensors")))
    with pytest.raises(ModelFileError, match="NaN or infinite"):
        FittedModel.load(d)


def test_a_failed_save_leaves_the_earlier_model_whole(parts, census, tmp_path):
    X = census.X_test.head(200)
    d = tmp_path / "m"
    parts[0].save(d)
    with pytest.raises(ModelFileError, match="not plain JSON"):
        EnsembleModel.of(parts[:2], [1, 1], extra={"a": float("nan")}).save(d)
    assert np.array_equal(FittedModel.load(d).predict_proba(X), parts[0].predict_proba(X))
    with pytest.raises(ModelFileError, match="is a file"):
        parts[0].save(d / "model.json")


def test_weights_round_trip_exactly_and_the_content_hash_tells_ensembles_apart(parts, tmp_path):
    a = EnsembleModel.of(parts[:2], [0.9, 0.1])
    b = EnsembleModel.of(parts[:2], [0.1, 0.9])
    rng = np.random.default_rng(0)
    odd = EnsembleModel.of(parts, rng.random(3))
    odd.save(tmp_path / "odd")
    back = FittedModel.load(tmp_path / "odd")
    assert back.weights == odd.weights  # bit for bit: loading does not normalise again
    meta = json.loads((tmp_path / "odd" / "model.json").read_text())
    assert back.content_sha256() == odd.content_sha256() == meta["content_sha256"]
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    same_weights = (tmp_path / "a" / "model.safetensors").read_bytes() == (
        tmp_path / "b" / "model.safetensors"
    ).read_bytes()
    assert same_weights and a.content_sha256() != b.content_sha256()
    assert EnsembleModel.of(parts[:2], [1e308, 1e308]).weights == (0.5, 0.5)  # no overflow to 0/0


@pytest.mark.parametrize("weights", [["a", "b"], None, 0.5, [[1], [2]], [1 + 1j, 1], [float("inf"), 1]], ids=str)
def test_bad_weights_are_snas_errors(parts, weights):
    with pytest.raises(SNASError, match="weight"):
        EnsembleModel.of(parts[:2], weights)


def test_parts_must_be_fitted_models_and_agree_on_the_shield(parts):
    with pytest.raises(SNASError, match="fitted models"):
        EnsembleModel.of([parts[0], "x"], [1, 1])
    with pytest.raises(SNASError, match="shield"):
        EnsembleModel.of([parts[0].with_spec(shield=False), parts[1]], [0.6, 0.4])
    with pytest.raises(SNASError, match="shield"):
        EnsembleModel.of([parts[0].with_spec(shield=False), parts[0]], [1, 1])
    assert not EnsembleModel.of([p.with_spec(shield=False) for p in parts[:2]], [1, 1]).spec.shield
    assert EnsembleModel.of(iter(parts[:2]), [1, 1]).weights == (0.5, 0.5)
    ens = EnsembleModel.of(parts[:2], [1, 1])
    with pytest.raises(SNASError, match="sum to one"):
        dataclasses.replace(ens, weights=(-5.0, 6.0))


def test_rows_without_a_column_the_model_reads_are_named(parts, census):
    from snas.exceptions import ConfigError

    X = census.X_test.head(20).drop(columns=["age"])
    for model in (parts[0], EnsembleModel.of(parts[:2], [1, 1])):
        with pytest.raises(ConfigError, match="no column 'age'"):
            model.predict_proba(X)
