"""Experiment configurations (``search/*.yaml`` or a dict): validated in one place, for the
CLI and for ``SNASClassifier(search=…, budget=…)`` alike, with every problem listed.

Each section is a frozen dataclass; each field has one check that names the field, the
allowed values or range and the bad value ("did you mean" for names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from snas._checks import Invalid, as_bool, as_choice, as_choices, as_float, as_int, as_int_list, as_range
from snas._util import did_you_mean
from snas.exceptions import ConfigError

__all__ = [
    "Budget",
    "EvolutionSettings",
    "ExperimentConfig",
    "GradientSettings",
    "Selection",
    "SpaceBounds",
    "StandaloneSettings",
    "SupernetSettings",
    "config_from_mapping",
    "load_config",
    "parse_budget",
]

MAX_WORKERS = 64  # worker processes per search at most (configured or one per core)

STRATEGIES = ("evolution+gradient", "evolution", "gradient", "random")
METRICS = ("accuracy", "roc_auc")
MAX_SECONDS = 7 * 24 * 3600
MAX_TRIALS = 100_000
MAX_SEARCH_SHARE = 0.75  # supernet + evolution; stand-alone training and the refit (12%) need the rest


@dataclass(frozen=True)
class Budget:
    """Stop at whichever comes first: ``seconds`` of wall clock (a deadline for search and
    refit) or ``trials`` stand-alone trainings."""

    seconds: float | None = None
    trials: int | None = None

    def __str__(self) -> str:
        parts = []
        if self.seconds is not None:
            parts.append(f"{self.seconds:g}s")
        if self.trials is not None:
            parts.append(f"{self.trials} trials")
        return " or ".join(parts) or "unlimited"


def parse_budget(text: str | int | dict[str, Any]) -> Budget:
    """``'90s'``, ``'8min'``, ``'1h'``, ``'40trials'``, ``'5min,40trials'`` or {time, trials}.

    Each unit at most once (``'5min,10min'`` is refused, not read as 10 minutes); null is
    refused (omit the key for the default budget).
    """
    if text is None:
        raise ConfigError(
            "budget: null is not a budget; omit the key for the default (7min) or give one such as "
            "'7min', '40trials' or {time: 7min, trials: 40}"
        )
    if isinstance(text, dict):
        return _budget_of_mapping(text)
    if isinstance(text, int) and not isinstance(text, bool):
        return Budget(trials=_trials(text))
    seconds = trials = None
    for part in str(text).replace(" ", "").split(","):
        m = re.fullmatch(r"(\d{1,9}(?:\.\d{1,6})?)(s|sec|m|min|h|trials?)", part)
        if not m:
            raise ConfigError(
                f"budget {str(text)[:60]!r}: write e.g. '90s', '8min', '1h', '40trials' or '5min,40trials'"
            )
        v, unit = float(m.group(1)), m.group(2)
        if unit.startswith("trial"):
            if trials is not None:
                raise ConfigError(
                    f"budget {str(text)[:60]!r}: trials given twice; give one count, e.g. '5min,40trials'"
                )
            trials = _trials(v)
        else:
            if seconds is not None:
                raise ConfigError(f"budget {str(text)[:60]!r}: a time given twice; give one, e.g. '5min,40trials'")
            seconds = v * {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}[unit]
            if not 1 <= seconds <= MAX_SECONDS:
                raise ConfigError(f"budget {text!r}: the time must be between 1 second and 7 days")
    return Budget(seconds=seconds, trials=trials)


def _budget_of_mapping(text: dict[str, Any]) -> Budget:
    """The {time, trials} form of a budget."""
    unknown = set(text) - {"time", "trials"}
    if unknown:
        key = sorted(map(str, unknown))[0]
        raise ConfigError(
            f"budget: unknown key {key!r}.{did_you_mean(key, ['time', 'trials'])} Use {{time: 7min, trials: 40}}"
        )
    for key in ("time", "trials"):
        if key in text and text[key] is None:
            raise ConfigError(f"budget: {key}: null is not a limit; omit '{key}' or give one (e.g. 7min, 40)")
    seconds = None
    if "time" in text:
        timed = parse_budget(str(text["time"]))
        if timed.trials is not None or timed.seconds is None:
            raise ConfigError(f"budget: time {str(text['time'])[:60]!r} is not a time; write e.g. 90s, 8min or 1h")
        seconds = timed.seconds
    trials = _trials(text["trials"]) if "trials" in text else None
    if seconds is None and trials is None:
        raise ConfigError("budget: give 'time' (e.g. 7min) and/or 'trials' (e.g. 40)")
    return Budget(seconds, trials)


def _trials(v: Any) -> int:
    try:
        return as_int("budget trials", v, 1, MAX_TRIALS)
    except Invalid as exc:
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True)
class SpaceBounds:
    """The search space: what each architecture gene may take, and the training-recipe ranges.

    ``families`` is a gene: ``mlp`` networks and ``additive`` glass boxes (one shape per
    input, at most ``max_pairs`` pairwise terms chosen among the ``pair_candidates`` best
    ranked once per task, knowledge neurons as terms; ``shape_bins`` and ``pair_bins`` are
    the bin counts of a numeric shape and of a pair's numeric side, each dividing the largest).
    Feature and neuron genes are shared by both families; both are searched unless
    ``families`` names one (SNASClassifier's fixed default network is a glass box).
    """

    families: tuple[str, ...] = ("mlp", "additive")
    max_depth: int = 3
    widths: tuple[int, ...] = (8, 16, 32, 64, 128, 256)
    activations: tuple[str, ...] = ("relu", "gelu", "silu")
    blocks: tuple[str, ...] = ("linear", "residual")
    encodings: tuple[str, ...] = ("standard", "ple", "periodic")
    embedding_dims: tuple[int, ...] = (0, 2, 4, 8)  # 0 = one-hot (no trainable parameters)
    monotone_widths: tuple[int, ...] = (2, 4, 8, 16, 32)
    monotone_curves: tuple[int, ...] = (0, 2, 4, 8)
    feature_selection: bool = True  # inputs are genes (monotonic features always stay)
    neurons: bool = True  # each soft rule's knowledge neuron is a gene
    complexity_weight: tuple[float, float] = (1e-3, 0.1)  # the gradient inner loop's size penalty
    members: tuple[int, ...] = (1, 3)  # ensemble sizes tried for the best stand-alone candidates
    learning_rate: tuple[float, float] = (5e-4, 1e-2)  # up to the default glass box's rate
    weight_decay: tuple[float, float] = (1e-6, 1e-3)
    dropout: tuple[float, float] = (0.0, 0.3)
    rule_lambda: tuple[float, float] = (0.01, 3.0)
    frequency_scale: tuple[float, float] = (0.3, 10.0)
    shape_bins: tuple[int, ...] = (16, 32, 64)
    pair_bins: tuple[int, ...] = (2, 4, 8)
    max_pairs: int = 10
    pair_candidates: int = 20


@dataclass(frozen=True)
class SupernetSettings:
    """The weight-sharing supernet: epochs (stopped earlier by its share of a time budget),
    sub-networks per step (the largest, the smallest and random ones) and its optimiser."""

    epochs: int = 30
    paths: int = 4
    batch_size: int = 512
    learning_rate: float = 2e-3
    share: float = 0.35


@dataclass(frozen=True)
class EvolutionSettings:
    """The outer loop over architectures evaluated with inherited weights."""

    population_size: int = 48
    generations: int = 60
    share: float = 0.15


@dataclass(frozen=True)
class GradientSettings:
    """The gradient inner loop: steps of Gumbel/straight-through refinement per candidate.

    Adam moves a gate's logit by about ``learning_rate`` per step and gates start at 2.0, so
    ``steps × learning_rate`` must exceed 2 for any input or pair to be dropped (16 × 0.1
    never dropped one). 8 steps at 0.3 were chosen on validation rows of the seed-0 supernet
    (60 random architectures): a third of the refined genomes dominate their proposal, at
    two thirds of the cost of 16 steps.
    """

    steps: int = 8
    learning_rate: float = 0.3


@dataclass(frozen=True)
class StandaloneSettings:
    """Stand-alone training of the best architectures with successive halving: ``candidates``
    trained for ``low_epochs`` with ``recipes`` training recipes each (one batched run), the
    best 1/``eta`` trained fully (``epochs``, early stopping), then ensembles of the
    ``ensemble_top`` most accurate. ``inherit`` starts from the supernet's weights."""

    candidates: int = 32
    eta: int = 2
    low_epochs: int = 6
    recipes: int = 2
    epochs: int = 40
    ensemble_top: int = 1
    inherit: bool = True


@dataclass(frozen=True)
class Selection:
    """Which front member becomes *the* model: best validation metric among those meeting
    the minimum F_soft and the maximum parameter count (falls back to the best overall).
    With ``ensemble: N`` the final model is instead a weighted ensemble of N greedy picks
    (on validation log-loss) from the stand-alone candidates that meet the policy, when they
    are two or more distinct models and meet the F_soft minimum together."""

    min_f_soft: float | None = None
    max_parameters: int | None = None
    ensemble: int = 0


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything a search needs (paths resolved relative to the config file)."""

    dataset: str
    rules: str | None
    name: str = "search"
    seed: int = 0
    strategy: str = "evolution+gradient"
    budget: Budget = Budget(seconds=420)
    metric: str = "accuracy"
    validation_fraction: float = 0.2
    min_f_soft: float | None = None
    space: SpaceBounds = SpaceBounds()
    supernet: SupernetSettings = SupernetSettings()
    evolution: EvolutionSettings = EvolutionSettings()
    gradient: GradientSettings = GradientSettings()
    standalone: StandaloneSettings = StandaloneSettings()
    selection: Selection = Selection()
    storage: str | None = None
    workers: int = 0  # 0 = one per CPU core (in-process under a time budget below a minute)
    refit: bool = True
    source: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["budget"] = {"seconds": self.budget.seconds, "trials": self.budget.trials}
        return d

    def with_overrides(self, **kw: Any) -> ExperimentConfig:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


# ---------------------------------------------------------------- field checks
Check = Callable[[str, Any], Any]


def _pos_range(lo: float, hi: float) -> Check:
    return lambda n, v: as_range(n, v, lo, hi, positive=True)


def _names(allowed: tuple[str, ...]) -> Check:
    return lambda n, v: as_choices(n, ["off" if x is False else x for x in v] if isinstance(v, list) else v, allowed)


def _space_checks() -> dict[str, Check]:
    from snas.nn import ACTIVATIONS, BLOCKS, ENCODINGS, FAMILIES

    return {
        "families": _names(FAMILIES),
        "max_depth": lambda n, v: as_int(n, v, 1, 8),
        "widths": lambda n, v: as_int_list(n, v, 2, 1024),
        "activations": _names(ACTIVATIONS),
        "blocks": _names(BLOCKS),
        "encodings": _names(ENCODINGS),
        "embedding_dims": lambda n, v: as_int_list(n, v, 0, 64),
        "monotone_widths": lambda n, v: as_int_list(n, v, 2, 256),
        "monotone_curves": lambda n, v: as_int_list(n, v, 0, 64),
        "feature_selection": as_bool,
        "neurons": as_bool,
        "complexity_weight": _pos_range(1e-6, 10.0),
        "members": lambda n, v: as_int_list(n, v, 1, 16),
        "learning_rate": _pos_range(1e-6, 1.0),
        "weight_decay": lambda n, v: as_range(n, v, 0.0, 1.0),
        "dropout": lambda n, v: as_range(n, v, 0.0, 0.9),
        "rule_lambda": lambda n, v: as_range(n, v, 0.0, 100.0),
        "frequency_scale": _pos_range(1e-3, 100.0),
        "shape_bins": lambda n, v: _dividing(n, as_int_list(n, v, 1, 64)),
        "pair_bins": lambda n, v: _dividing(n, as_int_list(n, v, 1, 64)),
        "max_pairs": lambda n, v: as_int(n, v, 0, 100),
        "pair_candidates": lambda n, v: as_int(n, v, 0, 1000),
    }


def _dividing(name: str, values: tuple[int, ...]) -> tuple[int, ...]:
    """Bin counts that share one supernet table: each must divide the largest."""
    top = max(values)
    bad = [v for v in values if top % v]
    if bad:
        raise Invalid(f"{name} must each divide the largest ({top}); {bad} do not (e.g. use 16, 32, 64)")
    return values


_SECTION_CHECKS: dict[str, dict[str, Check]] = {
    "supernet": {
        "epochs": lambda n, v: as_int(n, v, 1, 10_000),
        "paths": lambda n, v: as_int(n, v, 1, 16),
        "batch_size": lambda n, v: as_int(n, v, 8, 65_536),
        "learning_rate": lambda n, v: as_float(n, v, 0.0, 1.0, open_low=True),
        "share": lambda n, v: as_float(n, v, 0.0, 0.9, open_low=True),
    },
    "evolution": {
        "population_size": lambda n, v: as_int(n, v, 2, 10_000),
        "generations": lambda n, v: as_int(n, v, 1, 100_000),
        "share": lambda n, v: as_float(n, v, 0.0, 0.9, open_low=True),
    },
    "gradient": {
        "steps": lambda n, v: as_int(n, v, 1, 10_000),
        "learning_rate": lambda n, v: as_float(n, v, 0.0, 10.0, open_low=True),
    },
    "standalone": {
        "candidates": lambda n, v: as_int(n, v, 1, 10_000),
        "eta": lambda n, v: as_int(n, v, 1, 100),
        "low_epochs": lambda n, v: as_int(n, v, 1, 10_000),
        "recipes": lambda n, v: as_int(n, v, 1, 8),
        "epochs": lambda n, v: as_int(n, v, 1, 10_000),
        "ensemble_top": lambda n, v: as_int(n, v, 0, 100),
        "inherit": as_bool,
    },
    "selection": {
        "min_f_soft": lambda n, v: None if v is None else as_float(n, v, 0.0, 1.0),
        "max_parameters": lambda n, v: None if v is None else as_int(n, v, 1, 10**12),
        "ensemble": lambda n, v: as_int(n, v, 0, 100),
    },
}
_SECTION_TYPES = {
    "space": SpaceBounds,
    "supernet": SupernetSettings,
    "evolution": EvolutionSettings,
    "gradient": GradientSettings,
    "standalone": StandaloneSettings,
    "selection": Selection,
}
_TOP = (
    "snas_search",
    "name",
    "description",
    "dataset",
    "rules",
    "seed",
    "strategy",
    "budget",
    "metric",
    "validation_fraction",
    "constraints",
    "population_size",
    "final_epochs",
    "storage",
    "workers",
    "refit",
    *_SECTION_TYPES,
)


class _Failed:
    """What :meth:`_Reader.check` returns for a value that failed its check (never a setting)."""

    def __repr__(self) -> str:
        return "FAILED"


FAILED = _Failed()


class _Reader:
    """Collects every problem of one configuration, each with its position when known.

    A value that fails its check is recorded as a problem and never used: sections keep
    their defaults for it, so later checks (such as the sum of the shares) still run on
    valid values and every problem is reported together.
    """

    def __init__(self, source: str, locate: Callable[..., Any] | None) -> None:
        self.source = source
        self.locate = locate
        self.problems: list[str] = []
        self.failed: set[tuple[str, ...]] = set()  # the keys whose values failed their check

    def where(self, *keys: str) -> str:
        loc = self.locate(*keys) if self.locate else None
        return str(loc) if loc else self.source

    def check(self, keys: tuple[str, ...], fn: Check, value: Any) -> Any:
        """The checked value, or :data:`FAILED` (the problem recorded)."""
        try:
            return fn(".".join(keys), value)
        except (Invalid, ConfigError) as exc:
            self.problems.append(f"{self.where(*keys)}: {exc}")
            self.failed.add(keys)
            return FAILED

    def section(self, name: str, raw: Any, default: Any, checks: dict[str, Check]) -> Any:
        """``default`` with the valid values of mapping ``raw`` (None: the default as it is)."""
        if raw is None:
            return default
        if not isinstance(raw, dict):
            self.problems.append(f"{self.where(name)}: '{name}' must be a mapping of {', '.join(checks)}")
            return default
        values = {}
        for k, v in raw.items():
            if k not in checks:
                self.problems.append(f"{self.where(name, k)}: unknown key {k!r} in '{name}'.{_hint(str(k), checks)}")
                continue
            got = self.check((name, k), checks[k], v)
            if got is not FAILED:
                values[k] = got
        return replace(default, **values)

    def same(self, first: tuple[str, ...], second: tuple[str, ...], a: Any, b: Any) -> None:
        """Record a problem when one setting is given under two keys with different values
        (unless one of them already failed its check)."""
        if a != b and not {first, second} & self.failed:
            self.problems.append(
                f"{self.where(*second)}: {'.'.join(first)} and {'.'.join(second)} set the same value, given as "
                f"{_shown(a)} and {_shown(b)}; keep one of the two keys (or give both the same value)"
            )


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def _hint(word: str, allowed: Any) -> str:
    """'Did you mean …?' when a name is close, else the names to use."""
    return did_you_mean(word, allowed) or f" Use one of: {', '.join(allowed)}"


def _top_level(r: _Reader, d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k in d:
        if k not in _TOP:
            r.problems.append(f"{r.where(k)}: unknown key {k!r}.{_hint(str(k), _TOP)}")
    simple: dict[str, Check] = {
        "snas_search": _version,
        "name": lambda n, v: _text(n, v, 128),
        "description": lambda n, v: _text(n, v, 10_000),
        "seed": lambda n, v: as_int(n, v, 0, 2**31 - 1),
        "strategy": lambda n, v: as_choice(n, v, STRATEGIES),
        "budget": lambda n, v: parse_budget(v),
        "metric": lambda n, v: as_choice(n, v, METRICS),
        "validation_fraction": lambda n, v: as_float(n, v, 0.05, 0.5),
        "storage": lambda n, v: _text(n, v, 2048),
        "workers": lambda n, v: as_int(n, v, 0, MAX_WORKERS),
        "refit": as_bool,
        "dataset": lambda n, v: _text(n, v, 4096),
        "rules": lambda n, v: None if v is None else _text(n, v, 4096),
    }
    for k, fn in simple.items():
        if k in d:
            got = r.check((k,), fn, d[k])
            if got is not FAILED:
                out[k] = got
    return out


def _version(name: str, value: Any) -> int:
    """The format version: the integer 1 (``true`` or ``1.0`` are not versions)."""
    if type(value) is not int or value != 1:
        raise Invalid(f"{name} must be the integer 1 (the format version this snas reads); got {value!r:.60}")
    return value


def _text(name: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise Invalid(f"{name} must be non-empty text of at most {limit:,} characters; got {value!r:.60}")
    return value


def _sections(r: _Reader, d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    checks = {"space": _space_checks(), **_SECTION_CHECKS}
    for name, cls in _SECTION_TYPES.items():
        out[name] = r.section(name, d.get(name), cls(), checks[name])
    shorts = {"population_size": ("evolution", "population_size"), "final_epochs": ("standalone", "epochs")}
    for short, (section, key) in shorts.items():  # short forms of a section's setting
        if short not in d:
            continue
        got = r.check((short,), checks[section][key], d[short])
        if got is FAILED:
            continue
        raw = d.get(section)
        if isinstance(raw, dict) and key in raw:
            r.same((section, key), (short,), getattr(out[section], key), got)
        out[section] = replace(out[section], **{key: got})
    sn, ev = out["supernet"], out["evolution"]  # valid shares: a failed one keeps its default
    if sn.share + ev.share > MAX_SEARCH_SHARE:
        r.problems.append(
            f"{r.where('evolution')}: supernet.share + evolution.share is {sn.share + ev.share:g}; at most "
            f"{MAX_SEARCH_SHARE:g} leaves time for stand-alone training and the refit (defaults 0.35 + 0.15)"
        )
    cons = d.get("constraints")
    if cons is not None:
        cons = r.section("constraints", cons, Selection(), {"min_f_soft": checks["selection"]["min_f_soft"]})
        out["min_f_soft"] = cons.min_f_soft
        sel = d.get("selection")
        given = [isinstance(x, dict) and "min_f_soft" in x for x in (d["constraints"], sel)]
        if all(given):  # selection's would silently win (search/_result.select)
            r.same(
                ("constraints", "min_f_soft"), ("selection", "min_f_soft"), cons.min_f_soft, out["selection"].min_f_soft
            )
    return out


def config_from_mapping(
    d: Any, *, source: str = "search", base: Path | None = None, locate: Callable[..., Any] | None = None
) -> ExperimentConfig:
    """Validate a configuration mapping (the keys of ``search/*.yaml``); every problem is listed.

    Parameters
    ----------
    d : dict
        The configuration; ``dataset`` may be omitted when the data come from Python.
    source : str
        Named in messages (a file path, or e.g. ``SNASClassifier(search=…)``).
    base : Path, optional
        Relative ``dataset`` / ``rules`` manifest paths are resolved against it.
    locate : callable, optional
        ``locate(*keys)`` → the position (``path:line:column``) of the value under ``keys``,
        used in messages instead of ``source`` (:func:`load_config` passes the YAML file's).

    Returns
    -------
    ExperimentConfig

    Raises
    ------
    ConfigError
        Listing every problem (unknown keys with "did you mean", invalid values).

    Examples
    --------
    >>> config_from_mapping({"budget": "90s", "strategy": "evolution"}).budget.seconds
    90.0
    """
    if not isinstance(d, dict):
        raise ConfigError(f"{source}: a search configuration is a mapping (keys such as strategy, budget, space)")
    r = _Reader(source, locate)
    values = {**_top_level(r, d), **_sections(r, d)}
    if r.problems:
        raise ConfigError(f"{source}: {len(r.problems)} problem(s):\n  " + "\n  ".join(r.problems))
    values.setdefault("dataset", "<frame>")
    values.setdefault("rules", None)
    for key in ("dataset", "rules"):
        values[key] = _resolve(values[key], base)
    known = {f.name for f in fields(ExperimentConfig)}
    return ExperimentConfig(**{k: v for k, v in values.items() if k in known}, source=None)


def _resolve(p: str | None, base: Path | None) -> str | None:
    if p is None or base is None:
        return p
    q = Path(p)
    if q.suffix in (".yaml", ".yml") and not q.is_absolute():
        return str(base / q)
    return p


def load_config(path: str | Path) -> ExperimentConfig:
    """Read ``search/*.yaml``; raises ConfigError listing every problem with 'did you mean'.

    Parameters
    ----------
    path : str or Path
        The configuration file (starts with ``snas_search: 1``).

    Returns
    -------
    ExperimentConfig

    Examples
    --------
    >>> load_config("search/census_income.yaml").strategy  # doctest: +SKIP
    'evolution+gradient'
    """
    from snas._yaml import read_yaml

    doc = read_yaml(path, ConfigError)
    d = doc.data
    if not isinstance(d, dict) or type(d.get("snas_search")) is not int or d.get("snas_search") != 1:
        raise ConfigError(f"{path}: a search configuration starts with 'snas_search: 1'; write that as its first line")
    if "dataset" not in d:
        raise ConfigError(f"{path}: 'dataset' is required (a name such as census_income or a manifest path)")
    cfg = config_from_mapping(d, source=str(path), base=Path(path).resolve().parent, locate=doc.locate)
    return replace(cfg, name=cfg.name if "name" in d else Path(path).stem, source=str(Path(path)))
