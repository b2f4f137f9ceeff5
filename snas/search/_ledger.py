"""The search ledger: an optuna study holding every stand-alone training (public API only).

One study per experiment in the run's storage (SQLite by default, PostgreSQL for several
machines). Each training runs through ``study.optimize`` so RDB storages keep heartbeats;
a training whose process died is failed and its job simply run again by whichever worker
reaches it (snas retries jobs, not trials: no trial is ever re-queued). The trial budget
counts trainings across all workers, each spent once.
"""

from __future__ import annotations

import contextlib
import json
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import canonical_json, did_you_mean, sha256_bytes
from snas.exceptions import ConfigError

if TYPE_CHECKING:
    from snas.search._config import ExperimentConfig

__all__ = ["Ledger", "check_storage"]

HEARTBEAT_SECONDS = 5
GRACE_SECONDS = 20
SCHEMES = ("sqlite", "postgresql", "mysql", "journal", "memory")
TRAINING_VERSION = 3  # 2: the weight average and the glass box's first learning rate follow the rows;
# 3: glass boxes on few rows average 8 members and start from 8-bin shapes


def check_storage(url: str) -> None:
    """Refuse a storage URL that cannot work, before the first trial (scheme, folder, driver)."""
    scheme = url.split(":", 1)[0].split("+", 1)[0] if ":" in url or url == "memory" else url
    if scheme not in SCHEMES:
        raise ConfigError(
            f"--storage {url[:80]!r}: unknown scheme {scheme!r}.{did_you_mean(scheme, SCHEMES)} "
            "Use sqlite:///path.db, postgresql+psycopg2://user:password@host/db or journal://path.log"
        )
    if scheme in ("sqlite", "journal"):
        path = Path(url.split("///", 1)[1] if scheme == "sqlite" and "///" in url else url.removeprefix("journal://"))
        if not path.parent.is_dir():
            raise ConfigError(
                f"--storage {url!r}: the folder {path.parent} does not exist; create it or point --storage at an existing folder"
            )
    driver = {"postgresql": "psycopg2", "mysql": "pymysql"}.get(scheme)
    if driver and (url.startswith(f"{scheme}+{driver}") or url.startswith(f"{scheme}://")):
        import importlib.util

        if importlib.util.find_spec(driver) is None:
            hint = 'pip install -e ".[postgres]"' if scheme == "postgresql" else f"pip install {driver}"
            raise ConfigError(
                f"--storage {scheme}: the driver {driver!r} is not installed; install it ({hint}) or use sqlite:///PATH"
            )


def _storage(url: str) -> Any:
    import optuna

    if url == "memory":
        return optuna.storages.InMemoryStorage()
    if url.startswith("journal://"):
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(url.removeprefix("journal://")))
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(8):  # workers starting together race to create the schema: retry
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=kwargs,
                heartbeat_interval=HEARTBEAT_SECONDS,
                grace_period=GRACE_SECONDS,
            )
        except Exception as exc:  # sqlalchemy errors while another worker creates the schema
            if attempt == 7 or not type(exc).__module__.startswith("sqlalchemy"):
                raise ConfigError(
                    f"--storage: cannot open {url.split('@')[-1]!r} ({str(exc).splitlines()[0][:200]})"
                ) from None
            time.sleep(0.5 + attempt * 0.5)
    raise AssertionError("unreachable")


class Ledger:
    """The study of one experiment's stand-alone trainings."""

    def __init__(self, config: ExperimentConfig, url: str) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        warnings.filterwarnings("ignore", message=".*Heartbeat of storage is supposed.*")
        check_storage(url)
        self.url = url
        self.study = optuna.create_study(
            study_name=config.name, storage=_storage(url), directions=["minimize"] * 3, load_if_exists=True
        )
        key = sha256_bytes(canonical_json(_identity(config)).encode())
        existing = self.study.user_attrs.get("config_sha256")
        if existing is None:
            self.study.set_user_attr("config_sha256", key)
            self.study.set_user_attr("config", json.loads(canonical_json(config.to_dict())))
            self.study.set_metric_names(["error", "complexity", "infidelity"])
        elif existing != key:
            raise ConfigError(
                f"the storage {url.split('@')[-1]} already holds study {config.name!r} from a different configuration "
                "or from a snas version whose candidates trained differently; use a new --out directory "
                "(or --storage), or the original configuration and snas version, to resume"
            )

    def recover(self, worker: str | None = None) -> int:
        """Fail trainings left RUNNING by a killed process (they run again): every one when
        this run owns the storage, else those of ``worker`` (this run's earlier life)."""
        from optuna.trial import TrialState

        stuck = [
            t
            for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
            if worker is None or t.user_attrs.get("worker") == worker
        ]
        for t in stuck:
            with contextlib.suppress(ValueError, RuntimeError):  # another worker failed it first
                self.study.tell(t.number, state=TrialState.FAIL)
        return len(stuck)

    def record(self, job: str, objectives: tuple[float, float, float], evaluation: dict[str, Any]) -> None:
        """Add a finished training as a new trial: for a worker whose own trial was failed
        as stale while it trained (a heartbeat stalled past ``GRACE_SECONDS``), so its
        result still counts."""
        import optuna
        from optuna.trial import TrialState

        trial = optuna.trial.create_trial(
            state=TrialState.COMPLETE, values=list(objectives), user_attrs={"job": job, "evaluation": evaluation}
        )
        self.study.add_trial(trial)

    def finished(self) -> dict[str, dict[str, Any]]:
        """Job key → evaluation record of every finished training (any worker; when two
        workers raced for one job, the first trial's record, so every worker reads the same)."""
        from optuna.trial import TrialState

        out: dict[str, dict[str, Any]] = {}
        for t in sorted(self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)), key=lambda t: t.number):
            rec = t.user_attrs.get("evaluation")
            if rec is not None:
                out.setdefault(rec["job"], rec)
        return out

    def counted(self, before: int | None = None) -> int:
        """Trainings that count against a trial budget: finished plus running (numbered before ``before``)."""
        from optuna.trial import TrialState

        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
        return sum(1 for t in trials if before is None or t.number < before)

    def busy(self) -> set[str]:
        """Job keys another worker is training right now (a worker killed mid-training stops
        counting once its heartbeat is ``GRACE_SECONDS`` old, so nobody waits for it; a
        ``journal://`` storage keeps no heartbeats, so there its job is waited for until the
        deadline, or until that worker resumes)."""
        import optuna
        from optuna.trial import TrialState

        optuna.storages.fail_stale_trials(self.study)
        return {
            t.user_attrs.get("job", "") for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        }

    def elapsed(self, worker: str) -> float:
        return float(self.study.user_attrs.get(f"elapsed:{worker}", 0.0))

    def set_elapsed(self, worker: str, seconds: float) -> None:
        self.study.set_user_attr(f"elapsed:{worker}", seconds)


def _identity(config: ExperimentConfig) -> dict[str, Any]:
    """What must match for a storage to be resumed (budgets, storage and workers may change),
    with the version of how candidates train, so a run is never resumed with mixed trainings."""
    kept = {k: v for k, v in config.to_dict().items() if k not in ("budget", "storage", "source", "extra", "workers")}
    return {**kept, "training": TRAINING_VERSION}
