"""build_report: run directory + documentation → AuditReport (data; rendering is separate)."""

from __future__ import annotations

import itertools
import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from snas._util import canonical_json, sha256_bytes, sha256_file
from snas.audit import _evidence as E
from snas.audit._documentation import load_documentation
from snas.audit._report import SCHEMA_VERSION, AuditReport
from snas.audit._sections import SECTIONS
from snas.audit._stats import Bootstrap
from snas.exceptions import ConfigError

__all__ = ["build_report", "load_documentation"]

LOG_SCHEMA = {
    "time": "ISO 8601 UTC",
    "model_sha256": "sha256 of model.safetensors",
    "input_sha256": "sha256 of the input row",
    "output": "predicted class",
    "probabilities": "class → probability",
    "deciding_rule": "hard rule id or null",
    "source": "input file",
    "row": "row number in the input",
}


def _lookup(doc: dict[str, Any], dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _human(doc: dict[str, Any], key: str) -> dict[str, Any]:
    v = _lookup(doc, key)
    if isinstance(v, dict) and v.get("status") == "not_applicable":
        return {"status": "not_applicable", "value": v.get("reason")}
    if key == "approvals":
        ok = isinstance(v, list) and v and all(a.get("name") and a.get("date") for a in v)
        return {"status": "human" if ok else "missing", "value": v if ok else None}
    if v is None or v == "" or v == []:
        return {"status": "missing", "value": None}
    return {"status": "human", "value": v}


def _auto(value: Any) -> dict[str, Any]:
    return {"status": "auto", "value": value}


def _progress(enabled: bool, msg: str, t0: float) -> None:
    if enabled:
        import sys

        print(f"  [{time.perf_counter() - t0:5.1f}s] {msg}", file=sys.stderr, flush=True)


def build_report(
    run_dir: str | Path,
    *,
    documentation: str | Path | None = None,
    data_dir: str | None = None,
    parent: str | Path | None = None,
    resamples: int = 1000,
    progress: bool = False,
) -> AuditReport:
    """Compute every evidence item for the run's selected model on the test split."""

    from snas.datasets import load
    from snas.estimator import SNASClassifier
    from snas.metrics import rule_metrics, rule_summary
    from snas.rules import holds_many

    t0 = time.perf_counter()
    durations: dict[str, float] = {}

    def tick(name: str, since: float) -> float:
        now = time.perf_counter()
        durations[name] = round(now - since, 3)
        _progress(progress, name, t0)
        return now

    run = Path(run_dir)
    for f in ("manifest.json", "model/model.json"):
        if not (run / f).is_file():
            raise ConfigError(f"{run}: not a run directory ({f} missing); run 'snas search' first")
    manifest = json.loads((run / "manifest.json").read_text())
    search = json.loads((run / "search.json").read_text()) if (run / "search.json").is_file() else {}
    front = json.loads((run / "front.json").read_text()) if (run / "front.json").is_file() else {}
    history = json.loads((run / "history.json").read_text()) if (run / "history.json").is_file() else []
    config = search.get("config", {})
    doc_path = documentation
    if doc_path is None:
        guess = [run / "documentation.yaml"]
        if config.get("source"):
            guess.append(Path(config["source"]).resolve().parent.parent / "audit" / f"{config.get('name', '')}.yaml")
        guess.append(Path.cwd() / "audit" / f"{config.get('name', '')}.yaml")
        doc_path = next((g for g in guess if g.is_file()), None)
    doc, doc_sha = load_documentation(doc_path)
    clf = SNASClassifier.load(run / "model")
    dataset_ref = manifest["data"].get("manifest") or config.get("dataset")
    data = load(dataset_ref, data_dir=data_dir, recorded=_recorded(manifest, data_dir))
    if data.test is None:
        raise ConfigError(f"dataset {data.name!r} has no test split to audit on")
    X, y_labels = data.X_test.reset_index(drop=True), data.y_test.astype(str).to_numpy()
    classes = [str(c) for c in clf.classes_]
    positive_label = clf.compiled_.rules.positive or data.schema.positive or classes[-1]
    positive = classes.index(positive_label)
    y = np.searchsorted(np.asarray(classes, dtype=object), y_labels)
    t = tick("load model and data", t0)
    t_pred = time.perf_counter()
    proba = clf.predict_proba(X)
    predict_seconds = time.perf_counter() - t_pred
    pred = proba.argmax(1)
    pred_labels = np.asarray(classes, dtype=object)[pred]
    seed = int(clf.seed_)
    boot = Bootstrap(len(y), resamples=resamples, seed=seed)
    evidence: list[dict[str, Any]] = E.overall_metrics(y, proba, boot, positive)
    calib = E.calibration(y, proba, positive)
    evidence.append(
        {
            "id": "ev:calibration",
            "kind": "calibration",
            "value": calib["expected_calibration_error"],
            "method": "10 equal-width bins",
            "reliability": calib["reliability"],
            "threshold_sweep": calib["threshold_sweep"],
        }
    )
    t = tick("overall metrics with bootstrap intervals", t)
    sensitive = list(data.schema.sensitive)
    groups: dict[str, np.ndarray] = {}
    for s in sensitive:
        col = X[s] if s in X.columns else None
        if col is None:
            continue
        if data.schema.column(s).kind == "numeric":
            groups[f"{s}_band"] = E.age_bands(col.to_numpy(dtype="float64", na_value=np.nan))
        else:
            groups[s] = col.astype(object).where(col.notna(), "missing").to_numpy()
    cats = [k for k in groups if not k.endswith("_band")]
    if len(cats) >= 2:
        a, b = cats[0], cats[1]
        groups[f"{a}×{b}"] = np.asarray([f"{u}×{v}" for u, v in zip(groups[a], groups[b], strict=True)], dtype=object)
    group_items, gaps = E.fairness(groups, y, pred, positive, boot)
    evidence += group_items + gaps
    t = tick("per-group metrics and fairness gaps", t)
    rules = clf.compiled_.rules
    table = rule_metrics(rules, X, pred_labels, proba, classes, y_labels, clf.schema_)
    summary = (
        rule_summary(table)
        if len(rules)
        else {"hard_violations": 0, "micro_compliance": None, "macro_compliance": None, "f_soft": None}
    )
    bodies = holds_many([r.body for r in rules], X, clf.schema_)
    evidence += E.rule_fidelity(
        table, {k: v for k, v in groups.items() if "×" not in k}, bodies, pred_labels, [r.head for r in rules]
    )
    _add_rule_text(evidence, rules)
    evidence.append(
        {
            "id": "ev:rules:summary",
            "kind": "rule_summary",
            "value": summary["micro_compliance"],
            "hard_violations": summary["hard_violations"],
            "macro_compliance": summary["macro_compliance"],
            "f_soft": summary["f_soft"],
            "threshold": 0,
            "pass": summary["hard_violations"] == 0,
        }
    )
    evidence += E.structural_checks(clf, X, seed)
    t = tick("rule fidelity, monotonicity and flip checks", t)
    probe_attrs = {s: groups[s] for s in cats}
    for p in rules.constraints.audit_proxies:
        if p in X.columns:
            probe_attrs[p] = X[p].astype(object).where(X[p].notna(), "missing").to_numpy()
    evidence += E.proxy_check(clf, X, probe_attrs, seed)
    t = tick("proxy check", t)
    evidence += E.robustness(clf, X, y_labels if isinstance(clf.classes_[0], str) else clf.classes_[y], seed)
    t = tick("robustness probes", t)
    rng = np.random.default_rng(seed)
    shap_rows = np.sort(rng.choice(len(X), size=min(200, len(X)), replace=False))
    background = np.sort(rng.choice(len(X), size=min(50, len(X)), replace=False))
    examples = _example_rows(doc, clf, X, proba, positive)
    rows_for_shap = np.unique(np.concatenate([shap_rows, examples]))
    values, feats = E.shap_values(clf, X, rows_for_shap, background, positive, seed)
    mean_abs = np.abs(values[np.isin(rows_for_shap, shap_rows)]).mean(0)
    evidence.append(
        {
            "id": "ev:explain:global_shap",
            "kind": "global_explanation",
            "method": "permutation SHAP, one antithetic permutation per row, 50 background rows",
            "n": len(shap_rows),
            "value": {f: float(v) for f, v in zip(feats, mean_abs, strict=True)},
        }
    )
    t = tick("SHAP explanations", t)
    immutable = set(data.schema.sensitive) | set(rules.constraints.exclude_features)
    for i in examples:
        row = X.iloc[[i]]
        local = values[int(np.searchsorted(rows_for_shap, i))]
        deciding = clf.explain_rules(row).iloc[0]
        neurons = _neuron_activations(clf, row)
        cf = E.counterfactual(clf, row, X, immutable, positive)
        evidence.append(
            {
                "id": f"ev:explain:row:{i}",
                "kind": "local_explanation",
                "row": int(i),
                "input": {k: E._plain(v) for k, v in row.iloc[0].to_dict().items()},
                "value": float(proba[i, positive]),
                "prediction": pred_labels[i],
                "actual": y_labels[i],
                "deciding_rule": deciding,
                "knowledge_neurons": neurons,
                "shap": {f: float(v) for f, v in zip(feats, local, strict=True)},
                "counterfactual": cf,
                "immutable": sorted(immutable),
            }
        )
    t = tick("example explanations and counterfactuals", t)
    evidence += _weak_slices(X, y, pred, clf)
    evidence += _search_evidence(front, history, search)
    evidence += _data_evidence(data, manifest)
    evidence.append(
        {
            "id": "ev:resource:model",
            "kind": "resource",
            "value": int(clf.n_parameters_),
            "unit": "trainable parameters",
            "model_bytes": (run / "model" / "model.safetensors").stat().st_size,
            "note": "measured latency is in run_info (it varies between runs)",
        }
    )
    risk = _risk_register(evidence, table)
    sections = _sections(doc, clf, data, manifest, search, front, evidence, risk, summary, run)
    evidence = [_round(e) for e in sorted(evidence, key=lambda e: e["id"])]
    provenance = _provenance(run, manifest, data, rules, doc_path, doc_sha, seed, resamples)
    parent_id = None
    if parent is not None:
        parent_id = json.loads(Path(parent).read_text()).get("report_id")
    body = {
        "schema_version": SCHEMA_VERSION,
        "parent_report_id": parent_id,
        "system": {
            "name": _lookup(doc, "system.name") or config.get("name") or "snas model",
            "version": provenance["model"]["sha256"][:12],
            "snas_version": manifest["versions"].get("snas"),
        },
        "provenance": provenance,
        "sections": sections,
        "evidence": evidence,
        "risk_register": risk,
        "approvals": [
            {**{k: a.get(k) for k in ("role", "name", "date")}, "content_hash": None}
            for a in (doc.get("approvals") or [])
        ],
    }
    run_info = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "durations_s": durations,
        "inference_us_per_row": round(predict_seconds / len(X) * 1e6, 3),
        "cpu_count": __import__("os").cpu_count(),
        "total_seconds": round(time.perf_counter() - t0, 3),
        "host": platform.node(),
    }
    return AuditReport(body, run_info)


def _recorded(manifest: dict[str, Any], data_dir: str | None) -> dict[str, str] | None:
    """Without --data-dir, where the run found its data files (tried first; sha256 still checked)."""
    from snas.datasets import recorded_locations

    return None if data_dir else recorded_locations(manifest["data"])


def _add_rule_text(evidence: list[dict[str, Any]], rules: Any) -> None:
    """Each rule-fidelity item quotes its rule in the expert's words, for people reading the report."""
    from snas.rules import to_text

    for e in evidence:
        if e["kind"] == "rule_fidelity":
            r = rules[e["rule"]]
            e["condition"] = r.if_text or to_text(r.condition)
            e["unless"] = None if r.unless is None else (r.unless_text or to_text(r.unless))


def _neuron_activations(clf: Any, row: Any) -> dict[str, float]:
    return clf.model_.neuron_activations(row)[0]


def _example_rows(doc: dict[str, Any], clf: Any, X: Any, proba: np.ndarray, positive: int) -> np.ndarray:
    given = doc.get("example_rows")
    if given:
        return np.asarray(sorted(int(i) for i in given if 0 <= int(i) < len(X)))
    deciding = clf.explain_rules(X).to_numpy()
    p = proba[:, positive]
    picks = []
    hard = np.flatnonzero(deciding != None)  # noqa: E711
    if hard.size:
        picks.append(int(hard[0]))
    free = np.flatnonzero(deciding == None)  # noqa: E711
    if free.size:
        picks.append(int(free[np.argmin(np.abs(p[free] - 0.5))]))  # closest to the threshold
        picks.append(int(free[np.argmax(p[free])]))
        picks.append(int(free[np.argmin(p[free])]))
    return np.asarray(sorted(set(picks)))


def _weak_slices(X: Any, y: np.ndarray, pred: np.ndarray, clf: Any) -> list[dict[str, Any]]:
    """Single-feature slices (category levels; numeric quartiles) whose accuracy is lowest."""
    correct = pred == y
    overall = float(correct.mean())
    rows = []
    for col in clf.schema_.features:
        s = X[col.name]
        if col.kind == "numeric":
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            edges = np.unique(np.nanquantile(v, [0, 0.25, 0.5, 0.75, 1]))
            for lo, hi in itertools.pairwise(edges):
                m = (v >= lo) & (v <= hi)
                rows.append((f"{col.name} in [{lo:g}, {hi:g}]", m))
        else:
            for lv in col.levels:
                rows.append((f"{col.name} = {lv}", (s == lv).to_numpy(dtype=bool, na_value=False)))
    out = []
    for label, m in rows:
        n = int(m.sum())
        if n < 100:
            continue
        acc = float(correct[m].mean())
        out.append((acc, label, n))
    out.sort()
    return [
        {
            "id": f"ev:slice:{label}",
            "kind": "weak_slice",
            "value": acc,
            "n": n,
            "slice": label,
            "overall_accuracy": overall,
            "threshold": overall - 0.05,
            "pass": acc >= overall - 0.05,
        }
        for acc, label, n in out[:8]
    ]


def _search_evidence(
    front: dict[str, Any], history: list[dict[str, Any]], search: dict[str, Any]
) -> list[dict[str, Any]]:
    if not history:
        return []
    table = [
        {
            "number": h["number"],
            "fidelity": h["fidelity"],
            "accuracy": h["metrics"].get("accuracy"),
            "parameters": h["metrics"].get("parameters"),
            "f_soft": h["metrics"].get("f_soft"),
            "seconds": round(h.get("seconds", 0.0), 1),
            "on_front": h["number"] in [e["number"] for e in front.get("front", [])],
            "architecture": _describe(h["genome"]),
        }
        for h in history
        if h["fidelity"] != "inherited"
    ]
    counts = {f: sum(h["fidelity"] == f for h in history) for f in ("inherited", "low", "stand-alone")}
    return [
        {
            "id": "ev:search:candidates",
            "kind": "search_history",
            "value": len(history),
            "evaluations_by_fidelity": counts,
            "candidates": table,
            "selected": front.get("selected"),
            "reason": front.get("reason"),
            "smallest": (search.get("smallest") or {}).get("number"),
        }
    ]


def _describe(genome: dict[str, Any]) -> str:
    from snas.search import Genome

    try:
        return Genome.from_dict(genome).describe()
    except (KeyError, TypeError):
        return ""


def _data_evidence(data: Any, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for role, frame in (("train", data.train), ("test", data.test)):
        target = frame[data.schema.target].astype(str)
        out.append(
            {
                "id": f"ev:data:profile:{role}",
                "kind": "data_profile",
                "value": len(frame),
                "n": len(frame),
                "class_balance": {k: int(v) for k, v in target.value_counts().sort_index().items()},
                "missing": {c: int(v) for c, v in frame.isna().sum().items() if v},
                "group_counts": {
                    s: {str(k): int(v) for k, v in frame[s].value_counts().sort_index().items()}
                    for s in data.schema.sensitive
                    if data.schema.column(s).kind != "numeric"
                },
            }
        )
    return out


def _risk_register(evidence: list[dict[str, Any]], table: Any) -> list[dict[str, Any]]:
    """Findings from failed or flagged checks (stated as facts, never invented prose)."""
    risks = []
    for e in evidence:
        if e.get("pass") is False:
            risks.append(
                {
                    "id": f"risk:{e['id'][3:]}",
                    "evidence": e["id"],
                    "finding": _finding_text(e),
                    "status": "open",
                    "owner": None,
                    "mitigation": None,
                }
            )
        if e.get("small_group"):
            risks.append(
                {
                    "id": f"risk:small-group:{e['attribute']}={e['group']}",
                    "evidence": e["id"],
                    "finding": f"group {e['attribute']}={e['group']} has only n={e['n']} test rows: its metrics are uncertain",
                    "status": "open",
                    "owner": None,
                    "mitigation": None,
                }
            )
    seen, out = set(), []
    for r in risks:
        if r["id"] not in seen:
            seen.add(r["id"])
            out.append(r)
    for _, row in table.iterrows():
        if (
            row["strength"] == "hard"
            and row["label_agreement"] is not None
            and row["label_agreement"] == row["label_agreement"]
            and row["label_agreement"] < 0.95
            and row["support"] > 0
        ):
            out.append(
                {
                    "id": f"risk:rule-agreement:{row['rule']}",
                    "evidence": f"ev:rule:{row['rule']}",
                    "finding": f"hard rule {row['rule']} agrees with the test labels on {row['label_agreement']:.1%} of "
                    f"{int(row['support'])} rows; enforcing it costs accuracy there",
                    "status": "open",
                    "owner": None,
                    "mitigation": None,
                }
            )
    return out


def _finding_text(e: dict[str, Any]) -> str:
    v = e.get("value")
    vs = f"{v:.4g}" if isinstance(v, float) else str(v)
    what = {
        "fairness_gap": f"{e.get('metric')} {e['id'].rsplit(':', 1)[-1]} across {e.get('attribute')} is {vs} "
        f"(threshold {e.get('threshold')})",
        "rule_fidelity": f"rule {e.get('rule')} ({e.get('strength')}) compliance {vs} below {e.get('threshold')}",
        "monotonicity": f"monotonicity in {e.get('feature')} violated on {vs} of rows",
        "flip_rate": f"changing {e.get('feature')} changes {vs} of decisions",
        "proxy_leakage": f"{e.get('attribute')} is predictable from the model inputs (balanced accuracy {vs})",
        "robustness": f"{e.get('perturbation')}: accuracy drops by {e.get('accuracy_drop', 0):.4f}",
        "weak_slice": f"slice {e.get('slice')}: accuracy {vs} vs {e.get('overall_accuracy', 0):.4f} overall",
        "rule_summary": f"{e.get('hard_violations')} hard-rule violations",
    }
    return what.get(e["kind"], f"{e['id']}: {vs}")


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return None if obj != obj else round(obj, 6)
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round(v) for v in obj]
    if isinstance(obj, np.generic):
        return _round(obj.item())
    return obj


def _provenance(
    run: Path,
    manifest: dict[str, Any],
    data: Any,
    rules: Any,
    doc_path: Any,
    doc_sha: str | None,
    seed: int,
    resamples: int,
) -> dict[str, Any]:
    from snas.audit._report import git_commit

    return {
        "code": {"snas": manifest["versions"].get("snas"), "commit": git_commit()},
        "rules": [{"path": "rules.yaml", "sha256": rules.sha256}] if len(rules) else [],
        "data": [
            {"path": f["path"], "sha256": f["sha256"], "bytes": f["bytes"], "rows": f["rows"], "role": f["role"]}
            for f in data.provenance()["files"]
        ],
        "schema_sha256": data.schema.sha256(),
        "splits": {
            **manifest.get("split", {}),
            "test": "adult.test as published" if data.name == "census_income" else "manifest split",
        },
        "model": {"path": "model/model.safetensors", "sha256": sha256_file(run / "model" / "model.safetensors")},
        "run_manifest_sha256": sha256_file(run / "manifest.json"),
        "documentation": None if doc_path is None else {"path": str(Path(doc_path).name), "sha256": doc_sha},
        "environment": {k: v for k, v in manifest.get("versions", {}).items() if k != "platform"},
        "environment_sha256": sha256_bytes(canonical_json(manifest.get("versions", {})).encode()),
        "seeds": {**manifest.get("seeds", {}), "bootstrap": seed, "resamples": resamples},
    }


def _sections(
    doc: dict[str, Any],
    clf: Any,
    data: Any,
    manifest: dict[str, Any],
    search: dict[str, Any],
    front: dict[str, Any],
    evidence: list[dict[str, Any]],
    risk: list[dict[str, Any]],
    summary: dict[str, Any],
    run: Path,
) -> dict[str, Any]:
    rules = clf.compiled_.rules
    spec = clf.spec_
    ev_by_id = {e["id"]: e for e in evidence}
    acc = ev_by_id["ev:metric:accuracy"]
    mechanism = {}
    for r in rules:
        if r.is_hard:
            mechanism[r.id] = "output shield (hard, guaranteed)"
        else:
            m = spec.mode(r.id)
            mechanism[r.id] = {
                "loss": "rule loss",
                "neuron": "knowledge neuron",
                "both": "rule loss + knowledge neuron",
                "off": "measured only",
            }[m] + (" (soft)" if m != "off" else "")
            if m in ("neuron", "both") and r.id not in clf.compiled_.neuron_ok:
                mechanism[r.id] = "rule loss (soft; neuron refused: direction conflicts with a monotonic constraint)"
    for f, d in rules.constraints.monotonic.items():
        mechanism[f"monotonic:{f}"] = f"monotone path ({'increasing' if d > 0 else 'decreasing'}, guaranteed)"
    for f in rules.constraints.exclude_features:
        mechanism[f"exclude:{f}"] = "input mask (never a model input, guaranteed)"
    auto: dict[str, Any] = {
        "system_version": {
            "model_sha256": sha256_file(run / "model" / "model.safetensors"),
            "snas": manifest["versions"].get("snas"),
        },
        "report_lineage": "see parent_report_id; 'snas audit diff OLD NEW' lists the changes",
        "io_schema": [
            {"name": c.name, "original": c.original, "kind": c.kind, "levels": list(c.levels)[:50], "unit": c.unit}
            for c in (data.schema.column(f.name) if f.name in data.schema else f for f in clf.schema_.features)
            if c.name in clf.encoder_.features
        ],
        "export_formats": ["safetensors weights + JSON metadata (no pickle)"],  # safe: text only
        "runtime_dependencies": {
            k: v for k, v in manifest["versions"].items() if k in ("torch", "numpy", "pandas", "scikit-learn")
        },
        "environment": manifest["versions"],
        "artefact_manifest": manifest["files"],
        "resources": {"model": ev_by_id["ev:resource:model"], "latency": "run_info.inference_us_per_row"},
        "interfaces": "CLI: snas check | search | audit | predict; Python: SNASClassifier (scikit-learn API); reports in JSON, Markdown, HTML, PDF",
        "ifu_draft": "The Art. 13 sections of this report form the draft instructions for use.",
        "pipeline": "rules (YAML) → static checks (sympy) → compiled into output shield, rule losses, knowledge neurons, monotone and input-mask constraints → multi-objective search (NSGA-II outer loop, Gumbel supernet inner loop) → refit of the selected architecture → evaluation on the held-out test split → this report",
        "third_party": "torch, scikit-learn, optuna, sympy, lark, shap, pandas; no pretrained models",
        "objectives": [
            "validation error (1 − " + str(search.get("config", {}).get("metric", "accuracy")) + ")",
            "trainable parameters",
            "soft-rule infidelity (1 − F_soft)",
        ],
        "search_space": search.get("config", {}).get("space"),
        "rule_constraint_map": mechanism,
        "decision_threshold": "argmax of class probabilities (0.5 for a binary target); rows where a hard rule fires get probability 0 or 1",
        "selection": {"selected": front.get("selected"), "reason": front.get("reason")},
        "architecture": {
            "spec": spec.to_dict(),
            "parameters": int(clf.n_parameters_),
            "form": (
                f"ensemble: the logit is the mean of {spec.members} networks of this architecture, each trained "
                "with its own seed and validation split; each member is monotone where the rules require, "
                "and the hard-rule shield applies to the mean"
                if spec.members > 1
                else "one network"
            ),
        },
        "compute": {
            "search_and_refit_seconds": search.get("elapsed_seconds"),
            "evaluations_by_fidelity": search.get("evaluated"),
            "refit_on_all_rows": search.get("refit"),
            "hardware": "CPU",
        },
        "data_profile": {
            "dataset": data.name,
            "train_rows": len(data.train),
            "test_rows": len(data.test),
            "files": data.provenance()["files"],
            "split": manifest.get("split"),
        },
        "interpretation_aids": [
            "per-decision rule trace (which hard rule decided)",
            "local SHAP values",
            "knowledge-neuron activations",
            "counterfactual: smallest change that flips the decision",
            "calibrated probabilities with a reliability table",
        ],
        "example_explanations": [e["id"] for e in evidence if e["kind"] == "local_explanation"],
        "change_bounds": {
            "search_space": search.get("config", {}).get("space"),
            "rules_sha256": rules.sha256,
            "drift_review_trigger": "accuracy on monitored data below the lower 95% bound of the test accuracy, or any hard-rule violation",
        },
        "test_data": {
            "rows": len(data.test),
            "source": "held out; never used for training, early stopping or selection",
        },
        "test_log": {"model_sha256": sha256_file(run / "model" / "model.safetensors"), "seeds": manifest.get("seeds")},
        "model_hash": sha256_file(run / "model" / "model.safetensors"),
        "dependencies": manifest["versions"],
        "expected_accuracy": {"accuracy": acc["value"], "ci95": acc.get("ci95")},
        "weak_slices": [e["id"] for e in evidence if e["kind"] == "weak_slice"],
        "input_specification": [
            {"name": c.name, "kind": c.kind, "levels": list(c.levels)[:50]} for c in clf.schema_.features
        ],
        "metrics_catalogue": [
            "accuracy",
            "balanced_accuracy",
            "roc_auc",
            "log_loss",
            "brier",
            "calibration",
            "per-group selection rate / TPR / FPR / PPV",
            "rule fidelity",
        ],
        "calibration": "ev:calibration",
        "risk_register": f"{len(risk)} entries pre-filled from failed or flagged checks",
        "changelog": "generated by 'snas audit diff' against the parent report",
        "methods_mapping": {
            "ISO/IEC 24029 (robustness)": "ev:robustness:*",
            "ISO/IEC 5259 (data quality)": "ev:data:*",
            "ISO/IEC TS 6254 (explainability)": "ev:explain:*",
            "ISO/IEC TS 4213 (classification performance)": "ev:metric:*",
        },
        "monitoring_spec": {
            "metrics": ["accuracy", "selection rate per group", "hard-rule violations (must stay 0)"],
            "reference": {"accuracy": acc["value"], "ci95": acc.get("ci95")},
            "log": "snas predict appends one JSON line per decision",
        },
        "see": "see the corresponding Annex IV section",
        "accuracy_summary": {
            k: ev_by_id[f"ev:metric:{k}"]["value"] for k in ("accuracy", "balanced_accuracy", "roc_auc")
        },
        "small_groups": sorted({f"{e['attribute']}={e['group']}" for e in evidence if e.get("small_group")}),
        "explanation_modes": ["rule trace", "local SHAP", "knowledge-neuron activations", "counterfactual"],
        "group_summary": sorted({e["attribute"] for e in evidence if e["kind"] == "group_metric"}),
        "output_meaning": f"probability that the class is {clf.compiled_.rules.positive or clf.classes_[-1]}; 0 or 1 exactly when a hard rule decides",
        "log_schema": LOG_SCHEMA,
    }
    out: dict[str, Any] = {}
    for sid, title, auto_fields, human_fields, prefixes in SECTIONS:
        fields = {k: _auto(auto[k]) for k in auto_fields}
        for h in human_fields:
            fields[h] = _human(doc, h)
        refs = sorted(e["id"] for e in evidence if any(e["id"].startswith(p) for p in prefixes))
        out[sid] = {"title": title, "fields": fields, "evidence": refs}
    return out
