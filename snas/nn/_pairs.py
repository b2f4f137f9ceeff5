"""Candidate pairwise interactions for the additive family, ranked once per task (GA2M's
FAST idea): fit the main effects, then score every feature pair by how much a table of
per-cell constants would still explain of the residuals.

The score of a pair is the gain of one Newton step on its 2-D cells (Σ G²/H over cells,
G and H the residuals' gradient and Hessian sums) minus the gains its rows and columns
alone would give, minus the cells' degrees of freedom (what noise would explain): the
part of the residual that neither feature explains on its own.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

    from snas.nn._inputs import InputLayout, Inputs

__all__ = ["rank_pairs"]

MAX_ROWS = 20_000  # the main-effects fit and the cell sums run on at most this many rows
MIN_GAIN = 1e-6  # positive_only: a score above this (a pair of a constant feature scores ~0)


def rank_pairs(
    layout: InputLayout,
    inputs: Inputs,
    y: torch.Tensor | np.ndarray,
    forced: torch.Tensor | np.ndarray | None = None,
    *,
    n: int = 20,
    bins: int = 8,
    seed: int = 0,
    exclude: Collection[str] = (),
    positive_only: bool = False,
) -> tuple[tuple[str, str], ...]:
    """The ``n`` most promising feature pairs, best first (features in the layout's order).

    Parameters
    ----------
    layout, inputs : the task's inputs and the encoded training rows.
    y : class index per row.
    forced : the class a hard rule forces per row (−1 where none does); those rows are
        left out, as in training (the shield decides them).
    n : how many pairs to return.
    bins : quantile groups per numeric feature for the cell tables (missing is its own group).
    seed : row subsampling when there are more than ``MAX_ROWS`` rows.
    exclude : features no pair may read (e.g. a spec's ``drop_features``).
    positive_only : return only pairs whose score is positive (fewer than ``n`` when the
        residual holds less); else the ``n`` best whatever their score.

    Returns
    -------
    tuple of (feature, feature)

    Examples
    --------
    >>> rank_pairs(task.layout, task.encode(X), task.class_index(y), n=5)  # doctest: +SKIP
    (('age', 'marital_status'), ...)
    """
    y = np.asarray(y, dtype=np.int64)
    rows = np.flatnonzero(np.asarray(forced) < 0) if forced is not None else np.arange(len(y))
    if rows.size > MAX_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(rows, MAX_ROWS, replace=False))
    excluded = set(exclude)
    features = tuple(f for f in (*layout.numeric, *layout.categorical) if f not in excluded)
    if rows.size == 0 or len(features) < 2 or np.unique(y[rows]).size < 2:
        return ()
    x = inputs.take(_torch_index(rows))
    grad, hess = _residuals(_main_effects(layout, x), y[rows], layout.n_classes)
    groups = _groups(layout, x, bins)
    scored = []
    for i, f in enumerate(features):
        for g in features[i + 1 :]:
            scored.append((-_gain(groups[f], groups[g], grad, hess), f, g))
    scored.sort()
    return tuple((f, g) for loss, f, g in scored[:n] if not positive_only or -loss > MIN_GAIN)


def _torch_index(rows: np.ndarray) -> torch.Tensor:
    import torch

    return torch.from_numpy(np.ascontiguousarray(rows))


def _main_effects(layout: InputLayout, x: Inputs) -> np.ndarray:
    """Design matrix of the main effects: every PLE ramp, missing flag and level."""
    ple = x.ple.flatten(1).numpy()
    return np.concatenate([ple, x.missing.numpy(), x.onehot.numpy()], axis=1).astype(np.float64)


def _residuals(design: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (p − y) and Hessian p(1 − p) of the log-loss after a main-effects logistic fit,
    one column per class (one column for a binary target)."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # BLAS threads only fight torch's (and change the ranking's last digits)
        model = LogisticRegression(C=1.0, max_iter=300).fit(design, y)
    p = model.predict_proba(design)
    target = np.eye(p.shape[1])[np.searchsorted(model.classes_, y)]
    if n_classes == 2:
        p, target = p[:, -1:], target[:, -1:]
    return p - target, p * (1 - p)


def _groups(layout: InputLayout, x: Inputs, bins: int) -> dict[str, np.ndarray]:
    """Cell index per row and feature: quantile group for numeric (missing last), level code."""
    out = {}
    position = x.ple.sum(-1).numpy() / max(layout.n_bins, 1)  # share of ramps passed: the quantile position
    missing = x.missing.numpy() > 0
    for j, f in enumerate(layout.numeric):
        g = np.minimum((position[:, j] * bins).astype(np.int64), bins - 1)
        out[f] = np.where(missing[:, j], bins, g)
    codes = x.codes.numpy()
    for j, f in enumerate(layout.categorical):
        out[f] = codes[:, j].astype(np.int64)
    return out


def _gain(a: np.ndarray, b: np.ndarray, grad: np.ndarray, hess: np.ndarray, ridge: float = 1.0) -> float:
    """Interaction-only Newton gain of the (a, b) cell table, net of its degrees of freedom."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    cell = a * nb + b
    total = 0.0
    for k in range(grad.shape[1]):
        g, h = grad[:, k], hess[:, k]
        G = np.bincount(cell, g, na * nb).reshape(na, nb)
        H = np.bincount(cell, h, na * nb).reshape(na, nb)
        total += float((G**2 / (H + ridge)).sum())
        total -= float((G.sum(1) ** 2 / (H.sum(1) + ridge)).sum() + (G.sum(0) ** 2 / (H.sum(0) + ridge)).sum())
    counts = np.bincount(cell, minlength=na * nb).reshape(na, nb) > 0
    return total - grad.shape[1] * float(_interaction_dof(counts))


def _interaction_dof(occupied: np.ndarray) -> int:
    """Free interaction parameters of a table with these occupied cells: cells − rows −
    columns + connected components (rows and columns linked by a cell). One component gives
    the familiar (r − 1)(c − 1) on a full table; a pair where one feature determines the
    other (every row one cell) has none — it cannot explain anything its features do not."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    r, c = np.nonzero(occupied)
    rows, cols = np.unique(r, return_inverse=True), np.unique(c, return_inverse=True)
    n_r, n_c = rows[0].size, cols[0].size
    graph = coo_matrix((np.ones(r.size), (rows[1], n_r + cols[1])), shape=(n_r + n_c, n_r + n_c))
    components = connected_components(graph, directed=False)[0]
    return int(r.size - n_r - n_c + components)
