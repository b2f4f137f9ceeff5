"""The search: optuna study as the ledger, NSGA-II (or random) outer loop, optional gradient
inner loop, low-fidelity screening, resume after interruption, several workers per study."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from snas._util import atomic_write_text, canonical_json, sha256_bytes
from snas.exceptions import ConfigError
from snas.search._config import Budget, ExperimentConfig
from snas.search._evaluate import Evaluation, SearchContext
from snas.search._result import SearchResult, _dominates, pareto_front, select
from snas.search._space import SearchSpace

__all__ = ["open_study", "run_search", "study_evaluations"]

HEARTBEAT_SECONDS = 5
GRACE_SECONDS = 20


def _storage(url: str) -> Any:
    import optuna

    if url == "memory":
        return optuna.storages.InMemoryStorage()
    if url.startswith("journal://"):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(url.removeprefix("journal://")))
    retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=3)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs = {"connect_args": {"timeout": 60}}
    for attempt in range(8):  # workers starting together race to create the schema: retry
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=kwargs,
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
                heartbeat_stale_trial_callback=retry,
            )
        except Exception as exc:  # sqlalchemy IntegrityError / OperationalError while another creates it
            if attempt == 7 or not type(exc).__module__.startswith("sqlalchemy"):
                raise
            time.sleep(0.5 + attempt * 0.5)
    raise AssertionError("unreachable")


def _quiet_optuna() -> None:
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used with Study.optimize")


def open_study(config: ExperimentConfig, storage_url: str, *, sampler_seed: int, soft_rules: list[str]) -> Any:
    """Create or resume the study; refuse a storage that holds a different experiment."""
    import optuna

    _quiet_optuna()
    storage = _storage(storage_url)
    if config.strategy in ("evolution", "evolution+gradient"):
        sampler: Any = optuna.samplers.NSGAIISampler(population_size=config.population_size, seed=sampler_seed)
    else:
        sampler = optuna.samplers.RandomSampler(seed=sampler_seed)
    study = optuna.create_study(
        study_name=config.name,
        storage=storage,
        directions=["minimize"] * 3,
        sampler=sampler,
        load_if_exists=True,
    )
    key = sha256_bytes(
        canonical_json(
            {k: v for k, v in config.to_dict().items() if k not in ("budget", "storage", "source", "extra")}
        ).encode()
    )
    existing = study.user_attrs.get("config_sha256")
    if existing is None:
        study.set_user_attr("config_sha256", key)
        study.set_user_attr("config", json.loads(canonical_json(config.to_dict())))
        study.set_metric_names(["error", "parameters", "infidelity"])
    elif existing != key:
        raise ConfigError(
            f"the storage {storage_url} already holds study {config.name!r} from a different configuration; "
            "use a new --out directory (or --storage), or restore the original configuration to resume"
        )
    return study


class _Heartbeat:
    """Keeps a RUNNING trial alive in RDB storages so other workers do not fail it."""

    def __init__(self, study: Any, trial_id: int) -> None:
        self.storage = study._storage
        self.trial_id = trial_id
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        from optuna.storages._heartbeat import BaseHeartbeat

        if isinstance(self.storage, BaseHeartbeat) and self.storage.get_heartbeat_interval():
            self.storage.record_heartbeat(self.trial_id)
            self.thread = threading.Thread(target=self._beat, daemon=True)
            self.thread.start()
        return self

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):
                self.storage.record_heartbeat(self.trial_id)

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()


def _counts(study: Any, me: int | None = None) -> tuple[int, int]:
    """(finished evaluations, running trials numbered before ``me``). Queued (WAITING)
    trials do not count: the next ``ask`` takes them."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    done = sum(1 for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED))
    flying = sum(1 for t in trials if t.state == TrialState.RUNNING and (me is None or t.number < me))
    return done, flying


def _recover(study: Any) -> int:
    """Fail RUNNING trials left by a killed process (this worker owns the storage) and
    queue their genomes again: no finished trial is lost, none is repeated."""
    from optuna.trial import TrialState

    n = 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
        if t.params:
            study.enqueue_trial(t.params, user_attrs={"retry_of": t.number}, skip_if_exists=False)
        n += 1
    return n


def study_evaluations(study: Any) -> list[Evaluation]:
    """Every finished trial as an immutable :class:`Evaluation`."""
    from optuna.trial import TrialState

    out = []
    for t in study.get_trials(deepcopy=False):
        if t.state not in (TrialState.COMPLETE, TrialState.PRUNED) or "evaluation" not in t.user_attrs:
            continue
        out.append(Evaluation(**t.user_attrs["evaluation"]))
    return sorted(out, key=lambda e: e.number)


class _Progress:
    def __init__(self, budget: Budget, stream: Any, enabled: bool) -> None:
        self.budget = budget
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and getattr(stream, "isatty", lambda: False)()
        self.start = time.perf_counter()

    def show(self, done: int, evals: list[Evaluation], note: str = "") -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.start
        complete = [e for e in evals if e.state == "complete"]
        best = max((e.metrics["accuracy"] for e in complete), default=None)
        small = min((e.metrics["parameters"] for e in complete), default=None)
        parts = [f"trials {done}" + (f"/{self.budget.trials}" if self.budget.trials else "")]
        parts.append(f"{_fmt(elapsed)}" + (f"/{_fmt(self.budget.seconds)}" if self.budget.seconds else ""))
        if best is not None:
            parts.append(f"best val acc {best:.4f}")
        if small is not None:
            parts.append(f"smallest {small:,} params")
        parts.append(f"front {len(pareto_front(evals))}")
        line = " | ".join(parts) + (f" | {note}" if note else "")
        if self.tty:
            self.stream.write("\r\033[K" + line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


def run_search(
    config: ExperimentConfig,
    context: SearchContext,
    *,
    storage_url: str,
    worker: str | None = None,
    sampler_seed: int | None = None,
    progress: bool = True,
    stream: Any = None,
    on_model: Any = None,
) -> SearchResult:
    """Run (or resume) the search until the budget is spent; return the result.

    The study in ``storage_url`` is the ledger: finished candidates are never re-run, and a
    candidate interrupted mid-training is queued again.
    """
    from optuna.trial import TrialState

    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    soft = [r.id for r in context.rules.soft] if context.rules is not None else []
    if sampler_seed is None:
        sampler_seed = config.seed
    study = open_study(config, storage_url, sampler_seed=sampler_seed, soft_rules=soft)
    import optuna

    with contextlib.suppress(Exception):
        optuna.storages.fail_stale_trials(study)
    max_params = context.rules.constraints.max_parameters if context.rules is not None else None
    space = SearchSpace(config, soft, context.count_parameters, max_params)
    if not study.get_trials(deepcopy=False) and study.user_attrs.get("warm_started") is None:
        study.set_user_attr("warm_started", True)
        for params in space.starting_points():
            study.enqueue_trial(params, user_attrs={"warm_start": True}, skip_if_exists=True)
    bar = _Progress(config.budget, stream or sys.stderr, progress)
    start = time.perf_counter()
    prior = float(study.user_attrs.get(f"elapsed:{worker}", 0.0))
    promoted: list[tuple[float, ...]] = [
        tuple(e.screen_metrics[k] for k in ("error", "parameters", "infidelity"))
        for e in study_evaluations(study)
        if e.screen_metrics and e.state == "complete"
    ]
    while True:
        done, flying = _counts(study)
        elapsed = prior + time.perf_counter() - start
        if config.budget.trials is not None and done + flying >= config.budget.trials:
            if flying == 0 or done >= config.budget.trials:
                break
            time.sleep(1.0)  # another worker is finishing the last trials
            continue
        if config.budget.seconds is not None and elapsed >= config.budget.seconds:
            break
        trial = study.ask()
        if config.budget.trials is not None:
            d2, before = _counts(study, me=trial.number)
            if d2 + before >= config.budget.trials:  # lost a race with another worker
                study.tell(trial, state=TrialState.FAIL)
                continue
        with _Heartbeat(study, trial._trial_id):
            evaluation, values, constraint = _evaluate_trial(trial, space, context, config, promoted, worker, on_model)
        try:
            trial.set_user_attr("evaluation", json.loads(json.dumps(evaluation.to_dict(), default=float)))
            trial.set_constraint("max_parameters", constraint)  # ≤ 0 feasible; NSGA-II prefers feasible genomes
            if evaluation.state == "complete":
                study.tell(trial, values)
            else:
                study.tell(trial, state=TrialState.PRUNED)
        except optuna.exceptions.UpdateFinishedTrialError:
            # another worker saw a stale heartbeat, failed this trial and queued a retry: keep going
            continue
        study.set_user_attr(f"elapsed:{worker}", prior + time.perf_counter() - start)
        bar.show(
            _counts(study)[0],
            study_evaluations(study),
            note=f"#{evaluation.number} {SearchSpace.describe(evaluation.genome)} {evaluation.state}",
        )
    bar.close()
    evals = study_evaluations(study)
    front = pareto_front(evals)
    chosen, why = select(front, config.selection, config.min_f_soft)
    return SearchResult(
        evaluations=tuple(evals),
        front=tuple(front),
        selected=chosen,
        reason=why,
        elapsed_seconds=prior + time.perf_counter() - start,
        info={
            "storage": storage_url if not storage_url.startswith("postgresql") else "postgresql://…",
            "worker": worker,
            "sampler_seed": sampler_seed,
            "split_sha256": context.split_sha256,
        },
    )


def _evaluate_trial(
    trial: Any,
    space: SearchSpace,
    context: SearchContext,
    config: ExperimentConfig,
    promoted: list[tuple[float, ...]],
    worker: str,
    on_model: Any = None,
) -> tuple[Evaluation, list[float], float]:
    t0 = time.perf_counter()
    sampled = space.sample(trial)
    constraint = space.violation(sampled)
    genome = space.repair(sampled)
    notes: dict[str, Any] = {"repaired": genome != sampled, "constraint": constraint}
    if config.strategy in ("gradient", "evolution+gradient"):
        from snas.search._gradient import refine_genome

        genome, info = refine_genome(
            genome,
            context,
            space.to_spec(genome),
            seed=config.seed,
            epochs=config.gradient_epochs,
            subsample=config.screening.subsample,
            complexity_weight=float(genome.get("complexity_weight", 0.05)),
        )
        genome = space.repair(genome)
        notes["gradient"] = info
    spec = space.to_spec(genome)
    screen = None
    sc = config.screening
    if sc.enabled:
        screen, _ = context.evaluate(spec, seed=config.seed, screen=True)
        vec = (screen["error"], screen["parameters"], screen["infidelity"])
        if len(promoted) >= sc.startup and any(_dominates(p, vec) for p in promoted):
            ev = Evaluation(
                trial.number,
                genome,
                spec,
                "screened-out",
                "screen",
                screen,
                screen,
                config.seed,
                time.perf_counter() - t0,
                worker,
                notes,
            )
            return ev, [], constraint
        promoted.append(vec)
    metrics, clf = context.evaluate(spec, seed=config.seed)
    ev = Evaluation(
        trial.number,
        genome,
        spec,
        "complete",
        "full",
        metrics,
        screen,
        config.seed,
        time.perf_counter() - t0,
        worker,
        notes,
    )
    if on_model is not None:  # e.g. benchmarks that score every candidate on the test split
        on_model(ev, clf)
    return ev, [metrics["error"], float(metrics["parameters"]), metrics["infidelity"]], constraint


@contextlib.contextmanager
def run_lock(directory: Path) -> Any:
    """One search process per run directory (the default storage lives there)."""
    directory.mkdir(parents=True, exist_ok=True)
    fh = open(directory / ".search.lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise ConfigError(f"{directory}: another 'snas search' is running in this run directory") from None
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_default))


def _default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")
