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

__all__ = ["MEMORY_ROWS", "MemoryProbe", "inference_memory"]

#: Test rows scored in one call by the measuring process.
MEMORY_ROWS = 1000

# VmHWM, not getrusage's ru_maxrss: after fork and exec the latter starts from the parent's peak
# run with -P (no working directory on sys.path) and the parent's own snas first: a folder named
# snas where the audit runs must not be imported (nor measured) in its place
_CHILD = """
import re, sys
sys.path.insert(0, sys.argv.pop(1))
from pathlib import Path
from snas._prediction_input import read_prediction_csv
from snas.model import FittedModel

model = FittedModel.load(sys.argv[1])
peak = lambda: re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
X, _ = read_prediction_csv(sys.argv[2], model.task.schema, warn=lambda message: None)
model.predict_proba(X.head(1))
loaded = peak()
model.predict_proba(X)
print(loaded, peak())
"""


def _snas_root() -> str:
    """The folder holding the snas package this process runs."""
    import snas

    return str(Path(snas.__file__).resolve().parents[1])


class MemoryProbe:
    """The measuring process, started before the audit's other work and read at its end (it
    runs beside it: the measure is memory, not time)."""

    def __init__(self, model: FittedModel, X: pd.DataFrame, rows: int = MEMORY_ROWS) -> None:
        self.rows = min(rows, len(X))
        self.error: str | None = None
        self.process: subprocess.Popen[str] | None = None
        if sys.platform != "linux":
            self.error = f"peak resident memory is read as Linux reports it; this is {sys.platform}"
            return
        self._tmp = tempfile.TemporaryDirectory(prefix="snas-memory-")
        folder = Path(self._tmp.name)
        model.save(folder / "model")
        X.head(rows).to_csv(folder / "rows.csv", index=False)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-P", "-c", _CHILD, _snas_root(), str(folder / "model"), str(folder / "rows.csv")],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONWARNINGS": "ignore"},
                cwd=folder,
            )
        except OSError as exc:
            self.error = f"the measuring process did not start ({exc.strerror or exc})"

    def close(self) -> None:
        """Stop the process if it still runs and remove its files (after :meth:`result`, or
        when the audit failed)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.communicate()
        if hasattr(self, "_tmp"):
            self._tmp.cleanup()

    def result(self, timeout: float = 300) -> dict[str, Any]:
        """``peak_rss_mib_loaded``, ``peak_rss_mib_scoring``, ``rows`` and ``method``, or
        ``not_measured`` with the reason; the temporary files are removed."""
        try:
            if self.process is None:
                return {"not_measured": self.error or "not started"}
            try:
                out, err = self.process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                return {"not_measured": f"the measuring process did not finish in {timeout:.0f} s"}
        finally:
            self.close()
        fields = out.split()
        if self.process.returncode != 0 or len(fields) != 2 or not all(f.isdigit() for f in fields):
            return {"not_measured": f"the measuring process failed: {(err.strip().splitlines() or ['?'])[-1][:200]}"}
        loaded, scoring = (int(f) / 1024 for f in fields)
        return {
            "peak_rss_mib_loaded": round(loaded, 1),
            "peak_rss_mib_scoring": round(scoring, 1),
            "rows": self.rows,
            "method": "a fresh Python process loads the model, reads the rows from CSV as 'snas predict' does and "
            "scores them in one call; its peak resident set size (VmHWM), interpreter and libraries included",
        }


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
    return MemoryProbe(model, X, rows).result()  # result() closes it
