"""The ``snas`` command line: ``check``, ``rules``, ``search``, ``audit``, ``predict``.

Heavy libraries are imported inside the commands that need them, so ``snas --help`` and
``snas check`` never import torch or shap. Exit codes: :mod:`snas._exit_codes`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from snas._exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from snas._util import same_file
from snas._version import __version__

_EPILOG_CHECK = """examples:
  snas check rules/census_income.yaml --data-dir ../shared/datasets
  snas check rules/census_income.yaml --format json > check.json
  snas check my_rules.yaml --dataset datasets/my_data.yaml --no-data   # names and conflicts only
"""


def _pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{100 * x:.{digits}f}%"


def _stats_table(stats: Any, by_rule: dict[str, list[str]]) -> list[str]:
    """Per-rule coverage, agreement and (soft rules) the price of hardening: the share of all
    training rows whose label the shield would overrule if the rule were made hard ("conflict"
    when it cannot be made hard as it is)."""
    width = max(30, *(len(s.rule) for s in stats))
    header = (
        f"{'rule':<{width}} {'strength':<8} {'then':<8} {'coverage':>8} {'rows':>7}  "
        f"{'label agreement [95% CI]':<26} {'harden cost':>11}  findings"
    )
    lines = [header, "-" * len(header)]
    for s in stats:
        agree = (
            "—" if s.agreement is None else f"{_pct(s.agreement)} [{_pct(s.agreement_low)}, {_pct(s.agreement_high)}]"
        )
        cost = "" if s.hardening_cost is None else "conflict" if s.hardening_conflicts else _pct(s.hardening_cost, 2)
        levels = by_rule.get(s.rule, [])
        marks = ", ".join(
            f"{n} {lv}{'s' * (n != 1 and lv != 'info')}"
            for lv in ("error", "warning", "info")
            if (n := levels.count(lv))
        )
        lines.append(
            f"{s.rule:<{width}} {s.strength:<8} {s.head:<8} {_pct(s.coverage):>8} {s.support:>7,}  "
            f"{agree:<26} {cost:>11}  {marks}"
        )
    lines.append("")
    return lines + _cost_legend(stats)


def _cost_legend(stats: Any) -> list[str]:
    """What the harden cost column says, and for each soft rule showing "conflict" why."""
    lines = []
    if any(s.hardening_cost is not None for s in stats):
        lines += [
            "harden cost: share of all training rows whose label the shield would overrule if the soft rule were",
            "made hard — the rows it covers against their label, (1 − agreement) × coverage, less those a hard rule",
            "decides already (the shield overrules them either way)",
        ]
    for s in stats:
        if s.hardening_cost is not None and s.hardening_conflicts:
            n = len(s.hardening_conflicts)
            lines.append(
                f"conflict: made hard, {s.rule!r} would conflict with hard rule{'s' * (n > 1)} "
                f"{', '.join(map(repr, s.hardening_conflicts))} (both can hold on a row: an error); add "
                f"{'their conditions' if n > 1 else 'its condition'} to its 'unless:' first, then hardening costs "
                f"{_pct(s.hardening_cost, 2)}"
            )
    return [*lines, ""] if lines else []


def _format_check(report: Any, dataset_label: str) -> str:
    rs = report.rules
    lines = [
        f"snas check: {rs.path} — {len(rs)} rules ({len(rs.hard)} hard, {len(rs.soft)} soft)"
        + (f" against {dataset_label} ({report.rows:,} training rows)" if report.rows else f" against {dataset_label}"),
        "",
    ]
    by_rule: dict[str, list[str]] = {}
    for f in report.findings:
        for rid in {f.rule, f.other} - {None}:
            by_rule.setdefault(rid, []).append(f.level)
    if report.stats:
        lines += _stats_table(report.stats, by_rule)
    for f in report.findings:
        lines.append(str(f))
    n_err, n_warn = len(report.errors), len(report.warnings)
    lines.append("")
    lines.append(
        f"{n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}"
        + (" — the rules are usable" if not n_err else " — fix the errors above")
    )
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    from snas.datasets import find_manifest, load, load_manifest
    from snas.exceptions import DatasetError, RuleSyntaxError
    from snas.rules import check_rules, load_rules

    try:
        rules = load_rules(args.rules)
    except RuleSyntaxError as exc:  # the error on standard error and the exit code as ever; JSON has it too
        if args.format == "json":
            print(json.dumps(_unread_report(args.rules, exc), indent=2, default=str))
        raise
    manifest_ref = args.dataset or rules.dataset
    if manifest_ref and not args.dataset:  # named by the rule file: say which file
        try:
            find_manifest(manifest_ref)
        except DatasetError as exc:
            raise DatasetError(f"{args.rules}: dataset: {exc}") from None
    if args.dataset and rules.dataset:
        _same_dataset(args, rules)
    data: Any = None
    label = "the rules alone (no dataset named: use --dataset)"
    if manifest_ref:
        if args.no_data:
            data = load_manifest(manifest_ref).schema
            label = f"the schema of {manifest_ref}"
        else:
            data = load(manifest_ref, data_dir=args.data_dir)
            label = data.name
    report = check_rules(rules, data)
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(_format_check(report, label))
    return EXIT_OK if report.ok else EXIT_FAILED


def _unread_report(path: str, exc: Any) -> dict[str, Any]:
    """What ``snas check --format json`` writes for a rule file it could not read or parse: a
    report of the same shape as :meth:`CheckReport.to_dict` whose one finding is the error."""
    from snas.exceptions import RuleFileError
    from snas.rules import Finding

    code = "unreadable" if isinstance(exc, RuleFileError) else "syntax"
    where = exc.path or str(path)
    finding = Finding("error", code, exc.message, path=where, line=exc.line, column=exc.column, context=exc.context)
    return {
        "rules": where,
        "rules_sha256": None,
        "dataset": None,
        "rows": 0,
        "ok": False,
        "errors": 1,
        "warnings": 0,
        "findings": [finding.to_dict()],
        "stats": [],
    }


def _same_dataset(args: argparse.Namespace, rules: Any) -> None:
    """Refuse ``--dataset`` naming another data set than the rule file's ``dataset:`` (as ``snas search`` does)."""
    from pathlib import Path

    from snas.datasets import find_manifest, load_manifest
    from snas.exceptions import ConfigError, DatasetError
    from snas.rules import key_span

    manifest = load_manifest(args.dataset)
    if rules.dataset == manifest.name:
        return
    try:
        if manifest.source and find_manifest(rules.dataset).resolve() == Path(manifest.source).resolve():
            return  # the rule file names the same manifest by its path
    except DatasetError:
        pass
    span = key_span(rules, "dataset")
    where = f"{args.rules}:{span.line}:{span.column}" if span is not None else str(args.rules)
    raise ConfigError(
        f"{where}: the rules are written for dataset {rules.dataset!r} but --dataset names {manifest.name!r}"
        f"{f' ({manifest.source})' if manifest.source else ''}; "
        f"drop --dataset to check them against {rules.dataset!r}, or fix 'dataset:' in the rule file"
    )


def cmd_rules_schema(args: argparse.Namespace) -> int:
    from snas.rules import rule_file_schema

    print(json.dumps(rule_file_schema(), indent=2))
    return EXIT_OK


def cmd_rules_import_prolog(args: argparse.Namespace) -> int:
    import yaml

    from snas._util import atomic_write_text
    from snas.datasets import load_manifest
    from snas.exceptions import RuleError
    from snas.rules import check_rules, import_prolog, read_rule_text

    text = read_rule_text(args.file)  # size limit, UTF-8; missing files and directories refused (exit 2)
    schema = load_manifest(args.dataset).schema if args.dataset else None
    rs = import_prolog(text, path=args.file, schema=schema, strength=args.strength)
    if schema is not None:  # write nothing 'snas check' would reject
        report = check_rules(rs, schema)
        for f in report.findings:
            if f.level != "error":
                print(str(f), file=sys.stderr)
        if not report.ok:
            raise RuleError(
                f"{args.file}: the imported rules would not pass 'snas check' against {args.dataset!r}; "
                "fix these clauses (nothing was written):\n" + "\n".join(str(f) for f in report.errors)
            )
    d = rs.to_dict()
    if args.dataset:
        d = {
            "snas_rules": 1,
            "dataset": load_manifest(args.dataset).name,
            **{k: v for k, v in d.items() if k != "snas_rules"},
        }
    out = "# Imported by `snas rules import-prolog` — review rationales and strengths.\n" + yaml.safe_dump(
        d, sort_keys=False, allow_unicode=True, width=100
    )
    if args.out:
        atomic_write_text(args.out, out)
        print(f"wrote {len(rs)} rules to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(out)
    return EXIT_OK


def _format_suggest(report: Any) -> str:
    """The proposals as a short table (for the terminal; the YAML holds the rest)."""
    lines = [
        f"{len(report.proposals)} rules proposed from {report.rows:,} training rows of {report.dataset} "
        f"({report.candidates:,} candidates measured, agreement target {_pct(report.target_agreement, 0)})",
        f"{'id':<50} {'then':<8} {'coverage':>8} {'rows':>7}  label agreement [95% CI]",
    ]
    for p in report.proposals:
        lines.append(
            f"{p.id:<50} {p.head:<8} {_pct(p.coverage):>8} {p.support:>7,}  "
            f"{_pct(p.agreement)} [{_pct(p.agreement_low)}, {_pct(p.agreement_high)}]"
        )
    if report.rejected:
        lines.append(f"{len(report.rejected)} candidate(s) set aside; reasons at the end of the proposal file")
    lines += [f"note: {line}" for line in report.notes()]
    return "\n".join(lines)


_OUT_FIX = "write the proposals to a file of their own (e.g. --out proposal.yaml) and copy the rules you accept"


def _is_run(d: Any) -> bool:
    """Whether folder ``d`` is a snas run: its ``.snas-run`` marker, or a run's ``manifest.json``."""
    from snas._util import parse_json_text

    if (d / ".snas-run").is_file():
        return True
    manifest = d / "manifest.json"
    try:
        if not manifest.is_file() or manifest.stat().st_size > 1 << 24:
            return False
        record = parse_json_text(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and "snas_run" in record


def _run_holding(path: Any) -> Any:
    """The snas run directory, else the model folder (``model.json`` and ``model.safetensors``),
    that holds ``path`` or is it; None when there is none."""
    from pathlib import Path

    folders = [d for d in (Path(path).resolve(), *Path(path).resolve().parents) if d.is_dir()]
    return next((d for d in folders if _is_run(d)), None) or next(
        (d for d in folders if (d / "model.json").is_file() and (d / "model.safetensors").is_file()), None
    )


def _refuse_suggest_out(out: Any, rules: str | None, dataset: str) -> None:
    """Refuse an --out that is not a new file of its own: before any data are read."""
    from pathlib import Path

    from snas.datasets import find_manifest
    from snas.exceptions import ConfigError

    out = Path(out)
    run = _run_holding(out)
    if run is not None:
        raise ConfigError(
            f"--out {out}: inside {run}, a snas run (or model) folder whose files snas never overwrites; {_OUT_FIX}"
        )
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a directory; name a file in it, e.g. --out {out / 'proposal.yaml'}")
    if not out.parent.is_dir():
        raise ConfigError(f"--out {out}: the folder {out.parent} does not exist; create it first, or {_OUT_FIX}")
    if rules and same_file(out, rules):
        raise ConfigError(
            f"--out {out}: is the rule file given by --rules; proposals are never applied to it — {_OUT_FIX}"
        )
    manifest = find_manifest(dataset)
    if same_file(out, manifest):
        raise ConfigError(f"--out {out}: is the dataset manifest {manifest}, which would be overwritten; {_OUT_FIX}")


def _refuse_out_over_data(out: Any, data: Any) -> None:
    """Refuse an --out that is one of the data files just read (before mining)."""
    from snas.exceptions import ConfigError

    for f in data.files:
        if f.location and same_file(out, f.location):
            raise ConfigError(
                f"--out {out}: is the data file {f.location} just read for {data.name} ({f.role} split), which "
                f"would be overwritten; {_OUT_FIX}"
            )


def cmd_rules_suggest(args: argparse.Namespace) -> int:
    from snas._util import atomic_write_text
    from snas.datasets import load
    from snas.rules import load_rules, suggest_rules

    if args.out:
        _refuse_suggest_out(args.out, args.rules, args.dataset)
    rules = load_rules(args.rules) if args.rules else None
    data = load(args.dataset, data_dir=args.data_dir)
    if args.out:
        _refuse_out_over_data(args.out, data)
    report = suggest_rules(
        data,
        rules,
        target_agreement=args.target_agreement,
        max_rules=args.max,
        min_coverage=args.min_coverage,
        strength=args.strength,
        ignore=tuple(args.ignore or ()),
        max_features=args.max_features,
        progress=True,
    )
    print(_format_suggest(report), file=sys.stderr)
    if not report.proposals:
        print("no candidate reached the target: lower --target-agreement or --min-coverage", file=sys.stderr)
        return EXIT_FAILED
    if args.out:
        atomic_write_text(args.out, report.to_yaml())
        print(f"wrote {len(report.proposals)} proposed rules to {args.out} (not applied)", file=sys.stderr)
    else:
        sys.stdout.write(report.to_yaml())
    return EXIT_OK


def _add_suggest(rsub: Any) -> None:
    sg = rsub.add_parser(
        "suggest",
        help="propose rules from the training data (never applied)",
        description="Mine short rules (at most 3 conditions) with high coverage and label agreement on "
        "the training split, measured exactly as 'snas check' measures them, checked against an "
        "existing rule file (no contradiction of a hard rule, no near-duplicates, no excluded, "
        "sensitive, proxy or identifier-like feature). Writes a proposal file for the expert to review. "
        "With many features only the best-ranked ones are combined (as many as keep mining near 8 s; "
        "--max-features sets the number). Progress goes to standard error on long runs.",
        epilog="examples:\n  snas rules suggest census_income --rules rules/census_income.yaml --out proposal.yaml\n"
        "  snas rules suggest census_income --target-agreement 0.97 --max 5 --ignore fnlwgt",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sg.add_argument("dataset", help="dataset name or manifest path")
    sg.add_argument("--rules", help="existing rule file to check the proposals against")
    sg.add_argument("--target-agreement", type=float, default=0.95, help="minimum label agreement (default 0.95)")
    sg.add_argument("--max", type=int, default=10, help="at most this many rules (default 10)")
    sg.add_argument("--min-coverage", type=float, default=0.01, help="minimum share of training rows (default 0.01)")
    sg.add_argument("--strength", choices=("soft", "hard"), default="soft")
    sg.add_argument("--ignore", action="append", metavar="FEATURE", help="never use this feature (repeatable)")
    sg.add_argument(
        "--max-features",
        type=int,
        metavar="K",
        help="combine only the K features a one-feature tree ranks best (default: as many as keep the trees "
        "near 8 s by a cost model: all 10 usable census features, 20 of 40 at 280 rows; the time grows with "
        "the cube of K)",
    )
    sg.add_argument(
        "--out",
        help="write the proposal YAML here, a new file or an earlier proposal (default: standard output); "
        "never the rule file, the data or a file in a run directory",
    )
    sg.add_argument(
        "--data-dir", default=None, help="folder holding the data files (default: $SNAS_DATA_DIR, cache, download)"
    )
    sg.set_defaults(func=cmd_rules_suggest)


def cmd_rules_impact(args: argparse.Namespace) -> int:
    from snas._cli_audit import rules_impact  # loads the model: imports torch (the other rules commands never do)

    return rules_impact(args)


def _add_impact(rsub: Any) -> None:
    im = rsub.add_parser(
        "impact",
        help="the price of every rule on a run's model (test split)",
        description="What each rule costs or buys on the run's selected model, on the test split: rows "
        "covered, label agreement and model compliance per rule; for hard rules accuracy, ROC-AUC and "
        "group selection-rate gaps with the shield and without that rule (exact McNemar test); for soft "
        "rules the best searched candidate with vs without the rule. Hard rules that cost accuracy "
        "beyond noise are flagged for the experts.",
        epilog="examples:\n  snas rules impact runs/census\n  snas rules impact runs/census --format json > impact.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    im.add_argument("run", help="run directory (snas search --out)")
    im.add_argument("--format", choices=("text", "json"), default="text")
    im.add_argument(
        "--data-dir", default=None, help="folder holding the data files (default: where the run found them)"
    )
    im.set_defaults(func=cmd_rules_impact)


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and a one-line hint (never a traceback)."""

    def error(self, message: str) -> Any:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(run '{self.prog} --help' for help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``snas`` command (also used to document it)."""
    p = _Parser(
        prog="snas",
        description="Neuro-symbolic architecture search with rules and EU AI Act audit reports.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Run 'snas COMMAND --help' for the options and examples of each command.",
    )
    p.add_argument("--version", action="version", version=f"snas {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    c = sub.add_parser(
        "check",
        help="check a rule file against its dataset (no torch)",
        description="Static checks of a rule file: names, levels and types; conflicts between "
        "rules (decided exactly, with a witness); dead rules; per-rule coverage and "
        "label agreement on the training data.",
        epilog=_EPILOG_CHECK,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    c.add_argument("rules", help="rule file (YAML)")
    c.add_argument("--dataset", help="dataset name or manifest path (default: the rule file's 'dataset:')")
    c.add_argument(
        "--data-dir", default=None, help="folder holding the data files (default: $SNAS_DATA_DIR, cache, download)"
    )
    c.add_argument("--no-data", action="store_true", help="check against the manifest's schema only")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.set_defaults(func=cmd_check)

    r = sub.add_parser(
        "rules",
        help="rule-file tools: JSON Schema, PSyKI import, rules from data, the price of every rule",
        description="Tools for rule files.",
    )
    rsub = r.add_subparsers(dest="rules_command", metavar="SUBCOMMAND", parser_class=_Parser)
    rsub.required = True
    s = rsub.add_parser(
        "schema",
        help="print the JSON Schema of rule files (for editors)",
        epilog="example:\n  snas rules schema > rules.schema.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.set_defaults(func=cmd_rules_schema)
    ip = rsub.add_parser(
        "import-prolog",
        help="convert PSyKI-style Datalog class rules",
        epilog="example:\n  snas rules import-prolog kb.pl --dataset census_income --out rules/imported.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ip.add_argument("file", help="Datalog file: class(F1, ..., Fn, label) :- body.")
    ip.add_argument("--dataset", help="map head arguments to this dataset's features by position")
    ip.add_argument("--strength", choices=("soft", "hard"), default="soft")
    ip.add_argument("--out", help="write the YAML here (default: standard output)")
    ip.set_defaults(func=cmd_rules_import_prolog)
    _add_suggest(rsub)
    _add_impact(rsub)

    _add_more_commands(sub)
    return p


def _add_more_commands(sub: Any) -> None:
    """Commands defined in other modules (search, audit, predict) register here."""
    from snas import _cli_run

    _cli_run.register(sub, _Parser)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``snas`` console script; returns the exit code."""
    from snas.exceptions import RuleError, RuleFileError, SNASError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "data_dir", None) is None and os.environ.get("SNAS_DATA_DIR"):
        args.data_dir = None  # the loader reads SNAS_DATA_DIR itself
    format_before = warnings.formatwarning
    warnings.formatwarning = _warning_line  # the CLI's own style: no source file or line of snas
    try:
        return int(args.func(args))
    except RuleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, RuleFileError) else EXIT_FAILED  # unreadable: an I/O error
    except SNASError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # an output path that cannot be written: a usage error, not a crash
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; check the path and its permissions", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    finally:
        warnings.formatwarning = format_before


def _warning_line(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> str:
    """A Python warning as the CLI prints it: ``warning: TEXT`` (the category unless a UserWarning)."""
    kind = "" if category is UserWarning else f"{category.__name__}: "
    return f"warning: {kind}{message}\n"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
