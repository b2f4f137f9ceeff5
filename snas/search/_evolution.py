"""The outer loop: an optuna study (in memory) whose sampler — NSGA-II or random — proposes
architectures; each is repaired and evaluated with inherited supernet weights in
milliseconds. With a refining strategy the gradient inner loop then works on the promising
proposals only — those no earlier evaluation of their family dominates (a memetic search:
local search where it pays, instead of on every proposal). The refined genome joins the
population as an individual of its own (Lamarckian: enqueued as the next trial, so NSGA-II
breeds from it), and the proposal keeps its own objectives.

Resuming replays the same seeded sampler against a log of finished evaluations, so an
interrupted search continues exactly where it stopped without re-evaluating anything.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import atomic_write_text, canonical_json, read_json_file
from snas.exceptions import ConfigError
from snas.search._result import Evaluation, dominates, scaled_objectives
from snas.search._space import Genome, SearchSpace
from snas.search._strategies import Strategy

if TYPE_CHECKING:
    from snas.search._config import ExperimentConfig
    from snas.search._measure import ValidationSet
    from snas.search._supernet import Supernet
    from snas.training import TrainingData

__all__ = ["REFINED_FROM", "EvolutionLog", "evolve"]

REFINED_FROM = "refined_from"  # marks an individual the inner loop refined from an earlier proposal
_OBJECTIVES = ("error", "parameters", "infidelity")  # what an entry's objectives are computed from
_ENTRY_KEYS: dict[str, type | tuple[type, ...]] = {
    "genome": dict,
    "spec": dict,
    "metrics": dict,
    "seconds": (int, float),
    "notes": dict,
}


def _is_entry(entry: Any) -> bool:
    """One evaluation as :func:`evolve` logs it (the parts resuming reads)."""
    if not (isinstance(entry, dict) and all(isinstance(entry.get(k), t) for k, t in _ENTRY_KEYS.items())):
        return False
    m = entry["metrics"]
    numbers = all(isinstance(m.get(k), (int, float)) and not isinstance(m.get(k), bool) for k in _OBJECTIVES)
    return numbers and isinstance(entry["notes"].get("gradient", {}), dict)


@dataclass
class EvolutionLog:
    """Finished inherited-weight evaluations keyed by the sampler's proposal (resume cache)."""

    path: Path | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | None) -> EvolutionLog:
        """The log at ``path`` (empty when there is none yet).

        Raises
        ------
        ConfigError
            When the file is not the log snas wrote (it is written atomically, so only an
            edit or a damaged disk makes it so); snas never writes over it.
        """
        if path is None or not path.is_file():
            return cls(path)
        from snas.search._run_directory import RunDirectory

        fix = RunDirectory(path.parent).damaged_fix(path)
        data = read_json_file(path, fix=fix, expect=dict, allow_nan=True)
        entries = data.get("entries")
        if not (isinstance(entries, dict) and all(_is_entry(e) for e in entries.values())):
            raise ConfigError(f"{path}: damaged (not the evaluation log snas wrote); {fix}")
        return cls(path, dict(entries))

    def save(self) -> None:
        if self.path is not None:
            atomic_write_text(self.path, json.dumps({"entries": self.entries}, sort_keys=True))


def evolve(
    config: ExperimentConfig,
    strategy: Strategy,
    space: SearchSpace,
    supernet: Supernet,
    fit: TrainingData,
    val: ValidationSet,
    *,
    log: EvolutionLog,
    deadline: float | None = None,
    seed: int | None = None,
    first_number: int = 0,
    on_generation: Callable[[int, list[Evaluation]], None] | None = None,
) -> list[Evaluation]:
    """Run the outer loop for ``config.evolution.generations`` generations or until ``deadline``
    (``seed``, default the configuration's, seeds the sampler and the inner loop)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    settings = config.evolution
    seed = config.seed if seed is None else seed
    study = optuna.create_study(directions=["minimize"] * 3, sampler=strategy.sampler(seed, settings.population_size))
    starts = {canonical_json(space.params(g)): g for g in space.starting_points()}  # distinct ones
    for g in starts.values():
        study.enqueue_trial(space.params(g))
    out: list[Evaluation] = []
    memory = _Memory()
    total = settings.population_size * settings.generations
    for n in range(total):
        trial = study.ask()
        # every trial gets its NSGA-II generation here: an enqueued one (a starting point, a
        # refined genome) has fixed parameters, skips the sampler and would never be a parent
        _ = trial.relative_params
        proposed = space.sample(trial)  # also on replay, so a resumed sampler sees every parameter
        key = canonical_json(trial.params | {"#": n})
        entry = log.entries.get(key)
        if entry is None:
            # the starting points cost milliseconds: evaluated even past the deadline, so a
            # phase squeezed out by a slow start still hands candidates to the next one
            if deadline is not None and n >= len(starts) and time.monotonic() >= deadline:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                break
            # the starting points and refined genomes stay as they are; the last trial's
            # refined genome would never be evaluated
            fixed = n < len(starts) or REFINED_FROM in trial.user_attrs
            refines = strategy.refines and not fixed and n < total - 1
            entry = _evaluate(proposed, refines, space, supernet, fit, val, config, seed * 1_000_003 + n, memory)
            if REFINED_FROM in trial.user_attrs:
                entry["notes"][REFINED_FROM] = first_number + trial.user_attrs[REFINED_FROM]
            log.entries[key] = entry
        ev = Evaluation(
            number=first_number + n,
            genome=entry["genome"],
            spec=entry["spec"],
            fidelity="inherited",
            metrics=entry["metrics"],
            generation=n // settings.population_size,
            seed=seed,
            seconds=entry["seconds"],
            notes=entry["notes"],
        )
        out.append(ev)
        point = ev.scaled_objectives
        memory.archive(ev.family).add(point)
        study.tell(trial, list(point))
        child = entry["notes"].get("gradient", {}).get("refined")
        if child is not None:  # Lamarckian: the refined genome is the next individual
            study.enqueue_trial(space.params(Genome.from_dict(child)), user_attrs={REFINED_FROM: n})
        if (n + 1) % settings.population_size == 0:
            log.save()
            if on_generation is not None:
                on_generation((n + 1) // settings.population_size, out)
    log.save()
    return out


@dataclass
class Archive:
    """The objectives of one family's evaluations so far; tells whether a point would join
    their front (only the front is kept: dominance is transitive)."""

    points: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, point: tuple[float, float, float]) -> None:
        if self.admits(point):
            self.points = [q for q in self.points if not dominates(point, q)] + [point]

    def admits(self, point: tuple[float, float, float]) -> bool:
        """True when no earlier evaluation dominates ``point``."""
        return not any(dominates(q, point) for q in self.points)


@dataclass
class _Memory:
    """What the outer loop remembers between trials: each family's front so far, and the
    inherited-weight metrics of refined genomes waiting for their own trial."""

    archives: dict[str, Archive] = field(default_factory=dict)
    refined_metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def archive(self, family: str) -> Archive:
        return self.archives.setdefault(family, Archive())


def _evaluate(
    proposed: Genome,
    refines: bool,
    space: SearchSpace,
    supernet: Supernet,
    fit: TrainingData,
    val: ValidationSet,
    config: ExperimentConfig,
    seed: int,
    memory: _Memory,
) -> dict[str, Any]:
    """Evaluate a proposal; with ``refines`` (a refining strategy, neither a starting point
    nor a refined genome) refine it when no earlier evaluation of its family dominates it.
    The refined genome is offered to the population (``notes["gradient"]["refined"]``) when
    it differs and the proposal does not dominate it."""
    t0 = time.perf_counter()
    genome = space.repair(proposed)
    notes: dict[str, Any] = {"repaired": genome != proposed}
    metrics = memory.refined_metrics.pop(canonical_json(genome.to_dict()), None) or supernet.evaluate(genome, val)
    before = scaled_objectives(metrics)
    if refines and memory.archive(genome.family).admits(before):
        refined, info = supernet.refine(genome, fit, config.gradient, seed=seed)
        info["changed"] = refined != genome
        if info["changed"]:
            refined_metrics = supernet.evaluate(refined, val)
            after = scaled_objectives(refined_metrics)
            info["refined_objectives"] = list(after)
            info["kept"] = not dominates(before, after)
            if info["kept"]:  # evaluated once: its own trial, next, reuses the metrics
                info["refined"] = refined.to_dict()
                memory.refined_metrics[canonical_json(info["refined"])] = refined_metrics
        notes["gradient"] = info
    elif refines:
        notes["gradient"] = {"skipped": "an earlier evaluation of its family dominates the proposal"}
    return {
        "genome": genome.to_dict(),
        "spec": space.spec(genome, space.default_recipe(genome)).to_dict(),
        "metrics": metrics,
        "seconds": time.perf_counter() - t0,
        "notes": notes,
    }
