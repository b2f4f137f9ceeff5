"""NetworkSpec: the architecture (a genome, as a plain dict) validated with clear messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from snas._util import did_you_mean
from snas.exceptions import ConfigError

__all__ = ["ACTIVATIONS", "INJECTION_MODES", "LayerSpec", "NetworkSpec"]

ACTIVATIONS = ("relu", "gelu", "silu", "tanh", "selu")
BLOCKS = ("linear", "residual")
ENCODINGS = ("standard", "ple", "periodic")
NORMS = ("none", "batch", "layer")
INJECTION_MODES = ("loss", "neuron", "both", "off")
RULE_LOSSES = ("log-product", "lukasiewicz", "godel")


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer (or residual block)."""

    width: int = 256
    activation: str = "relu"
    block: str = "linear"
    dropout: float = 0.1


@dataclass(frozen=True)
class NetworkSpec:
    """Architecture and training choices of one candidate network.

    ``rule_modes`` maps soft-rule ids to ``loss | neuron | both | off``; rules not named
    use ``default_rule_mode``. ``shield=False`` exists only for ablations: it voids the
    hard-rule guarantee. ``ema_decay`` keeps an exponential moving average of the weights
    for validation and the final model (0 turns it off). ``members`` > 1 trains that many
    copies, each with its own seed and validation split, and averages their logits.
    """

    layers: tuple[LayerSpec, ...] = (LayerSpec(256), LayerSpec(256))
    numeric_encoding: str = "periodic"
    n_frequencies: int = 24
    frequency_scale: float = 3.0
    periodic_dim: int = 16
    n_bins: int = 16
    embedding_dim: int = 8
    normalization: str = "none"
    monotone_width: int = 32
    monotone_curves: int = 8
    default_rule_mode: str = "both"
    rule_modes: dict[str, str] = field(default_factory=dict)
    inject_at: int = 0
    kbann: bool = True
    kbann_weight: float = 2.0
    neuron_sharpness: float = 8.0
    rule_loss: str = "log-product"
    rule_lambda: float = 0.5
    shield: bool = True
    drop_features: tuple[str, ...] = ()
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    ema_decay: float = 0.99
    members: int = 1
    batch_size: int = 512
    max_epochs: int = 40
    patience: int = 6

    def mode(self, rule_id: str) -> str:
        return self.rule_modes.get(rule_id, self.default_rule_mode)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["layers"] = [asdict(layer) for layer in self.layers]
        d["drop_features"] = list(self.drop_features)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None, where: str = "architecture") -> NetworkSpec:
        """Build and validate; every problem is listed with the allowed values."""
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        problems: list[str] = []
        for k in list(d):
            if k not in names:
                problems.append(f"unknown key {k!r}.{did_you_mean(k, names)}")
                d.pop(k)
        layers = d.pop("layers", None)
        if layers is not None:
            if not isinstance(layers, (list, tuple)):
                problems.append("'layers' must be a list of {width, activation, block, dropout}")
                layers = None
            else:
                built = []
                for i, layer in enumerate(layers):
                    if isinstance(layer, LayerSpec):
                        built.append(layer)
                        continue
                    if isinstance(layer, int):
                        layer = {"width": layer}
                    bad = set(layer) - {"width", "activation", "block", "dropout"}
                    if bad:
                        problems.append(f"layers[{i}]: unknown key(s) {sorted(bad)}")
                        continue
                    built.append(LayerSpec(**layer))
                layers = tuple(built)
        if "drop_features" in d:
            d["drop_features"] = tuple(d["drop_features"] or ())
        spec = cls(**d, **({"layers": layers} if layers is not None else {}))
        problems += spec._problems()
        if problems:
            raise ConfigError(f"{where}: " + "; ".join(problems))
        return spec

    def _problems(self) -> list[str]:
        p: list[str] = []

        def choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
            if value not in allowed:
                p.append(
                    f"{name} must be one of {', '.join(allowed)}; got {value!r}.{did_you_mean(str(value), allowed)}"
                )

        for i, layer in enumerate(self.layers):
            if not isinstance(layer.width, int) or layer.width < 1:
                p.append(f"layers[{i}].width must be an int >= 1; got {layer.width!r}")
            choice(f"layers[{i}].activation", layer.activation, ACTIVATIONS)
            choice(f"layers[{i}].block", layer.block, BLOCKS)
            if not 0 <= layer.dropout < 1:
                p.append(f"layers[{i}].dropout must be in [0, 1); got {layer.dropout!r}")
        choice("numeric_encoding", self.numeric_encoding, ENCODINGS)
        choice("normalization", self.normalization, NORMS)
        choice("default_rule_mode", self.default_rule_mode, INJECTION_MODES)
        choice("rule_loss", self.rule_loss, RULE_LOSSES)
        for rid, m in self.rule_modes.items():
            choice(f"rule_modes[{rid!r}]", m, INJECTION_MODES)
        counts = ("n_frequencies", "periodic_dim", "n_bins", "batch_size", "max_epochs", "monotone_width", "members")
        for name in counts:
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                p.append(f"{name} must be an int >= 1; got {v!r}")
        if not isinstance(self.monotone_curves, int) or self.monotone_curves < 0:
            p.append(f"monotone_curves must be an int >= 0; got {self.monotone_curves!r}")
        if not isinstance(self.embedding_dim, int) or self.embedding_dim < 0:
            p.append(f"embedding_dim must be an int >= 0 (0 = one-hot); got {self.embedding_dim!r}")
        for name in ("frequency_scale", "learning_rate", "neuron_sharpness"):
            if not getattr(self, name) > 0:
                p.append(f"{name} must be > 0; got {getattr(self, name)!r}")
        if not 0 <= self.ema_decay < 1:
            p.append(f"ema_decay must be in [0, 1) (0 = no weight averaging); got {self.ema_decay!r}")
        for name in ("rule_lambda", "weight_decay"):
            if not getattr(self, name) >= 0:
                p.append(f"{name} must be >= 0; got {getattr(self, name)!r}")
        if not 0 <= self.inject_at <= len(self.layers):
            p.append(f"inject_at must be between 0 and the number of layers ({len(self.layers)}); got {self.inject_at}")
        return p
