"""``snas audit verify``: recompute hashes and headline metrics of a run and its report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snas._util import sha256_file

__all__ = ["verify_run"]


def verify_run(run_dir: str | Path, *, data_dir: str | None = None, tolerance: float = 1e-6) -> list[str]:
    """Problems found (empty when the run is intact): changed files named one by one."""
    run = Path(run_dir)
    problems: list[str] = []
    manifest_path = run / "manifest.json"
    if not manifest_path.is_file():
        return [f"{manifest_path}: missing; this is not a run directory"]
    manifest = json.loads(manifest_path.read_text())
    for rel, info in sorted(manifest["files"].items()):
        p = run / rel
        if not p.is_file():
            problems.append(f"{p}: missing (listed in manifest.json)")
        elif sha256_file(p) != info["sha256"]:
            problems.append(f"{p}: changed since the run (sha256 differs from manifest.json)")
    report_path = run / "reports" / "report.json"
    report: dict[str, Any] | None = json.loads(report_path.read_text()) if report_path.is_file() else None
    if report is not None:
        prov = report["provenance"]
        if sha256_file(manifest_path) != prov.get("run_manifest_sha256"):
            problems.append(f"{manifest_path}: changed since the report was written")
        doc = prov.get("documentation")
        if doc and (run / "documentation.yaml").is_file() and sha256_file(run / "documentation.yaml") != doc["sha256"]:
            problems.append(f"{run / 'documentation.yaml'}: changed since the report was written")
    # data files: locate them again and compare with the recorded hashes
    from snas.datasets import load_manifest, locate_file, recorded_locations
    from snas.exceptions import DatasetError

    data = manifest["data"]
    # without data_dir, first where the run found each file (then the usual search order)
    recorded = {} if data_dir else recorded_locations(data)
    try:
        m = load_manifest(data["manifest"])
        for rec in data["files"]:
            f = m.files.get(rec["role"]) or next((x for x in m.files.values() if x.path == rec["path"]), None)
            if f is None:
                continue
            try:
                path, _ = locate_file(f, data_dir, download=False, recorded=recorded.get(f.path))
            except DatasetError as exc:
                problems.append(str(exc).split(";")[0])
                continue
            if sha256_file(path) != rec["sha256"]:
                problems.append(f"{path}: data file differs from the run's record")
    except DatasetError as exc:
        problems.append(f"dataset manifest: {exc}")
    if problems or report is None:
        return problems
    # key metrics recomputed from the model and the data
    import numpy as np

    from snas.datasets import load
    from snas.estimator import SNASClassifier
    from snas.metrics import rule_metrics, rule_summary

    clf = SNASClassifier.load(run / "model")
    ds = load(data["manifest"], data_dir=data_dir, download=False, recorded=recorded)
    X, y = ds.X_test.reset_index(drop=True), ds.y_test.astype(str).to_numpy()
    proba = clf.predict_proba(X)
    classes = [str(c) for c in clf.classes_]
    pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
    ev = {e["id"]: e for e in report["evidence"]}
    acc = float((pred == y).mean())
    if abs(acc - ev["ev:metric:accuracy"]["value"]) > tolerance:
        problems.append(f"accuracy recomputed {acc:.6f} ≠ report {ev['ev:metric:accuracy']['value']:.6f}")
    if len(clf.compiled_.rules):
        s = rule_summary(rule_metrics(clf.compiled_.rules, X, pred, proba, classes, y, clf.schema_))
        if s["hard_violations"] != ev["ev:rules:summary"]["hard_violations"]:
            problems.append("hard-rule violations recomputed differ from the report")
    return problems
