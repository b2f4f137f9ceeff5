"""Search benchmark on Census Income (adult.data → adult.test).

(a) the default search (search/census_income.yaml): wall time; the selected model (refit on
    all of adult.data) and the smallest front model: test accuracy, ROC-AUC, parameters,
    hard violations, F_soft.
(b) equal-budget comparison of random / evolution / gradient / evolution+gradient over
    several seeds: hypervolume of the test-set front, every candidate scored on adult.test,
    objectives normalised on fixed bounds with a fixed reference point.

    python bench/search.py [--part a|b|ab] [--budget 60s] [--seeds 0 1 2 3 4]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
from _common import ROOT, data_dir, markdown_table, write_results

# fixed normalisation: error in [0, 0.25], log10(parameters) in [2, 5.5], infidelity in [0, 0.1]
BOUNDS = np.array([[0.0, 0.25], [2.0, 5.5], [0.0, 0.1]])
REFERENCE = np.array([1.0, 1.0, 1.0])


def normalise(err: float, params: int, infid: float) -> np.ndarray:
    v = np.array([err, np.log10(max(params, 1)), infid])
    return (v - BOUNDS[:, 0]) / (BOUNDS[:, 1] - BOUNDS[:, 0])


def test_metrics(clf, data, rules):
    from sklearn.metrics import roc_auc_score

    from snas.metrics import rule_metrics, rule_summary

    X, y = data.X_test, data.y_test.to_numpy()
    proba = clf.predict_proba(X)
    classes = [str(c) for c in clf.classes_]
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    s = rule_summary(rule_metrics(rules, X, pred, proba, classes, y, data.schema))
    return {
        "test_accuracy": float((pred == y).mean()),
        "test_roc_auc": float(roc_auc_score(y == ">50K", proba[:, classes.index(">50K")])),
        "parameters": int(clf.n_parameters_),
        "hard_violations": s["hard_violations"],
        "f_soft": s["f_soft"],
    }


def part_a(data, rules, budget):
    from snas.estimator import SNASClassifier
    from snas.search import load_config, search

    cfg = load_config(ROOT / "search" / "census_income.yaml")
    out = ROOT / "runs" / "bench-default"
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    run = search(cfg, out, data_dir=data_dir(), budget=budget, progress=True)
    wall = time.perf_counter() - t0
    selected = SNASClassifier.load(run.model_dir)
    sel = test_metrics(selected, data, rules)
    small_ev = run.result.smallest
    small = SNASClassifier(rules=rules, architecture=small_ev.spec, random_state=cfg.seed).fit(
        data.X_train, data.y_train
    )
    sm = test_metrics(small, data, rules)
    front = []
    for ev in run.result.front:  # every front member refit on all of adult.data and scored on adult.test
        clf = (
            selected
            if ev.number == run.result.selected.number
            else (
                small
                if ev.number == small_ev.number
                else SNASClassifier(rules=rules, architecture=ev.spec, random_state=cfg.seed).fit(
                    data.X_train, data.y_train
                )
            )
        )
        front.append(
            {"number": ev.number, "validation_accuracy": ev.metrics["accuracy"], **test_metrics(clf, data, rules)}
        )
    return {
        "wall_seconds_search_and_refit": wall,
        "evaluated": len(run.result.evaluations),
        "complete": sum(e.state == "complete" for e in run.result.evaluations),
        "selected": {"number": run.result.selected.number, "reason": run.result.reason, **sel},
        "smallest": {"number": small_ev.number, **sm},
        "front_on_test": front,
    }


def part_b(data, rules, budget, seeds):
    from snas.search import SearchContext, hypervolume, load_config, run_search

    base = load_config(ROOT / "search" / "census_income.yaml")
    rows = []
    for strategy in ("random", "evolution", "gradient", "evolution+gradient"):
        for seed in seeds:
            cfg = dataclasses.replace(base, strategy=strategy, seed=seed, name=f"bench-{strategy}-{seed}")
            from snas.search import parse_budget

            cfg = dataclasses.replace(cfg, budget=parse_budget(budget))
            ctx = SearchContext(data, rules, cfg)
            points = []

            def score(ev, clf, points=points):
                m = test_metrics(clf, data, rules)
                points.append(normalise(1 - m["test_accuracy"], m["parameters"], 1 - (m["f_soft"] or 1.0)))

            res = run_search(cfg, ctx, storage_url="memory", progress=False, on_model=score)
            hv = hypervolume(np.array(points), REFERENCE) if points else 0.0
            rows.append(
                {
                    "strategy": strategy,
                    "seed": seed,
                    "hypervolume": hv,
                    "candidates": len(points),
                    "evaluated": len(res.evaluations),
                }
            )
            print(rows[-1], flush=True)
    summary = []
    for strategy in ("random", "evolution", "gradient", "evolution+gradient"):
        hv = [r["hypervolume"] for r in rows if r["strategy"] == strategy]
        summary.append(
            {
                "strategy": strategy,
                "median_hypervolume": statistics.median(hv),
                "mean_hypervolume": statistics.mean(hv),
                "min": min(hv),
                "max": max(hv),
                "seeds": len(hv),
                "mean_candidates": statistics.mean(r["candidates"] for r in rows if r["strategy"] == strategy),
            }
        )
    return {
        "budget_per_run": budget,
        "bounds": BOUNDS.tolist(),
        "reference": REFERENCE.tolist(),
        "runs": rows,
        "summary": summary,
    }


def main() -> None:
    from snas.datasets import load
    from snas.rules import load_rules

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--part", default="ab")
    p.add_argument("--default-budget", default=None, help="override the default search budget (part a)")
    p.add_argument("--budget", default="60s", help="budget of each run in part b")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = p.parse_args()
    data = load("census_income", data_dir=data_dir())
    rules = load_rules(ROOT / "rules" / "census_income.yaml")
    payload = {}
    table = ""
    if "a" in args.part:
        payload["default_search"] = part_a(data, rules, args.default_budget)
        a = payload["default_search"]
        table += (
            f"Default search: {a['wall_seconds_search_and_refit']:.0f} s wall (search + refit), "
            f"{a['evaluated']} candidates.\n\n"
        )
        table += markdown_table(
            [{"model": "selected", **a["selected"]}, {"model": "smallest", **a["smallest"]}],
            [
                ("model", "model", ""),
                ("test_accuracy", "test accuracy", ".4f"),
                ("test_roc_auc", "ROC-AUC", ".4f"),
                ("parameters", "parameters", ",d"),
                ("hard_violations", "hard violations", "d"),
                ("f_soft", "F_soft", ".4f"),
            ],
        )
        table += "\n"
    if "b" in args.part:
        payload["strategies"] = part_b(data, rules, args.budget, args.seeds)
        table += f"Equal budget ({args.budget} per run), hypervolume of the test-set front (higher is better):\n\n"
        table += markdown_table(
            payload["strategies"]["summary"],
            [
                ("strategy", "strategy", ""),
                ("median_hypervolume", "median HV", ".4f"),
                ("mean_hypervolume", "mean HV", ".4f"),
                ("min", "min", ".4f"),
                ("max", "max", ".4f"),
                ("mean_candidates", "candidates / run", ".1f"),
                ("seeds", "seeds", "d"),
            ],
        )
    name = "search" if args.part == "ab" else f"search-{args.part}"
    print(table)
    print("wrote", write_results(name, payload, table))


if __name__ == "__main__":
    main()
