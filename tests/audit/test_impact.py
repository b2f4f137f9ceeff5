"""The price of every rule: hard rules recomputed with plain NumPy from the unshielded scores,
soft rules read from a search history, a costly rule flagged for the experts, and
``snas rules impact``."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from snas.audit import AuditReport
from snas.cli import main


def _report(run) -> AuditReport:
    return AuditReport.from_json((run / "reports" / "report.json").read_text())


def _numpy_shield(raw: np.ndarray, bodies: list[np.ndarray], heads: list[int], positive: int):
    """Predictions and positive-class scores with the first firing rule's head forced."""
    forced = np.full(len(raw), -1)
    for body, head in zip(bodies, heads, strict=True):
        forced[(forced < 0) & body] = head
    pred = np.where(forced >= 0, forced, raw.argmax(1))
    score = np.where(forced >= 0, (forced == positive).astype(float), raw[:, positive])
    return pred, score


def _gap(pred: np.ndarray, groups: np.ndarray, positive: int) -> float:
    frame = pd.DataFrame({"g": groups, "chosen": pred == positive})
    stats = frame.groupby("g")["chosen"].agg(["size", "mean"])
    rates = stats.loc[stats["size"] >= 100, "mean"]
    return float(rates.max() - rates.min())


def test_hard_rule_impact_matches_plain_numpy(audit_run, tiny_data):
    from scipy.stats import binomtest
    from sklearn.metrics import roc_auc_score

    from snas.model import FittedModel
    from snas.rules import holds

    model = FittedModel.load(audit_run / "model")
    X, y = tiny_data.X_test.reset_index(drop=True), tiny_data.y_test.astype(str).to_numpy()
    classes = list(model.task.classes)
    pos, yi = classes.index(">50K"), np.asarray([classes.index(v) for v in y])
    raw = model.predict_proba(X, shield=False)
    hard = [r for r in model.task.rules if r.is_hard]
    body = {r.id: holds(r.body, X, model.task.schema) for r in hard}

    def shield(rules):
        return _numpy_shield(raw, [body[r.id] for r in rules], [classes.index(r.head) for r in rules], pos)

    pred_on, score_on = shield(hard)
    assert (pred_on == model.predict_proba(X).argmax(1)).all()  # this NumPy shield is the model's
    ev, sex = _report(audit_run).evidence, X["sex"].astype(str).to_numpy()
    for r in hard:
        pred_off, score_off = shield([q for q in hard if q.id != r.id])
        e = ev[f"ev:rule-impact:{r.id}"]
        assert e["covered"] == body[r.id].sum() and e["compliance"] == 1.0
        assert e["label_agreement"] == pytest.approx((y[body[r.id]] == r.head).mean(), abs=1e-6)
        for key, pred, score in (("with_rule", pred_on, score_on), ("without_rule", pred_off, score_off)):
            assert e[key]["accuracy"] == pytest.approx((pred == yi).mean(), abs=1e-6), (r.id, key)
            assert e[key]["roc_auc"] == pytest.approx(roc_auc_score(yi == pos, score), abs=1e-6), (r.id, key)
            assert e[key]["selection_rate_gap"]["sex"] == pytest.approx(_gap(pred, sex, pos), abs=1e-6)
        helps = int(((pred_on == yi) & (pred_off != yi)).sum())
        hurts = int(((pred_on != yi) & (pred_off == yi)).sum())
        p = binomtest(hurts, helps + hurts).pvalue if helps + hurts else 1.0
        assert (e["helps"], e["hurts"]) == (helps, hurts) and e["mcnemar_p"] == pytest.approx(p, abs=1e-6)
        assert e["value"] == pytest.approx((pred_off == yi).mean() - (pred_on == yi).mean(), abs=1e-6)
        assert e["pass"] is not (hurts > helps and p < 0.05)
    changed = [ev[f"ev:rule-impact:{r.id}"]["decisions_changed"] for r in hard]
    assert sum(changed) > 0  # the comparison is not vacuous: some rule decides rows the network would not


def test_rules_impact_command_prints_the_reports_numbers(audit_run, tiny_search, capsys):
    assert main(["rules", "impact", str(audit_run), "--data-dir", str(tiny_search), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    report = _report(audit_run).evidence
    assert printed["test_rows"] == report["ev:data:profile:test"]["n"]
    assert {e["id"]: e for e in printed["rules"]} == {
        k: v for k, v in report.items() if v["kind"] in ("rule_impact", "shield_impact")
    }
    assert main(["rules", "impact", str(audit_run), "--data-dir", str(tiny_search)]) == 0
    text = capsys.readouterr().out
    e = report["ev:rule-impact:young-never-married"]
    row = next(line for line in text.splitlines() if line.startswith("young-never-married "))
    assert f"{100 * e['with_rule']['accuracy']:.2f}% → {100 * e['without_rule']['accuracy']:.2f}%" in row
    assert f"{e['helps']} / {e['hurts']}" in row
    assert any(line.startswith("all hard rules ") for line in text.splitlines())
    assert any(line.startswith("married-graduate-full-time ") for line in text.splitlines())


BAD_RULE = """  - id: long-hours-over-30
    if: hours_per_week >= 45 and age >= 30 and capital_gain < 7500
    then: "<=50K"
    strength: hard
    rationale: "Deliberately wrong (a test): many people working long hours earn more."
"""


def test_a_costly_hard_rule_is_flagged_for_the_experts_without_warnings(tiny_search, tiny_data):
    from snas import SNASClassifier, build_report
    from snas.audit import render_markdown
    from snas.rules import parse_rules

    text = (tiny_search / "rules.yaml").read_text().replace("rules:\n", "rules:\n" + BAD_RULE, 1)
    text = text.replace("audit_proxies: [relationship]", "audit_proxies: [relationship, age]")  # a numeric proxy
    clf = SNASClassifier(rules=parse_rules(text), architecture={"layers": [16], "max_epochs": 3}, random_state=0)
    clf.fit(tiny_data.X_train, tiny_data.y_train)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn, NumPy, pandas: the happy path is warning-free
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module=r"shap\.")  # on import
        report = build_report(clf, tiny_data, resamples=200)
    e = report.evidence["ev:rule-impact:long-hours-over-30"]
    assert e["costs_accuracy"] and e["pass"] is False
    assert e["hurts"] > e["helps"] and e["mcnemar_p"] < 0.05 and e["value"] > 0
    risks = {r["evidence"]: r["finding"] for r in report.body["risk_register"]}
    assert risks[e["id"]].startswith("hard rule long-hours-over-30 costs accuracy on the test split")
    field = report.body["sections"]["AIA.AnnexIV.2.b"]["fields"]["rule_impact"]["value"]
    assert field["flagged"] == ["long-hours-over-30"] and e["id"] in field["evidence"]
    md = render_markdown(report).split("## Rule impact", 1)[1]
    row = next(line for line in md.splitlines() if line.startswith("| `long-hours-over-30` |"))
    assert "costs accuracy beyond noise" in row
    assert report.evidence["ev:proxy:age_band"]["n"] > 0  # numeric attributes are probed in bands
    assert "ev:proxy:race" in report.evidence  # rare race levels pooled, not dropped with the attribute


def test_forced_classes_without_a_rule_hand_its_rows_to_the_rule_it_beat(census):
    from snas.audit._impact import forced_classes
    from snas.model import Task
    from snas.rules import parse_rules

    rules = parse_rules(
        "snas_rules: 1\ntarget: {column: income, positive: '>50K'}\nrules:\n"
        "  - {id: gain, if: capital_gain >= 7500, then: '>50K', strength: hard, priority: 2}\n"
        "  - {id: young, if: age < 21, then: '<=50K', strength: hard, priority: 1}\n"
    )
    frame = census.X_train.head(3000).reset_index(drop=True)
    task = Task.fit(frame, census.y_train.head(3000), rules, target="income")
    both = (frame["capital_gain"] >= 7500).fillna(False).to_numpy() & (frame["age"] < 21).fillna(False).to_numpy()
    gain = (frame["capital_gain"] >= 7500).fillna(False).to_numpy()
    assert both.any()
    hi, lo = task.classes.index(">50K"), task.classes.index("<=50K")
    assert (forced_classes(task, frame) == task.forced(frame)).all()
    assert (forced_classes(task, frame)[both] == lo).all()  # young wins by priority
    without_young = forced_classes(task, frame, without="young")
    assert (without_young[gain] == hi).all() and (without_young[~gain] == -1).all()
    without_gain = forced_classes(task, frame, without="gain")
    assert (without_gain[gain & ~both] == -1).all()


def _evaluation(number, accuracy, neurons=(), modes=None, rule_lambda=0.5, fidelity="stand-alone"):
    from snas.search import Evaluation

    metrics = {"accuracy": accuracy, "error": 1 - accuracy, "parameters": 100 + number, "infidelity": 0.0}
    spec = {"default_rule_mode": "loss", "rule_modes": modes or {}, "rule_lambda": rule_lambda}
    return Evaluation(number, {"neurons": list(neurons)}, spec, fidelity, {**metrics, "f_soft": 0.99})


def _record(*evaluations):
    from snas.audit._inputs import SearchRecord

    return SearchRecord(tuple(evaluations), (), None, None, None, None)


def test_soft_rule_history_pairs_the_best_with_and_without_the_rule():
    from snas.audit._impact import soft_history

    assert soft_history(None, "r")["status"] == "no_search"
    # the rule loss is on everywhere: no pair, said so; the neuron still splits the candidates
    h = soft_history(
        _record(
            _evaluation(0, 0.80, ["r"]),
            _evaluation(1, 0.84),
            _evaluation(2, 0.83, ["r"]),
            _evaluation(3, 0.99, fidelity="inherited"),
        ),
        "r",
    )
    assert h["status"] == "no_pair" and h["without"] is None and "without this rule" in h["note"]
    assert (h["with"]["number"], h["with_neuron"]["number"], h["loss_only"]["number"]) == (1, 2, 1)
    assert h["with_neuron"]["injection"] == "loss + neuron"
    # switched off in one candidate (mode off, or a zero rule weight): a pair
    for off in (_evaluation(4, 0.82, modes={"r": "off"}), _evaluation(4, 0.82, rule_lambda=0.0)):
        h = soft_history(_record(_evaluation(0, 0.80, ["r"]), _evaluation(1, 0.84), off), "r")
        assert h["status"] == "pair" and h["with"]["number"] == 1 and h["without"]["number"] == 4
        assert h["without"]["injection"] == "none"
    h = soft_history(_record(_evaluation(3, 0.99, fidelity="low")), "r")
    assert h["status"] == "no_candidates"


def test_proxy_probe_pools_rare_levels_and_stays_warning_free(audit_run, tiny_data):
    from snas.audit._probes import RARE_LEVEL, proxy_check
    from snas.model import FittedModel

    model = FittedModel.load(audit_run / "model")
    X = tiny_data.X_test.reset_index(drop=True)
    n = len(X)
    levels = np.where(np.arange(n) % 2 == 0, "a", "b").astype(object)
    levels[:1] = "alone"  # one row: a 3-fold probe would warn about it
    levels[1:RARE_LEVEL] = "few"  # pooled with "alone": together they are just enough
    age = X["age"].to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        items = proxy_check(model, X, {"levels": levels, "raw_age": age.astype(int).astype(str)}, seed=0)
    by = {e["attribute"]: e for e in items}
    assert by["levels"]["n"] == n and by["levels"]["chance_level"] == pytest.approx(1 / 3)
    assert by["raw_age"]["n"] <= n  # ages seen fewer than RARE_LEVEL times are pooled (or dropped)


def test_mcnemar_p_below_the_float_range_is_shown_as_such():
    from snas.audit._impact import mcnemar
    from snas.audit._render_impact import hard_cells

    helps, hurts, p = mcnemar(np.ones(1200, bool), np.zeros(1200, bool))  # 2 / 2**1200 underflows
    assert (helps, hurts, p) == (1200, 0, 0.0)
    cells = hard_cells({"rule": "r", "covered": 1200, "helps": helps, "hurts": hurts, "mcnemar_p": p})
    assert cells[8] == "< 1e-300"
