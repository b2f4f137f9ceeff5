"""The search space: typed genomes (architecture genes) and recipes (training genes), their
optuna encoding, random sampling, the repair operator and the supernets' capacities.

The family is a gene: ``mlp`` genomes use the layer, encoding and monotone-path genes;
``additive`` (glass-box) genomes use the pair and bin genes; both use the feature and
neuron genes. Every genome carries every gene (fixed length), so crossover mixes families.
Architecture genes are judged by weight sharing (inherited weights, milliseconds each);
recipe genes only change training, so they are chosen at the stand-alone stage.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.search._config import ExperimentConfig, SpaceBounds
from snas.search._draw import RandomDraw, TrialDraw, log_uniform, near, pair_gene

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from snas.nn import AdditiveArchitecture, AdditiveCapacity, Architecture, Capacity, InputLayout, NetworkSpec

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
    pairs: tuple[tuple[str, str], ...] = ()  # additive: pairwise interaction terms
    shape_bins: int = 64  # additive: bins per numeric shape
    pair_bins: int = 4  # additive: bins per numeric side of a pair

    def to_dict(self) -> dict[str, Any]:
        d = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        d["pairs"] = [list(p) for p in self.pairs]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Genome:
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        d["pairs"] = tuple(tuple(p) for p in d.get("pairs", ()))
        return cls(**d)

    def describe(self, kept: Collection[str] | int = (), reads: Mapping[str, Collection[str]] | None = None) -> str:
        """Short human-readable form, e.g. ``[64 relu, 32 gelu res] periodic emb4 9 inputs 5 neurons``
        or ``additive 12 inputs (2 only through pairs) + 4 pairs + 6 neurons, 64/4 bins``.

        The inputs counted are those the network reads: the chosen ones, the ``kept`` ones that
        are no gene (the monotonic ones, always read; their names, or how many), a glass box's
        pairs' inputs and, with ``reads`` (soft-rule id → the inputs its rule reads), those of
        its knowledge neurons. Inputs read only through pairs or neurons are said so. (Given
        as a count, a kept input a pair also reads is counted twice: pass the names.)
        """
        chosen = {*self.features, *(() if isinstance(kept, int) else kept)}
        extra = kept if isinstance(kept, int) else 0
        paired = {f for pair in self.pairs for f in pair} - chosen if self.family == "additive" else set()
        neuron = {f for rule in self.neurons for f in (reads or {}).get(rule, ())} - chosen - paired
        only = [f"{len(s)} only through {way}" for s, way in ((paired, "pairs"), (neuron, "neurons")) if s]
        inputs = f"{len(chosen) + extra + len(paired) + len(neuron)} inputs" + (f" ({', '.join(only)})" if only else "")
        if self.family == "additive":
            return (
                f"additive {inputs} + {len(self.pairs)} pairs + {len(self.neurons)} neurons, "
                f"{self.shape_bins}/{self.pair_bins} bins"
            )
        layers = ", ".join(
            f"{self.widths[i]} {self.activations[i]}{' res' if self.residual[i] else ''}" for i in range(self.depth)
        )
        return f"[{layers}] {self.encoding} emb{self.embedding_dim} {inputs} {len(self.neurons)} neurons"


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

    ``count`` maps a genome to its parameter count (exact, from the network layout) and
    ``complexity`` to its interpretability cost (the complexity objective);
    ``max_parameters`` (from the rules' constraints) is enforced by :meth:`repair`.
    ``pairs`` are the additive family's candidate interactions, best first (see
    :func:`snas.nn.rank_pairs`); the first ``pair_candidates`` are genes. ``fit_rows`` (the
    rows a candidate trains on) sets what follows the data as for ``SNASClassifier``: the
    weight average's decay (:func:`snas.model.ema_decay_for`), the glass box's default
    learning rate (:func:`snas.model.glass_box_learning_rate`) and, on few rows, its
    averaged members and starting shape bins (:func:`snas.model.small_glass_box`).
    """

    def __init__(
        self,
        config: ExperimentConfig,
        layout: InputLayout,
        max_parameters: int | None,
        pairs: Sequence[tuple[str, str]] = (),
        fit_rows: int | None = None,
    ) -> None:
        self.bounds: SpaceBounds = config.space
        self.fit_rows = fit_rows
        self.config = config
        self.layout = layout
        self.max_parameters = max_parameters
        self.inputs = tuple(layout.free_numeric) + tuple(layout.categorical)
        self.neuron_rules = tuple(n.rule for n in layout.neurons)
        self.candidates = canonical_pairs_ranked(pairs, layout)[: self.bounds.pair_candidates]

    # ---------------------------------------------------------------- conversion
    def architecture(self, g: Genome) -> Architecture | AdditiveArchitecture:
        """The network shape of ``g`` (of its family)."""
        return self.additive_architecture(g) if g.family == "additive" else self.mlp_architecture(g)

    def mlp_architecture(self, g: Genome) -> Architecture:
        """The MLP shape of ``g``'s genes."""
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

    def additive_architecture(self, g: Genome) -> AdditiveArchitecture:
        """The glass-box shape of ``g``'s genes (monotone inputs always have a shape)."""
        from snas.nn import AdditiveArchitecture, canonical_pairs

        keep = set(g.features)
        return AdditiveArchitecture(
            numeric=tuple(f for f in self.layout.numeric if f in self.layout.monotone or f in keep),
            categorical=tuple(f for f in self.layout.categorical if f in keep),
            neurons=tuple(r for r in self.neuron_rules if r in set(g.neurons)),
            pairs=canonical_pairs(g.pairs, self.layout),
            shape_bins=g.shape_bins,
            pair_bins=g.pair_bins,
        )

    def spec(self, g: Genome, recipe: Recipe = Recipe(), *, epochs: int | None = None) -> NetworkSpec:
        """The stand-alone NetworkSpec of a genome trained with ``recipe`` (the other
        family's genes are left at their defaults, so one architecture gives one spec)."""
        from snas.nn import NetworkSpec

        neurons = set(g.neurons)
        spec = NetworkSpec(
            **self._shape(g),
            default_rule_mode="loss",
            rule_modes={r: "both" for r in self.neuron_rules if r in neurons},
            drop_features=tuple(f for f in self.inputs if f not in set(g.features)),
            learning_rate=recipe.learning_rate,
            weight_decay=recipe.weight_decay,
            dropout=recipe.dropout,
            rule_lambda=recipe.rule_lambda,
            frequency_scale=recipe.frequency_scale,
            members=self._members(g, recipe),
            max_epochs=epochs or self.config.standalone.epochs,
        )
        return spec if self.fit_rows is None else self.for_rows(spec, self.fit_rows)

    def _members(self, g: Genome, recipe: Recipe) -> int:
        """The recipe's members; a glass box on few fit rows averages at least as many as
        ``SNASClassifier``'s (:func:`snas.model.small_glass_box`), kept as one glass box."""
        few = self._few_rows() if g.family == "additive" else {}
        return max(recipe.members, few.get("members", 1))

    @property
    def glass_boxes_averaged(self) -> bool:
        """Whether glass boxes train as an average of members already (on few fit rows): an
        ensemble of one would train the same model again."""
        return bool(self._few_rows())

    def _few_rows(self) -> dict[str, int]:
        """What ``SNASClassifier``'s glass box changes on the fit rows when they are few."""
        from snas.model import small_glass_box

        return small_glass_box(self.fit_rows) if self.fit_rows else {}

    @staticmethod
    def for_rows(spec: NetworkSpec, n_rows: int) -> NetworkSpec:
        """``spec`` with the weight average that spans about two epochs of ``n_rows`` rows."""
        from snas.model import EARLY_STOPPING_FRACTION, ema_decay_for

        return replace(spec, ema_decay=ema_decay_for(n_rows, EARLY_STOPPING_FRACTION, spec.batch_size))

    def default_recipe(self, g: Genome) -> Recipe:
        """snas's default recipe for ``g``, within the configured ranges (see :meth:`family_recipes`)."""
        return self.family_recipes(g, [self._clip(Recipe())])[0]

    def family_recipes(self, g: Genome, recipes: Sequence[Recipe]) -> tuple[Recipe, ...]:
        """``recipes`` for genome ``g``: the first one (snas's default recipe) takes the
        learning rate ``SNASClassifier`` gives ``g``'s family on the fit rows (a glass box's
        lookup tables learn faster with larger steps), clipped into the configured range."""
        from snas.model import glass_box_learning_rate

        rate = glass_box_learning_rate(self.fit_rows or 0) if g.family == "additive" else None
        if rate is None or not recipes:
            return tuple(recipes)
        return (self._clip(replace(recipes[0], learning_rate=rate)), *recipes[1:])

    def _shape(self, g: Genome) -> dict[str, Any]:
        """The NetworkSpec fields of ``g``'s family."""
        from snas.nn import LayerSpec

        if g.family == "additive":
            return {"family": "additive", "pairs": g.pairs, "shape_bins": g.shape_bins, "pair_bins": g.pair_bins}
        layers = tuple(
            LayerSpec(g.widths[i], g.activations[i], "residual" if g.residual[i] else "linear") for i in range(g.depth)
        )
        return {
            "layers": layers,
            "numeric_encoding": g.encoding,
            "embedding_dim": g.embedding_dim,
            "monotone_width": g.monotone_width,
            "monotone_curves": g.monotone_curves,
        }

    def additive_capacity(self) -> AdditiveCapacity:
        """The additive supernet's capacity: every input, neuron and candidate pair at the finest bins."""
        from snas.nn import AdditiveCapacity

        b = self.bounds
        return AdditiveCapacity(
            numeric=self.layout.numeric,
            categorical=self.layout.categorical,
            neurons=self.neuron_rules,
            pairs=self.candidates,
            shape_bins=min(max(b.shape_bins), self.layout.shape_bins),
            pair_bins=min(max(b.pair_bins), self.layout.shape_bins),
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

    def complexity(self, g: Genome, members: int = 1) -> float:
        """The complexity objective of ``g``: terms for a glass box, parameters for an MLP
        (see :func:`snas.nn.complexity`)."""
        from snas.nn import complexity

        return complexity(self.layout, self.architecture(g), members)

    # ------------------------------------------------------------------ sampling
    def sample(self, trial: Any) -> Genome:
        """Draw a genome through an optuna trial (the strategy's sampler decides the values)."""
        return self._draw(TrialDraw(trial))

    def random(self, rng: np.random.Generator, family: str | None = None) -> Genome:
        """A uniformly random genome (supernet path sampling, random baselines), of ``family``
        when given."""
        g = self._draw(RandomDraw(rng))
        return g if family is None else replace(g, family=family)

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
            **self._draw_additive(d),
        )

    def _draw_additive(self, d: Any) -> dict[str, Any]:
        """The additive genes and the family gene, drawn after the MLP genes (and only when
        the space has the additive family, so MLP-only searches draw exactly as before)."""
        b = self.bounds
        out: dict[str, Any] = {"family": b.families[0]}
        if "additive" in b.families:
            chosen = tuple(p for p in self.candidates if d.choice(pair_gene(p), (True, False)))
            out["pairs"] = chosen[: b.max_pairs]
            out["shape_bins"] = d.choice("shape_bins", b.shape_bins)
            out["pair_bins"] = d.choice("pair_bins", b.pair_bins)
        if len(b.families) > 1:
            out["family"] = d.choice("family", b.families)
        return out

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
        if "additive" in b.families:
            p.update({pair_gene(q): q in set(g.pairs) for q in self.candidates})
            p.update(shape_bins=g.shape_bins, pair_bins=g.pair_bins)
        if len(b.families) > 1:
            p["family"] = g.family
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

    def largest_additive(self) -> Genome:
        """Every input and neuron, the best ``max_pairs`` candidate pairs, the finest bins:
        the additive supernet's upper path."""
        b = self.bounds
        top = self.largest(b.encodings[0])
        pairs = self.candidates[: b.max_pairs]
        return replace(top, family="additive", pairs=pairs, shape_bins=max(b.shape_bins), pair_bins=max(b.pair_bins))

    def smallest_additive(self) -> Genome:
        """One shape per input at the coarsest bins, no pair and no neuron: the additive
        supernet's lower path."""
        b = self.bounds
        top = self.largest(b.encodings[0])
        return replace(
            top, family="additive", neurons=(), pairs=(), shape_bins=min(b.shape_bins), pair_bins=min(b.pair_bins)
        )

    def starting_points(self) -> list[Genome]:
        """Genomes every search evaluates first: per family, snas's default network and the
        smallest (MLP), or every term with the best pairs and a plain additive model of
        shapes and neurons (glass box)."""
        b = self.bounds
        default = self._default_mlp()
        out = []
        if "mlp" in b.families:
            smallest = replace(self.smallest(b.encodings[0]), **self._additive_genes())
            out += [self.repair(default), self.repair(smallest)]
        if "additive" in b.families:
            glass = replace(default, **self._additive_genes(), family="additive")
            out += [self.repair(replace(glass, pairs=self.candidates[: b.max_pairs])), self.repair(glass)]
        return out

    def _default_mlp(self) -> Genome:
        b = self.bounds
        return Genome(
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
            **self._additive_genes(),
        )

    def _additive_genes(self) -> dict[str, Any]:
        """Default additive genes within the bounds: no pair, shapes of the default glass box's
        bins (``SNASClassifier``'s on the fit rows; finer shapes overfit a few hundred rows),
        pairs of 4 bins."""
        from snas.model import GLASS_BOX_SHAPE_BINS

        b = self.bounds
        bins = self._few_rows().get("shape_bins", GLASS_BOX_SHAPE_BINS)
        return {"pairs": (), "shape_bins": near(b.shape_bins, bins), "pair_bins": near(b.pair_bins, 4)}

    # ------------------------------------------------------------------- repair
    def repair(self, g: Genome) -> Genome:
        """Map an infeasible genome into the feasible set, greedily: among the moves that
        shrink it (MLP: narrow the widest layer, drop the last layer, another embedding size,
        a narrower monotone path, fewer monotone curves, a cheaper numeric encoding;
        additive: drop the last pair, coarser bins), take the one that removes the most
        parameters, until it fits ``max_parameters``. Additive genomes keep at most
        ``max_pairs`` pairs."""
        if len(g.pairs) > self.bounds.max_pairs:
            g = replace(g, pairs=g.pairs[: self.bounds.max_pairs])
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
        if g.family == "additive":  # fewer pairs (the lowest-ranked first), coarser shapes or pairs
            out = [replace(g, pairs=g.pairs[:-1])] if g.pairs else []
            out += [replace(g, shape_bins=v) for v in b.shape_bins if v < g.shape_bins]
            return out + [replace(g, pair_bins=v) for v in b.pair_bins if v < g.pair_bins]
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
                    learning_rate=log_uniform(rng, *b.learning_rate),
                    weight_decay=log_uniform(rng, max(b.weight_decay[0], 1e-8), b.weight_decay[1]),
                    dropout=float(rng.uniform(*b.dropout)),
                    rule_lambda=log_uniform(rng, max(b.rule_lambda[0], 1e-6), b.rule_lambda[1]),
                    frequency_scale=log_uniform(rng, *b.frequency_scale),
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


def canonical_pairs_ranked(pairs: Sequence[tuple[str, str]], layout: InputLayout) -> tuple[tuple[str, str], ...]:
    """Candidate pairs in their rank order, each written in the layout's input order."""
    order = {f: i for i, f in enumerate((*layout.numeric, *layout.categorical))}
    out: dict[tuple[str, str], None] = {}
    for f, g in pairs:
        a, b = sorted((str(f), str(g)), key=lambda x: order.get(x, len(order)))
        out[(a, b)] = None
    return tuple(out)
