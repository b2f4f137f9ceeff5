"""The audit's checks say what they did and how long they took: the flip check on an excluded
ID column is bounded and the report states the bound; progress lines give each stage's own
duration; the soft-rule impact names the metric the search selected on."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


class _Counting:
    """A model stand-in that ignores ``account_id`` and counts its predictions."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls.append(len(frame))
        return np.where(frame["a"].to_numpy() > 0, "yes", "no")


def test_the_flip_check_on_an_id_column_is_bounded_and_says_so():
    from snas.audit._rule_evidence import _flip_item
    from snas.audit._summary import _flip_statement
    from snas.metrics import FLIP_LEVELS

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=900), "account_id": [f"ACC-{i:07d}" for i in range(900)]})
    model = _Counting()
    e = _flip_item(model, X, "account_id", seed=0)  # type: ignore[arg-type]
    assert e["value"] == 0.0 and e["pass"] is True
    assert len(model.calls) == 1 and model.calls[0] <= 900 * (FLIP_LEVELS + 1)  # not one call per level
    assert e["levels_observed"] == 900 and e["substitutes_tried"] == FLIP_LEVELS
    assert f"{FLIP_LEVELS} of its 900 observed levels" in e["method"] and "drawn at random" in e["method"]
    assert f"setting it to {FLIP_LEVELS} of its 900 observed levels changed 0.0% of 900 decisions" in _flip_statement(e)
    few = _flip_item(model, X.assign(account_id=rng.choice(["u", "v"], 900)), "account_id", seed=0)  # type: ignore[arg-type]
    assert "all of them" in few["method"] and few["substitutes_tried"] == 2


def test_progress_gives_each_stage_its_own_duration(capsys):
    from snas.audit._build import _Timer

    timer = _Timer(progress=True)
    timer.start -= 10.0  # the audit has been running for a while
    timer.tick("rule fidelity, monotonicity and flip checks")
    line = capsys.readouterr().err.strip()
    m = re.fullmatch(r"rule fidelity, monotonicity and flip checks: (\d+\.\d)s \(audit running for (\d+\.\d)s\)", line)
    assert m is not None, line
    assert float(m.group(1)) < 1.0 and float(m.group(2)) >= 10.0  # the stage's seconds, not the time it ended


def test_soft_rule_impact_names_the_search_metric():
    from snas.audit._impact import soft_history
    from snas.audit._inputs import SearchRecord
    from snas.audit._render_impact import soft_cells
    from snas.search import Evaluation

    def ev(n: int, accuracy: float, auc: float, neuron: bool) -> Evaluation:
        m = {
            "accuracy": accuracy,
            "roc_auc": auc,
            "error": 1 - auc,
            "parameters": 100,
            "f_soft": 1.0,
            "infidelity": 0.0,
        }
        spec = {"default_rule_mode": "loss", "rule_lambda": 0.5}
        return Evaluation(n, {"neurons": ["r"] if neuron else []}, spec, "stand-alone", m)

    evals = (ev(550, 0.7333, 0.8109, False), ev(551, 0.7310, 0.8195, True))
    record = SearchRecord(evals, (551,), 551, "recorded reason", None, None, config={"metric": "roc_auc"})
    history = soft_history(record, "r")
    assert history["with"]["number"] == 551 and history["with"]["metric"] == "roc_auc"
    item = {"rule": "r", "covered": 10, "label_agreement": 0.8, "compliance": 1.0, "history": history}
    best_with, note = soft_cells(item)[4], soft_cells(item)[6]
    assert best_with == "#551 (loss + neuron): validation ROC-AUC 0.8195 (accuracy 73.10%)"
    assert "#551 validation ROC-AUC 0.8195" in note and "#550 validation ROC-AUC 0.8109" in note
    plain = SearchRecord(evals, (551,), 551, "r", None, None)  # in memory: read from the records
    assert soft_history(plain, "r")["with"]["metric"] == "roc_auc"
