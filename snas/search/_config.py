"""Experiment configurations (``search/*.yaml``): validated, with every problem listed."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from snas._util import did_you_mean
from snas._yaml import read_yaml
from snas.exceptions import ConfigError

__all__ = ["Budget", "ExperimentConfig", "Selection", "SpaceBounds", "load_config", "parse_budget"]

STRATEGIES = ("evolution", "gradient", "evolution+gradient", "random")
METRICS = ("accuracy", "roc_auc")


@dataclass(frozen=True)
class Budget:
    """Stop at whichever comes first: ``seconds`` of wall-clock or ``trials`` evaluated candidates."""

    seconds: float | None = None
    trials: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"{self.seconds:g}s")
        if self.trials is not None:
            parts.append(f"{self.trials} trials")
        return " or ".join(parts) or "unlimited"


def parse_budget(text: str | int | float | dict[str, Any] | None) -> Budget:
    """``'90s'``, ``'8min'``, ``'1h'``, ``'40trials'``, ``'5min,40trials'`` or {time, trials}."""
    if text is None:
        return Budget()
    if isinstance(text, dict):
        b = Budget()
        if text.get("time") is not None:
            b = replace(b, seconds=parse_budget(str(text["time"])).seconds)
        if text.get("trials") is not None:
            b = replace(b, trials=int(text["trials"]))
        return b
    if isinstance(text, (int, float)):
        return Budget(trials=int(text))
    seconds = trials = None
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(s|sec|m|min|h|trials?)", part)
        if not m:
            raise ConfigError(f"budget {text!r}: write e.g. '90s', '8min', '1h', '40trials' or '5min,40trials'")
        v, unit = float(m.group(1)), m.group(2)
        if unit.startswith("trial"):
            trials = int(v)
        else:
            seconds = v * {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[unit]
    return Budget(seconds=seconds, trials=trials)


@dataclass(frozen=True)
class SpaceBounds:
    """The search space: what each gene may take."""

    max_depth: int = 3
    widths: tuple[int, ...] = (8, 16, 32, 64, 128, 256)
    activations: tuple[str, ...] = ("relu", "gelu", "silu")
    blocks: tuple[str, ...] = ("linear", "residual")
    dropout: tuple[float, float] = (0.0, 0.3)
    encodings: tuple[str, ...] = ("standard", "ple", "periodic")
    embedding_dims: tuple[int, ...] = (0, 2, 4, 8)  # 0 = one-hot (no trainable parameters)
    monotone_widths: tuple[int, ...] = (2, 4, 8, 16, 32)
    monotone_curves: tuple[int, ...] = (0, 2, 4, 8)
    members: tuple[int, ...] = (1, 3)  # ensemble members (each trained on its own split)
    frequency_scale: tuple[float, float] = (0.3, 10.0)
    rule_modes: tuple[str, ...] = ("loss", "neuron", "both", "off")
    rule_lambda: tuple[float, float] = (0.01, 3.0)
    learning_rate: tuple[float, float] = (5e-4, 5e-3)
    weight_decay: tuple[float, float] = (1e-6, 1e-3)
    # the gradient inner loop's scalarisation: loss + w · expected parameters / maximum
    complexity_weight: tuple[float, float] = (1e-3, 0.1)


@dataclass(frozen=True)
class Selection:
    """Which front member becomes *the* model: best validation metric among those meeting
    the minimum F_soft and the maximum parameter count (falls back to the best overall)."""

    min_f_soft: float | None = None
    max_parameters: int | None = None


@dataclass(frozen=True)
class Screening:
    """Low-fidelity screening: a subsample and few epochs; non-dominated screens get full training."""

    enabled: bool = True
    subsample: float = 0.35
    epochs: int = 4
    startup: int = 4


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything a search needs (paths resolved relative to the config file)."""

    dataset: str
    rules: str | None
    name: str = "search"
    seed: int = 0
    strategy: str = "evolution+gradient"
    budget: Budget = Budget(seconds=480)
    metric: str = "accuracy"
    validation_fraction: float = 0.2
    min_f_soft: float | None = None
    population_size: int = 8
    space: SpaceBounds = SpaceBounds()
    screening: Screening = Screening()
    selection: Selection = Selection()
    storage: str | None = None
    gradient_epochs: int = 4
    final_epochs: int = 40
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["budget"] = {"seconds": self.budget.seconds, "trials": self.budget.trials}
        return d

    def with_overrides(self, **kw: Any) -> ExperimentConfig:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


_TOP = {
    "snas_search",
    "name",
    "dataset",
    "rules",
    "seed",
    "strategy",
    "budget",
    "metric",
    "validation_fraction",
    "constraints",
    "population_size",
    "space",
    "screening",
    "selection",
    "storage",
    "gradient",
    "final_epochs",
    "description",
}


def _tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def load_config(path: str | Path) -> ExperimentConfig:
    """Read ``search/*.yaml``; raises ConfigError listing every problem with 'did you mean'."""
    doc = read_yaml(path, ConfigError)
    d = doc.data
    base = Path(path).resolve().parent
    problems: list[str] = []

    def where(*keys: str) -> str:
        loc = doc.locate(*keys)
        return f"{loc}" if loc else str(path)

    if not isinstance(d, dict) or d.get("snas_search") != 1:
        raise ConfigError(f"{path}: a search configuration starts with 'snas_search: 1'")
    for k in d:
        if k not in _TOP:
            problems.append(f"{where(k)}: unknown key {k!r}.{did_you_mean(str(k), _TOP)}")
    if "dataset" not in d:
        problems.append(f"{path}: 'dataset' is required (a name such as census_income or a manifest path)")
    strategy = d.get("strategy", "evolution+gradient")
    if strategy not in STRATEGIES:
        problems.append(
            f"{where('strategy')}: strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}.{did_you_mean(str(strategy), STRATEGIES)}"
        )
    metric = d.get("metric", "accuracy")
    if metric not in METRICS:
        problems.append(
            f"{where('metric')}: metric must be one of {', '.join(METRICS)}; got {metric!r}.{did_you_mean(str(metric), METRICS)}"
        )
    budget = Budget(seconds=480)
    try:
        if "budget" in d:
            budget = parse_budget(d["budget"])
    except ConfigError as exc:
        problems.append(f"{where('budget')}: {exc}")
    vf = d.get("validation_fraction", 0.2)
    if not isinstance(vf, (int, float)) or not 0.05 <= vf <= 0.5:
        problems.append(f"{where('validation_fraction')}: validation_fraction must be in [0.05, 0.5]; got {vf!r}")
    space = SpaceBounds()
    if "space" in d:
        s = d["space"] or {}
        allowed = {f for f in SpaceBounds.__dataclass_fields__}
        for k, v in s.items():
            if k not in allowed:
                problems.append(f"{where('space', k)}: unknown gene {k!r}.{did_you_mean(str(k), allowed)}")
            else:
                if k == "rule_modes":  # YAML 1.1 reads a bare `off` as false
                    v = ["off" if x is False else x for x in _tuple(v)]
                value: Any = _tuple(v) if k != "max_depth" else int(v)
                space = replace(space, **{k: value})
        from snas.nn._spec import ACTIVATIONS, BLOCKS, ENCODINGS, INJECTION_MODES

        for gene, values, allowed_values in (
            ("activations", space.activations, ACTIVATIONS),
            ("blocks", space.blocks, BLOCKS),
            ("encodings", space.encodings, ENCODINGS),
            ("rule_modes", space.rule_modes, INJECTION_MODES),
        ):
            for v in values:
                if v not in allowed_values:
                    problems.append(
                        f"{where('space', gene)}: {v!r} is not one of {', '.join(allowed_values)}.{did_you_mean(str(v), allowed_values)}"
                    )
        if not 1 <= space.max_depth <= 8:
            problems.append(f"{where('space', 'max_depth')}: max_depth must be between 1 and 8")
        if any((not isinstance(w, int)) or w < 2 for w in space.widths):
            problems.append(f"{where('space', 'widths')}: widths must be integers >= 2")
        if any((not isinstance(m, int)) or not 1 <= m <= 16 for m in space.members):
            problems.append(f"{where('space', 'members')}: members must be integers between 1 and 16")
    screening = Screening()
    if "screening" in d:
        sc = d["screening"] or {}
        if sc is False:
            screening = Screening(enabled=False)
        else:
            for k, v in sc.items():
                if k not in Screening.__dataclass_fields__:
                    problems.append(
                        f"{where('screening', k)}: unknown key {k!r}.{did_you_mean(str(k), Screening.__dataclass_fields__)}"
                    )
                else:
                    screening = replace(screening, **{k: v})
    selection = Selection()
    if "selection" in d:
        se = d["selection"] or {}
        for k, v in se.items():
            if k not in Selection.__dataclass_fields__:
                problems.append(
                    f"{where('selection', k)}: unknown key {k!r}.{did_you_mean(str(k), Selection.__dataclass_fields__)}"
                )
            else:
                selection = replace(selection, **{k: v})
    cons = d.get("constraints") or {}
    min_f_soft = cons.get("min_f_soft")
    for k in cons:
        if k != "min_f_soft":
            problems.append(
                f"{where('constraints', k)}: unknown constraint {k!r}.{did_you_mean(str(k), ['min_f_soft'])}"
            )
    grad = d.get("gradient") or {}
    if problems:
        raise ConfigError(f"{path}: {len(problems)} problem(s):\n  " + "\n  ".join(problems))

    def resolve(p: str | None) -> str | None:
        if p is None:
            return None
        q = Path(p)
        if q.suffix in (".yaml", ".yml") and not q.is_absolute():
            q = base / q
            return str(q)
        return p

    return ExperimentConfig(
        dataset=resolve(str(d["dataset"])) or "",
        rules=resolve(d.get("rules")),
        name=str(d.get("name", Path(path).stem)),
        seed=int(d.get("seed", 0)),
        strategy=strategy,
        budget=budget,
        metric=metric,
        validation_fraction=float(vf),
        min_f_soft=min_f_soft,
        population_size=int(d.get("population_size", 8)),
        space=space,
        screening=screening,
        selection=selection,
        storage=d.get("storage"),
        gradient_epochs=int(grad.get("epochs", 4)),
        final_epochs=int(d.get("final_epochs", 40)),
        source=str(Path(path)),
    )
