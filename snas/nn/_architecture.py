"""Architecture (the shape of one network) and Capacity (the largest shape a module holds).

A compact network's capacity equals its architecture. A weight-sharing supernet holds the
capacity of a whole search space, and every architecture inside it is a *path*: the same
parameter tensors sliced (widths and embedding sizes by prefix, features and knowledge
neurons by name). Slicing is the one source of truth for a path's forward pass, its
parameter count and the weights a stand-alone network inherits.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Architecture", "Capacity"]


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
