"""Where knowledge pays: test accuracy against the number of training rows.

Census Income: stratified samples of 1, 2, 5, 10, 25 and 100% of adult.data (a new sample per
seed; 100% varies only the seed), always scored on the full adult.test. Breast cancer: 10,
25, 50 and 100% of its training split, scored on its test split. Models: snas with the rule
file (the fixed default network — a glass box, see snas.model.adapt_to_rows —, the default
MLP, and the search at a budget scaled to the rows), snas without rules, snas with every
hard rule turned soft, HistGradientBoosting (plain, and the fair peer: the rule file's monotonic constraints and exclusions with its hard rules applied
to the boosted output), EBM, logistic regression and a PSyKI-style KINS network (the
baselines of bench/compare.py).

EBM ran on breast cancer at 10% and 25% only (one fit took 22 s to 25 minutes on 39–99 rows
here, its interaction search over 30 features; 50% and 100% were left out). The default MLP
("snas + rules, MLP") is left out there: breast cancer's rule file caps networks at 20,000
parameters, which the default MLP exceeds.

One invocation runs one dataset, one fraction and any models, appending to the JSON (cells
already there are skipped), so a long sweep runs in short chunks:

    python bench/learning_curve.py --dataset census --fraction 0.05 [--models ...] [--seeds 0 1 2 3 4]
    python bench/learning_curve.py --report
→ bench/results/learning-curve.json, learning-curve.md, learning-curve.png and the
  `<!-- learning-curve -->` block of README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import statistics
import time
from typing import Any

import numpy as np
from _common import RESULTS, ROOT, data_dir, machine, markdown_table, write_results
from compare import Wrapped, make, measure

NAME = "learning-curve"
FRACTIONS = {"census": (0.01, 0.02, 0.05, 0.1, 0.25, 1.0), "breast": (0.1, 0.25, 0.5, 1.0)}
TITLES = {
    "census": "Census Income, adult.data sample → full adult.test",
    "breast": "Breast cancer, share of the 398 training rows → 171 test rows",
}
SNAS = ("snas + rules", "snas + rules, MLP", "snas + rules, searched", "snas, soft rules only", "snas, no rules")
PEERS = (
    "HistGradientBoosting",
    "HistGradientBoosting + rule constraints + hard rules",
    "EBM",
    "logistic regression",
    "PSyKI-style KINS",
)
MODELS = SNAS + PEERS


@functools.cache
def dataset(name: str) -> tuple[Any, Any]:
    from snas.datasets import load
    from snas.rules import load_rules

    file = {"census": "census_income", "breast": "breast_cancer"}[name]
    return load(ROOT / "datasets" / f"{file}.yaml", data_dir=data_dir()), load_rules(ROOT / "rules" / f"{file}.yaml")


def training_rows(data: Any, fraction: float, seed: int) -> tuple[Any, Any]:
    """A stratified sample of the training split (all of it at fraction 1)."""
    from sklearn.model_selection import train_test_split

    X, y = data.X_train, data.y_train
    if fraction >= 1:
        return X, y
    idx, _ = train_test_split(np.arange(len(X)), train_size=fraction, stratify=y, random_state=seed)
    idx = np.sort(idx)
    return X.iloc[idx], y.iloc[idx]


def search_budget(n_rows: int) -> str:
    """Seconds of search scaled to the data: 10 s up to ~2,500 rows, 60 s for 32,561."""
    return f"{int(min(60, max(10, 6 + n_rows / 600)))}s"


def soft_only(rules: Any) -> Any:
    """The same rule file with every hard rule soft (constraints unchanged)."""
    return dataclasses.replace(rules, rules=tuple(dataclasses.replace(r, strength="soft") for r in rules))


def fit(name: str, seed: int, data: Any, rules: Any, X: Any, y: Any) -> tuple[Wrapped, float]:
    """Fit model ``name`` on (X, y); (wrapped model, fit seconds)."""
    from snas.estimator import SNASClassifier

    if name not in SNAS:
        return make(name, seed, data, rules, train=(X, y))
    t0 = time.perf_counter()
    kwargs: dict[str, Any] = {
        "snas + rules": {"rules": rules},
        "snas + rules, MLP": {"rules": rules, "architecture": {"family": "mlp"}},
        "snas + rules, searched": {"rules": rules, "budget": search_budget(len(X))},
        "snas, soft rules only": {"rules": soft_only(rules)},
        "snas, no rules": {},
    }[name]
    clf = SNASClassifier(random_state=seed, **kwargs).fit(X, y)
    return Wrapped(clf, lambda f: f, clf.n_parameters_), time.perf_counter() - t0


def run_cell(name: str, dataset_name: str, fraction: float, seed: int) -> dict[str, Any]:
    data, rules = dataset(dataset_name)
    X, y = training_rows(data, fraction, seed)
    t0 = time.perf_counter()
    w, seconds = fit(name, seed, data, rules, X, y)
    row = {"dataset": dataset_name, "fraction": fraction, "rows": len(X), "model": name, "seed": seed}
    row.update(measure(w, data, rules, seconds))
    row["defaults"] = dict(getattr(w.model, "defaults_", {}) or {})
    row["wall_seconds"] = time.perf_counter() - t0
    return row


def load_runs() -> list[dict[str, Any]]:
    path = RESULTS / f"{NAME}.json"
    return json.loads(path.read_text())["runs"] if path.is_file() else []


# ------------------------------------------------------------------ summaries
def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (dataset, fraction, model): means over the seeds, sd of accuracy."""
    out = []
    keys = sorted({(r["dataset"], r["fraction"], r["model"]) for r in runs}, key=_order)
    for key in keys:
        rs = [r for r in runs if (r["dataset"], r["fraction"], r["model"]) == key]
        acc = [100 * r["accuracy"] for r in rs]
        out.append(
            {
                "dataset": key[0],
                "fraction": key[1],
                "rows": rs[0]["rows"],
                "model": key[2],
                "seeds": len(rs),
                "accuracy": statistics.mean(acc),
                "sd": statistics.stdev(acc) if len(acc) > 1 else 0.0,
                "roc_auc": statistics.mean(r["roc_auc"] for r in rs),
                "hard_violations": max(r["hard_violations"] for r in rs),
                "fit_seconds": statistics.mean(r["fit_seconds"] for r in rs),
            }
        )
    return out


def _order(key: tuple[str, float, str]) -> tuple[int, float, int]:
    return (list(FRACTIONS).index(key[0]), key[1], MODELS.index(key[2]) if key[2] in MODELS else 99)


def margins(summary: list[dict[str, Any]], dataset_name: str) -> dict[float, float]:
    """snas + rules minus the best peer, in accuracy points, per fraction."""
    out = {}
    for f in FRACTIONS[dataset_name]:
        at = {r["model"]: r["accuracy"] for r in summary if r["dataset"] == dataset_name and r["fraction"] == f}
        peers = [at[p] for p in PEERS if p in at]
        if "snas + rules" in at and peers:
            out[f] = at["snas + rules"] - max(peers)
    return out


def wide_table(summary: list[dict[str, Any]], dataset_name: str) -> str:
    """Models × training rows: test accuracy % (± sd over seeds)."""
    rows_of = {r["fraction"]: r["rows"] for r in summary if r["dataset"] == dataset_name}
    fracs = [f for f in FRACTIONS[dataset_name] if f in rows_of]
    head = "| model | " + " | ".join(f"{rows_of[f]:,} ({100 * f:g}%)" for f in fracs) + " |"
    lines = [head, "|---|" + "---|" * len(fracs)]
    for model in MODELS:
        cells = []
        for f in fracs:
            r = next(
                (s for s in summary if (s["dataset"], s["fraction"], s["model"]) == (dataset_name, f, model)), None
            )
            cells.append("—" if r is None else f"{r['accuracy']:.2f} ± {r['sd']:.2f}")
        if any(c != "—" for c in cells):
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
    m = margins(summary, dataset_name)
    lines.append(
        "| **snas + rules − best peer** | " + " | ".join(f"**{m[f]:+.2f}**" if f in m else "—" for f in fracs) + " |"
    )
    return "\n".join(lines) + "\n"


def long_table(summary: list[dict[str, Any]], dataset_name: str) -> str:
    return markdown_table(
        [r for r in summary if r["dataset"] == dataset_name],
        [
            ("rows", "training rows", ",d"),
            ("model", "model", ""),
            ("seeds", "seeds", "d"),
            ("accuracy", "test accuracy %", ".2f"),
            ("sd", "± sd", ".2f"),
            ("roc_auc", "ROC-AUC", ".4f"),
            ("hard_violations", "hard-rule violations (max)", "d"),
            ("fit_seconds", "fit s", ".1f"),
        ],
    )


def header(runs: list[dict[str, Any]]) -> str:
    m = machine()
    dates = sorted({r.get("date", m["date"]) for r in runs})
    total = sum(r.get("wall_seconds", 0.0) for r in runs)
    return (
        f"Test accuracy % (mean ± sd over seeds 0–4; a new stratified training sample per seed) against the "
        f"number of training rows. Measured {dates[0]}{' – ' + dates[-1] if len(dates) > 1 else ''} on "
        f"{m['cpu_count']} CPU cores ({m['processor']}, {m['platform']}), torch {m['torch']}, 1 torch thread; "
        f"{total / 60:.0f} minutes of fitting and scoring in all. Peers: "
        + ", ".join(p for p in PEERS if any(r["model"] == p for r in runs))
        + " (the fair peer: the rule file's monotonicity and exclusions, hard rules applied to its output). "
        "Written by bench/learning_curve.py.\n"
    )


# ----------------------------------------------------------------------- plot
def plot(summary: list[dict[str, Any]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [d for d in FRACTIONS if any(r["dataset"] == d for r in summary)]
    fig, axes = plt.subplots(1, len(names), figsize=(6.5 * len(names), 4.8), squeeze=False)
    for ax, d in zip(axes[0], names, strict=True):
        for model in MODELS:
            rs = [r for r in summary if r["dataset"] == d and r["model"] == model]
            if not rs:
                continue
            style = {"linewidth": 2.4, "zorder": 3} if model.startswith("snas + rules") else {"linewidth": 1.2}
            ax.errorbar(
                [r["rows"] for r in rs],
                [r["accuracy"] for r in rs],
                yerr=[r["sd"] for r in rs],
                marker="o",
                markersize=3.5,
                capsize=2.5,
                label=model,
                color=f"C{MODELS.index(model)}",  # one colour per model on every panel
                linestyle="--" if model not in SNAS else "-",
                **style,
            )
        ax.set_xscale("log")
        ax.set_xlabel("training rows (log scale)")
        ax.set_ylabel("test accuracy %")
        ax.set_title(TITLES[d], fontsize=10)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7.5, loc="lower right")
    fig.suptitle(f"Accuracy against training rows (error bars: sd over 5 seeds), {machine()['date']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{NAME}.png", dpi=130)
    plt.close(fig)


def write_report(runs: list[dict[str, Any]]) -> str:
    summary = summarise(runs)
    parts = [header(runs)]
    for d in FRACTIONS:
        if any(r["dataset"] == d for r in summary):
            parts.append(f"\n**{TITLES[d]}**\n\n" + wide_table(summary, d))
    short = "".join(parts)
    detail = short + "".join(
        f"\n**{TITLES[d]}: every measure**\n\n" + long_table(summary, d)
        for d in FRACTIONS
        if any(r["dataset"] == d for r in summary)
    )
    write_results(NAME, {"summary": summary, "runs": runs}, detail)
    if summary:
        plot(summary)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- learning-curve -->", "<!-- /learning-curve -->"
    if start in text and end in text:
        block = f"![accuracy against training rows](bench/results/{NAME}.png)\n\n" + short
        readme.write_text(text.split(start)[0] + start + "\n" + block + end + text.split(end, 1)[1])
    return detail


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", choices=list(FRACTIONS), default="census")
    p.add_argument("--fraction", type=float)
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS), metavar="MODEL")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--report", action="store_true", help="only rewrite the table, plot and README block")
    args = p.parse_args()
    runs = load_runs()
    if not args.report:
        if args.fraction not in FRACTIONS[args.dataset]:
            p.error(f"--fraction must be one of {FRACTIONS[args.dataset]} for {args.dataset}")
        done = {(r["dataset"], r["fraction"], r["model"], r["seed"]) for r in runs}
        for name in args.models:
            for seed in args.seeds:
                if (args.dataset, args.fraction, name, seed) in done:
                    continue
                runs.append({**run_cell(name, args.dataset, args.fraction, seed), "date": machine()["date"]})
                write_results(NAME, {"runs": runs})
                r = runs[-1]
                print(
                    f"{r['rows']:>6} {name:<52} seed {seed}: {r['accuracy']:.4f} ({r['fit_seconds']:.1f}s)", flush=True
                )
    print(write_report(runs))


if __name__ == "__main__":
    main()
