"""The supernet resumes exactly, the outer loop replays its log instead of evaluating again,
the gradient inner loop trades size against loss and refines only promising proposals."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
import torch

from snas._util import canonical_json
from snas.model import Task
from snas.search import STRATEGIES, SearchSpace, Supernet, ValidationSet, load_config
from snas.search._evolution import REFINED_FROM, Archive, EvolutionLog, evolve
from snas.search._result import dominates

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def setting(census, census_rules):
    X = census.X_train.head(2400).reset_index(drop=True)
    y = census.y_train.head(2400).astype(str).to_numpy()
    task = Task.fit(X.head(1800), y[:1800], census_rules, target="income")
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    cfg = dataclasses.replace(
        cfg,
        space=dataclasses.replace(cfg.space, widths=(4, 8, 16), max_depth=2),
        supernet=dataclasses.replace(cfg.supernet, epochs=2, paths=3, batch_size=256),
        evolution=dataclasses.replace(cfg.evolution, population_size=4, generations=3),
        gradient=dataclasses.replace(cfg.gradient, steps=3),
    )
    space = SearchSpace(cfg, task.layout, None)
    fit = task.training_data(X.head(1800), y[:1800], task.compiled.soft_ids)
    val = ValidationSet.build(task, X.tail(600).reset_index(drop=True), y[1800:], "accuracy")
    return cfg, task, space, fit, val


def test_supernet_training_resumes_exactly(setting, tmp_path):
    cfg, task, space, fit, _ = setting
    straight = Supernet(task, space, seed=1)
    straight.train(fit, cfg.supernet)
    first = Supernet(task, space, seed=1)
    first.train(fit, dataclasses.replace(cfg.supernet, epochs=1), checkpoint=tmp_path / "sn")
    resumed = Supernet(task, space, seed=1)
    assert resumed.load(tmp_path / "sn", cfg.supernet) and resumed.epochs_done == 1
    resumed.train(fit, cfg.supernet)
    a, b = straight.network.state_dict(), resumed.network.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    (tmp_path / "sn.safetensors").write_bytes(b"damaged")
    assert not Supernet(task, space, seed=1).load(tmp_path / "sn", cfg.supernet)  # starts over, never crashes


def test_outer_loop_replays_its_log_without_evaluating_again(setting, tmp_path, monkeypatch):
    cfg, task, space, fit, val = setting
    sn = Supernet(task, space, seed=0)
    sn.train(fit, cfg.supernet)
    strategy = STRATEGIES["evolution+gradient"]
    log = EvolutionLog.open(tmp_path / "evolution.json")
    first = evolve(cfg, strategy, space, sn, fit, val, log=log)
    assert len(first) == 12 and {e.generation for e in first} == {0, 1, 2}
    assert all(e.fidelity == "inherited" for e in first)
    calls = []
    monkeypatch.setattr(Supernet, "evaluate", lambda self, g, v: calls.append(g))
    again = evolve(cfg, strategy, space, sn, fit, val, log=EvolutionLog.open(tmp_path / "evolution.json"))
    assert calls == [] and [e.to_dict() for e in again] == [e.to_dict() for e in first]


def test_an_interrupted_outer_loop_continues_as_if_never_stopped(setting, tmp_path):
    """A partial log (generation 1 of 3) resumes into the same proposals, refinements and
    objectives as one uninterrupted run: the replayed trials give the sampler every parameter."""
    cfg, task, space, fit, val = setting
    sn = Supernet(task, space, seed=0)
    sn.train(fit, cfg.supernet)
    strategy = STRATEGIES["evolution+gradient"]
    straight = evolve(cfg, strategy, space, sn, fit, val, log=EvolutionLog(None))

    class Killed(Exception):
        pass

    def kill(generation: int, evals: list) -> None:  # after the log of generation 1 is saved
        raise Killed

    with pytest.raises(Killed):
        evolve(cfg, strategy, space, sn, fit, val, log=EvolutionLog.open(tmp_path / "e.json"), on_generation=kill)
    assert len(EvolutionLog.open(tmp_path / "e.json").entries) == cfg.evolution.population_size
    resumed = evolve(cfg, strategy, space, sn, fit, val, log=EvolutionLog.open(tmp_path / "e.json"))
    drop = ("seconds",)  # wall time differs
    strip = [{k: v for k, v in e.to_dict().items() if k not in drop} for e in resumed]
    assert strip == [{k: v for k, v in e.to_dict().items() if k not in drop} for e in straight]
    assert len({canonical_json(e.genome) for e in straight}) > 4  # it explored, not one genome over and over


def test_gradient_inner_loop_shrinks_a_candidate_when_size_costs(setting):
    cfg, task, space, fit, _ = setting
    sn = Supernet(task, space, seed=0)
    sn.train(fit, cfg.supernet)
    g = space.largest("ple")
    heavy = dataclasses.replace(g, complexity_weight=50.0)
    refined, info = sn.refine(heavy, fit, dataclasses.replace(cfg.gradient, steps=40, learning_rate=0.3), seed=0)
    assert space.count(refined) < space.count(g)
    assert set(info["gates"]) == set(g.features)
    light, _ = sn.refine(dataclasses.replace(g, complexity_weight=1e-6), fit, cfg.gradient, seed=0)
    assert space.count(light) >= space.count(refined)


def test_archive_admits_only_points_no_earlier_point_dominates():
    archive = Archive()
    assert archive.admits((0.2, 3.0, 0.01))
    archive.add((0.2, 3.0, 0.01))
    assert not archive.admits((0.2, 3.0, 0.02)) and not archive.admits((0.3, 3.5, 0.01))
    assert archive.admits((0.25, 2.0, 0.01)) and archive.admits((0.2, 3.0, 0.01))  # a tie is not dominated
    archive.add((0.1, 2.0, 0.0))  # dominates the first point: only the front is kept
    assert archive.points == [(0.1, 2.0, 0.0)]


def test_inner_loop_refines_promising_proposals_and_never_the_starting_points(setting):
    cfg, task, space, fit, val = setting
    cfg = dataclasses.replace(cfg, evolution=dataclasses.replace(cfg.evolution, population_size=8, generations=4))
    sn = Supernet(task, space, seed=0)
    sn.train(fit, cfg.supernet)
    evals = evolve(cfg, STRATEGIES["evolution+gradient"], space, sn, fit, val, log=EvolutionLog(None))
    starts = len({canonical_json(space.params(g)) for g in space.starting_points()})  # enqueued once each
    notes = [e.notes.get("gradient") for e in evals]
    assert notes[:starts] == [None] * starts
    refined = [i for i, n in enumerate(notes) if n and "changed" in n]
    skipped = [i for i, n in enumerate(notes) if n and "skipped" in n]
    children = [i for i, e in enumerate(evals) if REFINED_FROM in e.notes]
    assert refined and skipped and children
    assert "gradient" not in evals[-1].notes  # the last proposal's refined genome could not be evaluated
    assert len(refined) + len(skipped) + len(children) == len(evals) - starts - 1
    archives: dict[str, Archive] = {}
    for i, e in enumerate(evals):  # refined iff no earlier evaluation of the family dominated the proposal
        archive = archives.setdefault(e.family, Archive())
        if i in skipped:
            assert not archive.admits(e.scaled_objectives)
        if i in refined:
            assert archive.admits(e.scaled_objectives)
            if "refined" in notes[i]:  # Lamarckian: the refined genome is the next individual
                child = evals[i + 1]
                assert child.notes[REFINED_FROM] == e.number and child.genome == notes[i]["refined"]
                assert child.genome != e.genome and "gradient" not in child.notes
                assert list(child.scaled_objectives) == notes[i]["refined_objectives"]
                assert not dominates(e.scaled_objectives, child.scaled_objectives)
        if i in children:
            assert "refined" in notes[i - 1]
        archive.add(e.scaled_objectives)
    plain = evolve(cfg, STRATEGIES["evolution"], space, sn, fit, val, log=EvolutionLog(None))
    assert all("gradient" not in e.notes for e in plain)


def test_a_phase_squeezed_out_by_a_slow_start_still_hands_on_candidates(setting):
    """Past its deadline the supernet trains one epoch and the outer loop evaluates its
    starting points (milliseconds), so a short budget never ends with nothing evaluated."""
    cfg, task, space, fit, val = setting
    past = time.monotonic() - 1
    sn = Supernet(task, space, seed=0)
    assert sn.train(fit, cfg.supernet, deadline=past) == 1
    assert sn.train(fit, cfg.supernet, deadline=past) == 1  # trained already: nothing more past the deadline
    evals = evolve(cfg, STRATEGIES["evolution+gradient"], space, sn, fit, val, log=EvolutionLog(None), deadline=past)
    starts = {canonical_json(space.params(g)) for g in space.starting_points()}
    assert len(evals) == len(starts) > 0


def test_a_resumed_supernet_starts_no_epoch_its_last_one_says_cannot_finish(setting, tmp_path):
    """The last epoch's duration is checkpointed: after a restart with less time left than
    one epoch takes, no epoch starts (before, a resumed call always trained one more)."""
    cfg, task, space, fit, _ = setting
    first = Supernet(task, space, seed=2)
    first.train(fit, dataclasses.replace(cfg.supernet, epochs=1), checkpoint=tmp_path / "sn")
    resumed = Supernet(task, space, seed=2)
    assert resumed.load(tmp_path / "sn", cfg.supernet) and resumed.epoch_seconds == first.epoch_seconds > 0
    soon = time.monotonic() + first.epoch_seconds / 10
    assert resumed.train(fit, cfg.supernet, deadline=soon) == 1
    assert resumed.train(fit, cfg.supernet, deadline=time.monotonic() + 600) == cfg.supernet.epochs
