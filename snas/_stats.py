"""Interval estimates and column relations shared by the rule checks, the metrics and the audit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COPY_PURITY", "copies_of", "wilson_interval"]


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


#: Two columns are copies of each other when each value of either maps to one value of the
#: other on at least this share of the rows (both ways; 1.0 = an exact 1:1 recoding).
COPY_PURITY = 0.99


def copies_of(frame: pd.DataFrame, feature: str, candidates: Any = None, purity: float = COPY_PURITY) -> list[str]:
    """The columns of ``frame`` (or of ``candidates``) that determine ``feature`` 1:1 or nearly:
    each value of the column goes with one value of ``feature`` and each value of ``feature``
    with one value of the column, on at least ``purity`` of the rows where both are known
    (e.g. ``education`` and ``education_num``). Vectorised: one ``value_counts`` of the pair
    of codes and a ``groupby`` max per side; a constant column determines nothing."""
    import pandas as pd

    if feature not in frame:
        return []
    f_codes = pd.factorize(frame[feature])[0]
    if len(np.unique(f_codes[f_codes >= 0])) < 2:
        return []
    out = []
    for c in frame.columns if candidates is None else candidates:
        if c == feature or c not in frame:
            continue
        c_codes = pd.factorize(frame[c])[0]
        known = (f_codes >= 0) & (c_codes >= 0)
        n = int(known.sum())
        if n == 0:
            continue
        pairs = pd.DataFrame({"c": c_codes[known], "f": f_codes[known]}).value_counts()
        c_to_f = pairs.groupby(level="c").max().sum() / n  # rows whose feature value is their level's usual one
        f_to_c = pairs.groupby(level="f").max().sum() / n
        if min(c_to_f, f_to_c) >= purity:
            out.append(str(c))
    return out
