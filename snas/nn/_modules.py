"""Layers: numeric encodings, knowledge neurons, monotone path, and the whole network.

Modules hold state (parameters, and fixed knowledge in buffers); the maths lives in
:mod:`snas.nn.functional`.
"""

from __future__ import annotations

import math
from typing import Any, cast

import torch
from torch import nn

from snas.nn import functional as F
from snas.nn._compile import CompiledRules
from snas.nn._encoders import TabularEncoder
from snas.nn._spec import NetworkSpec
from snas.rules import And, Compare, Condition, Member, Not

__all__ = ["KnowledgeNeurons", "MonotonePath", "NumericEncoding", "SNASEnsemble", "SNASNetwork"]

_ACT = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh, "selu": nn.SELU}


class NumericEncoding(nn.Module):
    missing_cols: torch.Tensor
    lower: torch.Tensor
    width: torch.Tensor
    mask: torch.Tensor

    """Encodes k standardised numeric columns.

    ``standard``: z and missing indicators; ``ple``: piecewise-linear bins; ``periodic``:
    learned frequencies → [sin, cos] → per-feature linear → ReLU (PLR embeddings).

    Shape: z (n, k), missing (n, k) → (n, out_features).
    """

    def __init__(self, kind: str, edges: list[Any], missing: list[bool], spec: NetworkSpec) -> None:
        super().__init__()
        self.kind = kind
        self.k = len(edges)
        self.register_buffer("missing_cols", torch.tensor([i for i, m in enumerate(missing) if m], dtype=torch.long))
        n_missing = int(sum(missing))
        if kind == "ple":
            lower, width, mask = _ple_buffers(edges, spec.n_bins)
            self.register_buffer("lower", lower)
            self.register_buffer("width", width)
            self.register_buffer("mask", mask)
            self.out_features = self.k * spec.n_bins + n_missing
        elif kind == "periodic":
            self.frequencies = nn.Parameter(torch.randn(self.k, spec.n_frequencies) * spec.frequency_scale)
            bound = 1 / math.sqrt(2 * spec.n_frequencies)
            self.weight = nn.Parameter(
                torch.empty(self.k, 2 * spec.n_frequencies, spec.periodic_dim).uniform_(-bound, bound)
            )
            self.bias = nn.Parameter(torch.empty(self.k, spec.periodic_dim).uniform_(-bound, bound))
            self.out_features = self.k * spec.periodic_dim + n_missing
        else:
            self.out_features = self.k + n_missing

    def forward(self, z: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
        parts = []
        if self.kind == "ple":
            parts.append(F.piecewise_linear(z, self.lower, self.width, self.mask).flatten(1))
        elif self.kind == "periodic":
            angles = 2 * math.pi * z[:, :, None] * self.frequencies  # (n, k, F)
            feats = torch.cat([torch.sin(angles), torch.cos(angles)], dim=2)  # (n, k, 2F)
            parts.append(torch.relu(torch.einsum("nkf,kfd->nkd", feats, self.weight) + self.bias).flatten(1))
        else:
            parts.append(z)
        if self.missing_cols.numel():
            parts.append(missing[:, self.missing_cols])
        return torch.cat(parts, dim=1)

    def extra_repr(self) -> str:
        return f"kind={self.kind}, features={self.k}, out_features={self.out_features}"


def _ple_buffers(edges: list[Any], n_bins: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    k = len(edges)
    lower = torch.zeros(k, n_bins)
    width = torch.ones(k, n_bins)
    mask = torch.zeros(k, n_bins)
    for j, e in enumerate(edges):
        e = list(e)[: n_bins + 1]
        for t in range(len(e) - 1):
            lower[j, t] = float(e[t])
            width[j, t] = max(float(e[t + 1]) - float(e[t]), 1e-6)
            mask[j, t] = 1.0
    return lower, width, mask


class KnowledgeNeurons(nn.Module):
    num_idx: torch.Tensor
    num_thr: torch.Tensor
    num_op: torch.Tensor
    cat_idx: torch.Tensor
    cat_tables: torch.Tensor

    """KINS-style neurons: the fuzzy truth of each rule body, from encoded inputs.

    Numeric comparisons become σ(k·(z − t̃)) on standardised values (a bump for ==),
    categorical tests are exact lookups, ``and`` is a product, ``or`` a probabilistic sum and
    ``not`` is 1 − x. Thresholds live in buffers: fixed knowledge, not trained.

    Shape: z (n, k_num), missing (n, k_num), codes (n, k_cat) → (n, n_rules).
    """

    def __init__(self, bodies: list[Condition], encoder: TabularEncoder, sharpness: float) -> None:
        super().__init__()
        self.sharpness = sharpness
        num_idx: list[int] = []
        num_thr: list[float] = []
        num_op: list[int] = []  # +1: >,>= ; −1: <,<= ; 0: == (bump)
        cat_idx: list[int] = []
        cat_tables: list[list[float]] = []
        max_levels = max([len(v) + 1 for v in encoder.levels.values()] + [1])
        self.programs: list[Any] = []

        def compile_atom(a: Compare | Member) -> Any:
            if a.feature in encoder.numeric:
                j = encoder.numeric.index(a.feature)
                if isinstance(a, Member):
                    parts = [compile_atom(Compare(a.feature, "==", v)) for v in a.values]
                    node = ("or", parts)
                    return ("not", node) if a.negated else node
                op = {">": 1, ">=": 1, "<": -1, "<=": -1, "==": 0, "!=": 0}[a.op]
                num_idx.append(j)
                num_thr.append(encoder.standardise(a.feature, float(a.value)))
                num_op.append(op)
                leaf: Any = ("num", len(num_idx) - 1)
                return ("not", leaf) if a.op == "!=" else leaf
            j = encoder.categorical.index(a.feature)
            levels = encoder.levels[a.feature]
            codes = _codes_satisfying(a, levels)
            table = [0.0] * max_levels
            for c in codes:
                table[c + 1] = 1.0
            cat_idx.append(j)
            cat_tables.append(table)
            return ("cat", len(cat_idx) - 1)

        def compile_tree(c: Condition) -> Any:
            if isinstance(c, (Compare, Member)):
                return compile_atom(c)
            if isinstance(c, Not):
                return ("not", compile_tree(c.item))
            return ("and" if isinstance(c, And) else "or", [compile_tree(i) for i in c.items])

        self.programs = [compile_tree(b) for b in bodies]
        self.register_buffer("num_idx", torch.tensor(num_idx, dtype=torch.long))
        self.register_buffer("num_thr", torch.tensor(num_thr, dtype=torch.float32))
        self.register_buffer("num_op", torch.tensor(num_op, dtype=torch.float32))
        self.register_buffer("cat_idx", torch.tensor(cat_idx, dtype=torch.long))
        self.register_buffer(
            "cat_tables", torch.tensor(cat_tables, dtype=torch.float32).reshape(len(cat_idx), max_levels)
        )
        self.out_features = len(bodies)

    def forward(self, z: torch.Tensor, missing: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        num = cat = None
        if self.num_idx.numel():
            d = z[:, self.num_idx] - self.num_thr
            k = self.sharpness
            steep = torch.sigmoid(k * self.num_op * d)
            bump = torch.exp(-((k * d) ** 2))
            num = torch.where(self.num_op == 0, bump, steep) * (1 - missing[:, self.num_idx])
        if self.cat_idx.numel():
            rows = codes[:, self.cat_idx]  # (n, A)
            cat = self.cat_tables[torch.arange(self.cat_idx.numel()), rows]

        def run(p: Any) -> torch.Tensor:
            kind = p[0]
            if kind == "num":
                return num[:, p[1]]  # type: ignore[index]
            if kind == "cat":
                return cat[:, p[1]]  # type: ignore[index]
            if kind == "not":
                return 1 - run(p[1])
            parts = [run(q) for q in p[1]]
            if kind == "and":
                return torch.stack(parts, 1).prod(1)
            return 1 - torch.stack([1 - q for q in parts], 1).prod(1)

        if not self.programs:
            return z.new_zeros(z.shape[0], 0)
        return torch.stack([run(p) for p in self.programs], dim=1)

    def extra_repr(self) -> str:
        return f"rules={self.out_features}, sharpness={self.sharpness}"


def _codes_satisfying(a: Compare | Member, levels: list[str]) -> list[int]:
    if isinstance(a, Member):
        hit = [i for i, lv in enumerate(levels) if lv in {str(v) for v in a.values}]
        return [i for i in range(len(levels)) if i not in hit] if a.negated else hit
    target = levels.index(str(a.value)) if str(a.value) in levels else None
    if target is None:
        return list(range(len(levels))) if a.op == "!=" else []
    ops = {
        "==": lambda i: i == target,
        "!=": lambda i: i != target,
        "<": lambda i: i < target,
        "<=": lambda i: i <= target,
        ">": lambda i: i > target,
        ">=": lambda i: i >= target,
    }
    return [i for i in range(len(levels)) if ops[a.op](i)]


class MonotonePath(nn.Module):
    """A monotone sub-network: non-decreasing in its monotone inputs for any free inputs.

    Layer 1: W_free·free + |W_mono|·mono; then convex/concave split activations and
    non-negative weights (|W|) up to a single logit.

    Shape: mono (n, m), free (n, f) → (n, 1).
    """

    def __init__(self, n_mono: int, n_free: int, width: int) -> None:
        super().__init__()
        width = max(2, width)
        self.free = nn.Linear(n_free, width) if n_free else None
        self.mono_weight = nn.Parameter(torch.rand(width, n_mono) / max(1, n_mono))
        self.bias = nn.Parameter(torch.zeros(width))
        self.hidden = nn.Parameter(torch.rand(width, width) / width)
        self.hidden_bias = nn.Parameter(torch.zeros(width))
        self.out = nn.Parameter(torch.rand(1, width) / width)
        self.out_bias = nn.Parameter(torch.zeros(1))

    def forward(self, mono: torch.Tensor, free: torch.Tensor) -> torch.Tensor:
        h = mono @ self.mono_weight.abs().T + self.bias
        if self.free is not None:
            h = h + self.free(free)
        h = F.split_activation(h)
        h = F.split_activation(h @ self.hidden.abs().T + self.hidden_bias)
        return h @ self.out.abs().T + self.out_bias


class _Block(nn.Module):
    def __init__(self, n_in: int, layer: Any, norm: str) -> None:
        super().__init__()
        self.residual = layer.block == "residual"
        self.linear = nn.Linear(n_in, layer.width)
        self.norm = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}.get(norm, lambda _: nn.Identity())(layer.width)
        self.act = _ACT[layer.activation]()
        self.drop = nn.Dropout(layer.dropout)
        if self.residual:
            self.inner = nn.Linear(layer.width, layer.width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.drop(self.act(self.norm(self.linear(x))))
        if self.residual:
            h = h + self.drop(self.inner(self.act(h)))
        return h


class SNASNetwork(nn.Module):
    free_num: torch.Tensor
    mono_num: torch.Tensor
    mono_sign: torch.Tensor
    x0_feature: torch.Tensor
    neuron_free: torch.Tensor
    neuron_mono: torch.Tensor
    neuron_mono_sign: torch.Tensor
    mono_lower: torch.Tensor
    mono_width: torch.Tensor
    mono_mask: torch.Tensor
    kbann_mono: torch.Tensor

    """The network for one candidate: encodings → blocks (+ knowledge neurons) → logits,
    plus a monotone path for monotonic features. Excluded features never enter.

    Shape: numeric (n, k_num), missing (n, k_num), codes (n, k_cat) → logits (n, 1) for a
    binary target or (n, C).
    """

    def __init__(self, spec: NetworkSpec, encoder: TabularEncoder, compiled: CompiledRules) -> None:
        super().__init__()
        self.spec = spec
        n_classes = len(compiled.classes)
        self.n_out = 1 if n_classes == 2 else n_classes
        self.binary = n_classes == 2
        mono = {f: s for f, s in compiled.monotonic.items() if f in encoder.numeric}
        free_num = [i for i, f in enumerate(encoder.numeric) if f not in mono]
        mono_num = [i for i, f in enumerate(encoder.numeric) if f in mono]
        self.register_buffer("free_num", torch.tensor(free_num, dtype=torch.long))
        self.register_buffer("mono_num", torch.tensor(mono_num, dtype=torch.long))
        self.register_buffer("mono_sign", torch.tensor([float(mono[encoder.numeric[i]]) for i in mono_num]))
        self.num_enc = NumericEncoding(
            spec.numeric_encoding,
            [encoder.edges_[i] for i in free_num],
            [bool(encoder.has_missing_[i]) for i in free_num],
            spec,
        )
        self.embeddings = nn.ModuleList()
        cat_dims: list[int] = []
        n_cat_out = 0
        for f in encoder.categorical:
            n_levels = len(encoder.levels[f]) + 1
            if spec.embedding_dim:
                self.embeddings.append(nn.Embedding(n_levels, spec.embedding_dim))
                cat_dims.append(spec.embedding_dim)
                n_cat_out += spec.embedding_dim
            else:
                emb = nn.Embedding(n_levels, n_levels)
                emb.weight.data = torch.eye(n_levels)
                emb.weight.requires_grad_(False)
                self.embeddings.append(emb)
                cat_dims.append(n_levels)
                n_cat_out += n_levels
        # knowledge neurons: free ones join the trunk at inject_at; monotone-touching ones join the monotone path
        neuron_rules = [
            (rid, body, k)
            for rid, body, k, _ in compiled.soft
            if spec.mode(rid) in ("neuron", "both") and rid in compiled.neuron_ok
        ]
        touches_mono = [any(a in mono for a in _features(body)) for _, body, _ in neuron_rules]
        self.neuron_ids = [r[0] for r in neuron_rules]
        self.neurons = KnowledgeNeurons([r[1] for r in neuron_rules], encoder, spec.neuron_sharpness)
        self.register_buffer(
            "neuron_free", torch.tensor([i for i, t in enumerate(touches_mono) if not t], dtype=torch.long)
        )
        self.register_buffer(
            "neuron_mono", torch.tensor([i for i, t in enumerate(touches_mono) if t], dtype=torch.long)
        )
        self.register_buffer(
            "neuron_mono_sign",
            torch.tensor([float(compiled.neuron_ok[neuron_rules[i][0]]) for i, t in enumerate(touches_mono) if t]),
        )
        n_free_neurons = int(self.neuron_free.numel())
        n_in = self.num_enc.out_features + n_cat_out
        # which input feature each column of x0 comes from (for feature gates and attributions)
        self.free_features = [encoder.numeric[i] for i in free_num] + list(encoder.categorical)
        self.register_buffer(
            "x0_feature",
            torch.tensor(
                _column_features(
                    self.num_enc,
                    len(free_num),
                    cat_dims,
                    [bool(encoder.has_missing_[i]) for i in free_num],
                ),
                dtype=torch.long,
            ),
        )
        self.n_free_inputs = n_in
        blocks = []
        for i, layer in enumerate(spec.layers):
            extra = n_free_neurons if i == spec.inject_at else 0
            blocks.append(_Block(n_in + extra, layer, spec.normalization))
            n_in = layer.width
        self.blocks = nn.ModuleList(blocks)
        head_in = n_in + (n_free_neurons if spec.inject_at == len(spec.layers) else 0)
        self.head = nn.Linear(head_in, self.n_out)
        self.mono_path = None
        self.mono_gate = None
        n_mono_inputs = len(mono_num) * (1 + spec.n_bins) + int(self.neuron_mono.numel())
        if n_mono_inputs:
            if not self.binary:
                raise ValueError("monotone constraints need a binary target")
            lower, width, mask = _ple_buffers([encoder.edges_[i] for i in mono_num], spec.n_bins)
            self.register_buffer("mono_lower", lower)
            self.register_buffer("mono_width", width)
            self.register_buffer("mono_mask", mask)
            self.mono_path = MonotonePath(n_mono_inputs, self.n_free_inputs, spec.monotone_width)
            # context-gated monotone curves: Σ_k softplus(g_k(h)) · c_k(mono), c_k increasing
            k = spec.monotone_curves
            if k:
                self.mono_gate = nn.Linear(head_in, k)
                self.mono_curves = nn.Parameter(torch.rand(n_mono_inputs, k) / n_mono_inputs)
        # KBANN: each knowledge neuron also feeds the logit of its head class directly
        self.kbann = None
        if spec.kbann and neuron_rules:
            self.kbann = nn.Linear(len(neuron_rules), self.n_out, bias=False)
            with torch.no_grad():
                w = torch.zeros(self.n_out, len(neuron_rules))
                positive = n_classes - 1
                for j, (_, _, k) in enumerate(neuron_rules):
                    if self.binary:
                        sign = 1.0 if k == positive else -1.0
                        if touches_mono[j]:
                            sign = abs(sign)  # the input is already sign-adjusted
                        w[0, j] = sign * spec.kbann_weight
                    else:
                        w[k, j] = spec.kbann_weight
                self.kbann.weight.copy_(w)
            self.register_buffer("kbann_mono", torch.tensor(touches_mono, dtype=torch.bool))

    def inputs(
        self, numeric: torch.Tensor, missing: torch.Tensor, codes: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Free input vector x0 (encodings + embeddings) and the knowledge-neuron truths."""
        free = [self.num_enc(numeric[:, self.free_num], missing[:, self.free_num])]
        free += [emb(codes[:, j]) for j, emb in enumerate(self.embeddings)]
        return torch.cat(free, dim=1), self.neurons(numeric, missing, codes)

    def trunk(self, x0: torch.Tensor, free_truths: torch.Tensor) -> torch.Tensor:
        """The hidden blocks, with free knowledge neurons joining at ``inject_at``."""
        h = x0
        for i, block in enumerate(self.blocks):
            if i == self.spec.inject_at and free_truths.shape[1]:
                h = torch.cat([h, free_truths], dim=1)
            h = block(h)
        if self.spec.inject_at == len(self.blocks) and free_truths.shape[1]:
            h = torch.cat([h, free_truths], dim=1)
        return h

    def output(self, h: torch.Tensor, x0: torch.Tensor, truths: torch.Tensor, numeric: torch.Tensor) -> torch.Tensor:
        """Head logits plus the monotone path and the KBANN links."""
        logits = self.head(h)
        if self.mono_path is not None:
            z = numeric[:, self.mono_num] * self.mono_sign
            parts = [z, F.piecewise_linear(z, self.mono_lower, self.mono_width, self.mono_mask).flatten(1)]
            if self.neuron_mono.numel():
                parts.append(truths[:, self.neuron_mono] * self.neuron_mono_sign)
            mono = torch.cat(parts, dim=1)
            logits = logits + self.mono_path(mono, x0)
            if self.mono_gate is not None:
                gates = torch.nn.functional.softplus(self.mono_gate(h))
                logits = logits + (gates * (mono @ self.mono_curves.abs())).sum(1, keepdim=True)
        if self.kbann is not None:
            t = torch.where(self.kbann_mono, truths * _sign_vector(self, truths), truths)
            w = torch.where(self.kbann_mono, self.kbann.weight.abs(), self.kbann.weight)
            logits = logits + t @ w.T
        return logits

    def forward(self, numeric: torch.Tensor, missing: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        x0, truths = self.inputs(numeric, missing, codes)
        h = self.trunk(x0, truths[:, self.neuron_free])
        return self.output(h, x0, truths, numeric)

    def n_parameters(self) -> int:
        """Trainable parameters (the complexity objective)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class SNASEnsemble(nn.Module):
    """Several networks of one architecture; the logit is the mean of theirs (a deep ensemble).

    Every member is a :class:`SNASNetwork`, so each is monotone where the rules say so and
    so is the mean; hard rules are shielded on the ensemble's output as for one network.
    :class:`snas.SNASClassifier` trains the members one by one, each with its own seed and
    validation split, which is where their diversity comes from.

    Shape: as :class:`SNASNetwork`.
    """

    def __init__(self, members: list[SNASNetwork]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.spec = members[0].spec

    @property
    def neuron_ids(self) -> list[str]:
        return cast(SNASNetwork, self.members[0]).neuron_ids

    @property
    def neurons(self) -> KnowledgeNeurons:
        """The knowledge neurons (fixed buffers, identical in every member)."""
        return cast(SNASNetwork, self.members[0]).neurons

    def forward(self, numeric: torch.Tensor, missing: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(numeric, missing, codes) for m in self.members]).mean(0)

    def n_parameters(self) -> int:
        """Trainable parameters of all members (the complexity objective)."""
        return sum(cast(SNASNetwork, m).n_parameters() for m in self.members)


def _column_features(enc: NumericEncoding, k: int, cat_dims: list[int], missing: list[bool]) -> list[int]:
    per = {"ple": enc.out_features, "periodic": enc.out_features, "standard": enc.out_features}[enc.kind]
    width = (per - sum(missing)) // max(k, 1) if k else 0
    cols = [j for j in range(k) for _ in range(width)]
    cols += [j for j, m in enumerate(missing) if m]
    for j, d in enumerate(cat_dims):
        cols += [k + j] * d
    return cols


def _sign_vector(net: SNASNetwork, truths: torch.Tensor) -> torch.Tensor:
    sign = torch.ones(truths.shape[1])
    if net.neuron_mono.numel():
        sign[net.neuron_mono] = net.neuron_mono_sign
    return sign


def _features(body: Condition) -> list[str]:
    from snas.rules import features_of

    return list(features_of(body))
