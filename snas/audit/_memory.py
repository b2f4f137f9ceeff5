"""Memory a deployment needs (Annex IV 1(e), Art. 13(3)(e)): a fresh Python process loads the
model and scores test rows read from CSV, as ``snas predict`` does; its peak resident set size,
interpreter and libraries included, is measured after loading and after scoring. Like latency
it varies between runs, so it is kept in ``run_info``, outside the report's hash."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from snas.model import FittedModel

__all__ = ["MEMORY_ROWS", "inference_memory"]

#: Test rows scored in one call by the measuring process.
MEMORY_ROWS = 1000

_CHILD = """
import resource, sys
from snas._prediction_input import read_prediction_csv
from snas.model import FittedModel

model = FittedModel.load(sys.argv[1])
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
X, _ = read_prediction_csv(sys.argv[2], model.task.schema, warn=lambda message: None)
model.predict_proba(X.head(1))
loaded = peak()
model.predict_proba(X)
print(loaded, peak())
"""


def inference_memory(model: FittedModel, X: pd.DataFrame, rows: int = MEMORY_ROWS) -> dict[str, Any]:
    """Peak resident memory (MiB) of a process that loads ``model`` and scores ``rows`` of ``X``.

    Parameters
    ----------
    model : FittedModel
        The model audited (saved to a temporary folder for the measuring process).
    X : DataFrame
        Test rows; the first ``rows`` are scored in one call.
    rows : int, default=1000
        How many rows the measuring process scores.

    Returns
    -------
    dict
        ``peak_rss_mib_loaded`` (after loading and scoring one row), ``peak_rss_mib_scoring``,
        ``rows`` and ``method``; or ``not_measured`` with the reason.
    """
    if sys.platform != "linux":
        return {"not_measured": f"peak resident memory is read as Linux reports it; this is {sys.platform}"}
    with tempfile.TemporaryDirectory(prefix="snas-memory-") as tmp:
        model.save(Path(tmp) / "model")
        X.head(rows).to_csv(Path(tmp) / "rows.csv", index=False)
        try:
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(Path(tmp) / "model"), str(Path(tmp) / "rows.csv")],
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"not_measured": f"the measuring process did not finish ({type(exc).__name__})"}
    fields = out.stdout.split()
    if out.returncode != 0 or len(fields) != 2 or not all(f.isdigit() for f in fields):
        return {"not_measured": f"the measuring process failed: {(out.stderr.strip().splitlines() or ['?'])[-1][:200]}"}
    loaded, scoring = (int(f) / 1024 for f in fields)
    return {
        "peak_rss_mib_loaded": round(loaded, 1),
        "peak_rss_mib_scoring": round(scoring, 1),
        "rows": min(rows, len(X)),
        "method": "a fresh Python process loads the model, reads the rows from CSV as 'snas predict' does and "
        "scores them in one call; peak resident set size (getrusage), interpreter and libraries included",
    }
