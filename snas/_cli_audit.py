"""``snas audit RUN | validate RUN | verify RUN | diff OLD NEW``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from snas._exit_codes import EXIT_FAILED, EXIT_OK

_FORMATS = "json,md,html,cdx"  # what 'snas audit RUN_DIR' writes unless --format says otherwise

_EPILOG = """examples:
  snas audit runs/census                                # report.json, .md, .html, .cdx.json in runs/census/reports
  snas audit runs/census --format json,html,pdf --documentation audit/census_income.yaml
  snas audit runs/census --model glass-box              # the glass box the search offers, in runs/census/reports/glass-box
  snas audit validate runs/census                       # exit 1 while a required human field is missing
  snas audit verify runs/census                         # exit 1 naming any file changed since the run
  snas audit diff runs/old runs/new --out changes.md    # evidence added / removed / changed
"""


_REPORT_ONLY = ("format", "documentation", "parent")  # options of 'snas audit RUN_DIR' alone


def cmd_audit(args: argparse.Namespace) -> int:
    from snas.exceptions import ConfigError

    action, *rest = args.target
    if action in ("validate", "verify", "diff"):
        unused = {"validate": ("out", "data_dir"), "verify": ("out",), "diff": ("data_dir",)}[action]
        _refuse_options(args, action, [*_REPORT_ONLY, *unused])
    if action == "validate":
        return _validate(_one(rest, "validate RUN_DIR"), args.model)
    if action == "verify":
        return _verify(_one(rest, "verify RUN_DIR"), args.data_dir)
    if action == "diff":
        if len(rest) != 2:
            raise ConfigError("usage: snas audit diff OLD NEW (run directories or report.json files)")
        return _diff(rest[0], rest[1], args.out, args.model)
    if rest:
        raise ConfigError(f"unexpected argument(s) {rest}; usage: snas audit RUN_DIR [--format ...]")
    if args.out is not None:
        where = "reports/glass-box" if args.model == "glass-box" else "reports"
        raise ConfigError(
            f"--out {args.out}: 'snas audit RUN_DIR' writes its reports into RUN_DIR/{where}, beside the run they "
            "document (where 'snas audit verify' checks them); drop --out and copy them from there "
            "(--out is for 'snas audit diff')"
        )
    from snas.audit import FORMATS, write_reports

    formats = tuple(f.strip() for f in (_FORMATS if args.format is None else args.format).split(",") if f.strip())
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        what = f"unknown format(s) {bad}" if bad else "no format given"
        raise ConfigError(f"--format: {what}; choose from {', '.join(FORMATS)} (cdx: the CycloneDX SBOM)")
    paths = write_reports(
        action,
        formats=formats,
        documentation=args.documentation,
        data_dir=args.data_dir,
        parent=args.parent,
        progress=not args.quiet,
        model=args.model,
    )
    for kind, p in paths.items():
        print(f"{kind}: {p}")
    return EXIT_OK


def _refuse_options(args: argparse.Namespace, action: str, names: list[str]) -> None:
    """ConfigError for an option given to a subcommand that does not use it (never ignored)."""
    from snas.exceptions import ConfigError

    given = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is not None]
    if given:
        raise ConfigError(
            f"{', '.join(given)}: not used by 'snas audit {action}'; drop {'them' if len(given) > 1 else 'it'} "
            "(see 'snas audit --help' for what each option is for)"
        )


def _one(rest: list[str], usage: str) -> str:
    from snas.exceptions import ConfigError

    if len(rest) != 1:
        raise ConfigError(f"usage: snas audit {usage}")
    return rest[0]


def _report_path(p: str, model: str) -> Path:
    """A report.json, or the report of ``model`` in a run directory."""
    from snas.exceptions import ConfigError
    from snas.search import RunDirectory

    path = Path(p)
    if path.is_dir():
        path = RunDirectory(path).reports_of(model) / "report.json"
    if not path.is_file():
        option = "" if model == "selected" else f" --model {model}"
        raise ConfigError(f"{path}: no report; run 'snas audit RUN_DIR{option}' first")
    return path


def _validate(run: str, model: str) -> int:
    from snas.audit import AuditReport, read_report

    path = _report_path(run, model)
    data = read_report(path)
    report = AuditReport.from_dict(data)
    again = "snas audit RUN_DIR" + ("" if model == "selected" else f" --model {model}")
    problem = report.schema_problem()
    if problem is not None:
        print(f"FAILED: {path} does not follow the report schema {problem}; write it again with '{again}'")
        return EXIT_FAILED
    if report.report_id != data["report_id"]:
        print(f"FAILED: {_edited(run, path, data['report_id'], report.report_id)}; write it again with '{again}'")
        return EXIT_FAILED
    print(f"content id: {report.content_id} (what an approval's content_id names)")
    stale = _approval_problems(report)
    missing = report.missing_fields()
    for sid, name in missing:
        print(f"missing: {sid} {name}")
    if stale:
        where = _documentation_read(run, report)
        print(
            f"{len(stale)} approval(s) do not name this report's content — review it and write its content id as "
            f"the approval's content_id in {where}, then run 'snas audit' again"
            + (
                "; approve last: filling the missing fields changes the content id"
                if any(name != "approvals" for _, name in missing)  # the approvals are not in the content id
                else ""
            ),
            file=sys.stderr,
        )
    if missing:
        fields = len(dict.fromkeys(name for _, name in missing))  # a field may serve two sections
        where = f" ({len(missing)} places in the report)" if fields != len(missing) else ""
        print(
            f"{fields} required field(s) still missing{where} — complete them in the documentation YAML "
            "(audit/*.yaml) and run 'snas audit' again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if stale:
        return EXIT_FAILED
    print("complete: every required field is filled and every approval approves this content")
    return EXIT_OK


def _edited(run: str, path: Path, written: str, computed: str) -> str:
    """A report.json whose report_id is not the sha256 of its content, as validate says it."""
    target = run if Path(run).is_dir() else "RUN_DIR"
    return (
        f"{path}: edited since it was written — its report_id {written} is not the sha256 of its content "
        f"({computed}), so its fields and approvals are not the ones the audit wrote; run 'snas audit verify "
        f"{target}' to see what else differs"
    )


def _documentation_read(run: str, report: Any) -> str:
    """The documentation file a re-audit reads: the run's copy when there is one."""
    from snas.search import RunDirectory

    copy = RunDirectory(run).documentation if Path(run).is_dir() else None
    if copy is not None and copy.is_file():
        return f"{copy} (the run's copy; or give your file again with --documentation FILE)"
    doc = (report.body.get("provenance") or {}).get("documentation") or {}
    return f"the documentation file ({doc['path']})" if doc.get("path") else "the documentation YAML (audit/*.yaml)"


def _approval_problems(report: Any) -> list[str]:
    """Print each named approval that approves other content or none, or names its content
    malformed; the failing ones back."""
    failing = []
    for i, a in enumerate(report.body.get("approvals") or []):
        who = f"{a.get('role')}: {a.get('name')} ({a.get('date') or 'undated'})"
        named = a.get("content_hash")
        if not (named is None or isinstance(named, str) or (isinstance(named, list) and _texts(named))):
            print(
                f"malformed approval: {who}: report.json approvals[{i}].content_hash is {json.dumps(named)[:80]}, "
                "neither a content id (sha256:…) nor a list of them; write the content id as the approval's "
                "content_id in the documentation file and run 'snas audit' again"
            )
            failing.append(who)
            continue
        state = report.approval_state(a)
        if state == "other content":
            approved = " and ".join([named] if isinstance(named, str) else named or [])
            print(f"stale approval: {who} approved {approved}, not this content")
            failing.append(who)
        elif state == "not bound":
            print(f"unbound approval: {who} names no content; add 'content_id: {report.content_id}' to it")
            failing.append(who)
    return failing


def _texts(values: list[Any]) -> bool:
    """Whether every item of ``values`` is text."""
    return all(isinstance(v, str) for v in values)


def _verify(run: str, data_dir: str | None) -> int:
    from snas.audit import verify_run
    from snas.search import RunDirectory

    problems = verify_run(run, data_dir=data_dir)
    for p in problems:
        print(f"FAILED: {p}")
    if problems:
        return EXIT_FAILED
    if any((RunDirectory(run).reports_of(m) / "report.json").is_file() for m in RunDirectory.MODELS):
        print(
            "verified: files, data, renderings, metrics, rule evidence and risk register are consistent with the "
            "run's model and data, the package fields with manifest.json and the approvals with the documentation "
            "file (this does not prove who wrote the report: it is not signed)"
        )
    else:
        print("verified: files and data match the run (it has no report yet: 'snas audit RUN_DIR' writes one)")
    return EXIT_OK


def _diff(old: str, new: str, out: str | None, model: str) -> int:
    from snas._util import atomic_write_text
    from snas.audit import diff_reports, read_report

    paths = (_report_path(old, model), _report_path(new, model))
    targets = _diff_outputs(out, paths) if out else None
    d = diff_reports(read_report(paths[0]), read_report(paths[1]), names=(str(paths[0]), str(paths[1])))
    if targets is not None:
        changelog, patch = targets
        atomic_write_text(patch, json.dumps(d["patch"], indent=2) + "\n")
        atomic_write_text(changelog, d["changelog"])
        print(f"wrote {changelog} and {patch}")
    else:
        sys.stdout.write(d["changelog"])
    return EXIT_OK


def _diff_outputs(out: str, reports: tuple[Path, Path]) -> tuple[Path, Path]:
    """The change log (``--out``) and the JSON Patch beside it, checked before either is written:
    neither may be one of the reports compared or a file of a run directory, and the patch
    file (which the user did not name) may only replace an earlier JSON Patch."""
    from snas.exceptions import ConfigError

    changelog = Path(out)
    patch = changelog.with_suffix(".patch.json")
    for target in (changelog, patch):
        named = "--out" if target == changelog else f"--out {changelog}: the JSON Patch beside it,"
        if any(target.resolve() == r.resolve() for r in reports):
            raise ConfigError(f"{named} {target} is one of the reports compared; write the change log elsewhere")
        run = _run_holding(target)
        if run is not None and target.exists():
            raise ConfigError(
                f"{named} {target} is a file of the run {run}, which snas never overwrites; write the change log "
                "elsewhere"
            )
    if patch.exists() and not _is_json_patch(patch):
        raise ConfigError(
            f"--out {changelog}: the JSON Patch goes beside it to {patch}, which exists and is not a JSON Patch "
            "written by 'snas audit diff'; move that file or choose another --out"
        )
    return changelog, patch


def _run_holding(path: Path) -> Path | None:
    """The snas run directory that ``path`` lies in, if any."""
    from snas.search import RunDirectory

    for folder in path.resolve().parents:
        if RunDirectory(folder).is_run():
            return folder
    return None


def _is_json_patch(path: Path) -> bool:
    """Whether ``path`` holds a JSON Patch as 'snas audit diff' writes it (a list of operations)."""
    from snas._util import parse_json_text

    try:
        ops = parse_json_text(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(ops, list) and all(
        isinstance(op, dict) and op.get("op") in ("add", "remove", "replace") and isinstance(op.get("path"), str)
        for op in ops
    )


def rules_impact(args: argparse.Namespace) -> int:
    """``snas rules impact RUN``: the price of every rule on the run's model, as text or JSON."""
    from snas.audit import format_rule_impact, rule_impact_of_run

    impact = rule_impact_of_run(args.run, args.data_dir)
    if args.format == "json":
        out = {k: v for k, v in impact.items() if k != "model"}
        print(json.dumps(out, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False))
    else:
        sys.stdout.write(format_rule_impact(impact))
    return EXIT_OK


def register(sub: Any, parser_class: type) -> None:
    a = sub.add_parser(
        "audit",
        help="EU AI Act report for a run; validate, verify, diff",
        description="Build the technical-documentation report (Annex IV, Art. 13) of a run's selected "
        "model (or of the glass box its search offers: --model glass-box), or: validate RUN (required "
        "human fields), verify RUN (hashes and metrics), diff OLD NEW (what changed).",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("target", nargs="+", metavar="RUN_DIR | validate RUN | verify RUN | diff OLD NEW")
    a.add_argument("--format", help=f"comma-separated: json, md, html, cdx (CycloneDX SBOM), pdf (default: {_FORMATS})")
    a.add_argument(
        "--model",
        choices=("selected", "glass-box"),
        default="selected",
        help="the run's selected (final) model, or the glass box its search offers (default: selected; "
        "verify always checks every report of the run)",
    )
    a.add_argument("--documentation", help="human-written fields (audit/*.yaml)")
    a.add_argument("--data-dir", help="folder holding the data files")
    a.add_argument("--parent", help="the previous report.json (recorded as parent_report_id)")
    a.add_argument("--out", help="diff: write the Markdown change log here (and the JSON Patch beside it)")
    a.add_argument("--quiet", action="store_true")
    a.set_defaults(func=cmd_audit)
