"""The glass-box family on Census Income: the front of a finished search (both families side by
side, validation figures), then the most accurate glass-box front member (additive, at most
10 pairs) refitted on adult.data with 3 seeds and measured once on adult.test — accuracy,
ROC-AUC, hard-rule violations, monotonicity violations. Nothing here is chosen on adult.test.

    python bench/glassbox.py --run runs/census [--seeds 0 1 2]
→ bench/results/glassbox.json, glassbox.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from _common import ROOT, data_dir, machine, markdown_table, write_results


def front_rows(run: Path) -> list[dict]:
    front = json.loads((run / "front.json").read_text())
    rows = []
    for e in front["front"]:
        m, g = e["metrics"], e["genome"]
        family = g.get("family", "mlp")
        rows.append(
            {
                "number": e["number"],
                "family": family,
                "fidelity": e["fidelity"],
                "val_accuracy": m["accuracy"],
                "complexity": m.get("complexity", m["parameters"]),
                "parameters": m["parameters"],
                "f_soft": m.get("f_soft"),
                "pairs": len(g.get("pairs", [])) if family == "additive" else None,
                "members": e["spec"].get("members", 1),
                "selected": e["number"] == front["selected"],
                "spec": e["spec"],
            }
        )
    return sorted(rows, key=lambda r: (r["family"], -r["val_accuracy"]))


def measure(clf, data, rules) -> dict:
    from sklearn.metrics import roc_auc_score

    from snas.metrics import monotonicity_violation_rate, rule_metrics, rule_summary

    X, y = data.X_test, data.y_test.astype(str).to_numpy()
    proba = clf.predict_proba(X)
    classes = [str(c) for c in clf.classes_]
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    s = rule_summary(rule_metrics(rules, X, pred, proba, classes, y, data.schema))
    pos = classes.index(">50K")
    mono = {
        f: monotonicity_violation_rate(clf.predict_proba, X, f, d, positive_index=pos)
        for f, d in rules.constraints.monotonic.items()
    }
    return {
        "accuracy": float((pred == y).mean()),
        "roc_auc": float(roc_auc_score(y == ">50K", proba[:, pos])),
        "hard_violations": int(s["hard_violations"]),
        "monotonicity_violation_rate": max(mono.values()),
        "monotonicity_by_feature": mono,
    }


def main() -> None:
    from snas.datasets import load
    from snas.estimator import SNASClassifier
    from snas.rules import load_rules

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--run", default=str(ROOT / "runs" / "census"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    run = Path(args.run)
    data = load("census_income", data_dir=data_dir())
    rules = load_rules(ROOT / "rules" / "census_income.yaml")
    front = front_rows(run)
    glass = [r for r in front if r["family"] == "additive" and r["pairs"] <= 10]
    if not glass:
        raise SystemExit(f"{run}: no glass-box model on the front")
    chosen = max(glass, key=lambda r: (r["val_accuracy"], -r["complexity"]))  # by validation accuracy only
    runs = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        clf = SNASClassifier(rules=rules, architecture=chosen["spec"], random_state=seed).fit(
            data.X_train, data.y_train
        )
        runs.append({"seed": seed, "fit_seconds": time.perf_counter() - t0, **measure(clf, data, rules)})
        print(runs[-1], flush=True)
    summary = {k: statistics.mean(r[k] for r in runs) for k in ("accuracy", "roc_auc", "monotonicity_violation_rate")}
    summary["accuracy_sd"] = statistics.stdev([r["accuracy"] for r in runs]) if len(runs) > 1 else 0.0
    summary["hard_violations_max"] = max(r["hard_violations"] for r in runs)
    m = machine()
    table = (
        f"Front of `{run}` (validation split of adult.data), measured {m['date']} on {m['cpu_count']} CPU cores. "
        "Complexity: terms (+3 per pair) for glass boxes, parameters for MLPs.\n\n"
        + markdown_table(
            front,
            [
                ("family", "family", ""),
                ("number", "#", "d"),
                ("val_accuracy", "val. accuracy", ".4f"),
                ("complexity", "complexity", ",.0f"),
                ("parameters", "parameters", ",d"),
                ("pairs", "pairs", ""),
                ("members", "members", "d"),
                ("f_soft", "F_soft", ".4f"),
                ("selected", "selected", ""),
            ],
        )
        + f"\nGlass box #{chosen['number']} refitted on adult.data, seeds {args.seeds}, adult.test: accuracy "
        f"{summary['accuracy']:.4f} ± {summary['accuracy_sd']:.4f}, ROC-AUC {summary['roc_auc']:.4f}, "
        f"hard-rule violations (max) {summary['hard_violations_max']}, monotonicity violations "
        f"{summary['monotonicity_violation_rate']:.3f}.\n"
    )
    path = write_results(
        "glassbox", {"run": str(run), "front": front, "chosen": chosen, "runs": runs, "summary": summary}, table
    )
    print(table)
    print("wrote", path)


if __name__ == "__main__":
    main()
