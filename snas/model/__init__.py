"""The model layer: a Task (schema, classes, compiled rules, input encoder) and FittedModel
(build, train, predict, save, load). Search, estimator and audit all build on it."""

from snas.model._defaults import (
    GLASS_BOX_FAST_ROWS,
    GLASS_BOX_PAIRS_ROWS,
    GLASS_BOX_SHAPE_BINS,
    GLASS_BOX_SMALL_ROWS,
    adapt_to_rows,
    ema_decay_for,
    glass_box_fields,
    glass_box_learning_rate,
    small_glass_box,
    steps_per_epoch,
)
from snas.model._ensemble import EnsembleModel, ensemble_selection
from snas.model._explain import Explanation, TermShape, inputs_read
from snas.model._files import FORMAT, read_model_files, write_model_files
from snas.model._fitted import (
    EARLY_STOPPING_FRACTION,
    FittedModel,
    build_network,
    check_rows,
    load_inherited,
    member_splits,
)
from snas.model._task import Task

__all__ = [
    "EARLY_STOPPING_FRACTION",
    "FORMAT",
    "GLASS_BOX_FAST_ROWS",
    "GLASS_BOX_PAIRS_ROWS",
    "GLASS_BOX_SHAPE_BINS",
    "GLASS_BOX_SMALL_ROWS",
    "EnsembleModel",
    "Explanation",
    "FittedModel",
    "Task",
    "TermShape",
    "adapt_to_rows",
    "build_network",
    "check_rows",
    "ema_decay_for",
    "ensemble_selection",
    "glass_box_fields",
    "glass_box_learning_rate",
    "inputs_read",
    "load_inherited",
    "member_splits",
    "read_model_files",
    "small_glass_box",
    "steps_per_epoch",
    "write_model_files",
]
