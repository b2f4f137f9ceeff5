"""The glass-box family: sub-networks of the additive supernet are exactly their stand-alone
networks, every path is monotone where the rules say so (for any weights, pairs included),
excluded features have no term, and explanations are exact."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from snas.exceptions import ConfigError, SNASError
from snas.model import FittedModel, Task, build_network, load_inherited
from snas.nn import PAIR_COST, AdditiveArchitecture, NetworkSpec, complexity, count_parameters, rank_pairs
from snas.search import SearchSpace, Supernet, load_config

ROOT = Path(__file__).resolve().parents[2]
MONOTONE_PAIRS = [("capital_gain", "education_num"), ("age", "capital_gain"), ("education_num", "occupation")]


@pytest.fixture(scope="module")
def setting(census, census_rules):
    X = census.X_train.head(3000)
    y = census.y_train.head(3000).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    data = task.training_data(X, y)
    ranked = rank_pairs(task.layout, data.inputs, data.y, data.forced, n=12)
    candidates = list(dict.fromkeys([*MONOTONE_PAIRS, *ranked]))
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    space_bounds = dataclasses.replace(
        cfg.space, families=("mlp", "additive"), widths=(4, 8), shape_bins=(8, 16, 32), pair_bins=(2, 4), max_pairs=6
    )
    cfg = dataclasses.replace(cfg, space=dataclasses.replace(space_bounds, pair_candidates=len(candidates)))
    space = SearchSpace(cfg, task.layout, None, candidates)
    supernet = Supernet(task, space, seed=0)
    with torch.no_grad():  # random weights everywhere: the properties must hold for any weights
        gen = torch.Generator().manual_seed(1)
        for p in supernet.networks["additive"].parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return task, space, supernet, census.X_test.head(400).reset_index(drop=True)


def _genomes(space, n, seed=0):
    rng = np.random.default_rng(seed)
    out = [space.largest_additive(), space.smallest_additive()]
    return out + [space.random(rng, "additive") for _ in range(n)]


def test_additive_paths_equal_their_stand_alone_networks(setting):
    """Inherited weights reproduce the sub-network exactly, whatever terms and bins it keeps."""
    task, space, supernet, X = setting
    x = task.encode(X)
    genomes = _genomes(space, 25)
    assert len({g.shape_bins for g in genomes}) > 1 and len({len(g.pairs) for g in genomes}) > 2
    for g in genomes:
        arch = space.architecture(g)
        spec = space.spec(g)
        assert spec.architecture(task.layout) == arch
        net = build_network(task, spec)
        load_inherited(net, supernet.inherited(g))
        with torch.no_grad():
            alone = net(x)
            shared = supernet.networks["additive"](x, arch)
        assert torch.allclose(alone, shared, atol=1e-5), g.describe()
        assert net.n_parameters() == sum(p.numel() for p in net.parameters()) == space.count(g)
        assert count_parameters(task.layout, arch, members=3) == 3 * space.count(g)


def test_every_additive_path_is_monotone_in_the_monotonic_features(setting):
    task, space, supernet, X = setting
    rows = X.head(100)
    net = supernet.networks["additive"]
    genomes = [g for g in _genomes(space, 20, seed=3) if g.pairs] + [space.largest_additive()]
    touched = {f for g in genomes for p in g.pairs for f in p}
    assert {"capital_gain", "education_num"} <= touched  # monotone pairs are exercised
    for f, direction in task.layout.monotone.items():
        values = X[f].astype(float)
        grid = np.unique(
            np.concatenate([np.linspace(values.min(), values.max() * 1.2, 60), values.quantile([0.5, 0.9])])
        )
        frames = []
        for v in grid:
            frame = rows.copy()
            frame[f] = frame[f].astype("float64") * 0 + v
            frames.append(task.encode(frame))
        for g in genomes:
            arch = space.architecture(g)
            with torch.no_grad():
                out = torch.stack([net(x, arch)[0, :, 0] for x in frames]).double()
            assert (direction * out.diff(dim=0) >= -1e-4).all(), (f, g.describe())


def test_excluded_features_have_no_term(setting, census_rules):
    task, space, supernet, X = setting
    excluded = set(census_rules.constraints.exclude_features)
    for g in _genomes(space, 10, seed=4):
        arch = space.architecture(g)
        assert not excluded & {f for name in arch.terms for f in name.split("×")}
    flipped = X.copy()
    flipped["sex"] = flipped["sex"].map({"Male": "Female", "Female": "Male"}).astype(X["sex"].dtype)
    arch = space.architecture(space.largest_additive())
    with torch.no_grad():
        net = supernet.networks["additive"]
        assert torch.equal(net(task.encode(X), arch), net(task.encode(flipped), arch))
    with pytest.raises(ConfigError, match="'sex' is not an input"):
        NetworkSpec.from_dict({"family": "additive", "pairs": [["sex", "age"]]}).architecture(task.layout)


def test_complexity_counts_terms_for_glass_boxes_and_parameters_for_mlps(setting):
    task, space, _, _ = setting
    for g in _genomes(space, 10, seed=5):
        arch = space.architecture(g)
        terms = len(set(g.features) | set(task.layout.monotone)) + len(g.neurons)
        assert space.complexity(g) == complexity(task.layout, arch) == terms + PAIR_COST * len(g.pairs)
        assert space.complexity(g, members=3) == space.complexity(g)  # the average of members is one glass box
    mlp = space.random(np.random.default_rng(6), "mlp")
    assert space.complexity(mlp, members=2) == space.count(mlp, members=2)


@pytest.fixture(scope="module")
def trained(census, census_rules):
    X = census.X_train.head(2500)
    y = census.y_train.head(2500).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    pairs = [["age", "marital_status"], ["capital_gain", "education_num"], ["hours_per_week", "occupation"]]
    spec = NetworkSpec.from_dict(
        {"family": "additive", "pairs": pairs, "default_rule_mode": "both", "max_epochs": 3, "members": 2}
    )
    return FittedModel.train(task, spec, X, y, seed=0)


def test_contributions_sum_to_the_logit_on_every_row(trained, census):
    X = census.X_test
    e = trained.explain(X)
    logit = trained.logits(X)[:, 0]
    terms = e.contributions.drop(columns="bias")
    assert list(terms.columns) == list(trained.architecture.terms)
    pairs = {frozenset(c.split("×")) for c in terms.columns if "×" in c}  # named in the layout's order
    assert {frozenset({"age", "marital_status"}), frozenset({"capital_gain", "education_num"})} <= pairs
    assert any(c.startswith("rule:") for c in terms.columns)
    assert np.abs(e.contributions.to_numpy().sum(axis=1) - logit).max() < 1e-5
    assert np.array_equal(e.logit, e.contributions.to_numpy().sum(axis=1))
    assert np.allclose(e.probability, trained.predict_proba(X)[:, 1])
    decided = e.deciding_rule != None  # noqa: E711 - elementwise on an object array
    assert decided.any() and np.array_equal(e.deciding_rule, trained.deciding_rules(X))
    assert set(np.unique(e.probability[decided])) <= {0.0, 1.0}  # the shield, not the terms, decided those


def test_an_mlp_has_no_exact_contributions(census, census_rules):
    X = census.X_train.head(600)
    y = census.y_train.head(600).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    mlp = FittedModel.train(task, NetworkSpec.from_dict({"layers": [4], "max_epochs": 1}), X, y)
    with pytest.raises(SNASError, match="only for glass-box models"):
        mlp.explain(X)


def _interpolate(shape, values: np.ndarray) -> np.ndarray:
    """A numeric shape's value at raw ``values``: linear between knots, constant beyond."""
    return np.interp(values, shape.grid[0], shape.contribution)


def test_shapes_reproduce_the_contributions_and_keep_monotone_directions(trained, census):
    X = census.X_test.head(3000).reset_index(drop=True)
    e = trained.explain(X)
    shapes = {s.name: s for s in trained.shapes(census.X_train.head(2500))}
    assert shapes["bias"].contribution[0] == pytest.approx(e.contributions["bias"].iloc[0])
    age = shapes["age"]
    assert age.kind == "numeric" and age.monotone == (0,) and abs(age.density.sum() - 1) < 1e-9
    assert np.allclose(_interpolate(age, X["age"].astype(float).to_numpy()), e.contributions["age"], atol=1e-5)
    for f in ("capital_gain", "education_num"):
        s = shapes[f]
        assert s.monotone == (1,) and (np.diff(s.contribution) >= -1e-6).all()
        assert np.allclose(_interpolate(s, X[f].astype(float).to_numpy()), e.contributions[f], atol=1e-5)
    occupation = shapes["occupation"]
    levels = list(occupation.grid[0])
    at = X["occupation"].astype(object).map(lambda v: levels.index(v) if v in levels else 0).to_numpy()
    assert np.allclose(occupation.contribution[at], e.contributions["occupation"], atol=1e-6)
    pair = shapes["education_num×capital_gain"]  # named in the layout's order
    assert pair.kind == "pair" and pair.monotone == (1, 1) and pair.contribution.ndim == 2
    assert (np.diff(pair.contribution, axis=0) >= -1e-6).all() and (np.diff(pair.contribution, axis=1) >= -1e-6).all()
    neuron = next(s for s in shapes.values() if s.kind == "neuron")
    assert neuron.grid[0][0] == 0 and neuron.grid[0][-1] == 1 and neuron.features


def test_glass_box_model_files_round_trip(trained, census, tmp_path):
    trained.save(tmp_path / "m")
    again = FittedModel.load(tmp_path / "m")
    X = census.X_test.head(500)
    assert isinstance(again.architecture, AdditiveArchitecture) and again.family == "additive"
    assert np.array_equal(again.predict_proba(X), trained.predict_proba(X))
    assert again.complexity == trained.complexity
    pd.testing.assert_frame_equal(again.explain(X).contributions, trained.explain(X).contributions)


def test_members_of_a_glass_box_average_into_one_glass_box(trained, census, census_rules):
    """Whatever the weights (signs included), one member holds exactly the members' mean logit,
    monotone terms included: a trained glass box is one set of shapes, as large as one member."""
    task = trained.task
    spec = NetworkSpec.from_dict({"family": "additive", "pairs": [list(p) for p in MONOTONE_PAIRS], "members": 3})
    net = build_network(task, spec, seed=0)
    with torch.no_grad():
        gen = torch.Generator().manual_seed(2)
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    x = task.encode(census.X_test.head(2000))
    one = net.averaged()
    assert one.members == 1 and one.n_parameters() * 3 == net.n_parameters()
    assert torch.allclose(one(x)[0], net(x).mean(0), atol=1e-5)
    assert trained.network.members == 1 and len(trained.results) == 2  # trained as two, kept as their mean
    assert trained.n_parameters == build_network(task, dataclasses.replace(trained.spec, members=1)).n_parameters()


def test_pair_ranking_counts_only_free_interaction_cells(census, census_rules):
    """A pair whose one feature determines the other explains nothing its features do not:
    it has no free interaction cells (no bonus from a negative count), and with
    ``positive_only`` it is not proposed; excluded features are never in a pair."""
    from snas.nn._pairs import _interaction_dof

    assert _interaction_dof(np.ones((3, 4), dtype=bool)) == 6  # (r − 1)(c − 1) on a full table
    assert _interaction_dof(np.eye(5, dtype=bool)) == 0  # one feature determines the other
    assert _interaction_dof(np.kron(np.eye(2, dtype=bool), np.ones((2, 2), dtype=bool))) == 2  # two blocks
    X = census.X_train.head(5000)
    y = census.y_train.head(5000).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    data = task.training_data(X, y)
    ranked = rank_pairs(task.layout, data.inputs, data.y, data.forced, n=40, positive_only=True)
    assert ranked and ("education_num", "education") not in ranked
    every = rank_pairs(task.layout, data.inputs, data.y, data.forced, n=40)
    assert len(every) == 40 and set(ranked) <= set(every)  # without positive_only: the n best, whatever their score
    assert ("education_num", "education") in every  # proposed only when any score will do
    without_age = rank_pairs(task.layout, data.inputs, data.y, data.forced, n=40, exclude=["age"])
    assert len(without_age) == 40 and all("age" not in q for q in without_age)


def test_a_spec_described_for_its_family_leaves_out_the_other_familys_fields():
    from snas.nn import ADDITIVE_ONLY_FIELDS, MLP_ONLY_FIELDS, NetworkSpec

    glass = NetworkSpec(family="additive", pairs=(("age", "hours_per_week"),)).to_dict(used_only=True)
    mlp = NetworkSpec().to_dict(used_only=True)
    assert not MLP_ONLY_FIELDS & glass.keys() and glass["pairs"] == [["age", "hours_per_week"]]
    assert not ADDITIVE_ONLY_FIELDS & mlp.keys() and mlp["layers"][0]["width"] == 256
    assert NetworkSpec().to_dict().keys() >= MLP_ONLY_FIELDS | ADDITIVE_ONLY_FIELDS  # in full by default
