"""Interval estimates shared by the rule checks, the metrics and the audit (NumPy only)."""

from __future__ import annotations

import numpy as np

__all__ = ["wilson_interval"]


def wilson_interval(
    successes: np.ndarray | int, n: np.ndarray | int, z: float = 1.959964
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (vectorised; n = 0 gives [0, 1])."""
    k = np.asarray(successes, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(m > 0, k / np.maximum(m, 1), 0.0)
        denom = 1 + z**2 / np.maximum(m, 1)
        centre = (p + z**2 / (2 * np.maximum(m, 1))) / denom
        half = z * np.sqrt(p * (1 - p) / np.maximum(m, 1) + z**2 / (4 * np.maximum(m, 1) ** 2)) / denom
    lo = np.where(m > 0, np.clip(centre - half, 0, 1), 0.0)
    hi = np.where(m > 0, np.clip(centre + half, 0, 1), 1.0)
    return lo, hi
