"""The fixed-length genome, its optuna encoding, and the repair operator."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any

from snas.search._config import ExperimentConfig

__all__ = ["SearchSpace"]


class SearchSpace:
    """Genome = depth + per-layer (width, activation, block, dropout) for ``max_depth`` layers
    (inactive layers keep their genes: fixed length) + numeric encoding + frequency scale +
    per-soft-rule injection mode + λ, learning rate, weight decay + ensemble members + the
    gradient inner loop's complexity weight (a scalarisation the outer loop tunes, so the
    front keeps large networks).

    ``count`` maps a NetworkSpec dict to its parameter count; ``max_parameters`` (from the
    rules' constraints) is enforced by :meth:`repair` before any training.
    """

    def __init__(
        self,
        config: ExperimentConfig,
        soft_rules: list[str],
        count: Callable[[dict[str, Any]], int],
        max_parameters: int | None,
    ) -> None:
        self.bounds = config.space
        self.soft_rules = list(soft_rules)
        self.count = count
        self.max_parameters = max_parameters
        self.max_epochs = config.final_epochs

    def sample(self, trial: Any) -> dict[str, Any]:
        """Draw a genome through an optuna trial (the sampler decides the values)."""
        b = self.bounds
        layers = []
        for i in range(b.max_depth):
            layers.append(
                {
                    "width": trial.suggest_categorical(f"width_{i}", list(b.widths)),
                    "activation": trial.suggest_categorical(f"activation_{i}", list(b.activations)),
                    "block": trial.suggest_categorical(f"block_{i}", list(b.blocks)),
                    "dropout": round(trial.suggest_float(f"dropout_{i}", *b.dropout), 4),
                }
            )
        genome = {
            "depth": trial.suggest_int("depth", 1, b.max_depth),
            "layers": layers,
            "numeric_encoding": trial.suggest_categorical("numeric_encoding", list(b.encodings)),
            "embedding_dim": trial.suggest_categorical("embedding_dim", list(b.embedding_dims)),
            "monotone_width": trial.suggest_categorical("monotone_width", list(b.monotone_widths)),
            "monotone_curves": trial.suggest_categorical("monotone_curves", list(b.monotone_curves)),
            "members": trial.suggest_categorical("members", list(b.members)),
            "frequency_scale": trial.suggest_float("frequency_scale", *b.frequency_scale, log=True),
            "rule_modes": {r: trial.suggest_categorical(f"mode_{r}", list(b.rule_modes)) for r in self.soft_rules},
            "rule_lambda": trial.suggest_float("rule_lambda", *b.rule_lambda, log=True),
            "learning_rate": trial.suggest_float("learning_rate", *b.learning_rate, log=True),
            "weight_decay": trial.suggest_float("weight_decay", *b.weight_decay, log=True),
            "complexity_weight": trial.suggest_float("complexity_weight", *b.complexity_weight, log=True),
            "drop_features": [],
        }
        return genome

    def starting_points(self) -> list[dict[str, Any]]:
        """Two optuna parameter sets every search starts from (warm start): snas's default
        network and the smallest network of the space; snapped to the configured bounds."""
        b = self.bounds

        def near(values: tuple[Any, ...], target: Any) -> Any:
            if target in values:
                return target
            nums = [v for v in values if isinstance(v, (int, float))]
            return min(nums, key=lambda v: abs(v - target)) if nums else values[0]

        def clip(lo_hi: tuple[float, float], v: float) -> float:
            return min(max(v, lo_hi[0]), lo_hi[1])

        points = []
        for width, depth, enc, emb, mono, mode, penalty in (
            (256, 2, "periodic", 8, 32, "both", b.complexity_weight[0]),
            (8, 1, "standard", 2, 2, "loss", b.complexity_weight[1]),
        ):
            p: dict[str, Any] = {"depth": min(depth, b.max_depth)}
            for i in range(b.max_depth):
                p[f"width_{i}"] = near(b.widths, width)
                p[f"activation_{i}"] = near(b.activations, "relu")
                p[f"block_{i}"] = near(b.blocks, "linear")
                p[f"dropout_{i}"] = clip(b.dropout, 0.1)
            p.update(
                {
                    "numeric_encoding": near(b.encodings, enc),
                    "embedding_dim": near(b.embedding_dims, emb),
                    "monotone_width": near(b.monotone_widths, mono),
                    "monotone_curves": near(b.monotone_curves, mono // 4),
                    "members": near(b.members, 1),
                    "frequency_scale": clip(b.frequency_scale, 3.0),
                    "rule_lambda": clip(b.rule_lambda, 0.5),
                    "learning_rate": clip(b.learning_rate, 2e-3),
                    "weight_decay": clip(b.weight_decay, 1e-5),
                    "complexity_weight": penalty,
                }
            )
            p.update({f"mode_{r}": near(b.rule_modes, mode) for r in self.soft_rules})
            points.append(p)
        return points

    def to_spec(self, genome: dict[str, Any], *, max_epochs: int | None = None) -> dict[str, Any]:
        """Genome → NetworkSpec dict (only the active layers)."""
        layers = [dict(layer) for layer in genome["layers"][: genome["depth"]]]
        for a, b in itertools.pairwise(layers):  # a residual block needs equal widths
            if b["block"] == "residual" and b["width"] != a["width"]:
                b["block"] = "linear"
        return {
            "layers": layers,
            "numeric_encoding": genome["numeric_encoding"],
            "embedding_dim": int(genome.get("embedding_dim", 8)),
            "monotone_width": int(genome.get("monotone_width", 32)),
            "monotone_curves": int(genome.get("monotone_curves", 8)),
            "members": int(genome.get("members", 1)),
            "frequency_scale": float(genome["frequency_scale"]),
            "rule_modes": dict(genome["rule_modes"]),
            "rule_lambda": float(genome["rule_lambda"]),
            "learning_rate": float(genome["learning_rate"]),
            "weight_decay": float(genome["weight_decay"]),
            "drop_features": list(genome.get("drop_features", [])),
            "max_epochs": max_epochs or self.max_epochs,
        }

    def violation(self, genome: dict[str, Any]) -> float:
        """Constraint value (≤ 0 feasible): relative excess over ``max_parameters``."""
        if self.max_parameters is None:
            return 0.0
        return (self.count(self.to_spec(genome)) - self.max_parameters) / self.max_parameters

    def repair(self, genome: dict[str, Any]) -> dict[str, Any]:
        """Map an infeasible genome into the feasible set, greedily: among the moves that
        shrink it (narrow the widest layer, drop the last layer, another embedding size, a
        narrower monotone path, fewer monotone curves, fewer ensemble members, a cheaper
        numeric encoding), take the one that removes the most parameters, until it fits
        ``max_parameters``."""
        g = copy.deepcopy(genome)
        if self.max_parameters is None:
            return g
        size = self.count(self.to_spec(g))
        for _ in range(64):
            if size <= self.max_parameters:
                return g
            best: tuple[int, dict[str, Any]] | None = None
            for move in self._moves(g):
                n = self.count(self.to_spec(move))
                if n < size and (best is None or n < best[0]):
                    best = (n, move)
            if best is None:
                break
            size, g = best
        if size > self.max_parameters:
            raise ValueError(f"no genome in the space fits max_parameters={self.max_parameters}")
        return g

    def _moves(self, g: dict[str, Any]) -> list[dict[str, Any]]:
        b = self.bounds
        out = []
        active = g["layers"][: g["depth"]]
        widest = max(range(len(active)), key=lambda i: active[i]["width"])
        smaller = [x for x in sorted(b.widths) if x < active[widest]["width"]]
        if smaller:
            m = copy.deepcopy(g)
            m["layers"][widest]["width"] = smaller[-1]
            out.append(m)
        if g["depth"] > 1:
            m = copy.deepcopy(g)
            m["depth"] -= 1
            out.append(m)
        for key, options in (
            ("embedding_dim", b.embedding_dims),
            ("monotone_width", b.monotone_widths),
            ("monotone_curves", b.monotone_curves),
            ("members", b.members),
        ):
            for v in options:
                if v != g.get(key):
                    m = copy.deepcopy(g)
                    m[key] = v
                    out.append(m)
        cheaper = {"periodic": ["ple", "standard"], "ple": ["standard"]}.get(g["numeric_encoding"], [])
        for enc in cheaper:
            if enc in b.encodings:
                m = copy.deepcopy(g)
                m["numeric_encoding"] = enc
                out.append(m)
        return out

    @staticmethod
    def describe(genome: dict[str, Any]) -> str:
        """Short human-readable form, e.g. ``2×[64 relu, 32 gelu] periodic(σ=3.1)``."""
        layers = genome["layers"][: genome["depth"]]
        inner = ", ".join(
            f"{la['width']} {la['activation']}{' res' if la['block'] == 'residual' else ''}" for la in layers
        )
        enc = genome["numeric_encoding"]
        if enc == "periodic":
            enc += f"(σ={genome['frequency_scale']:.2g})"
        members = int(genome.get("members", 1))
        return f"[{inner}] {enc} emb{genome.get('embedding_dim', 8)}" + (f" ×{members}" if members > 1 else "")
