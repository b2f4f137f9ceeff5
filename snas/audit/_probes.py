"""Probes of the model on the test split: proxy leakage of sensitive attributes, robustness to
noise, missing values and category swaps, and the weakest single-feature slices."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._inputs import attribute_bands
from snas.audit._metrics import item

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs
    from snas.model import FittedModel

__all__ = ["probe_attributes", "proxy_check", "proxy_evidence", "robustness", "robustness_evidence", "weak_slices"]

PROBE_ROWS = 5000
PROBE_FOLDS = 3
RARE_LEVEL = 20  # probe levels with fewer rows are pooled (a fold needs every class)
PROXY_THRESHOLD = 0.7
SLICE_MIN_ROWS = 100
SLICE_MARGIN = 0.05


# ----------------------------------------------------------------------------- proxies
def proxy_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Proxy leakage of every sensitive attribute the model does not read, and of every audited proxy."""
    return proxy_check(inputs.model, inputs.X, probe_attributes(inputs), inputs.seed)


def probe_attributes(inputs: AuditInputs) -> dict[str, np.ndarray]:
    """Attribute → group per test row: sensitive attributes the model does not read (also one
    the encoder keeps but no term reads) and the rules' ``audit_proxies``; numeric ones in bands
    (``age_band``), like the group metrics."""
    from snas.model import inputs_read

    schema, X = inputs.data.schema, inputs.X
    features = set(inputs_read(inputs.model))
    names = [s for s in schema.sensitive if s not in features]
    names += [p for p in inputs.rules.constraints.audit_proxies if p not in names]
    out = {}
    for name in names:
        if name in X.columns:
            numeric = name in schema and schema.column(name).kind == "numeric"
            out[f"{name}_band" if numeric else name] = attribute_bands(X[name], name, numeric)
    return out


def _pooled(target: np.ndarray) -> np.ndarray:
    """Rare levels pooled into one; rows of a pool that is still rare are dropped (marked None)."""
    levels, counts = np.unique(target, return_counts=True)
    rare = set(levels[counts < RARE_LEVEL].tolist())
    out = np.where(np.isin(target, list(rare)), "other (rare levels)", target).astype(object)
    if (out == "other (rare levels)").sum() < RARE_LEVEL:
        out[out == "other (rare levels)"] = None
    return out


def _probe_matrix(model: FittedModel, X: pd.DataFrame, take: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The test rows as the probe sees them: the inputs the model reads, categories as codes."""
    from snas.model import inputs_read

    feats = [f for f in inputs_read(model) if f in X.columns]
    Xs = X.iloc[take][feats].copy()
    for c in Xs.columns:
        if str(Xs[c].dtype) == "category":
            Xs[c] = Xs[c].cat.codes.replace(-1, np.nan)
        else:
            Xs[c] = Xs[c].astype("float64")
    return Xs.to_numpy(dtype=float), feats


def _source(attr: str, X: pd.DataFrame) -> str:
    """The column an attribute's groups come from (``age_band`` → ``age``)."""
    return attr[: -len("_band")] if attr.endswith("_band") and attr not in X.columns else attr


def proxy_check(
    model: FittedModel, X: pd.DataFrame, attribute_values: dict[str, np.ndarray], seed: int
) -> list[dict[str, Any]]:
    """How well each attribute is predicted from the OTHER inputs the model reads — never from
    the attribute itself (a gradient-boosting probe, 3-fold balanced accuracy vs the
    majority-class baseline); rare levels are pooled first. For an attribute the model does not
    read this is the leak of an excluded attribute; for one it reads (an audited proxy), how much
    of it the rest of the inputs carry, i.e. what excluding it would not remove."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    take = np.random.default_rng(seed).choice(len(X), size=min(PROBE_ROWS, len(X)), replace=False)
    Z, feats = _probe_matrix(model, X, take)
    out = []
    for attr, values in attribute_values.items():
        source = _source(attr, X)
        read = source in feats
        cols = [i for i, f in enumerate(feats) if f != source]
        target = _pooled(np.asarray(values, dtype=object)[take].astype(str))
        keep = np.flatnonzero(target != None)  # noqa: E711 - elementwise on an object array
        if len(set(target[keep].tolist())) < 2 or not cols:
            continue
        probe = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
        scores = cross_val_score(
            probe,
            Z[np.ix_(keep, np.asarray(cols, dtype=np.intp))],
            target[keep].astype(str),
            cv=PROBE_FOLDS,
            scoring="balanced_accuracy",
        )
        score = float(np.mean(scores))
        inputs = [feats[i] for i in cols]
        measures = (
            f"{source} is itself a model input; the probe predicts it from the model's {len(inputs)} other inputs "
            "(how much of it excluding it would leave in the model)"
            if read
            else f"{source} is not a model input; the probe predicts it from the {len(inputs)} inputs the model reads "
            "(leak of an attribute the model does not read)"
        )
        out.append(
            item(
                f"ev:proxy:{attr}",
                "proxy_leakage",
                score,
                n=len(keep),
                method=f"HGB probe, {PROBE_FOLDS}-fold balanced accuracy; levels under {RARE_LEVEL} rows pooled; "
                + measures,
                threshold=PROXY_THRESHOLD,
                passed=score < PROXY_THRESHOLD,
                attribute=attr,
                read_by_model=read,
                chance_level=1.0 / len(set(target[keep].tolist())),
                inputs=inputs,
            )
        )
    return out


# ----------------------------------------------------------------------------- robustness
def robustness_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Accuracy and decision changes under perturbations of the test inputs."""
    return robustness(inputs.model, inputs.X, inputs.y_labels, inputs.seed)


def _with_noise(X: pd.DataFrame, numeric: list[str], sd: float, rng: np.random.Generator) -> pd.DataFrame:
    import pandas as pd

    Xp = X.copy()
    for c in numeric:
        v = X[c].to_numpy(dtype="float64", na_value=np.nan)
        noisy = v + rng.normal(0, sd * np.nanstd(v), size=len(v))
        if str(X[c].dtype).startswith("Int"):
            Xp[c] = pd.array(np.round(noisy), dtype="Int64")
        else:
            Xp[c] = np.round(noisy) if str(X[c].dtype).startswith("int") else noisy
    return Xp


def _with_missing(X: pd.DataFrame, columns: list[str], share: float, rng: np.random.Generator) -> pd.DataFrame:
    import pandas as pd

    Xp = X.copy()
    for c in columns:
        m = rng.random(len(X)) < share
        col = Xp[c].copy()
        col[m] = pd.NA if str(col.dtype) in ("Int64", "category") or col.dtype == object else np.nan
        Xp[c] = col
    return Xp


def _with_swaps(X: pd.DataFrame, categorical: list[str], share: float, rng: np.random.Generator) -> pd.DataFrame:
    Xp = X.copy()
    for c in categorical:
        m = rng.random(len(X)) < share
        levels = list(X[c].cat.categories) if str(X[c].dtype) == "category" else sorted(X[c].dropna().unique())
        col = Xp[c].copy()
        col[m] = rng.choice(levels, size=int(m.sum()))
        Xp[c] = col
    return Xp


def robustness(model: FittedModel, X: pd.DataFrame, y: np.ndarray, seed: int) -> list[dict[str, Any]]:
    """Accuracy and decision changes under Gaussian noise, missing values and category swaps."""
    rng = np.random.default_rng(seed)
    base_pred = model.predict(X)
    base_acc = float((base_pred == y).mean())
    feats = [c for c in model.task.schema.features if c.name in X.columns]
    numeric = [c.name for c in feats if c.kind == "numeric"]
    categorical = [c.name for c in feats if c.kind != "numeric"]
    probes = [
        (
            f"ev:robustness:noise:{sd}",
            f"Gaussian noise {sd} SD on every numeric input",
            _with_noise(X, numeric, sd, rng),
        )
        for sd in (0.05, 0.1, 0.25)
    ]
    probes.append(
        (
            "ev:robustness:missing:0.2",
            "20% of every input set missing",
            _with_missing(X, numeric + categorical, 0.2, rng),
        )
    )
    probes.append(
        (
            "ev:robustness:swap:0.1",
            "10% of categorical values swapped to a random level",
            _with_swaps(X, categorical, 0.1, rng),
        )
    )
    out = []
    for id_, label, Xp in probes:
        pred = model.predict(Xp)
        acc = float((pred == y).mean())
        out.append(
            item(
                id_,
                "robustness",
                acc,
                n=len(X),
                perturbation=label,
                baseline_accuracy=base_acc,
                accuracy_drop=base_acc - acc,
                decisions_changed=float((pred != base_pred).mean()),
                threshold=0.02,
                criterion="accuracy drop (baseline − value) ≤ 0.02",
                passed=(base_acc - acc) <= 0.02,
            )
        )
    return out


# ----------------------------------------------------------------------------- slices
def weak_slices(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Single-feature slices (category levels; numeric quartiles) whose accuracy is lowest."""
    correct = inputs.pred == inputs.y
    overall = float(correct.mean())
    found = []
    for label, m in _slices(inputs):
        n = int(m.sum())
        if n >= SLICE_MIN_ROWS:
            found.append((float(correct[m].mean()), label, n))
    found.sort()
    return [
        item(
            f"ev:slice:{label}",
            "weak_slice",
            acc,
            n=n,
            slice=label,
            overall_accuracy=overall,
            threshold=overall - SLICE_MARGIN,
            passed=acc >= overall - SLICE_MARGIN,
        )
        for acc, label, n in found[:8]
    ]


def _slices(inputs: AuditInputs) -> list[tuple[str, np.ndarray]]:
    rows = []
    for col in inputs.model.task.schema.features:
        s = inputs.X[col.name]
        if col.kind == "numeric":
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            edges = np.unique(np.nanquantile(v, [0, 0.25, 0.5, 0.75, 1]))
            rows += [(f"{col.name} in [{lo:g}, {hi:g}]", (v >= lo) & (v <= hi)) for lo, hi in itertools.pairwise(edges)]
        else:
            rows += [(f"{col.name} = {lv}", (s == lv).to_numpy(dtype=bool, na_value=False)) for lv in col.levels]
    return rows
