"""Search records: immutable evaluations (labelled by fidelity), the Pareto front, the
selection policy, hypervolume and the result of a whole search."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.search._config import Selection

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

    from snas.model import FittedModel
    from snas.search._ensemble import EnsembleChoice

__all__ = [
    "FIDELITIES",
    "METRIC_LABELS",
    "Evaluation",
    "SearchResult",
    "dominates",
    "hypervolume",
    "metric_text",
    "pareto_front",
    "select",
    "selection_metric",
]

FIDELITIES = ("inherited", "low", "stand-alone")


@dataclass(frozen=True)
class Evaluation:
    """One evaluated candidate (what the history, the front and the report read).

    ``fidelity`` says how it was measured: ``inherited`` (supernet weights, no training),
    ``low`` (a short stand-alone training, successive halving's first rung) or
    ``stand-alone`` (trained fully on its own).
    """

    number: int
    genome: dict[str, Any]
    spec: dict[str, Any]
    fidelity: str
    metrics: dict[str, Any]
    recipe: dict[str, Any] | None = None
    generation: int | None = None
    seed: int = 0
    seconds: float = 0.0
    worker: str = ""
    job: str | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def objectives(self) -> tuple[float, float, float]:
        """(error, complexity, soft-rule infidelity), all minimised.

        Complexity is what a reader must understand (:func:`snas.nn.complexity`): terms for
        a glass box, trainable parameters for an MLP; records written before it existed
        fall back to their parameters.
        """
        m = self.metrics
        return (float(m["error"]), float(m.get("complexity", m["parameters"])), float(m["infidelity"]))

    @property
    def scaled_objectives(self) -> tuple[float, float, float]:
        """What the outer loop minimises: (error, log10 complexity, infidelity)."""
        return scaled_objectives(self.metrics)

    @property
    def family(self) -> str:
        """``mlp`` or ``additive`` (glass box)."""
        return str(self.genome.get("family") or self.spec.get("family") or "mlp")

    def to_dict(self) -> dict[str, Any]:
        """The evaluation as plain data (an entry of ``history.json``)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evaluation:
        """An evaluation from :meth:`to_dict`'s data."""
        return cls(**d)


def scaled_objectives(metrics: dict[str, Any]) -> tuple[float, float, float]:
    """(error, log10 complexity, infidelity) of an evaluation's metrics: what the outer loop
    minimises and how fronts are spread (records without a complexity use their parameters)."""
    complexity = float(metrics.get("complexity", metrics["parameters"]))
    return float(metrics["error"]), math.log10(max(complexity, 1.0)), float(metrics["infidelity"])


def dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """``a`` is no worse in every objective and better in one (minimisation)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))


def pareto_front(evals: list[Evaluation] | tuple[Evaluation, ...], fidelity: str = "stand-alone") -> list[Evaluation]:
    """Non-dominated evaluations of one fidelity (equal objective vectors kept once), vectorised."""
    done = sorted((e for e in evals if e.fidelity == fidelity), key=lambda e: (e.objectives, e.number))
    if not done:
        return []
    obj = np.asarray([e.objectives for e in done])
    keep = non_dominated(obj)
    front, seen = [], set()
    for i in np.flatnonzero(keep):
        if done[i].objectives not in seen:
            seen.add(done[i].objectives)
            front.append(done[i])
    return front


def non_dominated(obj: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``obj`` (n, k) no other row dominates."""
    le = (obj[:, None, :] <= obj[None, :, :]).all(-1)
    lt = (obj[:, None, :] < obj[None, :, :]).any(-1)
    return np.asarray(~(le & lt).any(0))


def crowding_distance(obj: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row of ``obj`` (n, k): the summed normalised gap
    between its neighbours along every objective; each objective's extremes get infinity."""
    n, k = obj.shape
    if not np.isfinite(obj).all():
        raise ValueError("crowding distance needs finite objectives")
    if n <= 2:
        return np.full(n, np.inf)
    distance = np.zeros(n)
    for j in range(k):
        order = np.argsort(obj[:, j], kind="stable")
        span = obj[order[-1], j] - obj[order[0], j]
        if span == 0:
            continue  # a constant objective neither spreads nor has extremes
        distance[[order[0], order[-1]]] = np.inf
        distance[order[1:-1]] += (obj[order[2:], j] - obj[order[:-2], j]) / span
    return distance


METRIC_LABELS = {"accuracy": "accuracy", "roc_auc": "ROC-AUC"}  # the config's ``metric`` in words


def selection_metric(evals: Iterable[Evaluation]) -> str:
    """The validation metric the search's error is one minus: ``roc_auc`` when an evaluation's
    error is one minus its ROC-AUC (and not one minus its accuracy), else ``accuracy``. Read from
    the records themselves, so it holds for runs written before the metric was recorded."""
    for e in evals:
        m = e.metrics
        err, auc, acc = m.get("error"), m.get("roc_auc"), m.get("accuracy")
        if not isinstance(err, (int, float)) or not isinstance(auc, (int, float)):
            continue
        if abs(err - (1 - auc)) < 1e-9 and not (isinstance(acc, (int, float)) and abs(err - (1 - acc)) < 1e-9):
            return "roc_auc"
    return "accuracy"


def metric_text(metrics: dict[str, Any], metric: str) -> str:
    """``validation ROC-AUC 0.7412 (accuracy 0.7310)``: the selection metric first, then accuracy."""
    value = metrics.get(metric)
    shown = f"validation {METRIC_LABELS.get(metric, metric)} {value:.4f}" if isinstance(value, (int, float)) else ""
    if metric == "accuracy" or not shown:
        return f"validation accuracy {metrics.get('accuracy', float('nan')):.4f}"
    return f"{shown} (accuracy {metrics.get('accuracy', float('nan')):.4f})"


def select(
    front: list[Evaluation], policy: Selection, min_f_soft: float | None = None, metric: str | None = None
) -> tuple[Evaluation, str]:
    """Best validation metric (lowest error) among front members that meet the policy; with the
    reason, which names the metric (``metric``; None: :func:`selection_metric` of the front)."""
    if not front:
        raise ValueError("the search produced no stand-alone candidate; give it a larger budget")
    need_f = policy.min_f_soft if policy.min_f_soft is not None else min_f_soft
    ok = [
        e
        for e in front
        if (need_f is None or (e.metrics.get("f_soft") or 1.0) >= need_f)
        and (policy.max_parameters is None or e.metrics["parameters"] <= policy.max_parameters)
    ]
    rule = []
    if need_f is not None:
        rule.append(f"F_soft ≥ {need_f}")
    if policy.max_parameters is not None:
        rule.append(f"≤ {policy.max_parameters:,} parameters")
    pool = ok or front
    best = min(pool, key=lambda e: (e.objectives[0], e.objectives[1], e.number))
    label = METRIC_LABELS.get(metric or selection_metric(front), "accuracy")
    why = (
        f"highest validation {label} (the search's metric) on the Pareto front"
        f"{' among models with ' + ' and '.join(rule) if rule else ''}"
    )
    if rule and not ok:
        why += f" — no front member met the policy, so the best by validation {label} overall was taken"
    return best, why


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Exact hypervolume (minimisation) of ≤ 3-D points w.r.t. ``reference``, by slicing."""
    pts = np.asarray(points, dtype=float)
    pts = pts[np.all(pts < reference, axis=1)] if pts.size else pts
    if pts.size == 0:
        return 0.0
    if pts.shape[1] == 1:
        return float(reference[0] - pts[:, 0].min())
    order = pts[np.argsort(pts[:, 0], kind="stable")]
    if pts.shape[1] == 2:
        ys = np.minimum.accumulate(order[:, 1])
        xs = np.append(order[:, 0], reference[0])
        return float(np.sum(np.diff(xs) * (reference[1] - ys)))
    zs = np.append(order[:, 0], reference[0])
    return float(sum((zs[i + 1] - zs[i]) * hypervolume(order[: i + 1, 1:], reference[1:]) for i in range(len(order))))


@dataclass
class SearchResult:
    """Every evaluation, the stand-alone front, the selected candidate and why, and its model.

    Returned by :func:`snas.search` (as ``RunOutput.result``) and kept by a searching
    ``SNASClassifier`` as ``search_result_``.

    Parameters
    ----------
    evaluations : tuple of Evaluation
        Every evaluated candidate at every fidelity (``inherited``, ``low``, ``stand-alone``).
    front : tuple of Evaluation
        The Pareto front (error, complexity, soft-rule infidelity) at the best fidelity that
        finished anything, normally ``stand-alone``.
    selected : Evaluation
        The front member chosen by the selection policy.
    reason : str
        Why it was chosen, in words (written to the run's ``front.json`` and ``search.json``).
    elapsed_seconds : float
        Search time, including earlier sessions of a resumed run.
    info : dict, default={}
        Storage, worker, sha256 of the data split and strategy.
    model : FittedModel or None, default=None
        The final trained model, set at the end of the search: the selected candidate's, or
        an :class:`~snas.EnsembleModel` when ``ensemble.chosen``.
    ensemble : EnsembleChoice or None, default=None
        The greedy ensemble of stand-alone candidates considered at the end (``selection:
        ensemble: N``), with its validation metrics and whether it became the model.
    glass_box : EnsembleChoice or None, default=None
        The same greedy selection among the glass-box candidates only, with at most
        ``space.max_pairs`` pairwise terms in all (one part or more): the most accurate glass
        box the search offers; its model is ``glass_box_model`` (parts the final model refit are
        taken refit, the others as trained in the search).
    glass_box_model : FittedModel or None, default=None
        That glass box's model (an :class:`~snas.EnsembleModel` of additive parts, which is
        itself additive, or a single additive model).

    Examples
    --------
    >>> from snas import search
    >>> result = search("search/census_income.yaml", "runs/census").result  # doctest: +SKIP
    >>> result.selected.metrics["error"], result.reason  # doctest: +SKIP
    >>> result.front_frame()[["number", "error", "parameters"]]  # doctest: +SKIP
    """

    evaluations: tuple[Evaluation, ...]
    front: tuple[Evaluation, ...]
    selected: Evaluation
    reason: str
    elapsed_seconds: float
    info: dict[str, Any] = field(default_factory=dict)
    model: FittedModel | None = None
    ensemble: EnsembleChoice | None = None
    glass_box: EnsembleChoice | None = None
    glass_box_model: FittedModel | None = None

    @property
    def smallest(self) -> Evaluation:
        """The front member with the fewest parameters (ties: the lower error)."""
        return min(self.front, key=lambda e: (e.metrics["parameters"], e.objectives[0]))

    def counts(self) -> dict[str, int]:
        """Evaluations per fidelity."""
        return {f: sum(e.fidelity == f for e in self.evaluations) for f in FIDELITIES}

    def front_frame(self) -> pd.DataFrame:
        """The Pareto front, one row per member: number, family, metrics and spec."""
        import pandas as pd

        return pd.DataFrame([{"number": e.number, "family": e.family, **e.metrics, "spec": e.spec} for e in self.front])

    def history_frame(self) -> pd.DataFrame:
        """Every evaluation, one row each: number, fidelity, family, generation and metrics."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "number": e.number,
                    "fidelity": e.fidelity,
                    "family": e.family,
                    "generation": e.generation,
                    **e.metrics,
                }
                for e in self.evaluations
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """The result as plain data (what ``search.json`` records of it)."""
        return {
            "selected": self.selected.number,
            "reason": self.reason,
            "front": [e.number for e in self.front],
            "elapsed_seconds": self.elapsed_seconds,
            "evaluations": [e.to_dict() for e in self.evaluations],
            "info": self.info,
            "ensemble": None if self.ensemble is None else self.ensemble.to_dict(),
            "glass_box": None if self.glass_box is None else self.glass_box.to_dict(),
        }
