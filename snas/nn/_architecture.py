"""Architecture (the shape of one network) and Capacity (the largest shape a module holds).

A compact network's capacity equals its architecture. A weight-sharing supernet holds the
capacity of a whole search space, and every architecture inside it is a *path*: the same
parameter tensors sliced (widths and embedding sizes by prefix, features and knowledge
neurons by name). Slicing is the one source of truth for a path's forward pass, its
parameter count and the weights a stand-alone network inherits.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PAIR_COST", "AdditiveArchitecture", "AdditiveCapacity", "Architecture", "Capacity", "pair_name"]


@dataclass(frozen=True)
class Architecture:
    """The shape of one network (no training choices).

    Attributes
    ----------
    encoding : ``standard`` (z-score), ``ple`` (piecewise-linear bins) or ``periodic``
        (learned frequencies → sin/cos → per-feature linear → ReLU) for free numeric inputs.
    numeric, categorical : the input features kept (monotone features always enter the
        monotone path and are not listed here).
    embedding_dim : size of categorical embeddings; 0 means one-hot (no trainable table).
    neurons : soft-rule ids whose knowledge neuron feeds the network.
    widths, activations, residual : one entry per hidden layer.
    monotone_width, monotone_curves : the monotone path (used only when the rules declare
        monotonic features or a kept neuron reads one).
    """

    encoding: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    embedding_dim: int
    neurons: tuple[str, ...]
    widths: tuple[int, ...]
    activations: tuple[str, ...]
    residual: tuple[bool, ...]
    monotone_width: int = 32
    monotone_curves: int = 8

    @property
    def depth(self) -> int:
        return len(self.widths)

    @property
    def family(self) -> str:
        return "mlp"


@dataclass(frozen=True)
class Capacity:
    """What a module allocates: every encoding in ``encodings``, every listed feature and
    neuron, per-layer maximum widths, and residual weights where ``residual`` is true."""

    encodings: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    onehot: bool
    embedding_dim: int
    neurons: tuple[str, ...]
    widths: tuple[int, ...]
    residual: tuple[bool, ...]
    monotone_width: int
    monotone_curves: int
    n_frequencies: int = 24
    periodic_dim: int = 16

    @classmethod
    def of(cls, arch: Architecture, n_frequencies: int = 24, periodic_dim: int = 16) -> Capacity:
        """Exactly the shape of ``arch`` (a compact, stand-alone network)."""
        return cls(
            encodings=(arch.encoding,),
            numeric=arch.numeric,
            categorical=arch.categorical,
            onehot=arch.embedding_dim == 0,
            embedding_dim=arch.embedding_dim,
            neurons=arch.neurons,
            widths=arch.widths,
            residual=arch.residual,
            monotone_width=arch.monotone_width,
            monotone_curves=arch.monotone_curves,
            n_frequencies=n_frequencies,
            periodic_dim=periodic_dim,
        )

    def admits(self, arch: Architecture) -> list[str]:
        """Why ``arch`` is not a path of this capacity (empty when it is)."""
        out = []
        if arch.encoding not in self.encodings:
            out.append(f"encoding {arch.encoding!r} not in {self.encodings}")
        for name, kept, allowed in (
            ("numeric", arch.numeric, self.numeric),
            ("categorical", arch.categorical, self.categorical),
            ("neurons", arch.neurons, self.neurons),
        ):
            extra = set(kept) - set(allowed)
            if extra:
                out.append(f"{name} {sorted(extra)} not available")
        if arch.embedding_dim == 0 and arch.categorical and not self.onehot:
            out.append("one-hot inputs not available")
        if arch.embedding_dim > self.embedding_dim:
            out.append(f"embedding_dim {arch.embedding_dim} > {self.embedding_dim}")
        if arch.depth > len(self.widths) or arch.depth < 1:
            out.append(f"depth {arch.depth} not in 1..{len(self.widths)}")
        else:
            for i, w in enumerate(arch.widths):
                if not 1 <= w <= self.widths[i]:
                    out.append(f"layer {i} width {w} not in 1..{self.widths[i]}")
                if arch.residual[i] and not self.residual[i]:
                    out.append(f"layer {i} cannot be residual")
        if arch.monotone_width > self.monotone_width or arch.monotone_curves > self.monotone_curves:
            out.append("monotone path larger than the capacity")
        return out


PAIR_COST = 3.0  # interpretability cost of a pairwise term (a heat map) relative to a 1-D shape


def pair_name(pair: tuple[str, str]) -> str:
    """The display name of a pairwise term: ``"f×g"``."""
    return f"{pair[0]}×{pair[1]}"


@dataclass(frozen=True)
class AdditiveArchitecture:
    """The shape of one additive (glass-box) network.

    Attributes
    ----------
    numeric : numeric features with a shape term (monotone ones always included).
    categorical : categorical features with a per-level term.
    neurons : soft-rule ids whose knowledge neuron is a term.
    pairs : pairwise interaction terms (feature pairs in the layout's input order).
    shape_bins : piecewise-linear ramps per numeric shape (divides the encoder's bins).
    pair_bins : ramps per numeric side of a pair (divides the encoder's bins).
    """

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    neurons: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...] = ()
    shape_bins: int = 16
    pair_bins: int = 4

    @property
    def family(self) -> str:
        return "additive"

    @property
    def terms(self) -> tuple[str, ...]:
        """Term names in output order: features, pairs ``f×g``, neurons ``rule:<id>`` (bias apart)."""
        pairs = tuple(pair_name(p) for p in self.pairs)
        return (*self.numeric, *self.categorical, *pairs, *(f"rule:{r}" for r in self.neurons))

    def complexity(self) -> float:
        """Interpretability cost: one per feature shape and neuron, ``PAIR_COST`` per pair."""
        return float(len(self.numeric) + len(self.categorical) + len(self.neurons) + PAIR_COST * len(self.pairs))


@dataclass(frozen=True)
class AdditiveCapacity:
    """What an additive module allocates: every listed term at the given resolutions."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    neurons: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    shape_bins: int
    pair_bins: int

    @classmethod
    def of(cls, arch: AdditiveArchitecture) -> AdditiveCapacity:
        """Exactly the shape of ``arch`` (a compact, stand-alone network)."""
        return cls(arch.numeric, arch.categorical, arch.neurons, arch.pairs, arch.shape_bins, arch.pair_bins)

    def admits(self, arch: AdditiveArchitecture) -> list[str]:
        """Why ``arch`` is not a path of this capacity (empty when it is)."""
        out = []
        named: tuple[tuple[str, tuple[object, ...], tuple[object, ...]], ...] = (
            ("numeric", arch.numeric, self.numeric),
            ("categorical", arch.categorical, self.categorical),
            ("neurons", arch.neurons, self.neurons),
            ("pairs", arch.pairs, self.pairs),
        )
        for name, kept, allowed in named:
            extra = set(kept) - set(allowed)
            if extra:
                out.append(f"{name} {sorted(map(str, extra))} not available")
        for name, want, have in (
            ("shape_bins", arch.shape_bins, self.shape_bins),
            ("pair_bins", arch.pair_bins, self.pair_bins),
        ):
            if want < 1 or have % want:
                out.append(f"{name} {want} does not divide {have}")
        return out
