"""One stand-alone training job, as a worker process runs it: a genome with one or more
recipes trained on the fit rows and measured on the validation rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from snas._util import canonical_json, sha256_bytes
from snas.search._space import Genome, Recipe, SearchSpace

if TYPE_CHECKING:
    import torch

    from snas.model import FittedModel, Task
    from snas.search._config import ExperimentConfig
    from snas.search._measure import ValidationSet
    from snas.training import TrainingData

__all__ = ["Job", "JobContext", "JobOutcome", "init_worker", "measure_model", "run_job"]


@dataclass(frozen=True)
class Job:
    """One stand-alone training: a genome with one or more recipes (stacked members)."""

    genome: Genome
    recipes: tuple[Recipe, ...]
    epochs: int
    fidelity: str  # "low" (first rung) or "stand-alone"
    seed: int
    inherit: bool = True

    @property
    def key(self) -> str:
        body = {
            "genome": self.genome.to_dict(),
            "recipes": [r.to_dict() for r in self.recipes],
            "epochs": self.epochs,
            "fidelity": self.fidelity,
            "seed": self.seed,
            "inherit": self.inherit,
        }
        return sha256_bytes(canonical_json(body).encode())[:20]


@dataclass
class JobOutcome:
    """What a worker returns: validation metrics per recipe, timings, and the weights of
    fully trained models (plain tensors; the parent rebuilds the model)."""

    job: Job
    metrics: list[dict[str, Any]]
    seconds: float
    epochs: list[int]
    deadline_hit: bool
    states: list[dict[str, Any]]
    results: list[dict[str, Any]]


# ------------------------------------------------------------------ the workers
@dataclass(frozen=True)
class JobContext:
    """What every job of one search trains and measures on."""

    task: Task
    fit: TrainingData
    val: ValidationSet
    space: SearchSpace

    @classmethod
    def build(cls, task: Task, fit: TrainingData, val: ValidationSet, config: ExperimentConfig) -> JobContext:
        space = SearchSpace(config, task.layout, task.compiled.max_parameters, fit_rows=len(fit.y))
        return cls(task, fit, val, space)


_WORKER: dict[str, JobContext] = {}  # a worker process's context (that process runs one search)


def init_worker(task: Task, fit: TrainingData, val: ValidationSet, config: ExperimentConfig) -> None:
    """Set up a worker process: one torch thread, and the search's context for its jobs."""
    import torch

    from snas.training import THREADS

    torch.set_num_threads(THREADS)
    _WORKER["context"] = JobContext.build(task, fit, val, config)


def run_job(
    job: Job, initial: dict[str, torch.Tensor] | None, deadline: float | None, context: JobContext | None = None
) -> JobOutcome:
    """Train ``job`` on the fit rows and measure it on the validation rows (``context``:
    the search's, when run in the caller's process; default the worker process's)."""
    from dataclasses import asdict

    from snas.model import FittedModel

    ctx = context or _WORKER["context"]
    task, fit, val, space = ctx.task, ctx.fit, ctx.val, ctx.space
    t0 = time.perf_counter()
    specs = [space.spec(job.genome, r, epochs=job.epochs) for r in job.recipes]
    if len(specs) > 1:
        models = FittedModel.train_recipes(task, specs, fit, seed=job.seed, deadline=deadline, initial=initial)
    else:
        models = [
            FittedModel.train(task, specs[0], None, None, data=fit, seed=job.seed, deadline=deadline, initial=initial)
        ]
    metrics = [measure_model(m, val) for m in models]
    keep = job.fidelity == "stand-alone"
    return JobOutcome(
        job=job,
        metrics=metrics,
        seconds=time.perf_counter() - t0,
        epochs=[m.results[0].epochs for m in models],
        deadline_hit=any(r.deadline_hit for m in models for r in m.results),
        states=[{k: v.detach().clone() for k, v in m.network.state_dict().items()} for m in models] if keep else [],
        results=[asdict(r) for m in models for r in m.results] if keep else [],
    )


def measure_model(model: FittedModel, val: ValidationSet) -> dict[str, Any]:
    """Validation objectives of a trained model (mean logit of its members)."""
    import torch

    from snas.training import torch_threads

    model.network.eval()  # safe: torch inference mode, not Python eval
    with torch.no_grad(), torch_threads():
        logits = model.network(val.inputs).mean(0)
    return {**val.measure(logits), "parameters": model.n_parameters, "complexity": model.complexity}
