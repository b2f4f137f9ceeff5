"""CLI commands that train or read models: ``search``, ``predict`` (and ``audit`` when present)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from snas._exit_codes import EXIT_OK
from snas._util import same_file

_EPILOG_SEARCH = """examples:
  snas search search/census_income.yaml --out runs/census --data-dir ../shared/datasets
  snas search search/census_income.yaml --out runs/quick --budget 90s
  snas search search/census_income.yaml --out runs/w1 --storage postgresql://snas@db/snas   # one of several workers
Stopping a search (Ctrl-C, kill) and running the same command again resumes it.
"""

_EPILOG_PREDICT = """examples:
  snas predict runs/census applicants.csv --out decisions.csv
  snas predict runs/census applicants.csv --log runs/census/decisions.jsonl
  snas predict runs/census applicants.csv --model glass-box   # the glass box the search offers
"""


def cmd_search(args: argparse.Namespace) -> int:
    from snas.search import RunDirectory, metric_text, search, selection_metric

    out = search(
        args.config,
        args.out,
        data_dir=args.data_dir,
        budget=args.budget,
        storage=args.storage,
        seed=args.seed,
        workers=args.workers,
        progress=not args.quiet,
    )
    r = out.result
    sel, small = r.selected, r.smallest
    counts = r.counts()
    print(f"run directory: {out.directory}")
    if out.finished_before:
        print("finished before under this configuration: nothing was redone (a larger --budget continues it)")
    print(
        f"evaluated {counts['inherited']:,} architectures with inherited weights, {counts['low']} at low fidelity and "
        f"{counts['stand-alone']} stand-alone in {r.elapsed_seconds:.0f}s; Pareto front: {len(r.front)} models"
    )
    metric = selection_metric(r.evaluations)  # what the selection compared: accuracy or ROC-AUC
    print(
        f"selected #{sel.number}: {metric_text(sel.metrics, metric)}, "
        f"{sel.metrics['parameters']:,} parameters, F_soft {sel.metrics['f_soft'] or 1:.4f} ({r.reason})"
    )
    print(f"smallest #{small.number}: {metric_text(small.metrics, metric)}, {small.metrics['parameters']:,} parameters")
    print(f"model: {out.model_dir}")
    if r.glass_box_model is not None and r.glass_box is not None:
        print(
            f"glass box on offer: {RunDirectory(out.directory).glass_box_dir} ({metric_text(r.glass_box.metrics, metric)}, "
            f"exact explanations; audit it with: snas audit {out.directory} --model glass-box)"
        )
    current = _current_report(RunDirectory(out.directory)) if out.finished_before else None
    if not args.no_report and current is not None:
        print(f"report: {current} (as written before; 'snas audit {out.directory}' writes it again)")
    elif not args.no_report:
        from snas.audit import write_reports

        paths = write_reports(
            out.directory, formats=("json", "md", "html", "cdx"), data_dir=args.data_dir, progress=not args.quiet
        )
        print(f"report: {paths.get('html') or next(iter(paths.values()))}")
    return EXIT_OK


def _current_report(run: Any) -> Path | None:
    """The run's ``report.html`` when every report file is there and ``report.json`` was built
    on the run as it stands (its ``run_manifest_sha256``); else None (the audit runs again)."""
    from snas._util import read_json_file, sha256_file
    from snas.exceptions import ConfigError

    written = [run.reports / f"report.{ext}" for ext in ("json", "md", "html", "cdx.json")]
    if not all(p.is_file() for p in written):
        return None
    try:
        provenance = read_json_file(written[0], fix="", expect=dict).get("provenance") or {}
    except ConfigError:
        return None
    on = provenance.get("run_manifest_sha256") if isinstance(provenance, dict) else None
    return written[2] if on == sha256_file(run.manifest) else None


def cmd_predict(args: argparse.Namespace) -> int:
    import numpy as np

    from snas._prediction_input import decision_log_lines, read_prediction_csv, training_ranges
    from snas._util import atomic_write_text, sha256_file
    from snas.estimator import SNASClassifier
    from snas.exceptions import ConfigError

    run = Path(args.run)
    model_dir = _model_dir(run, args.model)
    log_path = Path(args.log) if args.log else run / "decisions.jsonl"
    _check_outputs(run, model_dir, Path(args.data), None if args.out is None else Path(args.out), log_path)
    clf = SNASClassifier.load(model_dir)
    reads = clf.model_.features_read()  # excluded features and dropped inputs may be left out
    X, raw = read_prediction_csv(
        args.data,
        clf.schema_,
        getattr(clf, "feature_names_in_", None),
        training_ranges=training_ranges(clf),
        reads=reads,
    )
    proba = clf.predict_proba(X)
    pred = clf.classes_[proba.argmax(1)]
    rule = clf.explain_rules(X)
    added = {"prediction": pred, **{f"p({c})": np.round(proba[:, j], 6) for j, c in enumerate(clf.classes_)}}
    added["deciding_rule"] = rule.fillna("").to_numpy()
    clash = [c for c in added if c in raw.columns]
    if clash:  # e.g. an earlier output predicted again
        print(f"note: input column(s) {clash} replaced by this model's output", file=sys.stderr)
    out = raw.drop(columns=clash).assign(**added)
    text = out.to_csv(index=False)
    # the decisions are logged before any is handed out (AI Act Art. 12): an unwritable log stops here
    read = [X.columns[j] for j, c in enumerate(clf.schema_.features) if c.name in reads]
    lines = decision_log_lines(
        X[read],  # the hash covers what decided: the columns the model reads
        pred,
        proba,
        clf.classes_,
        rule,
        model_sha256=sha256_file(model_dir / "model.safetensors"),
        model_content_sha256=_content_sha256(model_dir),
        source=str(args.data),
    )
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "a", encoding="utf-8") as fh:  # append-only decision log
            fh.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise ConfigError(
            f"--log {log_path}: cannot append the decisions ({exc.strerror}); no prediction was written — "
            "point --log at a writable file"
        ) from None
    print(f"logged {len(lines)} decisions to {log_path}", file=sys.stderr)
    if args.out:
        atomic_write_text(args.out, text)
        print(f"wrote {len(out)} predictions to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def _content_sha256(model_dir: Path) -> str:
    """The ``content_sha256`` of the model's ``model.json`` (checked against its content by load)."""
    from snas._util import read_json_file
    from snas.exceptions import ConfigError

    fix = "restore the model folder or train again ('snas audit verify RUN' names what changed in a run)"
    digest = read_json_file(model_dir / "model.json", fix=fix).get("content_sha256")
    if not isinstance(digest, str):
        raise ConfigError(f"{model_dir / 'model.json'}: changed while predicting (no content_sha256); {fix}")
    return digest


_LOG_KEYS = frozenset({"time", "model_sha256", "input_sha256", "output"})  # in every line snas logs


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _is_decision_log(path: Path) -> bool | None:
    """Whether the existing file ``path`` is a decision log ``snas predict`` wrote (its first line
    a JSON object with the log's keys); None when it is empty or not a regular file."""
    from snas._util import parse_json_text

    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20)
        if not first.strip():
            return None
        record = parse_json_text(first.decode("utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError is a ValueError
        return False
    return isinstance(record, dict) and _LOG_KEYS.issubset(record)


def _check_outputs(run: Path, model_dir: Path, data: Path, out: Path | None, log: Path) -> None:
    """Refuse an --out or --log that would write over the input, the run or model, or a file
    that is not a decision log (--log appends): before anything is read or written."""
    from snas.exceptions import ConfigError

    own_log = run / "decisions.jsonl"  # the default --log: the one file snas predict adds to the run
    kept = [d for d in dict.fromkeys((run, model_dir)) if d.is_dir()]
    if same_file(log, data):
        raise ConfigError(
            f"--log {log}: is the input CSV; the decisions would be appended to its rows — "
            f"point --log at a decision log (default {own_log})"
        )
    if not same_file(log, own_log) and any(_inside(log, d) for d in kept):
        raise ConfigError(
            f"--log {log}: inside {kept[0]}, whose files snas never changes (only its own {own_log.name} is "
            f"appended to); omit --log to log to {own_log}, or point it outside that folder"
        )
    if _is_decision_log(log) is False:
        raise ConfigError(
            f"--log {log}: exists and is not a decision log written by snas predict (its first line is not "
            "one logged decision), so nothing is appended to it; point --log at a new file or an earlier log"
        )
    if out is None:
        return
    if same_file(out, data):
        raise ConfigError(f"--out {out}: is the input CSV, which would be overwritten; write the predictions elsewhere")
    if same_file(out, log):
        raise ConfigError(
            f"--out {out}: is the decision log (--log), which would be overwritten; write the predictions elsewhere"
        )
    if any(_inside(out, d) for d in kept):
        raise ConfigError(
            f"--out {out}: inside {kept[0]}, whose files snas never overwrites; write the predictions elsewhere"
        )
    if _is_decision_log(out):
        raise ConfigError(
            f"--out {out}: is a decision log; overwriting it would lose the logged decisions — write the "
            "predictions elsewhere"
        )


def _model_dir(run: Path, which: str) -> Path:
    """The model folder ``snas predict`` reads: a run's model ``which``, or a model folder itself."""
    from snas.exceptions import ConfigError
    from snas.search import RunDirectory

    if RunDirectory(run).is_run() or (run / "model").is_dir():
        return RunDirectory(run).require_model(which)
    if which != "selected":
        raise ConfigError(f"{run}: --model {which} picks a model of a run directory; give the run, not a model folder")
    return run


def register(sub: Any, parser_class: type) -> None:
    s = sub.add_parser(
        "search",
        help="search architectures under the rules; writes a run directory and report",
        description="Multi-objective architecture search (error, complexity, soft-rule infidelity) "
        "with hard rules, monotonicity and exclusions guaranteed by construction.",
        epilog=_EPILOG_SEARCH,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("config", help="search configuration (search/*.yaml)")
    s.add_argument("--out", required=True, help="run directory (created; an existing one is resumed)")
    s.add_argument("--budget", help="override the budget: 90s, 8min, 1h, 40trials or 5min,40trials")
    s.add_argument("--storage", help="optuna storage URL shared by several workers (postgresql://…, sqlite:///…)")
    s.add_argument("--seed", type=int, help="override the seed")
    s.add_argument("--workers", type=int, help="parallel training processes (default: one per CPU core)")
    s.add_argument("--data-dir", help="folder holding the data files")
    s.add_argument("--quiet", action="store_true", help="no progress output")
    s.add_argument("--no-report", action="store_true", help="skip the audit report at the end")
    s.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "predict",
        help="predict with a run's model; logs every decision",
        description="Predict a CSV (header row, the feature columns the model reads) with the selected model "
        "of a run (or the glass box it offers). Each row gets the prediction, the probabilities and the hard rule that "
        "decided it; each decision is appended to a JSON Lines log.",
        epilog=_EPILOG_PREDICT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", help="run directory (or a model directory)")
    p.add_argument("data", help="CSV file with a header row")
    p.add_argument("--out", help="write predictions here (default: standard output; never the input or a run's file)")
    p.add_argument(
        "--log",
        help="decision log to append to (default: RUN/decisions.jsonl); an existing file must be one, outside the run",
    )
    p.add_argument(
        "--model",
        choices=("selected", "glass-box"),
        default="selected",
        help="the run's selected (final) model, or the glass box its search offers",
    )
    p.set_defaults(func=cmd_predict)

    from snas import _cli_audit

    _cli_audit.register(sub, parser_class)
