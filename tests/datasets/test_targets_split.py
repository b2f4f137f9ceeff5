"""The search's validation split with a class of a single training row: that row is learned
from (fit rows), kept out of the validation rows, and a warning says so — on the progress
stream in the CLI, as a Python warning from Python; one class only is refused before any work."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from snas.exceptions import ConfigError
from snas.search import SearchRun, config_from_mapping, search_frame
from snas.search._pipeline import validation_split

CONFIG = {
    "space": {"families": ["mlp"], "max_depth": 1, "widths": [4]},
    "supernet": {"epochs": 1, "paths": 1, "batch_size": 32},
    "evolution": {"population_size": 2, "generations": 1},
    "standalone": {"candidates": 1, "eta": 2, "low_epochs": 1, "recipes": 1, "epochs": 1},
}


def _data(n: int = 90) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"x": rng.uniform(0, 1, n), "z": rng.uniform(0, 1, n)})
    y = np.where(X["x"] < 0.5, "low", "high").astype(object)
    y[7] = "rare"
    return X, y


def test_a_single_row_class_goes_to_the_fit_rows():
    _, y = _data()
    fit, val, lone = validation_split(y, 0.2, 0)
    assert lone == ["rare"] and 7 in fit and 7 not in val
    assert sorted(np.concatenate([fit, val]).tolist()) == list(range(len(y)))
    assert {"low", "high"} <= set(y[val])


def test_without_single_row_classes_the_split_is_unchanged():
    _, y = _data()
    y[7] = "low"
    fit, val, lone = validation_split(y, 0.2, 3)
    want_fit, want_val = train_test_split(np.arange(len(y)), test_size=0.2, random_state=3, stratify=y)
    assert lone == [] and fit.tolist() == sorted(want_fit) and val.tolist() == sorted(want_val)


def test_one_class_is_refused():
    with pytest.raises(ConfigError, match=r"one class only, 'yes'.*at least two classes"):
        validation_split(np.array(["yes"] * 10, dtype=object), 0.2, 0)


def test_python_gets_a_warning_and_the_cli_a_progress_line():
    X, y = _data()
    cfg = config_from_mapping(CONFIG, source="test")
    with pytest.warns(UserWarning, match="class 'rare' of the target 'y' has a single training row"):
        run = SearchRun(cfg, X, y, None, target="y", progress=False)
    assert 7 in run.fit_idx and 7 not in run.val_idx
    stream = io.StringIO()
    SearchRun(cfg, X, y, None, target="y", progress=True, stream=stream)
    assert "warning: class 'rare' of the target 'y' has a single training row" in stream.getvalue()


def test_search_frame_refuses_one_class_before_the_first_trial():
    X, _ = _data()
    with pytest.raises(ConfigError, match="one class only"):
        search_frame(X, np.array(["yes"] * len(X), dtype=object), None, target="y", search=CONFIG)


def test_too_few_rows_to_hold_out_validation_rows_is_a_clear_error() -> None:
    import numpy as np

    from snas.exceptions import ConfigError
    from snas.search._pipeline import validation_split

    with pytest.raises(ConfigError, match=r"too few to hold out validation rows"):
        validation_split(np.array(["a", "b", "c"]), 0.2, 0)
