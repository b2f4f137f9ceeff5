"""Multi-objective architecture search: one weight-sharing supernet per search, an
evolutionary outer loop (optuna NSGA-II) over architectures evaluated with inherited
weights, a gradient inner loop refining the promising ones, stand-alone training with
successive halving in parallel workers, the optuna ledger, the Pareto front and selection."""

import sys
import types
from typing import Any

from snas._environment import key_versions as versions
from snas.search._config import (
    Budget,
    EvolutionSettings,
    ExperimentConfig,
    GradientSettings,
    Selection,
    SpaceBounds,
    StandaloneSettings,
    SupernetSettings,
    config_from_mapping,
    load_config,
    parse_budget,
)
from snas.search._ledger import Ledger, check_storage
from snas.search._measure import ValidationSet
from snas.search._pipeline import Deadlines, SearchRun
from snas.search._result import (
    FIDELITIES,
    METRIC_LABELS,
    Evaluation,
    SearchResult,
    dominates,
    hypervolume,
    metric_text,
    pareto_front,
    select,
    selection_metric,
)
from snas.search._run_directory import RunDirectory
from snas.search._search import RunOutput, search, search_frame
from snas.search._space import Genome, Recipe, SearchSpace
from snas.search._strategies import STRATEGIES, Strategy, strategy
from snas.search._supernet import Supernet

__all__ = [
    "FIDELITIES",
    "METRIC_LABELS",
    "STRATEGIES",
    "Budget",
    "Deadlines",
    "Evaluation",
    "EvolutionSettings",
    "ExperimentConfig",
    "Genome",
    "GradientSettings",
    "Ledger",
    "Recipe",
    "RunDirectory",
    "RunOutput",
    "SearchResult",
    "SearchRun",
    "SearchSpace",
    "Selection",
    "SpaceBounds",
    "StandaloneSettings",
    "Strategy",
    "Supernet",
    "SupernetSettings",
    "ValidationSet",
    "check_storage",
    "config_from_mapping",
    "dominates",
    "hypervolume",
    "load_config",
    "metric_text",
    "pareto_front",
    "parse_budget",
    "search",
    "search_frame",
    "select",
    "selection_metric",
    "strategy",
    "versions",
]


class _SearchPackage(types.ModuleType):
    """``snas.search`` is both this subpackage and the function :func:`search`. Importing the
    subpackage rebinds the name ``snas.search`` to it, so the subpackage runs a search when
    called: ``from snas import search; search(config, out)`` works whatever was imported first."""

    def __call__(self, *args: Any, **kwargs: Any) -> RunOutput:
        return search(*args, **kwargs)


sys.modules[__name__].__class__ = _SearchPackage
