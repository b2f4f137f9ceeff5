"""NetworkSpec: one candidate network — its architecture and its training recipe — validated
with clear messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from snas._util import did_you_mean
from snas.exceptions import ConfigError
from snas.nn._architecture import AdditiveArchitecture, Architecture

if TYPE_CHECKING:
    from snas.nn._inputs import InputLayout

__all__ = [
    "ACTIVATIONS",
    "BLOCKS",
    "ENCODINGS",
    "FAMILIES",
    "INJECTION_MODES",
    "RULE_LOSSES",
    "LayerSpec",
    "NetworkSpec",
    "canonical_pairs",
]

FAMILIES = ("mlp", "additive")
ACTIVATIONS = ("relu", "gelu", "silu", "tanh", "selu")
BLOCKS = ("linear", "residual")
ENCODINGS = ("standard", "ple", "periodic")
INJECTION_MODES = ("loss", "neuron", "both", "off")
RULE_LOSSES = ("log-product", "lukasiewicz", "godel")
MAX_WIDTH = 4096
MAX_MEMBERS = 16


#: NetworkSpec fields only an MLP uses, and only a glass box (family: additive) uses.
MLP_ONLY_FIELDS = frozenset(
    {"layers", "numeric_encoding", "n_frequencies", "frequency_scale", "periodic_dim", "n_bins", "embedding_dim"}
    | {"kbann_weight", "monotone_width", "monotone_curves"}
)
ADDITIVE_ONLY_FIELDS = frozenset({"pairs", "shape_bins", "pair_bins"})


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer; a residual block adds ``h + W₂·act(h)`` inside the layer."""

    width: int = 256
    activation: str = "relu"
    block: str = "linear"


@dataclass(frozen=True)
class NetworkSpec:
    """Architecture and training choices of one candidate network.

    ``family`` is ``mlp`` (layers, encodings, a monotone path) or ``additive`` (a glass box:
    one shape per kept input, ``pairs`` of interacting features, knowledge neurons as
    terms). The MLP fields are unused by the additive family and vice versa. Build one
    from plain data with :meth:`from_dict`, which validates every field; ``n_bins`` and
    ``neuron_sharpness`` shape the task's inputs (:meth:`snas.Task.fit`), so a search
    fixes them once.

    Parameters
    ----------
    family : {"mlp", "additive"}, default="mlp"
        The network family.
    layers : tuple of LayerSpec, default=two layers of width 256
        Hidden layers of an MLP: width (1 to 4096), ``activation`` (relu, gelu, silu, tanh,
        selu) and ``block`` (``linear``, or ``residual``: ``h + W₂·act(h)`` inside the layer).
        :meth:`from_dict` also takes widths, e.g. ``[64, 64]``.
    numeric_encoding : {"periodic", "ple", "standard"}, default="periodic"
        Encoding of free numeric inputs: learned frequencies → sin/cos → linear → ReLU,
        piecewise-linear quantile bins, or the z-score.
    n_frequencies : int, default=24
        Frequencies per numeric input of the periodic encoding (1 to 256).
    frequency_scale : float, default=3.0
        Standard deviation of the initial periodic frequencies.
    periodic_dim : int, default=16
        Output size per numeric input of the periodic encoding (1 to 256).
    n_bins : int, default=16
        Quantile bins per numeric input of the ``ple`` encoding (1 to 256).
    embedding_dim : int, default=8
        Embedding size per categorical input; 0 means one-hot (no trainable table).
    monotone_width : int, default=32
        Neurons of the monotone path, used only when the rules declare monotonic features
        (or a kept knowledge neuron reads one).
    monotone_curves : int, default=8
        Monotone curves per monotonic input (0 to 256).
    default_rule_mode : {"both", "loss", "neuron", "off"}, default="both"
        How soft rules not named in ``rule_modes`` are injected: a rule loss, a knowledge
        neuron, both, or not at all.
    rule_modes : dict of str to str, default={}
        Soft-rule id → ``loss | neuron | both | off``.
    kbann_weight : float, default=2.0
        Initial weight of each knowledge neuron's direct link to its head class.
    neuron_sharpness : float, default=8.0
        Steepness of the knowledge neurons' fuzzy comparisons (larger → closer to crisp).
    rule_loss : {"log-product", "lukasiewicz", "godel"}, default="log-product"
        Fuzzy semantics of the soft-rule loss.
    rule_lambda : float, default=0.5
        Weight of the rule loss added to the cross-entropy (0 to 1000).
    shield : bool, default=True
        Enforce hard rules on the output. ``False`` exists only for ablations: it voids
        the hard-rule guarantee.
    drop_features : tuple of str, default=()
        Inputs the network does not read (monotonic features always stay); for the additive
        family, inputs without a shape of their own — a listed pair may still read them.
    dropout : float, default=0.1
        Dropout probability after each hidden activation (0 to 0.95).
    learning_rate : float, default=2e-3
        AdamW learning rate.
    weight_decay : float, default=1e-5
        AdamW weight decay.
    ema_decay : float, default=0.99
        Decay of an exponential moving average of the weights used for validation and the
        final model; 0 turns it off.
    members : int, default=1
        Copies trained with their own seed and early-stopping rows; their logits are
        averaged (1 to 16). A glass box keeps the average as one glass box of the same size.
    batch_size : int, default=512
        Rows per mini-batch.
    max_epochs : int, default=40
        Epochs at most (small data sets get more, enough for 300 optimiser steps).
    patience : int, default=6
        Epochs without a better validation loss before a member stops.
    pairs : tuple of (str, str), default=()
        Additive family only: pairs of interacting features, each a pairwise term.
    shape_bins : int, default=64
        Additive family: bins per numeric shape (at most the encoder's fine grid of 64).
    pair_bins : int, default=4
        Additive family: bins per numeric side of a pair.

    Examples
    --------
    >>> from snas import NetworkSpec
    >>> spec = NetworkSpec.from_dict({"layers": [64, 64], "members": 3})
    >>> [layer.width for layer in spec.layers], spec.members
    ([64, 64], 3)
    >>> NetworkSpec(family="additive", pairs=(("age", "hours_per_week"),)).problems()
    []
    """

    family: str = "mlp"
    layers: tuple[LayerSpec, ...] = (LayerSpec(256), LayerSpec(256))
    numeric_encoding: str = "periodic"
    n_frequencies: int = 24
    frequency_scale: float = 3.0
    periodic_dim: int = 16
    n_bins: int = 16
    embedding_dim: int = 8
    monotone_width: int = 32
    monotone_curves: int = 8
    default_rule_mode: str = "both"
    rule_modes: dict[str, str] = field(default_factory=dict)
    kbann_weight: float = 2.0
    neuron_sharpness: float = 8.0
    rule_loss: str = "log-product"
    rule_lambda: float = 0.5
    shield: bool = True
    drop_features: tuple[str, ...] = ()
    dropout: float = 0.1
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    ema_decay: float = 0.99
    members: int = 1
    batch_size: int = 512
    max_epochs: int = 40
    patience: int = 6
    pairs: tuple[tuple[str, str], ...] = ()
    shape_bins: int = 64
    pair_bins: int = 4

    def mode(self, rule_id: str) -> str:
        """How a soft rule is injected: ``loss``, ``neuron``, ``both`` or ``off``.

        Parameters
        ----------
        rule_id : str
            A soft rule's id; rules not in ``rule_modes`` get ``default_rule_mode``.
        """
        return self.rule_modes.get(rule_id, self.default_rule_mode)

    def unknown_names(self, features: Sequence[str], soft_rules: Sequence[str]) -> list[str]:
        """Names in ``drop_features`` and ``rule_modes`` that are no feature and no soft rule of
        the task (a typo would otherwise drop nothing and turn nothing off).

        Parameters
        ----------
        features : sequence of str
            The task's feature names (excluded ones included: dropping them is harmless).
        soft_rules : sequence of str
            The ids of the task's soft rules.

        Returns
        -------
        list of str
            One message per unknown name, with a did-you-mean; empty when every name is known.

        Examples
        --------
        >>> NetworkSpec(drop_features=("agee",)).unknown_names(["age", "hours_per_week"], [])
        ["drop_features: 'agee' is not a feature of the data. Did you mean 'age'?"]
        """
        out = [
            f"drop_features: {f!r} is not a feature of the data.{did_you_mean(f, features)}"
            for f in self.drop_features
            if f not in features
        ]
        for rule in self.rule_modes:
            if rule not in soft_rules:
                known = (
                    f" The soft rules are: {', '.join(soft_rules)}." if soft_rules else " The rules have no soft rule."
                )
                out.append(f"rule_modes: {rule!r} is not a soft rule.{did_you_mean(rule, soft_rules) or known}")
        return out

    def architecture(self, layout: InputLayout) -> Architecture | AdditiveArchitecture:
        """The network shape this spec gives on a task's inputs.

        Parameters
        ----------
        layout : InputLayout
            The task's inputs (``task.layout``): features, knowledge neurons, monotone features.

        Returns
        -------
        Architecture or AdditiveArchitecture
            The MLP or glass-box shape, without the dropped features and with the knowledge
            neurons of the rules in ``neuron`` or ``both`` mode.
        """
        if self.family == "additive":
            return self._additive(layout)
        dropped = set(self.drop_features)
        return Architecture(
            encoding=self.numeric_encoding,
            numeric=tuple(f for f in layout.free_numeric if f not in dropped),
            categorical=tuple(f for f in layout.categorical if f not in dropped),
            embedding_dim=self.embedding_dim,
            neurons=tuple(n.rule for n in layout.neurons if self.mode(n.rule) in ("neuron", "both")),
            widths=tuple(layer.width for layer in self.layers),
            activations=tuple(layer.activation for layer in self.layers),
            residual=tuple(layer.block == "residual" for layer in self.layers),
            monotone_width=self.monotone_width,
            monotone_curves=self.monotone_curves,
        )

    def _additive(self, layout: InputLayout) -> AdditiveArchitecture:
        dropped = set(self.drop_features)
        return AdditiveArchitecture(
            numeric=tuple(f for f in layout.numeric if f in layout.monotone or f not in dropped),
            categorical=tuple(f for f in layout.categorical if f not in dropped),
            neurons=tuple(n.rule for n in layout.neurons if self.mode(n.rule) in ("neuron", "both")),
            pairs=canonical_pairs(self.pairs, layout),
            shape_bins=min(self.shape_bins, layout.shape_bins),
            pair_bins=min(self.pair_bins, layout.shape_bins),
        )

    def loss_rules(self, soft_ids: tuple[str, ...]) -> tuple[str, ...]:
        """Soft rules trained with a rule loss.

        Parameters
        ----------
        soft_ids : tuple of str
            The task's soft-rule ids (``task.compiled.soft_ids``).

        Returns
        -------
        tuple of str
            Those in ``loss`` or ``both`` mode, in the given order.
        """
        return tuple(r for r in soft_ids if self.mode(r) in ("loss", "both"))

    def to_dict(self, *, used_only: bool = False) -> dict[str, Any]:
        """The fields as plain data (JSON types).

        Parameters
        ----------
        used_only : bool, default=False
            Leave out the fields the family does not use (an MLP's layers for a glass box,
            a glass box's pairs and bins for an MLP): what a reader of the report needs.

        Returns
        -------
        dict
            Field name → value; :meth:`from_dict` reads it back.
        """
        d = asdict(self)
        d["layers"] = [asdict(layer) for layer in self.layers]
        d["drop_features"] = list(self.drop_features)
        d["pairs"] = [list(p) for p in self.pairs]
        if used_only:
            unused = MLP_ONLY_FIELDS if self.family == "additive" else ADDITIVE_ONLY_FIELDS
            d = {k: v for k, v in d.items() if k not in unused}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None, where: str = "architecture") -> NetworkSpec:
        """Build and validate; every problem is listed with the allowed values.

        Parameters
        ----------
        d : dict or None
            NetworkSpec fields as plain data (e.g. ``architecture=`` or a model file's
            ``spec``); ``layers`` may be widths or ``{width, activation, block}`` mappings,
            lists stand for tuples. None gives the defaults.
        where : str, default="architecture"
            Prefix of the error message (where the mapping came from).

        Returns
        -------
        NetworkSpec

        Raises
        ------
        ConfigError
            Listing every unknown key (with "did you mean") and every invalid value.
        """
        if d is not None and not isinstance(d, dict):
            raise ConfigError(f"{where}: must be a mapping of NetworkSpec fields, got {type(d).__name__}")
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        problems: list[str] = []
        for k in list(d):
            if k not in names:
                problems.append(f"unknown key {k!r}.{did_you_mean(str(k), names)}")
                d.pop(k)
        layers = _layers(d.pop("layers", None), problems)
        if "drop_features" in d:
            drop = d["drop_features"]
            d["drop_features"] = tuple(drop) if isinstance(drop, (list, tuple)) else drop
        if "pairs" in d:
            d["pairs"] = _pairs(d["pairs"], problems)
        if "rule_modes" in d and d["rule_modes"] is not None and not isinstance(d["rule_modes"], dict):
            problems.append("rule_modes must map soft-rule ids to loss | neuron | both | off")
            d.pop("rule_modes")
        if problems:
            raise ConfigError(f"{where}: " + "; ".join(problems))
        if layers is not None:
            d["layers"] = layers
        spec = cls(**d)
        problems += spec.problems()
        if problems:
            raise ConfigError(f"{where}: " + "; ".join(problems))
        return spec

    def problems(self) -> list[str]:
        """Every invalid field, with the allowed values or range."""
        p: list[str] = []
        for i, layer in enumerate(self.layers):
            p += _int_in(f"layers[{i}].width", layer.width, 1, MAX_WIDTH)
            p += _choice(f"layers[{i}].activation", layer.activation, ACTIVATIONS)
            p += _choice(f"layers[{i}].block", layer.block, BLOCKS)
        if not self.layers:
            p.append("layers must hold at least one layer")
        p += _choice("family", self.family, FAMILIES)
        p += _choice("numeric_encoding", self.numeric_encoding, ENCODINGS)
        p += _choice("default_rule_mode", self.default_rule_mode, INJECTION_MODES)
        p += _choice("rule_loss", self.rule_loss, RULE_LOSSES)
        for rid, m in self.rule_modes.items():
            p += _choice(f"rule_modes[{rid!r}]", m, INJECTION_MODES)
        for name, lo, hi in (
            ("n_frequencies", 1, 256),
            ("periodic_dim", 1, 256),
            ("n_bins", 1, 256),
            ("batch_size", 1, 1 << 20),
            ("max_epochs", 1, 100_000),
            ("patience", 1, 100_000),
            ("monotone_width", 2, MAX_WIDTH),
            ("members", 1, MAX_MEMBERS),
            ("monotone_curves", 0, 256),
            ("embedding_dim", 0, 256),
            ("shape_bins", 1, 256),
            ("pair_bins", 1, 256),
        ):
            p += _int_in(name, getattr(self, name), lo, hi)
        floats: tuple[tuple[str, float, float], ...] = (
            ("frequency_scale", 1e-6, 1e3),
            ("learning_rate", 1e-7, 1.0),
            ("neuron_sharpness", 1e-3, 1e3),
            ("rule_lambda", 0.0, 1e3),
            ("weight_decay", 0.0, 10.0),
            ("kbann_weight", 0.0, 1e3),
            ("dropout", 0.0, 0.95),
            ("ema_decay", 0.0, 0.9999),
        )
        for name, flo, fhi in floats:
            p += _float_in(name, getattr(self, name), flo, fhi)
        if not isinstance(self.shield, bool):
            p.append(f"shield must be true or false; got {self.shield!r}")
        if not all(isinstance(f, str) for f in self.drop_features) or not isinstance(self.drop_features, tuple):
            p.append("drop_features must be a list of feature names")
        if self.pairs and self.family != "additive":
            p.append("pairs belong to the additive family; set family: additive or remove pairs")
        return p


def _pairs(value: Any, problems: list[str]) -> tuple[tuple[str, str], ...]:
    ok = isinstance(value, (list, tuple)) and all(
        isinstance(q, (list, tuple)) and len(q) == 2 and all(isinstance(f, str) for f in q) for q in value
    )
    if not ok:
        problems.append("pairs must be a list of feature pairs, e.g. [[age, hours_per_week]]")
        return ()
    return tuple((str(q[0]), str(q[1])) for q in value)


def canonical_pairs(pairs: tuple[tuple[str, str], ...], layout: InputLayout) -> tuple[tuple[str, str], ...]:
    """Pairs in the layout's input order (each pair and the list), duplicates dropped;
    ConfigError for features the network does not read (unknown or excluded) or f×f."""
    order = {f: i for i, f in enumerate((*layout.numeric, *layout.categorical))}
    out: dict[tuple[str, str], None] = {}
    for f, g in pairs:
        for name in (f, g):
            if name not in order:
                raise ConfigError(
                    f"pairs: {name!r} is not an input of the network (unknown or excluded).{did_you_mean(name, order)}"
                )
        if f == g:
            raise ConfigError(f"pairs: a pair needs two different features; got [{f}, {g}]")
        a, b = sorted((f, g), key=order.__getitem__)
        out[(a, b)] = None
    return tuple(sorted(out, key=lambda q: (order[q[0]], order[q[1]])))


def _layers(value: Any, problems: list[str]) -> tuple[LayerSpec, ...] | None:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        problems.append("'layers' must be a list of widths or of {width, activation, block}")
        return None
    built = []
    for i, layer in enumerate(value):
        if isinstance(layer, LayerSpec):
            built.append(layer)
            continue
        if isinstance(layer, int) and not isinstance(layer, bool):
            layer = {"width": layer}
        if not isinstance(layer, dict):
            problems.append(f"layers[{i}] must be a width or a mapping {{width, activation, block}}")
            continue
        bad = set(layer) - {"width", "activation", "block"}
        if bad:
            problems.append(f"layers[{i}]: unknown key(s) {sorted(bad)} (allowed: width, activation, block)")
            continue
        built.append(LayerSpec(**layer))
    return tuple(built)


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> list[str]:
    if value in allowed:
        return []
    return [f"{name} must be one of {', '.join(allowed)}; got {value!r}.{did_you_mean(str(value), allowed)}"]


def _int_in(name: str, value: Any, lo: int, hi: int) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return [f"{name} must be an integer in [{lo}, {hi:,}]; got {value!r}"]
    return []


def _float_in(name: str, value: Any, lo: float, hi: float) -> list[str]:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        return [f"{name} must be a number in [{lo:g}, {hi:g}]; got {value!r}"]
    return []
