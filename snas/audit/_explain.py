"""Explanations: global permutation SHAP, and example decisions with their rule trace,
local SHAP, knowledge-neuron activations and a counterfactual (GDPR Art. 15(1)(h))."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._metrics import item, plain

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs
    from snas.model import FittedModel

__all__ = [
    "counterfactual",
    "decision_facts",
    "example_rows",
    "explanation_evidence",
    "import_shap",
    "probability_text",
    "shap_values",
]

SHAP_ROWS = 200
BACKGROUND_ROWS = 50

Change = tuple[str, Any, float]  # (feature, new value, cost in standard deviations)


def explanation_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Global SHAP on a sample of test rows; local explanations of the example rows (MLPs;
    glass boxes are explained exactly by :mod:`snas.audit._glassbox`)."""
    X, seed = inputs.X, inputs.seed
    rng = np.random.default_rng(seed)
    shap_rows = np.sort(rng.choice(len(X), size=min(SHAP_ROWS, len(X)), replace=False))
    background = np.sort(rng.choice(len(X), size=min(BACKGROUND_ROWS, len(X)), replace=False))
    examples = example_rows(inputs)
    rows = np.unique(np.concatenate([shap_rows, examples]))
    values, feats = shap_values(inputs.model, X, rows, background, inputs.positive, seed)
    mean_abs = np.abs(values[np.isin(rows, shap_rows)]).mean(0)
    out = [
        item(
            "ev:explain:global_shap",
            "global_explanation",
            {f: float(v) for f, v in zip(feats, mean_abs, strict=True)},
            n=len(shap_rows),
            method="permutation SHAP, one antithetic permutation per row, 50 background rows",
        )
    ]
    for i in examples:
        local = dict(zip(feats, (float(v) for v in values[int(np.searchsorted(rows, i))]), strict=True))
        out.append(_local(inputs, int(i), local))
    return out


def _local(inputs: AuditInputs, i: int, shap: dict[str, float]) -> dict[str, Any]:
    return item(
        f"ev:explain:row:{i}",
        "local_explanation",
        float(inputs.proba[i, inputs.positive]),
        **decision_facts(inputs, i),
        shap=shap,
        target=inputs.classes[inputs.positive],
    )


EXTREME = 1e-4  # a network probability this close to 0 or 1 is printed as a bound, never as 0 or 1


def probability_text(p: float, decided_by_rule: bool) -> str:
    """A probability with its relation, for a sentence: ``= 0.5001``; a network output that rounds
    to 0 or 1 as ``< 0.0001`` / ``> 0.9999`` (only a hard rule gives exactly 0 or 1)."""
    from snas.audit._blocks import fmt

    if not decided_by_rule and p < EXTREME:
        return f"< {EXTREME:g}"
    if not decided_by_rule and p > 1 - EXTREME:
        return f"> {1 - EXTREME:.4f}"
    return f"= {fmt(p)}"


def decision_facts(inputs: AuditInputs, i: int) -> dict[str, Any]:
    """What every example decision shows, whatever explains it: the row, the prediction, the
    rule trace, the knowledge neurons and a counterfactual over the mutable inputs."""
    model, row = inputs.model, inputs.X.iloc[[i]]
    immutable = set(inputs.data.schema.sensitive) | set(inputs.rules.constraints.exclude_features)
    deciding = model.deciding_rules(row)[0]
    return {
        "row": i,
        "input": {k: plain(v) for k, v in row.iloc[0].to_dict().items()},
        "prediction": inputs.pred_labels[i],
        "probability_of": inputs.classes[inputs.positive],  # the class whose probability is the item's value
        "actual": inputs.y_labels[i],
        "deciding_rule": deciding,
        "probability_text": probability_text(float(inputs.proba[i, inputs.positive]), deciding is not None),
        "knowledge_neurons": model.neuron_activations(row)[0],
        "counterfactual": counterfactual(model, row, inputs.X, immutable, inputs.positive),
        "immutable": sorted(immutable),
    }


def example_rows(inputs: AuditInputs) -> np.ndarray:
    """The documentation's ``example_rows``, else: the first row a hard rule decides, and the
    network's rows closest to the threshold, most and least positive."""
    given = inputs.documentation.fields.get("example_rows")
    if given:
        return np.asarray(sorted(int(i) for i in given if 0 <= int(i) < len(inputs.X)))
    deciding = inputs.model.deciding_rules(inputs.X)
    p = inputs.proba[:, inputs.positive]
    picks = []
    hard = np.flatnonzero(deciding != None)  # noqa: E711 - elementwise on an object array
    if hard.size:
        picks.append(int(hard[0]))
    free = np.flatnonzero(deciding == None)  # noqa: E711
    if free.size:
        picks.append(int(free[np.argmin(np.abs(p[free] - 0.5))]))  # closest to the threshold
        picks.append(int(free[np.argmax(p[free])]))
        picks.append(int(free[np.argmin(p[free])]))
    return np.asarray(sorted(set(picks)), dtype=int)


def shap_values(
    model: FittedModel, X: pd.DataFrame, rows: np.ndarray, background: np.ndarray, positive: int, seed: int
) -> tuple[np.ndarray, list[str]]:
    """Permutation SHAP (one antithetic permutation per row) on raw inputs; categorical
    inputs are permuted as level codes. Returns (rows × features) values and feature names."""
    import pandas as pd

    shap = import_shap()
    columns = list(model.task.schema.features)
    feats = [c.name for c in columns]

    def to_numeric(frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack(
            [
                frame[f].cat.codes.to_numpy()
                if str(frame[f].dtype) == "category"
                else frame[f].to_numpy(dtype="float64", na_value=np.nan)
                for f in feats
            ]
        )

    def to_frame(Z: np.ndarray) -> pd.DataFrame:
        data: dict[str, Any] = {}
        for j, col in enumerate(columns):
            if col.kind == "numeric":
                data[col.name] = Z[:, j]
                continue
            codes = np.nan_to_num(Z[:, j], nan=-1).astype(int)
            dtype = pd.CategoricalDtype(list(col.levels), ordered=col.kind == "ordinal")
            data[col.name] = pd.Categorical.from_codes(np.where(codes >= len(col.levels), -1, codes), dtype=dtype)
        return pd.DataFrame(data)[list(X.columns)]

    def f(Z: np.ndarray) -> np.ndarray:
        return model.predict_proba(to_frame(Z))[:, positive]

    Zb = to_numeric(X.iloc[background])
    masker = shap.maskers.Independent(Zb, max_samples=len(Zb))
    explainer = _permutation_explainer(shap)(f, masker, seed=seed)
    values = explainer(to_numeric(X.iloc[rows]), max_evals=2 * len(feats) + 1, silent=True).values
    return np.asarray(values), feats


def _permutation_explainer(shap: Any) -> Any:
    """shap's permutation explainer without main effects. shap 0.51's ``Explainer.__call__``
    collects main effects in a list named like its ``main_effects`` argument and passes that
    list on as the argument: from a call's second row on, every row also computed main effects
    nobody asked for — half of all model evaluations. The values are unchanged."""

    class Permutation(shap.PermutationExplainer):
        def explain_row(self, *row_args: Any, **kwargs: Any) -> Any:
            return super().explain_row(*row_args, **{**kwargs, "main_effects": False})

    return Permutation


def import_shap() -> Any:
    """``shap``, imported with numba's compiler switched off when this process imports it first.

    The permutation explainer runs a few numba-compiled loops over masks and background rows;
    compiling them costs about 9 s in every new process, while as plain Python they take 0.3 s
    for the audit's ~200 rows and 50 background rows, with the same values (measured). Only
    shap's own functions, decorated during this import, are affected; a process that imported
    shap before keeps its compiled functions.
    """
    import importlib
    import sys

    config: Any = None
    if "shap" not in sys.modules:
        try:
            config = importlib.import_module("numba.core.config")
        except ImportError:  # shap without numba: nothing to switch off
            config = None
    if config is None:
        return importlib.import_module("shap")
    before = config.DISABLE_JIT
    config.DISABLE_JIT = True
    try:
        return importlib.import_module("shap")
    finally:
        config.DISABLE_JIT = before


# ----------------------------------------------------------------------------- counterfactuals
def _changes(model: FittedModel, row: pd.DataFrame, X_ref: pd.DataFrame, immutable: set[str], up: bool) -> list[Change]:
    """Every single change of a mutable input: numeric inputs to their observed quantiles (monotonic
    ones only in the direction that helps), categories to every other level."""
    import pandas as pd

    mono = model.task.rules.constraints.monotonic
    out: list[Change] = []
    for col in model.task.schema.features:
        f = col.name
        if f in immutable or f not in model.task.encoder.features:
            continue
        cur = row[f].iloc[0]
        if col.kind != "numeric":
            out += [(f, lv, 1.0) for lv in col.levels if str(cur) != lv]
            continue
        if pd.isna(cur):
            continue
        v = X_ref[f].to_numpy(dtype="float64", na_value=np.nan)
        sd = float(np.nanstd(v)) or 1.0
        whole = col.integer or str(X_ref[f].dtype).lower().startswith("int")
        # values that occur in the data (an integer count stays an integer)
        for g in np.unique(np.nanquantile(v, np.linspace(0.02, 0.98, 25), method="inverted_cdf")):
            helps = (g > cur) == (up == (mono.get(f, 1) > 0))
            if g != cur and (f not in mono or helps):
                out.append((f, int(g) if whole else float(g), abs(float(g) - float(cur)) / sd))
    return out


def _apply(row: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
    import pandas as pd

    r = row.copy()
    for f, v, _ in changes:
        if str(r[f].dtype) == "category":
            r[f] = pd.Categorical([v], dtype=r[f].dtype)
        elif str(r[f].dtype).startswith("Int"):
            r[f] = pd.array([round(v)], dtype="Int64")
        else:
            r[f] = [v]
    return r


def _found(
    model: FittedModel, row: pd.DataFrame, changes: list[Change], p0: float, p: float, decision: str
) -> dict[str, Any]:
    """A counterfactual found; ``through_rule`` names the hard rule that decides the changed row
    when it is not the one deciding the original (the change works through that rule, not the
    network's weighing of the inputs)."""
    before = model.deciding_rules(row)[0]
    after = model.deciding_rules(_apply(row, changes))[0]
    return {
        "through_rule": after if after is not None and after != before else None,
        "found": True,
        "changes": [{"feature": f, "from": plain(row[f].iloc[0]), "to": v} for f, v, _ in changes],
        "cost_sd": sum(c for _, _, c in changes),
        "probability": p0,
        "new_probability": p,
        "new_decision": decision,
    }


def counterfactual(
    model: FittedModel, row: pd.DataFrame, X_ref: pd.DataFrame, immutable: set[str], positive: int
) -> dict[str, Any]:
    """Smallest change of one or two mutable inputs that changes the decision (the most probable
    class: another class wins, whichever — two classes or more); monotonic features only move in
    the direction that helps; costs are in standard deviations. ``probability`` and
    ``new_probability`` are those of class ``positive``."""
    import pandas as pd

    classes = model.task.classes
    before = model.predict_proba(row)[0]
    k0, p0 = int(before.argmax()), float(before[positive])
    up = k0 != positive  # the monotone direction that helps: towards the positive class unless it is predicted
    singles = _changes(model, row, X_ref, immutable, up)
    if not singles:
        return {"found": False, "probability": p0}
    P = model.predict_proba(pd.concat([_apply(row, [c]) for c in singles], ignore_index=True))
    flips = [(c, q) for c, q in zip(singles, P, strict=True) if q.argmax() != k0]
    if flips:
        c, q = min(flips, key=lambda t: (t[0][2], -abs(float(t[1][positive]) - 0.5)))
        return _found(model, row, [c], p0, float(q[positive]), classes[int(q.argmax())])
    gain = before[k0] - P[:, k0]  # how much the predicted class loses
    top = [singles[i] for i in np.argsort(-gain)[:8]]
    pairs = [[a, b] for i, a in enumerate(top) for b in top[i + 1 :] if a[0] != b[0]]
    if pairs:
        P2 = model.predict_proba(pd.concat([_apply(row, pr) for pr in pairs], ignore_index=True))
        ok = [(pr, q) for pr, q in zip(pairs, P2, strict=True) if q.argmax() != k0]
        if ok:
            pr, q = min(ok, key=lambda t: t[0][0][2] + t[0][1][2])
            return _found(model, row, pr, p0, float(q[positive]), classes[int(q.argmax())])
    return {"found": False, "probability": p0, "note": "no change of one or two mutable inputs changes the decision"}
