"""Candidate rule bodies mined from the training rows (the first half of ``rules suggest``).

Shallow decision trees are grown on every small feature subset, plain and class-balanced;
each node's path becomes one condition per feature (numbers rounded to readable thresholds,
category sets from CART's ordering by positive rate), written in the condition language and
measured with :func:`holds_many`. The subsets grow with the cube of the feature count, so
with many features only the best-ranked ones are combined (:func:`estimated_seconds`: as
many as keep the trees near :data:`BUDGET_SECONDS`; a one-feature tree's impurity decrease
ranks them). Torch-free; scikit-learn is imported when
mining starts.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
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

__all__ = ["BUDGET_SECONDS", "MAX_CONDITIONS", "Cond", "Mined", "estimated_seconds", "mine"]

MAX_CONDITIONS = 3
MAX_LISTED = 8  # a category condition lists at most this many levels (else it is left out)
_BATCH = 512
#: Trees are grown on the subsets of the best-ranked features only: as many as keep the
#: estimated time of the trees (:func:`estimated_seconds`) within this (all 10 usable census
#: features at 32,561 rows; 20 of 40 at 280 rows; 8 of 60 continuous ones at 30,000 rows).
BUDGET_SECONDS = 8.0
TREE_SECONDS = 3e-3  # the fixed cost of one tree: fit, paths, conditions (one core)
ROW_SECONDS = 4e-8  # per training row, feature and bit of its count of distinct values, in one tree
MIN_FEATURES = 4  # never fewer, however many rows


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
def _tree_seconds(axis: _Axis, rows: int) -> float:
    """Estimated seconds one tree spends on this feature: sorting and scanning its values
    costs more the more distinct values it has."""
    values = axis.sorted_values
    distinct = len(axis.order) if values is None else 1 + int(np.count_nonzero(np.diff(values)))
    return ROW_SECONDS * rows * (1 + math.log2(max(distinct, 1)))


def estimated_seconds(feature_seconds: list[float]) -> float:
    """Estimated time of the trees grown on every 3-feature subset of these features.

    Parameters
    ----------
    feature_seconds : list of float
        Per feature, the seconds one tree spends on it.

    Returns
    -------
    float
        Two trees per subset, each the fixed :data:`TREE_SECONDS` plus its features' seconds.
    """
    k, r = len(feature_seconds), min(MAX_CONDITIONS, len(feature_seconds))
    per_feature = math.comb(k - 1, r - 1) if k else 0  # the subsets each feature is in
    return 2 * (math.comb(k, r) * TREE_SECONDS + per_feature * sum(feature_seconds))


def _within_budget(seconds: list[float]) -> int:
    """How many of the features (best first) fit :data:`BUDGET_SECONDS` (at least :data:`MIN_FEATURES`)."""
    k = len(seconds)
    while k > MIN_FEATURES and estimated_seconds(seconds[:k]) > BUDGET_SECONDS:
        k -= 1
    return k


class _Ticker:
    """Progress lines for long runs: none in the first ``after`` seconds, then at most one
    every ``every`` seconds."""

    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, report: Callable[[str], None] | None, after: float = 3.0, every: float = 5.0) -> None:
        self.report, self.after, self.every = report, after, every
        self.start, self.last = self.clock(), -math.inf

    def __call__(self, what: str, *, due: bool = False) -> None:
        """Report ``what`` if the run is long and the last line old (or ``due``)."""
        now = self.clock()
        if self.report is None or now - self.start < self.after or (now - self.last < self.every and not due):
            return
        self.last = now
        self.report(f"{what} ({now - self.start:.0f} s)")


def _weights(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Class codes and class-balanced sample weights (each class weighs the same in total)."""
    codes = np.unique(y, return_inverse=True)[1]
    counts = np.bincount(codes)
    return codes, (len(codes) / (len(counts) * counts))[codes]


def _ranked(X: np.ndarray, y: np.ndarray, min_support: int, seed: int) -> list[int]:
    """Columns of ``X``, best first: the (class-balanced) impurity decrease of a depth-3 tree
    grown on that column alone (ties in column order)."""
    from sklearn import config_context
    from sklearn.tree import DecisionTreeClassifier

    codes, balanced = _weights(y)
    scores = []
    with config_context(skip_parameter_validation=True):
        for j in range(X.shape[1]):
            tree = DecisionTreeClassifier(max_depth=MAX_CONDITIONS, min_samples_leaf=min_support, random_state=seed)
            tree.fit(X[:, [j]], codes, sample_weight=balanced)
            scores.append(float(tree.tree_.compute_feature_importances(normalize=False)[0]))
    return sorted(range(X.shape[1]), key=lambda j: (-scores[j], j))


def _tree_candidates(
    X: np.ndarray, y: np.ndarray, axes: list[_Axis], min_support: int, seed: int, tick: _Ticker
) -> set[tuple[Cond, ...]]:
    """Every node path of depth-3 trees on each 3-feature subset (plain and class-balanced)."""
    from sklearn import config_context
    from sklearn.tree import DecisionTreeClassifier

    k = min(MAX_CONDITIONS, X.shape[1])
    tolerance = max(1, len(y) // 1000)
    codes, balanced = _weights(y)
    total = math.comb(X.shape[1], k)
    out: set[tuple[Cond, ...]] = set()
    with config_context(skip_parameter_validation=True):  # thousands of small fits: skip the re-checks
        for done, subset in enumerate(itertools.combinations(range(X.shape[1]), k)):
            tick(f"mining: {done:,} of {total:,} feature subsets")
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


@dataclass(frozen=True)
class Mined:
    """Candidate texts (each with its conditions), their label counts on the training rows
    (``counts[i, j]``: rows of class ``j`` covered by the ``i``-th text), and the features the
    trees combined (the best-ranked ones, in the order given)."""

    by_text: dict[str, tuple[Cond, ...]]
    counts: np.ndarray
    features: tuple[str, ...]


def mine(
    frame: pd.DataFrame,
    schema: Schema,
    feats: list[str],
    y: np.ndarray,
    classes: list[str],
    positive: str,
    min_support: int,
    seed: int,
    *,
    max_features: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Mined:
    """Mine and measure candidates on the best ``max_features`` of ``feats`` (default: as many
    as fit :data:`BUDGET_SECONDS`); ``progress`` gets a line now and then on runs over a few seconds."""
    X, axes = _axes(frame, schema, feats, (y == positive).astype(float))
    seconds = [_tree_seconds(a, len(frame)) for a in axes]
    keep = list(range(len(feats)))
    too_many = estimated_seconds(seconds) > BUDGET_SECONDS if max_features is None else max_features < len(feats)
    if too_many:
        order = _ranked(X, y, min_support, seed)
        limit = _within_budget([seconds[j] for j in order]) if max_features is None else max_features
        keep = sorted(order[:limit])
        X, axes = X[:, keep], [axes[j] for j in keep]
    tick = _Ticker(progress)
    by_text: dict[str, tuple[Cond, ...]] = {}
    for conds in sorted(_tree_candidates(X, y, axes, min_support, seed, tick), key=len):
        by_text.setdefault(_text(conds, schema), conds)
    tick(f"measuring {len(by_text):,} candidates on {len(frame):,} rows", due=True)
    return Mined(by_text, _measure(list(by_text), frame, schema, y, classes), tuple(feats[j] for j in keep))
