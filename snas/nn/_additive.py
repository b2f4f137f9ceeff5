"""AdditiveNetwork: the glass-box family — one named term per input, pairwise interactions
and knowledge neurons, summed into the logit; stacked over members and sliceable like
:class:`~snas.nn.SNASNetwork`.

``logit = bias + Σ_f shape_f(x_f) + Σ_(f,g) pair_fg(x_f, x_g) + Σ_r w_r · neuron_r(x)``

* a numeric shape is piecewise linear between knots at quantiles of the training values
  (the encoder's fine grid, ``layout.shape_bins`` bins, grouped into ``shape_bins`` wider
  bins), constant beyond the outer knots, plus one value for missing. Free shapes are
  written in the hat-function basis (one weight = the value at one knot: local, so
  gradient training converges like a lookup table);
* a categorical shape is one value per level (code 0, missing or unseen, included);
* a pair is a bilinear surface over both features (knots × knots, or knots × levels): a
  table of values read with bilinear interpolation, i.e. a heat map;
* a knowledge neuron is its rule's fuzzy truth times one weight.

Monotone features keep their direction for any weights: their shape is
``direction · Σ_b |w_b| · ramp_b`` over non-decreasing ramps; a pair that reads one has
non-negative weights over non-negative encodings, the monotone side oriented (``1 − ramp``
for a decreasing feature) and increasing; a neuron reading one has ``|w|`` on its
sign-oriented truth. Excluded features are not in the layout, so they have no term.

A supernet holds every candidate term at the finest resolution. A path keeps a subset of
terms; a coarser shape reads the weights of the knots it shares with the fine grid, so
every resolution shares one table per feature.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import torch
from torch import nn

from snas.nn import functional as F
from snas.nn._architecture import AdditiveArchitecture, AdditiveCapacity
from snas.nn._inputs import InputLayout, Inputs

__all__ = ["AdditiveNetwork", "additive_parameter_shapes"]


def _pair_param(pair: tuple[str, str]) -> str:
    return f"pair__{pair[0]}__{pair[1]}"  # normalised feature names never hold "__"


def _levels(layout: InputLayout) -> dict[str, int]:
    return {f: n + 1 for f, n in zip(layout.categorical, layout.levels, strict=True)}


def _missing_of(layout: InputLayout, numeric: Sequence[str]) -> list[str]:
    flags = dict(zip(layout.numeric, layout.has_missing, strict=True))
    return [f for f in numeric if flags[f]]


def _side_size(layout: InputLayout, feature: str, bins: int) -> int:
    return _levels(layout)[feature] if feature in layout.categorical else bins + 1


def additive_parameter_shapes(
    layout: InputLayout, cap: AdditiveCapacity, members: int = 1
) -> dict[str, tuple[int, ...]]:
    """Name → shape of every tensor an additive network of capacity ``cap`` allocates."""
    M, O = members, layout.n_out
    levels = _levels(layout)
    s: dict[str, tuple[int, ...]] = {
        "shape_numeric": (M, len(cap.numeric), cap.shape_bins + 1, O),
        "shape_missing": (M, len(_missing_of(layout, cap.numeric)), O),
        "shape_categorical": (M, sum(levels[f] for f in cap.categorical), O),
        "neuron_weight": (M, len(cap.neurons), O),
    }
    for f, g in cap.pairs:
        s[_pair_param((f, g))] = (M, _side_size(layout, f, cap.pair_bins), _side_size(layout, g, cap.pair_bins), O)
    s["bias"] = (M, O)
    return s


# ------------------------------------------------------------------ the fine grid
def valid_bins(layout: InputLayout) -> list[int]:
    """Fine bins each numeric input really has (features with few values have fewer)."""
    return [max(1, len(e) - 1) if e else 1 for e in layout.shape_edges] or [1] * len(layout.numeric)


def knot_positions(valid: int, bins: int) -> list[int]:
    """Fine-grid positions of the ``bins + 1`` knots of a shape with ``bins`` bins over a
    feature with ``valid`` fine bins: every fine knot when ``valid ≤ bins`` (the knots past
    the last one repeat it), else evenly spaced fine knots."""
    if valid <= bins:
        return [min(j, valid) for j in range(bins + 1)]
    return [j * valid // bins for j in range(bins + 1)]


def _knot_index(valid: int, bins: int, capacity: int) -> list[int]:
    """Capacity knots at the same fine positions as the knots of a ``bins``-bin shape."""
    at = {pos: i for i, pos in reversed(list(enumerate(knot_positions(valid, capacity))))}
    return [at[pos] for pos in knot_positions(valid, bins)]


@dataclass(frozen=True)
class _Grid:
    """Grouping of the fine ramps of some numeric inputs into ``bins`` wider ramps."""

    cols: torch.Tensor  # (k,) numeric columns
    lo: torch.Tensor  # (k, bins) first fine bin of each group
    hi: torch.Tensor  # (k, bins) one past the last
    span: torch.Tensor  # (k, bins) width of each group in standardised units (> 0)
    knots: torch.Tensor  # (k, bins + 1) capacity knot of each knot


def _grid(layout: InputLayout, features: Sequence[str], bins: int, capacity: int) -> _Grid:
    valid = valid_bins(layout)
    cols = [layout.numeric.index(f) for f in features]
    pos = [knot_positions(valid[c], bins) for c in cols]
    lo = torch.tensor([p[:-1] for p in pos], dtype=torch.long).reshape(len(cols), bins)
    hi = torch.tensor([p[1:] for p in pos], dtype=torch.long).reshape(len(cols), bins)
    edges = [layout.shape_edges[c] for c in cols]
    span = [[e[b] - e[a] if b > a else 1.0 for a, b in itertools.pairwise(p)] for e, p in zip(edges, pos, strict=True)]
    knots = torch.tensor([_knot_index(valid[c], bins, capacity) for c in cols], dtype=torch.long)
    return _Grid(
        torch.tensor(cols, dtype=torch.long),
        lo,
        hi,
        torch.tensor(span, dtype=torch.float32).reshape(len(cols), bins).clamp(min=1e-6),
        knots.reshape(len(cols), bins + 1),
    )


# ------------------------------------------------------------------------ paths
@dataclass(frozen=True)
class _Side:
    """One feature of a pair: numeric (a grid of one column) or categorical (one-hot levels)."""

    grid: _Grid | None
    column: int  # first one-hot column (categorical)
    size: int
    sign: int  # +1 / −1 for a monotone numeric feature, 0 otherwise
    index: torch.Tensor  # capacity rows this side reads


@dataclass(frozen=True)
class _AdditivePath:
    """Index tensors mapping one additive architecture onto a network's parameters and the inputs."""

    num: torch.Tensor
    grid: _Grid
    num_sign: torch.Tensor  # (k,) 0 free, ±1 monotone
    miss: torch.Tensor
    miss_cols: torch.Tensor
    miss_in_num: torch.Tensor
    cat_cols: torch.Tensor
    rows: torch.Tensor
    row_offsets: torch.Tensor
    neurons: torch.Tensor
    neuron_cols: torch.Tensor
    neuron_mono: torch.Tensor
    neuron_sign: torch.Tensor
    pairs: tuple[tuple[_Side, _Side, bool], ...]  # (side a, side b, monotone)


def _side(layout: InputLayout, cap: AdditiveCapacity, arch: AdditiveArchitecture, f: str) -> _Side:
    if f in layout.categorical:
        start = dict(zip(layout.categorical, layout.onehot_offsets(), strict=True))[f]
        size = _levels(layout)[f]
        return _Side(None, start, size, 0, torch.arange(size))
    grid = _grid(layout, [f], arch.pair_bins, cap.pair_bins)
    return _Side(grid, -1, arch.pair_bins + 1, layout.monotone.get(f, 0), grid.knots[0])


def _make_path(layout: InputLayout, cap: AdditiveCapacity, arch: AdditiveArchitecture) -> _AdditivePath:
    levels = _levels(layout)
    starts, at = {}, 0
    for f in cap.categorical:
        starts[f], at = at, at + levels[f]
    rows = [r for f in arch.categorical for r in range(starts[f], starts[f] + levels[f])]
    offsets = [sum(levels[g] for g in arch.categorical[:i]) for i in range(len(arch.categorical))]
    by_rule = {n.rule: n for n in layout.neurons}
    rules = [n.rule for n in layout.neurons]
    missing = _missing_of(layout, arch.numeric)
    pairs = []
    for f, g in arch.pairs:
        a, b = _side(layout, cap, arch, f), _side(layout, cap, arch, g)
        pairs.append((a, b, bool(a.sign or b.sign)))
    return _AdditivePath(
        num=_positions(arch.numeric, cap.numeric),
        grid=_grid(layout, arch.numeric, arch.shape_bins, cap.shape_bins),
        num_sign=torch.tensor([float(layout.monotone.get(f, 0)) for f in arch.numeric]),
        miss=_positions(missing, _missing_of(layout, cap.numeric)),
        miss_cols=_positions(missing, layout.numeric),
        miss_in_num=_positions(missing, arch.numeric),
        cat_cols=_positions(arch.categorical, layout.categorical),
        rows=torch.tensor(rows, dtype=torch.long),
        row_offsets=torch.tensor(offsets, dtype=torch.long),
        neurons=_positions(arch.neurons, cap.neurons),
        neuron_cols=_positions(arch.neurons, rules),
        neuron_mono=torch.tensor([by_rule[r].monotone for r in arch.neurons], dtype=torch.bool),
        neuron_sign=torch.tensor([float(by_rule[r].sign) for r in arch.neurons]),
        pairs=tuple(pairs),
    )


def _positions(items: Sequence[str], within: Sequence[str]) -> torch.Tensor:
    where = {x: i for i, x in enumerate(within)}
    return torch.tensor([where[x] for x in items], dtype=torch.long)


def _hats(ramps: torch.Tensor) -> torch.Tensor:
    """Hat functions from ramps: h_0 = 1 − r_0, h_j = r_{j−1} − r_j, h_B = r_{B−1} (each in
    [0, 1], summing to 1). Shape (…, B) → (…, B + 1)."""
    ones = torch.ones_like(ramps[..., :1])
    return torch.cat([ones, ramps], -1) - torch.cat([ramps, torch.zeros_like(ones)], -1)


class AdditiveNetwork(nn.Module):
    """An additive (glass-box) network, or with a search space's capacity, its supernet.

    Parameters
    ----------
    layout : InputLayout
        The task's inputs (its ``shape_edges`` are the fine grid of the numeric shapes).
    capacity : AdditiveCapacity
        What to allocate; ``AdditiveCapacity.of(arch)`` for a stand-alone network.
    architecture : AdditiveArchitecture
        The path used when ``forward`` is called without one.
    members : int
        Stacked copies (ensemble members or training recipes); logits are per member.

    Shape: ``forward(inputs)`` → logits (M, n, 1) for a binary target, else (M, n, C);
    ``terms(inputs)`` → contributions (M, n, T, 1|C) in ``architecture.terms`` order.
    """

    lower: torch.Tensor
    width: torch.Tensor
    mask: torch.Tensor

    def __init__(
        self, layout: InputLayout, capacity: AdditiveCapacity, architecture: AdditiveArchitecture, *, members: int = 1
    ) -> None:
        super().__init__()
        problems = capacity.admits(architecture)
        if problems:
            raise ValueError("architecture outside the capacity: " + "; ".join(problems))
        if layout.numeric and len(layout.shape_edges) != len(layout.numeric):
            raise ValueError("the input layout has no fine bin edges for the additive family")
        self.layout, self.capacity, self.architecture, self.members = layout, capacity, architecture, members
        for name, shape in additive_parameter_shapes(layout, capacity, members).items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))
        lower, width, mask = F.ple_buffers(list(layout.shape_edges), layout.shape_bins)
        self.register_buffer("lower", lower, persistent=False)  # fixed knowledge: not trained, not saved
        self.register_buffer("width", width, persistent=False)
        self.register_buffer("mask", mask, persistent=False)
        self._paths: dict[AdditiveArchitecture, _AdditivePath] = {}
        self.reset_parameters(list(range(members)))

    @cached_property
    def compact(self) -> bool:
        return AdditiveCapacity.of(self.architecture) == self.capacity

    def path(self, arch: AdditiveArchitecture | None = None) -> _AdditivePath:
        arch = arch or self.architecture
        if arch not in self._paths:
            problems = self.capacity.admits(arch)
            if problems:
                raise ValueError("architecture outside the capacity: " + "; ".join(problems))
            if len(self._paths) > 4096:
                self._paths.clear()
            self._paths[arch] = _make_path(self.layout, self.capacity, arch)
        return self._paths[arch]

    # ------------------------------------------------------------------ weights
    def reset_parameters(self, seeds: Sequence[int], frequency_scale: float | Sequence[float] = 0.0) -> None:
        """Initialise member m from ``seeds[m]``: small random weights (positive where an
        absolute value is taken), zero bias. ``frequency_scale`` is accepted and unused."""
        params = dict(self.named_parameters())
        with torch.no_grad():
            for m, seed in enumerate(seeds):
                gen = torch.Generator().manual_seed(int(seed))
                for name in sorted(params):
                    t = params[name][m]
                    t.copy_((torch.rand(t.shape, generator=gen) * 2 - 1) * 0.01)
                params["bias"][m].zero_()
                self._positive_monotone(params, m)

    def _positive_monotone(self, params: dict[str, nn.Parameter], m: int) -> None:
        """Constrained weights start away from 0, where |w| has no gradient."""
        for j, f in enumerate(self.capacity.numeric):
            if f in self.layout.monotone:
                params["shape_numeric"][m, j].abs_().add_(1e-3)
        for f, g in self.capacity.pairs:
            if f in self.layout.monotone or g in self.layout.monotone:
                params[_pair_param((f, g))][m].abs_().add_(1e-3)
        params["neuron_weight"][m].abs_().add_(1e-3)

    def weights(self, arch: AdditiveArchitecture | None = None) -> dict[str, torch.Tensor]:
        """The parameters of ``arch`` (sliced from the capacity; differentiable)."""
        params: dict[str, torch.Tensor] = dict(self.named_parameters())
        if arch is None or (arch == self.architecture and self.compact):
            return params
        p = self.path(arch)
        out = {
            "shape_numeric": params["shape_numeric"][:, p.num[:, None], p.grid.knots],
            "shape_missing": params["shape_missing"].index_select(1, p.miss),
            "shape_categorical": params["shape_categorical"].index_select(1, p.rows),
            "neuron_weight": params["neuron_weight"].index_select(1, p.neurons),
        }
        for pair, (a, b, _) in zip(arch.pairs, p.pairs, strict=True):
            out[_pair_param(pair)] = params[_pair_param(pair)].index_select(1, a.index).index_select(2, b.index)
        out["bias"] = params["bias"]
        return out

    def n_parameters(self, arch: AdditiveArchitecture | None = None) -> int:
        """Trainable parameters of ``arch`` (all members)."""
        cap = AdditiveCapacity.of(arch or self.architecture)
        return sum(math.prod(s) for s in additive_parameter_shapes(self.layout, cap, self.members).values())

    def averaged(self) -> AdditiveNetwork:
        """One member whose logit is exactly the members' mean logit: every term is linear in
        its weights, and the mean magnitude of a sign-constrained weight keeps the constraint,
        so the members' average is itself one glass box of the same terms and size."""
        if not self.compact:
            raise ValueError("only a stand-alone network (not a supernet) can be averaged into one member")
        p, w = self.path(), self.weights()
        free_or_abs = {
            "shape_numeric": torch.where(
                (p.num_sign != 0)[None, :, None, None], w["shape_numeric"].abs(), w["shape_numeric"]
            ),
            "neuron_weight": torch.where(p.neuron_mono[None, :, None], w["neuron_weight"].abs(), w["neuron_weight"]),
        }
        for pair, (_, _, monotone) in zip(self.architecture.pairs, p.pairs, strict=True):
            free_or_abs[_pair_param(pair)] = w[_pair_param(pair)].abs() if monotone else w[_pair_param(pair)]
        one = AdditiveNetwork(self.layout, self.capacity, self.architecture, members=1)
        with torch.no_grad():
            for name, param in one.named_parameters():
                param.copy_(free_or_abs.get(name, w[name]).double().mean(0, keepdim=True).to(param.dtype))
        return one.train(self.training)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        x: Inputs,
        arch: AdditiveArchitecture | None = None,
        *,
        dropout: torch.Tensor | float = 0.0,
        feature_gates: torch.Tensor | None = None,
        unit_masks: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Logits of every member for ``arch``: the bias plus the sum of the terms.

        ``dropout`` drops whole terms per row in training mode (a rate, or one per member);
        ``feature_gates`` (one value per term, in ``arch.terms`` order) scales terms — the
        gradient inner loop learns which to keep; ``unit_masks`` has no meaning here.
        The sum runs in float64, so it equals the sum of the reported terms to rounding.
        """
        arch = arch or self.architecture
        w = self.weights(arch)
        t = self.terms(x, arch, weights=w)
        if feature_gates is not None:
            t = t * feature_gates[:, None]
        t = self._drop(t, dropout)
        return (w["bias"][:, None].double() + t.double().sum(2)).to(t.dtype)

    def terms(
        self, x: Inputs, arch: AdditiveArchitecture | None = None, *, weights: dict[str, torch.Tensor] | None = None
    ) -> torch.Tensor:
        """Per-term contributions (M, n, T, O) in ``arch.terms`` order (the bias is ``weights()['bias']``)."""
        arch = arch or self.architecture
        w = weights if weights is not None else self.weights(arch)
        p = self.path(arch)
        parts = [self._numeric(x, w, p), self._categorical(x, w, p)]
        for pair, (a, b, mono) in zip(arch.pairs, p.pairs, strict=True):
            parts.append(self._pair(x, w[_pair_param(pair)], a, b, mono))
        parts.append(self._neurons(x, w, p))
        return torch.cat(parts, dim=2)

    def ramps(self, x: Inputs, grid: _Grid) -> torch.Tensor:
        """Ramps between the grid's knots (n, k, bins): clip((z − knot_j) / (knot_{j+1} − knot_j), 0, 1),
        from the fine ramps (a group's width-weighted sum); 0 when missing."""
        cols = grid.cols
        z = x.numeric[:, cols]
        fine = F.piecewise_linear(z, self.lower[cols], self.width[cols], self.mask[cols]) * self.width[cols]
        fine = fine * (1 - x.missing[:, cols])[:, :, None]
        csum = torch.cat([torch.zeros_like(fine[..., :1]), fine.cumsum(-1)], -1)  # (n, k, fine + 1)
        n, k, bins = fine.shape[0], grid.lo.shape[0], grid.lo.shape[1]
        hi = csum.gather(2, grid.hi[None].expand(n, k, bins))
        lo = csum.gather(2, grid.lo[None].expand(n, k, bins))
        return ((hi - lo) / grid.span).clamp(0.0, 1.0)

    def _numeric(self, x: Inputs, w: dict[str, torch.Tensor], p: _AdditivePath) -> torch.Tensor:
        weight = w["shape_numeric"]  # (M, k, bins + 1, O)
        ramps = self.ramps(x, p.grid)
        present = (1 - x.missing[:, p.grid.cols])[:, :, None]
        steps = torch.cat([torch.ones_like(ramps[..., :1]), ramps], -1) * present  # monotone basis: 1, ramps
        sign = p.num_sign[:, None]
        basis = torch.where(sign != 0, steps, _hats(ramps) * present)
        weight = torch.where(sign[..., None] != 0, sign[..., None] * weight.abs(), weight)
        out = torch.einsum("nkb,mkbo->mnko", basis, weight)
        if p.miss_cols.numel():
            missing = x.missing[:, p.miss_cols][None, :, :, None] * w["shape_missing"][:, None]  # (M, n, km, O)
            out = out.index_add(2, p.miss_in_num, missing)
        return out

    def _categorical(self, x: Inputs, w: dict[str, torch.Tensor], p: _AdditivePath) -> torch.Tensor:
        table = w["shape_categorical"]  # (M, rows, O)
        return table[:, x.codes[:, p.cat_cols] + p.row_offsets]  # (M, n, c, O)

    def _pair(self, x: Inputs, weight: torch.Tensor, a: _Side, b: _Side, monotone: bool) -> torch.Tensor:
        u, v = self.encode_side(x, a, monotone), self.encode_side(x, b, monotone)
        weight = weight.abs() if monotone else weight
        return torch.einsum("na,nb,mabo->mno", u, v, weight)[:, :, None]

    def encode_side(self, x: Inputs, s: _Side, monotone: bool) -> torch.Tensor:
        """A pair side's encoding (n, size): one-hot levels, knot hats, or for the monotone
        feature of a monotone pair [1, ramps] oriented to increase in its direction."""
        if s.grid is None:
            return x.onehot[:, s.column : s.column + s.size]
        ramps = self.ramps(x, s.grid)[:, 0]
        present = 1 - x.missing[:, s.grid.cols]
        if monotone and s.sign:
            ramps = ramps if s.sign > 0 else 1 - ramps
            return torch.cat([torch.ones_like(ramps[:, :1]), ramps], -1) * present
        return _hats(ramps) * present

    def _neurons(self, x: Inputs, w: dict[str, torch.Tensor], p: _AdditivePath) -> torch.Tensor:
        weight = w["neuron_weight"]  # (M, r, O)
        t = x.truths[:, p.neuron_cols]
        t = torch.where(p.neuron_mono, t * p.neuron_sign, t)
        weight = torch.where(p.neuron_mono[None, :, None], weight.abs(), weight)
        return t[None, :, :, None] * weight[:, None]

    def _drop(self, t: torch.Tensor, rate: torch.Tensor | float) -> torch.Tensor:
        if not self.training:
            return t
        r = torch.as_tensor(rate, dtype=t.dtype).reshape(-1, 1, 1, 1)
        if not bool((r > 0).any()):
            return t
        keep = torch.rand((*t.shape[:3], 1)) >= r
        return t * keep / (1 - r)

    def extra_repr(self) -> str:
        a = self.architecture
        return (
            f"members={self.members}, terms={len(a.terms)}, pairs={len(a.pairs)}, neurons={len(a.neurons)}, "
            f"shape_bins={a.shape_bins}, pair_bins={a.pair_bins}, parameters={self.n_parameters():,}"
        )
