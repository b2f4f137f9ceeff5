"""Search results: the history, the Pareto front, the selection policy, hypervolume."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from snas.search._config import Selection
from snas.search._evaluate import Evaluation

__all__ = ["SearchResult", "hypervolume", "pareto_front", "select"]


def _dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))


def pareto_front(evals: list[Evaluation]) -> list[Evaluation]:
    """Non-dominated complete evaluations (duplicates of an objective vector kept once)."""
    done = [e for e in evals if e.state == "complete"]
    front: list[Evaluation] = []
    seen: set[tuple[float, ...]] = set()
    for e in sorted(done, key=lambda e: (e.objectives, e.number)):
        if e.objectives in seen:
            continue
        if not any(_dominates(o.objectives, e.objectives) for o in done):
            front.append(e)
            seen.add(e.objectives)
    return front


def select(front: list[Evaluation], policy: Selection, min_f_soft: float | None = None) -> tuple[Evaluation, str]:
    """Best validation error among front members that meet the policy; with the reason."""
    if not front:
        raise ValueError("the search produced no complete candidate")
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
    why = f"lowest validation error on the Pareto front{' among models with ' + ' and '.join(rule) if rule else ''}"
    if rule and not ok:
        why += " — no front member met the policy, so the most accurate overall was taken"
    return best, why


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Exact hypervolume (minimisation) of ≤ 3-D points w.r.t. ``reference``, by slicing."""
    pts = np.asarray([p for p in np.asarray(points, dtype=float) if np.all(p < reference)])
    if pts.size == 0:
        return 0.0
    if pts.shape[1] == 1:
        return float(reference[0] - pts[:, 0].min())
    if pts.shape[1] == 2:
        order = pts[np.argsort(pts[:, 0])]
        # sweep: area = Σ (x_{i+1} − x_i) · (ref_y − min y so far)
        hv = 0.0
        ys = np.minimum.accumulate(order[:, 1])
        xs = np.append(order[:, 0], reference[0])
        for i in range(len(order)):
            hv += (xs[i + 1] - xs[i]) * (reference[1] - ys[i])
        return float(hv)
    order = pts[np.argsort(pts[:, 0])]
    zs = np.append(order[:, 0], reference[0])
    hv = 0.0
    for i in range(len(order)):
        hv += (zs[i + 1] - zs[i]) * hypervolume(order[: i + 1, 1:], reference[1:])
    return float(hv)


@dataclass(frozen=True)
class SearchResult:
    """Every evaluation, the front, the selected candidate and why."""

    evaluations: tuple[Evaluation, ...]
    front: tuple[Evaluation, ...]
    selected: Evaluation
    reason: str
    elapsed_seconds: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def smallest(self) -> Evaluation:
        return min(self.front, key=lambda e: (e.metrics["parameters"], e.objectives[0]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "selected": self.selected.number,
            "reason": self.reason,
            "front": [e.number for e in self.front],
            "elapsed_seconds": self.elapsed_seconds,
            "evaluations": [e.to_dict() for e in self.evaluations],
            "info": self.info,
        }
