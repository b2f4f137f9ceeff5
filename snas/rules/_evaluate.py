"""Vectorised, three-valued evaluation of conditions on a DataFrame.

A comparison on a missing value is *unknown*; ``and`` / ``or`` / ``not`` follow Kleene's
logic, and a rule's body *holds* only where it is definitely true. So a rule never fires on
a row whose deciding inputs are missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import level_codes
from snas.rules._tree import And, Compare, Condition, Member, Not, Value

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Schema

__all__ = ["ColumnView", "holds", "holds_many"]


class ColumnView:
    """Per-frame cache of columns as NumPy arrays (float for numbers, codes for categories)."""

    def __init__(self, frame: pd.DataFrame, schema: Schema | None = None) -> None:
        self.frame = frame
        self.schema = schema
        self._cache: dict[str, tuple[str, Any, Any]] = {}

    def get(self, name: str) -> tuple[str, Any, Any]:
        """``(kind, values, levels)``: kind 'num' → float array (NaN missing); 'cat' → codes."""
        if name in self._cache:
            return self._cache[name]
        import pandas as pd

        s = self.frame[name]
        col = self.schema.column(name) if self.schema is not None and name in self.schema else None
        out: tuple[str, Any, Any]
        if col is not None and col.kind != "numeric":
            levels = list(col.levels) or list(pd.unique(s.dropna().astype(str)))
            out = ("cat", level_codes(s, levels), levels)
        elif col is None and not pd.api.types.is_numeric_dtype(s):
            cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
            out = ("cat", np.asarray(cat.cat.codes), [str(c) for c in cat.cat.categories])
        else:
            out = ("num", s.to_numpy(dtype="float64", na_value=np.nan), None)
        self._cache[name] = out
        return out


def _cmp(op: str, a: np.ndarray, b: float) -> np.ndarray:
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    return a != b


def _code(levels: list[str], v: Value) -> int:
    try:
        return levels.index(str(v))
    except ValueError:
        return -2  # matches no row


def _atom(a: Compare | Member, view: ColumnView) -> tuple[np.ndarray, np.ndarray]:
    kind, x, levels = view.get(a.feature)
    if kind == "num":
        known = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            if isinstance(a, Compare):
                val = _cmp(a.op, x, float(a.value)) if not isinstance(a.value, str) else np.zeros(len(x), bool)
            else:
                nums = [float(v) for v in a.values if not isinstance(v, str)]
                val = np.isin(x, nums)
                val = ~val if a.negated else val
        return val & known, known
    known = x >= 0
    if isinstance(a, Compare):
        code = _code(levels, a.value)
        if a.op in ("==", "!="):
            val = _cmp(a.op, x, code)
        else:  # ordinal order comparison on codes
            val = _cmp(a.op, x, code) if code >= 0 else np.zeros(len(x), bool)
    else:
        val = np.isin(x, [_code(levels, v) for v in a.values])
        val = ~val if a.negated else val
    return val & known, known


def _eval3(cond: Condition, view: ColumnView) -> tuple[np.ndarray, np.ndarray]:
    """(true, known) arrays (recursion depth is bounded by the parser)."""
    if isinstance(cond, (Compare, Member)):
        return _atom(cond, view)
    if isinstance(cond, Not):
        t, k = _eval3(cond.item, view)
        return k & ~t, k
    parts = [_eval3(c, view) for c in cond.items]
    if isinstance(cond, And):
        t = np.logical_and.reduce([p[0] for p in parts])
        false = np.logical_or.reduce([p[1] & ~p[0] for p in parts])
    else:
        t = np.logical_or.reduce([p[0] for p in parts])
        false = np.logical_and.reduce([p[1] & ~p[0] for p in parts])
    return t, t | false


def holds(cond: Condition, frame: pd.DataFrame | ColumnView, schema: Schema | None = None) -> np.ndarray:
    """Boolean array: where ``cond`` is definitely true on ``frame`` (raw, unencoded values)."""
    view = frame if isinstance(frame, ColumnView) else ColumnView(frame, schema)
    return _eval3(cond, view)[0]


def holds_many(conds: list[Condition], frame: pd.DataFrame, schema: Schema | None = None) -> np.ndarray:
    """``(n_rows, n_conditions)`` boolean matrix, sharing one column cache."""
    view = ColumnView(frame, schema)
    if not conds:
        return np.zeros((len(frame), 0), dtype=bool)
    return np.column_stack([holds(c, view) for c in conds])
