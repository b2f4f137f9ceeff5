"""Performance evidence on the test split: overall metrics with bootstrap intervals,
calibration, and per-group metrics with fairness gaps (AUDIT.md §1.3).

Each function returns plain data; ids are stable (derived from what is measured), so two
reports can be diffed item by item.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._stats import Bootstrap

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs

__all__ = [
    "SMALL_GROUP",
    "calibration",
    "fairness",
    "group_definitions",
    "group_evidence",
    "item",
    "overall_metrics",
    "performance_evidence",
    "plain",
]

SMALL_GROUP = 100  # groups with fewer test rows are flagged and left out of the gaps


def item(
    id_: str,
    kind: str,
    value: Any,
    *,
    ci: tuple[float, float] | None = None,
    n: int | None = None,
    method: str | None = None,
    threshold: float | None = None,
    passed: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One evidence item: id, kind, value, and what is known about it."""
    d: dict[str, Any] = {"id": id_, "kind": kind, "value": value}
    if ci is not None:
        d["ci95"] = list(ci)
    if n is not None:
        d["n"] = int(n)
    if method:
        d["method"] = method
    if threshold is not None:
        d["threshold"] = threshold
    if passed is not None:
        d["pass"] = bool(passed)
    d.update(extra)
    return d


def plain(v: Any) -> Any:
    """A cell of a frame as a JSON value (NaN and pd.NA → None, NumPy scalars → Python)."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    import pandas as pd

    if v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else (v if isinstance(v, (int, float, str)) else str(v))


# ----------------------------------------------------------------------------- overall
def performance_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Overall metrics with intervals and the calibration table."""
    out = overall_metrics(inputs.y, inputs.proba, inputs.boot, inputs.positive, inputs.classes)
    for e in out:
        if e["id"] == "ev:metric:log_loss":
            e.update(log_loss_split(inputs.y, inputs.proba, inputs.model.deciding_rules(inputs.X) != None))  # noqa: E711
            split, other = e, e.get("log_loss_without_rule_decided")
            e["method"] += (
                f"; probabilities clipped to [{LOG_LOSS_CLIP:g}, 1 − {LOG_LOSS_CLIP:g}]: a hard-rule decision "
                f"(probability 0 or 1) on a row of the other class costs −ln({LOG_LOSS_CLIP:g}) ≈ "
                f"{-np.log(LOG_LOSS_CLIP):.1f}, so such rows make the value depend on the clip. "
                f"{split['rule_decided_rows']:,} rows were decided by a hard rule ({split['rule_decided_wrong']:,} of "
                f"them of the other class): {split['rule_decided_share_of_loss']:.1%} of the total loss; "
                + (
                    f"log-loss on the {split['rows_without_rule_decided']:,} rows no hard rule decided: {other:.4f}"
                    if other is not None
                    else "every row was decided by a hard rule"
                )
            )
    calib = calibration(inputs.y, inputs.proba, inputs.positive)
    name = inputs.classes[inputs.positive]
    out.append(
        item(
            "ev:calibration",
            "calibration",
            calib["expected_calibration_error"],
            method="10 equal-width bins"
            + (
                f"; the probability of class {name!r} against the others (one-vs-rest)"
                if len(inputs.classes) > 2
                else ""
            ),
            reliability=calib["reliability"],
            threshold_sweep=calib["threshold_sweep"],
            positive_class=name,
        )
    )
    return out


def overall_metrics(
    y: np.ndarray, proba: np.ndarray, boot: Bootstrap, positive: int, classes: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Accuracy, balanced accuracy, ROC-AUC, log-loss, Brier with bootstrap intervals, each with
    its definition: for a multiclass target balanced accuracy is the mean recall per class,
    ROC-AUC the macro average of the one-vs-rest areas, log-loss and Brier score every class."""
    names = list(classes) if classes is not None else [str(k) for k in range(proba.shape[1])]
    method = f"bootstrap-percentile-{boot.resamples}"

    def metric(name: str, point: float, ci: tuple[float, float], definition: str, **extra: Any) -> dict[str, Any]:
        return item(
            f"ev:metric:{name}",
            "metric",
            point,
            ci=ci,
            n=len(y),
            method=method,
            metric=name,
            definition=definition,
            **extra,
        )

    pred = proba.argmax(1)
    acc = boot.mean((pred == y).astype(float))
    scores = (
        _multiclass_scores(y, proba, boot, names)
        if proba.shape[1] > 2
        else _binary_scores(y, proba, boot, positive, names)
    )
    return [
        metric(
            "accuracy", acc[0], acc[1:], "share of rows whose predicted class (the most probable) is the true class"
        ),
        *(metric(name, point, ci, definition, **extra) for name, (point, ci, definition, extra) in scores.items()),
        item(
            "ev:metric:base_rate",
            "metric",
            float((y == positive).mean()),
            n=len(y),
            metric="positive_rate",
            definition=f"share of the test rows whose class is {names[positive]!r}",
            positive_class=names[positive],
        ),
    ]


Score = tuple[float, tuple[float, float], str, dict[str, Any]]  # point, interval, definition, extra fields

LOG_LOSS_CLIP = 1e-15  # probabilities are clipped to [clip, 1 − clip] before the log


def log_loss_split(y: np.ndarray, proba: np.ndarray, decided: np.ndarray) -> dict[str, Any]:
    """The log-loss apart from the rows a hard rule decided: their number, how many of them have
    the other label (each costs −ln(clip), the clip's choice), their share of the total loss and
    the log-loss of the other rows (which does not depend on the clip unless the network outputs
    0 or 1 itself)."""
    decided = np.asarray(decided, dtype=bool)
    p_true = np.clip(proba[np.arange(len(y)), y], LOG_LOSS_CLIP, 1.0)
    loss = -np.log(p_true)
    total = float(loss.sum())
    rest = ~decided
    return {
        "clip": LOG_LOSS_CLIP,
        "rule_decided_rows": int(decided.sum()),
        "rule_decided_wrong": int((decided & (proba.argmax(1) != y)).sum()),
        "rule_decided_share_of_loss": float(loss[decided].sum() / total) if total > 0 else 0.0,
        "log_loss_without_rule_decided": float(loss[rest].mean()) if rest.any() else None,
        "rows_without_rule_decided": int(rest.sum()),
    }


def _binary_scores(
    y: np.ndarray, proba: np.ndarray, boot: Bootstrap, positive: int, names: list[str]
) -> dict[str, Score]:
    """Balanced accuracy, ROC-AUC, log-loss and Brier of a two-class target (scored on ``positive``)."""
    yb, p, pred = y == positive, proba[:, positive], proba.argmax(1)
    hit_pos, hit_neg = yb & (pred == positive), ~yb & (pred != positive)
    bal = 0.5 * (hit_pos.sum() / max(yb.sum(), 1) + hit_neg.sum() / max((~yb).sum(), 1))
    bal_ci = boot.interval(0.5 * (boot.resampled_ratio(hit_pos, yb) + boot.resampled_ratio(hit_neg, ~yb)))
    auc = boot.auc(yb, p)
    pc = np.clip(p, LOG_LOSS_CLIP, 1 - LOG_LOSS_CLIP)
    ll = boot.mean(-(yb * np.log(pc) + (~yb) * np.log(1 - pc)))
    br = boot.mean((p - yb) ** 2)
    of = f"the probability of {names[positive]!r}"
    return {
        "balanced_accuracy": (float(bal), bal_ci, "mean of the recalls of the two classes", {}),
        "roc_auc": (auc[0], auc[1:], f"ROC-AUC of {of} (binary)", {"averaging": "binary"}),
        "log_loss": (ll[0], ll[1:], f"mean binary log-loss of {of}", {}),
        "brier": (br[0], br[1:], f"mean squared error of {of}", {}),
    }


def _multiclass_scores(y: np.ndarray, proba: np.ndarray, boot: Bootstrap, names: list[str]) -> dict[str, Score]:
    """Balanced accuracy, ROC-AUC, log-loss and Brier of a target with three classes or more."""
    pred, k = proba.argmax(1), proba.shape[1]
    present = [c for c in range(k) if (y == c).any()]
    hits = [((y == c) & (pred == c), y == c) for c in present]
    bal = float(np.mean([h.sum() / m.sum() for h, m in hits]))
    bal_ci = boot.interval(np.mean([boot.resampled_ratio(h, m) for h, m in hits], axis=0))
    auc, lo, hi, per_class = boot.macro_auc(y, proba)
    onehot = np.eye(k)[y]
    ll = boot.mean(-np.log(np.clip(proba[np.arange(len(y)), y], LOG_LOSS_CLIP, 1.0)))
    br = boot.mean(((proba - onehot) ** 2).sum(1))
    macro = f"macro average of the {k} one-vs-rest ROC-AUCs (each class's probability against all other classes)"
    return {
        "balanced_accuracy": (bal, bal_ci, f"mean of the recalls of the {len(present)} classes in the test split", {}),
        "roc_auc": (
            auc,
            (lo, hi),
            macro,
            {
                "averaging": "macro one-vs-rest",
                "per_class": {n: None if v != v else v for n, v in zip(names, per_class, strict=True)},
            },
        ),
        "log_loss": (ll[0], ll[1:], "mean multiclass log-loss: −log of the probability given to the true class", {}),
        "brier": (br[0], br[1:], f"multiclass Brier score: squared error summed over the {k} class probabilities", {}),
    }


def calibration(y: np.ndarray, proba: np.ndarray, positive: int, bins: int = 10) -> dict[str, Any]:
    """Reliability table (equal-width bins) and a threshold sweep."""
    p = proba[:, positive]
    yb = (y == positive).astype(float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table: list[dict[str, Any]] = []
    for b in range(bins):
        m = idx == b
        table.append(
            {
                "bin": [float(edges[b]), float(edges[b + 1])],
                "n": int(m.sum()),
                "mean_predicted": float(p[m].mean()) if m.any() else None,
                "observed_rate": float(yb[m].mean()) if m.any() else None,
            }
        )
    sweep = []
    for t in np.round(np.linspace(0.05, 0.95, 19), 2):
        d = p >= t
        tp, fp = (d & (yb == 1)).sum(), (d & (yb == 0)).sum()
        sweep.append(
            {
                "threshold": float(t),
                "accuracy": float((d == (yb == 1)).mean()),
                "tpr": float(tp / max(yb.sum(), 1)),
                "fpr": float(fp / max((1 - yb).sum(), 1)),
                "selection_rate": float(d.mean()),
            }
        )
    ece = sum(
        float(r["n"]) * abs(float(r["mean_predicted"]) - float(r["observed_rate"])) for r in table if r["n"]
    ) / len(y)
    return {"reliability": table, "threshold_sweep": sweep, "expected_calibration_error": float(ece)}


# ----------------------------------------------------------------------------- groups
def group_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Per-group metrics and fairness gaps for the dataset's sensitive columns, each with its
    definition (one-vs-rest for the positive class when the target has more than two)."""
    items, gaps = fairness(inputs.groups, inputs.y, inputs.pred, inputs.positive, inputs.boot)
    words = group_definitions(inputs.classes, inputs.positive)
    for e in items + gaps:
        e["definition"] = words[e["metric"]]
        e["positive_class"] = inputs.classes[inputs.positive]
    return items + gaps


def group_definitions(classes: Sequence[str], positive: int) -> dict[str, str]:
    """What each group metric counts, naming the classes: for a multiclass target selection
    rate, TPR, FPR and PPV are one-vs-rest for the positive class."""
    p = classes[positive]
    others = [c for c in classes if c != p]
    rest = repr(others[0]) if len(others) == 1 else "any other class (" + ", ".join(map(repr, others)) + ")"
    ovr = f"one-vs-rest for class {p!r} (against {', '.join(map(repr, others))}): " if len(others) > 1 else ""
    return {
        "accuracy": "share of the group's rows whose predicted class is the true class",
        "selection_rate": f"{ovr}share of the group's rows predicted {p!r}",
        "tpr": f"{ovr}share of the group's {p!r} rows predicted {p!r}",
        "fpr": f"{ovr}share of the group's rows of {rest} predicted {p!r}",
        "ppv": f"{ovr}share of the group's rows predicted {p!r} that are {p!r}",
    }


_GROUP_METRICS = ("accuracy", "selection_rate", "tpr", "fpr", "ppv")
_GAP_METRICS = ("selection_rate", "tpr", "fpr")


def fairness(
    groups: dict[str, np.ndarray], y: np.ndarray, pred: np.ndarray, positive: int, boot: Bootstrap
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-group n, accuracy, selection rate, TPR, FPR, PPV (with intervals), and gaps."""
    items: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    for attr, values in groups.items():
        levels = [v for v in sorted(set(values.tolist())) if v is not None]
        resampled: dict[str, dict[str, np.ndarray]] = {}
        for lv in levels:
            level_items, resampled[lv] = _level_metrics(attr, lv, values == lv, y, pred, positive, boot)
            items += level_items
        valid = [lv for lv in levels if (values == lv).sum() >= SMALL_GROUP]
        if len(valid) >= 2:
            points = {i["id"]: i["value"] for i in items if i.get("attribute") == attr}
            for name in _GAP_METRICS:
                by_level = {lv: points[f"ev:group:{attr}={lv}:{name}"] for lv in valid}
                sizes = {str(lv): int((values == lv).sum()) for lv in valid}
                gaps += _gaps(attr, name, by_level, np.vstack([resampled[lv][name] for lv in valid]), boot, sizes)
    return items, gaps


def _level_metrics(
    attr: str, level: str, m: np.ndarray, y: np.ndarray, pred: np.ndarray, positive: int, boot: Bootstrap
) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """One group's metrics with intervals, and their bootstrap resamples (for the gaps)."""
    yb, db = y == positive, pred == positive
    stats = {
        "accuracy": ((pred == y) & m, m),  # the predicted class is the true one (any number of classes)
        "selection_rate": (db & m, m),
        "tpr": (db & yb & m, yb & m),
        "fpr": (db & ~yb & m, ~yb & m),
        "ppv": (db & yb & m, db & m),
    }
    n = int(m.sum())
    points, stacked = boot.ratios([stats[k][0] for k in _GROUP_METRICS], [stats[k][1] for k in _GROUP_METRICS])
    items, resampled = [], {}
    for j, name in enumerate(_GROUP_METRICS):
        point, (lo, hi) = float(points[j]), boot.interval(stacked[:, j])
        resampled[name] = stacked[:, j]
        items.append(
            item(
                f"ev:group:{attr}={level}:{name}",
                "group_metric",
                point,
                ci=(lo, hi),
                n=n,
                method=f"bootstrap-percentile-{boot.resamples}",
                attribute=attr,
                group=str(level),
                metric=name,
                small_group=n < SMALL_GROUP,
            )
        )
    return items, resampled


def _gaps(
    attr: str,
    name: str,
    by_level: dict[str, float],
    resampled: np.ndarray,
    boot: Bootstrap,
    sizes: dict[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Difference (highest − lowest) and ratio (lowest / highest) across groups, with intervals
    and the groups' sizes. A percentile interval of a max − min gap can never contain 0 and sits
    above the true gap (the max of noisy rates is biased upward), so the difference's interval is
    the basic bootstrap one (2·gap − the percentile bounds, clipped at 0), which corrects that
    bias; neither is a significance test."""
    hi_lv = max(by_level, key=lambda k: by_level[k])
    lo_lv = min(by_level, key=lambda k: by_level[k])
    diff = float(by_level[hi_lv] - by_level[lo_lv])
    ratio = float(by_level[lo_lv] / by_level[hi_lv]) if by_level[hi_lv] else float("nan")
    with np.errstate(invalid="ignore", divide="ignore"):
        d_s = np.nanmax(resampled, 0) - np.nanmin(resampled, 0)
        r_s = np.nanmin(resampled, 0) / np.nanmax(resampled, 0)
    method = f"bootstrap-percentile-{boot.resamples}"
    caveat = (
        "; a percentile interval of a max − min gap cannot contain 0 and is biased upward, so this one is the "
        "basic (bias-corrected) bootstrap interval, clipped at 0; it is not a significance test of a difference "
        "between groups"
    )
    p_lo, p_hi = boot.interval(d_s)
    basic = (max(0.0, 2 * diff - p_hi), max(0.0, 2 * diff - p_lo))
    sizes = sizes or {}
    ns: dict[str, Any] = {"group_n": {str(k): sizes.get(str(k)) for k in by_level}} if sizes else {}
    thr = 0.8 if name == "selection_rate" else None  # the four-fifths rule
    return [
        item(
            f"ev:gap:{attr}:{name}:difference",
            "fairness_gap",
            diff,
            ci=basic,
            method=f"bootstrap-basic-{boot.resamples}" + caveat,
            percentile_ci95=[p_lo, p_hi],
            attribute=attr,
            metric=name,
            groups=[str(hi_lv), str(lo_lv)],
            note=f"groups with n ≥ {SMALL_GROUP}: "
            + ", ".join(f"{k} n={v:,}" for k, v in sizes.items() if isinstance(v, int)),
            **ns,
        ),
        item(
            f"ev:gap:{attr}:{name}:ratio",
            "fairness_gap",
            ratio,
            ci=boot.interval(r_s),
            method=method + "; a percentile interval of a min / max ratio sits below the true ratio and cannot "
            "contain 1; not a significance test",
            attribute=attr,
            metric=name,
            groups=[str(lo_lv), str(hi_lv)],
            **ns,
            threshold=thr,
            passed=None if thr is None else ratio >= thr,
        ),
    ]


def selection_rate_gaps(groups: dict[str, np.ndarray], pred: np.ndarray, positive: int) -> dict[str, float | None]:
    """Per attribute: highest − lowest share predicted positive among groups with n ≥ SMALL_GROUP."""
    out: dict[str, float | None] = {}
    chosen = pred == positive
    for attr, values in groups.items():
        rates = [
            float(chosen[values == lv].mean()) for lv in set(values.tolist()) if (values == lv).sum() >= SMALL_GROUP
        ]
        out[attr] = max(rates) - min(rates) if len(rates) >= 2 else None
    return out
