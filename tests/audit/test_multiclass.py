"""A target with three classes is reported as one: the output is a probability per class, ROC-AUC
is the macro average of the one-vs-rest areas (and says so), balanced accuracy, log-loss and
Brier score every class, group selection rate / TPR / FPR / PPV say they are one-vs-rest for the
positive class, and an example decision's reasons point to its own predicted class."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas.audit import AuditReport, render_markdown


def _frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    x, z = rng.normal(size=n), rng.normal(size=n)
    grade = np.where(x + 0.3 * rng.normal(size=n) > 0.6, "C", np.where(x > -0.4, "B", "A"))
    return pd.DataFrame({"x": x, "z": z, "sex": rng.choice(["F", "M"], n), "grade": grade})


@pytest.fixture(scope="module")
def grades():
    from snas.datasets import from_frame
    from snas.model import FittedModel, Task
    from snas.nn import NetworkSpec
    from snas.rules import parse_rules

    rng = np.random.default_rng(0)
    data = from_frame(_frame(rng, 600), "grade", positive="C", sensitive=["sex"], name="grades", test=_frame(rng, 300))
    rules = parse_rules(
        "snas_rules: 1\ntarget: {column: grade, positive: C}\nrules:\n"
        "  - {id: high-x, if: x >= 2.5, then: C, strength: hard}\n"
    )
    y = data.y_train.astype(str).to_numpy()
    task = Task.fit(data.X_train, y, rules, target="grade")
    model = FittedModel.train(task, NetworkSpec.from_dict({"family": "additive", "max_epochs": 3}), data.X_train, y)
    return model, data


@pytest.fixture(scope="module")
def report(grades) -> AuditReport:
    from snas import build_report

    model, data = grades
    return build_report(model, data, None, resamples=100)


def test_overall_metrics_of_three_classes_match_sklearn():
    from sklearn.metrics import balanced_accuracy_score, log_loss, roc_auc_score

    from snas.audit._metrics import overall_metrics
    from snas.audit._stats import Bootstrap

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 400)
    proba = rng.dirichlet(np.ones(3), 400) * 0.5 + np.eye(3)[y] * 0.5
    ev = {e["id"]: e for e in overall_metrics(y, proba, Bootstrap(400, 200), 2, ("A", "B", "C"))}
    auc = ev["ev:metric:roc_auc"]
    assert auc["value"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-9)
    assert auc["averaging"] == "macro one-vs-rest" and "macro average" in auc["definition"]
    assert auc["per_class"]["C"] == pytest.approx(roc_auc_score(y == 2, proba[:, 2]), abs=1e-9)
    assert auc["ci95"][0] <= auc["value"] <= auc["ci95"][1]
    assert ev["ev:metric:balanced_accuracy"]["value"] == pytest.approx(balanced_accuracy_score(y, proba.argmax(1)))
    assert ev["ev:metric:log_loss"]["value"] == pytest.approx(log_loss(y, proba), abs=1e-9)
    brier = ((proba - np.eye(3)[y]) ** 2).sum(1).mean()
    assert ev["ev:metric:brier"]["value"] == pytest.approx(brier)
    assert ev["ev:metric:base_rate"]["definition"] == "share of the test rows whose class is 'C'"
    two = {
        e["id"]: e
        for e in overall_metrics(y % 2, np.column_stack([1 - proba[:, 0], proba[:, 0]]), Bootstrap(400, 50), 1)
    }
    assert two["ev:metric:roc_auc"]["averaging"] == "binary"  # two classes: one area, unchanged


def test_a_multiclass_report_is_worded_for_three_classes(report):
    report.validate_schema()
    md = " ".join(render_markdown(report).split())
    fields = {n: f["value"] for s in report.body["sections"].values() for n, f in s["fields"].items()}
    assert fields["output_meaning"].startswith("probability of each of the 3 classes (A, B, C)")
    assert "probability that the class is C" not in md and "0 or 1 exactly when" not in md
    assert "| ROC-AUC (macro one-vs-rest) |" in md
    for name in ("selection_rate", "tpr", "fpr", "ppv"):
        e = report.evidence[f"ev:group:sex=F:{name}"]
        assert e["definition"].startswith("one-vs-rest for class 'C' (against 'A', 'B')"), name
    assert "one-vs-rest" not in report.evidence["ev:group:sex=F:accuracy"]["definition"]
    assert fields["group_summary"]["tpr"].startswith("one-vs-rest for class 'C'")
    assert any("macro average of the 3 one-vs-rest areas" in m for m in fields["metrics_catalogue"])
    assert "one-vs-rest" in report.evidence["ev:calibration"]["method"]


def test_group_accuracy_is_the_accuracy_of_the_group(report, grades):
    model, data = grades
    X = data.X_test.reset_index(drop=True)
    pred = np.asarray(model.task.classes)[model.predict_proba(X).argmax(1)]
    y, sex = data.y_test.astype(str).to_numpy(), X["sex"].astype(str).to_numpy()
    for g in ("F", "M"):  # not "C or not C" agreement: A predicted for a B row is wrong
        expected = (pred[sex == g] == y[sex == g]).mean()
        assert report.evidence[f"ev:group:sex={g}:accuracy"]["value"] == pytest.approx(expected, abs=1e-6)


def test_reasons_point_to_each_row_s_own_predicted_class(report, grades):
    model, data = grades
    X = data.X_test.reset_index(drop=True)
    local = [e for e in report.body["evidence"] if e["kind"] == "local_explanation"]
    assert {e["prediction"] for e in local} - {"C"}  # some example is not of the positive class
    for e in local:
        reasons = e["main_reasons"]
        assert reasons["decision"] == e["prediction"] and "negative_decision" not in reasons
        if e["deciding_rule"]:
            assert reasons["decided_by"] == e["deciding_rule"] and not reasons["reasons"]
            continue
        terms = model.explain(X, e["prediction"]).contributions.drop(columns="bias")  # that class's own logit
        push = (terms.iloc[e["row"]] - terms.mean()).sort_values(ascending=False)
        assert [r["term"] for r in reasons["reasons"]] == [t for t in push.index[:4] if push[t] > 0], e["id"]
        cf = e["counterfactual"]
        if cf["found"]:  # a counterfactual changes the most probable class, whichever wins
            row = X.iloc[[e["row"]]].copy()
            for c in cf["changes"]:
                row[c["feature"]] = pd.Series([c["to"]], dtype=row[c["feature"]].dtype).to_numpy()
            after = model.task.classes[int(model.predict_proba(row)[0].argmax())]
            assert after == cf["new_decision"] != e["prediction"]
