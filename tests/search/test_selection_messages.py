"""What the search says it selected on: with ``metric: roc_auc`` the reason, the CLI lines and
the progress name ROC-AUC and show its value (accuracy beside it), a multiclass target gets a
macro one-vs-rest ROC-AUC instead of silently falling back to accuracy, and progress lines
tell a clock reading from a phase's own duration."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

from snas.search import Evaluation, Selection, metric_text, pareto_front, select, selection_metric


def _ev(n: int, accuracy: float, auc: float | None, complexity: float, metric: str) -> Evaluation:
    primary = auc if metric == "roc_auc" and auc is not None else accuracy
    m = {
        "accuracy": accuracy,
        "roc_auc": auc,
        "error": 1.0 - primary,
        "parameters": int(complexity),
        "complexity": complexity,
        "infidelity": 0.05,
        "f_soft": 0.95,
    }
    return Evaluation(n, {}, {}, "stand-alone", m)


def test_the_reason_names_roc_auc_when_the_search_selected_on_it():
    # as in the red-team run: #550 is more accurate, #551 has the higher ROC-AUC and is selected
    evals = [_ev(550, 0.7333, 0.8109, 185, "roc_auc"), _ev(551, 0.7310, 0.8195, 19, "roc_auc")]
    front = pareto_front(evals)
    assert selection_metric(evals) == "roc_auc"
    best, why = select(front, Selection(min_f_soft=0.5))
    assert best.number == 551
    assert why.startswith("highest validation ROC-AUC") and "accuracy" not in why
    assert metric_text(best.metrics, "roc_auc") == "validation ROC-AUC 0.8195 (accuracy 0.7310)"
    _, said = select(front, Selection(), metric="accuracy")  # the configured metric wins when given
    assert "validation accuracy" in said


def test_an_accuracy_search_still_says_accuracy():
    evals = [_ev(1, 0.80, 0.85, 100, "accuracy"), _ev(2, 0.82, 0.84, 200, "accuracy")]
    assert selection_metric(evals) == "accuracy"
    best, why = select(pareto_front(evals), Selection())
    assert best.number == 2 and why.startswith("highest validation accuracy")
    assert metric_text(best.metrics, "accuracy") == "validation accuracy 0.8200"
    no_auc = {**best.metrics, "roc_auc": None}  # a candidate without an area falls back to accuracy
    assert metric_text(no_auc, "roc_auc") == "validation accuracy 0.8200"


def test_a_multiclass_target_gets_a_macro_roc_auc():
    import torch
    from sklearn.metrics import roc_auc_score

    from snas.search import ValidationSet

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    logits = torch.tensor(rng.normal(size=(300, 3)) + 2.0 * np.eye(3)[y], dtype=torch.float32)
    empty = np.zeros((300, 0), dtype=bool)
    val = ValidationSet(None, torch.full((300,), -1), y, empty, np.zeros(0, np.int64), 2, "roc_auc")  # type: ignore[arg-type]
    m = val.measure(logits)
    proba = torch.softmax(logits.double(), 1).numpy()
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-9)
    assert m["error"] == pytest.approx(1 - m["roc_auc"]) and m["error"] != pytest.approx(1 - m["accuracy"])


def test_progress_lines_tell_clock_readings_from_durations():
    from snas.search._progress import Progress

    out = io.StringIO()
    p = Progress(out)
    p.phase("supernet: 3 epochs, 2 sub-networks per step")
    p.line("supernet: epoch 1/3 | loss 0.5 | 0s")
    p.note("resuming: 1 interrupted training(s) will run again")
    p.phase("evolution: strategy nsga2, population 8")
    p.close()
    lines = out.getvalue().splitlines()
    assert all(re.match(r"\[at \d+m\d\ds\] ", line) for line in lines), lines
    took = [line for line in lines if " took " in line]
    assert [t.split("] ", 1)[1].split(" took ")[0] for t in took] == ["supernet", "evolution"]
    assert all(re.search(r"took \d+\.\ds$", t) for t in took)
    assert lines.index(took[0]) < next(i for i, x in enumerate(lines) if "evolution: strategy" in x)
