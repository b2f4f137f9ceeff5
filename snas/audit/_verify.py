"""``snas audit verify``: recompute hashes and headline metrics of a run and its report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import sha256_file

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs
    from snas.audit._report import AuditReport
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
    register is derived again from the evidence. The package fields (installed_packages,
    package_lock, provenance.packages_sha256) are derived again from manifest.json (whose lock
    hash is recomputed from its package list), the approvals (also Annex IV 2(g)'s field) from
    the documentation file; a rendering run_info lists, or the run's documentation copy the
    report was written from, that is gone is named.

    Without a signature this proves that a report is consistent with the run's model and
    data, not who wrote it: anyone can compute a report_id."""
    from snas.audit._provenance import package_record_problems
    from snas.search import RunDirectory

    run = RunDirectory(run_dir)
    if not run.manifest.is_file():
        return [f"{run.manifest}: missing; this is not a run directory"]
    manifest = run.read_manifest()
    changed = _changed_run_files(run, manifest)
    problems: list[str] = [f"{run.manifest}: {p}" for p in package_record_problems(manifest)]
    reports = []
    for which in run.MODELS:
        path = run.reports_of(which) / "report.json"
        report, found = _report(path, _fix(run, path))
        problems += found
        if report is not None:
            problems += _changed_since_report(run, report, path) + _derived_from_run(run, manifest, report, path)
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
    an earlier audit), or missing. The sha256 report.json records for its renderings is not
    trusted: it sits outside report_id, so anyone can rewrite it; the renderings are made again
    instead (the record only words the message)."""
    from snas.audit._provenance import BOM_FILE
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
    return data, _rendering_problems(path, report, data.get("run_info"), fix)


def _rendering_problems(path: Path, report: AuditReport, run_info: Any, fix: str) -> list[str]:
    """Each rendering beside ``path`` against what report.json renders to today; a rendering
    that ``run_info.renderings`` lists and that is gone; a rendering it does not list (left by
    an earlier audit)."""
    from snas.audit._bom import render_bom
    from snas.audit._provenance import BOM_FILE
    from snas.audit._render import render_html, render_markdown
    from snas.audit._report import AuditReport

    renderings = run_info.get("renderings") if isinstance(run_info, dict) else None
    info = {k: v for k, v in run_info.items() if k != "renderings"} if isinstance(run_info, dict) else {}
    problems = []
    renderers = {"report.md": render_markdown, "report.html": render_html, BOM_FILE: render_bom}
    for name, render in renderers.items():
        other = path.with_name(name)
        listed = isinstance(renderings, dict) and name in renderings
        if not other.is_file():
            if listed:
                problems.append(
                    f"{other}: missing (report.json lists it in run_info.renderings: it was written with the "
                    f"report); run '{fix}' again to write it"
                )
            continue
        if isinstance(renderings, dict) and not listed:
            problems.append(
                f"{other}: left by an earlier audit (this report.json was written without it); run '{fix}' again"
            )
            continue
        made = render(AuditReport(report.body, info)).encode("utf-8")
        found = other.read_bytes()
        if made != found:
            recorded = renderings.get(name) if isinstance(renderings, dict) else None
            problems.append(_rendering_differs(other, made, found, recorded, report.body, fix))
    return problems


def _rendering_differs(other: Path, made: bytes, found: bytes, recorded: Any, body: dict[str, Any], fix: str) -> str:
    """Why a rendering is not what report.json renders to: edited since it was written (its
    sha256 is not the one recorded when it was written), or written by another snas build (it
    is; this build renders differently). The record sits in run_info, outside report_id: a file
    edited together with its record reads as the latter unless this build wrote the report."""
    from snas._util import sha256_bytes

    where = _first_difference(made, found)
    differs = f"it is not what report.json renders to: {where}"
    if not isinstance(recorded, str):  # written before snas recorded its renderings
        return f"{other}: edited since it was written ({differs}); run '{fix}' again" + _version_note(body)
    if sha256_bytes(found) != recorded:
        return (
            f"{other}: edited since it was written (its sha256 is not the one report.json recorded for it in "
            f"run_info.renderings; {differs}); run '{fix}' again"
        )
    builds = _builds(body)
    if builds is None:  # this build wrote the report: the record was rewritten with the file
        return (
            f"{other}: edited since it was written ({differs}; the sha256 recorded for it in run_info.renderings, "
            "outside report_id, was rewritten to match — or this snas checkout has uncommitted changes to its "
            f"renderers); run '{fix}' again"
        )
    return (
        f"{other}: written by another snas build ({builds}): its sha256 is the one report.json recorded for it "
        f"when it was written, but this build renders report.json differently ({where}); run '{fix}' again to "
        "render it with this build (the record is in run_info, outside report_id, so it does not prove the file "
        "unedited)"
    )


def _builds(body: dict[str, Any]) -> str | None:
    """The build that wrote the report and this one, or None when both are the same commit and version."""
    from snas import __version__
    from snas.audit._report import git_commit

    system, prov = body.get("system"), body.get("provenance")
    written = system.get("snas_version") if isinstance(system, dict) else None
    code = prov.get("code") if isinstance(prov, dict) else None
    commit = code.get("commit") if isinstance(code, dict) else None
    here = git_commit()
    if isinstance(commit, str) and commit == here and written == __version__:
        return None
    return (
        f"the report was written by snas {written or 'of an unknown version'} at commit "
        f"{str(commit)[:12] if commit else 'unknown'}, this is snas {__version__} at commit "
        f"{here[:12] if here else 'unknown'}"
    )


def _first_difference(made: bytes, found: bytes) -> str:
    a, b = made.decode("utf-8", "replace").splitlines(), found.decode("utf-8", "replace").splitlines()
    for i, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            at = next((k for k, (u, v) in enumerate(zip(x, y, strict=False)) if u != v), min(len(x), len(y)))
            lo = max(at - 30, 0)
            return f"line {i} reads {y[lo : at + 50]!r} where report.json gives {x[lo : at + 50]!r}"
    return f"{len(b)} lines where report.json gives {len(a)}"


def _version_note(body: dict[str, Any]) -> str:
    """When another snas build (version or commit) wrote the report, its renderings may differ
    for that reason alone; without a recorded sha256 an edit cannot be told from that."""
    builds = _builds(body)
    if builds is None:
        return ""
    return (
        f" ({builds}: another build may render the same report.json differently, and report.json records no "
        "sha256 of its renderings to tell that from an edit)"
    )


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
    """The run's manifest and documentation against what the report at ``path`` recorded; the
    run's documentation copy the report was written from and that is gone."""
    recorded = report.get("provenance")
    prov: dict[str, Any] = recorded if isinstance(recorded, dict) else {}
    problems = []
    again = f"run '{_fix(run, path)}' again to report on the files as they are now"
    if sha256_file(run.manifest) != prov.get("run_manifest_sha256"):
        problems.append(f"{run.manifest}: changed since {path} was written; {again}")
    doc = prov.get("documentation")
    if not isinstance(doc, dict):
        return problems
    if run.documentation.is_file():
        if sha256_file(run.documentation) != doc.get("sha256"):
            problems.append(f"{run.documentation}: changed since {path} was written; {again}")
    elif doc.get("path") == run.documentation.name:
        problems.append(
            f"{run.documentation}: missing, yet {path} was written from it (provenance.documentation), so its "
            "approvals and human-written fields cannot be checked; restore it, or run "
            f"'{_fix(run, path)} --documentation FILE' to write the report again from your documentation file"
        )
    return problems


def _derived_from_run(run: RunDirectory, manifest: dict[str, Any], report: dict[str, Any], path: Path) -> list[str]:
    """The report's fields that the run's own files give, each against them: the package fields
    (installed_packages, package_lock, provenance.packages_sha256) from manifest.json, and the
    approvals (also Annex IV 2(g)'s field) from the documentation file. A manifest changed since
    the report, or with package fields snas does not write, is reported on its own."""
    from snas.audit._provenance import package_record_problems, packages_of

    prov = _mapping(report.get("provenance"))
    fix = f"run '{_fix(run, path)}' again to write them from the run's files"
    problems = []
    if sha256_file(run.manifest) == prov.get("run_manifest_sha256") and not package_record_problems(manifest):
        problems += _package_problems(path, report, packages_of(manifest, "run manifest"), fix)
    return problems + _approval_problems(run, report, path, fix)


_PACKAGE_FIELDS = ("installed_packages", "package_lock")


def _mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def _sequence(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def _fields_named(report: dict[str, Any], names: tuple[str, ...]) -> list[tuple[str, str, Any]]:
    """(section id, field name, field) of every section field named in ``names``."""
    sections = report.get("sections")
    return [
        (sid, name, field)
        for sid, sec in (sections.items() if isinstance(sections, dict) else [])
        if isinstance(sec, dict) and isinstance(sec.get("fields"), dict)
        for name, field in sec["fields"].items()
        if name in names
    ]


def _package_problems(path: Path, report: dict[str, Any], installed: dict[str, Any], fix: str) -> list[str]:
    """The package fields of the report against those manifest.json gives (``installed``)."""
    prov = _mapping(report.get("provenance"))
    problems = []
    if prov.get("packages_sha256") != installed["sha256"]:
        problems.append(
            f"{path}: provenance.packages_sha256 is {_shown(prov.get('packages_sha256'))}, manifest.json gives "
            f"{_shown(installed['sha256'])}; {fix}"
        )
    found = _fields_named(report, _PACKAGE_FIELDS)
    if installed["records"] is not None:
        have = {name for _, name, _ in found}
        problems += [
            f"{path}: field {n!r} is missing; manifest.json gives it; {fix}" for n in _PACKAGE_FIELDS if n not in have
        ]
    for sid, name, field in found:
        why = _package_field_difference(name, field, installed)
        if why is not None:
            problems.append(f"{path}: section {sid} field {name!r} {why}; {fix}")
    return problems


def _package_field_difference(name: str, field: Any, installed: dict[str, Any]) -> str | None:
    """How a package field differs from what manifest.json gives (None when it does not)."""
    status = field.get("status") if isinstance(field, dict) else None
    value = field.get("value") if isinstance(field, dict) else None
    records = installed["records"]
    if records is None:
        ok = status == "not_applicable"
        return None if ok else f"is {_shown(status)}, but manifest.json records no packages (not_applicable)"
    if status != "auto":
        return f"is {_shown(status)}, where manifest.json gives its value (auto)"
    if name == "installed_packages":
        return _records_difference(value, records)
    if not isinstance(value, dict):
        return f"is {_shown(value)}, not the lock summary manifest.json gives"
    want = {"packages": len(records), "runtime_packages": _runtime_count(records), "sha256": installed["sha256"]}
    got = {**{k: value.get(k) for k in want}, "runtime_packages": value.get("runtime_packages") or None}
    key = next((k for k in want if got[k] != want[k]), None)
    return None if key is None else f"gives {key} {_shown(got[key])}, manifest.json gives {_shown(want[key])}"


def _runtime_count(records: list[dict[str, Any]]) -> int | None:
    """Packages the runtime needs; None when none was traced (snas not an installed distribution)."""
    return sum(r.get("runtime") is True for r in records) or None


def _traced(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Package records by name, ``runtime`` unknown (None) for all when no package is marked needed."""
    traced = any(r.get("runtime") is True for r in records)
    return {str(r.get("name")): r if traced else {**r, "runtime": None} for r in records}


def _records_difference(value: Any, records: list[dict[str, Any]]) -> str | None:
    """What the report's package records lack, add or change against manifest.json's."""
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        return f"is {_shown(value)}, not the list of package records manifest.json gives"
    have, want = _traced(value), _traced(records)
    if len(have) != len(value):
        return "lists a package twice"
    lacks = [f"{n} {want[n].get('version')}" for n in want if n not in have]
    adds = [f"{n} {have[n].get('version')}" for n in have if n not in want]
    changed = [n for n in want if n in have and have[n] != want[n]]
    parts = [f"lacks {', '.join(lacks)}"] * bool(lacks) + [f"adds {', '.join(adds)}"] * bool(adds)
    parts += [_record_difference(n, have[n], want[n]) for n in changed[:3]]
    if not parts and list(have) != list(want):
        parts.append("lists the packages in another order than manifest.json")
    return f"{'; '.join(parts)} (against manifest.json)" if parts else None


def _record_difference(name: str, have: dict[str, Any], want: dict[str, Any]) -> str:
    """How one package record differs: the first field, a list's items left out or added."""
    key = next(k for k in (*want, *have) if have.get(k) != want.get(k))
    a, b = have.get(key), want.get(key)
    if isinstance(a, list) and isinstance(b, list):
        out, extra = [x for x in b if x not in a], [x for x in a if x not in b]
        said = [f"without {', '.join(map(str, out))}"] * bool(out) + [f"with {', '.join(map(str, extra))}"] * bool(
            extra
        )
        return f"gives {name} {key} {' and '.join(said) or 'in another order'}"
    return f"gives {name} {key} {_shown(a)} where manifest.json gives {_shown(b)}"


def _approval_problems(run: RunDirectory, report: dict[str, Any], path: Path, fix: str) -> list[str]:
    """The report's approvals and Annex IV 2(g)'s approvals field against those its
    documentation file gives (none without one), as the audit writes them."""
    from snas.audit._build import _stripped
    from snas.audit._section_fields import human_field

    fields, why = _documentation_fields(run, report)
    if fields is None:
        named = _named(report)
        if why is None or not named:  # a changed or missing run copy is reported with the files
            return []
        return [
            f"{path}: approvals name {', '.join(named)} but cannot be checked: {why}; run "
            f"'{_fix(run, path)} --documentation FILE' with your (corrected) documentation file to copy it into "
            "the run (documentation.yaml) and write the report from it"
        ]
    source = "the run's documentation file" if fields else "no documentation file (the report records none)"
    want = [
        {**{k: a.get(k) for k in ("role", "name", "date")}, "content_hash": _stripped(a.get("content_id"))}
        for a in (fields.get("approvals") or [])
    ]
    problems = []
    if report.get("approvals") != want:
        problems.append(f"{path}: approvals is {_shown(report.get('approvals'))}, {source} gives {_shown(want)}; {fix}")
    field = human_field(fields, "approvals")
    for sid, _, got in _fields_named(report, ("approvals",)):
        if got != field:
            problems.append(
                f"{path}: section {sid} field 'approvals' is {_shown(got)}, {source} gives {_shown(field)}; {fix}"
            )
    return problems


def _named(report: dict[str, Any]) -> list[str]:
    """The names the report's approvals give (its approvals list and its approvals fields)."""
    listed: list[Any] = list(_sequence(report.get("approvals")))
    for _, _, field in _fields_named(report, ("approvals",)):
        listed += _sequence(_mapping(field).get("value"))
    names = [a.get("name") for a in listed if isinstance(a, dict)]
    return list(dict.fromkeys(_shown(n) for n in names if isinstance(n, str) and n.strip()))


def _documentation_fields(run: RunDirectory, report: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """The fields of the documentation file the report was written from (``{}`` when it records
    none), or None and why they cannot be read (None: reported with the files)."""
    from snas.audit._build import _documentation_path
    from snas.audit._documentation import load_documentation
    from snas.exceptions import ConfigError

    prov = _mapping(report.get("provenance"))
    doc = prov.get("documentation")
    if not isinstance(doc, dict):
        return {}, None
    if run.documentation.is_file() or doc.get("path") == run.documentation.name:
        file: Path | None = run.documentation if run.documentation.is_file() else None
        if file is None or sha256_file(file) != doc.get("sha256"):
            return None, None
    else:  # written from a file outside the run: where the audit looked for it
        try:
            file = _documentation_path(run, _mapping(run.read_summary().get("config")))
        except (ConfigError, TypeError):  # search.json damaged (named with the run's files)
            file = None
        if file is None or sha256_file(file) != doc.get("sha256"):
            return None, f"the documentation file it was written from ({doc.get('path')}) is not in the run"
    try:
        return load_documentation(file)[0], None
    except ConfigError as exc:
        return None, str(exc)


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
    if len(ev) != len(items):  # read_report refuses such a report; a dict keeps one copy of each
        return [f"{path}: gives one evidence id to two items; {fix}"]
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
