"""Per-column preprocessing fitted on training data only (NumPy; no torch).

Numeric columns: standardised value, a missing indicator (when training had missing
values), and quantile bin edges for piecewise-linear encoding. Categorical columns: integer
codes with 0 reserved for missing / unseen levels. Rule bodies are never evaluated on these
encodings, only on raw values, so shields and losses stay exact whatever the encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import level_codes

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Schema

__all__ = ["EncodedFrame", "TabularEncoder"]


@dataclass(frozen=True)
class EncodedFrame:
    """Arrays for the network: numeric (n, n_num) float32, missing (n, n_num), codes (n, n_cat)."""

    numeric: np.ndarray
    missing: np.ndarray
    codes: np.ndarray


def bin_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Quantile edges of ``values`` (at most ``n_bins`` bins), robust to point masses.

    Plain quantiles collapse where one value dominates (capital_gain is 0 on 92% of rows:
    its 17 quantiles are {0, 3411, 99999}, one bin for the whole range that matters). Bins
    left over are spent on quantiles of the rows off the point masses.
    """
    if not values.size:
        return np.array([0.0, 1.0])
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n_bins + 1)))
    missing = n_bins + 1 - edges.size
    if missing > 0:
        rest = values[~np.isin(values, edges)]
        if rest.size:
            extra = np.quantile(rest, np.linspace(0, 1, missing + 2)[1:-1])
            edges = np.unique(np.concatenate([edges, extra]))
    if edges.size < 2:
        edges = np.array([edges[0], edges[0] + 1.0])
    return edges


class TabularEncoder:
    """Fit per-column statistics on training rows; encode any frame with the same columns.

    Parameters
    ----------
    schema : Schema
        Column kinds and levels.
    features : sequence of str
        The columns the network sees (excluded features already removed).
    n_bins : int
        Quantile bins per numeric column for piecewise-linear encoding.
    shape_bins : int
        Finer quantile bins per numeric column for the additive family's shape functions
        (computed from the standardised values by that network; the MLP never reads them).
    """

    def __init__(self, schema: Schema, features: list[str], n_bins: int = 16, shape_bins: int = 64) -> None:
        self.schema = schema
        self.features = list(features)
        self.n_bins = n_bins
        self.shape_bins = shape_bins
        self.numeric = [f for f in self.features if schema.column(f).kind == "numeric"]
        self.categorical = [f for f in self.features if schema.column(f).kind != "numeric"]
        self.levels = {f: list(schema.column(f).levels) for f in self.categorical}

    def fit(self, frame: pd.DataFrame) -> TabularEncoder:
        x = self._numeric(frame)
        with np.errstate(invalid="ignore"):
            self.mean_ = np.nan_to_num(np.nanmean(x, axis=0)) if x.size else np.zeros(0)
            std = np.nan_to_num(np.nanstd(x, axis=0)) if x.size else np.zeros(0)
        self.std_ = np.where(std > 1e-12, std, 1.0)
        self.has_missing_ = np.isnan(x).any(axis=0) if x.size else np.zeros(0, bool)
        z = (x - self.mean_) / self.std_
        self.edges_ = [bin_edges(z[:, j][~np.isnan(z[:, j])], self.n_bins) for j in range(z.shape[1])]
        self.shape_edges_ = [bin_edges(z[:, j][~np.isnan(z[:, j])], self.shape_bins) for j in range(z.shape[1])]
        return self

    def _numeric(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.numeric:
            return np.zeros((len(frame), 0))
        return np.column_stack([frame[f].to_numpy(dtype="float64", na_value=np.nan) for f in self.numeric])

    def transform(self, frame: pd.DataFrame) -> EncodedFrame:

        x = self._numeric(frame)
        miss = np.isnan(x)
        z = np.where(miss, 0.0, (x - self.mean_) / self.std_)
        codes = np.zeros((len(frame), len(self.categorical)), dtype=np.int64)
        for j, f in enumerate(self.categorical):
            s = frame[f]
            codes[:, j] = level_codes(s, self.levels[f]) + 1  # 0 = missing / unseen
        return EncodedFrame(z.astype(np.float32), miss.astype(np.float32), codes)

    def standardise(self, feature: str, value: float) -> float:
        """A raw threshold in the standardised space of ``feature``."""
        j = self.numeric.index(feature)
        return float((value - self.mean_[j]) / self.std_[j])

    def state(self) -> dict[str, Any]:
        """JSON-able fitted state (for model files)."""
        return {
            "features": self.features,
            "n_bins": self.n_bins,
            "mean": self.mean_.tolist(),
            "std": self.std_.tolist(),
            "has_missing": self.has_missing_.tolist(),
            "edges": [e.tolist() for e in self.edges_],
            "shape_bins": self.shape_bins,
            "shape_edges": [e.tolist() for e in self.shape_edges_],
        }

    @classmethod
    def from_state(cls, schema: Schema, state: dict[str, Any]) -> TabularEncoder:
        enc = cls(schema, state["features"], state["n_bins"], int(state.get("shape_bins", 64)))
        enc.mean_ = np.asarray(state["mean"], dtype=float)
        enc.std_ = np.asarray(state["std"], dtype=float)
        enc.has_missing_ = np.asarray(state["has_missing"], dtype=bool)
        enc.edges_ = [np.asarray(e, dtype=float) for e in state["edges"]]
        # model files written before the additive family have no shape edges (MLPs never read them)
        enc.shape_edges_ = [np.asarray(e, dtype=float) for e in state.get("shape_edges", enc.edges_)]
        return enc
