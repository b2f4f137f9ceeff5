"""Shared helpers for benchmark scripts: data location, machine facts, JSON + Markdown output."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))


def data_dir() -> str:
    return os.environ.get("SNAS_DATA_DIR") or str(ROOT.parent / "shared" / "datasets")


def machine() -> dict[str, Any]:
    import numpy
    import sklearn
    import torch

    return {
        "date": _dt.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "numpy": numpy.__version__,
        "sklearn": sklearn.__version__,
    }


def write_results(name: str, payload: dict[str, Any], table: str | None = None) -> Path:
    from snas._util import atomic_write_text

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    atomic_write_text(path, json.dumps({"machine": machine(), **payload}, indent=2, default=float))
    if table is not None:
        atomic_write_text(RESULTS / f"{name}.md", table)
    return path


def markdown_table(rows: list[dict[str, Any]], columns: list[tuple[str, str, str]]) -> str:
    """columns: (key, header, format spec)."""
    head = "| " + " | ".join(h for _, h, _ in columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    lines = [head, sep]
    for r in rows:
        cells = []
        for key, _, fmt in columns:
            v = r.get(key)
            cells.append("—" if v is None else (format(v, fmt) if fmt else str(v)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def test_metrics(model: Any, data: Any, rules: Any) -> dict[str, Any]:
    """A FittedModel on adult.test: accuracy, ROC-AUC, hard-rule violations, the worst
    monotonicity violation rate over the monotonic features, F_soft, size (reporting only)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from snas.metrics import monotonicity_violation_rate, rule_metrics, rule_summary

    X, y = data.X_test.reset_index(drop=True), data.y_test.astype(str).to_numpy()
    proba = model.predict_proba(X)
    classes = list(model.task.classes)
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    positive = classes.index(model.task.positive)
    s = rule_summary(rule_metrics(rules, X, pred, proba, classes, y, data.schema))
    mono = [
        monotonicity_violation_rate(model.predict_proba, X, f, d, positive_index=positive)
        for f, d in rules.constraints.monotonic.items()
    ]
    return {
        "test_accuracy": float((pred == y).mean()),
        "test_roc_auc": float(roc_auc_score(y == model.task.positive, proba[:, positive])),
        "hard_violations": int(s["hard_violations"]),
        "monotonicity_violations": max(mono, default=0.0),
        "f_soft": s["f_soft"],
        "parameters": int(model.n_parameters),
        "complexity": int(getattr(model, "complexity", model.n_parameters)),
    }
