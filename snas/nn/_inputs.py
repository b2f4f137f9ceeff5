"""What a network reads: the input layout of a task and the encoded tensors of a batch.

Everything fixed (standardised values, missing flags, category codes, piecewise-linear
bins, one-hot columns and the knowledge neurons' fuzzy truths) is computed once per data
set here, not in every training step: networks only hold what they learn.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from snas.nn import functional as F
from snas.rules import And, Compare, Condition, Member, Not, features_of

if TYPE_CHECKING:
    from snas.nn._compile import CompiledRules
    from snas.nn._encoders import EncodedFrame, TabularEncoder

__all__ = ["InputLayout", "Inputs", "KnowledgeNeurons", "NeuronInfo"]


@dataclass(frozen=True)
class NeuronInfo:
    """A soft rule that may feed a knowledge neuron."""

    rule: str
    head: int  # class index of the rule's conclusion
    sign: int  # +1 / −1: the direction that keeps monotone features monotone
    monotone: bool  # reads a monotonic feature: the neuron joins the monotone path


@dataclass(frozen=True)
class InputLayout:
    """The inputs of one task, in the encoder's order (shared by every network of a search).

    ``numeric`` lists all numeric inputs; ``monotone`` maps the monotonic ones to their
    direction for the modelled score (they enter only the monotone path).
    """

    numeric: tuple[str, ...]
    has_missing: tuple[bool, ...]
    monotone: dict[str, int]
    categorical: tuple[str, ...]
    levels: tuple[int, ...]  # levels per categorical feature (code 0, missing, comes on top)
    neurons: tuple[NeuronInfo, ...]
    n_bins: int
    n_classes: int
    shape_edges: tuple[tuple[float, ...], ...] = ()  # per numeric input: the additive family's fine bin edges (z)
    shape_bins: int = 64

    @property
    def free_numeric(self) -> tuple[str, ...]:
        return tuple(f for f in self.numeric if f not in self.monotone)

    @property
    def monotone_numeric(self) -> tuple[str, ...]:
        return tuple(f for f in self.numeric if f in self.monotone)

    @property
    def n_out(self) -> int:
        return 1 if self.n_classes == 2 else self.n_classes

    def neuron(self, rule: str) -> NeuronInfo:
        return next(n for n in self.neurons if n.rule == rule)

    def onehot_offsets(self) -> list[int]:
        """First one-hot column of each categorical feature (each has levels + 1 columns)."""
        out, at = [], 0
        for n in self.levels:
            out.append(at)
            at += n + 1
        return out

    @classmethod
    def build(cls, encoder: TabularEncoder, compiled: CompiledRules) -> InputLayout:
        mono = {f: d for f, d in compiled.monotonic.items() if f in encoder.numeric}
        neurons = []
        for rid, body, head, _ in compiled.soft:
            if rid in compiled.neuron_ok:
                reads = any(f in mono for f in features_of(body))
                neurons.append(NeuronInfo(rid, head, compiled.neuron_ok[rid], reads))
        return cls(
            numeric=tuple(encoder.numeric),
            has_missing=tuple(bool(m) for m in encoder.has_missing_),
            monotone=mono,
            categorical=tuple(encoder.categorical),
            levels=tuple(len(encoder.levels[f]) for f in encoder.categorical),
            neurons=tuple(neurons),
            n_bins=encoder.n_bins,
            n_classes=len(compiled.classes),
            shape_edges=tuple(tuple(float(v) for v in e) for e in encoder.shape_edges_),
            shape_bins=encoder.shape_bins,
        )


@dataclass(frozen=True)
class Inputs:
    """Encoded tensors for n rows (see :class:`InputLayout` for the column order).

    Shape: numeric, missing (n, k); codes (n, c) long, 0 = missing or unseen; ple (n, k, B);
    onehot (n, Σ(levels + 1)); truths (n, r) for the layout's neurons.
    """

    numeric: torch.Tensor
    missing: torch.Tensor
    codes: torch.Tensor
    ple: torch.Tensor
    onehot: torch.Tensor
    truths: torch.Tensor

    def __len__(self) -> int:
        return int(self.numeric.shape[0])

    def take(self, idx: torch.Tensor | slice) -> Inputs:
        """The rows ``idx`` (a view for slices)."""
        return Inputs(*(getattr(self, f.name)[idx] for f in fields(self)))

    @classmethod
    def encode(cls, enc: EncodedFrame, encoder: TabularEncoder, neurons: KnowledgeNeurons) -> Inputs:
        numeric = torch.from_numpy(enc.numeric)
        missing = torch.from_numpy(enc.missing)
        codes = torch.from_numpy(enc.codes)
        lower, width, mask = F.ple_buffers(encoder.edges_, encoder.n_bins)
        ple = F.piecewise_linear(numeric, lower, width, mask) * (1 - missing)[:, :, None]
        sizes = [len(encoder.levels[f]) + 1 for f in encoder.categorical]
        onehot = F.one_hot_blocks(codes, sizes)
        with torch.no_grad():
            truths = neurons(numeric, missing, codes)
        return cls(numeric, missing, codes, ple, onehot, truths)


class KnowledgeNeurons(nn.Module):
    """KINS-style neurons: the fuzzy truth of each rule body, from encoded inputs.

    Numeric comparisons become σ(k·(z − t̃)) on standardised values (a bump for ==),
    categorical tests are exact lookups, ``and`` is a product, ``or`` a probabilistic sum and
    ``not`` is 1 − x. Thresholds live in buffers: fixed knowledge, never trained.

    Shape: numeric (n, k_num), missing (n, k_num), codes (n, k_cat) → (n, n_rules).
    """

    num_idx: torch.Tensor
    num_thr: torch.Tensor
    num_op: torch.Tensor
    cat_idx: torch.Tensor
    cat_tables: torch.Tensor

    def __init__(self, bodies: list[Condition], encoder: TabularEncoder, sharpness: float) -> None:
        super().__init__()
        self.sharpness = sharpness
        self._encoder = encoder
        self._num: list[tuple[int, float, int]] = []  # (column, threshold, op)
        self._cat: list[tuple[int, list[float]]] = []  # (column, truth table over codes)
        self._max_levels = max([len(v) + 1 for v in encoder.levels.values()] + [1])
        self.programs = [self._compile(b) for b in bodies]
        self.register_buffer("num_idx", torch.tensor([a[0] for a in self._num], dtype=torch.long))
        self.register_buffer("num_thr", torch.tensor([a[1] for a in self._num], dtype=torch.float32))
        self.register_buffer("num_op", torch.tensor([a[2] for a in self._num], dtype=torch.float32))
        self.register_buffer("cat_idx", torch.tensor([a[0] for a in self._cat], dtype=torch.long))
        tables = torch.tensor([a[1] for a in self._cat], dtype=torch.float32)
        self.register_buffer("cat_tables", tables.reshape(len(self._cat), self._max_levels))
        self.out_features = len(bodies)

    def _compile(self, c: Condition) -> Any:
        if isinstance(c, (Compare, Member)):
            return self._atom(c)
        if isinstance(c, Not):
            return ("not", self._compile(c.item))
        return ("and" if isinstance(c, And) else "or", [self._compile(i) for i in c.items])

    def _atom(self, a: Compare | Member) -> Any:
        enc = self._encoder
        if a.feature in enc.numeric:
            if isinstance(a, Member):
                node = ("or", [self._atom(Compare(a.feature, "==", v)) for v in a.values])
                return ("not", node) if a.negated else node
            op = {">": 1, ">=": 1, "<": -1, "<=": -1, "==": 0, "!=": 0}[a.op]
            self._num.append((enc.numeric.index(a.feature), enc.standardise(a.feature, float(a.value)), op))
            leaf = ("num", len(self._num) - 1)
            return ("not", leaf) if a.op == "!=" else leaf
        levels = enc.levels[a.feature]
        table = [0.0] * self._max_levels
        for c in _codes_satisfying(a, levels):
            table[c + 1] = 1.0
        self._cat.append((enc.categorical.index(a.feature), table))
        return ("cat", len(self._cat) - 1)

    def forward(self, numeric: torch.Tensor, missing: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        num = cat = numeric.new_zeros(numeric.shape[0], 0)
        if self.num_idx.numel():
            d = numeric[:, self.num_idx] - self.num_thr
            steep = torch.sigmoid(self.sharpness * self.num_op * d)
            bump = torch.exp(-((self.sharpness * d) ** 2))
            num = torch.where(self.num_op == 0, bump, steep) * (1 - missing[:, self.num_idx])
        if self.cat_idx.numel():
            cat = self.cat_tables[torch.arange(self.cat_idx.numel()), codes[:, self.cat_idx]]
        if not self.programs:
            return numeric.new_zeros(numeric.shape[0], 0)
        return torch.stack([_run(p, num, cat) for p in self.programs], dim=1)

    def extra_repr(self) -> str:
        return f"rules={self.out_features}, sharpness={self.sharpness}"


def _run(p: Any, num: torch.Tensor, cat: torch.Tensor) -> torch.Tensor:
    kind = p[0]
    if kind == "num":
        return num[:, p[1]]
    if kind == "cat":
        return cat[:, p[1]]
    if kind == "not":
        return 1 - _run(p[1], num, cat)
    parts = torch.stack([_run(q, num, cat) for q in p[1]], 1)
    if kind == "and":
        return parts.prod(1)
    return 1 - (1 - parts).prod(1)


def _codes_satisfying(a: Compare | Member, levels: list[str]) -> list[int]:
    if isinstance(a, Member):
        wanted = {str(v) for v in a.values}
        return [i for i, lv in enumerate(levels) if (lv in wanted) != a.negated]
    target = levels.index(str(a.value)) if str(a.value) in levels else None
    if target is None:
        return list(range(len(levels))) if a.op == "!=" else []
    tests = {
        "==": lambda i: i == target,
        "!=": lambda i: i != target,
        "<": lambda i: i < target,
        "<=": lambda i: i <= target,
        ">": lambda i: i > target,
        ">=": lambda i: i >= target,
    }
    return [i for i in range(len(levels)) if tests[a.op](i)]
