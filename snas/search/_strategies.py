"""Search strategies as objects: which optuna sampler proposes architectures (the outer
loop) and whether the gradient inner loop refines the promising ones on the supernet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from snas._util import did_you_mean
from snas.exceptions import ConfigError

__all__ = ["STRATEGIES", "Strategy", "strategy"]


@dataclass(frozen=True)
class Strategy:
    """A search strategy.

    Attributes
    ----------
    name : the name used in configurations.
    evolves : NSGA-II proposes architectures from the population so far (else uniform random).
    refines : the gradient inner loop refines (inputs kept, widths) on the frozen supernet
        each proposal no earlier evaluation dominates; the refined genome joins the
        population as the next individual unless the proposal dominates it.
    """

    name: str
    evolves: bool
    refines: bool

    def sampler(self, seed: int, population_size: int) -> Any:
        """The optuna sampler of the outer loop."""
        import optuna

        if self.evolves:
            return optuna.samplers.NSGAIISampler(population_size=population_size, seed=seed)
        return optuna.samplers.RandomSampler(seed=seed)


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("evolution+gradient", evolves=True, refines=True),
        Strategy("evolution", evolves=True, refines=False),
        Strategy("gradient", evolves=False, refines=True),
        Strategy("random", evolves=False, refines=False),
    )
}


def strategy(name: str) -> Strategy:
    """The strategy called ``name`` (ConfigError with the choices otherwise)."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(
            f"strategy must be one of {', '.join(STRATEGIES)}; got {name!r}.{did_you_mean(str(name), STRATEGIES)}"
        ) from None
