"""Per-column preprocessing fitted on training data only (NumPy; no torch).

Numeric columns: standardised value, a missing indicator (when training had missing
values), and quantile bin edges for piecewise-linear encoding. Categorical columns: integer
codes with 0 reserved for missing / unseen levels. Rule bodies are never evaluated on these
encodings, only on raw values, so shields and losses stay exact whatever the encoding.

Numeric inputs are NaN (missing) or finite numbers. ``fit`` and ``transform`` refuse ``inf``
and ``-inf`` with a :class:`~snas.exceptions.ConfigError` naming the column and the first
offending row, so the Python API, the CLI and the search treat them alike; ``fit`` also refuses
numbers beyond ±:data:`~snas.datasets.MAX_NUMBER` (the float32 range), which would wreck the
means and spreads. Rows to predict may hold such far-out finite values: they encode to the edge
of the range (``Task.encode`` clamps standardised values), without numpy warnings. A saved state
is validated field by field (:func:`check_state`) before it is used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import level_codes
from snas.datasets import MAX_NUMBER, row_name, shown_value
from snas.exceptions import ConfigError, ModelFileError

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Schema

__all__ = ["MIN_STD", "EncodedFrame", "TabularEncoder", "check_state"]

MIN_STD = 1e-12  # a column whose spread is at most this is constant: it is scaled by 1
MAX_BINS = 256  # NetworkSpec's bound on n_bins and shape_bins


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
        """Means, spreads, missing flags and bin edges of the numeric columns of ``frame``.

        Raises
        ------
        ConfigError
            When a numeric value is infinite or beyond ±MAX_NUMBER (names column and row).
        """
        x = self._numeric(frame, MAX_NUMBER)
        with warnings.catch_warnings(), np.errstate(invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column: mean 0, std 1
            self.mean_ = np.nan_to_num(np.nanmean(x, axis=0)) if x.size else np.zeros(0)
            std = np.nan_to_num(np.nanstd(x, axis=0)) if x.size else np.zeros(0)
        self.std_ = np.where(std > MIN_STD, std, 1.0)
        self.has_missing_ = np.isnan(x).any(axis=0)
        z = (x - self.mean_) / self.std_
        self.edges_ = [bin_edges(z[:, j][~np.isnan(z[:, j])], self.n_bins) for j in range(z.shape[1])]
        self.shape_edges_ = [bin_edges(z[:, j][~np.isnan(z[:, j])], self.shape_bins) for j in range(z.shape[1])]
        return self

    def _numeric(self, frame: pd.DataFrame, limit: float = np.inf) -> np.ndarray:
        """The numeric columns as float64 (n, k), NaN where missing; ConfigError for a value that
        is infinite or beyond ±``limit``."""
        if not self.numeric:
            return np.zeros((len(frame), 0))
        x = np.column_stack([frame[f].to_numpy(dtype="float64", na_value=np.nan) for f in self.numeric])
        bad = np.isinf(x) | (np.abs(np.nan_to_num(x)) > limit)
        if bad.any():
            i, j = (int(v) for v in np.argwhere(bad)[0])
            name = self.numeric[j]
            within = f" within ±{limit:.4g} (the float32 range snas trains in)" if np.isfinite(limit) else ""
            raise ConfigError(
                f"column {name!r}, {row_name(frame.index, i)}: {shown_value(frame[name].iloc[i])} is not a finite "
                f"number{within} ({int(bad[:, j].sum())} such value(s) in the column); fix or remove the value, "
                "or write NaN for a missing value"
            )
        return x

    def transform(self, frame: pd.DataFrame) -> EncodedFrame:
        """Standardised numeric values (float32, 0 where missing), missing flags and level codes.

        Raises
        ------
        ConfigError
            When a numeric value is infinite (names column and row).
        """
        x = self._numeric(frame)
        miss = np.isnan(x)
        with np.errstate(over="ignore"):  # far-out values: ±inf here, the float32 edge below
            z = np.clip(np.where(miss, 0.0, (x - self.mean_) / self.std_), -MAX_NUMBER, MAX_NUMBER)
        codes = np.zeros((len(frame), len(self.categorical)), dtype=np.int64)
        for j, f in enumerate(self.categorical):
            s = frame[f]
            codes[:, j] = level_codes(s, self.levels[f]) + 1  # 0 = missing / unseen
        return EncodedFrame(z.astype(np.float32), miss.astype(np.float32), codes)

    def standardise(self, feature: str, value: float) -> float:
        """A raw threshold in the standardised space of ``feature``."""
        j = self.numeric.index(feature)
        return float(np.clip((value - self.mean_[j]) / self.std_[j], -MAX_NUMBER, MAX_NUMBER))

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
        """The encoder :meth:`state` describes; ModelFileError naming the field when it is inconsistent."""
        check_state(schema, state)
        enc = cls(schema, state["features"], state["n_bins"], int(state.get("shape_bins", 64)))
        enc.mean_ = np.asarray(state["mean"], dtype=float)
        enc.std_ = np.asarray(state["std"], dtype=float)
        enc.has_missing_ = np.asarray(state["has_missing"], dtype=bool)
        enc.edges_ = [np.asarray(e, dtype=float) for e in state["edges"]]
        # model files written before the additive family have no shape edges (MLPs never read them)
        enc.shape_edges_ = [np.asarray(e, dtype=float) for e in state.get("shape_edges", enc.edges_)]
        return enc


def check_state(schema: Schema, state: Any, field: str = "encoder") -> None:
    """Check a saved encoder state (:meth:`TabularEncoder.state`) against ``schema``; ``field``
    is its name in messages (``task.encoder`` in ``model.json``).

    Features are distinct feature columns of the schema; ``mean``, ``std`` and ``has_missing``
    hold one finite number (std ≥ MIN_STD) or boolean per numeric feature; ``edges`` and
    ``shape_edges`` one strictly increasing list of 2 to ``n_bins`` + 1 (``shape_bins`` + 1)
    finite numbers per numeric feature.

    Raises
    ------
    ModelFileError
        Naming the field (``encoder.std``, ``encoder.edges[2]`` ...) and what is wrong.
    """

    def fail(name: str, problem: str) -> ModelFileError:
        return ModelFileError(f"'{field}.{name}' {problem}")

    if not isinstance(state, dict):
        raise ModelFileError(f"'{field}' must be a mapping of the encoder's fields")
    for key in ("features", "n_bins", "mean", "std", "has_missing", "edges"):
        if key not in state:
            raise fail(key, "is missing")
    features = state["features"]
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise fail("features", "must be a list of column names")
    named = set(features)
    if features != [f for f in schema.feature_names if f in named]:
        raise fail("features", f"must list distinct feature columns in the schema's order; got {features!r}"[:300])
    bins = {"n_bins": state["n_bins"], "shape_bins": state.get("shape_bins", 64)}
    for key, value in bins.items():
        if type(value) is not int or not 1 <= value <= MAX_BINS:
            raise fail(key, f"must be a whole number from 1 to {MAX_BINS}; got {value!r}"[:200])
    k = sum(schema.column(f).kind == "numeric" for f in features)
    numbers = {key: _numbers(state[key], k, f"{field}.{key}") for key in ("mean", "std")}
    if not (numbers["std"] >= MIN_STD).all():
        raise fail("std", f"must hold spreads of at least {MIN_STD:g}; got {float(numbers['std'].min())!r}")
    flags = state["has_missing"]
    if not isinstance(flags, list) or len(flags) != k or not all(isinstance(v, bool) for v in flags):
        raise fail("has_missing", f"must be a list of {k} booleans, one per numeric feature")
    _check_edges(state["edges"], k, bins["n_bins"], f"{field}.edges")
    if "shape_edges" in state:  # files written before the additive family have none
        _check_edges(state["shape_edges"], k, bins["shape_bins"], f"{field}.shape_edges")


def _check_edges(lists: Any, k: int, bins: int, name: str) -> None:
    """``k`` strictly increasing lists of 2 to ``bins`` + 1 finite numbers, else ModelFileError."""
    if not isinstance(lists, list) or len(lists) != k:
        raise ModelFileError(f"'{name}' must hold {k} lists of bin edges, one per numeric feature")
    for j, e in enumerate(lists):
        if not isinstance(e, list) or not 2 <= len(e) <= bins + 1:
            raise ModelFileError(f"'{name}[{j}]' must be a list of 2 to {bins + 1} bin edges")
        if not (np.diff(_numbers(e, len(e), f"{name}[{j}]")) > 0).all():
            raise ModelFileError(f"'{name}[{j}]' must be strictly increasing")


def _numbers(values: Any, k: int, name: str) -> np.ndarray:
    """``values`` as float64 when it is a list of ``k`` finite numbers (not booleans), else ModelFileError."""

    def number(v: Any) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= MAX_NUMBER

    if not isinstance(values, list):
        got = type(values).__name__
    elif len(values) != k:
        got = f"{len(values)} values"
    else:
        bad = next((j for j, v in enumerate(values) if not number(v)), None)
        if bad is None:
            return np.asarray(values, dtype=float)
        got = f"{values[bad]!r} at position {bad}"[:100]
    raise ModelFileError(f"'{name}' must be a list of {k} finite numbers, one per numeric feature (got {got})")
