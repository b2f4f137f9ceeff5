"""Search benchmark on Census Income (adult.data → adult.test), 2 cores.

    python bench/search.py --part a     [--seeds 0 1 2]       the default search (search/census_income.yaml)
    python bench/search.py --part a-summary                   part a's table again from its JSON
    python bench/search.py --part tau   [--n 32]              trust in weight sharing (Kendall τ)
    python bench/search.py --part b     [--seeds 0..9] [--budget 60s]   strategies at equal wall budget
    python bench/search.py --part b-summary                   part b's table and Wilcoxon tests
    python bench/search.py --part load                        the default search beside a CPU hog

(a) per seed: wall time of `snas search` (search, refit and audit report), generations, architectures
    evaluated per fidelity, stand-alone trainings; the selected model and the smallest front model
    on adult.test: accuracy, ROC-AUC, hard-rule violations, monotonicity violations, F_soft, size;
    the best glass box and the best member of ≤ 1,000 parameters on the front.
(tau) one supernet (the default search's settings, seed 0); random architectures evaluated with
    inherited weights and trained stand-alone from scratch, both on the search's validation split;
    Kendall τ and a PNG scatter plot.
(b) random / evolution / gradient / evolution+gradient under the same wall budget per seed (each
    seed's supernet trained once and shared by the four, so the budget covers the outer loop,
    the stand-alone trainings and the refit); hypervolume of the adult.test objectives of every
    stand-alone model (fixed normalisation and reference point); one-sided Wilcoxon signed-rank
    tests across seeds.
(load) the default search while another process keeps one core busy: wall time against budget.

adult.test is only read to report; nothing here feeds back into a default.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import ROOT, data_dir, markdown_table, test_metrics, write_results

RUNS = ROOT / "runs"
# fixed normalisation: error in [0, 0.25], log10(complexity) in [0, 5.5], infidelity in [0, 0.1]
BOUNDS = np.array([[0.0, 0.25], [0.0, 5.5], [0.0, 0.1]])
REFERENCE = np.array([1.0, 1.0, 1.0])
STRATEGIES = ("random", "evolution", "gradient", "evolution+gradient")


def _data_and_rules():
    from snas.datasets import load
    from snas.rules import load_rules

    return load("census_income", data_dir=data_dir()), load_rules(ROOT / "rules" / "census_income.yaml")


def _config():
    from snas.search import load_config

    return load_config(ROOT / "search" / "census_income.yaml")


# ----------------------------------------------------------------------- part a
def part_a(seeds: list[int], reuse: bool = False) -> dict:
    """The README's main job per seed: `snas search … --seed N` (with its audit report);
    ``reuse`` measures existing run directories again instead of searching."""
    from snas.model import FittedModel
    from snas.search import RunDirectory

    data, rules = _data_and_rules()
    runs = []
    for seed in seeds:
        out = RUNS / f"bench-default-{seed}"
        wall, stderr = _default_search(out, seed) if not reuse else _previous(seed)
        run = RunDirectory(out)
        history, front, summary = run.read_history(), run.read_front(), run.read_summary()
        selected = FittedModel.load(run.model_dir)
        small = min((e for e in history if e.fidelity == "stand-alone"), key=lambda e: e.metrics["parameters"])
        small_model = _trained(run, small, data, rules)
        runs.append(
            {
                "seed": seed,
                "wall_seconds_search_refit_audit": wall,
                "search_and_refit_seconds": summary["elapsed_seconds"],
                "evaluated": summary["evaluated"],
                "generations": 1 + max(e.generation or 0 for e in history if e.fidelity == "inherited"),
                "front_size": len(front["front"]),
                "refit": summary["refit"],
                "phases": _phases(stderr),
                "selected": {"number": front["selected"], **test_metrics(selected, data, rules)},
                "ensemble": summary.get("ensemble"),
                "selected_single_stand_alone": _trained(
                    run, next(e for e in history if e.number == front["selected"]), data, rules
                ),
                "smallest_stand_alone": {
                    "number": small.number,
                    "validation_accuracy": small.metrics["accuracy"],
                    **small_model,
                },
                "best_front_member_up_to_1000_parameters": _best_front_member(
                    run, front, data, rules, lambda e: e.metrics["parameters"] <= 1000
                ),
                "best_glass_box_front_member": _best_front_member(run, front, data, rules, _is_glass_box),
                "families": sorted({e.genome.get("family", "mlp") for e in history if e.fidelity == "stand-alone"}),
            }
        )
        print(json.dumps(runs[-1], indent=1), flush=True)
    mean = {k: statistics.mean(r["selected"][k] for r in runs) for k in ("test_accuracy", "test_roc_auc", "f_soft")}
    return {"runs": runs, "selected_mean": mean}


def _default_search(out: Path, seed: int) -> tuple[float, str]:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [sys.executable, "-m", "snas", "search", str(ROOT / "search" / "census_income.yaml")]
    cmd += ["--out", str(out), "--data-dir", data_dir(), "--seed", str(seed)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr[-4000:])
    (out / "bench-stderr.log").write_text(proc.stderr)
    return time.perf_counter() - t0, proc.stderr


def _previous(seed: int) -> tuple[float, str]:
    """Wall time and progress log of an earlier part (a) run of this seed."""
    old = json.loads((ROOT / "bench" / "results" / "search-a.json").read_text())
    row = next(r for r in old["runs"] if r["seed"] == seed)
    log = RUNS / f"bench-default-{seed}" / "bench-stderr.log"
    return row["wall_seconds_search_refit_audit"], log.read_text() if log.is_file() else ""


def _best_front_member(run, front: dict, data, rules, keep) -> dict | None:
    """The front member ``keep`` accepts with the best validation accuracy, on adult.test."""
    from snas.search import Evaluation

    chosen = [e for e in map(Evaluation.from_dict, front["front"]) if keep(e)]
    if not chosen:
        return None
    best = max(chosen, key=lambda e: e.metrics["accuracy"])
    return {"number": best.number, "validation_accuracy": best.metrics["accuracy"], **_trained(run, best, data, rules)}


def _is_glass_box(e, max_pairs: int = 10) -> bool:
    return e.genome.get("family") == "additive" and len(e.genome.get("pairs", [])) <= max_pairs


def _trained(run, ev, data, rules) -> dict:
    """Test metrics of a stand-alone candidate's saved model."""
    from snas.model import FittedModel

    path = run.candidate_of(ev)
    return test_metrics(FittedModel.load(path), data, rules)


def _objectives(run, ev, data, rules) -> dict:
    """The three objectives of a stand-alone candidate's saved model on adult.test (what the
    hypervolume reads; cheaper than :func:`_trained`, which also measures monotonicity)."""
    from snas.metrics import rule_metrics, rule_summary
    from snas.model import FittedModel

    model = FittedModel.load(run.candidate_of(ev))
    X, y = data.X_test.reset_index(drop=True), data.y_test.astype(str).to_numpy()
    proba = model.predict_proba(X)
    classes = list(model.task.classes)
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    s = rule_summary(rule_metrics(rules, X, pred, proba, classes, y, data.schema))
    return {"test_accuracy": float((pred == y).mean()), "complexity": int(model.complexity), "f_soft": s["f_soft"]}


def _phases(stderr: str) -> dict:
    """Seconds at which each phase started, from the progress log."""
    out = {}
    for line in stderr.replace("\r", "\n").splitlines():
        if line.startswith("[") and "] " in line:
            stamp, text = line[1:].split("] ", 1)
            phase = text.split(":", 1)[0]
            if phase in ("supernet", "evolution", "stand-alone", "refit") and phase not in out:
                m, s = stamp.split("m")
                out[phase] = int(m) * 60 + int(s.rstrip("s"))
    return out


# --------------------------------------------------------------------- part tau
def part_tau(n: int) -> dict:
    from scipy.stats import kendalltau
    from sklearn.model_selection import train_test_split

    from snas.model import FittedModel, Task
    from snas.search import SearchSpace, Supernet, ValidationSet

    data, rules = _data_and_rules()
    cfg = _config()
    X, y = data.X_train, data.y_train.astype(str).to_numpy()
    fit_idx, val_idx = train_test_split(
        np.arange(len(X)), test_size=cfg.validation_fraction, random_state=0, stratify=y
    )
    Xf, Xv = X.iloc[np.sort(fit_idx)].reset_index(drop=True), X.iloc[np.sort(val_idx)].reset_index(drop=True)
    yf, yv = y[np.sort(fit_idx)], y[np.sort(val_idx)]
    task = Task.fit(Xf, yf, rules, target=data.schema.target, classes=data.schema.classes)
    fit = task.training_data(Xf, yf, task.compiled.soft_ids)
    space = SearchSpace(cfg, task.layout, task.compiled.max_parameters, fit_rows=len(fit.y))  # as the search
    val = ValidationSet.build(task, Xv, yv, cfg.metric)
    t0 = time.perf_counter()
    sn = Supernet(task, space, seed=0)
    sn.train(fit, cfg.supernet)
    supernet_seconds = time.perf_counter() - t0
    rng = np.random.default_rng(7)
    rows = []
    for i in range(n):
        g = space.repair(space.random(rng))
        inherited = sn.evaluate(g, val)
        t1 = time.perf_counter()
        model = FittedModel.train(task, space.spec(g, space.default_recipe(g)), Xf, yf, seed=0, data=fit)
        alone = float((model.predict(Xv) == yv).mean())
        rows.append(
            {
                "architecture": g.describe(),
                "family": g.family,
                "parameters": inherited["parameters"],
                "complexity": inherited["complexity"],
                "inherited_accuracy": inherited["accuracy"],
                "stand_alone_accuracy": alone,
                "train_seconds": time.perf_counter() - t1,
            }
        )
        print(i, rows[-1], flush=True)
    tau = kendalltau([r["inherited_accuracy"] for r in rows], [r["stand_alone_accuracy"] for r in rows])
    _tau_plot(rows, float(tau.statistic))
    per_family = {}
    for family in sorted({r["family"] for r in rows}):
        own = [r for r in rows if r["family"] == family]
        if len(own) < 3:
            continue  # τ is undefined for fewer rows
        t = kendalltau([r["inherited_accuracy"] for r in own], [r["stand_alone_accuracy"] for r in own])
        per_family[family] = {"n": len(own), "kendall_tau": float(t.statistic), "p_value": float(t.pvalue)}
    return {
        "supernet_seconds": supernet_seconds,
        "n": n,
        "families": list(cfg.space.families),
        "kendall_tau": float(tau.statistic),
        "p_value": float(tau.pvalue),
        "per_family": per_family,
        "rows": rows,
    }


def tau_table(payload: dict) -> str:
    families = "; ".join(f"{f}: {v['kendall_tau']:.3f} over {v['n']}" for f, v in payload.get("per_family", {}).items())
    return (
        f"Kendall τ (inherited vs stand-alone validation accuracy, {payload['n']} random architectures of "
        f"the default space): {payload['kendall_tau']:.3f} (p = {payload['p_value']:.2g})"
        + (f"; within each family — {families}" if families else "")
        + "\n"
    )


def _tau_plot(rows: list[dict], tau: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["inherited_accuracy"] for r in rows]
    y = [r["stand_alone_accuracy"] for r in rows]
    fig, ax = plt.subplots(figsize=(5, 4.2))
    marker = {"mlp": "o", "additive": "s"}
    for family in sorted({r.get("family", "mlp") for r in rows}):
        own = [r for r in rows if r.get("family", "mlp") == family]
        points = ax.scatter(
            [r["inherited_accuracy"] for r in own],
            [r["stand_alone_accuracy"] for r in own],
            c=np.log10([r["parameters"] for r in own]),
            cmap="viridis",
            vmin=1,
            vmax=5.5,
            s=24,
            marker=marker.get(family, "o"),
            label=family,
        )
    fig.colorbar(points, ax=ax, label="log10 parameters")
    ax.legend(fontsize=8, loc="lower right")
    lo, hi = min(x + y), max(x + y)
    ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, ls="--")
    ax.set_xlabel("validation accuracy, inherited supernet weights")
    ax.set_ylabel("validation accuracy, trained stand-alone")
    ax.set_title(f"Census Income, {len(rows)} random architectures: Kendall τ = {tau:.2f}", fontsize=9)
    fig.tight_layout()
    fig.savefig(ROOT / "bench" / "results" / "search-tau.png", dpi=130)


# ----------------------------------------------------------------------- part b
def _normalise(m: dict) -> np.ndarray:
    v = np.array([1 - m["test_accuracy"], math.log10(max(m["complexity"], 1)), 1 - (m["f_soft"] or 1.0)])
    return (v - BOUNDS[:, 0]) / (BOUNDS[:, 1] - BOUNDS[:, 0])


def one_strategy_run(strategy: str, seed: int, budget: str, supernet: Path) -> dict:
    from snas.search import RunDirectory, hypervolume, parse_budget, search

    data, rules = _data_and_rules()
    cfg = dataclasses.replace(
        _config(), strategy=strategy, seed=seed, budget=parse_budget(budget), name=f"bench-{strategy}-{seed}"
    )
    out = RUNS / f"bench-{strategy.replace('+', '-')}-{seed}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / ".snas-run").write_text('{"snas_run": 1}')
    for suffix in (".safetensors", ".json"):  # the seed's shared supernet: the budget covers what follows it
        shutil.copyfile(supernet.with_suffix(suffix), (out / "supernet").with_suffix(suffix))
    t0 = time.perf_counter()
    res = search(cfg, out, data_dir=data_dir(), progress=False).result
    wall = time.perf_counter() - t0
    run = RunDirectory(out)
    points = []
    for e in res.evaluations:
        if e.fidelity == "stand-alone":
            m = _objectives(run, e, data, rules)
            points.append(_normalise(m))
    row = {
        "strategy": strategy,
        "seed": seed,
        "budget": budget,
        "hypervolume": hypervolume(np.array(points), REFERENCE) if points else 0.0,
        "stand_alone": len(points),
        "inherited": res.counts()["inherited"],
        "wall_seconds": wall,
    }
    print(row, flush=True)
    return row


def _shared_supernet(seed: int) -> Path:
    """Train the seed's supernet once (the default search's settings) and keep its checkpoint."""
    from snas.search import RunDirectory, search

    out = RUNS / f"bench-supernet-{seed}"
    if not (out / "supernet.safetensors").is_file():
        shutil.rmtree(out, ignore_errors=True)
        cfg = dataclasses.replace(_config(), seed=seed, name=f"bench-supernet-{seed}")
        cfg = dataclasses.replace(cfg, evolution=dataclasses.replace(cfg.evolution, generations=1))
        cfg = dataclasses.replace(
            cfg, standalone=dataclasses.replace(cfg.standalone, candidates=1, eta=1, ensemble_top=0)
        )
        cfg = dataclasses.replace(cfg, refit=False)
        search(cfg, out, data_dir=data_dir(), budget="1trials", progress=False)
    return RunDirectory(out).supernet


RUNS_FILE = ROOT / "bench" / "results" / "search-b-runs.jsonl"


def part_b(budget: str, seeds: list[int], strategies: tuple[str, ...] = STRATEGIES) -> None:
    """Run the four strategies for each seed; rows are appended to ``search-b-runs.jsonl`` so
    seeds can run one at a time (the CPU is released between them)."""
    for seed in seeds:
        supernet = _shared_supernet(seed)
        for strategy in strategies:
            row = one_strategy_run(strategy, seed, budget, supernet)
            with RUNS_FILE.open("a") as fh:
                fh.write(json.dumps(row) + "\n")


def _validation_hypervolumes(strategy: str, seed: int) -> dict[str, float]:
    """Hypervolume of the validation objectives per fidelity of a run's evaluations (its
    history.json read once): ``stand-alone`` — its stand-alone models — and ``inherited`` —
    every architecture the outer loop evaluated with inherited weights, the front the
    evolution itself optimises."""
    from snas.search import RunDirectory, hypervolume

    run = RunDirectory(RUNS / f"bench-{strategy.replace('+', '-')}-{seed}")
    points: dict[str, list[np.ndarray]] = {"stand-alone": [], "inherited": []}
    for e in run.read_history():
        if e.fidelity in points:
            m = e.metrics
            points[e.fidelity].append(
                _normalise({"test_accuracy": m["accuracy"], "complexity": m["complexity"], "f_soft": m.get("f_soft")})
            )
    return {k: hypervolume(np.array(v), REFERENCE) if v else 0.0 for k, v in points.items()}


PAIRS = (
    ("evolution+gradient", "random"),
    ("evolution", "random"),
    ("evolution+gradient", "evolution"),
    ("gradient", "random"),
)


def _wilcoxon(hv: dict[str, list[float]]) -> dict:
    """One-sided Wilcoxon signed-rank tests (better > worse) across seeds."""
    from scipy.stats import wilcoxon

    tests = {}
    for better, worse in PAIRS:
        diff = np.array(hv[better]) - np.array(hv[worse])
        p = float(wilcoxon(diff, alternative="greater").pvalue) if np.any(diff != 0) else 1.0
        tests[f"{better} > {worse}"] = {"p_value": p, "wins": int((diff > 0).sum()), "seeds": len(diff)}
    return tests


def part_b_summary() -> dict:
    """Hypervolumes per strategy (adult.test and validation objectives) and one-sided
    Wilcoxon signed-rank tests across seeds."""
    rows = [json.loads(line) for line in RUNS_FILE.read_text().splitlines() if line.strip()]
    seeds = sorted(
        {
            r["seed"]
            for r in rows
            if all(any(x["seed"] == r["seed"] and x["strategy"] == s for x in rows) for s in STRATEGIES)
        }
    )
    pick = {(r["strategy"], r["seed"]): r for r in rows}
    for (strategy, seed), r in pick.items():
        hv_of = _validation_hypervolumes(strategy, seed)
        r["validation_hypervolume"], r["inherited_hypervolume"] = hv_of["stand-alone"], hv_of["inherited"]
    hv = {s: [pick[(s, seed)]["hypervolume"] for seed in seeds] for s in STRATEGIES}
    val = {s: [pick[(s, seed)]["validation_hypervolume"] for seed in seeds] for s in STRATEGIES}
    inh = {s: [pick[(s, seed)]["inherited_hypervolume"] for seed in seeds] for s in STRATEGIES}
    summary = [
        {
            "strategy": s,
            "median_hypervolume": statistics.median(hv[s]),
            "mean_hypervolume": statistics.mean(hv[s]),
            "median_validation_hypervolume": statistics.median(val[s]),
            "mean_validation_hypervolume": statistics.mean(val[s]),
            "median_inherited_hypervolume": statistics.median(inh[s]),
            "stand_alone": statistics.mean(pick[(s, seed)]["stand_alone"] for seed in seeds),
            "inherited": statistics.mean(pick[(s, seed)]["inherited"] for seed in seeds),
        }
        for s in STRATEGIES
    ]
    per_seed = [
        {
            "seed": seed,
            **{
                f"{s} {kind}": pick[(s, seed)][key]
                for s in STRATEGIES
                for kind, key in (
                    ("test", "hypervolume"),
                    ("val.", "validation_hypervolume"),
                    ("inh.", "inherited_hypervolume"),
                )
            },
        }
        for seed in seeds
    ]
    return {
        "budget_per_run": rows[0].get("budget") if rows else None,
        "bounds": BOUNDS.tolist(),
        "reference": REFERENCE.tolist(),
        "seeds": seeds,
        "per_seed": per_seed,
        "summary": summary,
        "wilcoxon": _wilcoxon(hv),
        "wilcoxon_validation": _wilcoxon(val),
        "wilcoxon_inherited": _wilcoxon(inh),
        "runs": rows,
    }


def b_table(payload: dict) -> str:
    def p(kind: str, k: str) -> str:
        t = payload[kind][k]
        return f"p = {t['p_value']:.4f} ({t['wins']}/{t['seeds']})"

    tests = "\n".join(
        f"- {k}: stand-alone models on adult.test {p('wilcoxon', k)}, on validation {p('wilcoxon_validation', k)}; "
        f"inherited-weight front on validation {p('wilcoxon_inherited', k)}"
        for k in payload["wilcoxon"]
    )
    per_seed = [("seed", "seed", "d")] + [
        (f"{s} {kind}", f"{s} {kind}", ".4f") for s in STRATEGIES for kind in ("test", "val.", "inh.")
    ]
    return (
        f"Equal wall budget ({payload['budget_per_run']} per run after each seed's shared supernet), seeds "
        f"{payload['seeds']}; hypervolume of the three objectives (error, log10 complexity, 1 − F_soft; "
        "fixed normalisation) of every stand-alone model, on adult.test and on the validation rows the "
        "search optimises, and of the front of every architecture evaluated with inherited weights "
        "(validation rows: what the outer loop optimises). One-sided Wilcoxon signed-rank tests across "
        "seeds (seeds better):\n\n"
        + markdown_table(payload["summary"], _B_COLUMNS)
        + "\n"
        + tests
        + "\n\n"
        + markdown_table(payload["per_seed"], per_seed)
    )


# -------------------------------------------------------------------- part load
def part_load() -> dict:
    """The default search while a second process keeps one core at 100%."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        out = RUNS / "bench-load"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [sys.executable, "-m", "snas", "search", str(ROOT / "search" / "census_income.yaml")]
        cmd += ["--out", str(out), "--data-dir", data_dir(), "--no-report"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    finally:
        hog.kill()
    budget = _config().budget.seconds
    summary = json.loads((out / "search.json").read_text())
    return {
        "budget_seconds": budget,
        "wall_seconds": wall,
        "search_and_refit_seconds": summary["elapsed_seconds"],
        "over_budget_percent": 100 * (summary["elapsed_seconds"] / budget - 1),
        "evaluated": summary["evaluated"],
        "refit": summary["refit"],
        "exit_code": proc.returncode,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", required=True, choices=("a", "a-summary", "tau", "b", "b-summary", "load"))
    p.add_argument("--seeds", type=int, nargs="+", default=None)
    p.add_argument("--budget", default="60s", help="part b: wall budget of each run after the shared supernet")
    p.add_argument("--strategies", nargs="+", choices=STRATEGIES, default=STRATEGIES, help="part b: which to run")
    p.add_argument("--n", type=int, default=32, help="part tau: random architectures")
    p.add_argument("--reuse", action="store_true", help="part a: measure the existing run directories again")
    args = p.parse_args()
    if args.part in ("a", "a-summary"):
        payload = (
            part_a(args.seeds or [0, 1, 2], reuse=args.reuse)
            if args.part == "a"
            else json.loads((ROOT / "bench" / "results" / "search-a.json").read_text())
        )
        table = a_table(payload)
    elif args.part == "tau":
        payload = part_tau(args.n)
        table = tau_table(payload)
    elif args.part == "b":
        part_b(args.budget, args.seeds or list(range(10)), tuple(args.strategies))
        return
    elif args.part == "b-summary":
        payload = part_b_summary()
        table = b_table(payload)
    else:
        payload = part_load()
        table = f"Default search beside a CPU hog: {payload['search_and_refit_seconds']:.0f} s for a {payload['budget_seconds']:.0f} s budget ({payload['over_budget_percent']:+.1f}%).\n"
    print(table)
    print("wrote", write_results(f"search-{args.part.removesuffix('-summary')}", payload, table))


def a_table(payload: dict) -> str:
    """The default search per seed: the selected model on adult.test, what the search did, and
    the best glass box and the best front member of at most 1,000 parameters."""
    rows = []
    for r in payload["runs"]:
        sel, glass, small = (
            r["selected"],
            r.get("best_glass_box_front_member"),
            r.get("best_front_member_up_to_1000_parameters"),
        )
        rows.append(
            {
                "seed": r["seed"],
                "accuracy": 100 * sel["test_accuracy"],
                "roc_auc": sel["test_roc_auc"],
                "violations": f"{sel['hard_violations']} / {sel['monotonicity_violations']:.3f}",
                "f_soft": sel["f_soft"],
                "size": f"{sel['complexity']:,} / {sel['parameters']:,}",
                "parts": len(r["ensemble"]["members"]) if (r.get("ensemble") or {}).get("chosen") else 1,
                "single": 100 * r["selected_single_stand_alone"]["test_accuracy"]
                if r.get("selected_single_stand_alone")
                else None,
                "glass": None if glass is None else f"{100 * glass['test_accuracy']:.2f} ({glass['complexity']})",
                "small": None if small is None else f"{100 * small['test_accuracy']:.2f} ({small['parameters']:,})",
                "evaluated": sum(r["evaluated"].values()),
                "generations": r["generations"],
                "stand_alone": r["evaluated"].get("stand-alone", 0),
                "wall": r["wall_seconds_search_refit_audit"],
            }
        )
    mean = statistics.mean(r["selected"]["test_accuracy"] for r in payload["runs"])
    return (
        "The default search (`snas search search/census_income.yaml --seed N`, 7-minute budget, then the "
        "audit), adult.test. Selected: the final model — the greedy ensemble of stand-alone candidates "
        "(parts; ten picks on validation log-loss) when it has two parts or more and F_soft ≥ 0.97, else the "
        "most accurate stand-alone model with F_soft ≥ 0.97 on validation — refit on all of adult.data. "
        "Single: that most accurate stand-alone model as trained in the search (80% of adult.data). Violations: hard rules / monotonicity rate. Size: complexity / parameters. Glass box: the "
        "most accurate additive front member (≤ 10 pairs; complexity). Small: the most accurate front member "
        f"of ≤ 1,000 parameters. Mean selected accuracy {100 * mean:.2f}%.\n\n" + markdown_table(rows, _COLUMNS)
    )


_COLUMNS = [
    ("seed", "seed", "d"),
    ("accuracy", "test accuracy %", ".2f"),
    ("roc_auc", "ROC-AUC", ".4f"),
    ("violations", "violations", ""),
    ("f_soft", "F_soft", ".4f"),
    ("size", "size", ""),
    ("parts", "parts", "d"),
    ("single", "single %", ".2f"),
    ("glass", "glass box %", ""),
    ("small", "small %", ""),
    ("evaluated", "architectures evaluated", ",d"),
    ("generations", "generations", "d"),
    ("stand_alone", "stand-alone", "d"),
    ("wall", "wall s (search + refit + audit)", ".0f"),
]
_B_COLUMNS = [
    ("strategy", "strategy", ""),
    ("median_hypervolume", "median HV (test)", ".4f"),
    ("mean_hypervolume", "mean HV (test)", ".4f"),
    ("median_validation_hypervolume", "median HV (validation)", ".4f"),
    ("mean_validation_hypervolume", "mean HV (validation)", ".4f"),
    ("median_inherited_hypervolume", "median HV (inherited front)", ".4f"),
    ("inherited", "inherited evaluations", ".0f"),
    ("stand_alone", "stand-alone", ".1f"),
]

if __name__ == "__main__":
    main()
