"""Exact explanations of glass-box (additive) models, as data: per-row term contributions
that sum to the logit, and every term's shape on a grid for plotting (InterpretML's
"explanations are data": computing is separate from drawing).

Everything is computed by the network's own term functions on real or synthetic encoded
rows, so what is shown is exactly what predicts. Members of an ensemble are averaged term
by term; the average of additive models is additive with the same terms.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from snas.exceptions import SNASError

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from snas.model._fitted import FittedModel
    from snas.nn import AdditiveArchitecture, AdditiveNetwork, InputLayout, Inputs

__all__ = ["Explanation", "TermShape", "explain", "explain_mean", "inputs_read", "shapes", "shapes_mean"]

NEURON_GRID = 11  # truth values 0, 0.1, …, 1 for a knowledge neuron's shape


@dataclass(frozen=True)
class Explanation:
    """Per-row contributions of every term of a glass-box model.

    Attributes
    ----------
    contributions : DataFrame (rows × terms): ``bias``, one column per input shape (the
        feature's name), per pair (``"f×g"``) and per knowledge neuron (``"rule:<id>"``).
        Each row sums to ``logit``.
    logit : the model's logit for ``target`` before the shield (n,).
    probability : the probability of ``target`` after the shield (n,).
    deciding_rule : the hard rule that decided the row (None where the network did).
    target : the class whose logit is explained.
    """

    contributions: pd.DataFrame
    logit: np.ndarray
    probability: np.ndarray
    deciding_rule: np.ndarray
    target: str


@dataclass(frozen=True)
class TermShape:
    """One term's function on a grid, ready to plot.

    Attributes
    ----------
    name : the term's column in :attr:`Explanation.contributions`.
    kind : ``numeric``, ``categorical``, ``pair``, ``neuron`` or ``bias``.
    features : the input features the term reads (a neuron: those its rule reads).
    grid : per axis, the grid: raw values at the shape's knots (numeric; the shape is
        linear between knots and constant beyond them), level names with ``"<missing>"``
        first (categorical), or fuzzy truths 0…1 (neuron).
    contribution : the term's logit contribution at every grid point (shape: one axis per
        grid; a pair is a table read with bilinear interpolation between numeric knots).
    missing : the contribution of a missing value (numeric shapes that have one), else None.
    density : share of the given rows nearest each grid point (same shape as
        ``contribution``; None when no rows were given).
    monotone : per feature, +1 / −1 where the rules make the score non-decreasing /
        non-increasing in it (guaranteed by construction), 0 elsewhere.
    """

    name: str
    kind: str
    features: tuple[str, ...]
    grid: tuple[np.ndarray, ...]
    contribution: np.ndarray
    missing: float | None
    density: np.ndarray | None
    monotone: tuple[int, ...]


def inputs_read(model: FittedModel) -> dict[str, tuple[str, ...]]:
    """Every input the model's predictions depend on → what reads it, in the schema's order.

    Read from the architecture, i.e. from what the forward pass and the shield read: a glass
    box's terms (a feature's own shape, named after it; a pair ``f×g``; a knowledge neuron
    ``rule:<id>``), an MLP's ``MLP input layer``, ``MLP monotone path`` and knowledge neurons
    ``rule:<id>``, and with the shield on, ``hard rule <id>``. A feature listed in
    ``drop_features`` that a pair, a neuron or a hard rule still reads is listed with those;
    an ensemble reads what any of its parts reads.

    Parameters
    ----------
    model : FittedModel
        A single model or an EnsembleModel.

    Returns
    -------
    dict of str to tuple of str
        Feature → the terms or paths that read it; a feature the model never reads is absent.

    Examples
    --------
    >>> inputs_read(model)  # doctest: +SKIP
    {'age': ('age×annual_income',), 'annual_income': ('annual_income', 'age×annual_income'), ...}
    """
    ways: dict[str, list[str]] = {}
    for part in getattr(model, "parts", None) or (model,):
        for feature, how in _reads(part):
            if how not in ways.setdefault(feature, []):
                ways[feature].append(how)
    order = {c.name: i for i, c in enumerate(model.task.schema.features)}
    return {f: tuple(ways[f]) for f in sorted(ways, key=lambda f: order.get(f, len(order)))}


def _reads(model: FittedModel) -> Iterator[tuple[str, str]]:
    """(feature, what reads it) for one network and its shield."""
    from snas.nn import AdditiveArchitecture, pair_name
    from snas.rules import features_of

    task, arch = model.task, model.architecture
    if isinstance(arch, AdditiveArchitecture):
        yield from ((f, f) for f in (*arch.numeric, *arch.categorical))
        yield from ((f, pair_name(pair)) for pair in arch.pairs for f in pair)
    else:
        yield from ((f, "MLP input layer") for f in (*arch.numeric, *arch.categorical))
        yield from ((f, "MLP monotone path") for f in task.layout.monotone_numeric)
    inputs = {*task.layout.numeric, *task.layout.categorical}
    bodies = {rid: body for rid, body, _, _ in task.compiled.soft}
    for rule in arch.neurons:  # a neuron's truth is computed from the encoded inputs its rule reads
        yield from ((f, f"rule:{rule}") for f in features_of(bodies[rule]) if f in inputs)
    if model.spec.shield:  # hard rules are evaluated on the raw row
        for rid, body, _ in task.compiled.hard:
            yield from ((f, f"hard rule {rid}") for f in features_of(body))


def _additive(model: FittedModel) -> tuple[AdditiveNetwork, AdditiveArchitecture]:
    from snas.nn import AdditiveArchitecture, AdditiveNetwork

    net, arch = model.network, model.architecture
    if not isinstance(net, AdditiveNetwork) or not isinstance(arch, AdditiveArchitecture):
        raise SNASError(
            "exact term contributions exist only for glass-box models (family: additive); this model is an "
            f"{arch.family.upper()} — use the audit's SHAP values for it"
        )
    return net, arch


def _output(model: FittedModel, target: str | None) -> tuple[int, str]:
    """Which logit column explains ``target`` (binary models have one, for classes[-1])."""
    classes = model.task.classes
    if model.task.layout.n_out == 1:
        if target is not None and target != classes[-1]:
            raise SNASError(f"a binary model's logit is that of {classes[-1]!r}; got target {target!r}")
        return 0, classes[-1]
    name = target if target is not None else model.task.positive
    if name not in classes:
        raise SNASError(f"target {name!r} is not one of the classes {list(classes)}")
    return classes.index(name), name


def _terms(net: AdditiveNetwork, x: Inputs, out: int) -> tuple[np.ndarray, float]:
    """Member-averaged contributions (n, T) of output ``out`` and the averaged bias."""
    import torch

    from snas.training import torch_threads

    net.eval()  # safe: torch inference mode, not Python eval
    with torch.no_grad(), torch_threads():
        t = net.terms(x)[..., out].double().mean(0)
        bias = net.weights()["bias"][:, out].double().mean()
    return t.numpy(), float(bias)


def explain(model: FittedModel, frame: pd.DataFrame, target: str | None = None) -> Explanation:
    """Exact per-term contributions of a glass-box model on ``frame`` (see :class:`Explanation`)."""
    import pandas as pd

    net, arch = _additive(model)
    out, name = _output(model, target)
    x = model.task.encode(frame)
    parts = [_terms(net, x.take(slice(s, s + 16384)), out) for s in range(0, len(x), 16384)]
    bias = parts[0][1] if parts else _terms(net, x, out)[1]
    values = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, len(arch.terms)))
    table = np.concatenate([np.full((len(values), 1), bias), values], axis=1)
    contributions = pd.DataFrame(table, columns=["bias", *arch.terms], index=frame.index)
    proba = model.predict_proba(frame)[:, model.task.classes.index(name)]
    return Explanation(contributions, table.sum(axis=1), proba, model.deciding_rules(frame), name)


# ------------------------------------------------------------------------ shapes
def _synthetic(layout: InputLayout, n: int) -> dict[str, torch.Tensor]:
    """Encoded columns of ``n`` neutral rows (z = 0, nothing missing, level code 0, truths 0)."""
    import torch

    return {
        "numeric": torch.zeros(n, len(layout.numeric)),
        "missing": torch.zeros(n, len(layout.numeric)),
        "codes": torch.zeros(n, len(layout.categorical), dtype=torch.long),
        "truths": torch.zeros(n, len(layout.neurons)),
    }


def _inputs(layout: InputLayout, cols: dict[str, torch.Tensor]) -> Inputs:
    import torch

    from snas.nn import Inputs
    from snas.nn import functional as F

    n = cols["numeric"].shape[0]
    onehot = F.one_hot_blocks(cols["codes"], [v + 1 for v in layout.levels])
    ple = torch.zeros(n, len(layout.numeric), layout.n_bins)  # the MLP's encoding: never read here
    return Inputs(cols["numeric"], cols["missing"], cols["codes"], ple, onehot, cols["truths"])


@dataclass(frozen=True)
class _Axis:
    """One grid axis: the encoded values to set and what to show."""

    feature: str
    column: str  # numeric | codes | truths
    index: int
    encoded: np.ndarray
    shown: np.ndarray


def _numeric_axis(model: FittedModel, feature: str, bins: int) -> _Axis:
    from snas.nn import knot_positions, valid_bins

    layout, enc = model.task.layout, model.task.encoder
    j = layout.numeric.index(feature)
    edges = np.asarray(layout.shape_edges[j], dtype=float)
    z = edges[sorted(set(knot_positions(valid_bins(layout)[j], bins)))]
    k = enc.numeric.index(feature)
    return _Axis(feature, "numeric", j, z, z * enc.std_[k] + enc.mean_[k])


def _axis(model: FittedModel, feature: str, bins: int) -> _Axis:
    layout = model.task.layout
    if feature in layout.numeric:
        return _numeric_axis(model, feature, bins)
    j = layout.categorical.index(feature)
    levels = np.asarray(["<missing>", *model.task.encoder.levels[feature]], dtype=object)
    return _Axis(feature, "codes", j, np.arange(len(levels)), levels)


def _evaluate(model: FittedModel, axes: list[_Axis], term: int, out: int) -> np.ndarray:
    """The term's contribution on the product grid of ``axes``."""
    import torch

    net, _ = _additive(model)
    mesh = np.meshgrid(*[a.encoded for a in axes], indexing="ij")
    cols = _synthetic(model.task.layout, mesh[0].size)
    for a, values in zip(axes, mesh, strict=True):
        cols[a.column][:, a.index] = torch.as_tensor(values.ravel(), dtype=cols[a.column].dtype)
    values, _ = _terms(net, _inputs(model.task.layout, cols), out)
    return values[:, term].reshape(mesh[0].shape)


def _nearest(values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Index of the grid point nearest each value (grid sorted)."""
    mid = (grid[1:] + grid[:-1]) / 2
    return np.searchsorted(mid, values, side="right")


def _density(model: FittedModel, frame: pd.DataFrame | None, axes: list[_Axis]) -> np.ndarray | None:
    if frame is None or not len(frame):
        return None
    x = model.task.encode(frame)
    index = []
    for a in axes:
        if a.column == "numeric":
            index.append(_nearest(x.numeric[:, a.index].numpy().astype(float), a.encoded))
        elif a.column == "codes":
            index.append(x.codes[:, a.index].numpy())
        else:
            index.append(_nearest(x.truths[:, a.index].numpy().astype(float), a.encoded))
    keep = np.ones(len(frame), dtype=bool)
    for a in axes:
        if a.column == "numeric":
            keep &= x.missing[:, a.index].numpy() == 0
    shape = tuple(len(a.encoded) for a in axes)
    flat = np.ravel_multi_index(tuple(i[keep] for i in index), shape)
    return np.bincount(flat, minlength=int(np.prod(shape))).reshape(shape) / len(frame)


def _missing(model: FittedModel, feature: str, term: int, out: int) -> float | None:
    layout = model.task.layout
    j = layout.numeric.index(feature)
    if not layout.has_missing[j]:
        return None
    net, _ = _additive(model)
    cols = _synthetic(layout, 1)
    cols["missing"][0, j] = 1.0
    values, _ = _terms(net, _inputs(layout, cols), out)
    return float(values[0, term])


def shapes(model: FittedModel, frame: pd.DataFrame | None = None, target: str | None = None) -> list[TermShape]:
    """Every term's shape of a glass-box model, in term order after the bias (see :class:`TermShape`);
    ``frame`` (e.g. the training rows) gives the data density."""
    net, arch = _additive(model)
    out, _ = _output(model, target)
    layout = model.task.layout
    _, bias = _terms(net, _inputs(layout, _synthetic(layout, 1)), out)
    result = [TermShape("bias", "bias", (), (), np.asarray([bias]), None, None, ())]
    for t, name in enumerate(arch.terms):
        result.append(_shape(model, arch, t, name, frame, out))
    return result


def _shape(
    model: FittedModel, arch: AdditiveArchitecture, t: int, name: str, frame: pd.DataFrame | None, out: int
) -> TermShape:
    layout = model.task.layout
    if name.startswith("rule:"):
        return _neuron_shape(model, t, name, frame, out)
    if t < len(arch.numeric) + len(arch.categorical):
        axes = [_axis(model, name, arch.shape_bins)]
        kind = "numeric" if name in layout.numeric else "categorical"
        missing = _missing(model, name, t, out) if kind == "numeric" else None
    else:
        pair = arch.pairs[t - len(arch.numeric) - len(arch.categorical)]
        axes, kind, missing = [_axis(model, f, arch.pair_bins) for f in pair], "pair", None
    return TermShape(
        name=name,
        kind=kind,
        features=tuple(a.feature for a in axes),
        grid=tuple(a.shown for a in axes),
        contribution=_evaluate(model, axes, t, out),
        missing=missing,
        density=_density(model, frame, axes),
        monotone=tuple(layout.monotone.get(a.feature, 0) for a in axes),
    )


def _neuron_shape(model: FittedModel, t: int, name: str, frame: pd.DataFrame | None, out: int) -> TermShape:
    from snas.rules import features_of

    layout = model.task.layout
    rule = name.removeprefix("rule:")
    j = [n.rule for n in layout.neurons].index(rule)
    truths = np.linspace(0.0, 1.0, NEURON_GRID)
    axis = _Axis(rule, "truths", j, truths, truths)
    body = next(b for rid, b, _, _ in model.task.compiled.soft if rid == rule)
    read = tuple(f for f in (*layout.numeric, *layout.categorical) if f in features_of(body))
    return TermShape(
        name=name,
        kind="neuron",
        features=read,
        grid=(truths,),
        contribution=_evaluate(model, [axis], t, out),
        missing=None,
        density=_density(model, frame, [axis]),
        monotone=tuple(layout.monotone.get(f, 0) for f in read),
    )


# -------------------------------------------------- weighted means of glass boxes
def explain_mean(
    parts: Sequence[FittedModel], weights: Sequence[float], model: FittedModel, frame: pd.DataFrame, target: str | None
) -> Explanation:
    """Exact contributions of ``model``, the weighted mean of glass-box ``parts``: each term's
    contribution is the weighted sum of the parts' contributions of that term (0 where a part
    lacks it), so every row still sums to the (mean) logit."""
    import pandas as pd

    each = [explain(p, frame, target) for p in parts]
    columns = list(dict.fromkeys(c for e in each for c in e.contributions.columns))  # bias first
    table = sum(
        w * e.contributions.reindex(columns=columns, fill_value=0.0).to_numpy()
        for w, e in zip(weights, each, strict=True)
    )
    table = np.asarray(table, dtype=float).reshape(len(frame), len(columns))
    name = each[0].target
    proba = model.predict_proba(frame)[:, model.task.classes.index(name)]
    contributions = pd.DataFrame(table, columns=columns, index=frame.index)
    return Explanation(contributions, table.sum(axis=1), proba, model.deciding_rules(frame), name)


def shapes_mean(
    parts: Sequence[FittedModel], weights: Sequence[float], frame: pd.DataFrame | None, target: str | None
) -> list[TermShape]:
    """Every term of the weighted mean of glass-box ``parts``, on the union of the parts'
    knots: each part's term is linear (bilinear for a pair) between its own knots, so the
    weighted sum evaluated there is exact between the union's knots too."""
    out, _ = _output(parts[0], target)
    archs = [_additive(p)[1] for p in parts]
    names = list(dict.fromkeys(t for a in archs for t in a.terms))
    layout = parts[0].task.layout
    neutral = _inputs(layout, _synthetic(layout, 1))
    bias = sum(w * _terms(_additive(p)[0], neutral, out)[1] for p, w in zip(parts, weights, strict=True))
    result = [TermShape("bias", "bias", (), (), np.asarray([bias], dtype=float), None, None, ())]
    for name in names:
        having = [(p, a, w) for p, a, w in zip(parts, archs, weights, strict=True) if name in a.terms]
        first = _shape(having[0][0], having[0][1], having[0][1].terms.index(name), name, None, out)
        axes = [_merged_axis(having, f, first.kind) for f in first.features] if first.kind != "neuron" else None
        if axes is None:  # a knowledge neuron: the same truth grid in every part
            contribution = sum(
                w * _shape(p, a, a.terms.index(name), name, None, out).contribution for p, a, w in having
            )
            axes = [
                _Axis(name.removeprefix("rule:"), "truths", _neuron_index(parts[0], name), first.grid[0], first.grid[0])
            ]
        else:
            contribution = sum(w * _evaluate(p, axes, a.terms.index(name), out) for p, a, w in having)
        missing = None
        if first.missing is not None:
            missing = float(sum(w * (_missing(p, name, a.terms.index(name), out) or 0.0) for p, a, w in having))
        result.append(
            TermShape(
                name=name,
                kind=first.kind,
                features=first.features,
                grid=first.grid if first.kind == "neuron" else tuple(a.shown for a in axes),
                contribution=np.asarray(contribution, dtype=float),
                missing=missing,
                density=_density(parts[0], frame, axes),
                monotone=first.monotone,
            )
        )
    return result


def _merged_axis(having: list[tuple[FittedModel, AdditiveArchitecture, float]], feature: str, kind: str) -> _Axis:
    """One axis on the union of the parts' knots for ``feature`` (levels: the same in all)."""
    model = having[0][0]
    bins = {a.pair_bins if kind == "pair" else a.shape_bins for _, a, _ in having}
    axes = [_axis(model, feature, b) for b in sorted(bins)]
    if axes[0].column != "numeric" or len(axes) == 1:
        return axes[0]
    z = np.unique(np.concatenate([a.encoded for a in axes]))
    enc = model.task.encoder
    k = enc.numeric.index(feature)
    return _Axis(feature, "numeric", axes[0].index, z, z * enc.std_[k] + enc.mean_[k])


def _neuron_index(model: FittedModel, name: str) -> int:
    return [n.rule for n in model.task.layout.neurons].index(name.removeprefix("rule:"))
