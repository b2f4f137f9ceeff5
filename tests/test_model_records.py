"""Model files whose records were edited and re-hashed: every encoder field, ``extra`` and the
neuron sharpness are checked on load, and a bad one is a ModelFileError naming the file and
the field — never an error later, in ``predict``."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from snas import EnsembleModel, FittedModel, ModelFileError, NetworkSpec
from snas.cli import main
from snas.model import Task
from snas.model._files import _digest
from snas.rules import parse_rules

RULES = "snas_rules: 1\ntarget: {column: target, positive: hi}\nrules:\n  - {id: old, if: age > 60, then: hi}\n"


def _frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(18, 80, n).astype(float),
            "hours": rng.normal(40, 10, n),
            "kind": pd.Categorical(rng.choice(["a", "b"], n)),
        }
    )
    return X, np.where(X["age"] + rng.normal(0, 5, n) > 45, "hi", "lo")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    X, y = _frame()
    task = Task.fit(X, y, parse_rules(RULES))
    mlp = FittedModel.train(task, NetworkSpec.from_dict({"layers": [4], "max_epochs": 2}), X, y)
    additive = FittedModel.train(task, NetworkSpec.from_dict({"family": "additive", "max_epochs": 2}), X, y, seed=1)
    root = tmp_path_factory.mktemp("models")
    out = {"mlp": mlp.save(root / "mlp"), "additive": additive.save(root / "additive")}
    out["ensemble"] = EnsembleModel.of([mlp, additive], [1, 1]).save(root / "ensemble")
    return out


def _edited(src: Path, dst: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of ``src`` whose model.json was edited and its hash recomputed (as a careless tool would)."""
    shutil.copytree(src, dst)
    meta = json.loads((dst / "model.json").read_text())
    edit(meta)
    meta["content_sha256"] = _digest(meta)
    (dst / "model.json").write_text(json.dumps(meta))
    return dst


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``task.encoder.<field>`` (a callable maps the old value to the new)."""

    def edit(meta: dict[str, Any]) -> None:
        enc = meta["task"]["encoder"]
        enc[field] = value(enc[field]) if callable(value) else value

    return edit


EDITS = {
    "mean-one-short": ("task.encoder.mean", _set("mean", lambda v: v[:-1])),
    "mean-text": ("task.encoder.mean", _set("mean", lambda v: ["x"] * len(v))),
    "mean-huge-int": ("task.encoder.mean", _set("mean", lambda v: [10**400] * len(v))),
    "std-zero": ("task.encoder.std", _set("std", lambda v: [0.0] * len(v))),
    "std-negative": ("task.encoder.std", _set("std", lambda v: [-1.0] * len(v))),
    "std-tiny": ("task.encoder.std", _set("std", lambda v: [1e-300] * len(v))),
    "has-missing-ints": ("task.encoder.has_missing", _set("has_missing", lambda v: [1] * len(v))),
    "edges-reversed": ("task.encoder.edges[0]", _set("edges", lambda v: [e[::-1] for e in v])),
    "edges-empty": ("task.encoder.edges[0]", _set("edges", lambda v: [[] for _ in v])),
    "edges-one-short": ("task.encoder.edges", _set("edges", lambda v: v[:-1])),
    "edges-too-many": ("task.encoder.edges[0]", _set("edges", lambda v: [list(range(40)) for _ in v])),
    "shape-edges-flat": ("task.encoder.shape_edges[0]", _set("shape_edges", lambda v: [[1.0, 1.0] for _ in v])),
    "features-reversed": ("task.encoder.features", _set("features", lambda v: v[::-1])),
    "features-unknown": ("task.encoder.features", _set("features", lambda v: [*v, "nope"])),
    "n-bins-zero": ("task.encoder.n_bins", _set("n_bins", 0)),
    "n-bins-text": ("task.encoder.n_bins", _set("n_bins", "16")),
    "encoder-list": ("task.encoder", lambda m: m["task"].update(encoder=[])),
    "sharpness-negative": ("task.neuron_sharpness", lambda m: m["task"].update(neuron_sharpness=-5)),
    "sharpness-zero": ("task.neuron_sharpness", lambda m: m["task"].update(neuron_sharpness=0)),
    "sharpness-text": ("task.neuron_sharpness", lambda m: m["task"].update(neuron_sharpness="8")),
    "spec-rule-modes-null": ("'spec.rule_modes'", lambda m: m["spec"].update(rule_modes=None)),
    "spec-shield-text": ("'spec.shield'", lambda m: m["spec"].update(shield="yes")),
    "spec-epochs-float": ("'spec.max_epochs'", lambda m: m["spec"].update(max_epochs=2.5)),
    "spec-list": ("'spec' must be a mapping", lambda m: m.update(spec=[])),
    "column-name-null": (
        "'task.schema.columns[0].name'",
        lambda m: m["task"]["schema"]["columns"][0].update(name=None),
    ),
    "column-kind-unknown": (
        "'task.schema.columns[1].kind'",
        lambda m: m["task"]["schema"]["columns"][1].update(kind="x"),
    ),
    "column-levels-numbers": (
        "'task.schema.columns[2].levels'",
        lambda m: m["task"]["schema"]["columns"][2].update(levels=[1, 2]),
    ),
    "column-twice": (
        "'task.schema.columns' name 'age' twice",
        lambda m: m["task"]["schema"]["columns"][1].update(name="age"),
    ),
    "schema-target-unknown": ("'task.schema.target'", lambda m: m["task"]["schema"].update(target="nope")),
    "schema-classes-null": ("'task.schema.classes'", lambda m: m["task"]["schema"].update(classes=None)),
    "extra-text": ("'extra' must be a mapping", lambda m: m.update(extra="x")),
    "extra-list": ("'extra' must be a mapping", lambda m: m.update(extra=[["a", 1]])),
}


@pytest.mark.parametrize("kind", ["mlp", "additive", "ensemble"])
@pytest.mark.parametrize("case", list(EDITS))
def test_an_edited_record_is_refused_on_load_naming_file_and_field(models, tmp_path, kind, case):
    field, edit = EDITS[case]
    path = _edited(models[kind], tmp_path / "m", edit)
    with pytest.raises(ModelFileError) as err:
        FittedModel.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and field in message and "restore the original" in message


def _training(meta: dict[str, Any]) -> dict[str, Any]:
    """The first training record (an ensemble's: its first part's)."""
    return (meta["ensemble"][0] if "ensemble" in meta else meta)["training"][0]


TRAINING_EDITS = {
    "seconds-text": ("'training[0].seconds'", lambda r: r.update(seconds="x")),
    "seconds-negative": ("'training[0].seconds'", lambda r: r.update(seconds=-1)),
    "epochs-float": ("'training[0].epochs'", lambda r: r.update(epochs=1.5)),
    "best-loss-text": ("'training[0].best_val_loss'", lambda r: r.update(best_val_loss="low")),
    "deadline-number": ("'training[0].deadline_hit'", lambda r: r.update(deadline_hit=0)),
    "unknown-field": ("'training[0].history'", lambda r: r.update(history=[])),
    "missing-field": ("'training[0].best_epoch'", lambda r: r.pop("best_epoch")),
}


@pytest.mark.parametrize("kind", ["mlp", "additive", "ensemble"])
@pytest.mark.parametrize("case", list(TRAINING_EDITS))
def test_an_edited_training_record_is_refused_on_load_naming_the_field(models, tmp_path, kind, case):
    field, edit = TRAINING_EDITS[case]
    path = _edited(models[kind], tmp_path / "m", lambda meta: edit(_training(meta)))
    with pytest.raises(ModelFileError) as err:
        FittedModel.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and field in message and "restore the original" in message


def test_the_saved_models_load_and_predict_as_before(models):
    X, _ = _frame(20, seed=1)
    for path in models.values():
        p = FittedModel.load(path).predict_proba(X)
        assert p.shape == (20, 2) and np.isfinite(p).all()


def test_snas_predict_names_the_edited_field_without_a_traceback(models, tmp_path, capsys):
    path = _edited(models["mlp"], tmp_path / "m", _set("mean", lambda v: v[:-1]))
    X, _ = _frame(3, seed=2)
    X.to_csv(tmp_path / "in.csv", index=False)
    assert main(["predict", str(path), str(tmp_path / "in.csv"), "--log", str(tmp_path / "log.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: model.json: 'task.encoder.mean'" in err and "Traceback" not in err
