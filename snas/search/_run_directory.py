"""RunDirectory: the one owner of a run directory's layout.

A run directory holds copies of the configuration and rules, the search ledger, the
supernet checkpoint, the evolution log, every evaluation, the front, the trained
candidates, the selected model, the manifest, the decision log and the reports. snas
writes nowhere else, refuses to write into a non-empty folder that is not a run, and
reads every file through here (a missing file is a clear error, never an empty value).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import atomic_write_text, read_json_file
from snas.exceptions import ConfigError

if TYPE_CHECKING:
    from snas.search._result import Evaluation

__all__ = ["RunDirectory", "candidate_key"]


def candidate_key(evaluation: Evaluation) -> str:
    """The folder name of a trained candidate: its training job and recipe."""
    return f"{evaluation.job}-{evaluation.notes.get('recipe', 0)}"


MARKER = ".snas-run"


class RunDirectory:
    """Paths and typed reads of one run directory.

    Parameters
    ----------
    path : str or Path
        The run directory (``snas search --out``).

    Examples
    --------
    >>> run = RunDirectory("runs/census")  # doctest: +SKIP
    >>> run.model_dir, run.read_front()["selected"]  # doctest: +SKIP
    """

    MODELS = ("selected", "glass-box")  # the models a run holds: its final model and the glass box on offer

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    # ------------------------------------------------------------------ layout
    config = property(lambda self: self.path / "config.yaml")
    rules = property(lambda self: self.path / "rules.yaml")
    ledger = property(lambda self: self.path / "search.db")
    supernet = property(lambda self: self.path / "supernet")  # .safetensors + .json
    evolution = property(lambda self: self.path / "evolution.json")
    history = property(lambda self: self.path / "history.json")
    front = property(lambda self: self.path / "front.json")
    summary = property(lambda self: self.path / "search.json")
    candidates = property(lambda self: self.path / "candidates")
    model_dir = property(lambda self: self.path / "model")
    glass_box_dir = property(lambda self: self.path / "glass-box")  # the best glass box, when searched
    manifest = property(lambda self: self.path / "manifest.json")
    reports = property(lambda self: self.path / "reports")
    decisions = property(lambda self: self.path / "decisions.jsonl")
    documentation = property(lambda self: self.path / "documentation.yaml")

    def model_path(self, which: str = "selected") -> Path:
        """The folder of the run's ``selected`` (final) model or of the ``glass-box`` it offers.

        Parameters
        ----------
        which : {"selected", "glass-box"}
            ConfigError for anything else.
        """
        return self.model_dir if _model_name(which) == "selected" else self.glass_box_dir

    def reports_of(self, which: str = "selected") -> Path:
        """Where the reports of one of the run's models go: ``reports`` (selected) or
        ``reports/glass-box``.

        Parameters
        ----------
        which : {"selected", "glass-box"}
            ConfigError for anything else.
        """
        return self.reports if _model_name(which) == "selected" else self.reports / "glass-box"

    def ledger_url(self) -> str:
        """The optuna storage URL of the run's own ledger (``search.db``)."""
        return f"sqlite:///{self.ledger.resolve()}"

    def worker_name(self) -> str:
        """This run's name in a (shared) ledger, drawn when the run directory was created and
        kept in its marker file: the same after a restart on another host or at another path,
        so time spent before an interruption is counted; a new run in an emptied folder gets
        a new name, so it never inherits the old run's time."""
        with contextlib.suppress(ConfigError):
            name = read_json_file(self.path / MARKER, fix="", expect=dict).get("worker")
            if isinstance(name, str) and name:
                return name
        # a run directory made before names were kept: the host and a digest of the folder
        digest = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:12]
        return f"{socket.gethostname()}:{digest}"

    def candidate(self, job: str) -> Path:
        """The model folder of one trained candidate, ``candidates/<job>``.

        Parameters
        ----------
        job : str
            The candidate's key: its training job and recipe, ``f"{evaluation.job}-{recipe}"``.
        """
        return self.candidates / job

    def candidate_of(self, evaluation: Evaluation) -> Path:
        """The model folder of a stand-alone (or low-fidelity) evaluation.

        Parameters
        ----------
        evaluation : Evaluation
            From :meth:`read_history` or the front.
        """
        return self.candidate(candidate_key(evaluation))

    # ---------------------------------------------------------------- creating
    def is_run(self) -> bool:
        """Whether the folder holds a run's marker file (``.snas-run``)."""
        return (self.path / MARKER).is_file()

    def check_usable(self) -> None:
        """Refuse a path that is a file, or a non-empty folder that is not a run (writes nothing)."""
        p = self.path
        if p.exists() and not p.is_dir():
            raise ConfigError(f"--out {p}: is a file, not a directory; choose a new folder for the run")
        if p.is_dir() and any(p.iterdir()) and not self.is_run():
            raise ConfigError(
                f"--out {p}: the folder is not empty and is not an snas run; choose a new or empty folder "
                "(snas never writes over files it did not create)"
            )

    def prepare(self, inputs: dict[str, Any] | None = None) -> None:
        """Create the directory (or accept an existing run); refuse anything else.

        Parameters
        ----------
        inputs : dict, optional
            What a resume must find unchanged (``data_sha256``, ``storage``): kept in the
            marker file by the first start, compared by every resume (ConfigError naming what
            changed: resuming would mix trainings on two data sets, or two ledgers).
        """
        self.check_usable()
        p = self.path
        marker: dict[str, Any] = {}
        if self.is_run():
            with contextlib.suppress(ConfigError):
                marker = read_json_file(p / MARKER, fix="", expect=dict)
            _refuse_changed_inputs(p, marker.get("inputs"), inputs)
        try:
            p.mkdir(parents=True, exist_ok=True)
            if not self.is_run() or (inputs is not None and "inputs" not in marker):
                name = marker.get("worker") or f"{socket.gethostname()}:{secrets.token_hex(6)}"
                record = {"snas_run": 1, "worker": name, **({"inputs": inputs} if inputs is not None else {})}
                atomic_write_text(p / MARKER, json.dumps(record))
        except OSError as exc:
            raise ConfigError(f"--out {p}: cannot write there ({exc.strerror}); choose a writable folder") from None

    def undo_prepare(self, *, created: bool) -> None:
        """Leave the folder as it was before :meth:`prepare` made it a new run.

        Parameters
        ----------
        created : bool
            ``prepare`` created the folder: it is removed; else (an empty folder given as
            --out) only its marker is.
        """
        if created:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            (self.path / MARKER).unlink(missing_ok=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One search process per run directory (the default ledger lives there)."""
        fh = open(self.path / ".search.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise ConfigError(f"{self.path}: another 'snas search' is running in this run directory") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()

    # ------------------------------------------------------------------ reading
    def require(self) -> None:
        """Raise unless this is a finished run (manifest and model present)."""
        for f in (self.manifest, self.model_dir / "model.json"):
            if not f.is_file():
                raise ConfigError(f"{self.path}: not a finished run ({f.name} missing); run 'snas search' first")

    def require_model(self, which: str = "selected") -> Path:
        """The folder of a finished run's model ``which``; ConfigError saying why it is not there.

        Parameters
        ----------
        which : {"selected", "glass-box"}
            The run's final model, or the glass box its search offers.
        """
        folder = self.model_path(which)
        self.require()
        if (folder / "model.json").is_file():
            return folder
        recorded = self._read_mapping(self.summary).get("glass_box") if self.summary.is_file() else None
        if isinstance(recorded, dict) and recorded.get("chosen"):
            raise ConfigError(
                f"{folder}: the glass box this run's search.json records is missing; restore the folder "
                f"('snas audit verify {self.path}' lists what changed) or search again into a new folder"
            )
        raise ConfigError(
            f"{self.path}: this run offers no glass box (its search space has no additive family, or no "
            "glass-box candidate was trained stand-alone with F_soft at least min_f_soft, or the run "
            "predates glass boxes on offer); search with 'families: [mlp, additive]' in 'space:', or "
            "use its selected model"
        )

    def damaged_fix(self, path: Path) -> str:
        """What to do about a damaged file of this run (said in every message naming one).

        Parameters
        ----------
        path : Path
            The damaged file (for the manifest itself, 'snas audit verify' cannot help).
        """
        verify = "" if path == self.manifest else f" ('snas audit verify {self.path}' names every changed file)"
        return f"restore the run from a copy{verify} or search again into a new folder"

    def read_json(self, path: Path, expect: type | None = None) -> Any:
        """The parsed content of a JSON file of the run.

        Parameters
        ----------
        path : Path
            One of the run's files, e.g. ``run.front`` or ``run.manifest``.
        expect : type, optional
            ``dict`` or ``list``: the top level snas writes in that file (None: any).

        Raises
        ------
        ConfigError
            When the file is missing (the run is incomplete), is not valid JSON, nests deeper
            than snas ever writes or has another top level than ``expect``.
        """
        if not path.is_file():
            raise ConfigError(
                f"{path}: missing; the run directory is incomplete — run 'snas search' again to finish it"
            )
        return read_json_file(path, fix=self.damaged_fix(path), expect=expect)

    def read_history(self) -> list[Evaluation]:
        """``history.json``: every evaluation of the search (ConfigError when missing or damaged)."""
        from snas.search._result import Evaluation

        records = self.read_json(self.history, list)
        try:
            return [Evaluation.from_dict(d) for d in records]
        except TypeError:  # an entry that is not a mapping of an evaluation's fields
            raise ConfigError(
                f"{self.history}: damaged (not the evaluations snas wrote); {self.damaged_fix(self.history)}"
            ) from None

    def read_front(self) -> dict[str, Any]:
        """``front.json``: the Pareto front and the selected model's number."""
        return self._read_mapping(self.front)

    def read_summary(self) -> dict[str, Any]:
        """``search.json``: what the search did (counts, timing, selection, glass box on offer)."""
        return self._read_mapping(self.summary)

    def read_manifest(self) -> dict[str, Any]:
        """``manifest.json``, checked to hold what snas writes there (files and their sha256, data)."""
        m = self._read_mapping(self.manifest)
        files, data = m.get("files"), m.get("data")
        if not (
            isinstance(files, dict)
            and all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values())
            and isinstance(data, dict)
            and isinstance(data.get("files", []), list)
            and all(isinstance(f, dict) and isinstance(f.get("sha256"), str) for f in data.get("files", []))
        ):
            raise ConfigError(
                f"{self.manifest}: damaged (not the manifest snas wrote); {self.damaged_fix(self.manifest)}"
            )
        return m

    def _read_mapping(self, path: Path) -> dict[str, Any]:
        data: dict[str, Any] = self.read_json(path, dict)
        return data

    def write_json(self, path: Path, obj: Any) -> None:
        """Write ``obj`` as indented JSON with sorted keys, atomically.

        Parameters
        ----------
        path : Path
            Where to write (normally one of the layout's paths).
        obj : object
            JSON data; NumPy scalars and paths are converted, NaN and infinity are refused.
        """
        atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=_plain, allow_nan=False))


def _model_name(which: str) -> str:
    if which not in RunDirectory.MODELS:
        models = ", ".join(RunDirectory.MODELS)
        raise ConfigError(f"model {which!r}: a run holds the models {models}; choose one of them")
    return which


def _plain(o: Any) -> Any:
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON-serialisable: {type(o).__name__}")


def _refuse_changed_inputs(path: Path, before: Any, now: dict[str, Any] | None) -> None:
    """ConfigError when a resume finds other data or another --storage than the run began with."""
    if not isinstance(before, dict) or now is None:
        return  # a run made before inputs were kept, or a caller that does not say
    if before.get("data_sha256") != now.get("data_sha256"):
        raise ConfigError(
            f"{path}: this run was started on other data (the data files, their schema or split changed since); "
            "resuming would mix models trained and scored on both — restore the data the run began with, or "
            "search the new data into a new --out directory"
        )
    if before.get("storage") != now.get("storage"):
        was = before.get("storage") or "none (the run's own search.db)"
        raise ConfigError(
            f"{path}: this run was started with --storage {was}; resume it with the same --storage (another "
            "ledger would restart its budget and leave its finished trainings behind), or use a new --out directory"
        )
