"""``snas search``: config → verified data and rules → search → refit → run directory."""

from __future__ import annotations

import json
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snas._util import atomic_write_text, sha256_file
from snas.exceptions import ConfigError, RuleError
from snas.search._config import ExperimentConfig, load_config, parse_budget
from snas.search._result import SearchResult
from snas.search._run import _recover, open_study, run_lock, run_search, write_json

__all__ = ["RunOutput", "search"]


@dataclass(frozen=True)
class RunOutput:
    """Where everything went, plus the in-memory result."""

    directory: Path
    result: SearchResult
    model_dir: Path
    refit_seconds: float


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("snas", "torch", "numpy", "pandas", "scikit-learn", "sympy", "optuna", "lark", "safetensors", "shap"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _copy_inputs(config: ExperimentConfig, out: Path) -> None:
    """Copy the config and the rules into the run directory; on resume they must be unchanged."""
    for src, name in ((config.source, "config.yaml"), (config.rules, "rules.yaml")):
        if src is None:
            continue
        dest = out / name
        if dest.exists():
            if sha256_file(dest) != sha256_file(src):
                raise ConfigError(
                    f"{out}: this run directory was started with a different {name[:-5]} file ({src} changed); "
                    "use a new --out directory to search with the new file"
                )
        else:
            shutil.copyfile(src, dest)


def search(
    config: ExperimentConfig | str | Path,
    out: str | Path,
    *,
    data_dir: str | None = None,
    budget: str | None = None,
    storage: str | None = None,
    seed: int | None = None,
    progress: bool = True,
    stream: Any = None,
) -> RunOutput:
    """Run a search described by a config and write the run directory (DESIGN §8)."""
    from snas.datasets import load
    from snas.rules import check_rules, load_rules

    cfg = config if isinstance(config, ExperimentConfig) else load_config(config)
    if budget is not None:
        cfg = cfg.with_overrides(budget=parse_budget(budget))
    cfg = cfg.with_overrides(seed=seed, storage=storage)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = load(cfg.dataset, data_dir=data_dir)
    rules = load_rules(cfg.rules) if cfg.rules else None
    if rules is not None:
        report = check_rules(rules, data)
        if not report.ok:
            raise RuleError(
                "the rules have errors; run 'snas check' for details:\n" + "\n".join(str(f) for f in report.errors)
            )
    stream = stream or sys.stderr
    default_storage = cfg.storage is None
    storage_url = cfg.storage or f"sqlite:///{(out / 'search.db').resolve()}"
    with run_lock(out):
        _copy_inputs(cfg, out)
        from snas.search._evaluate import SearchContext

        context = SearchContext(data, rules, cfg)
        if default_storage:  # this process owns the storage: interrupted trials are re-queued now
            study = open_study(
                cfg, storage_url, sampler_seed=cfg.seed, soft_rules=[r.id for r in rules.soft] if rules else []
            )
            n = _recover(study)
            if n and progress:
                print(f"resuming: {n} interrupted candidate(s) queued again", file=stream)
        sampler_seed = cfg.seed if default_storage else cfg.seed + (abs(hash(str(out.resolve()))) % 10_000)
        t0 = time.perf_counter()
        result = run_search(
            cfg, context, storage_url=storage_url, sampler_seed=sampler_seed, progress=progress, stream=stream
        )
        search_seconds = time.perf_counter() - t0
        write_json(out / "history.json", [e.to_dict() for e in result.evaluations])
        write_json(
            out / "front.json",
            {"front": [e.to_dict() for e in result.front], "selected": result.selected.number, "reason": result.reason},
        )
        if progress:
            print(f"refitting the selected candidate #{result.selected.number} on all training rows …", file=stream)
        from snas.estimator import SNASClassifier

        t1 = time.perf_counter()
        clf = SNASClassifier(rules=rules, architecture=result.selected.spec, random_state=cfg.seed)
        clf.fit(data.X_train, data.y_train)
        refit_seconds = time.perf_counter() - t1
        model_dir = clf.save(out / "model")
        summary = {
            "config": cfg.to_dict(),
            "selected": result.selected.to_dict(),
            "smallest": result.smallest.to_dict(),
            "reason": result.reason,
            "front_size": len(result.front),
            "evaluated": len(result.evaluations),
            "complete": sum(e.state == "complete" for e in result.evaluations),
            "search_seconds": search_seconds,
            "elapsed_seconds_total": result.elapsed_seconds,
            "refit_seconds": refit_seconds,
            "info": result.info,
        }
        write_json(out / "search.json", summary)
        write_manifest(out, cfg, data, rules, context.split_sha256)
    return RunOutput(out, result, model_dir, refit_seconds)


def write_manifest(out: Path, cfg: ExperimentConfig, data: Any, rules: Any, split_sha256: str) -> None:
    """sha256 of every file in the run directory, the data provenance, versions and seeds."""
    files = {}
    for p in sorted(out.rglob("*")):
        if (
            p.is_file()
            and p.name not in ("manifest.json", ".search.lock")
            and not p.name.startswith("search.db")
            and "reports" not in p.relative_to(out).parts
        ):
            files[str(p.relative_to(out))] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
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
        "versions": _versions(),
    }
    atomic_write_text(out / "manifest.json", json.dumps(manifest, indent=2, sort_keys=True))
