"""snas against the tools a risk-model team would otherwise use, on Census Income
(adult.data → adult.test), 3 seeds, one run: logistic regression, depth-4 decision tree,
HistGradientBoosting (also under the rule file's monotonicity and exclusions), EBM (if
`interpret` is installed), a plain MLP, a PSyKI-style KINS
network built with snas's layers, snas's default network (no search), the default search's
final model (as the search refit it), its selected single model and its smallest front
model (both refit here), from
`runs/bench-default-<seed>`, written by `bench/search.py --part a`.

    python bench/compare.py [--seeds 0 1 2] [--run runs/bench-default-{seed}] [--reuse EBM ...]
→ bench/results/compare.json, compare.md, and the table in README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, ROOT, data_dir, machine, markdown_table, write_results


def sklearn_pipeline(model, data):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    num = [c.name for c in data.schema.features if c.kind == "numeric"]
    cat = [c.name for c in data.schema.features if c.kind != "numeric"]
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), num),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"), OneHotEncoder(handle_unknown="ignore")
                ),
                cat,
            ),
        ]
    )
    return Pipeline([("pre", pre), ("model", model)])


def as_objects(X):
    X = X.copy()
    for c in X.columns:
        if str(X[c].dtype) == "category":
            X[c] = X[c].astype(object).where(X[c].notna(), np.nan)
        else:
            X[c] = X[c].astype("float64")
    return X


class Wrapped:
    """Uniform predict / predict_proba on raw frames for sklearn-style models."""

    def __init__(self, model, convert, size):
        self.model, self.convert, self.size = model, convert, size

    def predict_proba(self, X):
        return self.model.predict_proba(self.convert(X))

    def predict(self, X):
        return self.model.predict(self.convert(X))


class Shielded(Wrapped):
    """A fitted model's probabilities with the rule file's hard rules applied, as snas's
    shield does: rows a hard rule decides get all mass on its class."""

    def __init__(self, inner, task):
        super().__init__(inner.model, inner.convert, inner.size)
        self.task = task
        self.classes_ = [str(c) for c in model_classes(inner.model)]

    def predict_proba(self, X):
        proba = np.array(super().predict_proba(X), dtype=float)
        forced = self.task.forced(X)
        column = np.asarray([self.classes_.index(c) for c in self.task.classes])  # model column of each task class
        hit = forced >= 0
        proba[hit] = 0.0
        proba[np.flatnonzero(hit), column[forced[hit]]] = 1.0
        return proba

    def predict(self, X):
        return np.asarray(self.classes_, dtype=object)[self.predict_proba(X).argmax(1)]


def model_classes(model):
    return model.classes_ if hasattr(model, "classes_") else model[-1].classes_


def _hgb_with_rule_constraints(X, y, rules, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier

    # what the rule file's constraints cost a gradient-boosting model: monotone in the same
    # features, excluded features dropped
    c = rules.constraints
    keep = [col for col in X.columns if col not in c.exclude_features]
    conv = lambda f: f[keep].astype(  # noqa: E731
        {col: "float64" for col in keep if str(f[col].dtype) != "category"}
    )
    m = HistGradientBoostingClassifier(
        categorical_features="from_dtype", monotonic_cst=dict(c.monotonic), random_state=seed
    ).fit(conv(X), y)
    nodes = sum(p.nodes.shape[0] for it in m._predictors for p in it)
    return Wrapped(m, conv, int(nodes))


def make(name, seed, data, rules, train=None):
    """Fit baseline ``name`` on ``train`` = (X, y) (default: the whole training split)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    from snas.estimator import SNASClassifier

    X, y = train if train is not None else (data.X_train, data.y_train)
    t0 = time.perf_counter()
    if name == "logistic regression":
        m = sklearn_pipeline(LogisticRegression(max_iter=2000), data).fit(as_objects(X), y)
        size = int(m[-1].coef_.size + m[-1].intercept_.size)
        w = Wrapped(m, as_objects, size)
    elif name == "decision tree (depth 4)":
        m = sklearn_pipeline(DecisionTreeClassifier(max_depth=4, random_state=seed), data).fit(as_objects(X), y)
        w = Wrapped(m, as_objects, int(m[-1].tree_.node_count))
    elif name == "HistGradientBoosting":
        m = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed).fit(
            X.astype({c: "float64" for c in X.columns if str(X[c].dtype) != "category"}), y
        )
        conv = lambda f: f.astype({c: "float64" for c in f.columns if str(f[c].dtype) != "category"})  # noqa: E731
        nodes = sum(p.nodes.shape[0] for it in m._predictors for p in it)
        w = Wrapped(m, conv, int(nodes))
    elif name == "HistGradientBoosting + rule constraints":
        w = _hgb_with_rule_constraints(X, y, rules, seed)  # hard rules not enforced (no shield)
    elif name == "HistGradientBoosting + rule constraints + hard rules":
        # the fair peer: the same constraints, and the hard rules applied to the boosted output
        from snas.model import Task

        task = Task.fit(X, np.asarray(y, dtype=str), rules, target=data.schema.target)
        w = Shielded(_hgb_with_rule_constraints(X, y, rules, seed), task)
    elif name == "EBM":
        from interpret.glassbox import ExplainableBoostingClassifier

        m = ExplainableBoostingClassifier(random_state=seed).fit(as_objects(X), y)
        size = int(sum(np.asarray(t).size for t in m.term_scores_))
        w = Wrapped(m, as_objects, size)
    elif name == "plain MLP":
        m = SNASClassifier(architecture={"numeric_encoding": "standard", "embedding_dim": 0}, random_state=seed).fit(
            X, y
        )
        w = Wrapped(m, lambda f: f, m.n_parameters_)
    elif name == "snas default network":  # no search: SNASClassifier's defaults (a glass box)
        m = SNASClassifier(rules=rules, random_state=seed).fit(X, y)
        w = Wrapped(m, lambda f: f, m.n_parameters_)
    elif name == "PSyKI-style KINS":
        soft_as_neurons = {
            "numeric_encoding": "standard",
            "embedding_dim": 0,
            "default_rule_mode": "neuron",
            "shield": False,
            "kbann_weight": 0.0,
        }
        import dataclasses

        from snas.rules import Constraints

        kins_rules = dataclasses.replace(rules, rules=rules.rules, constraints=Constraints())
        spec = {**soft_as_neurons, "rule_modes": {}}
        # PSyKI's KINS injects every rule as a neuron; hard rules become soft here (no guarantee)
        kins_rules = dataclasses.replace(
            kins_rules, rules=tuple(dataclasses.replace(r, strength="soft") for r in rules)
        )
        m = SNASClassifier(rules=kins_rules, architecture=spec, random_state=seed).fit(X, y)
        w = Wrapped(m, lambda f: f, m.n_parameters_)
    else:
        raise KeyError(name)
    return w, time.perf_counter() - t0


def measure(w, data, rules, seconds):
    from sklearn.metrics import roc_auc_score

    from snas.metrics import monotonicity_violation_rate, rule_metrics, rule_summary

    X, y = data.X_test, data.y_test.to_numpy()
    proba = w.predict_proba(X)
    classes = [str(c) for c in model_classes(w.model)]
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    s = rule_summary(rule_metrics(rules, X, pred, proba, classes, y, data.schema))
    positive = rules.positive or classes[-1]
    pos = classes.index(positive)
    mono = max(
        (
            monotonicity_violation_rate(lambda f: w.predict_proba(f), X, f, d, positive_index=pos)
            for f, d in rules.constraints.monotonic.items()
        ),
        default=0.0,
    )
    return {
        "accuracy": float((pred == y).mean()),
        "roc_auc": float(roc_auc_score(y == positive, proba[:, pos])),
        "hard_violations": s["hard_violations"],
        "micro_compliance": s["micro_compliance"],
        "monotonicity_violation_rate": mono,
        "size": w.size,
        "fit_seconds": seconds,
    }


def snas_models(run: Path, data, rules, seed):
    """The search's final model as the search refit it (an ensemble when the search chose
    one), and its selected single and smallest front models refit on all of adult.data."""
    from snas.estimator import SNASClassifier

    search = json.loads((run / "search.json").read_text())
    final = SNASClassifier.load(run / "model")
    out = {"snas selected": (Wrapped(final, lambda f: f, final.n_parameters_), final.model_.fit_seconds)}
    for name, key in (("snas selected, single model", "selected"), ("snas smallest", "smallest")):
        t0 = time.perf_counter()
        # the weight average follows the refit's rows, as the search's own refit does
        spec = {k: v for k, v in search[key]["spec"].items() if k != "ema_decay"}
        clf = SNASClassifier(rules=rules, architecture=spec, random_state=seed).fit(data.X_train, data.y_train)
        out[name] = (Wrapped(clf, lambda f: f, clf.n_parameters_), time.perf_counter() - t0)
    return out


def _reuse_note(reuse_dates: dict[str, str]) -> str:
    """The header's note on kept baselines: which rows were measured when."""
    dates: dict[str, list[str]] = {}
    for name, date in reuse_dates.items():
        dates.setdefault(date, []).append(name)
    parts = [f"{', '.join(names)} as measured {date}" for date, names in dates.items()]
    return f" Rows of {'; of '.join(parts)}." if parts else ""


def main() -> None:
    from snas.datasets import load
    from snas.rules import load_rules

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument(
        "--run",
        default=str(ROOT / "runs" / "bench-default-{seed}"),
        help="the default search's run per seed ({seed} is replaced; bench/search.py --part a writes them)",
    )
    p.add_argument(
        "--reuse",
        nargs="+",
        default=[],
        metavar="MODEL",
        help="keep these baselines' rows from compare.json instead of fitting them again (e.g. EBM: 8 min a seed)",
    )
    args = p.parse_args()
    data = load("census_income", data_dir=data_dir())
    rules = load_rules(ROOT / "rules" / "census_income.yaml")
    names = [
        "logistic regression",
        "decision tree (depth 4)",
        "HistGradientBoosting",
        "HistGradientBoosting + rule constraints",
        "EBM",
        "plain MLP",
        "PSyKI-style KINS",
        "snas default network",
    ]
    try:
        import interpret  # noqa: F401
    except ImportError:
        names.remove("EBM")
        print("interpret not installed: EBM skipped (pip install -e '.[bench]')")
    before = json.loads((RESULTS / "compare.json").read_text()) if args.reuse else {"runs": []}
    old = before["runs"]
    reuse_dates = {m: before.get("reuse_dates", {}).get(m, before.get("machine", {}).get("date")) for m in args.reuse}
    runs = []
    for seed in args.seeds:
        for name in names:
            kept = [r for r in old if r["model"] == name and r["seed"] == seed and name in args.reuse]
            if kept:
                runs += kept
                continue
            w, secs = make(name, seed, data, rules)
            runs.append({"model": name, "seed": seed, **measure(w, data, rules, secs)})
            print(runs[-1], flush=True)
        run = Path(args.run.format(seed=seed))
        if (run / "search.json").is_file():
            for name, (w, secs) in snas_models(run, data, rules, seed).items():
                runs.append({"model": name, "seed": seed, **measure(w, data, rules, secs)})
                print(runs[-1], flush=True)
    summary = []
    for name in dict.fromkeys(r["model"] for r in runs):
        rs = [r for r in runs if r["model"] == name]
        row = {"model": name, "seeds": len(rs)}
        for k in ("accuracy", "roc_auc", "micro_compliance", "monotonicity_violation_rate", "size", "fit_seconds"):
            row[k] = statistics.mean(r[k] for r in rs)
        row["hard_violations"] = max(r["hard_violations"] for r in rs)
        row["accuracy_sd"] = statistics.stdev([r["accuracy"] for r in rs]) if len(rs) > 1 else 0.0
        summary.append(row)
    m = machine()
    header = (
        f"Census Income, adult.data → adult.test; mean of seeds {', '.join(map(str, args.seeds))}; "
        f"measured {m['date']} on {m['cpu_count']} CPU cores ({m['processor']}, {m['platform']}), "
        f"torch {m['torch']}. Rule columns use rules/census_income.yaml (baselines see every column; "
        "snas and the constrained HistGradientBoosting never see sex and race). Size = parameters, or tree nodes / EBM bins."
        + _reuse_note(reuse_dates)
        + "\n\n"
    )
    table = header + markdown_table(
        summary,
        [
            ("model", "model", ""),
            ("accuracy", "test accuracy", ".4f"),
            ("accuracy_sd", "± sd", ".4f"),
            ("roc_auc", "ROC-AUC", ".4f"),
            ("hard_violations", "hard-rule violations (max)", "d"),
            ("micro_compliance", "micro compliance", ".4f"),
            ("monotonicity_violation_rate", "monotonicity violations", ".3f"),
            ("size", "size", ",.0f"),
            ("fit_seconds", "fit s", ".1f"),
        ],
    )
    payload = {"seeds": args.seeds, "summary": summary, "runs": runs, "reuse_dates": reuse_dates}
    path = write_results("compare", payload, table)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- compare-table -->", "<!-- /compare-table -->"
    if start in text and end in text:
        text = text.split(start)[0] + start + "\n" + table + end + text.split(end, 1)[1]
        readme.write_text(text)
    print(table)
    print("wrote", path)


if __name__ == "__main__":
    main()
