from __future__ import annotations

import torch

from snas.estimator import SNASClassifier

ARCH = {"layers": [{"width": 32}], "max_epochs": 4, "periodic_dim": 4, "n_frequencies": 4}


def test_same_seed_gives_identical_weights(census, census_rules):
    X, y = census.X_train.head(3000), census.y_train.head(3000)
    a = SNASClassifier(rules=census_rules, architecture=ARCH, random_state=3).fit(X, y)
    b = SNASClassifier(rules=census_rules, architecture=ARCH, random_state=3).fit(X, y)
    c = SNASClassifier(rules=census_rules, architecture=ARCH, random_state=4).fit(X, y)
    sa, sb, sc = a.network_.state_dict(), b.network_.state_dict(), c.network_.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_early_stopping_restores_best_epoch(census):
    X, y = census.X_train.head(4000), census.y_train.head(4000)
    clf = SNASClassifier(architecture={**ARCH, "max_epochs": 30, "patience": 2}, random_state=0).fit(X, y)
    r = clf.train_result_
    vals = [h["val_loss"] for h in r.history]
    assert r.best_val_loss == min(vals) and r.history[r.best_epoch - 1]["val_loss"] == min(vals)
    assert r.epochs <= r.best_epoch + 2


def test_weight_averaging_changes_the_model_and_stays_deterministic(census):
    """ema_decay > 0 validates and keeps the moving average; 0 keeps the raw weights."""
    X, y = census.X_train.head(3000), census.y_train.head(3000)
    arch = {**ARCH, "ema_decay": 0.9}
    a = SNASClassifier(architecture=arch, random_state=1).fit(X, y)
    b = SNASClassifier(architecture=arch, random_state=1).fit(X, y)
    raw = SNASClassifier(architecture={**ARCH, "ema_decay": 0.0}, random_state=1).fit(X, y)
    sa, sb, sr = a.network_.state_dict(), b.network_.state_dict(), raw.network_.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sr[k]) for k in sa)
    # the restored best epoch is the averaged one: its validation loss is what was recorded
    assert a.train_result_.best_val_loss == min(h["val_loss"] for h in a.train_result_.history)
