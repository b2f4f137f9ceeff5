"""The outer loop: an optuna study (in memory) whose sampler — NSGA-II or random — proposes
architectures; each is repaired, optionally refined by the gradient inner loop, and
evaluated with inherited supernet weights in milliseconds.

Resuming replays the same seeded sampler against a log of finished evaluations, so an
interrupted search continues exactly where it stopped without re-evaluating anything.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import atomic_write_text, canonical_json
from snas.search._result import Evaluation
from snas.search._space import Genome, SearchSpace
from snas.search._strategies import Strategy

if TYPE_CHECKING:
    from snas.search._config import ExperimentConfig
    from snas.search._measure import ValidationSet
    from snas.search._supernet import Supernet
    from snas.training import TrainingData

__all__ = ["EvolutionLog", "evolve"]


@dataclass
class EvolutionLog:
    """Finished inherited-weight evaluations keyed by the sampler's proposal (resume cache)."""

    path: Path | None = None
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path | None) -> EvolutionLog:
        if path is None or not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text())
            return cls(path, dict(data["entries"]))
        except (ValueError, KeyError, TypeError):
            return cls(path)  # a damaged log only costs re-evaluation

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
    for g in space.starting_points():
        study.enqueue_trial(space.params(g), skip_if_exists=True)
    out: list[Evaluation] = []
    total = settings.population_size * settings.generations
    for n in range(total):
        trial = study.ask()
        key = canonical_json(trial.params | {"#": n})
        entry = log.entries.get(key)
        if entry is None:
            if deadline is not None and time.monotonic() >= deadline:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                break
            entry = _evaluate(space.sample(trial), strategy, space, supernet, fit, val, config, seed * 1_000_003 + n)
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
        m = ev.metrics
        study.tell(trial, [m["error"], math.log10(max(ev.objectives[1], 1)), m["infidelity"]])
        if (n + 1) % settings.population_size == 0:
            log.save()
            if on_generation is not None:
                on_generation((n + 1) // settings.population_size, out)
    log.save()
    return out


def _evaluate(
    proposed: Genome,
    strategy: Strategy,
    space: SearchSpace,
    supernet: Supernet,
    fit: TrainingData,
    val: ValidationSet,
    config: ExperimentConfig,
    seed: int,
) -> dict[str, Any]:
    t0 = time.perf_counter()
    genome = space.repair(proposed)
    notes: dict[str, Any] = {"repaired": genome != proposed}
    if strategy.refines:
        genome, notes["gradient"] = supernet.refine(genome, fit, config.gradient, seed=seed)
    metrics = supernet.evaluate(genome, val)
    return {
        "genome": genome.to_dict(),
        "spec": space.spec(genome).to_dict(),
        "metrics": metrics,
        "seconds": time.perf_counter() - t0,
        "notes": notes,
    }
