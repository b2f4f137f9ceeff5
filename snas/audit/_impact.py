"""The price of every rule: what each rule costs or buys on the trained model.

Hard rules are measured on the test split: the model's unshielded scores under the full
shield and under the shield without that one rule (the other hard rules still apply) —
accuracy, ROC-AUC, the selection-rate gap of every sensitive attribute — with an exact
McNemar test on the rows whose decision changes. A hard rule whose removal raises test
accuracy beyond that test's noise is flagged for the experts (and enters the risk register).

Soft rules cannot be switched off without retraining; the search history answers instead:
the best stand-alone candidate trained with the rule injected (rule loss or knowledge
neuron) against the best trained without it, or a statement that the history holds no
such pair.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._context import search_metric
from snas.audit._metrics import item, selection_rate_gaps

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs, SearchRecord
    from snas.model import Task
    from snas.rules import Rule
    from snas.search import Evaluation

__all__ = [
    "ALPHA",
    "HARD_METHOD",
    "SOFT_METHOD",
    "forced_classes",
    "macro_roc_auc",
    "mcnemar",
    "roc_auc",
    "rule_impact",
    "shielded",
]

ALPHA = 0.05
HARD_METHOD = (
    "full shield vs the shield without this rule (the other hard rules still apply), applied to the "
    "model's unshielded scores on the test split; the accuracy change is tested with an exact two-sided "
    "McNemar test on the rows whose decision changes (alpha 0.05); interval: paired bootstrap"
)
SOFT_METHOD = (
    "best stand-alone candidate of the search (by the validation metric the search selects on) trained with this "
    "rule injected "
    "(rule loss or knowledge neuron) vs the best trained without it; validation split; candidates also "
    "differ in architecture, so this is evidence, not a controlled ablation, and it is never flagged"
)


# ----------------------------------------------------------------------------- the shield
def forced_classes(task: Task, frame: pd.DataFrame, without: str | None = None) -> np.ndarray:
    """Class index the hard rules force per row (−1 where none fires), optionally with one
    hard rule removed: the others' effective bodies are recompiled, so a rule that yielded to
    the removed one by priority takes its rows."""
    from snas.rules import holds_many, shield_bodies

    rules = task.rules
    if without is not None:
        rules = replace(rules, rules=tuple(r for r in rules if r.id != without))
    bodies = shield_bodies(rules)
    hard = [(bodies[r.id], task.classes.index(r.head)) for r in rules.hard]
    forced = np.full(len(frame), -1, dtype=np.int64)
    if hard:
        truth = holds_many([b for b, _ in hard], frame, task.schema)
        for j in range(len(hard) - 1, -1, -1):  # earlier rules win, as in the model's shield
            forced[truth[:, j]] = hard[j][1]
    return forced


def shielded(raw: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Rows with a forced class get all their probability on it; the others keep ``raw``."""
    out = raw.copy()
    hit = forced >= 0
    out[hit] = 0.0
    out[np.flatnonzero(hit), forced[hit]] = 1.0
    return out


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float | None:
    """ROC-AUC by average ranks (ties shared); None with a single class."""
    pos = int(positive.sum())
    neg = len(positive) - pos
    if pos == 0 or neg == 0:
        return None
    _, inv, counts = np.unique(score, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2.0)[inv]
    return float((ranks[positive].sum() - pos * (pos + 1) / 2) / (pos * neg))


def macro_roc_auc(y: np.ndarray, proba: np.ndarray) -> float | None:
    """Macro average of the one-vs-rest ROC-AUCs of a multiclass target (classes present in
    ``y`` only), as the report's headline ROC-AUC; None when no class has an area."""
    areas = [a for k in range(proba.shape[1]) if (a := roc_auc(y == k, proba[:, k])) is not None]
    return float(np.mean(areas)) if areas else None


def mcnemar(with_correct: np.ndarray, without_correct: np.ndarray) -> tuple[int, int, float]:
    """(rows only the rule gets right, rows only its removal gets right, exact two-sided p)."""
    helps = int((with_correct & ~without_correct).sum())
    hurts = int((~with_correct & without_correct).sum())
    n, k = helps + hurts, min(helps, hurts)
    if n == 0:
        return helps, hurts, 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return helps, hurts, float(min(1.0, 2 * tail))


# ----------------------------------------------------------------------------- family
def rule_impact(inputs: AuditInputs) -> list[dict[str, Any]]:
    """One ``rule_impact`` item per rule and one ``shield_impact`` item for all hard rules."""
    task = inputs.model.task
    raw = inputs.model.predict_proba(inputs.X, shield=False)
    on = inputs.model.spec.shield
    forced = forced_classes(task, inputs.X) if on else np.full(len(inputs.X), -1)
    with_rules = _variant(inputs, shielded(raw, forced))
    out = []
    for r in inputs.rules:
        if r.is_hard:
            without = forced_classes(task, inputs.X, without=r.id) if on else forced
            out.append(_hard_item(inputs, r, with_rules, _variant(inputs, shielded(raw, without))))
        else:
            out.append(_soft_item(inputs, r))
    if inputs.rules.hard:
        out.append(_shield_item(inputs, with_rules, _variant(inputs, raw), on))
    return out


def _variant(inputs: AuditInputs, proba: np.ndarray) -> dict[str, Any]:
    pred = proba.argmax(1)
    return {
        "correct": pred == inputs.y,
        "accuracy": float((pred == inputs.y).mean()),
        "roc_auc": roc_auc(inputs.y == inputs.positive, proba[:, inputs.positive])
        if proba.shape[1] == 2
        else macro_roc_auc(inputs.y, proba),
        "selection_rate_gap": selection_rate_gaps(inputs.single_groups, pred, inputs.positive),
    }


def _public(v: dict[str, Any]) -> dict[str, Any]:
    return {k: x for k, x in v.items() if k != "correct"}


def _comparison(inputs: AuditInputs, with_: dict[str, Any], without: dict[str, Any]) -> dict[str, Any]:
    """The fields shared by rule and shield items: both variants, the test and the interval."""
    helps, hurts, p = mcnemar(with_["correct"], without["correct"])
    delta = inputs.boot.mean(without["correct"].astype(float) - with_["correct"].astype(float))
    costs = hurts > helps and p < ALPHA
    return {
        "value": without["accuracy"] - with_["accuracy"],
        "ci": delta[1:],
        "with_rule": _public(with_),
        "without_rule": _public(without),
        "decisions_changed": helps + hurts,
        "helps": helps,
        "hurts": hurts,
        "mcnemar_p": p,
        "costs_accuracy": costs,
    }


def _rule_row(inputs: AuditInputs, rule_id: str) -> dict[str, Any]:
    row = inputs.rule_table.set_index("rule").loc[rule_id]

    def f(v: Any) -> float | None:
        return None if v is None or v != v else float(v)

    return {
        "covered": int(row["support"]),
        "coverage": float(row["coverage"]),
        "label_agreement": f(row["label_agreement"]),
        "compliance": f(row["compliance"]),
    }


def _hard_item(inputs: AuditInputs, rule: Rule, with_: dict[str, Any], without: dict[str, Any]) -> dict[str, Any]:
    c = _comparison(inputs, with_, without)
    value, ci, costs = c.pop("value"), c.pop("ci"), c["costs_accuracy"]
    return item(
        f"ev:rule-impact:{rule.id}",
        "rule_impact",
        value,
        ci=ci,
        n=len(inputs.X),
        method=HARD_METHOD,
        passed=not costs,
        rule=rule.id,
        strength="hard",
        head=rule.head,
        **_rule_row(inputs, rule.id),
        **c,
        note=None if inputs.model.spec.shield else "the model does not apply its shield (spec.shield is false)",
    )


def _shield_item(inputs: AuditInputs, with_: dict[str, Any], raw: dict[str, Any], on: bool) -> dict[str, Any]:
    c = _comparison(inputs, with_, raw)
    value, ci = c.pop("value"), c.pop("ci")
    return item(
        "ev:shield-impact",
        "shield_impact",
        value,
        ci=ci,
        n=len(inputs.X),
        method=HARD_METHOD.replace("the shield without this rule (the other hard rules still apply)", "no shield"),
        passed=not c["costs_accuracy"],
        rules=[r.id for r in inputs.rules.hard],
        **c,
        note=None if on else "the model does not apply its shield (spec.shield is false)",
    )


# ----------------------------------------------------------------------------- soft rules
def injection(e: Evaluation, rule: str) -> tuple[str, ...]:
    """How a candidate injected ``rule``: ``loss`` (trained with its rule loss, λ > 0) and/or
    ``neuron`` (its knowledge neuron kept by the genome)."""
    spec, genome = e.spec or {}, e.genome or {}
    mode = (spec.get("rule_modes") or {}).get(rule, spec.get("default_rule_mode", "loss"))
    out = []
    if mode in ("loss", "both") and float(spec.get("rule_lambda", 1.0)) > 0:
        out.append("loss")
    if rule in (genome.get("neurons") or ()) or mode in ("neuron", "both"):
        out.append("neuron")
    return tuple(out)


def _best(evals: list[Evaluation]) -> Evaluation | None:
    return min(evals, key=lambda e: (e.objectives[0], e.objectives[1], e.number)) if evals else None


def _candidate(e: Evaluation | None, rule: str, metric: str = "accuracy") -> dict[str, Any] | None:
    if e is None:
        return None
    m = e.metrics
    return {
        "number": e.number,
        "metric": metric,  # the one the candidates were compared on
        "validation_metric": m.get(metric),
        "validation_accuracy": m.get("accuracy"),
        "f_soft": m.get("f_soft"),
        "parameters": m.get("parameters"),
        "injection": " + ".join(injection(e, rule)) or "none",
    }


def soft_history(search: SearchRecord | None, rule: str) -> dict[str, Any]:
    """Best candidate with vs without the rule injected (and with vs without its neuron)."""
    if search is None:
        return {"status": "no_search", "note": "no search history: the architecture was not searched"}
    done = [e for e in search.evaluations if e.fidelity == "stand-alone"]
    if not done:
        return {"status": "no_candidates", "note": "the search history holds no stand-alone candidate"}
    metric = search_metric(search)
    with_ = _best([e for e in done if injection(e, rule)])
    without = _best([e for e in done if not injection(e, rule)])
    neuron = _best([e for e in done if "neuron" in injection(e, rule)])
    loss_only = _best([e for e in done if injection(e, rule) == ("loss",)])
    out: dict[str, Any] = {"with": _candidate(with_, rule, metric), "without": _candidate(without, rule, metric)}
    if neuron is not None and loss_only is not None:
        out["with_neuron"], out["loss_only"] = _candidate(neuron, rule, metric), _candidate(loss_only, rule, metric)
    if with_ is not None and without is not None:
        return {"status": "pair", **out}
    side = "without" if without is None else "with"
    note = f"the search history holds no stand-alone candidate trained {side} this rule"
    if without is None:
        note += " (its rule loss is on in every candidate)"
    return {"status": "no_pair", "note": note, **out}


def _soft_item(inputs: AuditInputs, rule: Rule) -> dict[str, Any]:
    history = soft_history(inputs.search, rule.id)
    pair = history["status"] == "pair"
    value = (
        history["without"]["validation_accuracy"] - history["with"]["validation_accuracy"] if pair else None
    )  # accuracy points
    return item(
        f"ev:rule-impact:{rule.id}",
        "rule_impact",
        value,
        n=len(inputs.X),
        method=SOFT_METHOD,
        rule=rule.id,
        strength="soft",
        head=rule.head,
        **_rule_row(inputs, rule.id),
        history=history,
        costs_accuracy=None,
    )
