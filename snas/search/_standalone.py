"""Stand-alone training of the most promising architectures, multi-fidelity and in parallel.

Successive halving: every candidate first trains for a few epochs with several training
recipes at once (one batched run: the recipes are the stacked members of one network);
the best 1/eta (non-dominated layers, then the front's ends and the least crowded) go on
to full training with their best recipe; then the most accurate get an ensemble. Jobs run
in worker processes with one torch thread each (the default is one worker per core); every
job is a trial in the ledger, so nothing finished runs twice and an interrupted search
resumes. Nothing starts that cannot finish before the deadline.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import canonical_json
from snas.search._config import MAX_WORKERS
from snas.search._jobs import Job, JobContext, JobOutcome, run_job
from snas.search._result import Evaluation, crowding_distance, non_dominated
from snas.search._space import Genome, Recipe, SearchSpace

if TYPE_CHECKING:
    from snas.model import FittedModel, Task
    from snas.search._config import ExperimentConfig
    from snas.search._ledger import Ledger
    from snas.search._measure import ValidationSet
    from snas.search._workers import WorkerPool
    from snas.training import TrainingData

__all__ = ["StandaloneTrainer", "pick_candidates"]


# ------------------------------------------------------------------ scheduling
def pick_candidates(evals: list[Evaluation], space: SearchSpace, n: int) -> list[Genome]:
    """``n`` distinct architectures for stand-alone training, shared out evenly between the
    families evaluated (see :func:`_pick_family`), alternating between them."""
    families = list(dict.fromkeys(e.family for e in evals))
    if len(families) <= 1:
        return _pick_family(evals, space, n)
    shares = [n // len(families) + (i < n % len(families)) for i in range(len(families))]
    picks = [_pick_family([e for e in evals if e.family == f], space, k) for f, k in zip(families, shares, strict=True)]
    out = [g for group in itertools.zip_longest(*picks) for g in group if g is not None]
    return out[:n]


def _pick_family(evals: list[Evaluation], space: SearchSpace, n: int) -> list[Genome]:
    """``n`` distinct architectures, most promising first: the starting points, then in
    turn the next most accurate and the next point spread along the inherited-weight front
    (:func:`_spread_order`), so that whatever prefix a deadline leaves covers the front
    from its smallest to its most accurate members."""
    by_arch: dict[Any, Evaluation] = {}
    for e in evals:
        arch = space.architecture(Genome.from_dict(e.genome))
        if arch not in by_arch or e.objectives < by_arch[arch].objectives:
            by_arch[arch] = e
    starts = {space.architecture(g) for g in space.starting_points()}
    chosen = [e for a, e in by_arch.items() if a in starts]
    rest = [e for a, e in by_arch.items() if a not in starts]
    accurate = sorted(rest, key=lambda e: e.objectives)
    spread = _spread_order(rest, n)
    for e in (e for pair in itertools.zip_longest(accurate, spread) for e in pair if e is not None):
        if len(chosen) >= n:
            break
        if e not in chosen:
            chosen.append(e)
    return [Genome.from_dict(e.genome) for e in chosen[:n]]


def _spread_order(evals: list[Evaluation], limit: int) -> list[Evaluation]:
    """At least ``limit`` evaluations (all, if fewer), non-dominated layer by layer; within a
    layer (sorted by complexity) the smallest first, then the other end, then by bisection
    (middle, quarters, …), so that each prefix is spread along the layer."""
    out: list[Evaluation] = []
    pool = list(evals)
    while pool and len(out) < limit:
        obj = np.asarray([e.objectives for e in pool])
        mask = non_dominated(obj)
        layer = sorted((pool[i] for i in np.flatnonzero(mask)), key=lambda e: (e.objectives[1], e.objectives))
        out += [layer[i] for i in _bisection(len(layer))]
        pool = [pool[i] for i in np.flatnonzero(~mask)]
    return out


def _bisection(n: int) -> list[int]:
    """0 … n−1 in the order ends first, then midpoints of ever finer intervals.

    >>> _bisection(6)
    [0, 5, 2, 1, 3, 4]
    """
    if n <= 2:
        return list(range(n))
    order, intervals = [0, n - 1], [(0, n - 1)]
    while intervals:  # interiors are disjoint, so every midpoint is new
        nxt = []
        for lo, hi in intervals:
            if hi - lo >= 2:
                mid = (lo + hi) // 2
                order.append(mid)
                nxt += [(lo, mid), (mid, hi)]
        intervals = nxt
    return order


IN_PROCESS_BELOW_SECONDS = 60.0


def default_workers(config: ExperimentConfig, seconds_left: float | None = None) -> int:
    """The configured worker count; by default one worker process per usable core, except
    when less than a minute of the time budget is left (``seconds_left``, else the whole
    budget): starting a worker (a new interpreter importing torch, ~1.7 s of a core) would
    take a large part of a short search's stand-alone time, so its jobs run in the main
    process instead."""
    if config.workers:
        return config.workers
    seconds = config.budget.seconds if seconds_left is None else seconds_left
    if seconds is not None and seconds < IN_PROCESS_BELOW_SECONDS:
        return 1
    return min(MAX_WORKERS, usable_cores())


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, e.g. a container's cpuset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # no affinity on this platform
        return max(1, os.cpu_count() or 1)


class _Speed:
    """Seconds per epoch ≈ a + b · parameters, learnt from finished jobs (to avoid starting
    work that cannot finish before the deadline)."""

    def __init__(self) -> None:
        self.points: list[tuple[float, float]] = []

    def add(self, params: int, seconds_per_epoch: float) -> None:
        self.points.append((float(params), seconds_per_epoch))

    def epoch_seconds(self, params: int) -> float:
        if len(self.points) < 2:
            return 0.15 + 5e-6 * params
        x, y = np.asarray(self.points).T
        b, a = np.polyfit(x, y, 1) if np.ptp(x) > 0 else (0.0, float(y.mean()))
        return max(float(a + b * params), float(y.min()))


class StandaloneTrainer:
    """Runs jobs through the ledger on ``workers`` processes (in-process with one worker)."""

    def __init__(
        self,
        config: ExperimentConfig,
        task: Task,
        fit: TrainingData,
        val: ValidationSet,
        ledger: Ledger,
        *,
        worker: str,
        inherited: Callable[[Genome], dict[str, Any]] | None = None,
        on_result: Callable[[Evaluation, FittedModel | None], None] | None = None,
        seconds_left: float | None = None,
    ) -> None:
        self.config, self.task, self.ledger, self.worker = config, task, ledger, worker
        self.space = SearchSpace(config, task.layout, task.compiled.max_parameters, fit_rows=len(fit.y))
        self.inherited = inherited
        self.on_result = on_result
        self.workers = default_workers(config, seconds_left)
        self.speed = _Speed()
        self.pool: WorkerPool | None = None
        self.payload = (task, fit, val, config)
        # one worker: jobs run here, on this search's own context (nothing global is changed)
        self.context = JobContext.build(*self.payload) if self.workers == 1 else None

    def start(self) -> None:
        """Start the worker processes now (they load the data while the supernet trains)."""
        from snas.search._workers import WorkerPool

        if self.workers > 1 and self.pool is None:
            self.pool = WorkerPool(self.workers, self.payload)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    # ---------------------------------------------------------------- rungs
    def successive_halving(self, candidates: Sequence[Genome], *, deadline: float | None) -> list[Evaluation]:
        """Low-fidelity rung with several recipes, full training of the best 1/eta, ensembles."""
        s = self.config.standalone
        rng = np.random.default_rng([self.config.seed, 17])
        recipes = self.space.recipes(s.recipes, rng)
        n, low_rung = self._plan(len(candidates))
        candidates = list(candidates)[:n]  # most promising first: a deadline cuts the tail
        rungs = _rung_deadlines(deadline, low_rung)
        out: list[Evaluation] = []
        if low_rung:
            jobs = [
                Job(g, self.space.family_recipes(g, recipes), s.low_epochs, "low", self.config.seed, s.inherit)
                for g in candidates
            ]
            low = self.run(jobs, deadline=rungs[0])
            out += low
            screened = len({json.dumps(e.genome, sort_keys=True) for e in low})
            promoted = _promote(low, math.ceil(screened / s.eta))
        else:
            promoted = [(g, self.space.family_recipes(g, recipes)[0]) for g in candidates]
        full = self.run(
            [Job(g, (r,), s.epochs, "stand-alone", self.config.seed, s.inherit) for g, r in promoted], deadline=rungs[1]
        )
        out += full
        out += self.run(self._ensemble_jobs(full), deadline=deadline)
        return out

    def _plan(self, n: int) -> tuple[int, bool]:
        """How many candidates, and whether to screen them at low fidelity first, so that
        the whole schedule (low rung, full rung, ensembles) fits a trial budget."""
        s = self.config.standalone
        low = s.eta > 1 and s.low_epochs < s.epochs
        budget = self.config.budget.trials
        if budget is None:
            return n, low
        ensembles = s.ensemble_top if max(self.config.space.members) > 1 and self._ensembles_possible() else 0
        for c in range(n, 0, -1):
            full = math.ceil(c / s.eta) if low else c
            if (c if low else 0) + full + min(ensembles, full) <= budget:
                return c, low
        return 1, False

    def _ensembles_possible(self) -> bool:
        """Whether a family can become an ensemble: an MLP, or a glass box that does not
        average members already (see :attr:`SearchSpace.glass_boxes_averaged`)."""
        return "mlp" in self.config.space.families or not self.space.glass_boxes_averaged

    def _trained_members(self, job: Job) -> int:
        """Networks a job trains at once: one per recipe, or the one recipe's members."""
        if len(job.recipes) > 1:
            return len(job.recipes)
        return self.space.spec(job.genome, job.recipes[0]).members

    def _ensemble_jobs(self, full: list[Evaluation]) -> list[Job]:
        s = self.config.standalone
        size = max(self.config.space.members)
        if size <= 1 or not s.ensemble_top:
            return []
        best = sorted(full, key=lambda e: e.objectives)[: s.ensemble_top]
        return [
            Job(
                Genome.from_dict(e.genome),
                (replace(Recipe(**e.recipe), members=size),),
                s.epochs,
                "stand-alone",
                self.config.seed,
                s.inherit,
            )
            for e in best
            if e.recipe is not None
            and self._fits_limit(Genome.from_dict(e.genome), size)
            and not (e.family == "additive" and self.space.glass_boxes_averaged)
        ]

    def _fits_limit(self, g: Genome, members: int) -> bool:
        limit = self.task.compiled.max_parameters
        kept = 1 if g.family == "additive" else members  # a glass box keeps its members' mean as one
        return limit is None or self.space.count(g, kept) <= limit

    # ------------------------------------------------------------ execution
    def run(self, jobs: Sequence[Job], *, deadline: float | None) -> list[Evaluation]:
        """Run ``jobs`` (skipping finished ones), ``workers`` at a time; their evaluations in job order."""
        done = self.ledger.finished()
        results: dict[int, list[Evaluation]] = {}
        threads = ThreadPoolExecutor(self.workers)
        try:
            futures = {i: threads.submit(self._one, job, done, deadline) for i, job in enumerate(jobs)}
            for i, f in futures.items():
                results[i] = f.result()
        except BaseException:  # Ctrl-C or a failed job: the queued jobs never start
            threads.shutdown(wait=True, cancel_futures=True)
            raise
        threads.shutdown(wait=True)
        return [e for i in range(len(jobs)) for e in results[i]]

    def _one(self, job: Job, done: dict[str, dict[str, Any]], deadline: float | None) -> list[Evaluation]:
        import optuna

        if job.key in done:
            return self._records(done[job.key])
        if job.key in self.ledger.busy() or not self._fits(job, deadline):
            return []  # another worker is training it (its result joins at the end), or no time is left
        box: list[list[Evaluation]] = []

        def objective(trial: Any) -> tuple[float, float, float]:
            trial.set_user_attr("job", job.key)
            trial.set_user_attr("worker", self.worker)
            budget = self.config.budget.trials
            if budget is not None and self.ledger.counted(before=trial.number) >= budget:
                raise optuna.TrialPruned()  # the trial budget is spent (another worker was faster)
            evals = self._execute(job, deadline, trial.number)
            box.append(evals)
            trial.set_user_attr("evaluation", _record(job, evals))
            return evals[0].objectives

        try:
            self.ledger.study.optimize(objective, n_trials=1, catch=())
        except (ValueError, RuntimeError):  # optuna: "cannot tell a FAIL trial" / "cannot update a finished trial"
            if not box:
                raise
            # the training finished, but its trial was failed as stale meanwhile (a heartbeat
            # stalled past the grace period): the result is recorded as a trial of its own
            self.ledger.record(job.key, box[0][0].objectives, _record(job, box[0]))
        return box[0] if box else []

    def _records(self, record: dict[str, Any]) -> list[Evaluation]:
        return [Evaluation.from_dict(d) for d in record["evaluations"]]

    def _fits(self, job: Job, deadline: float | None) -> bool:
        """Enough time left for a useful part of the job (a few epochs)?"""
        if deadline is None:
            return True
        members = self._trained_members(job)
        per_epoch = self.speed.epoch_seconds(self.space.count(job.genome)) * (1 + 0.3 * (members - 1))
        return time.monotonic() + min(job.epochs, 5) * per_epoch <= deadline

    def _execute(self, job: Job, deadline: float | None, trial: int) -> list[Evaluation]:
        initial = self.inherited(job.genome) if (job.inherit and self.inherited is not None) else None
        if self.pool is not None:
            outcome = self.pool.call(job, initial, deadline)
        else:
            from snas.training import torch_threads

            with torch_threads():  # as a worker process would train, restored afterwards
                outcome = run_job(job, initial, deadline, self.context)
        return self._evaluations(outcome, trial)

    def _evaluations(self, o: JobOutcome, trial: int) -> list[Evaluation]:
        from snas.model import FittedModel, build_network
        from snas.training import TrainResult

        params = self.space.count(o.job.genome)
        self.speed.add(params, o.seconds / max(1, max(o.epochs)) / (1 + 0.3 * (self._trained_members(o.job) - 1)))
        per_recipe = max(1, len(o.results) // len(o.job.recipes))  # training records of each recipe's members
        out = []
        for i, (recipe, metrics) in enumerate(zip(o.job.recipes, o.metrics, strict=True)):
            spec = self.space.spec(o.job.genome, recipe, epochs=o.job.epochs)
            if len(o.job.recipes) > 1:  # recipes train batched, one member each
                spec = replace(spec, members=1)
            ev = Evaluation(
                number=-1,  # numbered when the search ends (after every worker's trainings)
                genome=o.job.genome.to_dict(),
                spec=spec.to_dict(),
                fidelity=o.job.fidelity,
                metrics={**metrics, "epochs": o.epochs[i]},
                recipe=recipe.to_dict(),
                seed=o.job.seed,
                seconds=o.seconds / len(o.job.recipes),
                worker=self.worker,
                job=o.job.key,
                notes={"deadline_hit": o.deadline_hit, "inherited_init": o.job.inherit, "trial": trial, "recipe": i},
            )
            model = None
            if o.states:
                held = {int(t.shape[0]) for t in o.states[i].values() if t.dim()}  # a glass box keeps 1
                net = build_network(self.task, spec, seed=o.job.seed, members=held.pop() if len(held) == 1 else None)
                net.load_state_dict(o.states[i])
                results = tuple(TrainResult(**r) for r in o.results[i * per_recipe : (i + 1) * per_recipe])
                model = FittedModel(self.task, spec, net.eval(), results, o.job.seed)
            if self.on_result is not None:
                self.on_result(ev, model)
            out.append(ev)
        return out


def _record(job: Job, evals: list[Evaluation]) -> dict[str, Any]:
    """A finished training as the ledger keeps it."""
    return {"job": job.key, "evaluations": [e.to_dict() for e in evals]}


RUNG_SHARES = (0.4, 0.85)  # of the stand-alone time: the low rung ends, then the full rung


def _rung_deadlines(deadline: float | None, low_rung: bool) -> tuple[float | None, float | None]:
    """When the low rung and the full rung must stop, so that every rung gets its turn."""
    if deadline is None:
        return None, None
    now = time.monotonic()
    left = max(deadline - now, 0.0)
    first = now + RUNG_SHARES[0] * left if low_rung else now
    return first, now + RUNG_SHARES[1] * left


def _promote(low: list[Evaluation], k: int) -> list[tuple[Genome, Recipe]]:
    """The ``k`` best (genome, recipe) pairs of the first rung, each genome with its best
    recipe, chosen as NSGA-II chooses survivors: whole non-dominated layers of (error, log10
    complexity, infidelity); from the layer that does not fit, first the best of each
    objective in turn (the most accurate, the smallest, the most faithful), then the least
    crowded — so the front's ends go on and it keeps its spread."""
    best: dict[str, Evaluation] = {}
    for e in low:
        key = canonical_json(e.genome)
        if key not in best or e.objectives < best[key].objectives:
            best[key] = e
    pool = sorted(best.values(), key=lambda e: e.objectives)
    ranked: list[Evaluation] = []
    while pool and len(ranked) < k:
        obj = np.asarray([e.scaled_objectives for e in pool])
        mask = non_dominated(obj)
        layer = [pool[i] for i in np.flatnonzero(mask)]
        if len(ranked) + len(layer) > k:
            layer = _least_crowded(layer, obj[mask], k - len(ranked))
        ranked += layer
        pool = [pool[i] for i in np.flatnonzero(~mask)]
    return [(Genome.from_dict(e.genome), Recipe(**e.recipe)) for e in ranked[:k] if e.recipe is not None]


def _least_crowded(layer: list[Evaluation], obj: np.ndarray, k: int) -> list[Evaluation]:
    """``k`` members of one non-dominated layer: each objective's best, then by crowding distance."""
    ends = list(dict.fromkeys(int(np.argmin(obj[:, j])) for j in range(obj.shape[1])))
    crowding = crowding_distance(obj)
    rest = sorted(set(range(len(layer))) - set(ends), key=lambda i: (-crowding[i], layer[i].objectives))
    return [layer[i] for i in (ends + rest)[:k]]
