"""build_report: a fitted model + its dataset (+ documentation, search, provenance) → AuditReport.

Computing is separate from rendering: every evidence family below returns plain data, the
sections are filled from it, and :mod:`snas.audit._render` draws the result.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import sha256_file
from snas.audit._context import context_evidence
from snas.audit._documentation import load_documentation
from snas.audit._explain import explanation_evidence
from snas.audit._glassbox import glassbox_evidence, is_glass_box
from snas.audit._impact import rule_impact
from snas.audit._inputs import AuditInputs, prepare_inputs
from snas.audit._metrics import group_evidence, performance_evidence
from snas.audit._probes import proxy_evidence, robustness_evidence, weak_slices
from snas.audit._provenance import environment, provenance
from snas.audit._report import SCHEMA_VERSION, AuditReport, read_report, rounded
from snas.audit._risk import risk_register
from snas.audit._rule_evidence import rule_evidence
from snas.audit._section_fields import sections
from snas.exceptions import ConfigError

if TYPE_CHECKING:
    from snas.audit._memory import MemoryProbe
    from snas.datasets import Dataset
    from snas.estimator import SNASClassifier
    from snas.model import FittedModel
    from snas.search import RunDirectory, SearchResult

__all__ = ["EVIDENCE_FAMILIES", "build_report", "load_documentation", "open_run", "report_for_run"]

Family = Callable[[AuditInputs], list[dict[str, Any]]]


def explanations(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Exact term contributions and shapes for a glass box; permutation SHAP for an MLP."""
    return glassbox_evidence(inputs) if is_glass_box(inputs.model) else explanation_evidence(inputs)


#: Each family of evidence, in the order it is computed (the name labels its timing).
EVIDENCE_FAMILIES: tuple[tuple[str, Family], ...] = (
    ("overall metrics with bootstrap intervals", performance_evidence),
    ("per-group metrics and fairness gaps", group_evidence),
    ("rule fidelity, monotonicity and flip checks", rule_evidence),
    ("rule impact: each hard rule switched off, each soft rule in the search history", rule_impact),
    ("proxy check", proxy_evidence),
    ("robustness probes", robustness_evidence),
    ("explanations (exact for glass boxes, SHAP for MLPs), example decisions and counterfactuals", explanations),
    ("weak slices", weak_slices),
    ("search history, data profiles and resources", context_evidence),
)


class _Timer:
    """Durations of the stages (reported in run_info, outside the content hash)."""

    def __init__(self, progress: bool) -> None:
        self.progress = progress
        self.start = self.last = time.perf_counter()
        self.durations: dict[str, float] = {}

    def tick(self, name: str) -> None:
        """A stage has finished: its own duration, then the time since the audit started."""
        now = time.perf_counter()
        self.durations[name] = round(now - self.last, 3)
        if self.progress:
            print(
                f"  {name}: {now - self.last:.1f}s (audit running for {now - self.start:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
        self.last = now

    def total(self) -> float:
        return round(time.perf_counter() - self.start, 3)


def build_report(
    model: FittedModel | SNASClassifier,
    data: Dataset,
    documentation: str | Path | Mapping[str, Any] | None = None,
    search: SearchResult | RunDirectory | None = None,
    *,
    manifest: Mapping[str, Any] | None = None,
    parent: str | Path | None = None,
    resamples: int = 1000,
    progress: bool = False,
    measure_memory: bool = False,
) -> AuditReport:
    """Compute the EU AI Act evidence of a fitted model on its dataset's test split.

    Facts that need a record the call was not given (the search history, a run's artefact
    manifest) are marked ``not_applicable`` or ``missing`` with the reason, never invented.

    Parameters
    ----------
    model : FittedModel or SNASClassifier
        A fitted estimator is audited through ``model_`` (and ``search_result_`` if it searched).
    data : Dataset
        From :func:`snas.datasets.load` or :func:`~snas.datasets.from_frame`; its test split is measured.
    documentation : path, mapping or None
        The human-written fields: an ``audit/*.yaml`` file or its mapping; None leaves them ``missing``.
    search : SearchResult, RunDirectory or None
        The search behind the model; a RunDirectory also brings the run's manifest and model file.
    manifest : mapping, optional
        A run manifest (``manifest.json``) for the provenance block.
    parent : path, optional
        The previous ``report.json``; its id becomes ``parent_report_id``.
    resamples : int
        Bootstrap resamples for the intervals.
    progress : bool
        Print each stage as it finishes, with its own duration, to standard error.
    measure_memory : bool, default=False
        Measure the peak memory of a fresh process loading the model and scoring 1,000 test
        rows (a few seconds; kept in ``run_info`` beside the latency). ``snas audit`` does.

    Returns
    -------
    AuditReport
        Data: ``body`` (hashed into ``report_id``) and ``run_info`` (timings, not hashed); write
        its renderings with :func:`snas.audit.write_report_files`.

    Examples
    --------
    >>> from snas import SNASClassifier, build_report, load_rules
    >>> from snas.audit import write_report_files
    >>> from snas.datasets import load
    >>> data = load("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> clf = SNASClassifier(rules=load_rules("rules/census_income.yaml"), random_state=0)  # doctest: +SKIP
    >>> report = build_report(clf.fit(data.X_train, data.y_train), data, "audit/census_income.yaml")  # doctest: +SKIP
    >>> write_report_files(report, "reports/")  # doctest: +SKIP
    """
    parent_id = None if parent is None else read_report(parent)["report_id"]  # checked before the work
    timer = _Timer(progress)
    inputs = prepare_inputs(model, data, documentation, search, manifest=manifest, resamples=resamples)
    timer.tick("predict the test split")
    probe = _memory_probe(inputs) if measure_memory else None  # runs beside the evidence
    try:
        evidence: list[dict[str, Any]] = []
        for name, family in EVIDENCE_FAMILIES:
            evidence += family(inputs)
            timer.tick(name)
        body = _body(inputs, evidence, risk_register(evidence), parent_id)
        memory = probe.result() if probe is not None else None
    finally:
        if probe is not None:
            probe.close()
    if memory is not None:
        timer.tick("inference memory, measured in a fresh process")  # the time waited for it at the end
    info = _run_info(inputs, timer)
    if memory is not None:
        info["inference_memory"] = memory
    return AuditReport(body, info)


def _memory_probe(inputs: AuditInputs) -> MemoryProbe:
    from snas.audit._memory import MemoryProbe

    return MemoryProbe(inputs.model, inputs.X)


def _body(
    inputs: AuditInputs, evidence: list[dict[str, Any]], risk: list[dict[str, Any]], parent_id: str | None
) -> dict[str, Any]:
    config = (inputs.search.config if inputs.search is not None else None) or {}
    doc = inputs.documentation.fields
    prov = provenance(inputs)
    return {
        "schema_version": SCHEMA_VERSION,
        "parent_report_id": parent_id,
        "system": {
            "name": _system_name(doc) or config.get("name") or inputs.data.name,
            "version": prov["model"]["sha256"][:12],
            "snas_version": environment(inputs).get("snas"),
        },
        "provenance": prov,
        "sections": sections(inputs, evidence, risk),
        "evidence": [rounded(e) for e in sorted(evidence, key=lambda e: e["id"])],
        "risk_register": risk,
        "approvals": [
            {**{k: a.get(k) for k in ("role", "name", "date")}, "content_hash": _stripped(a.get("content_id"))}
            for a in (doc.get("approvals") or [])
        ],
    }


def _stripped(ids: Any) -> str | list[str] | None:
    """An approval's content id(s) as written, stripped (the documentation file checked them)."""
    if isinstance(ids, list):
        return [str(i).strip() for i in ids] or None
    return ids.strip() if isinstance(ids, str) and ids.strip() else None


def _system_name(doc: Mapping[str, Any]) -> str | None:
    """The documentation's system name when it gives one as text (not e.g. a status)."""
    system = doc.get("system")
    name = system.get("name") if isinstance(system, Mapping) else None
    return name if isinstance(name, str) and name.strip() else None


def _run_info(inputs: AuditInputs, timer: _Timer) -> dict[str, Any]:
    return {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "durations_s": timer.durations,
        "inference_us_per_row": round(inputs.predict_seconds / max(len(inputs.X), 1) * 1e6, 3),
        "cpu_count": os.cpu_count(),
        "total_seconds": timer.total(),
        "host": platform.node(),
        "data_lookup": inputs.data.lookups(),  # where the files were found: not content (sha256 is)
    }


# ----------------------------------------------------------------------------- runs
def _documentation_path(run: RunDirectory, config: Mapping[str, Any]) -> Path | None:
    """The run's own copy, else ``audit/<config name>.yaml`` beside the search folder or here."""
    guesses = [run.documentation]
    name = config.get("name", "")
    if config.get("source"):
        guesses.append(Path(config["source"]).resolve().parent.parent / "audit" / f"{name}.yaml")
    guesses.append(Path.cwd() / "audit" / f"{name}.yaml")
    return next((g for g in guesses if g.is_file()), None)


def open_run(
    run_dir: str | Path, data_dir: str | None = None, model: str = "selected"
) -> tuple[RunDirectory, FittedModel, Dataset]:
    """A finished run, one of its models (``selected``, or the ``glass-box`` it offers) and its
    dataset (found where the run found the files when ``data_dir`` is None; sha256 checked)."""
    from snas.datasets import load, recorded_locations
    from snas.model import FittedModel
    from snas.search import RunDirectory

    run = RunDirectory(run_dir)
    folder = run.require_model(model)
    manifest = run.read_manifest()
    for f in (folder / "model.json", folder / "model.safetensors"):  # the run's own model, as it wrote it
        recorded = (manifest.get("files") or {}).get(f.relative_to(run.path).as_posix()) or {}
        if sha256_file(f) != recorded.get("sha256"):
            raise ConfigError(
                f"{f}: not the file the run wrote (sha256 differs from manifest.json); restore it — "
                f"'snas audit verify {run.path}' lists every change"
            )
    fitted = FittedModel.load(folder)
    dataset = manifest["data"].get("manifest") or (run.read_summary().get("config") or {}).get("dataset")
    if not dataset:
        raise ConfigError(f"{run.manifest}: names no dataset manifest; run 'snas search' again")
    recorded = None if data_dir else recorded_locations(manifest["data"])
    return run, fitted, load(dataset, data_dir=data_dir, recorded=recorded)


def report_for_run(
    run_dir: str | Path,
    *,
    documentation: str | Path | None = None,
    data_dir: str | None = None,
    parent: str | Path | None = None,
    resamples: int = 1000,
    progress: bool = False,
    model: str = "selected",
) -> AuditReport:
    """The report of one of a run's models (``selected``, or the ``glass-box`` it offers):
    :func:`build_report` with the run as the search record and provenance; documentation
    defaults to the run's copy or ``audit/<name>.yaml``."""
    run, fitted, data = open_run(run_dir, data_dir, model)
    config = run.read_summary().get("config") or {}
    doc = documentation if documentation is not None else _documentation_path(run, config)
    return build_report(
        fitted, data, doc, run, parent=parent, resamples=resamples, progress=progress, measure_memory=True
    )
