"""The two ways into a search: :func:`search` (a configuration and a run directory, the CLI's
``snas search``) and :func:`search_frame` (data from Python, ``SNASClassifier(budget=…)``)."""

from __future__ import annotations

import os
import re
import shutil
import time
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._checks import Invalid, as_int
from snas._environment import environment_record
from snas._util import canonical_json, sha256_bytes, sha256_file
from snas.exceptions import ConfigError
from snas.search._config import MAX_WORKERS, Budget, ExperimentConfig, config_from_mapping, load_config, parse_budget
from snas.search._ledger import check_storage
from snas.search._pipeline import SearchRun
from snas.search._result import SearchResult
from snas.search._run_directory import RunDirectory

if TYPE_CHECKING:
    import pandas as pd

    from snas.rules import RuleSet

__all__ = ["RunOutput", "search", "search_frame"]


@dataclass(frozen=True)
class RunOutput:
    """Where everything went, plus the in-memory result."""

    directory: Path
    result: SearchResult
    model_dir: Path
    seconds: float
    finished_before: bool = False  # the run had finished this configuration: nothing was redone


def search(
    config: ExperimentConfig | str | Path,
    out: str | Path,
    *,
    data_dir: str | None = None,
    budget: str | None = None,
    storage: str | None = None,
    seed: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    stream: Any = None,
) -> RunOutput:
    """Run (or resume) the search a configuration describes and write its run directory.

    Parameters
    ----------
    config : ExperimentConfig or path
        ``search/*.yaml`` or a loaded configuration.
    out : path
        The run directory (created; an existing run is resumed; anything else is refused).
    data_dir, budget, storage, seed, workers : overrides of the configuration.
    progress, stream : print progress to ``stream`` (a text file; default standard error).

    Returns
    -------
    RunOutput
        ``directory``, ``result`` (a :class:`SearchResult`), ``model_dir`` and ``seconds``.

    Examples
    --------
    >>> out = search("search/census_income.yaml", "runs/census", budget="5min")  # doctest: +SKIP
    """
    cfg = config if isinstance(config, ExperimentConfig) else load_config(config)
    cfg = cfg.with_overrides(**_overrides(budget=budget, seed=seed, storage=storage, workers=workers))
    cfg = replace(cfg, budget=capped(cfg.budget))
    run = RunDirectory(out)
    if cfg.storage is not None:
        check_storage(cfg.storage)
    created, new = not run.path.exists(), not run.is_run()
    run.prepare()  # an --out that cannot be written is refused before the data are read
    try:
        data, rules = _data_and_rules(cfg, data_dir)
    except BaseException:
        if new:  # bad data or rules leave no run behind
            run.undo_prepare(created=created)
        raise
    run.prepare(resume_inputs(data, cfg.storage))
    t0 = time.perf_counter()
    with run.lock():
        _copy_inputs(cfg, run)
        done = finished_result(run, cfg)
        if done is not None:  # the same command again: the run stands as it is, its time unchanged
            return RunOutput(run.path, done, run.model_dir, time.perf_counter() - t0, finished_before=True)
        shared = cfg.storage is not None  # several workers: each explores from its own seed
        sr = SearchRun(
            cfg,
            data.X_train,
            data.y_train.astype(str).to_numpy(),
            rules,
            target=data.schema.target,
            classes=data.schema.classes,
            directory=run,
            storage=cfg.storage,
            worker=run.worker_name(),
            worker_seed=cfg.seed + zlib.crc32(str(run.path.resolve()).encode()) % 10_000 if shared else None,
            progress=progress,
            stream=stream,
        )
        result = sr.run()
        _write_run(run, cfg, result, sr, data, rules)
    return RunOutput(run.path, result, run.model_dir, time.perf_counter() - t0)


def capped(budget: Budget) -> Budget:
    """``budget`` limited by ``SNAS_BUDGET_CAP`` (e.g. ``30s`` or ``30s,4trials``) when set —
    how CI runs the README's examples quickly; unset, the budget stands."""
    text = os.environ.get("SNAS_BUDGET_CAP")
    if not text:
        return budget
    cap = parse_budget(text)

    def least(a: Any, b: Any) -> Any:
        return b if a is None else a if b is None else min(a, b)

    return Budget(seconds=least(budget.seconds, cap.seconds), trials=least(budget.trials, cap.trials))


def _overrides(**given: Any) -> dict[str, Any]:
    """Command-line or Python overrides, checked like the configuration file's own values."""
    checks = {
        "seed": lambda v: as_int("--seed", v, 0, 2**31 - 1),
        "workers": lambda v: as_int("--workers (0: one per CPU core)", v, 0, MAX_WORKERS),
        "budget": parse_budget,
        "storage": lambda v: v,
    }
    out = {}
    for key, value in given.items():
        if value is None:
            continue
        try:
            out[key] = checks[key](value)
        except Invalid as exc:
            raise ConfigError(str(exc)) from None
    return out


def _data_and_rules(cfg: ExperimentConfig, data_dir: str | None) -> tuple[Any, Any]:
    """The verified data set and the checked rules; refuses rules written for another data set."""
    from snas.datasets import load
    from snas.rules import load_rules, require_rules_for

    data = load(cfg.dataset, data_dir=data_dir)
    rules = load_rules(cfg.rules) if cfg.rules else None
    if rules is not None:
        require_rules_for(
            rules,
            data,
            named_by=f"{cfg.source or 'the configuration'} searches",
            fix="point 'rules:' at the right file or fix the rule file's 'dataset:'",
        )
    return data, rules


def search_frame(
    X: pd.DataFrame,
    y: np.ndarray,
    rules: RuleSet | None,
    *,
    target: str,
    classes: tuple[str, ...] | None = None,
    search: dict[str, Any] | str | Path | None = None,
    budget: str | None = None,
    seed: int = 0,
    progress: bool = False,
) -> SearchResult:
    """Search on a frame from Python (no run directory; the ledger lives in memory).

    ``search`` is a ``search/*.yaml`` path or a dict of its keys, validated exactly like the
    CLI's configuration; ``budget`` overrides it (default: the configuration's, 7 minutes).
    """
    if isinstance(search, (str, Path)):
        cfg = load_config(search)
    else:
        cfg = config_from_mapping(search or {}, source="SNASClassifier(search=…)")
    cfg = replace(cfg.with_overrides(**_overrides(budget=budget, seed=seed)), storage=None)
    cfg = replace(cfg, budget=capped(cfg.budget))
    return SearchRun(cfg, X, y, rules, target=target, classes=classes, progress=progress).run()


def finished_result(run: RunDirectory, cfg: ExperimentConfig) -> SearchResult | None:
    """The result a finished run of this same configuration recorded, read back; None when the
    run is unfinished, damaged, or was finished under another configuration (a larger budget
    continues it).

    Parameters
    ----------
    run : RunDirectory
        The run directory.
    cfg : ExperimentConfig
        The configuration with the command line's overrides.

    Returns
    -------
    SearchResult or None
    """
    from snas.exceptions import ModelFileError
    from snas.model import FittedModel
    from snas.search._ensemble import EnsembleChoice
    from snas.search._result import Evaluation

    if cfg.storage is not None:  # a shared ledger: other workers' later trainings may join the result
        return None
    if not (run.manifest.is_file() and run.summary.is_file() and (run.model_dir / "model.json").is_file()):
        return None
    try:
        summary, front = run.read_summary(), run.read_front()
        recorded = run.read_manifest()["files"].get(run.summary.name, {})
        if recorded.get("sha256") != sha256_file(run.summary):  # written after search.json: the end
            return None
        if canonical_json(summary.get("config")) != canonical_json(_recorded_config(cfg)):
            return None
        glass = run.glass_box_dir / "model.json"
        if (summary.get("glass_box") or {}).get("chosen") and not glass.is_file():
            return None  # the glass box it offers is gone: the search makes it again

        def choice(key: str) -> EnsembleChoice | None:
            return EnsembleChoice.from_dict(summary[key]) if summary.get(key) else None

        return SearchResult(
            tuple(run.read_history()),
            tuple(Evaluation.from_dict(d) for d in front["front"]),
            Evaluation.from_dict(summary["selected"]),
            str(summary["reason"]),
            float(summary["elapsed_seconds"]),
            dict(summary.get("info") or {}),
            FittedModel.load(run.model_dir),
            choice("ensemble"),
            choice("glass_box"),
            FittedModel.load(run.glass_box_dir) if glass.is_file() else None,
        )
    except (ConfigError, ModelFileError, KeyError, TypeError, ValueError, AttributeError):
        return None  # damaged or partial: the search resumes and writes it again


def resume_inputs(data: Any, storage: str | None) -> dict[str, Any]:
    """What a resumed run must find unchanged: the data (files' sha256, schema, rows, split)
    and the ledger (``--storage``, its password left out).

    Parameters
    ----------
    data : Dataset
        The verified data set.
    storage : str or None
        The ``--storage`` URL (None: the run's own ``search.db``).

    Returns
    -------
    dict
        ``data_sha256`` and ``storage``.
    """
    prov = data.provenance(lookup=False)
    same = {
        "files": [f.get("sha256") for f in prov["files"]],
        **{k: prov[k] for k in ("schema_sha256", "rows", "split")},
    }
    return {"data_sha256": sha256_bytes(canonical_json(same).encode()), "storage": _without_login(storage)}


def _without_login(storage: str | None) -> str | None:
    """A storage URL as run files keep it: no user or password (``postgresql://host/db``)."""
    return None if storage is None else re.sub(r"//[^@/]*@", "//", storage)


def _recorded_config(cfg: ExperimentConfig) -> dict[str, Any]:
    """The configuration as ``search.json`` records it (the storage without its login)."""
    return {**cfg.to_dict(), "storage": _without_login(cfg.storage)}


def _copy_inputs(cfg: ExperimentConfig, run: RunDirectory) -> None:
    """Copy the config and rules into the run directory; on resume they must be unchanged."""
    for src, dest in ((cfg.source, run.config), (cfg.rules, run.rules)):
        if src is None:
            continue
        if dest.exists():
            if sha256_file(dest) != sha256_file(src):
                raise ConfigError(
                    f"{run.path}: this run was started with a different {dest.stem} file ({src} changed); "
                    "use a new --out directory to search with the new file"
                )
        else:
            shutil.copyfile(src, dest)


def _write_run(
    run: RunDirectory, cfg: ExperimentConfig, result: SearchResult, sr: SearchRun, data: Any, rules: Any
) -> None:
    assert result.model is not None
    result.model = _typed_classes(result.model, data)
    result.glass_box_model = _typed_classes(result.glass_box_model, data)
    run.write_json(run.history, [e.to_dict() for e in result.evaluations])
    run.write_json(
        run.front,
        {"front": [e.to_dict() for e in result.front], "selected": result.selected.number, "reason": result.reason},
    )
    result.model.save(run.model_dir)
    if result.glass_box_model is not None:
        result.glass_box_model.save(run.glass_box_dir)
    run.write_json(
        run.summary,
        {
            "config": _recorded_config(cfg),
            "selected": result.selected.to_dict(),
            "smallest": result.smallest.to_dict(),
            "reason": result.reason,
            "front_size": len(result.front),
            "evaluated": result.counts(),
            "elapsed_seconds": result.elapsed_seconds,
            "refit": bool(result.model.extra.get("refit")),
            "ensemble": None if result.ensemble is None else result.ensemble.to_dict(),
            "glass_box": None if result.glass_box is None else result.glass_box.to_dict(),
            "info": result.info,
        },
    )
    write_manifest(run, cfg, data, rules, sr.split_sha256, sr)


def _typed_classes(model: Any, data: Any) -> Any:
    """``model`` recording its classes as the data's labels (``0, 1`` for an integer target, in
    the estimator's record), so ``SNASClassifier.load`` of the run's model returns them so."""
    values = {str(v): v for v in data.class_values}
    if model is None or all(isinstance(v, str) for v in values.values()) or not set(model.task.classes) <= set(values):
        return model
    classes = np.asarray([values[c] for c in model.task.classes])
    record = {"classes": classes.tolist(), "classes_dtype": classes.dtype.str}
    return replace(model, extra={**model.extra, "estimator": record})


def write_manifest(run: RunDirectory, cfg: ExperimentConfig, data: Any, rules: Any, split_sha256: str, sr: Any) -> None:
    """sha256 of every file in the run directory, the data provenance, versions, seeds and threads."""
    from snas.training import THREADS

    skip = {"manifest.json", ".search.lock"}
    files = {}
    for p in sorted(run.path.rglob("*")):
        rel = p.relative_to(run.path)
        if (
            p.is_file()
            and p.name not in skip
            and not p.name.startswith("search.db")
            and rel.parts[0] not in ("reports",)
        ):
            files[str(rel)] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    manifest = {
        "snas_run": 1,
        "files": files,
        "data": data.provenance(),
        "rules": {"path": cfg.rules, "sha256": None if rules is None else rules.sha256},
        "split": {
            "method": "stratified",
            "validation_fraction": cfg.validation_fraction,
            "seed": cfg.seed,
            "index_sha256": split_sha256,
        },
        "seeds": {"search": cfg.seed, "train": cfg.seed},
        "compute": {"torch_threads_per_worker": THREADS, "workers": sr.workers},
        **environment_record(),  # versions, every installed package and their lock hash
    }
    run.write_json(run.manifest, manifest)
