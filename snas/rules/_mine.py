"""Candidate rule bodies mined from the training rows (the first half of ``rules suggest``).

Shallow decision trees are grown on every small feature subset, plain and class-balanced;
each node's path becomes one condition per feature (numbers rounded to readable thresholds,
category sets from CART's ordering by positive rate), written in the condition language and
measured with :func:`holds_many`. Torch-free; scikit-learn is imported when mining starts.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.rules._evaluate import ColumnView, holds_many
from snas.rules._parse import parse_condition
from snas.rules._tree import _fmt_feature, _fmt_value

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Column, Schema

__all__ = ["MAX_CONDITIONS", "Cond", "mine"]

MAX_CONDITIONS = 3
MAX_LISTED = 8  # a category condition lists at most this many levels (else it is left out)
_BATCH = 512


@dataclass(frozen=True)
class Cond:
    """One condition on one feature: ``lo <= x < hi`` (numbers) or ``x in levels``."""

    feature: str
    lo: float | None = None
    hi: float | None = None
    levels: tuple[str, ...] | None = None


# ----------------------------------------------------------------------------- encoding
@dataclass(frozen=True)
class _Axis:
    """How one feature is fed to the trees and read back: numbers as they are, ordinal
    levels by their order, categories ranked by their positive rate (so a threshold is a
    set of levels, as in CART's optimal categorical split)."""

    column: Column
    order: tuple[str, ...] = ()
    sorted_values: Any = None


def _axes(
    frame: pd.DataFrame, schema: Schema, feats: list[str], positive: np.ndarray
) -> tuple[np.ndarray, list[_Axis]]:
    view = ColumnView(frame, schema)
    cols, axes = [], []
    for f in feats:
        kind, values, levels = view.get(f)
        col = schema.column(f)
        if kind == "num":
            cols.append(values)
            axes.append(_Axis(col, sorted_values=np.sort(values[~np.isnan(values)])))
            continue
        codes = np.asarray(values)
        known = codes >= 0
        order = np.arange(len(levels))
        if col.kind == "categorical":
            n = np.bincount(codes[known], minlength=len(levels))
            pos = np.bincount(codes[known], weights=positive[known], minlength=len(levels))
            rate = np.where(n > 0, pos / np.maximum(n, 1), 2.0)  # unseen levels last
            order = np.argsort(rate, kind="stable")
        rank = np.empty(len(levels), dtype=float)
        rank[order] = np.arange(len(levels))
        cols.append(np.where(known, rank[np.maximum(codes, 0)], np.nan))
        axes.append(_Axis(col, order=tuple(levels[i] for i in order)))
    return np.column_stack(cols), axes


def _nice(t: float, axis: _Axis, tolerance: int) -> float:
    """A readable threshold ``c`` for the split ``x <= t``, read as ``x < c``: the simplest
    round number that moves at most ``tolerance`` training rows across the split."""
    exact = math.floor(t) + 1 if axis.column.integer else t
    values = axis.sorted_values
    if exact == 0 or values is None or not len(values):
        return float(exact)
    mag = 10.0 ** math.floor(math.log10(abs(exact)))
    for step in (mag, mag / 2, mag / 10, mag / 20, mag / 100, mag / 1000):
        if axis.column.integer and step < 1:
            break
        c = math.floor(exact / step + 0.5) * step
        if not values[0] < c <= values[-1]:
            continue
        lo, hi = (c, exact) if c < exact else (exact, c)
        moved = np.searchsorted(values, hi, side="left") - np.searchsorted(values, lo, side="left")
        if moved <= tolerance:
            return float(round(c, 6))
    return float(exact)


def _conds_from_path(path: list[tuple[int, bool, float]], axes: list[_Axis], tolerance: int) -> tuple[Cond, ...] | None:
    """Tree path (feature, went-left, threshold) → one condition per feature (None if empty)."""
    bounds: dict[int, list[float]] = {}
    for j, left, t in path:
        lo, hi = bounds.setdefault(j, [-math.inf, math.inf])
        bounds[j] = [lo, min(hi, t)] if left else [max(lo, t), hi]
    out = []
    for j, (lo, hi) in sorted(bounds.items()):
        axis = axes[j]
        if axis.column.kind == "numeric":
            c = Cond(
                axis.column.name,
                None if lo == -math.inf else _nice(lo, axis, tolerance),
                None if hi == math.inf else _nice(hi, axis, tolerance),
            )
            if c.lo is not None and c.hi is not None and c.lo >= c.hi:
                return None
            out.append(c)
            continue
        keep = tuple(lv for k, lv in enumerate(axis.order) if lo < k <= hi)
        if not keep:
            return None
        readable = axis.column.kind == "ordinal" or min(len(keep), len(axis.order) - len(keep)) <= MAX_LISTED
        if len(keep) < len(axis.order) and readable:  # (an ordinal run reads as one comparison)
            out.append(Cond(axis.column.name, levels=keep))
    return tuple(out) or None


# ----------------------------------------------------------------------------- text
def _num(v: float) -> str:
    return _fmt_value(Fraction(str(v)))


def _cond_text(c: Cond, col: Column) -> str:
    name = _fmt_feature(c.feature)
    if c.levels is None:
        if c.lo is not None and c.hi is not None:
            return f"{_num(c.lo)} <= {name} < {_num(c.hi)}"
        return f"{name} >= {_num(c.lo)}" if c.lo is not None else f"{name} < {_num(c.hi)}"  # type: ignore[arg-type]
    levels = list(col.levels)
    chosen = [lv for lv in levels if lv in c.levels] or list(c.levels)  # (a column without levels: as mined)
    rest = [lv for lv in levels if lv not in c.levels]
    if col.kind == "ordinal" and set(chosen) <= set(levels):
        idx = [levels.index(lv) for lv in chosen]
        if idx == list(range(idx[0], idx[-1] + 1)):  # a contiguous run of levels
            if idx[0] == 0:
                return f"{name} <= {_fmt_value(chosen[-1])}"
            if idx[-1] == len(levels) - 1:
                return f"{name} >= {_fmt_value(chosen[0])}"
    if len(chosen) == 1:
        return f"{name} == {_fmt_value(chosen[0])}"
    if len(rest) == 1:
        return f"{name} != {_fmt_value(rest[0])}"
    if len(chosen) <= len(rest) or not rest:  # never "in []" nor "not in []"
        return f"{name} in [{', '.join(_fmt_value(v) for v in chosen)}]"
    return f"{name} not in [{', '.join(_fmt_value(v) for v in rest)}]"


def _text(conds: tuple[Cond, ...], schema: Schema) -> str:
    return " and ".join(_cond_text(c, schema.column(c.feature)) for c in conds)


# ----------------------------------------------------------------------------- mining
def _tree_candidates(
    X: np.ndarray, y: np.ndarray, axes: list[_Axis], min_support: int, seed: int
) -> set[tuple[Cond, ...]]:
    """Every node path of depth-3 trees on each 3-feature subset (plain and class-balanced)."""
    from sklearn.tree import DecisionTreeClassifier

    k = min(MAX_CONDITIONS, X.shape[1])
    tolerance = max(1, len(y) // 1000)
    codes = np.unique(y, return_inverse=True)[1]
    counts = np.bincount(codes)
    balanced = (len(codes) / (len(counts) * counts))[codes]  # each class weighs the same in total
    out: set[tuple[Cond, ...]] = set()
    for subset in itertools.combinations(range(X.shape[1]), k):
        cols = list(subset)
        for weight in (None, balanced):
            tree = DecisionTreeClassifier(max_depth=MAX_CONDITIONS, min_samples_leaf=min_support, random_state=seed)
            tree.fit(X[:, cols], codes, sample_weight=weight)
            for path in _paths(tree.tree_):
                conds = _conds_from_path([(cols[j], left, t) for j, left, t in path], axes, tolerance)
                if conds:
                    out.update(_sub_conjunctions(conds))
    return out


def _paths(t: Any) -> list[list[tuple[int, bool, float]]]:
    """Root-to-node paths of a fitted sklearn tree (every node except the root)."""
    out: list[list[tuple[int, bool, float]]] = []
    stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if path:
            out.append(path)
        if t.children_left[node] == -1:
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((int(t.children_left[node]), [*path, (f, True, thr)]))
        stack.append((int(t.children_right[node]), [*path, (f, False, thr)]))
    return out


def _sub_conjunctions(conds: tuple[Cond, ...]) -> list[tuple[Cond, ...]]:
    return [sub for r in range(1, len(conds) + 1) for sub in itertools.combinations(conds, r)]


def _measure(texts: list[str], frame: pd.DataFrame, schema: Schema, y: np.ndarray, classes: list[str]) -> np.ndarray:
    """``(n_texts, n_classes)`` counts of covered rows per label, measured with ``holds_many``."""
    onehot = (y[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(np.float64)
    counts = np.zeros((len(texts), len(classes)))
    for i in range(0, len(texts), _BATCH):
        chunk = [parse_condition(t) for t in texts[i : i + _BATCH]]
        counts[i : i + len(chunk)] = holds_many(chunk, frame, schema).astype(np.float64).T @ onehot
    return counts


def mine(
    frame: pd.DataFrame,
    schema: Schema,
    feats: list[str],
    y: np.ndarray,
    classes: list[str],
    positive: str,
    min_support: int,
    seed: int,
) -> tuple[dict[str, tuple[Cond, ...]], np.ndarray]:
    """Candidate texts (each with its conditions) and their label counts on the training rows."""
    X, axes = _axes(frame, schema, feats, (y == positive).astype(float))
    by_text: dict[str, tuple[Cond, ...]] = {}
    for conds in sorted(_tree_candidates(X, y, axes, min_support, seed), key=len):
        by_text.setdefault(_text(conds, schema), conds)
    return by_text, _measure(list(by_text), frame, schema, y, classes)
