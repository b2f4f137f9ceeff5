"""Evidence the audit computes from a fitted model and the test data (AUDIT.md §1.3).

Each function returns plain data; ids are stable (derived from what is measured), so two
reports can be diffed item by item.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._stats import Bootstrap

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "age_bands",
    "counterfactual",
    "fairness",
    "overall_metrics",
    "proxy_check",
    "robustness",
    "rule_fidelity",
    "shap_values",
    "structural_checks",
]

SMALL_GROUP = 100


def _item(
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


def overall_metrics(y: np.ndarray, proba: np.ndarray, boot: Bootstrap, positive: int) -> list[dict[str, Any]]:
    """Accuracy, balanced accuracy, ROC-AUC, log-loss, Brier with bootstrap intervals."""
    yb = y == positive
    p = proba[:, positive]
    pred = proba.argmax(1)
    correct = (pred == y).astype(float)
    method = f"bootstrap-percentile-{boot.resamples}"
    out = []
    acc = boot.mean(correct)
    out.append(_item("ev:metric:accuracy", "metric", acc[0], ci=acc[1:], n=len(y), method=method, metric="accuracy"))
    tpr_s = boot.resampled_ratio(yb & (pred == positive), yb)
    tnr_s = boot.resampled_ratio(~yb & (pred != positive), ~yb)
    bal = 0.5 * (
        (yb & (pred == positive)).sum() / max(yb.sum(), 1) + (~yb & (pred != positive)).sum() / max((~yb).sum(), 1)
    )
    out.append(
        _item(
            "ev:metric:balanced_accuracy",
            "metric",
            float(bal),
            ci=boot.interval(0.5 * (tpr_s + tnr_s)),
            n=len(y),
            method=method,
            metric="balanced_accuracy",
        )
    )
    auc = boot.auc(yb, p)
    out.append(_item("ev:metric:roc_auc", "metric", auc[0], ci=auc[1:], n=len(y), method=method, metric="roc_auc"))
    pc = np.clip(p, 1e-15, 1 - 1e-15)
    ll = boot.mean(-(yb * np.log(pc) + (~yb) * np.log(1 - pc)))
    out.append(_item("ev:metric:log_loss", "metric", ll[0], ci=ll[1:], n=len(y), method=method, metric="log_loss"))
    br = boot.mean((p - yb) ** 2)
    out.append(_item("ev:metric:brier", "metric", br[0], ci=br[1:], n=len(y), method=method, metric="brier"))
    base = float(yb.mean())
    out.append(_item("ev:metric:base_rate", "metric", base, n=len(y), metric="positive_rate"))
    return out


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


def age_bands(age: np.ndarray) -> np.ndarray:
    bands = np.array(["<25", "25-44", "45-64", "65+"], dtype=object)
    a = np.asarray(age, float)
    out = bands[np.digitize(a, [25, 45, 65])]
    out[np.isnan(a)] = "missing"
    return out


def fairness(
    groups: dict[str, np.ndarray], y: np.ndarray, pred: np.ndarray, positive: int, boot: Bootstrap
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-group n, accuracy, selection rate, TPR, FPR, PPV (with intervals), and gaps."""
    yb, db = y == positive, pred == positive
    method = f"bootstrap-percentile-{boot.resamples}"
    items, gaps = [], []
    for attr, values in groups.items():
        levels = [v for v in sorted(set(values.tolist())) if v is not None]
        per_level: dict[str, dict[str, np.ndarray]] = {}
        for lv in levels:
            m = values == lv
            n = int(m.sum())
            stats = {
                "accuracy": ((db == yb) & m, m),
                "selection_rate": (db & m, m),
                "tpr": (db & yb & m, yb & m),
                "fpr": (db & ~yb & m, ~yb & m),
                "ppv": (db & yb & m, db & m),
            }
            per_level[lv] = {}
            for name, (num, den) in stats.items():
                point, lo, hi = boot.ratio(num, den)
                per_level[lv][name] = boot.resampled_ratio(num, den)
                items.append(
                    _item(
                        f"ev:group:{attr}={lv}:{name}",
                        "group_metric",
                        point,
                        ci=(lo, hi),
                        n=n,
                        method=method,
                        attribute=attr,
                        group=str(lv),
                        metric=name,
                        small_group=n < SMALL_GROUP,
                    )
                )
        for name in ("selection_rate", "tpr", "fpr"):
            valid = [lv for lv in levels if (values == lv).sum() >= SMALL_GROUP]
            if len(valid) < 2:
                continue
            mat = np.vstack([per_level[lv][name] for lv in valid])
            by_level: dict[str, float] = {
                lv: next(i["value"] for i in items if i["id"] == f"ev:group:{attr}={lv}:{name}") for lv in valid
            }
            hi_lv = max(by_level, key=lambda k: by_level[k])
            lo_lv = min(by_level, key=lambda k: by_level[k])
            diff = float(by_level[hi_lv] - by_level[lo_lv])
            ratio = float(by_level[lo_lv] / by_level[hi_lv]) if by_level[hi_lv] else float("nan")
            with np.errstate(invalid="ignore", divide="ignore"):
                d_s = np.nanmax(mat, 0) - np.nanmin(mat, 0)
                r_s = np.nanmin(mat, 0) / np.nanmax(mat, 0)
            gaps.append(
                _item(
                    f"ev:gap:{attr}:{name}:difference",
                    "fairness_gap",
                    diff,
                    ci=boot.interval(d_s),
                    method=method,
                    attribute=attr,
                    metric=name,
                    groups=[str(hi_lv), str(lo_lv)],
                    note=f"groups with n ≥ {SMALL_GROUP}",
                )
            )
            thr = 0.8 if name == "selection_rate" else None
            gaps.append(
                _item(
                    f"ev:gap:{attr}:{name}:ratio",
                    "fairness_gap",
                    ratio,
                    ci=boot.interval(r_s),
                    method=method,
                    attribute=attr,
                    metric=name,
                    groups=[str(lo_lv), str(hi_lv)],
                    threshold=thr,
                    passed=None if thr is None else ratio >= thr,
                )
            )
    return items, gaps


def rule_fidelity(
    table: pd.DataFrame, groups: dict[str, np.ndarray], bodies: np.ndarray, pred_labels: np.ndarray, heads: list[str]
) -> list[dict[str, Any]]:
    """Per-rule fidelity (DESIGN §6) and each rule's violation rate per group."""
    out = []
    for j, row in table.reset_index(drop=True).iterrows():
        rid = row["rule"]
        vr = row["violation_rate"]
        limit = 0.0 if row["strength"] == "hard" else 0.10
        out.append(
            _item(
                f"ev:rule:{rid}",
                "rule_fidelity",
                None if vr is None or vr != vr else float(1 - vr),
                ci=None
                if row["violation_rate_low"] is None or row["violation_rate_low"] != row["violation_rate_low"]
                else (float(1 - row["violation_rate_high"]), float(1 - row["violation_rate_low"])),
                n=int(row["support"]),
                method="wilson-95",
                threshold=1 - limit,
                passed=None if row["support"] == 0 else bool(vr <= limit + 1e-12),
                rule=rid,
                strength=row["strength"],
                head=row["head"],
                coverage=float(row["coverage"]),
                violations=int(row["violations"]),
                violation_rate=None if vr != vr else vr,
                expected_violation=_f(row["expected_violation"]),
                label_agreement=_f(row["label_agreement"]),
                excess_violation=_f(row["excess_violation"]),
                violation_example_rows=[int(i) for i in np.flatnonzero(bodies[:, j] & (pred_labels != heads[j]))[:5]],
            )
        )
        for attr, values in groups.items():
            per = {}
            for lv in sorted(set(values.tolist())):
                m = bodies[:, j] & (values == lv)
                if m.sum():
                    per[str(lv)] = {"n": int(m.sum()), "violation_rate": float((pred_labels[m] != heads[j]).mean())}
            out.append(_item(f"ev:rule:{rid}:by:{attr}", "rule_fidelity_by_group", per, rule=rid, attribute=attr))
    return out


def _f(v: Any) -> float | None:
    return None if v is None or v != v else float(v)


def structural_checks(clf: Any, X: pd.DataFrame, seed: int) -> list[dict[str, Any]]:
    """Monotonicity violation rate per monotonic feature; decision flip rate per excluded attribute."""
    from snas.metrics import flip_rate, monotonicity_violation_rate

    out = []
    rules = clf.compiled_.rules
    for f, direction in rules.constraints.monotonic.items():
        v = monotonicity_violation_rate(clf.predict_proba, X, f, direction, seed=seed)
        out.append(
            _item(
                f"ev:monotonicity:{f}",
                "monotonicity",
                v,
                n=min(500, len(X)),
                method="quantile grid, 25 points",
                threshold=0.0,
                passed=v == 0.0,
                feature=f,
                direction="increasing" if direction > 0 else "decreasing",
            )
        )
    for f in rules.constraints.exclude_features:
        v = flip_rate(clf.predict, X, f, seed=seed)
        out.append(
            _item(
                f"ev:flip:{f}",
                "flip_rate",
                v,
                n=min(2000, len(X)),
                method="swap to every other level",
                threshold=0.0,
                passed=v == 0.0,
                feature=f,
            )
        )
    return out


def proxy_check(clf: Any, X: pd.DataFrame, attribute_values: dict[str, np.ndarray], seed: int) -> list[dict[str, Any]]:
    """How well each excluded attribute or audited proxy is predicted from the model's inputs
    (a gradient-boosting probe, 3-fold balanced accuracy vs the majority-class baseline)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    feats = list(clf.encoder_.features)
    rng = np.random.default_rng(seed)
    take = rng.choice(len(X), size=min(5000, len(X)), replace=False)
    Xs = X.iloc[take][feats].copy()
    for c in Xs.columns:
        if str(Xs[c].dtype) == "category":
            Xs[c] = Xs[c].cat.codes.replace(-1, np.nan)
        else:
            Xs[c] = Xs[c].astype("float64")
    out = []
    for attr, values in attribute_values.items():
        target = np.asarray(values)[take].astype(str)
        if len(set(target)) < 2:
            continue
        model = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
        score = float(
            np.mean(cross_val_score(model, Xs.to_numpy(dtype=float), target, cv=3, scoring="balanced_accuracy"))
        )
        chance = 1.0 / len(set(target))
        out.append(
            _item(
                f"ev:proxy:{attr}",
                "proxy_leakage",
                score,
                n=len(take),
                method="HGB probe, 3-fold balanced accuracy",
                threshold=0.7,
                passed=score < 0.7,
                attribute=attr,
                chance_level=chance,
                inputs=feats,
            )
        )
    return out


def robustness(clf: Any, X: pd.DataFrame, y: np.ndarray, seed: int) -> list[dict[str, Any]]:
    """Accuracy and decision changes under Gaussian noise, missing values and category swaps."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    base_pred = clf.predict(X)
    base_acc = float((base_pred == y).mean())
    numeric = [c.name for c in clf.schema_.features if c.kind == "numeric" and c.name in X.columns]
    categorical = [c.name for c in clf.schema_.features if c.kind != "numeric" and c.name in X.columns]
    out = []

    def record(id_: str, label: str, Xp: pd.DataFrame) -> None:
        pred = clf.predict(Xp)
        acc = float((pred == y).mean())
        out.append(
            _item(
                id_,
                "robustness",
                acc,
                n=len(X),
                perturbation=label,
                baseline_accuracy=base_acc,
                accuracy_drop=base_acc - acc,
                decisions_changed=float((pred != base_pred).mean()),
                threshold=0.02,
                passed=(base_acc - acc) <= 0.02,
            )
        )

    for sd in (0.05, 0.1, 0.25):
        Xp = X.copy()
        for c in numeric:
            v = X[c].to_numpy(dtype="float64", na_value=np.nan)
            noisy = v + rng.normal(0, sd * np.nanstd(v), size=len(v))
            Xp[c] = np.round(noisy) if str(X[c].dtype).startswith(("Int", "int")) else noisy
            if str(X[c].dtype).startswith("Int"):
                Xp[c] = pd.array(np.round(noisy), dtype="Int64")
        record(f"ev:robustness:noise:{sd}", f"Gaussian noise {sd} SD on every numeric input", Xp)
    Xp = X.copy()
    for c in numeric + categorical:
        m = rng.random(len(X)) < 0.2
        col = Xp[c].copy()
        col[m] = pd.NA if str(col.dtype) in ("Int64", "category") or col.dtype == object else np.nan
        Xp[c] = col
    record("ev:robustness:missing:0.2", "20% of every input set missing", Xp)
    Xp = X.copy()
    for c in categorical:
        m = rng.random(len(X)) < 0.1
        levels = list(X[c].cat.categories) if str(X[c].dtype) == "category" else sorted(X[c].dropna().unique())
        col = Xp[c].copy()
        col[m] = rng.choice(levels, size=int(m.sum()))
        Xp[c] = col
    record("ev:robustness:swap:0.1", "10% of categorical values swapped to a random level", Xp)
    return out


def shap_values(
    clf: Any, X: pd.DataFrame, rows: np.ndarray, background: np.ndarray, positive: int, seed: int
) -> tuple[np.ndarray, list[str]]:
    """Permutation SHAP (one antithetic permutation per row) on raw inputs; categorical
    inputs are permuted as level codes. Returns (rows × features) values and feature names."""
    import pandas as pd
    import shap

    feats = [c.name for c in clf.schema_.features]
    cols = list(X.columns)
    kinds = {c.name: c for c in clf.schema_.features}

    def to_numeric(frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(feats)))
        for j, f in enumerate(feats):
            s = frame[f]
            out[:, j] = (
                s.cat.codes.replace(-1, -1).to_numpy()
                if str(s.dtype) == "category"
                else s.to_numpy(dtype="float64", na_value=np.nan)
            )
        return out

    def to_frame(Z: np.ndarray) -> pd.DataFrame:
        data = {}
        for j, f in enumerate(feats):
            col = kinds[f]
            if col.kind == "numeric":
                data[f] = Z[:, j]
            else:
                codes = np.nan_to_num(Z[:, j], nan=-1).astype(int)
                data[f] = pd.Categorical.from_codes(
                    np.where(codes >= len(col.levels), -1, codes),
                    dtype=pd.CategoricalDtype(list(col.levels), ordered=col.kind == "ordinal"),
                )
        return pd.DataFrame(data)[cols]

    def f(Z: np.ndarray) -> np.ndarray:
        return clf.predict_proba(to_frame(Z))[:, positive]

    Zb = to_numeric(X.iloc[background])
    Zr = to_numeric(X.iloc[rows])
    masker = shap.maskers.Independent(Zb, max_samples=len(Zb))
    explainer = shap.PermutationExplainer(f, masker, seed=seed)
    values = explainer(Zr, max_evals=2 * len(feats) + 1, silent=True).values
    return np.asarray(values), feats


def counterfactual(
    clf: Any, row: pd.DataFrame, X_ref: pd.DataFrame, immutable: set[str], positive: int
) -> dict[str, Any]:
    """Smallest change of one or two mutable inputs that flips the decision; monotonic
    features only move in the direction that helps; costs are in standard deviations."""
    import pandas as pd

    p0 = float(clf.predict_proba(row)[0, positive])
    want_up = p0 < 0.5
    mono = clf.compiled_.rules.constraints.monotonic
    candidates: list[tuple[str, Any, float]] = []
    for col in clf.schema_.features:
        f = col.name
        if f in immutable or f not in clf.encoder_.features:
            continue
        cur = row[f].iloc[0]
        if col.kind == "numeric":
            v = X_ref[f].to_numpy(dtype="float64", na_value=np.nan)
            sd = float(np.nanstd(v)) or 1.0
            grid = np.unique(np.nanquantile(v, np.linspace(0.02, 0.98, 25)))
            for g in grid:
                if pd.isna(cur) or g == cur:
                    continue
                if f in mono and ((g > cur) != (want_up == (mono[f] > 0))):
                    continue
                candidates.append((f, float(g), abs(float(g) - float(cur)) / sd))
        else:
            for lv in col.levels:
                if str(cur) != lv:
                    candidates.append((f, lv, 1.0))
    if not candidates:
        return {"found": False, "probability": p0}

    def apply(changes: list[tuple[str, Any, float]]) -> pd.DataFrame:
        r = row.copy()
        for f, v, _ in changes:
            if str(r[f].dtype) == "category":
                r[f] = pd.Categorical([v], dtype=r[f].dtype)
            elif str(r[f].dtype).startswith("Int"):
                r[f] = pd.array([round(v)], dtype="Int64")
            else:
                r[f] = [v]
        return r

    batch = pd.concat([apply([c]) for c in candidates], ignore_index=True)
    p = clf.predict_proba(batch)[:, positive]
    flips = [(c, float(pp)) for c, pp in zip(candidates, p, strict=True) if (pp >= 0.5) == want_up]
    if flips:
        (f, v, cost), pp = min(flips, key=lambda t: (t[0][2], -abs(t[1] - 0.5)))
        return {
            "found": True,
            "changes": [{"feature": f, "from": _plain(row[f].iloc[0]), "to": v}],
            "cost_sd": cost,
            "probability": p0,
            "new_probability": pp,
        }
    gain = (p - p0) * (1 if want_up else -1)
    top = [candidates[i] for i in np.argsort(-gain)[:8]]
    pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1 :] if a[0] != b[0]]
    if pairs:
        batch = pd.concat([apply([a, b]) for a, b in pairs], ignore_index=True)
        p2 = clf.predict_proba(batch)[:, positive]
        ok = [(pr, float(pp)) for pr, pp in zip(pairs, p2, strict=True) if (pp >= 0.5) == want_up]
        if ok:
            (a, b), pp = min(ok, key=lambda t: t[0][0][2] + t[0][1][2])
            return {
                "found": True,
                "changes": [{"feature": c[0], "from": _plain(row[c[0]].iloc[0]), "to": c[1]} for c in (a, b)],
                "cost_sd": a[2] + b[2],
                "probability": p0,
                "new_probability": pp,
            }
    return {"found": False, "probability": p0, "note": "no change of one or two mutable inputs flips the decision"}


def _plain(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v):
        return None
    try:
        import pandas as pd

        if v is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return v.item() if hasattr(v, "item") else (v if isinstance(v, (int, float, str)) else str(v))
