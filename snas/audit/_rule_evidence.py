"""Rule evidence on the test split: per-rule fidelity (also per group), the rule summary,
and the structural guarantees (monotonicity, excluded attributes) checked on the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._metrics import item

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs
    from snas.model import FittedModel

__all__ = ["copy_caveat", "rule_evidence", "rule_fidelity", "structural_checks", "unconstrained_copies"]

SOFT_VIOLATION_LIMIT = 0.10  # a soft rule is flagged above this violation rate; a hard one above 0


def rule_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Per-rule fidelity (with the rule's text), per group, the summary, and the structural checks."""
    from snas.rules import holds_many

    rules = inputs.rules
    bodies = holds_many([r.body for r in rules], inputs.X, inputs.model.task.schema)
    heads = [r.head for r in rules]
    out = rule_fidelity(inputs.rule_table, inputs.single_groups, bodies, inputs.pred_labels, heads)
    _add_rule_text(out, rules)
    out.append(_rule_summary(inputs.rule_table, len(rules)))
    return out + structural_checks(inputs.model, inputs.X, inputs.seed)


def _rule_summary(table: pd.DataFrame, n_rules: int) -> dict[str, Any]:
    from snas.metrics import rule_summary

    s = (
        rule_summary(table)
        if n_rules
        else {"hard_violations": 0, "micro_compliance": None, "macro_compliance": None, "f_soft": None}
    )
    return item(
        "ev:rules:summary",
        "rule_summary",
        s["micro_compliance"],
        threshold=0,
        criterion="hard-rule violations = 0 (value: micro compliance)",
        passed=s["hard_violations"] == 0,
        hard_violations=s["hard_violations"],
        macro_compliance=s["macro_compliance"],
        f_soft=s["f_soft"],
    )


def _f(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def rule_fidelity(
    table: pd.DataFrame, groups: dict[str, np.ndarray], bodies: np.ndarray, pred_labels: np.ndarray, heads: list[str]
) -> list[dict[str, Any]]:
    """Per-rule fidelity (DESIGN §6) and each rule's violation rate per group."""
    out = []
    for j, row in table.reset_index(drop=True).iterrows():
        vr = _f(row["violation_rate"])
        limit = 0.0 if row["strength"] == "hard" else SOFT_VIOLATION_LIMIT
        lo, hi = _f(row["violation_rate_low"]), _f(row["violation_rate_high"])
        violating = bodies[:, j] & (pred_labels != heads[j])
        out.append(
            item(
                f"ev:rule:{row['rule']}",
                "rule_fidelity",
                None if vr is None else 1 - vr,
                ci=None if lo is None or hi is None else (1 - hi, 1 - lo),
                n=int(row["support"]),
                method="wilson-95",
                threshold=1 - limit,
                passed=None if vr is None else vr <= limit + 1e-12,
                rule=row["rule"],
                strength=row["strength"],
                head=row["head"],
                coverage=float(row["coverage"]),
                violations=int(row["violations"]),
                violation_rate=vr,
                expected_violation=_f(row["expected_violation"]),
                label_agreement=_f(row["label_agreement"]),
                excess_violation=_f(row["excess_violation"]),
                violation_example_rows=[int(i) for i in np.flatnonzero(violating)[:5]],
            )
        )
        out += _fidelity_by_group(row["rule"], groups, bodies[:, j], pred_labels != heads[j])
    return out


def _fidelity_by_group(
    rule: str, groups: dict[str, np.ndarray], body: np.ndarray, wrong: np.ndarray
) -> list[dict[str, Any]]:
    out = []
    for attr, values in groups.items():
        per = {}
        for lv in sorted(set(values.tolist())):
            m = body & (values == lv)
            if m.sum():
                per[str(lv)] = {"n": int(m.sum()), "violation_rate": float(wrong[m].mean())}
        out.append(item(f"ev:rule:{rule}:by:{attr}", "rule_fidelity_by_group", per, rule=rule, attribute=attr))
    return out


def _add_rule_text(evidence: list[dict[str, Any]], rules: Any) -> None:
    """Each rule-fidelity item quotes its rule in the expert's words, for people reading the report."""
    from snas.rules import to_text

    for e in evidence:
        if e["kind"] == "rule_fidelity":
            r = rules[e["rule"]]
            e["condition"] = r.if_text or to_text(r.condition)
            e["unless"] = None if r.unless is None else (r.unless_text or to_text(r.unless))


def structural_checks(model: FittedModel, X: pd.DataFrame, seed: int) -> list[dict[str, Any]]:
    """Monotonicity violation rate per monotonic feature; decision flip rate per excluded attribute."""
    from snas.metrics import monotonicity_violation_rate

    out = []
    constraints = model.task.rules.constraints
    for f, direction in constraints.monotonic.items():
        v, points = monotonicity_violation_rate(model.predict_proba, X, f, direction, seed=seed, return_grid=True)
        copies = unconstrained_copies(model, X, f)
        method = (
            f"each sampled row with {f} set to each of {points} grid points (quantiles and evenly spaced "
            f"values from its minimum to its maximum), all other inputs held fixed"
        )
        if copies:
            method += "; " + copy_caveat(f, copies)
        out.append(
            item(
                f"ev:monotonicity:{f}",
                "monotonicity",
                v,
                n=min(500, len(X)),
                method=method,
                threshold=0.0,
                passed=v == 0.0,
                feature=f,
                direction="increasing" if direction > 0 else "decreasing",
                grid_points=points,
                unconstrained_copies=copies,
                caveat=copy_caveat(f, copies) if copies else None,
            )
        )
    for f in constraints.exclude_features:
        out.append(_flip_item(model, X, f, seed))
    return out


def unconstrained_copies(model: FittedModel, X: pd.DataFrame, feature: str) -> list[str]:
    """Inputs the model reads that determine ``feature`` 1:1 (or nearly) in ``X`` and are not
    monotonic themselves: moving ``feature`` with its copy, as every real row does, can undo the
    monotonicity guarantee (:func:`snas.metrics.copies_of`)."""
    from snas.metrics import copies_of
    from snas.model import inputs_read

    read = inputs_read(model)
    monotonic = set(model.task.rules.constraints.monotonic)
    candidates = [c for c in X.columns if c in read and c not in monotonic and c != feature]
    return copies_of(X, feature, candidates)


def copy_caveat(feature: str, copies: list[str]) -> str:
    """The limit of a monotonicity guarantee whose feature has unconstrained copies, in words."""
    names = ", ".join(copies)
    verb = "determines" if len(copies) == 1 else "determine"
    return (
        f"holds when {feature} changes alone; {names}, which {verb} it 1:1 in the test data, "
        f"{'is' if len(copies) == 1 else 'are'} read without constraint, so raising both together (as real rows "
        "differ) is not covered"
    )


def _flip_item(model: FittedModel, X: pd.DataFrame, feature: str, seed: int) -> dict[str, Any]:
    """Decisions changed when an excluded attribute is swapped, with the bound on the work said."""
    import pandas as pd

    from snas.metrics import FLIP_LEVELS, flip_rate

    v = flip_rate(model.predict, X, feature, seed=seed)
    s = X[feature]
    levels = int(s.nunique())
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
        tried = min(levels, FLIP_LEVELS)
        method = (
            f"each sampled row (up to 2,000) set to each of {tried} observed levels: all of them"
            if levels <= FLIP_LEVELS
            else f"each sampled row (up to 2,000) set to each of {tried} of its {levels:,} observed levels (the "
            f"{FLIP_LEVELS // 2} most frequent and {FLIP_LEVELS - FLIP_LEVELS // 2} drawn at random with the "
            "audit's seed)"
        )
    else:
        tried, method = 1, "each sampled row (up to 2,000) given another row's value (one shuffle)"
    return item(
        f"ev:flip:{feature}",
        "flip_rate",
        v,
        n=min(2000, len(X)),
        method=method + "; a decision that changes for any of them counts",
        threshold=0.0,
        passed=v == 0.0,
        feature=feature,
        levels_observed=levels,
        substitutes_tried=tried,
    )
