"""What a report is computed from: the fitted model, the test split and its predictions, the
documentation, and — when they exist — the search record and the run's provenance.

Everything here is read once and frozen; the evidence functions only read it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import canonical_json, sha256_bytes, sha256_file
from snas.audit._stats import Bootstrap
from snas.exceptions import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Dataset
    from snas.model import FittedModel
    from snas.rules import RuleSet
    from snas.search import Evaluation, RunDirectory, SearchResult

__all__ = [
    "AGE_EDGES",
    "AuditInputs",
    "Documentation",
    "ModelFile",
    "RunRecord",
    "SearchRecord",
    "as_fitted_model",
    "attribute_bands",
    "prepare_inputs",
]

AGE_EDGES = (25, 45, 65)  # age bands <25, 25-44, 45-64, 65+ (Art. 13(3)(b)(v) groups)


# ----------------------------------------------------------------------------- documentation
@dataclass(frozen=True)
class Documentation:
    """The human-written fields, their sha256 and the file name they came from."""

    fields: Mapping[str, Any] = field(default_factory=dict)
    sha256: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, documentation: str | Path | Mapping[str, Any] | None) -> Documentation:
        """Read a documentation file (checked by :func:`load_documentation`) or take a mapping."""
        from snas.audit._documentation import load_documentation

        if documentation is None:
            return cls()
        if isinstance(documentation, Mapping):
            fields = dict(documentation)
            return cls(fields, sha256_bytes(canonical_json(fields).encode()), None)
        if not isinstance(documentation, (str, Path)):
            raise ConfigError(
                "documentation must be a path to an audit/*.yaml file, a mapping or None; "
                f"got {type(documentation).__name__}"
            )
        fields, sha = load_documentation(documentation)
        return cls(fields, sha, Path(documentation).name)


# ----------------------------------------------------------------------------- search
@dataclass(frozen=True)
class SearchRecord:
    """The search behind the model: every evaluation, the front, the selection and why.

    ``config`` is the validated search configuration; only a run directory records it.
    """

    evaluations: tuple[Evaluation, ...]
    front: tuple[int, ...]
    selected: int | None
    reason: str | None
    smallest: int | None
    elapsed_seconds: float | None
    config: Mapping[str, Any] | None = None
    refit: bool | None = None
    glass_box: Mapping[str, Any] | None = None
    audited: str = "selected"

    @classmethod
    def from_result(cls, result: SearchResult, model: Any = None) -> SearchRecord:
        """The record of an in-memory search; ``model`` is the model audited (its glass box or not)."""
        return cls(
            evaluations=tuple(result.evaluations),
            front=tuple(e.number for e in result.front),
            selected=result.selected.number,
            reason=result.reason,
            smallest=result.smallest.number if result.front else None,
            elapsed_seconds=result.elapsed_seconds,
            refit=None if result.model is None else bool(result.model.extra.get("refit")),
            glass_box=None if result.glass_box is None else result.glass_box.to_dict(),
            audited="glass-box" if _same_model(model, result.glass_box_model) else "selected",
        )

    @classmethod
    def from_run(cls, run: RunDirectory) -> SearchRecord:
        """Read ``history.json``, ``front.json`` and ``search.json`` (a missing file is a ConfigError)."""
        front = run.read_front()
        summary = run.read_summary()
        return cls(
            evaluations=tuple(run.read_history()),
            front=tuple(int(e["number"]) for e in front.get("front", [])),
            selected=front.get("selected"),
            reason=front.get("reason"),
            smallest=(summary.get("smallest") or {}).get("number"),
            elapsed_seconds=summary.get("elapsed_seconds"),
            config=summary.get("config"),
            refit=summary.get("refit"),
            glass_box=summary.get("glass_box"),
        )

    def counts(self) -> dict[str, int]:
        """Evaluations per fidelity."""
        from snas.search import FIDELITIES

        return {f: sum(e.fidelity == f for e in self.evaluations) for f in FIDELITIES}


def _same_model(a: FittedModel | None, b: FittedModel | None) -> bool:
    """The same weights and records (a model reloaded from its files is the same model)."""
    return a is not None and b is not None and (a is b or a.content_sha256() == b.content_sha256())


# ----------------------------------------------------------------------------- provenance
@dataclass(frozen=True)
class ModelFile:
    """The weights as an artefact: where they are (None in memory), sha256 and size."""

    path: str | None
    sha256: str
    bytes: int
    content_sha256: str | None = None  # model.json's: the weights and every record shaping a prediction

    @classmethod
    def of(cls, model: FittedModel, run: RunDirectory | None) -> ModelFile:
        """The weights' sha256 as :meth:`FittedModel.save` writes them; with a run, the run's
        model file that holds these weights — its selected model or the glass box it offers (a
        run's records describe its own models only)."""
        from safetensors.torch import save

        state = {k: v.detach().contiguous().cpu() for k, v in model.network.named_parameters()}
        blob = save(state)  # the bytes FittedModel.save writes: the same sha256 as its file
        sha = sha256_bytes(blob)
        if run is None:
            return cls(None, sha, len(blob), model.content_sha256())
        for which in run.MODELS:  # the same weights and the same records (an edited spec is another model)
            path = run.model_path(which) / "model.safetensors"
            if path.is_file() and sha256_file(path) == sha:
                meta = run.read_json(path.with_name("model.json"))
                content = meta.get("content_sha256") if isinstance(meta, dict) else None
                if content == model.content_sha256(str(meta.get("snas_version"))):
                    return cls(path.relative_to(run.path).as_posix(), sha, path.stat().st_size, content)
        held = " and ".join(str(run.model_path(w)) for w in run.MODELS if run.model_path(w).is_dir())
        raise ConfigError(
            f"{run.path}: the model to audit is none of this run's models ({held or 'none saved'} hold other "
            "weights or records); pass FittedModel.load(run.model_path(...)) unchanged, or the model's own "
            "SearchResult instead of the run"
        )

    @property
    def audited(self) -> str:
        """Which of a run's models this is: ``selected`` or ``glass-box`` (``selected`` in memory)."""
        return "glass-box" if self.path is not None and self.path.startswith("glass-box/") else "selected"


@dataclass(frozen=True)
class RunRecord:
    """Provenance a run directory keeps: its manifest (files, data, split, seeds, versions)."""

    manifest: Mapping[str, Any]
    manifest_sha256: str | None = None

    @classmethod
    def from_run(cls, run: RunDirectory) -> RunRecord:
        return cls(run.read_manifest(), sha256_file(run.manifest))


# ----------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class AuditInputs:
    """The model, the test split with its predictions, and the records around them."""

    model: FittedModel
    data: Dataset
    X: pd.DataFrame
    y_labels: np.ndarray
    proba: np.ndarray
    predict_seconds: float
    documentation: Documentation
    model_file: ModelFile
    search: SearchRecord | None = None
    run: RunRecord | None = None
    resamples: int = 1000

    @property
    def seed(self) -> int:
        return int(self.model.seed)

    @property
    def rules(self) -> RuleSet:
        return self.model.task.rules

    @property
    def classes(self) -> tuple[str, ...]:
        return self.model.task.classes

    @cached_property
    def positive(self) -> int:
        """Index of the class reports refer to (the rules' positive class, else the last)."""
        return self.classes.index(self.model.task.positive)

    @cached_property
    def y(self) -> np.ndarray:
        return self.model.task.class_index(self.y_labels)

    @cached_property
    def pred(self) -> np.ndarray:
        return np.asarray(self.proba.argmax(1))

    @cached_property
    def pred_labels(self) -> np.ndarray:
        return np.asarray(self.classes, dtype=object)[self.pred]

    @cached_property
    def boot(self) -> Bootstrap:
        return Bootstrap(len(self.y), resamples=self.resamples, seed=self.seed)

    @cached_property
    def rule_table(self) -> pd.DataFrame:
        """Per-rule fidelity on the test split (:func:`snas.metrics.rule_metrics`)."""
        from snas.metrics import rule_metrics

        return rule_metrics(
            self.rules, self.X, self.pred_labels, self.proba, list(self.classes), self.y_labels, self.model.task.schema
        )

    @cached_property
    def groups(self) -> dict[str, np.ndarray]:
        """Sensitive attribute → group per test row; numeric ones as bands (``age_band``),
        and the intersection of the first two categorical ones (``sex×race``)."""
        out: dict[str, np.ndarray] = {}
        for s in self.data.schema.sensitive:
            if s not in self.X.columns:
                continue
            numeric = self.data.schema.column(s).kind == "numeric"
            out[f"{s}_band" if numeric else s] = attribute_bands(self.X[s], s, numeric)
        cats = [s for s in self.data.schema.sensitive if s in out]
        if len(cats) >= 2:
            a, b = cats[0], cats[1]
            out[f"{a}×{b}"] = np.asarray([f"{u}×{v}" for u, v in zip(out[a], out[b], strict=True)], dtype=object)
        return out

    @property
    def single_groups(self) -> dict[str, np.ndarray]:
        """:attr:`groups` without intersections."""
        return {k: v for k, v in self.groups.items() if "×" not in k}


def attribute_bands(values: pd.Series, name: str, numeric: bool) -> np.ndarray:
    """Group labels of one attribute: levels as text (``missing`` for NaN); numbers in bands —
    age bands for ``age``, quartiles for any other numeric attribute."""
    if not numeric:
        return values.astype(object).where(values.notna(), "missing").to_numpy()
    v = values.to_numpy(dtype="float64", na_value=np.nan)
    if name == "age":
        labels = np.array(["<25", "25-44", "45-64", "65+"], dtype=object)
        out = labels[np.digitize(v, AGE_EDGES)]
    else:
        edges = np.unique(np.nanquantile(v, [0.25, 0.5, 0.75])) if np.isfinite(v).any() else np.array([])
        bounds = [-np.inf, *edges.tolist(), np.inf]
        labels = np.array([f"[{lo:g}, {hi:g})" for lo, hi in itertools.pairwise(bounds)], dtype=object)
        out = labels[np.digitize(v, edges)]
    out[np.isnan(v)] = "missing"
    return out


def as_fitted_model(model: Any) -> FittedModel:
    """A FittedModel, or a fitted SNASClassifier's ``model_``; anything else is refused."""
    from snas.model import FittedModel

    if isinstance(model, FittedModel):
        return model
    inner = getattr(model, "model_", None)
    if isinstance(inner, FittedModel):
        return inner
    if type(model).__name__ == "SNASClassifier":
        raise ConfigError("the SNASClassifier is not fitted yet; call fit(X, y) before build_report")
    raise ConfigError(
        f"build_report needs a FittedModel or a fitted SNASClassifier; got {type(model).__name__}. "
        "Load a saved model with snas.FittedModel.load(path)"
    )


def _search_and_run(search: Any, model: Any, fitted: FittedModel) -> tuple[SearchRecord | None, RunDirectory | None]:
    from snas.search import RunDirectory, SearchResult

    if search is None:
        result = getattr(model, "search_result_", None)  # a searched SNASClassifier keeps its search
        return (SearchRecord.from_result(result, fitted), None) if isinstance(result, SearchResult) else (None, None)
    if isinstance(search, SearchResult):
        return SearchRecord.from_result(search, fitted), None
    if isinstance(search, RunDirectory):
        return SearchRecord.from_run(search), search
    raise ConfigError(
        f"search must be a SearchResult, a RunDirectory or None; got {type(search).__name__} "
        "(for a run folder pass snas.RunDirectory(path))"
    )


def prepare_inputs(
    model: Any,
    data: Dataset,
    documentation: str | Path | Mapping[str, Any] | None,
    search: Any,
    *,
    manifest: Mapping[str, Any] | None = None,
    resamples: int = 1000,
) -> AuditInputs:
    """Resolve the arguments of :func:`build_report` (every check before any computing) and
    predict the test split once."""
    fitted = as_fitted_model(model)
    if data.test is None:
        raise ConfigError(f"dataset {data.name!r} has no test split to audit on; give it a test file or test_fraction")
    record, run_dir = _search_and_run(search, model, fitted)
    model_file = ModelFile.of(fitted, run_dir)
    if record is not None and run_dir is not None:
        record = replace(record, audited=model_file.audited)
    doc = Documentation.of(documentation)
    run = RunRecord(dict(manifest)) if manifest is not None else None
    if run is None and run_dir is not None:
        run = RunRecord.from_run(run_dir)
    X = data.X_test.reset_index(drop=True)
    start = time.perf_counter()
    proba = fitted.predict_proba(X)
    return AuditInputs(
        model=fitted,
        data=data,
        X=X,
        y_labels=data.y_test.astype(str).to_numpy(dtype=object),
        proba=proba,
        predict_seconds=time.perf_counter() - start,
        documentation=doc,
        model_file=model_file,
        search=record,
        run=run,
        resamples=resamples,
    )
