"""``snas audit verify``: recompute hashes and headline metrics of a run and its report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import sha256_file

if TYPE_CHECKING:
    from snas.search import RunDirectory

__all__ = ["verify_run"]


def verify_run(run_dir: str | Path, *, data_dir: str | None = None, tolerance: float = 1e-6) -> list[str]:
    """Problems found (empty when the run is intact): changed files named one by one. Every
    report the run has (its selected model's, and its glass box's) is checked."""
    from snas.search import RunDirectory

    run = RunDirectory(run_dir)
    if not run.manifest.is_file():
        return [f"{run.manifest}: missing; this is not a run directory"]
    manifest = run.read_manifest()
    problems = _changed_run_files(run, manifest)
    reports = []
    for which in run.MODELS:
        report, found = _report(run.reports_of(which) / "report.json")
        problems += found
        if report is not None:
            problems += _changed_since_report(run, report, run.reports_of(which) / "report.json")
            reports.append((which, report))
    recorded = _recorded(manifest, data_dir)
    problems += _changed_data_files(manifest["data"], data_dir, recorded)
    if problems:
        return problems
    for which, report in reports:
        problems += _changed_metrics(run, which, manifest, report, data_dir, recorded, tolerance)
    return problems


def _report(path: Path) -> tuple[dict[str, Any] | None, list[str]]:
    """The report (None when there is none or it is damaged) and what is wrong with it: a
    damaged file, a body edited since it was written (its id is the sha256 of the body), or
    a Markdown or HTML file that is not one of the renderings it recorded (edited, or left by
    an earlier audit; reports written before renderings were recorded are not checked)."""
    from snas.audit._report import AuditReport, audit_command, read_report
    from snas.exceptions import ConfigError

    again = audit_command(path)
    if not path.is_file():
        left = [path.with_name(n) for n in ("report.md", "report.html") if path.with_name(n).is_file()]
        return None, [f"{f}: left without its report.json; run '{again}' again" for f in left]
    try:
        data = read_report(path)
    except ConfigError as exc:
        return None, [str(exc)]
    if AuditReport.from_dict(data).report_id != data["report_id"]:
        return None, [f"{path}: edited since it was written (its report_id is no longer the sha256 of its content)"]
    run_info = data.get("run_info")
    renderings = run_info.get("renderings") if isinstance(run_info, dict) else None
    if not isinstance(renderings, dict):
        return data, []  # written before renderings were recorded
    problems = []
    for name in ("report.md", "report.html"):
        other = path.with_name(name)
        if not other.is_file():
            continue
        if name not in renderings:
            problems.append(
                f"{other}: left by an earlier audit (this report.json was written without it); run '{again}' again"
            )
        elif sha256_file(other) != renderings[name]:
            problems.append(f"{other}: edited since it was written (sha256 differs from the one report.json records)")
    return data, problems


def _recorded(manifest: dict[str, Any], data_dir: str | None) -> dict[str, str]:
    """Without data_dir, first where the run found each file (then the usual search order)."""
    from snas.datasets import recorded_locations

    return {} if data_dir else recorded_locations(manifest["data"])


def _changed_run_files(run: RunDirectory, manifest: dict[str, Any]) -> list[str]:
    problems = []
    for rel, info in sorted(manifest["files"].items()):
        p = run.path / rel
        if not p.is_file():
            problems.append(f"{p}: missing (listed in manifest.json)")
        elif sha256_file(p) != info["sha256"]:
            problems.append(f"{p}: changed since the run (sha256 differs from manifest.json)")
    return problems


def _changed_since_report(run: RunDirectory, report: dict[str, Any], path: Path) -> list[str]:
    """The run's manifest and documentation against what the report at ``path`` recorded."""
    from snas.audit._report import audit_command

    recorded = report.get("provenance")
    prov: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    problems = []
    again = f"run '{audit_command(path)}' again to report on the files as they are now"
    if sha256_file(run.manifest) != prov.get("run_manifest_sha256"):
        problems.append(f"{run.manifest}: changed since {path} was written; {again}")
    doc = prov.get("documentation")
    if isinstance(doc, dict) and run.documentation.is_file() and sha256_file(run.documentation) != doc.get("sha256"):
        problems.append(f"{run.documentation}: changed since {path} was written; {again}")
    return problems


def _changed_data_files(data: dict[str, Any], data_dir: str | None, recorded: dict[str, str]) -> list[str]:
    """Locate the data files again and compare them with the recorded hashes."""
    from snas.datasets import load_manifest, locate_file
    from snas.exceptions import DatasetError

    problems = []
    if not data.get("manifest"):
        return ["manifest.json: names no dataset manifest, so the data cannot be checked again"]
    try:
        m = load_manifest(data["manifest"])
    except DatasetError as exc:
        return [f"dataset manifest: {exc}"]
    for rec in data["files"]:
        f = m.files.get(rec.get("role")) or next((x for x in m.files.values() if x.path == rec.get("path")), None)
        if f is None:
            continue
        try:
            path, _ = locate_file(f, data_dir, download=False, recorded=recorded.get(f.path))
        except DatasetError as exc:
            problems.append(str(exc).split(";")[0])
            continue
        if sha256_file(path) != rec["sha256"]:
            problems.append(f"{path}: data file differs from the run's record")
    return problems


def _changed_metrics(
    run: RunDirectory,
    which: str,
    manifest: dict[str, Any],
    report: dict[str, Any],
    data_dir: str | None,
    recorded: dict[str, str],
    tolerance: float,
) -> list[str]:
    """Accuracy and hard-rule violations recomputed from the model (``which`` of the run's) and the data."""
    import numpy as np

    from snas.datasets import load
    from snas.metrics import rule_metrics, rule_summary
    from snas.model import FittedModel

    model = FittedModel.load(run.model_path(which))
    ds = load(manifest["data"]["manifest"], data_dir=data_dir, download=False, recorded=recorded)
    X, y = ds.X_test.reset_index(drop=True), ds.y_test.astype(str).to_numpy()
    proba = model.predict_proba(X)
    pred = np.asarray(model.task.classes, dtype=object)[proba.argmax(1)]
    evidence = report.get("evidence")
    ev = {e.get("id"): e for e in evidence if isinstance(e, dict)} if isinstance(evidence, list) else {}
    name = "" if which == "selected" else f" ({which})"
    accuracy = (ev.get("ev:metric:accuracy") or {}).get("value")
    if not isinstance(accuracy, (int, float)):
        return [f"the report{name} records no accuracy (ev:metric:accuracy); write it again with snas audit"]
    problems = []
    acc = float((pred == y).mean())
    if abs(acc - accuracy) > tolerance:
        problems.append(f"accuracy recomputed {acc:.6f} ≠ report{name} {accuracy:.6f}")
    rules = model.task.rules
    if len(rules):
        s = rule_summary(rule_metrics(rules, X, pred, proba, list(model.task.classes), y, model.task.schema))
        if s["hard_violations"] != (ev.get("ev:rules:summary") or {}).get("hard_violations"):
            problems.append(f"hard-rule violations recomputed differ from the report{name}")
    return problems
