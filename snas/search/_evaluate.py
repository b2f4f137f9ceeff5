"""Train and measure one candidate: the search's unit of work."""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.search._config import ExperimentConfig

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Dataset
    from snas.rules import RuleSet

__all__ = ["Evaluation", "SearchContext"]


@dataclass(frozen=True)
class Evaluation:
    """An immutable record of one candidate (what the history and the report read)."""

    number: int
    genome: dict[str, Any]
    spec: dict[str, Any]
    state: str  # complete | screened-out | failed
    fidelity: str  # full | screen
    metrics: dict[str, Any]
    screen_metrics: dict[str, Any] | None = None
    seed: int = 0
    seconds: float = 0.0
    worker: str = ""
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def objectives(self) -> tuple[float, float, float]:
        """(error, parameters, soft-rule infidelity), all minimised."""
        m = self.metrics
        return (float(m["error"]), float(m["parameters"]), float(m["infidelity"]))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SearchContext:
    """Data split, rules and a parameter counter shared by every candidate of one search."""

    def __init__(self, data: Dataset, rules: RuleSet | None, config: ExperimentConfig) -> None:
        from sklearn.model_selection import train_test_split

        self.data = data
        self.rules = rules
        self.config = config
        X, y = data.X_train, data.y_train
        idx = np.arange(len(X))
        fit_idx, val_idx = train_test_split(
            idx, test_size=config.validation_fraction, random_state=config.seed, stratify=y.to_numpy()
        )
        self.fit_idx, self.val_idx = np.sort(fit_idx), np.sort(val_idx)
        self.X_fit, self.y_fit = (
            X.iloc[self.fit_idx].reset_index(drop=True),
            y.iloc[self.fit_idx].reset_index(drop=True),
        )
        self.X_val, self.y_val = (
            X.iloc[self.val_idx].reset_index(drop=True),
            y.iloc[self.val_idx].reset_index(drop=True),
        )
        self.split_sha256 = hashlib.sha256(self.fit_idx.tobytes() + b"|" + self.val_idx.tobytes()).hexdigest()
        self.classes = sorted(y.unique())
        positive = (rules.positive if rules is not None else None) or data.schema.positive or self.classes[-1]
        self.positive = positive
        self._counter: Any = None

    def count_parameters(self, spec: dict[str, Any]) -> int:
        """Exact trainable parameters of a spec on this data (builds the network, no training)."""
        from snas.estimator import SNASClassifier

        if self._counter is None:
            self._counter = SNASClassifier(rules=self.rules, architecture={"layers": [2], "max_epochs": 1})
            self._counter._prepare(self.X_fit.head(2000), self.y_fit.head(2000))
        return int(self._counter._build(spec).n_parameters())

    def subsample(self, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.Series]:
        rng = np.random.default_rng(seed)
        n = max(200, int(len(self.X_fit) * fraction))
        take = np.sort(rng.choice(len(self.X_fit), size=min(n, len(self.X_fit)), replace=False))
        return self.X_fit.iloc[take].reset_index(drop=True), self.y_fit.iloc[take].reset_index(drop=True)

    def evaluate(self, spec: dict[str, Any], *, seed: int, screen: bool = False) -> tuple[dict[str, Any], Any]:
        """Train on the fit split (or a subsample when screening); measure on validation."""
        from snas.estimator import SNASClassifier

        t0 = time.perf_counter()
        if screen:
            X, y = self.subsample(self.config.screening.subsample, seed)
            spec = {**spec, "max_epochs": self.config.screening.epochs}
        else:
            X, y = self.X_fit, self.y_fit
        clf = SNASClassifier(rules=self.rules, architecture=spec, random_state=seed)
        clf.fit(X, y)
        metrics = self.measure(clf, self.X_val, self.y_val)
        metrics["train_seconds"] = time.perf_counter() - t0
        metrics["epochs"] = clf.train_result_.epochs
        return metrics, clf

    def measure(self, clf: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
        """Accuracy, ROC-AUC, rule fidelity and size of a fitted classifier on (X, y)."""
        from sklearn.metrics import roc_auc_score

        from snas.metrics import rule_metrics, rule_summary

        proba = clf.predict_proba(X)
        classes = [str(c) for c in clf.classes_]
        pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
        y_arr = y.astype(str).to_numpy()
        acc = float((pred == y_arr).mean())
        pos = classes.index(self.positive) if self.positive in classes else len(classes) - 1
        try:
            auc = float(roc_auc_score(y_arr == classes[pos], proba[:, pos])) if len(classes) == 2 else None
        except ValueError:
            auc = None
        summary = {"hard_violations": 0, "f_soft": None, "micro_compliance": None}
        if self.rules is not None and len(self.rules):
            summary = rule_summary(rule_metrics(self.rules, X, pred, proba, classes, y_arr, clf.schema_))
        if summary["hard_violations"]:
            raise AssertionError(f"{summary['hard_violations']} hard-rule violations: the shield is broken")
        primary = acc if self.config.metric == "accuracy" or auc is None else auc
        f_soft = summary["f_soft"]
        return {
            "accuracy": acc,
            "roc_auc": auc,
            "error": 1 - primary,
            "parameters": int(clf.n_parameters_),
            "f_soft": f_soft,
            "infidelity": 0.0 if f_soft is None else 1 - f_soft,
            "micro_compliance": summary["micro_compliance"],
            "hard_violations": summary["hard_violations"],
        }
