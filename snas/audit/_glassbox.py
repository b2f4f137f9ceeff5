"""Evidence of glass-box (additive) models, exact by construction: every term's shape, the
top interaction surfaces, global importance (mean |contribution| per term) and the example
decisions' contributions with their main reasons — in place of permutation SHAP.

Everything comes from :meth:`FittedModel.explain` and :meth:`FittedModel.shapes`, i.e. from
the network's own term functions: what the report shows is what predicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._explain import decision_facts, example_rows
from snas.audit._metrics import item, plain

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs
    from snas.model import Explanation, FittedModel, TermShape

__all__ = [
    "EXACT_METHOD",
    "MAIN_REASONS",
    "TOP_INTERACTIONS",
    "explanation_aids",
    "glassbox_evidence",
    "is_glass_box",
    "main_reasons",
]

EXACT_METHOD = "exact additive contributions"
TOP_INTERACTIONS = 6  # pair surfaces ranked in ev:explain:interactions
MAIN_REASONS = 4  # reasons per decision, as in adverse-action notices
DIRECTION = {1: "non-decreasing", -1: "non-increasing"}

Reads = dict[str, tuple[str, ...]]  # term → the input features it reads


def is_glass_box(model: FittedModel) -> bool:
    """True for the additive family, whose contributions are exact."""
    return model.family == "additive"


def glassbox_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Global importance, one shape per term, the top interactions and the example decisions."""
    model = inputs.model
    explanation = model.explain(inputs.X)  # binary: the one logit; multiclass: the positive class
    terms = explanation.contributions
    importance = terms.abs().mean()
    shapes = model.shapes(inputs.data.X_train, explanation.target)
    reads = {s.name: s.features for s in shapes}
    out = [_global(importance.drop("bias"), len(terms), explanation.target)]
    out += [_shape_item(s, float(importance[s.name]), len(terms), len(inputs.data.X_train)) for s in shapes]
    out.append(_interactions([s for s in shapes if s.kind == "pair"], importance))
    by_class = {explanation.target: explanation}  # a multiclass decision is explained on its own class's logit
    for i in example_rows(inputs):
        decision = str(inputs.pred_labels[int(i)])
        if model.task.layout.n_out > 1 and decision not in by_class:
            by_class[decision] = model.explain(inputs.X, decision)
        towards = by_class.get(decision, explanation)
        out.append(_local(inputs, explanation, int(i), reads, main_reasons(inputs, towards, int(i), reads)))
    return out


def _global(importance: pd.Series, n: int, target: str) -> dict[str, Any]:
    return item(
        "ev:explain:global_importance",
        "global_explanation",
        {k: float(v) for k, v in importance.sort_values(ascending=False).items()},
        n=n,
        method=f"{EXACT_METHOD}: mean |contribution| of each term to the logit of {target!r} on every test row",
    )


def _listed(a: np.ndarray | None) -> Any:
    return None if a is None else np.asarray(a).tolist()


def _shape_item(s: TermShape, importance: float, n: int, train_rows: int) -> dict[str, Any]:
    """One term's exact shape: grid (knots, levels or truths), contribution, missing value,
    training-row density and the monotone direction the rule file imposes."""
    return item(
        f"ev:explain:shape:{s.name}",
        "term_shape",
        importance,
        n=n,
        method=f"{EXACT_METHOD}: the network's own term function on its grid; value = mean |contribution| on the test rows",
        term=s.name,
        term_kind=s.kind,
        features=list(s.features),
        grid=[[plain(v) for v in axis] for axis in s.grid],
        contribution=_listed(s.contribution),
        missing=s.missing,
        density=_listed(s.density),
        density_rows=train_rows,
        monotone={f: DIRECTION[d] for f, d in zip(s.features, s.monotone, strict=True) if d},
        monotone_source="rule file (constraints.monotonic), guaranteed by construction",
    )


def _interactions(pairs: list[TermShape], importance: pd.Series) -> dict[str, Any]:
    """The pair terms, strongest first (mean |contribution| on the test rows), with their range."""
    if not pairs:
        return item(
            "ev:explain:interactions",
            "interactions",
            None,
            status="not_applicable",
            reason="the model has no pair (interaction) terms",
        )
    ranked = sorted(pairs, key=lambda s: -float(importance[s.name]))[:TOP_INTERACTIONS]
    surfaces = [
        {
            "term": s.name,
            "features": list(s.features),
            "mean_abs_contribution": float(importance[s.name]),
            "range": float(np.ptp(s.contribution)),
            "evidence": f"ev:explain:shape:{s.name}",
        }
        for s in ranked
    ]
    return item(
        "ev:explain:interactions",
        "interactions",
        [s["term"] for s in surfaces],
        n=len(pairs),
        method=f"{EXACT_METHOD}: pair terms ranked by mean |contribution| on the test rows",
        surfaces=surfaces,
    )


def _local(
    inputs: AuditInputs, explanation: Explanation, i: int, reads: Reads, reasons: dict[str, Any]
) -> dict[str, Any]:
    """An example decision explained exactly: its terms sum to the network's logit."""
    row = explanation.contributions.iloc[i]
    logit = float(inputs.model.logits(inputs.X.iloc[[i]])[0, _logit_column(inputs, explanation.target)])
    return item(
        f"ev:explain:row:{i}",
        "local_explanation",
        float(inputs.proba[i, inputs.positive]),
        method=f"{EXACT_METHOD} (bias + terms = logit of {explanation.target!r} before the shield)",
        **decision_facts(inputs, i),
        contributions={k: float(v) for k, v in row.items()},
        logit=logit,
        target=explanation.target,
        main_reasons=reasons,
    )


def _logit_column(inputs: AuditInputs, target: str) -> int:
    return 0 if inputs.model.task.layout.n_out == 1 else inputs.classes.index(target)


def main_reasons(inputs: AuditInputs, explanation: Explanation, i: int, reads: Reads) -> dict[str, Any]:
    """The main reasons for the decision made on row ``i``, whichever class it is (no class is
    taken for the favourable one), as in adverse-action notices: when a hard rule decided the
    row, that rule; else the terms that pushed the row most towards the predicted class,
    measured against the average test row (a term that moves every row alike is no reason).

    ``explanation`` holds the terms of one logit: a binary model's (of ``classes[-1]``; a
    decision for the other class is pushed by the terms that lower it) or, for a multiclass
    model, the predicted class's own logit.
    """
    decision = str(inputs.pred_labels[i])
    rule_id = inputs.model.deciding_rules(inputs.X.iloc[[i]])[0]
    if rule_id is not None:
        return {"decision": decision, "decided_by": rule_id, "rule": _rule_text(inputs, rule_id), "reasons": []}
    terms = explanation.contributions.drop(columns="bias")
    sign = 1.0 if explanation.target == decision else -1.0
    push = (terms.iloc[i] - terms.mean()) * sign  # > 0: towards the decision made
    reasons = [
        {
            "term": name,
            "contribution": float(terms.iloc[i][name]),
            "versus_average": float(push[name]),
            "values": _values(inputs, name, i, reads[name]),
        }
        for name in push.sort_values(ascending=False, kind="stable").index[:MAIN_REASONS]
        if push[name] > 0
    ]
    way = "raise" if sign > 0 else "lower"
    return {
        "decision": decision,
        "decided_by": None,
        "logit_of": explanation.target,
        "measured_on": f"terms that {way} the logit of {explanation.target!r}, against the average test row",
        "reasons": reasons,
    }


def _rule_text(inputs: AuditInputs, rule_id: str) -> str:
    """A hard rule in the expert's words: ``if … unless … then …``."""
    from snas.rules import to_text

    r = inputs.rules[rule_id]
    text = f"if {r.if_text or to_text(r.condition)}"
    if r.unless is not None:
        text += f" unless {r.unless_text or to_text(r.unless)}"
    return f"{text} then {r.head}"


def _values(inputs: AuditInputs, term: str, i: int, features: tuple[str, ...]) -> dict[str, Any]:
    """The inputs a term reads, as the row has them (a knowledge neuron also gives its truth)."""
    out = {f: plain(inputs.X.iloc[i][f]) for f in features}
    if term.startswith("rule:"):
        out[f"truth of {term}"] = inputs.model.neuron_activations(inputs.X.iloc[[i]])[0].get(term.removeprefix("rule:"))
    return out


def explanation_aids(evidence: list[dict[str, Any]]) -> tuple[str, str]:
    """(how decisions were explained, how the whole model was explained), as the evidence says."""
    local = {e.get("method", "") for e in evidence if e["kind"] == "local_explanation"}
    if any(m.startswith(EXACT_METHOD) for m in local):
        return (
            "exact additive contributions per decision (bias + terms = logit) with main reasons",
            "exact term shapes (every term's function, training-row density, monotone direction)",
        )
    return "local SHAP values (permutation SHAP)", "global permutation SHAP"
