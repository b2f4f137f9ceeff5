"""The provenance block: code, rules, data, split, model, environment and seeds — from the run's
manifest when the model comes from a run, else from the model and this process (and said so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snas._util import canonical_json, sha256_bytes

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs

__all__ = ["NO_RUN", "environment", "provenance", "seeds", "splits"]

NO_RUN = "no run directory: the model did not come from 'snas search', so no run manifest records it"


def environment(inputs: AuditInputs) -> dict[str, Any]:
    """Package versions of the run (its manifest), else of the process building the report."""
    if inputs.run is not None and inputs.run.manifest.get("versions"):
        return dict(inputs.run.manifest["versions"])
    from snas.search import versions

    return {**versions(), "recorded": "by build_report in this process (no run manifest)"}


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
        "seeds": seeds(inputs),
    }
