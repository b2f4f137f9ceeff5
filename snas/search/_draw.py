"""How genes are drawn: through an optuna trial (the outer loop's sampler decides) or
uniformly at random (supernet paths, random baselines) — one interface, two sources."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["RandomDraw", "TrialDraw", "log_uniform", "near", "pair_gene"]


def near(values: tuple[Any, ...], target: Any) -> Any:
    """The value of ``values`` closest to ``target``."""
    return min(values, key=lambda v: abs(v - target))


def pair_gene(pair: tuple[str, str]) -> str:
    """The optuna parameter that switches a candidate pair on or off."""
    return f"pair_{pair[0]}×{pair[1]}"


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A draw uniform in log space between ``lo`` and ``hi``."""
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


class TrialDraw:
    """Genes drawn through an optuna trial."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def choice(self, name: str, options: tuple[Any, ...]) -> Any:
        return self.trial.suggest_categorical(name, list(options))

    def integer(self, name: str, lo: int, hi: int) -> int:
        return int(self.trial.suggest_int(name, lo, hi))

    def log_float(self, name: str, lo: float, hi: float) -> float:
        return float(self.trial.suggest_float(name, lo, hi, log=True))


class RandomDraw:
    """Genes drawn uniformly at random."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def choice(self, name: str, options: tuple[Any, ...]) -> Any:
        return options[int(self.rng.integers(len(options)))]

    def integer(self, name: str, lo: int, hi: int) -> int:
        return int(self.rng.integers(lo, hi + 1))

    def log_float(self, name: str, lo: float, hi: float) -> float:
        return log_uniform(self.rng, lo, hi)
