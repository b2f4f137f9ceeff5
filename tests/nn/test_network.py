"""SNASNetwork: sub-networks of a supernet are exactly their stand-alone networks, every path
is monotone and blind to excluded features, stacked members are independent networks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from snas.model import Task, build_network, load_inherited
from snas.nn import KnowledgeNeurons, NetworkSpec, TabularEncoder, count_parameters
from snas.rules import holds, parse_condition
from snas.search import SearchSpace, Supernet, load_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def setting(census, census_rules):
    X = census.X_train.head(3000)
    y = census.y_train.head(3000).astype(str).to_numpy()
    task = Task.fit(X, y, census_rules, target="income")
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    cfg = dataclasses.replace(cfg, space=dataclasses.replace(cfg.space, widths=(4, 8, 16, 32), families=("mlp",)))
    space = SearchSpace(cfg, task.layout, None)
    supernet = Supernet(task, space, seed=0)
    with torch.no_grad():  # random weights everywhere: the properties must hold for any weights
        gen = torch.Generator().manual_seed(1)
        for p in supernet.network.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.5)
    return task, space, supernet, census.X_test.head(400).reset_index(drop=True)


def _genomes(space, n, seed=0):
    rng = np.random.default_rng(seed)
    return [space.random(rng) for _ in range(n)]


def test_supernet_paths_equal_their_stand_alone_networks(setting):
    """Inherited weights reproduce the sub-network exactly; its size is counted exactly."""
    task, space, supernet, X = setting
    x = task.encode(X)
    for g in _genomes(space, 25):
        arch = space.architecture(g)
        net = build_network(task, space.spec(g))
        load_inherited(net, supernet.inherited(g))
        with torch.no_grad():
            alone = net(x)
            shared = supernet.network(x, arch)
        assert torch.allclose(alone, shared, atol=1e-5), g.describe()
        assert net.n_parameters() == sum(p.numel() for p in net.parameters()) == space.count(g)
        assert count_parameters(task.layout, arch, members=3) == 3 * space.count(g)


def test_every_path_is_monotone_in_the_monotonic_features(setting):
    task, space, supernet, X = setting
    rows = X.head(120)
    for f in ("capital_gain", "education_num"):
        grid = np.quantile(X[f].astype(float), np.linspace(0, 1, 9))
        frames = []
        for v in grid:
            frame = rows.copy()
            frame[f] = frame[f].astype("float64") * 0 + v
            frames.append(task.encode(frame))
        for g in _genomes(space, 15, seed=3):
            arch = space.architecture(g)
            with torch.no_grad():
                out = torch.stack([supernet.network(x, arch)[0, :, 0] for x in frames])
            assert (out.diff(dim=0) >= -1e-5).all(), (f, g.describe())


def test_excluded_features_never_reach_any_path(setting):
    task, space, supernet, X = setting
    assert "sex" not in task.layout.categorical and "race" not in task.layout.categorical
    flipped = X.copy()
    flipped["sex"] = flipped["sex"].map({"Male": "Female", "Female": "Male"}).astype(X["sex"].dtype)
    a, b = task.encode(X), task.encode(flipped)
    for g in _genomes(space, 5, seed=4):
        with torch.no_grad():
            assert torch.equal(supernet.network(a, space.architecture(g)), supernet.network(b, space.architecture(g)))


def test_stacked_members_are_the_networks_of_their_seeds(setting):
    task, _, _, X = setting
    spec = NetworkSpec.from_dict({"layers": [16, 8], "numeric_encoding": "periodic", "embedding_dim": 4})
    stacked = build_network(task, dataclasses.replace(spec, members=3), seed=5)
    second = build_network(task, spec, seed=6)
    for name, p in stacked.named_parameters():
        assert torch.equal(p[1:2], second.get_parameter(name)), name
    with torch.no_grad():
        x = task.encode(X)
        assert torch.allclose(stacked(x)[1], second(x)[0])


def test_knowledge_neurons_approach_crisp_truth(census, census_rules):
    schema = census.schema
    feats = [c.name for c in schema.features]
    enc = TabularEncoder(schema, feats).fit(census.train.head(5000))
    bodies = [
        parse_condition(t)
        for t in (
            "capital_gain >= 7500 and not age < 21",
            'marital_status == "Married-civ-spouse" and education in ["Prof-school", "Doctorate"]',
            'education_num <= 8 or occupation != "Sales"',
        )
    ]
    neurons = KnowledgeNeurons(bodies, enc, sharpness=200.0)
    frame = census.test.head(3000)
    e = enc.transform(frame)
    truth = neurons(torch.from_numpy(e.numeric), torch.from_numpy(e.missing), torch.from_numpy(e.codes)).numpy()
    for j, b in enumerate(bodies):
        assert np.mean((truth[:, j] > 0.5) == holds(b, frame, schema)) > 0.995


def test_knowledge_neuron_links_start_in_their_rule_direction(setting):
    task, _, _, _ = setting
    spec = NetworkSpec.from_dict({"layers": [8], "default_rule_mode": "both", "kbann_weight": 2.0})
    net = build_network(task, spec)
    heads = {n.rule: n.head for n in task.layout.neurons}
    positive = task.classes.index(">50K")
    for j, rule in enumerate(net.architecture.neurons):
        w = float(net.get_parameter("kbann")[0, 0, j].detach())
        assert abs(w) == 2.0 and (w > 0) == (heads[rule] == positive or task.layout.neuron(rule).monotone)
