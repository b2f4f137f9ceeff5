"""Training: determinism (seed, thread count), early stopping, weight averaging, and one
batched run of several recipes that equals separate runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from snas.model import FittedModel, Task
from snas.nn import NetworkSpec

ARCH = {"layers": [32], "max_epochs": 4, "periodic_dim": 4, "n_frequencies": 4}


@pytest.fixture(scope="module")
def task_data(census, census_rules):
    X = census.X_train.head(3000)
    y = census.y_train.head(3000).astype(str).to_numpy()
    return Task.fit(X, y, census_rules, target="income"), X, y


def _state(model):
    return {k: v.clone() for k, v in model.network.state_dict().items()}


def test_same_seed_gives_identical_weights_whatever_the_thread_count(task_data):
    task, X, y = task_data
    spec = NetworkSpec.from_dict(ARCH)
    old = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        a = _state(FittedModel.train(task, spec, X, y, seed=3))
        torch.set_num_threads(4)  # a machine with more cores: snas still trains with its fixed thread count
        b = _state(FittedModel.train(task, spec, X, y, seed=3))
    finally:
        torch.set_num_threads(old)
    c = _state(FittedModel.train(task, spec, X, y, seed=4))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_early_stopping_restores_best_epoch(task_data):
    task, X, y = task_data
    m = FittedModel.train(task, NetworkSpec.from_dict({**ARCH, "max_epochs": 30, "patience": 2}), X, y, seed=0)
    r = m.results[0]
    vals = [h["val_loss"] for h in r.history]
    assert r.best_val_loss == min(vals) and r.history[r.best_epoch - 1]["val_loss"] == min(vals)
    assert r.epochs <= r.best_epoch + 2


def test_weight_averaging_changes_the_model_and_stays_deterministic(task_data):
    """ema_decay > 0 validates and keeps the moving average; 0 keeps the raw weights."""
    task, X, y = task_data
    ema = NetworkSpec.from_dict({**ARCH, "ema_decay": 0.9})
    a, b = (_state(FittedModel.train(task, ema, X, y, seed=1)) for _ in range(2))
    raw = _state(FittedModel.train(task, NetworkSpec.from_dict({**ARCH, "ema_decay": 0.0}), X, y, seed=1))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], raw[k]) for k in a)


def test_recipes_in_one_batched_run_equal_separate_runs(task_data):
    """Two learning rates trained as stacked members give the models of two separate runs."""
    task, X, y = task_data
    base = NetworkSpec.from_dict({**ARCH, "dropout": 0.0, "max_epochs": 3})
    specs = [dataclasses.replace(base, learning_rate=lr, weight_decay=wd) for lr, wd in ((2e-3, 1e-5), (1e-2, 1e-3))]
    data = task.training_data(X, y, base.loss_rules(task.compiled.soft_ids))
    together = FittedModel.train_recipes(task, specs, data, seed=2)
    frame = X.head(500)
    for spec, model in zip(specs, together, strict=True):
        alone = FittedModel.train(task, spec, X, y, seed=2, data=data)
        assert np.allclose(model.predict_proba(frame), alone.predict_proba(frame), atol=2e-4)
        assert model.results[0].epochs == alone.results[0].epochs
    assert not np.allclose(together[0].predict_proba(frame), together[1].predict_proba(frame))


def test_ensemble_members_each_hold_out_their_own_rows(task_data):
    task, X, y = task_data
    m = FittedModel.train(task, NetworkSpec.from_dict({**ARCH, "members": 3}), X, y, seed=0)
    assert len(m.results) == 3 and m.network.members == 3
    proba = m.predict_proba(X.head(200))
    logits = m.logits(X.head(200))
    with torch.no_grad():
        per_member = m.network(task.encode(X.head(200)))
    assert np.allclose(logits, per_member.mean(0).double().numpy(), atol=1e-6)
    assert not torch.allclose(per_member[0], per_member[1])
    assert proba.shape == (200, 2)
