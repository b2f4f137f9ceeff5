"""How snas's fixed network should train on small data: candidate training settings measured
on validation rows carved from the *training* split only (the test split is never read).

Census Income: a stratified sample of ``--rows`` rows of adult.data per seed; validation =
5,000 other adult.data rows (stratified, same seed). Breast cancer: a stratified share of the
training split; validation = the rest of the training split. Seeds default to 100–104, so
the samples differ from the learning curve's (seeds 0–4).

A setting is a comma-separated list of ``key=value`` changes to today's recipe (``base``):

    vf   validation_fraction         ps  patience in optimiser steps
    ms   at least this many steps    m   ensemble members
    lam  rule_lambda                 kb  kbann_weight
    bs   batch_size                  ema ema_decay (auto: adapted)
    do   dropout                     wd  weight_decay
    enc  numeric_encoding            sig frequency_scale
    w    width of both layers        lr  learning_rate
    fam  family (mlp, additive)      sb  shape_bins (glass-box shapes)
    pb   pair_bins (glass-box pairs)
    pairs  the K best-ranked pairwise terms (glass boxes; ranked on the fit rows)
    pos    1: of those, only the pairs of positive score

``auto`` is what :func:`snas.model.adapt_to_rows` chooses (``base`` pins the old fixed recipe); ``hgb``, ``hgb-fair``,
``logistic`` and ``ebm`` are peers measured on the same rows for reference.

    python bench/small_defaults.py --dataset census --rows 325 --settings base "ps=100" ...
    python bench/small_defaults.py --report
→ bench/results/small-defaults.json (appended; finished cells are skipped) and small-defaults.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import time
from typing import Any

import numpy as np
from _common import RESULTS, ROOT, data_dir, machine, markdown_table, write_results

NAME = "small-defaults"
TODAY = {"validation_fraction": 0.15}  # today's recipe is NetworkSpec's defaults
KEYS = {
    "m": ("members", int),
    "lam": ("rule_lambda", float),
    "kb": ("kbann_weight", float),
    "bs": ("batch_size", int),
    "ema": ("ema_decay", float),
    "do": ("dropout", float),
    "wd": ("weight_decay", float),
    "enc": ("numeric_encoding", str),
    "sig": ("frequency_scale", float),
    "lr": ("learning_rate", float),
    "fam": ("family", str),
    "sb": ("shape_bins", int),
    "pb": ("pair_bins", int),
}
PEERS = {
    "hgb": "HistGradientBoosting",
    "hgb-fair": "HistGradientBoosting + rule constraints + hard rules",
    "logistic": "logistic regression",
    "ebm": "EBM",
}


def parse_setting(text: str, n_rows: int) -> tuple[dict[str, Any], float]:
    """``key=value,…`` → (NetworkSpec overrides, validation fraction)."""
    from snas.model import steps_per_epoch
    from snas.nn import NetworkSpec

    base = NetworkSpec()
    arch: dict[str, Any] = {}
    vf = TODAY["validation_fraction"]
    patience_steps = min_steps = None
    auto_ema = False
    for part in filter(None, text.split(",")):
        if part == "base":
            continue
        key, value = part.split("=")
        if key == "vf":
            vf = float(value)
        elif key == "ps":
            patience_steps = int(value)
        elif key == "ms":
            min_steps = int(value)
        elif key == "w":
            arch["layers"] = [int(value), int(value)]
        elif key == "pairs":
            arch["pairs"] = int(value)  # ranked in run_cell, where the rows are known
        elif key == "pos":
            arch["positive_pairs"] = bool(int(value))  # pairs: only those of positive score
        elif (key, value) == ("ema", "auto"):
            auto_ema = True
        else:
            field, kind = KEYS[key]
            arch[field] = kind(value)
    if not auto_ema:  # given, so not adapted to the rows: the old fixed recipe
        arch.setdefault("ema_decay", base.ema_decay)
    per_epoch = steps_per_epoch(n_rows, vf, arch.get("batch_size", base.batch_size))
    if patience_steps is not None:
        arch["patience"] = max(1, math.ceil(patience_steps / per_epoch))
    if min_steps is not None:
        arch["max_epochs"] = max(base.max_epochs, math.ceil(min_steps / per_epoch))
    return arch, vf


def samples(dataset: str, n_rows: int, seed: int) -> tuple[Any, Any, Any, Any, Any, Any]:
    """(data, rules, X_fit, y_fit, X_val, y_val) from the training split only."""
    from sklearn.model_selection import train_test_split

    data, rules = _load(dataset)
    X, y = data.X_train.reset_index(drop=True), data.y_train.reset_index(drop=True)
    if n_rows >= len(X):
        raise SystemExit(f"--rows must be below the {len(X)} training rows (validation comes from the rest)")
    fit, rest = train_test_split(np.arange(len(X)), train_size=n_rows, stratify=y, random_state=seed)
    if len(rest) > 5000:
        rest, _ = train_test_split(rest, train_size=5000, stratify=y.iloc[rest], random_state=seed)
    return data, rules, X.iloc[fit], y.iloc[fit], X.iloc[rest], y.iloc[rest]


@functools.cache
def _load(dataset: str) -> tuple[Any, Any]:
    from snas.datasets import load
    from snas.rules import load_rules

    name = {"census": "census_income", "breast": "breast_cancer"}[dataset]
    return load(ROOT / "datasets" / f"{name}.yaml", data_dir=data_dir()), load_rules(ROOT / "rules" / f"{name}.yaml")


def run_cell(dataset: str, n_rows: int, setting: str, seed: int) -> dict[str, Any]:
    from compare import make, model_classes
    from sklearn.metrics import log_loss, roc_auc_score

    from snas.estimator import SNASClassifier

    data, rules, Xf, yf, Xv, yv = samples(dataset, n_rows, seed)
    t0 = time.perf_counter()
    chosen: dict[str, Any] = {}
    if setting in PEERS:
        w, _ = make(PEERS[setting], seed, data, rules, train=(Xf, yf))
        proba, classes = w.predict_proba(Xv), [str(c) for c in model_classes(w.model)]
    else:
        kwargs: dict[str, Any] = {}
        if setting != "auto":
            arch, vf = parse_setting(setting, n_rows)
            if "pairs" in arch:
                arch["pairs"] = ranked_pairs(Xf, yf, rules, arch["pairs"], arch.pop("positive_pairs", False))
            kwargs = {"architecture": arch, "validation_fraction": vf}
        clf = SNASClassifier(rules=rules, random_state=seed, **kwargs).fit(Xf, yf)
        proba, classes = clf.predict_proba(Xv), [str(c) for c in clf.classes_]
        chosen = dict(getattr(clf, "defaults_", {}))
        chosen["epochs"] = [[r.epochs, r.best_epoch] for r in clf.train_results_]
    positive = classes.index(rules.positive)
    truth = yv.astype(str).to_numpy()
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    return {
        "dataset": dataset,
        "rows": n_rows,
        "setting": setting,
        "seed": seed,
        "accuracy": float((pred == truth).mean()),
        "roc_auc": float(roc_auc_score(truth == rules.positive, proba[:, positive])),
        "log_loss": float(log_loss(truth, np.clip(proba, 1e-6, 1 - 1e-6), labels=classes)),
        "seconds": time.perf_counter() - t0,
        "chosen": chosen,
    }


def ranked_pairs(X: Any, y: Any, rules: Any, n: int, positive_only: bool = False) -> list[list[str]]:
    """The ``n`` best pairwise terms on the fit rows, as the search ranks its candidates."""
    from snas.model import Task
    from snas.nn import rank_pairs

    labels = y.astype(str).to_numpy()
    task = Task.fit(X.reset_index(drop=True), labels, rules, target=rules.target)
    fit = task.training_data(X.reset_index(drop=True), labels)
    ranked = rank_pairs(task.layout, fit.inputs, fit.y, fit.forced, n=n, positive_only=positive_only)
    return [list(p) for p in ranked]


def load_runs() -> list[dict[str, Any]]:
    path = RESULTS / f"{NAME}.json"
    return json.loads(path.read_text())["runs"] if path.is_file() else []


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for key in dict.fromkeys((r["dataset"], r["rows"], r["setting"]) for r in runs):
        rs = [r for r in runs if (r["dataset"], r["rows"], r["setting"]) == key]
        acc = [r["accuracy"] for r in rs]
        base = {r["seed"]: r["accuracy"] for r in runs if (r["dataset"], r["rows"], r["setting"]) == (*key[:2], "base")}
        paired = [100 * (r["accuracy"] - base[r["seed"]]) for r in rs if r["seed"] in base]
        rows.append(
            {
                "dataset": key[0],
                "rows": key[1],
                "setting": key[2],
                "seeds": len(rs),
                "accuracy": 100 * statistics.mean(acc),
                "sd": 100 * statistics.stdev(acc) if len(acc) > 1 else 0.0,
                "vs_base": statistics.mean(paired) if paired else None,
                "vs_base_sd": statistics.stdev(paired) if len(paired) > 1 else None,
                "roc_auc": statistics.mean(r["roc_auc"] for r in rs),
                "log_loss": statistics.mean(r["log_loss"] for r in rs),
                "seconds": statistics.mean(r["seconds"] for r in rs),
            }
        )
    return sorted(rows, key=lambda r: (r["dataset"], r["rows"], -r["accuracy"]))


def report(runs: list[dict[str, Any]]) -> str:
    m = machine()
    head = (
        "Validation accuracy (%) of candidate training settings for snas's fixed network with the rule "
        "file, mean ± sd over the seeds; validation rows come from the training split only "
        f"(see bench/small_defaults.py). Measured {m['date']} on {m['cpu_count']} CPU cores "
        f"({m['processor']}), torch {m['torch']}, 1 torch thread.\n\n"
    )
    return head + markdown_table(
        summarise(runs),
        [
            ("dataset", "data", ""),
            ("rows", "rows", ",d"),
            ("setting", "setting", ""),
            ("seeds", "seeds", "d"),
            ("accuracy", "val. accuracy %", ".2f"),
            ("sd", "± sd", ".2f"),
            ("vs_base", "vs base (paired)", "+.2f"),
            ("vs_base_sd", "± sd", ".2f"),
            ("roc_auc", "ROC-AUC", ".4f"),
            ("log_loss", "log-loss", ".4f"),
            ("seconds", "fit s", ".1f"),
        ],
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=["census", "breast"], default="census")
    p.add_argument("--rows", type=int)
    p.add_argument("--settings", nargs="+", default=[])
    p.add_argument("--seeds", type=int, nargs="+", default=[100, 101, 102, 103, 104])
    p.add_argument("--report", action="store_true", help="only rewrite the Markdown table")
    args = p.parse_args()
    runs = load_runs()
    done = {(r["dataset"], r["rows"], r["setting"], r["seed"]) for r in runs}
    for setting in [] if args.report else args.settings:
        for seed in args.seeds:
            if (args.dataset, args.rows, setting, seed) in done:
                continue
            runs.append(run_cell(args.dataset, args.rows, setting, seed))
            write_results(NAME, {"runs": runs}, report(runs))
            r = runs[-1]
            print(f"{r['rows']:>6} {setting:<40} seed {seed}: {r['accuracy']:.4f} ({r['seconds']:.1f}s)", flush=True)
    write_results(NAME, {"runs": runs}, report(runs))
    for row in summarise(runs):
        if args.report or (row["dataset"], row["rows"]) == (args.dataset, args.rows):
            d = "" if row["vs_base"] is None else f"  Δ {row['vs_base']:+.2f} ± {row['vs_base_sd'] or 0:.2f}"
            print(f"{row['rows']:>6} {row['setting']:<40} {row['accuracy']:.2f} ± {row['sd']:.2f}{d}  n={row['seeds']}")


if __name__ == "__main__":
    main()
