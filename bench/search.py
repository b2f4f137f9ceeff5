"""Search benchmark on Census Income (adult.data → adult.test).

(a) the default search (search/census_income.yaml): wall time; the selected model (refit on
    all of adult.data) and the smallest front model: test accuracy, ROC-AUC, parameters,
    hard violations, F_soft.
(b) equal-budget comparison of random / evolution / gradient / evolution+gradient over
    several seeds: hypervolume of the test-set front, every candidate scored on adult.test,
    objectives normalised on fixed bounds with a fixed reference point.

    python bench/search.py [--part a|b|ab] [--budget 60s] [--seeds 0 1 2 3 4] [--jobs 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
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


STRATEGIES = ("random", "evolution", "gradient", "evolution+gradient")


@functools.cache
def _data_and_rules():
    from snas.datasets import load
    from snas.rules import load_rules

    return load("census_income", data_dir=data_dir()), load_rules(ROOT / "rules" / "census_income.yaml")


def one_strategy_run(strategy: str, seed: int, budget: str, threads: int) -> dict:
    """One search of part (b); every model it trains is scored on adult.test for the front."""
    import torch

    from snas.search import SearchContext, hypervolume, load_config, parse_budget, run_search

    torch.set_num_threads(threads)
    data, rules = _data_and_rules()
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    cfg = dataclasses.replace(
        cfg, strategy=strategy, seed=seed, name=f"bench-{strategy}-{seed}", budget=parse_budget(budget)
    )
    points = []

    def score(ev, clf):
        m = test_metrics(clf, data, rules)
        points.append(normalise(1 - m["test_accuracy"], m["parameters"], 1 - (m["f_soft"] or 1.0)))

    res = run_search(cfg, SearchContext(data, rules, cfg), storage_url="memory", progress=False, on_model=score)
    row = {
        "strategy": strategy,
        "seed": seed,
        "hypervolume": hypervolume(np.array(points), REFERENCE) if points else 0.0,
        "candidates": len(points),
        "evaluated": len(res.evaluations),
        "torch_threads": threads,
    }
    print(row, flush=True)
    return row


def part_b(budget, seeds, jobs):
    """Every (strategy, seed) pair under the same wall-clock budget; with ``jobs`` > 1 the runs
    share the cores evenly (each gets cores / jobs torch threads, all runs equally loaded)."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // jobs)
    pairs = [(strategy, seed) for strategy in STRATEGIES for seed in seeds]
    if jobs == 1:
        rows = [one_strategy_run(st, seed, budget, threads) for st, seed in pairs]
    else:
        # interleave strategies so that concurrent runs always belong to different strategies
        order = [(st, seed) for seed in seeds for st in STRATEGIES]
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pair: pool.submit(one_strategy_run, *pair, budget, threads) for pair in order}
            rows = [futures[pair].result() for pair in pairs]
    summary = []
    for strategy in STRATEGIES:
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
        "parallel_runs": jobs,
        "bounds": BOUNDS.tolist(),
        "reference": REFERENCE.tolist(),
        "runs": rows,
        "summary": summary,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--part", default="ab")
    p.add_argument("--default-budget", default=None, help="override the default search budget (part a)")
    p.add_argument("--budget", default="60s", help="budget of each run in part b")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--jobs", type=int, default=1, help="part b: runs at a time (the cores are split evenly)")
    args = p.parse_args()
    payload = {}
    table = ""
    if "a" in args.part:
        payload["default_search"] = part_a(*_data_and_rules(), args.default_budget)
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
        payload["strategies"] = part_b(args.budget, args.seeds, args.jobs)
        table += f"Equal budget ({args.budget} per run, {args.jobs} at a time), hypervolume of the test-set front (higher is better):\n\n"
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
