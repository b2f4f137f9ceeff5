"""The family gene in a real (tiny) search: MLPs and glass boxes in one population, and the
complexity objective (terms for glass boxes, parameters for MLPs) in every record."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from snas.model import EARLY_STOPPING_FRACTION, ema_decay_for, glass_box_learning_rate
from snas.nn import PAIR_COST
from snas.search import Budget, Genome, SearchSpace, load_config, search


def test_family_gene_and_complexity_objective_in_search_results(tiny_search, tmp_path, census_rules):
    cfg = load_config(tiny_search / "search.yaml")
    space = dataclasses.replace(
        cfg.space, families=("mlp", "additive"), max_pairs=3, pair_candidates=6, shape_bins=(16, 32), pair_bins=(2, 4)
    )
    cfg = dataclasses.replace(cfg, space=space, budget=Budget(trials=8))
    out = search(cfg, tmp_path / "run", data_dir=str(tiny_search), progress=False)
    history = out.result.evaluations
    inherited = [e for e in history if e.fidelity == "inherited"]
    assert {e.family for e in inherited} == {"mlp", "additive"}
    assert {e.family for e in history if e.fidelity == "low"} == {"mlp", "additive"}
    monotone = set(census_rules.constraints.monotonic)
    for e in history:
        g = Genome.from_dict(e.genome)
        assert e.metrics["parameters"] > 0 and e.objectives[1] == e.metrics["complexity"]
        if e.family == "additive":
            assert len(g.pairs) <= 3 and e.spec["family"] == "additive"
            terms = len(set(g.features) | monotone) + len(g.neurons)
            assert e.metrics["complexity"] == terms + PAIR_COST * len(g.pairs)
        else:
            assert e.metrics["complexity"] == e.metrics["parameters"]  # opaque parameters, all members
    front = json.loads((tmp_path / "run" / "front.json").read_text())["front"]
    assert all("complexity" in e["metrics"] and "family" in e["genome"] for e in front)
    frame = out.result.front_frame()
    assert {"family", "complexity", "parameters"} <= set(frame.columns)
    pairs = {tuple(p) for e in history for p in e.genome["pairs"] if e.family == "additive"}
    assert pairs and np.all([a != b for a, b in pairs])
    # every candidate trains as SNASClassifier's network would on the same rows
    rows = out.result.info["fit_rows"]
    low, high = cfg.space.learning_rate
    for e in history:
        assert e.spec["ema_decay"] == ema_decay_for(rows, EARLY_STOPPING_FRACTION, e.spec["batch_size"])
        if e.family == "additive" and (e.fidelity == "inherited" or (e.fidelity == "low" and e.notes["recipe"] == 0)):
            assert e.spec["learning_rate"] == min(max(glass_box_learning_rate(rows), low), high)


def test_glass_boxes_on_few_rows_train_as_the_default_glass_box(tiny_search, tmp_path):
    """On fewer fit rows than GLASS_BOX_SMALL_ROWS a glass-box candidate trains as
    SNASClassifier's would: 8 members averaged into one glass box (its size and complexity
    are one member's), starting from 8-bin shapes; no ensemble job trains it again."""
    from snas.model import GLASS_BOX_SMALL_ROWS

    cfg = load_config(tiny_search / "search.yaml")
    space = dataclasses.replace(cfg.space, families=("additive",), max_pairs=2, pair_candidates=4, shape_bins=(8, 16))
    cfg = dataclasses.replace(cfg, space=space, budget=Budget(trials=6))
    out = search(cfg, tmp_path / "run", data_dir=str(tiny_search), progress=False)
    assert out.result.info["fit_rows"] < GLASS_BOX_SMALL_ROWS
    trained = [e for e in out.result.evaluations if e.fidelity != "inherited"]
    full = [e for e in trained if e.fidelity == "stand-alone"]
    assert full and all(e.spec["members"] == 8 and e.recipe["members"] == 1 for e in full)
    assert any(e.genome["shape_bins"] == 8 for e in trained)  # the starting glass box
    assert len({e.notes["trial"] for e in trained}) == 6  # no trial kept for an ensemble that cannot be
    assert all(e.spec["members"] == 1 for e in trained if e.fidelity == "low")  # recipes batched: one each
    model = out.result.model
    parts = getattr(model, "parts", [model])
    assert all(p.family == "additive" and p.network.members == 1 for p in parts)
    one_member = SearchSpace(cfg, parts[0].task.layout, None)
    assert all(e.metrics["parameters"] == one_member.count(Genome.from_dict(e.genome)) for e in trained)
