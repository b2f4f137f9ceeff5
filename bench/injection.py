"""Knowledge-injection ablation on Census Income (adult.data → adult.test), 3 seeds.

The same base network (SNASClassifier's default, a glass box) with: no rules; shield only;
soft loss only; knowledge neurons only; shield + loss + neurons; monotone constraints;
exclusions; and everything together.
Fidelity columns are always measured against the full census rule file.

    python bench/injection.py [--seeds 0 1 2]   → bench/results/injection.json and .md
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

from _common import data_dir, markdown_table, write_results

CONFIGS = {
    "no rules": dict(rules="none", arch={}),
    "shield only": dict(rules="hard", arch={"default_rule_mode": "off"}),
    "soft loss only": dict(rules="soft", arch={"default_rule_mode": "loss", "shield": False}),
    "knowledge neurons only": dict(rules="soft", arch={"default_rule_mode": "neuron", "shield": False}),
    "shield + loss + neurons": dict(rules="all-no-constraints", arch={"default_rule_mode": "both"}),
    "monotone constraints": dict(rules="monotone", arch={}),
    "exclusions": dict(rules="exclude", arch={}),
    "snas (all of the above)": dict(rules="all", arch={"default_rule_mode": "both"}),
}


def variant(rules, which):
    from snas.rules import Constraints, RuleSet

    none = Constraints()
    c = rules.constraints
    if which == "none":
        return None
    if which == "hard":
        return dataclasses.replace(rules, rules=rules.hard, constraints=none)
    if which == "soft":
        return dataclasses.replace(rules, rules=rules.soft, constraints=none)
    if which == "all-no-constraints":
        return dataclasses.replace(rules, constraints=none)
    if which == "monotone":
        return dataclasses.replace(
            rules, rules=(), constraints=Constraints(monotonic_increasing=c.monotonic_increasing)
        )
    if which == "exclude":
        return dataclasses.replace(rules, rules=(), constraints=Constraints(exclude_features=c.exclude_features))
    assert which == "all"
    return rules if isinstance(rules, RuleSet) else None


def run(name, cfg, seed, data, rules):
    from sklearn.metrics import roc_auc_score

    from snas.estimator import SNASClassifier
    from snas.metrics import flip_rate, monotonicity_violation_rate, rule_metrics, rule_summary

    rs = variant(rules, cfg["rules"])
    clf = SNASClassifier(rules=rs, architecture=cfg["arch"] or None, random_state=seed)
    t0 = time.perf_counter()
    clf.fit(data.X_train, data.y_train)
    seconds = time.perf_counter() - t0
    X, y = data.X_test, data.y_test
    proba = clf.predict_proba(X)
    pred = clf.classes_[proba.argmax(1)]
    summary = rule_summary(rule_metrics(rules, X, pred, proba, list(clf.classes_), y.to_numpy(), data.schema))
    mono = max(
        monotonicity_violation_rate(clf.predict_proba, X, f, 1, seed=seed) for f in ("education_num", "capital_gain")
    )
    flip = max(flip_rate(clf.predict, X, f, seed=seed) for f in ("sex", "race"))
    return {
        "config": name,
        "seed": seed,
        "accuracy": float((pred == y.to_numpy()).mean()),
        "roc_auc": float(roc_auc_score(y == ">50K", proba[:, list(clf.classes_).index(">50K")])),
        "hard_violations": summary["hard_violations"],
        "micro_compliance": summary["micro_compliance"],
        "f_soft": summary["f_soft"],
        "monotonicity_violation_rate": mono,
        "flip_rate": flip,
        "parameters": clf.n_parameters_,
        "train_seconds": seconds,
        "epochs": clf.train_result_.epochs,
    }


def main() -> None:
    from snas.datasets import load
    from snas.rules import load_rules

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--configs", nargs="+", default=list(CONFIGS))
    args = p.parse_args()
    data = load("census_income", data_dir=data_dir())
    rules = load_rules(str(__import__("_common").ROOT / "rules" / "census_income.yaml"))
    runs = []
    for name in args.configs:
        for seed in args.seeds:
            r = run(name, CONFIGS[name], seed, data, rules)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
            runs.append(r)
    keys = [
        "accuracy",
        "roc_auc",
        "hard_violations",
        "micro_compliance",
        "f_soft",
        "monotonicity_violation_rate",
        "flip_rate",
        "parameters",
        "train_seconds",
    ]
    summary = []
    for name in args.configs:
        rs = [r for r in runs if r["config"] == name]
        row = {"config": name, "seeds": len(rs)}
        for k in keys:
            vals = [r[k] for r in rs if r[k] is not None]
            row[k] = statistics.mean(vals) if vals else None
            if k == "hard_violations":
                row[k] = max(vals)
        row["accuracy_sd"] = statistics.stdev([r["accuracy"] for r in rs]) if len(rs) > 1 else 0.0
        summary.append(row)
    table = markdown_table(
        summary,
        [
            ("config", "configuration", ""),
            ("accuracy", "test accuracy", ".4f"),
            ("accuracy_sd", "± sd", ".4f"),
            ("roc_auc", "ROC-AUC", ".4f"),
            ("hard_violations", "hard violations (max)", "d"),
            ("micro_compliance", "micro compliance", ".4f"),
            ("f_soft", "F_soft", ".4f"),
            ("monotonicity_violation_rate", "monotonicity violations", ".3f"),
            ("flip_rate", "flip rate", ".3f"),
            ("parameters", "parameters", ",.0f"),
            ("train_seconds", "train s", ".1f"),
        ],
    )
    header = (
        "Census Income, adult.data → adult.test, mean over seeds "
        + ", ".join(map(str, args.seeds))
        + ". Fidelity measured against rules/census_income.yaml.\n\n"
    )
    path = write_results("injection", {"seeds": args.seeds, "summary": summary, "runs": runs}, header + table)
    print(header + table)
    print("wrote", path)


if __name__ == "__main__":
    main()
