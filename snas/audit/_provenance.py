"""The provenance block: code, rules, data, split, model, environment and seeds — from the run's
manifest when the model comes from a run, else from the model and this process (and said so)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snas._util import canonical_json, sha256_bytes

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs

__all__ = [
    "BOM_FILE",
    "NO_RUN",
    "environment",
    "lock_sha256",
    "package_record_problems",
    "packages",
    "packages_of",
    "provenance",
    "seeds",
    "splits",
]

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
    ``records`` None and the reason: another machine's list would not be the run's.

    The lock hash is recomputed (:func:`packages_of`); a recorded one that differs is said in
    ``recorded``.

    Raises
    ------
    ConfigError
        The run manifest's package list or ``package_requires`` is not as snas writes it.
    """
    from snas._environment import environment_record
    from snas.exceptions import ConfigError

    if inputs.run is None:
        return packages_of(environment_record(), "this process (the model is in memory: no run manifest)")
    wrong = _malformed_packages(inputs.run.manifest)
    if wrong:
        raise ConfigError(f"the run's manifest.json: {wrong[0]}")
    return packages_of(inputs.run.manifest, "run manifest")


def packages_of(recorded: Mapping[str, Any], by: str) -> dict[str, Any]:
    """The package records of a manifest (or of :func:`snas._environment.environment_record`).

    The lock hash is recomputed from the package list: when the recorded ``packages_sha256``
    differs, the recomputed one is given and ``recorded`` says so (the list was edited).

    Parameters
    ----------
    recorded : mapping
        Holds ``packages``, ``package_requires`` and ``packages_sha256`` (their types checked
        by :func:`package_record_problems`).
    by : str
        Who recorded them (``run manifest``).

    Returns
    -------
    dict
        ``records`` (None when not recorded), ``sha256`` and ``recorded``.
    """
    from snas._environment import runtime_closure

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
    sha = lock_sha256(listed)
    if sha != recorded["packages_sha256"]:
        by += f" (its packages_sha256 {recorded['packages_sha256']} is not the sha256 of its package list: edited)"
    return {"records": records, "sha256": sha, "recorded": by}


def lock_sha256(listed: Mapping[str, Any]) -> str:
    """The lock hash of a package list (name → version), as a run manifest records it.

    Parameters
    ----------
    listed : mapping
        Package name → version.

    Returns
    -------
    str
        The sha256 (hex) of the canonical JSON of ``listed``.
    """
    return sha256_bytes(canonical_json(dict(listed)).encode())


def package_record_problems(recorded: Mapping[str, Any]) -> list[str]:
    """What is wrong with the package fields of a run manifest (empty when they are as snas
    writes them, or absent as in a run written before snas recorded packages).

    Parameters
    ----------
    recorded : mapping
        The run manifest.

    Returns
    -------
    list of str
        One sentence per problem, naming the field and the package; each ends with the fix.
    """
    problems = _malformed_packages(recorded)
    listed, sha = recorded.get("packages"), recorded.get("packages_sha256")
    if problems or (listed is None and sha is None and recorded.get("package_requires") is None):
        return problems
    assert isinstance(listed, dict)  # checked above
    if sha != lock_sha256(listed):
        return [
            f"packages_sha256 is {sha}, but the sha256 of its packages list is {lock_sha256(listed)}: "
            f"the list was edited after the run; {_AGAIN}"
        ]
    return []


_AGAIN = "the manifest is not as snas wrote it; restore it or run the search again"


def _malformed_packages(recorded: Mapping[str, Any]) -> list[str]:
    """Package fields of the wrong type (a run written before snas recorded packages has none)."""
    listed, requires, sha = (recorded.get(k) for k in ("packages", "package_requires", "packages_sha256"))
    if listed is None and requires is None and sha is None:
        return []
    if not isinstance(listed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in listed.items()):
        return [f"packages must map each package name to its version (text); {_AGAIN}"]
    if not isinstance(sha, str):
        return [f"packages_sha256 must be the sha256 of the packages list (text); {_AGAIN}"]
    if requires is not None and not isinstance(requires, dict):
        return [f"package_requires must map each package to a list of package names; {_AGAIN}"]
    return [
        f"package_requires[{name!r}] is {json.dumps(req, ensure_ascii=False)[:80]}, not a list of package names "
        f'(e.g. ["numpy"]); {_AGAIN}'
        for name, req in (requires or {}).items()
        if not isinstance(req, list) or not all(isinstance(r, str) for r in req)
    ]


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
