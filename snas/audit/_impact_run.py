"""The price of every rule on a run's model: what ``snas rules impact RUN`` prints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snas.audit._build import open_run
from snas.audit._impact import rule_impact
from snas.audit._inputs import prepare_inputs
from snas.audit._render_impact import impact_text
from snas.audit._report import rounded

__all__ = ["format_rule_impact", "rule_impact_of_run"]


def rule_impact_of_run(run_dir: str | Path, data_dir: str | None = None) -> dict[str, Any]:
    """Rule impact of a run's selected model on its test split.

    Parameters
    ----------
    run_dir : str or Path
        A finished run directory (``snas search --out``).
    data_dir : str, optional
        Where the data files are (default: where the run found them).

    Returns
    -------
    dict
        ``run``, ``model``, ``dataset``, ``test_rows`` and ``rules`` (one item per rule).

    Examples
    --------
    >>> impact = rule_impact_of_run("runs/census")  # doctest: +SKIP
    >>> [r["rule"] for r in impact["rules"]][:2]  # doctest: +SKIP
    """
    run, model, data = open_run(run_dir, data_dir)
    inputs = prepare_inputs(model, data, None, run)
    items = rounded(rule_impact(inputs))
    return {
        "run": str(run.path),
        "model": str(run.model_dir),
        "dataset": data.name,
        "test_rows": len(inputs.X),
        "rules": items,
    }


def format_rule_impact(impact: dict[str, Any]) -> str:
    """The text table of :func:`rule_impact_of_run`'s result."""
    title = (
        f"Rule impact on the test split of {impact['dataset']} ({impact['test_rows']:,} rows); model {impact['model']}"
    )
    return impact_text(impact["rules"], title)
