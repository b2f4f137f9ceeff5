from __future__ import annotations

import numpy as np
import optuna
import pytest

from snas.search import SearchContext, SearchSpace, hypervolume, load_config, pareto_front, select
from snas.search._config import Selection
from snas.search._evaluate import Evaluation


@pytest.fixture(scope="module")
def space_and_context(census, census_rules):
    from pathlib import Path

    cfg = load_config(Path(__file__).resolve().parents[2] / "search" / "census_income.yaml")
    ctx = SearchContext(census, census_rules, cfg)
    soft = [r.id for r in census_rules.soft]
    return SearchSpace(cfg, soft, ctx.count_parameters, 1500), ctx


def test_repair_makes_every_genome_feasible(space_and_context):
    space, ctx = space_and_context
    sampler = optuna.samplers.RandomSampler(seed=0)
    study = optuna.create_study(directions=["minimize"] * 3, sampler=sampler)
    infeasible = 0
    for _ in range(12):
        trial = study.ask()
        g = space.sample(trial)
        assert len(g["layers"]) == space.bounds.max_depth  # fixed length
        infeasible += space.violation(g) > 0
        r = space.repair(g)
        assert ctx.count_parameters(space.to_spec(r)) <= 1500
        study.tell(trial, [0, 0, 0])
    assert infeasible > 0  # the space does propose too-large networks


def test_complexity_weight_is_a_gene_spanning_the_warm_start(space_and_context):
    """The inner loop's scalarisation is tuned by the outer loop: the default network starts
    at the lightest penalty (stays large), the smallest at the heaviest."""
    space, _ = space_and_context
    lo, hi = space.bounds.complexity_weight
    default, smallest = space.starting_points()
    assert (default["complexity_weight"], smallest["complexity_weight"]) == (lo, hi)
    study = optuna.create_study(directions=["minimize"] * 3, sampler=optuna.samplers.RandomSampler(seed=1))
    drawn = [space.sample(study.ask())["complexity_weight"] for _ in range(20)]
    assert all(lo <= w <= hi for w in drawn) and len(set(drawn)) == 20
    assert "complexity_weight" not in space.to_spec(space.sample(study.ask()))  # not a network setting


def test_ensemble_members_are_a_gene_counted_and_repaired(space_and_context):
    """Members multiply the parameter count; repair may trade them away to fit the limit."""
    space, ctx = space_and_context
    study = optuna.create_study(directions=["minimize"] * 3, sampler=optuna.samplers.RandomSampler(seed=2))
    g = space.sample(study.ask())
    one, three = {**g, "members": 1}, {**g, "members": 3}
    assert ctx.count_parameters(space.to_spec(three)) == 3 * ctx.count_parameters(space.to_spec(one))
    assert "×3" in space.describe(three) and "×" not in space.describe(one)
    assert all(p["members"] == 1 for p in space.starting_points())
    fits = {**three, "depth": 1, "layers": [{**g["layers"][0], "width": 8}, *g["layers"][1:]]}
    fits.update(numeric_encoding="standard", embedding_dim=2, monotone_width=2, monotone_curves=0)
    assert (
        ctx.count_parameters(space.to_spec(fits)) > 1500 >= ctx.count_parameters(space.to_spec({**fits, "members": 1}))
    )
    assert space.repair(fits)["members"] == 1


def _ev(n, err, params, infid, f_soft=None):
    return Evaluation(
        n,
        {},
        {},
        "complete",
        "full",
        {
            "error": err,
            "parameters": params,
            "infidelity": infid,
            "accuracy": 1 - err,
            "f_soft": 1 - infid if f_soft is None else f_soft,
        },
    )


def test_front_and_selection():
    evs = [_ev(0, 0.14, 1000, 0.02), _ev(1, 0.13, 5000, 0.04), _ev(2, 0.15, 2000, 0.03), _ev(3, 0.135, 800, 0.05)]
    front = pareto_front(evs)
    assert [e.number for e in front] == [1, 3, 0]
    best, why = select(front, Selection(min_f_soft=0.97))
    assert best.number == 0 and "F_soft" in why
    best, _ = select(front, Selection(max_parameters=900))
    assert best.number == 3


def test_hypervolume_exact():
    ref = np.array([1.0, 1.0, 1.0])
    assert hypervolume(np.array([[0.5, 0.5, 0.5]]), ref) == pytest.approx(0.125)
    assert hypervolume(np.array([[0.5, 0.5, 0.5], [0.0, 0.9, 0.9]]), ref) == pytest.approx(0.13)
    assert hypervolume(np.array([[0.2, 0.6], [0.6, 0.2]]), ref[:2]) == pytest.approx(0.48)
    assert hypervolume(np.array([[1.5, 0.1, 0.1]]), ref) == 0.0
