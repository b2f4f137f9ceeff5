"""``snas audit RUN | validate RUN | verify RUN | diff OLD NEW``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from snas._exit_codes import EXIT_FAILED, EXIT_OK

_EPILOG = """examples:
  snas audit runs/census                                # report.json, report.md, report.html in runs/census/reports
  snas audit runs/census --format json,html,pdf --documentation audit/census_income.yaml
  snas audit runs/census --model glass-box              # the glass box the search offers, in runs/census/reports/glass-box
  snas audit validate runs/census                       # exit 1 while a required human field is missing
  snas audit verify runs/census                         # exit 1 naming any file changed since the run
  snas audit diff runs/old runs/new --out changes.md    # evidence added / removed / changed
"""


def cmd_audit(args: argparse.Namespace) -> int:
    from snas.exceptions import ConfigError

    action, *rest = args.target
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
    from snas.audit import write_reports

    formats = tuple(f.strip() for f in args.format.split(",") if f.strip())
    bad = [f for f in formats if f not in ("json", "md", "html", "pdf")]
    if bad:
        raise ConfigError(f"--format: unknown format(s) {bad}; choose from json, md, html, pdf")
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
    report = AuditReport.from_dict(read_report(path))
    problem = report.schema_problem()
    if problem is not None:
        again = "snas audit RUN_DIR" + ("" if model == "selected" else f" --model {model}")
        print(f"FAILED: {path} does not follow the report schema {problem}; write it again with '{again}'")
        return EXIT_FAILED
    missing = report.missing_fields()
    for sid, name in missing:
        print(f"missing: {sid} {name}")
    if missing:
        fields = len(dict.fromkeys(name for _, name in missing))  # a field may serve two sections
        where = f" ({len(missing)} places in the report)" if fields != len(missing) else ""
        print(
            f"{fields} required field(s) still missing{where} — complete them in the documentation YAML "
            "(audit/*.yaml) and run 'snas audit' again",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print("complete: every required field is filled")
    return EXIT_OK


def _verify(run: str, data_dir: str | None) -> int:
    from snas.audit import verify_run
    from snas.search import RunDirectory

    problems = verify_run(run, data_dir=data_dir)
    for p in problems:
        print(f"FAILED: {p}")
    if problems:
        return EXIT_FAILED
    if any((RunDirectory(run).reports_of(m) / "report.json").is_file() for m in RunDirectory.MODELS):
        print("verified: files, data and key metrics match the run and its reports")
    else:
        print("verified: files and data match the run (it has no report yet: 'snas audit RUN_DIR' writes one)")
    return EXIT_OK


def _diff(old: str, new: str, out: str | None, model: str) -> int:
    from snas._util import atomic_write_text
    from snas.audit import diff_reports, read_report

    d = diff_reports(read_report(_report_path(old, model)), read_report(_report_path(new, model)))
    if out:
        atomic_write_text(out, d["changelog"])
        atomic_write_text(str(Path(out).with_suffix(".patch.json")), json.dumps(d["patch"], indent=2))
        print(f"wrote {out} and {Path(out).with_suffix('.patch.json')}")
    else:
        sys.stdout.write(d["changelog"])
    return EXIT_OK


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
    a.add_argument("--format", default="json,md,html", help="comma-separated: json, md, html, pdf")
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
