"""The search space: typed genomes (architecture genes) and recipes (training genes), their
optuna encoding, random sampling, the repair operator and the supernet's capacity.

Architecture genes are judged by weight sharing (inherited weights, milliseconds each);
recipe genes only change training, so they are chosen at the stand-alone stage.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.search._config import ExperimentConfig, SpaceBounds

if TYPE_CHECKING:
    from snas.nn import Architecture, Capacity, InputLayout, NetworkSpec

__all__ = ["Genome", "Recipe", "SearchSpace"]


@dataclass(frozen=True)
class Genome:
    """One architecture (fixed length: inactive layers keep their genes)."""

    depth: int
    widths: tuple[int, ...]
    activations: tuple[str, ...]
    residual: tuple[bool, ...]
    encoding: str
    embedding_dim: int
    features: tuple[str, ...]  # inputs kept (free numeric and categorical)
    neurons: tuple[str, ...]  # soft rules whose knowledge neuron is kept
    monotone_width: int
    monotone_curves: int
    complexity_weight: float = 0.01
    family: str = "mlp"

    def to_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Genome:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})  # type: ignore[arg-type]

    def describe(self) -> str:
        """Short human-readable form, e.g. ``[64 relu, 32 gelu res] periodic emb4 9/12 inputs``."""
        layers = ", ".join(
            f"{self.widths[i]} {self.activations[i]}{' res' if self.residual[i] else ''}" for i in range(self.depth)
        )
        return f"[{layers}] {self.encoding} emb{self.embedding_dim} {len(self.features)} inputs {len(self.neurons)} neurons"


@dataclass(frozen=True)
class Recipe:
    """How a network is trained (does not change its shape, except ``members``)."""

    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    dropout: float = 0.1
    rule_lambda: float = 0.5
    frequency_scale: float = 3.0
    members: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchSpace:
    """Genomes over a task's inputs within the configured bounds.

    ``count`` maps a genome to its parameter count (exact, from the network layout);
    ``max_parameters`` (from the rules' constraints) is enforced by :meth:`repair`.
    """

    def __init__(self, config: ExperimentConfig, layout: InputLayout, max_parameters: int | None) -> None:
        self.bounds: SpaceBounds = config.space
        self.config = config
        self.layout = layout
        self.max_parameters = max_parameters
        self.inputs = tuple(layout.free_numeric) + tuple(layout.categorical)
        self.neuron_rules = tuple(n.rule for n in layout.neurons)

    # ---------------------------------------------------------------- conversion
    def architecture(self, g: Genome) -> Architecture:
        from snas.nn import Architecture

        keep = set(g.features)
        return Architecture(
            encoding=g.encoding,
            numeric=tuple(f for f in self.layout.free_numeric if f in keep),
            categorical=tuple(f for f in self.layout.categorical if f in keep),
            embedding_dim=g.embedding_dim,
            neurons=tuple(r for r in self.neuron_rules if r in set(g.neurons)),
            widths=g.widths[: g.depth],
            activations=g.activations[: g.depth],
            residual=g.residual[: g.depth],
            monotone_width=g.monotone_width,
            monotone_curves=g.monotone_curves,
        )

    def spec(self, g: Genome, recipe: Recipe = Recipe(), *, epochs: int | None = None) -> NetworkSpec:
        """The stand-alone NetworkSpec of a genome trained with ``recipe``."""
        from snas.nn import LayerSpec, NetworkSpec

        layers = tuple(
            LayerSpec(g.widths[i], g.activations[i], "residual" if g.residual[i] else "linear") for i in range(g.depth)
        )
        neurons = set(g.neurons)
        return NetworkSpec(
            layers=layers,
            numeric_encoding=g.encoding,
            embedding_dim=g.embedding_dim,
            monotone_width=g.monotone_width,
            monotone_curves=g.monotone_curves,
            default_rule_mode="loss",
            rule_modes={r: "both" for r in self.neuron_rules if r in neurons},
            drop_features=tuple(f for f in self.inputs if f not in set(g.features)),
            learning_rate=recipe.learning_rate,
            weight_decay=recipe.weight_decay,
            dropout=recipe.dropout,
            rule_lambda=recipe.rule_lambda,
            frequency_scale=recipe.frequency_scale,
            members=recipe.members,
            max_epochs=epochs or self.config.standalone.epochs,
        )

    def capacity(self) -> Capacity:
        """The supernet's capacity: every gene value fits inside."""
        from snas.nn import Capacity

        b = self.bounds
        w = max(b.widths)
        return Capacity(
            encodings=b.encodings,
            numeric=self.layout.free_numeric,
            categorical=self.layout.categorical,
            onehot=0 in b.embedding_dims,
            embedding_dim=max(b.embedding_dims),
            neurons=self.neuron_rules,
            widths=(w,) * b.max_depth,
            residual=(("residual" in b.blocks),) * b.max_depth,
            monotone_width=max(b.monotone_widths),
            monotone_curves=max(b.monotone_curves),
        )

    def count(self, g: Genome, members: int = 1) -> int:
        """Trainable parameters of the stand-alone network of ``g``."""
        from snas.nn import count_parameters

        return count_parameters(self.layout, self.architecture(g), members)

    # ------------------------------------------------------------------ sampling
    def sample(self, trial: Any) -> Genome:
        """Draw a genome through an optuna trial (the strategy's sampler decides the values)."""
        return self._draw(_TrialDraw(trial))

    def random(self, rng: np.random.Generator) -> Genome:
        """A uniformly random genome (supernet path sampling, random baselines)."""
        return self._draw(_RandomDraw(rng))

    def _draw(self, d: Any) -> Genome:
        b = self.bounds
        n = b.max_depth
        features = self.inputs
        if b.feature_selection:
            features = tuple(f for f in self.inputs if d.choice(f"input_{f}", (True, False)))
        neurons = self.neuron_rules
        if b.neurons:
            neurons = tuple(r for r in self.neuron_rules if d.choice(f"neuron_{r}", (True, False)))
        return Genome(
            depth=d.integer("depth", 1, n),
            widths=tuple(d.choice(f"width_{i}", b.widths) for i in range(n)),
            activations=tuple(d.choice(f"activation_{i}", b.activations) for i in range(n)),
            residual=tuple(d.choice(f"block_{i}", b.blocks) == "residual" for i in range(n)),
            encoding=d.choice("encoding", b.encodings),
            embedding_dim=d.choice("embedding_dim", b.embedding_dims),
            features=features or self.inputs[:1],
            neurons=neurons,
            monotone_width=d.choice("monotone_width", b.monotone_widths),
            monotone_curves=d.choice("monotone_curves", b.monotone_curves),
            complexity_weight=d.log_float("complexity_weight", *b.complexity_weight),
        )

    def params(self, g: Genome) -> dict[str, Any]:
        """The optuna parameters that draw ``g`` (to enqueue known genomes)."""
        b = self.bounds
        p: dict[str, Any] = {"depth": g.depth, "encoding": g.encoding, "embedding_dim": g.embedding_dim}
        for i in range(b.max_depth):
            p[f"width_{i}"] = g.widths[i]
            p[f"activation_{i}"] = g.activations[i]
            p[f"block_{i}"] = "residual" if g.residual[i] else "linear"
        if b.feature_selection:
            p.update({f"input_{f}": f in set(g.features) for f in self.inputs})
        if b.neurons:
            p.update({f"neuron_{r}": r in set(g.neurons) for r in self.neuron_rules})
        p.update(
            monotone_width=g.monotone_width,
            monotone_curves=g.monotone_curves,
            complexity_weight=g.complexity_weight,
        )
        return p

    def largest(self, encoding: str) -> Genome:
        """Every input and neuron, the widest layers: the sandwich rule's upper path."""
        b = self.bounds
        return Genome(
            b.max_depth,
            (max(b.widths),) * b.max_depth,
            (b.activations[0],) * b.max_depth,
            (False,) * b.max_depth,
            encoding,
            max(b.embedding_dims),
            self.inputs,
            self.neuron_rules,
            max(b.monotone_widths),
            max(b.monotone_curves),
        )

    def smallest(self, encoding: str) -> Genome:
        """One narrow layer, no neurons, the cheapest categorical inputs: the sandwich rule's lower path."""
        b = self.bounds
        options = [
            Genome(
                1,
                (min(b.widths),) * b.max_depth,
                (b.activations[0],) * b.max_depth,
                (False,) * b.max_depth,
                encoding,
                d,
                self.inputs,
                (),
                min(b.monotone_widths),
                min(b.monotone_curves),
            )
            for d in b.embedding_dims
        ]
        return min(options, key=self.count)

    def starting_points(self) -> list[Genome]:
        """Genomes every search evaluates first: snas's default network and the smallest."""
        b = self.bounds

        def near(values: tuple[Any, ...], target: Any) -> Any:
            return min(values, key=lambda v: abs(v - target))

        default = Genome(
            min(2, b.max_depth),
            (near(b.widths, 256),) * b.max_depth,
            ("relu" if "relu" in b.activations else b.activations[0],) * b.max_depth,
            (False,) * b.max_depth,
            "periodic" if "periodic" in b.encodings else b.encodings[-1],
            near(b.embedding_dims, 8),
            self.inputs,
            self.neuron_rules,
            near(b.monotone_widths, 32),
            near(b.monotone_curves, 8),
            b.complexity_weight[0],
        )
        return [self.repair(default), self.repair(self.smallest(b.encodings[0]))]

    # ------------------------------------------------------------------- repair
    def repair(self, g: Genome) -> Genome:
        """Map an infeasible genome into the feasible set, greedily: among the moves that
        shrink it (narrow the widest layer, drop the last layer, another embedding size, a
        narrower monotone path, fewer monotone curves, a cheaper numeric encoding), take the
        one that removes the most parameters, until it fits ``max_parameters``."""
        if self.max_parameters is None:
            return g
        size = self.count(g)
        for _ in range(256):
            if size <= self.max_parameters:
                return g
            moves = [(self.count(m), m) for m in self._moves(g)]
            smaller = [(n, m) for n, m in moves if n < size]
            if not smaller:
                break
            size, g = min(smaller, key=lambda t: t[0])
        if size > self.max_parameters:
            raise ValueError(f"no genome in the space fits max_parameters={self.max_parameters}")
        return g

    def _moves(self, g: Genome) -> list[Genome]:
        b = self.bounds
        out = []
        active = g.widths[: g.depth]
        widest = max(range(g.depth), key=lambda i: active[i])
        smaller = [x for x in b.widths if x < active[widest]]
        if smaller:
            widths = list(g.widths)
            widths[widest] = smaller[-1]
            out.append(replace(g, widths=tuple(widths)))
        if g.depth > 1:
            out.append(replace(g, depth=g.depth - 1))
        for key, options in (
            ("embedding_dim", b.embedding_dims),
            ("monotone_width", b.monotone_widths),
            ("monotone_curves", b.monotone_curves),
        ):
            out += [replace(g, **{key: v}) for v in options if v != getattr(g, key)]  # type: ignore[arg-type]
        cheaper = {"periodic": ("ple", "standard"), "ple": ("standard",)}.get(g.encoding, ())
        out += [replace(g, encoding=e) for e in cheaper if e in b.encodings]
        return out

    def violation(self, g: Genome) -> float:
        """Constraint value (≤ 0 feasible): relative excess over ``max_parameters``."""
        if self.max_parameters is None:
            return 0.0
        return (self.count(g) - self.max_parameters) / self.max_parameters

    # ------------------------------------------------------------------ recipes
    def recipes(self, n: int, rng: np.random.Generator, base: Recipe = Recipe()) -> list[Recipe]:
        """``base`` (clipped into the configured ranges) and ``n − 1`` random recipes."""
        b = self.bounds
        out = [self._clip(base)]
        for _ in range(n - 1):
            out.append(
                Recipe(
                    learning_rate=_log_uniform(rng, *b.learning_rate),
                    weight_decay=_log_uniform(rng, max(b.weight_decay[0], 1e-8), b.weight_decay[1]),
                    dropout=float(rng.uniform(*b.dropout)),
                    rule_lambda=_log_uniform(rng, max(b.rule_lambda[0], 1e-6), b.rule_lambda[1]),
                    frequency_scale=_log_uniform(rng, *b.frequency_scale),
                )
            )
        return out

    def _clip(self, r: Recipe) -> Recipe:
        b = self.bounds

        def clip(v: float, lo_hi: tuple[float, float]) -> float:
            return float(min(max(v, lo_hi[0]), lo_hi[1]))

        return Recipe(
            clip(r.learning_rate, b.learning_rate),
            clip(r.weight_decay, b.weight_decay),
            clip(r.dropout, b.dropout),
            clip(r.rule_lambda, b.rule_lambda),
            clip(r.frequency_scale, b.frequency_scale),
            r.members,
        )


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


class _TrialDraw:
    """Genes drawn through an optuna trial."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def choice(self, name: str, options: tuple[Any, ...]) -> Any:
        return self.trial.suggest_categorical(name, list(options))

    def integer(self, name: str, lo: int, hi: int) -> int:
        return int(self.trial.suggest_int(name, lo, hi))

    def log_float(self, name: str, lo: float, hi: float) -> float:
        return float(self.trial.suggest_float(name, lo, hi, log=True))


class _RandomDraw:
    """Genes drawn uniformly at random."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def choice(self, name: str, options: tuple[Any, ...]) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def integer(self, name: str, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def log_float(self, name: str, lo: float, hi: float) -> float:
        return _log_uniform(self.rng, lo, hi)
