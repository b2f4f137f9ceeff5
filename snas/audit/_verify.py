"""``snas audit verify``: recompute hashes and headline metrics of a run and its report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import sha256_file

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs
    from snas.datasets import Dataset
    from snas.search import RunDirectory

__all__ = ["verify_run"]


def verify_run(run_dir: str | Path, *, data_dir: str | None = None, tolerance: float = 1e-6) -> list[str]:
    """Problems found (empty when the run is intact), each naming the file and field and the
    command that fixes it. Every report the run has (its selected model's, and its glass
    box's) is checked: report.md, report.html and report.cdx.json are rendered again from report.json and
    compared byte for byte; every headline metric (``ev:metric:*``, with its interval), every
    per-group metric and fairness gap (value, pass/fail, groups), every rule's fidelity (also
    per group), the rule summary and the monotonicity and flip checks are recomputed from the
    model and the data, each headline metric must lie within its own interval, and the risk
    register is derived again from the evidence.

    Without a signature this proves that a report is consistent with the run's model and
    data, not who wrote it: anyone can compute a report_id."""
    from snas.search import RunDirectory

    run = RunDirectory(run_dir)
    if not run.manifest.is_file():
        return [f"{run.manifest}: missing; this is not a run directory"]
    manifest = run.read_manifest()
    changed = _changed_run_files(run, manifest)
    problems: list[str] = []
    reports = []
    for which in run.MODELS:
        path = run.reports_of(which) / "report.json"
        report, found = _report(path, _fix(run, path))
        problems += found
        if report is not None:
            problems += _changed_since_report(run, report, path)
            reports.append((which, path, report))
    recorded = _recorded(manifest, data_dir)
    changed += _changed_data_files(manifest["data"], data_dir, recorded)
    if changed:  # the model or the data are not the run's: nothing to recompute from
        return changed + problems
    if reports:  # read once for every report of the run
        from snas.datasets import load

        ds = load(manifest["data"]["manifest"], data_dir=data_dir, download=False, recorded=recorded)
        for which, path, report in reports:
            problems += _recomputed(run, which, path, report, ds, tolerance)
    return problems


def _fix(run: RunDirectory, path: Path) -> str:
    """The exact command that writes the report at ``path`` again from the model and the data."""
    from snas.audit._report import audit_command

    return audit_command(path).replace("RUN_DIR", str(run.path))


def _report(path: Path, fix: str = "snas audit RUN_DIR") -> tuple[dict[str, Any] | None, list[str]]:
    """The report (None when there is none or it is damaged) and what is wrong with it: a
    damaged file, a body edited since it was written (its id is the sha256 of the body), or
    a Markdown or HTML file that is not what report.json renders to today (edited, or left by
    an earlier audit). The sha256 report.json records for its renderings is not trusted: it
    sits outside report_id, so anyone can rewrite it; the renderings are made again instead."""
    from snas.audit._bom import render_bom
    from snas.audit._provenance import BOM_FILE
    from snas.audit._render import render_html, render_markdown
    from snas.audit._report import AuditReport, read_report
    from snas.exceptions import ConfigError

    if not path.is_file():
        left = [path.with_name(n) for n in ("report.md", "report.html", BOM_FILE) if path.with_name(n).is_file()]
        return None, [f"{f}: left without its report.json; run '{fix}' again" for f in left]
    try:
        data = read_report(path)
    except ConfigError as exc:
        return None, [str(exc)]
    report = AuditReport.from_dict(data)
    if report.report_id != data["report_id"]:
        return None, [
            f"{path}: edited since it was written (its report_id is no longer the sha256 of its content); "
            f"run '{fix}' again"
        ]
    run_info = data.get("run_info")
    renderings = run_info.get("renderings") if isinstance(run_info, dict) else None
    info = {k: v for k, v in run_info.items() if k != "renderings"} if isinstance(run_info, dict) else {}
    problems = []
    renderers = {"report.md": render_markdown, "report.html": render_html, BOM_FILE: render_bom}
    for name, render in renderers.items():
        other = path.with_name(name)
        if not other.is_file():
            continue
        if isinstance(renderings, dict) and name not in renderings:
            problems.append(
                f"{other}: left by an earlier audit (this report.json was written without it); run '{fix}' again"
            )
            continue
        made = render(AuditReport(report.body, info)).encode("utf-8")
        found = other.read_bytes()
        if made != found:
            problems.append(
                f"{other}: edited since it was written (it is not what report.json renders to: "
                f"{_first_difference(made, found)}); run '{fix}' again" + _version_note(report.body)
            )
    return data, problems


def _first_difference(made: bytes, found: bytes) -> str:
    a, b = made.decode("utf-8", "replace").splitlines(), found.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            at = next((k for k, (u, v) in enumerate(zip(x, y, strict=False)) if u != v), min(len(x), len(y)))
            lo = max(at - 30, 0)
            return f"line {i} reads {y[lo : at + 50]!r} where report.json gives {x[lo : at + 50]!r}"
    return f"{len(b)} lines where report.json gives {len(a)}"


def _version_note(body: dict[str, Any]) -> str:
    """When another snas version wrote the report, its renderings may differ for that reason alone."""
    from snas import __version__

    written = (body.get("system") or {}).get("snas_version") if isinstance(body.get("system"), dict) else None
    if written and written != __version__:
        return f" (the report was written by snas {written}, this is snas {__version__})"
    return ""


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


#: Evidence recomputed from the model and the data: the headline metrics (intervals included),
#: the per-group metrics and the fairness gaps (values, pass/fail and groups), every rule's
#: fidelity (also per group), the rule summary, and the monotonicity and flip checks.
_RECOMPUTED = (
    "ev:metric:",
    "ev:calibration",
    "ev:group:",
    "ev:gap:",
    "ev:rule:",
    "ev:rules:",
    "ev:monotonicity:",
    "ev:flip:",
)
#: The fields of the metric items compared (their wording and notes may change between versions).
_CHECKED = ("value", "ci95", "n", "threshold", "pass", "groups", "small_group")
#: The fields of the rule evidence compared, by kind: every number and verdict, and the rule's
#: own text; a method's, caveat's or criterion's wording may change between versions.
_VERDICT = ("kind", "value", "n", "threshold", "pass")
_RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "rule_fidelity": (
        *_VERDICT,
        *("ci95", "rule", "strength", "head", "condition", "unless", "coverage", "violations"),
        *("violation_rate", "expected_violation", "label_agreement", "excess_violation", "violation_example_rows"),
    ),
    "rule_fidelity_by_group": ("kind", "value", "rule", "attribute"),
    "rule_summary": (*_VERDICT, "hard_violations", "macro_compliance", "f_soft"),
    "monotonicity": (*_VERDICT, "feature", "direction", "grid_points", "unconstrained_copies"),
    "flip_rate": (*_VERDICT, "feature", "levels_observed", "substitutes_tried"),
}

#: A recomputed item and the fields of it that are compared.
_Recomputed = dict[str, tuple[dict[str, Any], tuple[str, ...]]]


def _recomputed(
    run: RunDirectory,
    which: str,
    path: Path,
    report: dict[str, Any],
    ds: Dataset,
    tolerance: float,
) -> list[str]:
    """The report at ``path`` against the model (``which`` of the run's) and the data, with the
    audit's own functions (:func:`_evidence_again`), field by field; each headline value within
    its own interval; no recomputable item the model and the data do not give; and the risk
    register derived again from the evidence put right (recomputed fields as recomputed, items
    added by hand left out)."""
    from snas.audit._inputs import prepare_inputs
    from snas.audit._risk import risk_register
    from snas.model import FittedModel

    fix = f"run '{_fix(run, path)}' again to write it from the model and the data"
    items = _evidence_items(report)
    ev = {e["id"]: e for e in items}
    if not isinstance((ev.get("ev:metric:accuracy") or {}).get("value"), (int, float)):
        return [f"{path}: records no accuracy (ev:metric:accuracy); {fix}"]
    model = FittedModel.load(run.model_path(which))
    inputs = prepare_inputs(model, ds, None, None, resamples=_resamples(ev["ev:metric:accuracy"]))
    want = _evidence_again(inputs)
    problems = _compared(path, ev, want, fix, tolerance)
    problems += _added_or_outside(ev, set(want), path, fix, tolerance)
    # the register the evidence gives once put right: recomputed fields as recomputed, added items left out
    corrected = [
        {**e, **_fields_of(*want[e["id"]])} if e["id"] in want else e
        for e in items
        if e["id"] in want or not e["id"].startswith(_RECOMPUTED)
    ]
    problems += _risk_problems(path, risk_register(corrected), report.get("risk_register"), fix)
    return problems


def _evidence_items(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's evidence items that have an id (anything else in the list is left out)."""
    evidence = report.get("evidence")
    if not isinstance(evidence, list):
        return []
    return [e for e in evidence if isinstance(e, dict) and isinstance(e.get("id"), str)]


def _evidence_again(inputs: AuditInputs) -> _Recomputed:
    """Every recomputable item, by id, with the fields compared. Headline metrics: exact,
    intervals included (same resamples, same seed). Per-group metrics and gaps: their values
    and pass/fail; their intervals are not resampled again, which would take the audit's
    minutes. Rule evidence (:func:`~snas.audit._rule_evidence.rule_evidence`): exact, as it
    has nothing random but the rows the monotonicity and flip checks sample, drawn with the
    model's seed as the audit draws them; its wording (method, caveat, criterion) is not
    compared."""
    from dataclasses import replace

    from snas.audit._metrics import group_evidence, performance_evidence
    from snas.audit._report import rounded
    from snas.audit._rule_evidence import rule_evidence

    quick = replace(inputs, resamples=2)  # group points and pass/fail; their intervals stay as written
    points = tuple(k for k in _CHECKED if k != "ci95")
    out: _Recomputed = {e["id"]: (rounded(e), _CHECKED) for e in performance_evidence(inputs)}
    out |= {e["id"]: (rounded(e), points) for e in group_evidence(quick)}
    out |= {e["id"]: (rounded(e), _RULE_FIELDS.get(e["kind"], _VERDICT)) for e in rule_evidence(inputs)}
    return out


def _fields_of(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The compared fields of a recomputed item (those it has)."""
    return {k: item[k] for k in fields if k in item}


def _compared(path: Path, ev: dict[str, dict[str, Any]], want: _Recomputed, fix: str, tolerance: float) -> list[str]:
    """Each recomputed item against the one written: missing, or each compared field that
    differs (within ``dict`` values, the first key that differs is named)."""
    problems = []
    for id_, (item, fields) in want.items():
        got = ev.get(id_)
        if got is None:
            problems.append(f"{path}: evidence {id_} is missing (the model and the data give it); {fix}")
            continue
        lacking = [k for k in fields if k in item and k not in got]
        if lacking:  # a report from an earlier snas: one message, not one per field
            problems.append(
                f"{path}: evidence {id_} lacks {', '.join(map(repr, lacking))}: written by an earlier snas; {fix}"
            )
            continue
        for key in fields:
            if not _same(item.get(key), got.get(key), tolerance):
                at, a, b = _first_difference_in(item.get(key), got.get(key), tolerance)
                problems.append(
                    f"{path}: evidence {id_} field {key!r}{at} is {_shown(b)}, the model and the data "
                    f"give {_shown(a)}; {fix}"
                )
    return problems


def _first_difference_in(want: Any, got: Any, tolerance: float, at: str = "") -> tuple[str, Any, Any]:
    """Where two values first differ, descending through mappings with the same keys
    (`` at ["Female"]["violation_rate"]``), and the two values there."""
    if isinstance(want, dict) and isinstance(got, dict) and want.keys() == got.keys():
        k = next((k for k in want if not _same(want[k], got[k], tolerance)), None)
        if k is not None:
            step = f"[{_shown(k)}]"
            return _first_difference_in(want[k], got[k], tolerance, f"{at}{step}" if at else f" at {step}")
    return at, want, got


def _added_or_outside(
    ev: dict[str, dict[str, Any]], known: set[str], path: Path, fix: str, tolerance: float
) -> list[str]:
    """Recomputable evidence the model and the data do not give (added by hand), and headline
    metrics outside their own 95% interval (a percentile interval of a rate or an AUC holds its
    value; a fairness gap's bias-corrected interval need not, so gaps are not held to it)."""
    problems = []
    for id_, e in ev.items():
        if id_.startswith(_RECOMPUTED) and id_ not in known:
            problems.append(f"{path}: evidence {id_} is not one the model and the data give (added); {fix}")
        ci, value = e.get("ci95"), e.get("value")
        if (
            id_.startswith("ev:metric:")
            and isinstance(ci, list)
            and len(ci) == 2
            and all(isinstance(v, (int, float)) for v in ci)
            and isinstance(value, (int, float))
            and not ci[0] - tolerance <= value <= ci[1] + tolerance
        ):
            problems.append(f"{path}: evidence {id_} value {value} lies outside its own 95% interval {ci}; {fix}")
    return problems


def _resamples(e: dict[str, Any]) -> int:
    """The bootstrap resamples an item was computed with (``bootstrap-percentile-1000``)."""
    method = str(e.get("method") or "")
    tail = method.rsplit("-", 1)[-1]
    return int(tail) if method.startswith("bootstrap-percentile-") and tail.isdigit() else 1000


def _same(a: Any, b: Any, tolerance: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= max(tolerance, 1e-6) + 1e-12
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, tolerance) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], tolerance) for k in a)
    return bool(a == b)


def _shown(v: Any) -> str:
    import json

    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _risk_problems(path: Path, derived: list[dict[str, Any]], written: Any, fix: str) -> list[str]:
    """The risk register as written against the one the evidence gives (entry by entry)."""
    have = {r.get("id"): r for r in written if isinstance(r, dict)} if isinstance(written, list) else {}
    want = {r["id"]: r for r in derived}
    problems = []
    for id_, r in want.items():
        if id_ not in have:
            problems.append(f"{path}: risk_register lacks {id_} ({r['finding']}), which {r['evidence']} gives; {fix}")
        else:
            for key in ("evidence",):  # the finding's wording may change between snas versions
                if have[id_].get(key) != r[key]:
                    problems.append(
                        f"{path}: risk_register entry {id_} field {key!r} is {_shown(have[id_].get(key))}, "
                        f"the evidence gives {_shown(r[key])}; {fix}"
                    )
    problems += [
        f"{path}: risk_register entry {id_} is not one the evidence gives; {fix}" for id_ in have if id_ not in want
    ]
    return problems
