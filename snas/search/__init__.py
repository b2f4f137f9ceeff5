"""Multi-objective architecture search: genome space, NSGA-II outer loop, Gumbel supernet
inner loop, optuna storage as the ledger, Pareto front and selection."""

from snas.search._config import Budget, ExperimentConfig, Selection, SpaceBounds, load_config, parse_budget
from snas.search._evaluate import Evaluation, SearchContext
from snas.search._pipeline import RunOutput, search
from snas.search._result import SearchResult, hypervolume, pareto_front, select
from snas.search._run import open_study, run_search, study_evaluations
from snas.search._space import SearchSpace

__all__ = [
    "Budget",
    "Evaluation",
    "ExperimentConfig",
    "RunOutput",
    "SearchContext",
    "SearchResult",
    "SearchSpace",
    "Selection",
    "SpaceBounds",
    "hypervolume",
    "load_config",
    "open_study",
    "pareto_front",
    "parse_budget",
    "run_search",
    "search",
    "select",
    "study_evaluations",
]
