"""The model layer: a Task (schema, classes, compiled rules, input encoder) and FittedModel
(build, train, predict, save, load). Search, estimator and audit all build on it."""

from snas.model._explain import Explanation, TermShape
from snas.model._files import FORMAT, read_model_files, write_model_files
from snas.model._fitted import FittedModel, build_network, load_inherited, member_splits
from snas.model._task import Task

__all__ = [
    "FORMAT",
    "Explanation",
    "FittedModel",
    "Task",
    "TermShape",
    "build_network",
    "load_inherited",
    "member_splits",
    "read_model_files",
    "write_model_files",
]
