from __future__ import annotations

import numpy as np
import torch

from snas.datasets import load_manifest
from snas.nn import KnowledgeNeurons, MonotonePath, NetworkSpec, SNASNetwork, TabularEncoder, compile_rules
from snas.rules import holds, parse_condition

SCHEMA = load_manifest("census_income").schema


def test_monotone_path_is_monotone_for_any_free_input():
    torch.manual_seed(0)
    path = MonotonePath(n_mono=3, n_free=5, width=16)
    with torch.no_grad():
        for p in path.parameters():
            p.normal_()
    free = torch.randn(200, 5)
    base = torch.randn(200, 3)
    for j in range(3):
        up = base.clone()
        up[:, j] += torch.rand(200) * 3
        assert (path(up, free) >= path(base, free) - 1e-5).all()


def _encoder(census, features):
    return TabularEncoder(SCHEMA, features).fit(census.train.head(5000))


def test_knowledge_neurons_approach_crisp_truth(census):
    feats = [c.name for c in SCHEMA.features]
    enc = _encoder(census, feats)
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
        crisp = holds(b, frame, SCHEMA)
        assert np.mean((truth[:, j] > 0.5) == crisp) > 0.995


def test_excluded_features_never_reach_the_network(census, census_rules):
    compiled = compile_rules(census_rules, SCHEMA, ("<=50K", ">50K"))
    feats = [c.name for c in SCHEMA.features if c.name not in compiled.excluded]
    enc = _encoder(census, feats)
    assert "sex" not in enc.features and "race" not in enc.features
    net = SNASNetwork(NetworkSpec.from_dict({"layers": [16]}), enc, compiled)
    assert len(net.embeddings) == len(enc.categorical)
    assert "sex" not in enc.categorical
