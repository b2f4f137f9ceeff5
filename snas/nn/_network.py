"""SNASNetwork: encodings → hidden layers → logit, plus a monotone path and knowledge-neuron
links; stacked over ensemble members and sliceable into any architecture of its capacity.

Every parameter has a leading member axis M: an ensemble of M networks (or M training
recipes of one architecture) trains as one batched computation. A network built with the
capacity of a search space is a weight-sharing supernet: ``forward(inputs, arch)`` runs
the sub-network ``arch`` on sliced weights, :meth:`SNASNetwork.weights` gives exactly the
tensors a stand-alone network of that architecture inherits, and :func:`count_parameters`
counts them. Excluded features never enter; monotone features enter only the monotone
path (non-negative weights after a non-decreasing encoding), so every sub-network is
monotone where the rules say so.
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
from snas.nn._additive import additive_parameter_shapes
from snas.nn._architecture import AdditiveArchitecture, AdditiveCapacity, Architecture, Capacity
from snas.nn._inputs import InputLayout, Inputs

__all__ = ["SNASNetwork", "complexity", "count_parameters", "parameter_shapes"]

ACTIVATIONS = {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "silu": nn.functional.silu,
    "tanh": torch.tanh,
    "selu": torch.selu,
}
TRAINABLE_FIXED = ("onehot",)  # groups without parameters


def has_monotone_path(layout: InputLayout, neurons: Sequence[str]) -> bool:
    """A monotone path exists when the rules declare monotonic inputs or a kept neuron reads one."""
    mono_neurons = {n.rule for n in layout.neurons if n.monotone}
    return bool(layout.monotone_numeric) or bool(mono_neurons & set(neurons))


def _split_neurons(layout: InputLayout, neurons: Sequence[str]) -> tuple[list[str], list[str]]:
    mono = {n.rule for n in layout.neurons if n.monotone}
    return [r for r in neurons if r not in mono], [r for r in neurons if r in mono]


def _missing_of(layout: InputLayout, numeric: Sequence[str]) -> list[str]:
    flags = dict(zip(layout.numeric, layout.has_missing, strict=True))
    return [f for f in numeric if flags[f]]


def _levels_of(layout: InputLayout, categorical: Sequence[str]) -> list[int]:
    levels = dict(zip(layout.categorical, layout.levels, strict=True))
    return [levels[f] + 1 for f in categorical]


def parameter_shapes(
    layout: InputLayout, cap: Capacity | AdditiveCapacity, members: int = 1
) -> dict[str, tuple[int, ...]]:
    """Name → shape of every tensor a network of capacity ``cap`` allocates (all trainable)."""
    if isinstance(cap, AdditiveCapacity):
        return additive_parameter_shapes(layout, cap, members)
    M, B, kf = members, layout.n_bins, len(cap.numeric)
    w_last = cap.widths[-1]  # a supernet's capacity has equal widths, so any layer may be last
    free_n, mono_n = _split_neurons(layout, cap.neurons)
    wm = cap.monotone_width if has_monotone_path(layout, cap.neurons) else 0
    units = cap.widths[0] + wm
    rows = sum(_levels_of(layout, cap.categorical))
    s: dict[str, tuple[int, ...]] = {}
    if "periodic" in cap.encodings:
        F_, D = cap.n_frequencies, cap.periodic_dim
        s |= {"periodic_frequencies": (M, kf, F_), "periodic_weight": (M, kf, 2 * F_, D), "periodic_bias": (M, kf, D)}
        s["input_periodic"] = (M, units, kf, D)
    if "standard" in cap.encodings:
        s["input_standard"] = (M, units, kf)
    if "ple" in cap.encodings:
        s["input_ple"] = (M, units, kf, B)
    s["input_missing"] = (M, units, len(_missing_of(layout, cap.numeric)))
    if cap.onehot:
        s["input_onehot"] = (M, units, rows)
    if cap.embedding_dim:
        s["embedding"] = (M, rows, cap.embedding_dim)
        s["input_embedding"] = (M, units, len(cap.categorical), cap.embedding_dim)
    s["input_neurons"] = (M, units, len(free_n))
    s["input_bias"] = (M, units)
    for i, w in enumerate(cap.widths):
        if i:
            s[f"hidden_{i}"] = (M, w, cap.widths[i - 1])
            s[f"hidden_bias_{i}"] = (M, w)
        if cap.residual[i]:
            s[f"inner_{i}"] = (M, w, w)
            s[f"inner_bias_{i}"] = (M, w)
    s["head"] = (M, layout.n_out, w_last)
    s["head_bias"] = (M, layout.n_out)
    if wm:
        m_in = len(layout.monotone_numeric) * (1 + B) + len(mono_n)
        s |= {"mono_in": (M, wm, m_in), "mono_hidden": (M, wm, wm), "mono_hidden_bias": (M, wm)}
        s |= {"mono_out": (M, 1, wm), "mono_out_bias": (M, 1)}
        if cap.monotone_curves:
            K = cap.monotone_curves
            s |= {"curve_gate": (M, K, w_last), "curve_gate_bias": (M, K), "curve_weight": (M, m_in, K)}
    if cap.neurons:
        s["kbann"] = (M, layout.n_out, len(cap.neurons))
    return s


def count_parameters(layout: InputLayout, arch: Architecture | AdditiveArchitecture, members: int = 1) -> int:
    """Trainable parameters of a stand-alone network of ``arch`` (all members)."""
    cap = AdditiveCapacity.of(arch) if isinstance(arch, AdditiveArchitecture) else Capacity.of(arch)
    return sum(math.prod(shape) for shape in parameter_shapes(layout, cap, members).values())


def complexity(layout: InputLayout, arch: Architecture | AdditiveArchitecture, members: int = 1) -> float:
    """What a reader must understand (the search's complexity objective).

    An additive (glass-box) network costs one per feature shape and knowledge neuron and
    ``PAIR_COST`` per pairwise interaction, whatever its members (their average is one
    additive model with the same terms); an MLP costs its trainable parameters, all
    members counted (opaque parameters).
    """
    if isinstance(arch, AdditiveArchitecture):
        return arch.complexity()
    return float(count_parameters(layout, arch, members))


@dataclass(frozen=True)
class _Path:
    """Index tensors that map one architecture onto a network's parameters and the inputs."""

    units: torch.Tensor  # input-layer units: trunk first, then the monotone path's
    n_trunk: int
    num: torch.Tensor  # kept free numeric features, positions in the capacity
    num_cols: torch.Tensor  # … and their columns in the inputs
    miss: torch.Tensor
    miss_cols: torch.Tensor
    miss_in_num: torch.Tensor  # positions of the missing flags among the kept numeric features
    cat: torch.Tensor
    cat_cols: torch.Tensor
    rows: torch.Tensor  # embedding / one-hot rows of the kept categorical features (capacity table)
    row_offsets: torch.Tensor  # per kept categorical feature: first row in the capacity table
    onehot_cols: torch.Tensor  # one-hot input columns of the kept features
    free_neurons: torch.Tensor  # positions among the capacity's free neurons
    free_neuron_cols: torch.Tensor
    mono_in: torch.Tensor  # monotone-path input columns kept
    mono_neuron_cols: torch.Tensor
    mono_neuron_sign: torch.Tensor
    neurons: torch.Tensor  # positions among all capacity neurons (KBANN)
    neuron_cols: torch.Tensor
    neuron_mono: torch.Tensor  # bool per kept neuron
    neuron_sign: torch.Tensor
    mono_sign: torch.Tensor  # per monotone numeric feature
    mono_cols: torch.Tensor
    monotone: bool


def _positions(items: Sequence[str], within: Sequence[str]) -> torch.Tensor:
    where = {x: i for i, x in enumerate(within)}
    return torch.tensor([where[x] for x in items], dtype=torch.long)


def _make_path(layout: InputLayout, cap: Capacity, arch: Architecture) -> _Path:
    long = torch.long
    mono = has_monotone_path(layout, arch.neurons)
    wm = arch.monotone_width if mono else 0
    units = torch.cat([torch.arange(arch.widths[0]), cap.widths[0] + torch.arange(wm)])
    cap_free, cap_mono = _split_neurons(layout, cap.neurons)
    free, mono_n = _split_neurons(layout, arch.neurons)
    sizes = dict(zip(cap.categorical, _levels_of(layout, cap.categorical), strict=True))
    starts = dict(zip(cap.categorical, itertools.accumulate(sizes.values(), initial=0), strict=False))
    rows = [r for f in arch.categorical for r in range(starts[f], starts[f] + sizes[f])]
    layout_starts = dict(zip(layout.categorical, layout.onehot_offsets(), strict=True))
    onehot_cols = [c for f in arch.categorical for c in range(layout_starts[f], layout_starts[f] + sizes[f])]
    n_mono_num = len(layout.monotone_numeric) * (1 + layout.n_bins)
    kept_mono = _positions(mono_n, cap_mono) + n_mono_num
    by_rule = {n.rule: n for n in layout.neurons}
    rules = [n.rule for n in layout.neurons]
    return _Path(
        units=units,
        n_trunk=arch.widths[0],
        num=_positions(arch.numeric, cap.numeric),
        num_cols=_positions(arch.numeric, layout.numeric),
        miss=_positions(_missing_of(layout, arch.numeric), _missing_of(layout, cap.numeric)),
        miss_cols=_positions(_missing_of(layout, arch.numeric), layout.numeric),
        miss_in_num=_positions(_missing_of(layout, arch.numeric), arch.numeric),
        cat=_positions(arch.categorical, cap.categorical),
        cat_cols=_positions(arch.categorical, layout.categorical),
        rows=torch.tensor(rows, dtype=long),
        row_offsets=torch.tensor([starts[f] for f in arch.categorical], dtype=long),
        onehot_cols=torch.tensor(onehot_cols, dtype=long),
        free_neurons=_positions(free, cap_free),
        free_neuron_cols=_positions(free, rules),
        mono_in=torch.cat([torch.arange(n_mono_num), kept_mono]) if mono else torch.zeros(0, dtype=long),
        mono_neuron_cols=_positions(mono_n, rules),
        mono_neuron_sign=torch.tensor([float(by_rule[r].sign) for r in mono_n]),
        neurons=_positions(arch.neurons, cap.neurons),
        neuron_cols=_positions(arch.neurons, rules),
        neuron_mono=torch.tensor([by_rule[r].monotone for r in arch.neurons], dtype=torch.bool),
        neuron_sign=torch.tensor([float(by_rule[r].sign) for r in arch.neurons]),
        mono_sign=torch.tensor([float(layout.monotone[f]) for f in layout.monotone_numeric]),
        mono_cols=_positions(layout.monotone_numeric, layout.numeric),
        monotone=mono,
    )


class SNASNetwork(nn.Module):
    """The network of one architecture (or, with a search space's capacity, a supernet).

    Parameters
    ----------
    layout : InputLayout
        The task's inputs (shared by every network of a search).
    capacity : Capacity
        What to allocate; ``Capacity.of(arch)`` for a stand-alone network.
    architecture : Architecture
        The path used when ``forward`` is called without one.
    members : int
        Stacked copies (ensemble members or training recipes); logits are per member.
    kbann_weight : float
        Initial weight of each knowledge neuron's direct link to its head class.

    Shape: ``forward(inputs)`` → logits (M, n, 1) for a binary target, else (M, n, C).
    """

    def __init__(
        self,
        layout: InputLayout,
        capacity: Capacity,
        architecture: Architecture,
        *,
        members: int = 1,
        kbann_weight: float = 2.0,
    ) -> None:
        super().__init__()
        problems = capacity.admits(architecture)
        if problems:
            raise ValueError("architecture outside the capacity: " + "; ".join(problems))
        self.layout = layout
        self.capacity = capacity
        self.architecture = architecture
        self.members = members
        self.kbann_weight = kbann_weight
        for name, shape in parameter_shapes(layout, capacity, members).items():
            self.register_parameter(name, nn.Parameter(torch.zeros(shape)))
        self._paths: dict[Architecture, _Path] = {}
        self.reset_parameters(list(range(members)))

    @cached_property
    def compact(self) -> bool:
        """True when the capacity is exactly the default architecture (no slicing needed)."""
        return Capacity.of(self.architecture, self.capacity.n_frequencies, self.capacity.periodic_dim) == self.capacity

    def path(self, arch: Architecture | None = None) -> _Path:
        arch = arch or self.architecture
        if arch not in self._paths:
            if arch is not self.architecture and self.capacity.admits(arch):
                raise ValueError("architecture outside the capacity: " + "; ".join(self.capacity.admits(arch)))
            if len(self._paths) > 4096:
                self._paths.clear()
            self._paths[arch] = _make_path(self.layout, self.capacity, arch)
        return self._paths[arch]

    # ------------------------------------------------------------------ weights
    def reset_parameters(self, seeds: Sequence[int], frequency_scale: float | Sequence[float] = 3.0) -> None:
        """Initialise member m from ``seeds[m]`` (same seed → same weights, whatever M is)."""
        scales = [frequency_scale] * self.members if isinstance(frequency_scale, (int, float)) else frequency_scale
        params = dict(self.named_parameters())
        with torch.no_grad():
            for m, seed in enumerate(seeds):
                gen = torch.Generator().manual_seed(int(seed))
                for name in sorted(params):
                    _init(name, params[name][m], gen, self._fan_in(name), float(scales[m]))
                if "kbann" in params:
                    params["kbann"][m].copy_(self._kbann_init())

    def _fan_in(self, name: str) -> int:
        cap, lay = self.capacity, self.layout
        if name.startswith("input_"):
            per = {"standard": 1, "ple": lay.n_bins, "periodic": cap.periodic_dim}
            numeric = len(cap.numeric) * max(per[e] for e in cap.encodings)
            cats = sum(_levels_of(lay, cap.categorical)) if cap.onehot else 0
            cats = max(cats, len(cap.categorical) * cap.embedding_dim)
            free, _ = _split_neurons(lay, cap.neurons)
            return max(1, numeric + len(_missing_of(lay, cap.numeric)) + cats + len(free))
        if name.startswith(("hidden", "inner")):
            i = int(name.rsplit("_", 1)[1])
            return cap.widths[i - 1] if name.startswith("hidden") else cap.widths[i]
        if name.startswith(("head", "curve_gate")):
            return cap.widths[-1]
        if name.startswith("periodic"):
            return 2 * cap.n_frequencies
        return 1

    def _kbann_init(self) -> torch.Tensor:
        w = torch.zeros(self.layout.n_out, len(self.capacity.neurons))
        positive = self.layout.n_classes - 1
        for j, rule in enumerate(self.capacity.neurons):
            info = self.layout.neuron(rule)
            if self.layout.n_classes == 2:
                sign = 1.0 if info.head == positive else -1.0
                w[0, j] = (abs(sign) if info.monotone else sign) * self.kbann_weight
            else:
                w[info.head, j] = self.kbann_weight
        return w

    def weights(self, arch: Architecture | None = None) -> dict[str, torch.Tensor]:
        """The parameters of ``arch`` (sliced from the capacity; differentiable)."""
        params: dict[str, torch.Tensor] = dict(self.named_parameters())
        if arch is None or (arch == self.architecture and self.compact):
            return params
        p = self.path(arch)
        out = {}
        for name, t in params.items():
            out[name] = _slice(name, t, p, arch, self.capacity)
        return out

    def n_parameters(self, arch: Architecture | None = None) -> int:
        """Trainable parameters of ``arch`` (all members)."""
        return count_parameters(self.layout, arch or self.architecture, self.members)

    # ------------------------------------------------------------------ forward
    def forward(
        self,
        x: Inputs,
        arch: Architecture | None = None,
        *,
        dropout: torch.Tensor | float = 0.0,
        feature_gates: torch.Tensor | None = None,
        unit_masks: Sequence[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Logits of every member for ``arch`` (default: this network's architecture).

        ``dropout`` is a rate or one rate per member (applied in training mode only);
        ``feature_gates`` (one value in [0, 1] per kept numeric then categorical feature)
        and ``unit_masks`` (one vector per hidden layer) scale inputs and hidden units — the
        gradient inner loop learns which inputs and how many units to keep.
        """
        arch = arch or self.architecture
        w = self.weights(arch)
        p = self.path(arch)
        h = self._input_layer(x, arch, w, p, feature_gates)
        trunk, mono_free = h[..., : p.n_trunk], h[..., p.n_trunk :]
        last = self._hidden(trunk, arch, w, dropout, unit_masks)
        logits = F.linear(last, w["head"][:, :, : last.shape[-1]]) + w["head_bias"][:, None]
        if p.monotone:
            logits = logits + self._monotone(x, p, w, mono_free, last, arch)
        if arch.neurons:
            logits = logits + self._kbann(x, p, w)
        return logits

    def _input_layer(
        self, x: Inputs, arch: Architecture, w: dict[str, torch.Tensor], p: _Path, gates: torch.Tensor | None
    ) -> torch.Tensor:
        n_num, n_cat = len(arch.numeric), len(arch.categorical)
        g_num = None if gates is None else gates[:n_num]
        g_cat = None if gates is None else gates[n_num : n_num + n_cat]
        z = x.numeric[:, p.num_cols]
        h = w["input_bias"][:, None]
        if arch.encoding == "standard":
            h = h + F.linear(z if g_num is None else z * g_num, w["input_standard"])
        elif arch.encoding == "ple":
            bins = x.ple[:, p.num_cols] if g_num is None else x.ple[:, p.num_cols] * g_num[:, None]
            h = h + F.linear(bins.flatten(1), w["input_ple"].flatten(2))
        else:
            e = F.periodic(z, w["periodic_frequencies"], w["periodic_weight"], w["periodic_bias"])
            e = e if g_num is None else e * g_num[:, None]
            h = h + F.linear(e.flatten(2), w["input_periodic"].flatten(2))
        if p.miss_cols.numel():
            miss = x.missing[:, p.miss_cols]
            h = h + F.linear(miss if g_num is None else miss * g_num[p.miss_in_num], w["input_missing"])
        if n_cat:
            h = h + self._categorical(x, arch, w, p, g_cat)
        if p.free_neuron_cols.numel():
            h = h + F.linear(x.truths[:, p.free_neuron_cols], w["input_neurons"])
        return h

    def _categorical(
        self, x: Inputs, arch: Architecture, w: dict[str, torch.Tensor], p: _Path, gates: torch.Tensor | None
    ) -> torch.Tensor:
        if arch.embedding_dim == 0:
            cols = x.onehot[:, p.onehot_cols]
            if gates is not None:
                sizes = torch.tensor(_levels_of(self.layout, arch.categorical))
                cols = cols * torch.repeat_interleave(gates, sizes)
            return F.linear(cols, w["input_onehot"])
        table = self.get_parameter("embedding")  # capacity table: rows at capacity offsets
        emb = table[:, x.codes[:, p.cat_cols] + p.row_offsets, : arch.embedding_dim]  # (M, n, c, d)
        emb = emb if gates is None else emb * gates[:, None]
        return F.linear(emb.flatten(2), w["input_embedding"].flatten(2))

    def _hidden(
        self,
        h: torch.Tensor,
        arch: Architecture,
        w: dict[str, torch.Tensor],
        dropout: torch.Tensor | float,
        masks: Sequence[torch.Tensor] | None,
    ) -> torch.Tensor:
        for i in range(arch.depth):
            act = ACTIVATIONS[arch.activations[i]]
            if i:
                h = F.linear(h, w[f"hidden_{i}"]) + w[f"hidden_bias_{i}"][:, None]
            h = self._drop(act(h), dropout)
            if arch.residual[i]:
                h = h + self._drop(F.linear(act(h), w[f"inner_{i}"]) + w[f"inner_bias_{i}"][:, None], dropout)
            if masks is not None:
                h = h * masks[i]
        return h

    def _drop(self, h: torch.Tensor, rate: torch.Tensor | float) -> torch.Tensor:
        if not self.training:
            return h
        r = torch.as_tensor(rate, dtype=h.dtype).reshape(-1, 1, 1)
        if not bool((r > 0).any()):
            return h
        if r.numel() == 1 or bool((r == r[0]).all()):
            return nn.functional.dropout(h, float(r.reshape(-1)[0]), training=True)
        keep = torch.rand(h.shape) >= r
        return h * keep / (1 - r)

    def _monotone_inputs(self, x: Inputs, p: _Path) -> torch.Tensor:
        z = x.numeric[:, p.mono_cols] * p.mono_sign
        ple = x.ple[:, p.mono_cols]
        ple = torch.where(p.mono_sign[:, None] > 0, ple, 1 - ple)
        parts = [z, ple.flatten(1)]
        if p.mono_neuron_cols.numel():
            parts.append(x.truths[:, p.mono_neuron_cols] * p.mono_neuron_sign)
        return torch.cat(parts, dim=1)

    def _monotone(
        self,
        x: Inputs,
        p: _Path,
        w: dict[str, torch.Tensor],
        free: torch.Tensor,
        last: torch.Tensor,
        arch: Architecture,
    ) -> torch.Tensor:
        m = self._monotone_inputs(x, p)
        g = F.split_activation(F.linear(m, w["mono_in"].abs()) + free)
        g = F.split_activation(F.linear(g, w["mono_hidden"].abs()) + w["mono_hidden_bias"][:, None])
        out = F.linear(g, w["mono_out"].abs()) + w["mono_out_bias"][:, None]
        if arch.monotone_curves:
            gate = F.linear(last, w["curve_gate"][:, :, : last.shape[-1]]) + w["curve_gate_bias"][:, None]
            curves = torch.matmul(m, w["curve_weight"].abs())  # (M, n, K), increasing in m
            out = out + (nn.functional.softplus(gate) * curves).sum(-1, keepdim=True)
        return out

    def _kbann(self, x: Inputs, p: _Path, w: dict[str, torch.Tensor]) -> torch.Tensor:
        t = x.truths[:, p.neuron_cols]
        t = torch.where(p.neuron_mono, t * p.neuron_sign, t)
        weight = torch.where(p.neuron_mono, w["kbann"].abs(), w["kbann"])
        return F.linear(t, weight)

    def extra_repr(self) -> str:
        a = self.architecture
        return (
            f"members={self.members}, encoding={a.encoding}, widths={list(a.widths)}, "
            f"neurons={len(a.neurons)}, parameters={self.n_parameters():,}"
        )


def _slice(name: str, t: torch.Tensor, p: _Path, arch: Architecture, cap: Capacity) -> torch.Tensor:
    """The part of capacity tensor ``name`` that architecture ``arch`` uses."""
    wl = arch.widths[-1]
    if name.startswith("input_"):
        t = t.index_select(1, p.units)
        index = {
            "input_standard": p.num,
            "input_ple": p.num,
            "input_periodic": p.num,
            "input_missing": p.miss,
            "input_onehot": p.rows,
            "input_embedding": p.cat,
            "input_neurons": p.free_neurons,
        }.get(name)
        t = t if index is None else t.index_select(2, index)
        return t[..., : arch.embedding_dim] if name == "input_embedding" else t
    if name.startswith("periodic"):
        return t.index_select(1, p.num)
    if name == "embedding":
        return t.index_select(1, p.rows)[..., : arch.embedding_dim]
    if name.startswith(("hidden_", "inner_")):
        i = int(name.rsplit("_", 1)[1])
        if i >= arch.depth or (name.startswith("inner") and not arch.residual[i]):
            return t[:, :0]
        w = arch.widths[i]
        cols = arch.widths[i - 1] if name.startswith("hidden_") and "bias" not in name else w
        return t[:, :w, :cols] if t.dim() == 3 else t[:, :w]
    if name == "head":
        return t[:, :, :wl]
    return _slice_monotone(name, t, p, arch, wl)


def _slice_monotone(name: str, t: torch.Tensor, p: _Path, arch: Architecture, wl: int) -> torch.Tensor:
    wm = arch.monotone_width if p.monotone else 0
    k = arch.monotone_curves if p.monotone else 0
    if name == "mono_in":
        return t[:, :wm].index_select(2, p.mono_in)
    if name == "mono_hidden":
        return t[:, :wm, :wm]
    if name in ("mono_hidden_bias",):
        return t[:, :wm]
    if name == "mono_out":
        return t[:, :, :wm]
    if name == "curve_gate":
        return t[:, :k, :wl]
    if name == "curve_gate_bias":
        return t[:, :k]
    if name == "curve_weight":
        return t.index_select(1, p.mono_in)[:, :, :k]
    if name == "kbann":
        return t.index_select(2, p.neurons)
    return t  # head_bias, mono_out_bias


def _init(name: str, t: torch.Tensor, gen: torch.Generator, fan_in: int, frequency_scale: float) -> None:
    """Initialise one member's slice of tensor ``name`` in place."""
    bound = 1 / math.sqrt(max(fan_in, 1))
    if name == "periodic_frequencies":
        t.copy_(torch.randn(t.shape, generator=gen) * frequency_scale)
    elif name == "embedding":
        t.copy_(torch.randn(t.shape, generator=gen))
    elif name.startswith("mono_") and not name.endswith("bias"):
        t.copy_(torch.rand(t.shape, generator=gen) / max(1, t.shape[-1]))
    elif name == "curve_weight":
        t.copy_(torch.rand(t.shape, generator=gen) / max(1, t.shape[0]))
    elif name.startswith("mono_") or name == "kbann":
        t.zero_()
    else:
        t.copy_((torch.rand(t.shape, generator=gen) * 2 - 1) * bound)
