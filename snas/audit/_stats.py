"""Vectorised bootstrap for classification metrics (all resamples at once)."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["Bootstrap"]


class Bootstrap:
    """Multinomial resampling weights, shared by every metric so intervals are comparable.

    ``weights`` has shape (B, n): how often each row is drawn in each resample.
    """

    def __init__(self, n: int, resamples: int = 1000, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.n = n
        self.resamples = resamples
        self.seed = seed
        draws = rng.integers(0, n, size=(resamples, n)) + (np.arange(resamples)[:, None] * n)
        self.weights = np.bincount(draws.ravel(), minlength=resamples * n).reshape(resamples, n).astype(np.float32)

    def mean(self, values: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, float, float]:
        """Point estimate and 95% percentile interval of a (masked) mean."""
        v = np.asarray(values, dtype=np.float64)
        m = np.ones(self.n, bool) if mask is None else np.asarray(mask, bool)
        if not m.any():
            return float("nan"), float("nan"), float("nan")
        w = self.weights[:, m]
        tot = w.sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            stats = (w @ v[m]) / tot
        return float(v[m].mean()), *self._ci(stats)

    def ratio(self, num: np.ndarray, den: np.ndarray) -> tuple[float, float, float]:
        """Σ num / Σ den with its interval (e.g. TPR = TP / positives)."""
        points, stats = self.ratios([num], [den])
        return float(points[0]), *self._ci(stats[:, 0])

    def resampled_ratio(self, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        """Σ num / Σ den in every resample, shape (B,)."""
        return self.ratios([num], [den])[1][:, 0]

    def ratios(self, nums: list[np.ndarray], dens: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Several count ratios Σ num / Σ den at once: points (k,) and resamples (B, k).

        Boolean masks go through one float32 matrix product with the weights: its sums are
        whole numbers below 2**24, so exact, and the ratios are taken in float64; any other
        values go through float64."""
        k = len(nums)
        masks = all(np.asarray(c).dtype == bool for c in (*nums, *dens))
        cols = np.column_stack([np.asarray(c, dtype=np.float64) for c in (*nums, *dens)])
        weights = self.weights if masks and self.n < 2**24 else self.weights.astype(np.float64)
        sums = (weights @ cols.astype(weights.dtype)).astype(np.float64)
        totals = cols.sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            points = np.where(totals[k:] > 0, totals[:k] / np.where(totals[k:] > 0, totals[k:], 1), np.nan)
            return points, sums[:, :k] / sums[:, k:]

    def auc(self, y: np.ndarray, score: np.ndarray) -> tuple[float, float, float]:
        """ROC-AUC with ties handled exactly, for every resample at once."""
        point, stats = self.resampled_auc(y, score)
        return point, *self._ci(stats)

    def macro_auc(self, y: np.ndarray, proba: np.ndarray) -> tuple[float, float, float, list[float]]:
        """Macro-average one-vs-rest ROC-AUC of class indices ``y`` (n,) against the class
        probabilities ``proba`` (n, C): each class's probability ranks that class against all the
        others, and the C areas are averaged unweighted (in every resample alike). Returns the
        point, the interval and the per-class areas (NaN for a class absent from ``y``)."""
        per = [self.resampled_auc(np.asarray(y) == k, proba[:, k]) for k in range(proba.shape[1])]
        points = [p for p, _ in per]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a class absent from a resample has no area
            stats = np.nanmean(np.vstack([s for _, s in per]), axis=0)
            point = float(np.nanmean(points)) if np.isfinite(points).any() else float("nan")
        return point, *self._ci(stats), points

    def resampled_auc(self, y: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray]:
        """ROC-AUC (ties shared) on the rows and in every resample: (point, resamples)."""
        y = np.asarray(y, bool)
        order = np.argsort(score, kind="mergesort")
        s = np.asarray(score)[order]
        yy = y[order]
        starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
        w = self.weights[:, order]
        pos = np.add.reduceat(w * yy, starts, axis=1)
        neg = np.add.reduceat(w * ~yy, starts, axis=1)
        below = np.cumsum(neg, axis=1) - neg
        with np.errstate(invalid="ignore", divide="ignore"):
            stats = (pos * (below + 0.5 * neg)).sum(1) / (pos.sum(1) * neg.sum(1))
        ones = np.ones((1, len(y)), np.float32)
        p1 = np.add.reduceat(ones * yy, starts, axis=1)
        n1 = np.add.reduceat(ones * ~yy, starts, axis=1)
        point = (
            float((p1 * (np.cumsum(n1) - n1 + 0.5 * n1)).sum() / (p1.sum() * n1.sum()))
            if y.any() and (~y).any()
            else float("nan")
        )
        return point, stats

    def interval(self, stats: np.ndarray) -> tuple[float, float]:
        return self._ci(stats)

    @staticmethod
    def _ci(stats: np.ndarray) -> tuple[float, float]:
        s = stats[np.isfinite(stats)]
        if s.size == 0:
            return float("nan"), float("nan")
        lo, hi = np.percentile(s, [2.5, 97.5])
        return float(lo), float(hi)
