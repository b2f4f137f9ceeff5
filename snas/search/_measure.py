"""The search's objectives on the validation split, vectorised: error, soft-rule infidelity
and the hard-rule check (a violation is a bug, never a trade-off)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from snas.model import Task
    from snas.nn import Inputs

__all__ = ["ValidationSet"]


@dataclass(frozen=True)
class ValidationSet:
    """Validation rows, encoded once, with everything the objectives need."""

    inputs: Inputs
    forced: torch.Tensor  # (n,) class forced by a hard rule, −1 if none
    y: np.ndarray  # (n,) class index
    soft_body: np.ndarray  # (n, R) bool, every soft rule
    soft_head: np.ndarray  # (R,) class index
    positive: int
    metric: str = "accuracy"

    @classmethod
    def build(cls, task: Task, frame: pd.DataFrame, labels: Any, metric: str) -> ValidationSet:
        import torch

        from snas.rules import holds_many

        soft = task.compiled.soft
        body = holds_many([b for _, b, _, _ in soft], frame, task.schema).reshape(len(frame), len(soft))
        return cls(
            inputs=task.encode(frame),
            forced=torch.from_numpy(task.forced(frame)),
            y=task.class_index(labels),
            soft_body=body,
            soft_head=np.asarray([k for _, _, k, _ in soft], dtype=np.int64),
            positive=task.classes.index(task.positive),
            metric=metric,
        )

    def measure(self, logits: torch.Tensor) -> dict[str, Any]:
        """Objectives of mean member logits (n, C'): accuracy, ROC-AUC (binary; for three classes
        or more the macro average of the one-vs-rest areas), error, F_soft."""
        import torch

        from snas.nn import functional as F

        with torch.no_grad():
            probs = F.apply_shield(F.output_probabilities(logits), self.forced).double().numpy()
        pred = probs.argmax(1)
        decided = self.forced.numpy() >= 0
        hard_violations = int((pred[decided] != self.forced.numpy()[decided]).sum())
        if hard_violations:
            raise AssertionError(f"{hard_violations} hard-rule violations: the shield is broken")
        acc = float((pred == self.y).mean())
        auc = (
            _auc(self.y == self.positive, probs[:, self.positive]) if probs.shape[1] == 2 else _macro_auc(self.y, probs)
        )
        primary = acc if self.metric == "accuracy" or auc is None else auc
        f_soft = self.f_soft(pred)
        return {
            "accuracy": acc,
            "roc_auc": auc,
            "error": 1.0 - primary,
            "f_soft": f_soft,
            "infidelity": 0.0 if f_soft is None else 1.0 - f_soft,
            "hard_violations": 0,
        }

    def f_soft(self, pred: np.ndarray) -> float | None:
        """Support-weighted compliance of the soft rules (None when no soft rule fires)."""
        if not self.soft_body.size:
            return None
        support = self.soft_body.sum()
        if support == 0:
            return None
        agree = (pred[:, None] == self.soft_head[None, :]) & self.soft_body
        return float(agree.sum() / support)


def _auc(y: np.ndarray, score: np.ndarray) -> float | None:
    """ROC-AUC by ranks (ties averaged); None with one class only."""
    from scipy.stats import rankdata

    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return None
    ranks = rankdata(score)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _macro_auc(y: np.ndarray, probs: np.ndarray) -> float | None:
    """Macro average of the one-vs-rest ROC-AUCs of the classes present (None when none has one)."""
    areas = [a for k in range(probs.shape[1]) if (a := _auc(y == k, probs[:, k])) is not None]
    return float(np.mean(areas)) if areas else None
