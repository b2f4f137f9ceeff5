"""A whole search: data split → task (rules compiled once) → supernet → outer loop with
inherited weights → stand-alone training with successive halving → selection → refit.

The budget is a deadline: each phase stops at its share of the time, nothing starts that
cannot finish, and the refit is skipped (the stand-alone model kept) when it would not
fit — so a search ends within its budget whatever the load, except that an untrained
supernet always gets one epoch and the outer loop its starting points.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
import time
import warnings
from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.exceptions import ConfigError
from snas.search._config import ExperimentConfig
from snas.search._ensemble import EnsembleChoice, choose_ensemble
from snas.search._evolution import EvolutionLog, evolve
from snas.search._ledger import Ledger
from snas.search._measure import ValidationSet
from snas.search._progress import Progress
from snas.search._result import Evaluation, SearchResult, metric_text, pareto_front, select
from snas.search._run_directory import RunDirectory, candidate_key
from snas.search._space import Genome, SearchSpace
from snas.search._standalone import StandaloneTrainer, pick_candidates
from snas.search._strategies import strategy as strategy_named
from snas.search._supernet import Supernet

if TYPE_CHECKING:
    import pandas as pd

    from snas.model import FittedModel, Task
    from snas.rules import RuleSet

__all__ = ["Deadlines", "SearchRun", "lone_class_warning", "validation_split"]

REFIT_SHARE = 0.12


@dataclass(frozen=True)
class Deadlines:
    """``time.monotonic()`` instants at which each phase must stop (None: no time budget)."""

    supernet: float | None
    evolution: float | None
    standalone: float | None
    end: float | None

    @classmethod
    def plan(cls, config: ExperimentConfig, seconds_left: float | None) -> Deadlines:
        if seconds_left is None:
            return cls(None, None, None, None)
        now = time.monotonic()
        s, e = config.supernet.share, config.evolution.share
        return cls(
            now + s * seconds_left,
            now + (s + e) * seconds_left,
            now + (1 - REFIT_SHARE) * seconds_left,
            now + seconds_left,
        )


def validation_split(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Split the training rows into fit and validation rows, stratified by class.

    A class with a single row cannot be stratified: its row goes to the fit rows (the model
    learns from it; no validation row measures it) and the class is returned for a warning.
    With fewer validation rows than classes the split is a plain random one.

    Parameters
    ----------
    y : ndarray
        The labels (text) of the training rows.
    fraction : float
        The share of rows held out for validation.
    seed : int
        Seeds the split.

    Returns
    -------
    fit, validation : ndarray
        Sorted row indices.
    lone : list of str
        The classes with a single row, kept out of the validation rows.

    Raises
    ------
    ConfigError
        ``y`` holds fewer than two classes.
    """
    from sklearn.model_selection import train_test_split

    labels, counts = np.unique(np.asarray(y, dtype=str), return_counts=True)
    if len(labels) < 2:
        only = f"one class only, {str(labels[0])!r}" if len(labels) else "no row"
        raise ConfigError(
            f"the training rows hold {only}: a classifier needs at least two classes to tell apart; "
            "choose a target with two or more classes, or add rows of the other class(es)"
        )
    lone = [str(c) for c, n in zip(labels, counts, strict=True) if n == 1]
    rows = np.arange(len(y))
    keep = ~np.isin(np.asarray(y, dtype=str), lone) if lone else np.ones(len(y), dtype=bool)
    if keep.sum() < 4:
        raise ConfigError(
            f"the training rows hold {len(y)} row(s) in {len(labels)} classes, {int(keep.sum())} of them in classes "
            "with more than one row: too few to hold out validation rows; add rows, or merge the classes that have a "
            "single row"
        )
    try:
        fit, val = train_test_split(rows[keep], test_size=fraction, random_state=seed, stratify=np.asarray(y)[keep])
    except ValueError:  # fewer validation rows than classes: a plain random split
        fit, val = train_test_split(rows[keep], test_size=fraction, random_state=seed)
    return np.sort(np.concatenate([fit, rows[~keep]])), np.sort(val), lone


def lone_class_warning(lone: list[str], target: str) -> str:
    """The warning for classes of ``target`` with a single training row (see :func:`validation_split`).

    Parameters
    ----------
    lone : list of str
        The classes.
    target : str
        The target column.

    Returns
    -------
    str
        What happens to them and the fix.
    """
    named = ("class " if len(lone) == 1 else "classes ") + ", ".join(map(repr, lone))
    return (
        f"{named} of the target {target!r} {'has' if len(lone) == 1 else 'have'} a single training row: it is "
        "learned from that one example and kept out of the validation rows (stratified by class), so no "
        "validation score measures it; merge it into another class or remove its row (snas check warns about "
        "this too)"
    )


class SearchRun:
    """One worker's search on (X, y) under ``config``; ``run()`` returns the result and model.

    Parameters
    ----------
    config : ExperimentConfig
    X, y : the training rows (normalised column names) and their labels (strings).
    rules : the expert rules (compiled once here).
    target, classes : the target's name and class order.
    directory : the run directory (None: everything in memory, as from Python).
    storage : the ledger's URL (default: the run directory's SQLite file, or memory).
    worker : this worker's name in the ledger (default host:pid; a run directory's name is
        stable across restarts, so a resumed run gets only the rest of its budget).
    worker_seed : seeds this worker's supernet and outer loop (workers sharing a ledger
        explore differently); the split and the trainings use the configuration's seed.
    """

    def __init__(
        self,
        config: ExperimentConfig,
        X: pd.DataFrame,
        y: np.ndarray,
        rules: RuleSet | None,
        *,
        target: str,
        classes: tuple[str, ...] | None = None,
        directory: RunDirectory | None = None,
        storage: str | None = None,
        worker: str | None = None,
        worker_seed: int | None = None,
        progress: bool = True,
        stream: Any = None,
    ) -> None:
        from snas.model import Task

        self._created: float | None = time.monotonic()  # the budget counts the setup below too
        self.config, self.X, self.y, self.directory = config, X, np.asarray(y, dtype=object), directory
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.seed = config.seed if worker_seed is None else worker_seed
        self.progress = Progress(stream or sys.stderr, progress)
        self.fit_idx, self.val_idx, lone = validation_split(self.y, config.validation_fraction, config.seed)
        if lone:
            self._warn(lone_class_warning(lone, target))
        self.split_sha256 = hashlib.sha256(self.fit_idx.tobytes() + b"|" + self.val_idx.tobytes()).hexdigest()
        X_fit = X.iloc[self.fit_idx].reset_index(drop=True)
        X_val = X.iloc[self.val_idx].reset_index(drop=True)
        self.task: Task = Task.fit(X_fit, self.y[self.fit_idx], rules, target=target, classes=classes)
        self.fit = self.task.training_data(X_fit, self.y[self.fit_idx], self.task.compiled.soft_ids)
        self.space = SearchSpace(
            config, self.task.layout, self.task.compiled.max_parameters, self._pairs(), fit_rows=len(self.fit.y)
        )
        self.val = ValidationSet.build(self.task, X_val, self.y[self.val_idx], config.metric)
        url = storage or (directory.ledger_url() if directory is not None else "memory")
        self.ledger = Ledger(config, url)
        self.models: dict[str, FittedModel] = {}
        self.workers = 0  # training processes (1: in this process), set by run()
        self._clock = (time.monotonic(), 0.0)  # (start, seconds spent before it), set by run()

    def _warn(self, text: str) -> None:
        """A warning on the progress stream when it is shown (the CLI), else a Python warning."""
        if self.progress.enabled:
            self.progress.note(f"warning: {text}")
        else:
            warnings.warn(text, UserWarning, stacklevel=4)

    def _pairs(self) -> tuple[tuple[str, str], ...]:
        """The glass-box family's candidate interactions, ranked once on the fit rows."""
        from snas.nn import rank_pairs

        b = self.config.space
        if "additive" not in b.families or not b.max_pairs:
            return ()
        fit = self.fit
        return rank_pairs(self.task.layout, fit.inputs, fit.y, fit.forced, n=b.pair_candidates, seed=self.config.seed)

    # ------------------------------------------------------------------ phases
    def run(self) -> SearchResult:
        """Run (or resume) every phase; returns the result with the final model."""
        start = self._created if self._created is not None else time.monotonic()
        self._created = None
        prior = self.ledger.elapsed(self.worker)
        self._clock = (start, prior)
        seconds = self.config.budget.seconds
        left = None if seconds is None else max(seconds - prior - (time.monotonic() - start), 1.0)
        deadlines = Deadlines.plan(self.config, left)
        own = self.directory is not None and self.ledger.url == self.directory.ledger_url()
        n = self.ledger.recover(None if own else self.worker)  # a shared ledger: only this worker's own
        if n:
            self.progress.note(f"resuming: {n} interrupted training(s) will run again")
        trainer = StandaloneTrainer(
            self.config,
            self.task,
            self.fit,
            self.val,
            self.ledger,
            worker=self.worker,
            on_result=self._keep,
            seconds_left=left,
        )
        self.workers = trainer.workers
        try:
            trainer.start()
            supernet = self._supernet(deadlines.supernet)
            trainer.inherited = supernet.inherited
            self._record_elapsed()
            inherited = self._evolve(supernet, deadlines.evolution)
            self._record_elapsed()
            candidates = pick_candidates(inherited, self.space, self.config.standalone.candidates)
            self.progress.phase(f"stand-alone: {len(candidates)} candidates, successive halving")
            standalone = trainer.successive_halving(candidates, deadline=deadlines.standalone)
            self._wait_for_other_workers(deadlines.standalone)
        finally:
            trainer.close()
            self.ledger.set_elapsed(self.worker, prior + time.monotonic() - start)
        result = self._result(inherited + standalone, start, prior)
        result.ensemble = self._ensemble(result)
        if result.ensemble is not None and result.ensemble.chosen:
            e = result.ensemble
            result.reason += (
                f"; the final model is {e.describe()}, chosen greedily on validation log-loss: validation "
                f"accuracy {e.metrics['accuracy']:.4f} against {result.selected.metrics['accuracy']:.4f} for "
                f"#{result.selected.number} alone"
            )
            result.model = self._final_ensemble(result, e, supernet, deadlines.end)
        else:
            result.model = self._final_model(result.selected, supernet, deadlines.end)
        result.glass_box, result.glass_box_model = self._glass_box(result)
        self.ledger.set_elapsed(self.worker, prior + time.monotonic() - start)
        result.elapsed_seconds = prior + time.monotonic() - start
        self.progress.close()
        return result

    def _record_elapsed(self) -> None:
        """Store the seconds this run has spent, so a resume after kill -9 gets only the rest."""
        start, prior = self._clock
        self.ledger.set_elapsed(self.worker, prior + time.monotonic() - start)

    def _supernet(self, deadline: float | None) -> Supernet:
        sn = Supernet(self.task, self.space, self.seed)
        path = self.directory.supernet if self.directory is not None else None
        if path is not None and sn.load(path, self.config.supernet):
            if self.directory is not None and EvolutionLog.open(self.directory.evolution).entries:
                # the outer loop scored its architectures on these weights: training on would
                # mix two supernets in one history, so the resumed run keeps them as they were
                self.progress.note(f"supernet: kept after epoch {sn.epochs_done} (the evolution had started on it)")
                return sn
            self.progress.note(f"supernet: resumed after epoch {sn.epochs_done}")
        total = self.config.supernet.epochs
        t0 = time.perf_counter()
        self.progress.phase(f"supernet: {total} epochs, {self.config.supernet.paths} sub-networks per step")

        def report(epoch: int, loss: float) -> None:
            self._record_elapsed()
            self.progress.line(f"supernet: epoch {epoch}/{total} | loss {loss:.4f} | {time.perf_counter() - t0:.0f}s")

        sn.train(self.fit, self.config.supernet, deadline=deadline, on_epoch=report, checkpoint=path)
        return sn

    def _evolve(self, supernet: Supernet, deadline: float | None) -> list[Evaluation]:
        strategy = strategy_named(self.config.strategy)
        log = EvolutionLog.open(self.directory.evolution if self.directory is not None else None)
        t0 = time.perf_counter()
        self.progress.phase(f"evolution: strategy {strategy.name}, population {self.config.evolution.population_size}")

        def report(generation: int, evals: list[Evaluation]) -> None:
            self._record_elapsed()
            front = pareto_front(evals, "inherited")
            best = min(evals, key=lambda e: e.objectives[0])
            rate = len(evals) / max(time.perf_counter() - t0, 1e-9) * 60
            families = ""
            if len(self.config.space.families) > 1:
                counts = {f: sum(e.family == f for e in front) for f in self.config.space.families}
                families = " (" + ", ".join(f"{n} {f}" for f, n in counts.items()) + ")"
            self.progress.line(
                f"evolution: generation {generation} | {len(evals):,} architectures | {rate:,.0f}/min | "
                f"front {len(front)}{families} | best {metric_text(best.metrics, self.config.metric)} (inherited weights)"
            )

        return evolve(
            self.config,
            strategy,
            self.space,
            supernet,
            self.fit,
            self.val,
            log=log,
            deadline=deadline,
            seed=self.seed,  # workers sharing a ledger explore from their own seeds
            on_generation=report,
        )

    def _keep(self, ev: Evaluation, model: FittedModel | None) -> None:
        """Every finished stand-alone model is kept (on disk in a run directory) for the final choice."""
        self._record_elapsed()
        if model is None:
            return
        self.models[candidate_key(ev)] = model
        if self.directory is not None:
            model.save(self.directory.candidate_of(ev))
        m = ev.metrics
        self.progress.line(
            f"stand-alone: {Genome.from_dict(ev.genome).describe(self.task.layout.monotone_numeric)} ×{ev.spec['members']} | "
            f"{metric_text(m, self.config.metric)} | complexity {ev.objectives[1]:,.0f} | {m['parameters']:,} params | "
            f"F_soft {m['f_soft'] or 1:.4f}"
        )

    def _wait_for_other_workers(self, deadline: float | None, poll: float = 1.0) -> None:
        """Let trainings other workers are running finish, so every worker sees one front."""
        limit = deadline if deadline is not None else time.monotonic() + 3600
        if self.ledger.busy() and self.ledger.url != "memory":
            self.progress.note("waiting for other workers' trainings to finish …")
        while self.ledger.busy() and time.monotonic() < limit:
            time.sleep(poll)

    def _result(self, evals: list[Evaluation], start: float, prior: float) -> SearchResult:
        finished = self.ledger.finished()  # every worker's trainings, one record per job
        evals = [e for e in evals if e.job is None or e.job not in finished]
        evals += [Evaluation.from_dict(d) for rec in finished.values() for d in rec["evaluations"]]
        evals = _numbered(evals)
        front: list[Evaluation] = []
        for fidelity in ("stand-alone", "low", "inherited"):  # the best fidelity that finished anything
            front = front or pareto_front(evals, fidelity)
        if not front:
            raise ConfigError(
                "the budget ended before any candidate was evaluated; give the search more time or trials"
            )
        chosen, why = select(front, self.config.selection, self.config.min_f_soft, self.config.metric)
        if chosen.fidelity != "stand-alone":
            why += f" (no stand-alone training finished within the budget: chosen from {chosen.fidelity} results)"
        info = {
            "storage": self.ledger.url if not self.ledger.url.startswith("postgresql") else "postgresql://…",
            "worker": self.worker,
            "split_sha256": self.split_sha256,
            "fit_rows": len(self.fit_idx),
            "strategy": self.config.strategy,
        }
        return SearchResult(tuple(evals), tuple(front), chosen, why, prior + time.monotonic() - start, info)

    # -------------------------------------------------------------- the model
    def _ensemble(self, result: SearchResult) -> EnsembleChoice | None:
        """The greedy ensemble of stand-alone candidates (``selection: ensemble``), if any."""
        return self._choose(result) if self.config.selection.ensemble else None

    def _choose(self, result: SearchResult, picks: int | None = None, **among: Any) -> EnsembleChoice | None:
        """:func:`choose_ensemble` over this search's candidates and policy (``picks``: greedy
        steps instead of the policy's; ``among``: its filters)."""
        policy = self.config.selection
        return choose_ensemble(
            result.evaluations,
            self._stand_alone_model,
            self.val,
            policy if picks is None else replace(policy, ensemble=picks),
            min_f_soft=self.config.min_f_soft,
            max_parameters=self.task.compiled.max_parameters,
            **among,
        )

    def _glass_box(self, result: SearchResult) -> tuple[EnsembleChoice | None, FittedModel | None]:
        """The best glass box on offer: a greedy ensemble of glass-box candidates (one part or
        more) with at most ``space.max_pairs`` pairs in all — without ``selection: ensemble``
        the single best one —: a part the final model refit on every row is taken refit, the
        others as trained in the search."""
        from snas.model import EnsembleModel

        space = self.config.space
        if "additive" not in space.families:
            return None, None
        picks = max(self.config.selection.ensemble, 1)
        choice = self._choose(result, picks, family="additive", max_pairs=space.max_pairs, min_parts=1)
        if choice is None or not choice.chosen:
            return choice, None
        by_number = {e.number: e for e in result.evaluations}
        refit = _refit_parts(result.model)
        parts = [
            refit.get(key) or self._stand_alone_model(by_number[n])
            for n, key in zip(choice.members, choice.keys, strict=True)
        ]
        kept = [replace(p, extra={}) for p in parts if p is not None]
        done = [key in refit for key in choice.keys]
        extra = {"refit": all(done), "parts_refit": done, "candidates": list(choice.keys)}
        model = replace(kept[0], extra=extra) if len(kept) == 1 else EnsembleModel.of(kept, choice.weights, extra=extra)
        return choice, model

    def _final_ensemble(
        self, result: SearchResult, choice: EnsembleChoice, supernet: Supernet, deadline: float | None
    ) -> FittedModel:
        """The chosen ensemble, each part refit on every training row while time is left
        (heaviest weight first); a part that cannot be refit in time keeps its stand-alone model."""
        from snas.model import EnsembleModel

        by_number = {e.number: e for e in result.evaluations}
        parts = [self._final_model(by_number[n], supernet, deadline, announce=False) for n in choice.members]
        refit = [bool(p.extra.get("refit")) for p in parts]
        self.progress.note(f"final model: {choice.describe()}, {sum(refit)} of {len(parts)} refit on every row")
        return EnsembleModel.of(
            [replace(p, extra={}) for p in parts],
            choice.weights,
            extra={"refit": all(refit), "parts_refit": refit, "candidates": list(choice.keys)},
        )

    def _final_model(
        self,
        selected: Evaluation,
        supernet: Supernet,
        deadline: float | None,
        *,
        announce: bool = True,
    ) -> FittedModel:
        """Refit the selected architecture on every training row when it fits in the time
        left; otherwise (or with ``refit: false``) keep its stand-alone model."""
        from snas.model import FittedModel
        from snas.nn import NetworkSpec

        key = candidate_key(selected)
        rows_ratio = len(self.X) / max(len(self.fit_idx), 1)
        needed = selected.seconds * rows_ratio * 1.2
        late = deadline is not None and time.monotonic() + needed > deadline
        earlier = self._earlier_refits.get(key)
        # this run directory finished before: its refit is kept as it was, unless it was cut
        # short by its deadline and there is time now for a whole one
        if earlier is not None and (late or not any(r.deadline_hit for r in earlier.results)):
            return earlier
        spec = NetworkSpec.from_dict(selected.spec)
        kept = self._stand_alone_model(selected)
        spec = self.space.for_rows(spec, len(self.X))  # the weight average follows the rows
        if selected.fidelity == "low":  # only screened (a short budget; no weights kept): train fully
            spec = replace(spec, max_epochs=self.config.standalone.epochs)
        if kept is not None and (not self.config.refit or late):
            if self.config.refit and announce:
                self.progress.note("final model: the selected stand-alone model (no time left for a refit)")
            return replace(kept, extra={"refit": False})
        self._record_elapsed()
        self.progress.phase(f"refit: #{selected.number} on all {len(self.X):,} training rows")
        genome = Genome.from_dict(selected.genome)
        initial = supernet.inherited(genome) if self.config.standalone.inherit else None
        model = FittedModel.train(
            self.task, spec, self.X, self.y, seed=self.config.seed, deadline=deadline, initial=initial
        )
        cut = any(r.deadline_hit for r in model.results)
        if cut and kept is not None and not any(r.deadline_hit for r in kept.results):
            self.progress.note("the refit ran out of time; the fully trained stand-alone model is kept")
            return replace(kept, extra={"refit": False})
        return replace(model, extra={"refit": True, "candidate": key})

    @cached_property
    def _earlier_refits(self) -> dict[str, FittedModel]:
        """The networks a finished run of this directory refit for its final model, by
        candidate key (read once; none when there is no final model or it is damaged)."""
        from snas.exceptions import ModelFileError
        from snas.model import FittedModel

        if self.directory is None or not (self.directory.model_dir / "model.json").is_file():
            return {}
        try:
            return _refit_parts(FittedModel.load(self.directory.model_dir))
        except ModelFileError:
            return {}  # damaged: refit again

    def _stand_alone_model(self, selected: Evaluation) -> FittedModel | None:
        from snas.exceptions import ModelFileError
        from snas.model import FittedModel

        key = candidate_key(selected)
        if key in self.models:
            return self.models[key]
        if self.directory is not None:
            path = self.directory.candidate(key)
            if (path / "model.json").is_file():
                try:
                    self.models[key] = FittedModel.load(path)  # read once: both ensemble choices use it
                    return self.models[key]
                except ModelFileError:
                    self.progress.note(f"{path}: damaged; this candidate is left out of the final choice")
        return None


def _refit_parts(model: FittedModel | None) -> dict[str, FittedModel]:
    """The final model's networks refit on every training row, by candidate key: the glass box
    on offer takes them for the candidates it shares with the final model."""
    from snas.model import EnsembleModel

    if isinstance(model, EnsembleModel):
        keys, done = model.extra.get("candidates") or [], model.extra.get("parts_refit") or []
        return {
            k: replace(p, extra={"refit": True, "candidate": k})
            for k, p, r in zip(keys, model.parts, done, strict=False)
            if r
        }
    if model is not None and model.extra.get("refit") and model.extra.get("candidate"):
        return {model.extra["candidate"]: model}
    return {}


def _numbered(evals: list[Evaluation]) -> list[Evaluation]:
    """Inherited evaluations keep their order; trainings follow in ledger order (stable
    across resumes and identical for every worker that shares the ledger)."""
    inherited = [e for e in evals if e.fidelity == "inherited"]
    trained = sorted(
        (e for e in evals if e.fidelity != "inherited"), key=lambda e: (e.notes["trial"], e.notes["recipe"])
    )
    return inherited + [replace(e, number=len(inherited) + i) for i, e in enumerate(trained)]
