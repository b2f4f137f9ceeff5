"""The provenance block: code, rules, data, split, model, environment and seeds — from the run's
manifest when the model comes from a run, else from the model and this process (and said so)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snas._util import canonical_json, sha256_bytes

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs

__all__ = ["BOM_FILE", "NO_RUN", "environment", "packages", "provenance", "seeds", "splits"]

NO_RUN = "no run directory: the model did not come from 'snas search', so no run manifest records it"

#: The software bill of materials written beside every report.json (a rendering of it).
BOM_FILE = "report.cdx.json"


def environment(inputs: AuditInputs) -> dict[str, Any]:
    """Package versions of the run (its manifest), else of the process building the report."""
    if inputs.run is not None and inputs.run.manifest.get("versions"):
        return dict(inputs.run.manifest["versions"])
    from snas.search import versions

    return {**versions(), "recorded": "by build_report in this process (no run manifest)"}


def packages(inputs: AuditInputs) -> dict[str, Any]:
    """The installed distributions as records (name, version, runtime, requires), their lock
    sha256 and who recorded them: the run's manifest, or this process for a model from memory
    (the process holding it is its runtime). A run written before snas recorded packages gives
    ``records`` None and the reason: another machine's list would not be the run's."""
    from snas._environment import environment_record, runtime_closure

    recorded: Mapping[str, Any] = environment_record() if inputs.run is None else inputs.run.manifest
    by = "this process (the model is in memory: no run manifest)" if inputs.run is None else "run manifest"
    listed, requires = recorded.get("packages"), recorded.get("package_requires")
    if not isinstance(listed, dict) or not isinstance(recorded.get("packages_sha256"), str):
        why = "not recorded: the run was written before snas recorded its packages; run the search again"
        return {"records": None, "sha256": None, "recorded": why}
    requires = requires if isinstance(requires, dict) else {}
    runtime = set(runtime_closure(requires)) if requires else set()
    records = [
        {
            "name": name,
            "version": version,
            "runtime": name in runtime if requires else None,
            "requires": list(requires.get(name, [])) if requires else None,
        }
        for name, version in listed.items()
    ]
    return {"records": records, "sha256": recorded["packages_sha256"], "recorded": by}


def splits(inputs: AuditInputs) -> dict[str, Any]:
    data = inputs.data
    test = "adult.test as published" if data.name == "census_income" else "manifest split"
    if inputs.run is not None and inputs.run.manifest.get("split"):
        return {**inputs.run.manifest["split"], "test": test}
    return {"dataset": data.provenance()["split"], "validation": f"not recorded: {NO_RUN}", "test": test}


def seeds(inputs: AuditInputs) -> dict[str, Any]:
    recorded = (inputs.run.manifest.get("seeds") if inputs.run is not None else None) or {"train": inputs.seed}
    return {**recorded, "bootstrap": inputs.seed, "resamples": inputs.resamples}


def provenance(inputs: AuditInputs) -> dict[str, Any]:
    """Everything needed to reproduce the report: hashes of rules, data, schema, model and environment."""
    from snas.audit._report import git_commit

    rules, data, doc = inputs.rules, inputs.data, inputs.documentation
    versions = environment(inputs)
    rules_path = "rules.yaml" if inputs.run is not None else rules.path
    return {
        "code": {"snas": versions.get("snas"), "commit": git_commit()},
        "rules": [{"path": rules_path, "sha256": rules.sha256}] if len(rules) else [],
        "data": [{k: f[k] for k in ("path", "sha256", "bytes", "rows", "role")} for f in data.provenance()["files"]],
        "schema_sha256": data.schema.sha256(),
        "splits": splits(inputs),
        "model": {
            "path": inputs.model_file.path,
            "sha256": inputs.model_file.sha256,
            "content_sha256": inputs.model_file.content_sha256,
        },
        "run_manifest_sha256": None if inputs.run is None else inputs.run.manifest_sha256,
        "documentation": None if doc.sha256 is None else {"path": doc.name, "sha256": doc.sha256},
        "environment": {k: v for k, v in versions.items() if k not in ("platform", "recorded")},
        "environment_sha256": sha256_bytes(canonical_json(versions).encode()),
        "packages_sha256": packages(inputs)["sha256"],
        "seeds": seeds(inputs),
    }
