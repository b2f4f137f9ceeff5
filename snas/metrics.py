"""Rule fidelity and structural metrics shared by the search and the audit (DESIGN §6).

Everything is computed from raw inputs, predictions and probabilities with NumPy; no torch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._stats import COPY_PURITY, copies_of, wilson_interval
from snas.rules import RuleSet, holds_many

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Schema

__all__ = [
    "COPY_PURITY",
    "FLIP_LEVELS",
    "copies_of",
    "flip_rate",
    "monotonicity_grid",
    "monotonicity_violation_rate",
    "rule_metrics",
    "rule_summary",
    "substitute_levels",
]

FLIP_LEVELS = 20  # substitute levels per categorical feature in flip_rate (bounds the work on ID columns)


def rule_metrics(
    rules: RuleSet,
    X: pd.DataFrame,
    y_pred: np.ndarray,
    proba: np.ndarray,
    classes: list[str] | tuple[str, ...],
    y_true: np.ndarray | None = None,
    schema: Schema | None = None,
) -> pd.DataFrame:
    """Per-rule support, coverage, violation rate (Wilson 95%), compliance, expected
    violation, label agreement and excess violation, one row per rule."""
    import pandas as pd

    n = len(X)
    bodies = holds_many([r.body for r in rules], X, schema)
    index = {c: i for i, c in enumerate(classes)}
    y_pred = np.asarray(y_pred).astype(str)
    rows = []
    for j, r in enumerate(rules):
        m = bodies[:, j]
        s = int(m.sum())
        viol = int((y_pred[m] != r.head).sum())
        lo, hi = wilson_interval(viol, s)
        k = index.get(r.head)
        expected = float(np.mean(1 - proba[m, k])) if s and k is not None else None
        agree = float(np.mean(np.asarray(y_true).astype(str)[m] == r.head)) if (y_true is not None and s) else None
        vr = viol / s if s else None
        rows.append(
            {
                "rule": r.id,
                "strength": r.strength,
                "head": r.head,
                "weight": r.weight,
                "support": s,
                "coverage": s / n if n else 0.0,
                "violations": viol,
                "violation_rate": vr,
                "violation_rate_low": float(lo) if s else None,
                "violation_rate_high": float(hi) if s else None,
                "compliance": None if vr is None else 1 - vr,
                "expected_violation": expected,
                "label_agreement": agree,
                "excess_violation": None if (vr is None or agree is None) else vr - (1 - agree),
            }
        )
    return pd.DataFrame(rows)


def rule_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Overall: hard violations (must be 0), micro / macro compliance, F_soft."""
    covered = table[table["support"] > 0]
    hard = table[table["strength"] == "hard"]
    soft = covered[covered["strength"] == "soft"]
    support = covered["support"].sum()

    def weighted(t: pd.DataFrame) -> float | None:
        s = t["support"].sum()
        return None if s == 0 else float(1 - t["violations"].sum() / s)

    return {
        "hard_violations": int(hard["violations"].sum()),
        "micro_compliance": None if support == 0 else weighted(covered),
        "macro_compliance": None if covered.empty else float(covered["compliance"].mean()),
        "f_soft": weighted(soft),
        "rules": len(table),
    }


def monotonicity_grid(values: np.ndarray, grid_size: int = 25) -> np.ndarray:
    """The values :func:`monotonicity_violation_rate` sets a feature to: ``grid_size`` quantiles
    united with ``grid_size`` evenly spaced points from the minimum to the maximum, distinct and
    sorted (an integer feature's points rounded) — so a skewed feature (mostly 0, e.g. capital
    gains) is still walked across its whole range, with at least ``grid_size`` points when it
    has that many distinct values."""
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.empty(0)
    distinct = np.unique(v)
    if distinct.size <= grid_size:
        return distinct
    points = np.r_[np.quantile(v, np.linspace(0, 1, grid_size)), np.linspace(v.min(), v.max(), grid_size)]
    if np.all(distinct == np.round(distinct)):
        points = np.round(points)
    return np.unique(points)


def monotonicity_violation_rate(
    predict_proba: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    feature: str,
    direction: int,
    *,
    positive_index: int = -1,
    grid_size: int = 25,
    n_rows: int = 500,
    seed: int = 0,
    tol: float = 1e-6,
    return_grid: bool = False,
) -> Any:
    """Share of sampled rows whose positive-class probability moves against ``direction``
    somewhere on :func:`monotonicity_grid` of ``feature`` (all other inputs held fixed). With
    ``return_grid=True`` also the number of distinct grid points walked, ``(rate, points)``."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = X.iloc[rng.choice(len(X), size=min(n_rows, len(X)), replace=False)].reset_index(drop=True)
    values = X[feature].to_numpy(dtype="float64", na_value=np.nan)
    grid = monotonicity_grid(values, grid_size)
    if grid.size < 2:
        return (0.0, int(grid.size)) if return_grid else 0.0
    big = pd.concat([rows] * grid.size, ignore_index=True)
    col = np.repeat(grid, len(rows))
    dtype = X[feature].dtype
    big[feature] = pd.array(np.round(col), dtype=dtype) if str(dtype).startswith(("Int", "int")) else col
    p = predict_proba(big)[:, positive_index].reshape(grid.size, len(rows))
    steps = np.diff(p, axis=0) * direction
    rate = float(np.mean((steps < -tol).any(axis=0)))
    return (rate, int(grid.size)) if return_grid else rate


def flip_rate(
    predict: Callable[[pd.DataFrame], np.ndarray],
    X: pd.DataFrame,
    feature: str,
    *,
    n_rows: int = 2000,
    max_levels: int = FLIP_LEVELS,
    seed: int = 0,
) -> float:
    """Share of sampled rows whose decision changes when ``feature`` is set to another
    observed value: for categories, each of at most ``max_levels`` substitute levels (see
    :func:`substitute_levels`); for numbers, a shuffled value. The rows and all their
    variants are predicted in one call on stacked copies, so the work is at most
    ``n_rows × (max_levels + 1)`` rows whatever the number of levels (an ID or date column)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    rows = X.iloc[rng.choice(len(X), size=min(n_rows, len(X)), replace=False)].reset_index(drop=True)
    s = X[feature]
    original = rows[feature].to_numpy(dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s):
        levels = substitute_levels(s, max_levels, seed)
        substitutes = np.repeat(np.asarray(levels, dtype=object), len(rows))
    else:
        substitutes = rng.permutation(original)
    copies = 1 + len(substitutes) // max(len(rows), 1)
    stacked = pd.concat([rows] * copies, ignore_index=True)
    stacked[feature] = pd.Series(np.concatenate([original, substitutes]), dtype=s.dtype)
    pred = np.asarray(predict(stacked)).reshape(copies, len(rows))
    return float((pred[1:] != pred[0]).any(axis=0).mean()) if len(rows) else 0.0


def substitute_levels(values: pd.Series, max_levels: int = FLIP_LEVELS, seed: int = 0) -> list[Any]:
    """The observed levels :func:`flip_rate` tries: all of them when there are at most
    ``max_levels``; else the ``max_levels // 2`` most frequent (ties by name) and the rest
    drawn at random with ``seed`` from the other levels — the same levels for the same data."""
    counts = values.dropna().value_counts()
    counts = counts[counts > 0]  # a category without rows is no observed value
    ranked = sorted(counts.index, key=lambda v: (-int(counts[v]), str(v)))
    if len(ranked) <= max_levels:
        return ranked
    head, rest = ranked[: max_levels // 2], ranked[max_levels // 2 :]
    drawn = np.random.default_rng(seed).choice(len(rest), size=max_levels - len(head), replace=False)
    return head + [rest[i] for i in sorted(drawn)]
