from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import optuna
import pytest

from snas.model import Task
from snas.search import (
    Evaluation,
    Genome,
    Recipe,
    SearchSpace,
    Selection,
    hypervolume,
    load_config,
    pareto_front,
    select,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def space(census, census_rules):
    X = census.X_train.head(2000)
    task = Task.fit(X, census.y_train.head(2000).astype(str).to_numpy(), census_rules, target="income")
    return SearchSpace(load_config(ROOT / "search" / "census_income.yaml"), task.layout, 1500)


def test_repair_makes_every_genome_feasible(space):
    study = optuna.create_study(directions=["minimize"] * 3, sampler=optuna.samplers.RandomSampler(seed=0))
    infeasible = 0
    for _ in range(25):
        trial = study.ask()
        g = space.sample(trial)
        assert len(g.widths) == space.bounds.max_depth  # fixed length
        infeasible += space.violation(g) > 0
        r = space.repair(g)
        assert space.count(r) <= 1500 and space.violation(r) <= 0
        study.tell(trial, [0, 0, 0])
    assert infeasible > 0  # the space does propose too-large networks


def test_genome_and_optuna_parameters_round_trip(space):
    rng = np.random.default_rng(0)
    for _ in range(20):
        g = space.random(rng)
        assert space.sample(optuna.trial.FixedTrial(space.params(g))) == g
        assert Genome.from_dict(g.to_dict()) == g


def test_features_and_neurons_are_genes_and_monotonic_inputs_always_stay(space):
    rng = np.random.default_rng(1)
    genomes = [space.random(rng) for _ in range(40)]
    assert len({len(g.features) for g in genomes}) > 3 and len({len(g.neurons) for g in genomes}) > 3
    for g in genomes[:10]:
        spec = space.spec(g, Recipe(members=3))
        arch = space.architecture(g)
        assert set(spec.drop_features) == set(space.inputs) - set(g.features)
        assert "capital_gain" not in space.inputs and "education_num" not in space.inputs  # monotone path
        assert set(arch.neurons) == set(g.neurons) and spec.members == 3
        assert space.count(g, members=3) == 3 * space.count(g)
        # the label counts every input the network reads: the chosen ones, the monotonic two and
        # (a glass box) those its pairs read, also when drop_features names them
        read = (set(space.layout.numeric) | set(space.layout.categorical)) - set(spec.drop_features)
        read |= {f for p in g.pairs for f in p} if g.family == "additive" else set()
        assert f" {len(read)} inputs" in g.describe(space.layout.monotone_numeric)


def test_starting_points_are_the_default_network_and_the_smallest(space):
    """Per family: the default MLP and the smallest; every term with the best pairs and the
    plain additive model."""
    default, smallest, glass_pairs, glass = space.starting_points()
    assert space.count(smallest) < space.count(default) <= 1500  # repaired to the limit
    assert {default.family, smallest.family, glass_pairs.family, glass.family} == {"mlp", "additive"}
    assert space.count(glass_pairs) <= 1500 and space.count(glass) <= 1500
    pairs = list(itertools.combinations(space.inputs, 2))[:12]  # as ranked once per search
    unlimited = SearchSpace(space.config, space.layout, None, pairs)
    big, _, glass_pairs, glass = unlimited.starting_points()
    assert len(glass_pairs.pairs) == 10 and not glass.pairs
    assert unlimited.complexity(glass) < unlimited.complexity(glass_pairs)
    assert big.widths[:2] == (256, 256) and big.encoding == "periodic" and set(big.features) == set(space.inputs)
    assert glass.shape_bins == glass_pairs.shape_bins == 16  # the estimator's default glass box


def _ev(n, err, params, infid, f_soft=None, fidelity="stand-alone"):
    m = {"error": err, "parameters": params, "infidelity": infid, "accuracy": 1 - err}
    m["f_soft"] = 1 - infid if f_soft is None else f_soft
    return Evaluation(n, {}, {}, fidelity, m)


def test_front_and_selection():
    evs = [_ev(0, 0.14, 1000, 0.02), _ev(1, 0.13, 5000, 0.04), _ev(2, 0.15, 2000, 0.03), _ev(3, 0.135, 800, 0.05)]
    evs.append(_ev(4, 0.01, 10, 0.0, fidelity="inherited"))  # another fidelity never joins the stand-alone front
    front = pareto_front(evs)
    assert [e.number for e in front] == [1, 3, 0]
    best, why = select(front, Selection(min_f_soft=0.97))
    assert best.number == 0 and "F_soft" in why
    best, _ = select(front, Selection(max_parameters=900))
    assert best.number == 3
    assert [e.number for e in pareto_front(evs, "inherited")] == [4]


def test_hypervolume_exact():
    ref = np.array([1.0, 1.0, 1.0])
    assert hypervolume(np.array([[0.5, 0.5, 0.5]]), ref) == pytest.approx(0.125)
    assert hypervolume(np.array([[0.5, 0.5, 0.5], [0.0, 0.9, 0.9]]), ref) == pytest.approx(0.13)
    assert hypervolume(np.array([[0.2, 0.6], [0.6, 0.2]]), ref[:2]) == pytest.approx(0.48)
    assert hypervolume(np.array([[1.5, 0.1, 0.1]]), ref) == 0.0


def test_recipes_stay_inside_their_ranges(space):
    rng = np.random.default_rng(2)
    b = space.bounds
    tight = dataclasses.replace(space.config, space=dataclasses.replace(b, learning_rate=(1e-3, 1e-3)))
    recipes = SearchSpace(tight, space.layout, None).recipes(5, rng)
    assert recipes[0] == Recipe(learning_rate=1e-3)
    assert all(r.learning_rate == pytest.approx(1e-3) for r in recipes)
    assert all(b.dropout[0] <= r.dropout <= b.dropout[1] for r in space.recipes(20, rng))


def test_candidates_train_with_what_follows_the_rows_as_snasclassifier_does(space):
    from snas.model import adapt_to_rows
    from snas.nn import NetworkSpec

    glass = next(g for g in space.starting_points() if g.family == "additive")
    mlp = space.starting_points()[0]
    recipes = space.recipes(2, np.random.default_rng(3))
    for rows in (260, 26_000):
        sized = SearchSpace(space.config, space.layout, None, fit_rows=rows)
        expected = adapt_to_rows(NetworkSpec(family="additive"), rows, 0.15, given={"family"})[0]
        assert sized.spec(glass).ema_decay == expected.ema_decay  # the estimator's rule, not 0.99
        first, second = sized.family_recipes(glass, recipes)
        assert first.learning_rate == (recipes[0].learning_rate if rows < 1_000 else 0.01) == expected.learning_rate
        assert second == recipes[1]  # random recipes stay as drawn
        assert sized.family_recipes(mlp, recipes) == tuple(recipes)  # the MLP keeps its default rate
    assert space.spec(glass).ema_decay == NetworkSpec().ema_decay  # rows unknown: the spec's own
    assert SearchSpace.for_rows(NetworkSpec(), 325).ema_decay == 0.9


def _low_rung(space, points):
    rng = np.random.default_rng(0)
    genomes = list({repr(g.to_dict()): g for g in (space.repair(space.random(rng)) for _ in range(60))}.values())
    low = [
        Evaluation(
            number=i,
            genome=g.to_dict(),
            spec={},
            fidelity="low",
            metrics={"error": err, "complexity": c, "parameters": c, "infidelity": inf},
            recipe=Recipe().to_dict(),
        )
        for i, (g, (err, c, inf)) in enumerate(zip(genomes, points, strict=False))
    ]
    return genomes[: len(points)], low


def test_successive_halving_promotes_the_ends_of_an_overfull_front(space):
    """Promotion takes whole non-dominated layers, and from the one that does not fit each
    objective's best first, then the least crowded: the smallest model goes on although
    it is the least accurate of the front."""
    from snas.search._standalone import _promote

    # one front (accuracy rises with complexity), then a dominated point
    points = [(0.16, 18, 0.01), (0.145, 30, 0.01), (0.144, 33, 0.01), (0.143, 36, 0.01)]
    points += [(0.142, 40, 0.01), (0.141, 45, 0.01), (0.15, 500, 0.01)]
    genomes, low = _low_rung(space, points)
    chosen = [g for g, _ in _promote(low, 3)]
    assert chosen[:2] == [genomes[5], genomes[0]]  # the most accurate, the smallest
    assert chosen[2] == genomes[1]  # then the least crowded (the widest gap, 18 → 33 terms)
    assert [g for g, _ in _promote(low, 7)] == [genomes[i] for i in (5, 4, 3, 2, 1, 0, 6)]
    # three objectives' ends outnumber the places: the most accurate and the smallest first
    points = [(0.14, 1000, 0.02), (0.145, 300, 0.0), (0.17, 10, 0.05), (0.15, 200, 0.03)]
    genomes, low = _low_rung(space, points)
    assert [g for g, _ in _promote(low, 2)] == [genomes[0], genomes[2]]


def test_crowding_distance_spreads_and_skips_constant_objectives():
    from snas.search._result import crowding_distance

    d = crowding_distance(np.array([[0.0, 3.0, 1.0], [1.0, 2.0, 1.0], [1.5, 1.5, 1.0], [3.0, 0.0, 1.0]]))
    assert np.isinf(d[[0, 3]]).all() and np.allclose(d[[1, 2]], [1.0, 4 / 3])
    with pytest.raises(ValueError, match="finite"):
        crowding_distance(np.array([[0.0, np.inf], [1.0, 2.0], [2.0, 1.0]]))


def test_standalone_candidates_cover_the_front_in_every_prefix(space):
    """A deadline cuts the candidate list's tail: the first few after the starting points
    must hold both the most accurate architecture and the smallest front member."""
    from snas.search._standalone import _bisection, pick_candidates

    assert all(sorted(_bisection(n)) == list(range(n)) for n in range(12))
    rng = np.random.default_rng(5)
    evals = []
    for i in range(60):
        g = space.repair(dataclasses.replace(space.random(rng), family="additive"))
        c = 3.0 + i  # complexity grows with i, error falls: every point is on the front
        metrics = {"error": 0.2 - 0.001 * i, "complexity": c, "parameters": c, "infidelity": 0.01}
        evals.append(Evaluation(i, g.to_dict(), {}, "inherited", metrics))
    starts = [g for g in space.starting_points() if g.family == "additive"]
    weak = {"error": 0.3, "complexity": 50.0, "parameters": 50.0, "infidelity": 0.05}  # always evaluated first
    evals += [Evaluation(100 + i, g.to_dict(), {}, "inherited", weak) for i, g in enumerate(starts)]
    picked = pick_candidates(evals, space, 40)
    start_archs = list(dict.fromkeys(space.architecture(g) for g in starts))
    assert [space.architecture(g) for g in picked[: len(start_archs)]] == start_archs
    first = [space.architecture(g) for g in picked[len(start_archs) : len(start_archs) + 3]]
    by_arch = {space.architecture(Genome.from_dict(e.genome)): e for e in evals[:60]}
    errors = [by_arch[a].objectives[0] for a in first]
    complexities = [by_arch[a].objectives[1] for a in first]
    assert min(errors) == min(e.objectives[0] for e in by_arch.values())  # the most accurate
    assert min(complexities) == min(e.objectives[1] for e in by_arch.values())  # the smallest
