"""The report as a CycloneDX 1.6 bill of materials (AUDIT.md Annex IV 2(h) and §2.8): the model
with its model card (test metrics with intervals, per-group metrics, open risks), the data and
rule files it was made from, and every installed Python package with its package URL and
scope (``required`` for what the model's runtime needs, ``excluded`` for tools and tests;
unsaid, and the composition ``incomplete``, when snas was not an installed distribution), so
SBOM tooling and vulnerability scanners can read a run. Like report.md it is a rendering of
report.json: the same report.json always gives the same bytes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snas._environment import purl

if TYPE_CHECKING:
    from snas.audit._report import AuditReport

__all__ = ["BOM_SPEC_VERSION", "render_bom"]

BOM_SPEC_VERSION = "1.6"
_MODEL_REF = "model"
_SELF = "snas"  # first party: described, never given a PyPI package URL


def render_bom(report: AuditReport) -> str:
    """The CycloneDX 1.6 JSON document of ``report`` (indented, keys sorted, newline-terminated).

    Parameters
    ----------
    report : AuditReport
        A built report (:func:`snas.build_report`).

    Returns
    -------
    str
        The BOM; its serial number is derived from the report id and the time it was made.
    """
    b = report.body
    packages = _field(b, "AIA.AnnexIV.1.c", "installed_packages")
    packages = [p for p in packages if isinstance(p, dict)] if isinstance(packages, list) else []
    refs = {str(p["name"]): _ref(p) for p in packages}
    traced = any(p.get("runtime") is True for p in packages)  # else no runtime closure was traced
    files = _data_components(b["provenance"]) + _rule_components(b["provenance"])
    model_needs = [c["bom-ref"] for c in files] + ([refs[_SELF]] if _SELF in refs else [])
    bom = {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": BOM_SPEC_VERSION,
        "serialNumber": uuid.uuid5(uuid.NAMESPACE_URL, f"snas:{report.report_id}:{_stamp(report)}").urn,
        "version": 1,
        "metadata": _metadata(report, recorded=bool(packages)),
        "components": files + [_library(p, refs[str(p["name"])], traced) for p in packages],
        "dependencies": [
            {"ref": _MODEL_REF, "dependsOn": model_needs},
            *_package_dependencies(packages, refs),
        ],
        "compositions": _compositions(packages, refs, traced),
    }
    return json.dumps(bom, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"


def _stamp(report: AuditReport) -> str:
    stamp = report.run_info.get("generated_at")
    return stamp if isinstance(stamp, str) else ""


def _field(body: Mapping[str, Any], section: str, name: str) -> Any:
    """A section field's value when it is filled (auto or human), else None."""
    f = ((body.get("sections") or {}).get(section) or {}).get("fields", {}).get(name) or {}
    return f.get("value") if f.get("status") in ("auto", "human") else None


def _hashes(sha256: Any) -> list[dict[str, str]]:
    return [{"alg": "SHA-256", "content": sha256}] if isinstance(sha256, str) and len(sha256) == 64 else []


def _ref(p: Mapping[str, Any]) -> str:
    return _SELF if p["name"] == _SELF else purl(str(p["name"]), str(p["version"]))


def _library(p: Mapping[str, Any], ref: str, traced: bool) -> dict[str, Any]:
    """A package; ``runtime`` None (not recorded), or no package traced as the runtime's
    (``traced`` False: snas was not an installed distribution), leaves the scope unsaid."""
    out: dict[str, Any] = {"type": "library", "bom-ref": ref, "name": str(p["name"]), "version": str(p["version"])}
    if p["name"] == _SELF:
        out["description"] = "snas itself (first party; the framework that made and runs the model)"
    else:
        out["purl"] = ref
    if traced and p.get("runtime") is not None:
        out["scope"] = "required" if p["runtime"] else "excluded"
    return out


def _package_dependencies(packages: list[dict[str, Any]], refs: Mapping[str, str]) -> list[dict[str, Any]]:
    """What each package requires among the installed ones (only where that was recorded)."""
    return [
        {"ref": refs[str(p["name"])], "dependsOn": [refs[r] for r in p["requires"] if r in refs]}
        for p in packages
        if isinstance(p.get("requires"), list)
    ]


def _compositions(packages: list[dict[str, Any]], refs: Mapping[str, str], traced: bool) -> list[dict[str, Any]]:
    """How complete the dependency listings are: complete for the model and every package whose
    requirements were recorded; for a report without packages, the model's own files only;
    incomplete when no runtime closure was traced (what the model needs is then unknown)."""
    if not packages:
        return [{"aggregate": "incomplete_third_party_only", "dependencies": [_MODEL_REF]}]
    known = [refs[str(p["name"])] for p in packages if isinstance(p.get("requires"), list)]
    return [{"aggregate": "complete" if traced else "incomplete", "dependencies": [_MODEL_REF, *known]}]


def _data_components(provenance: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for f in provenance.get("data") or []:
        props = {"snas:role": f.get("role"), "snas:rows": f.get("rows"), "snas:bytes": f.get("bytes")}
        out.append(
            {
                "type": "data",
                "bom-ref": _data_ref(f),
                "name": str(f["path"]),
                "hashes": _hashes(f.get("sha256")),
                "data": [{"type": "dataset", "name": str(f["path"])}],
                "properties": _properties(props),
            }
        )
    return out


def _data_ref(f: Mapping[str, Any]) -> str:
    return f"data:{f.get('role')}:{f['path']}"


def _rule_components(provenance: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "type": "file",
            "bom-ref": f"rules:{r['path']}",
            "name": str(r["path"]),
            "description": "expert rule file: hard rules (output shield), soft rules, monotonic and exclusion constraints",
            "hashes": _hashes(r.get("sha256")),
        }
        for r in provenance.get("rules") or []
    ]


def _properties(values: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"name": k, "value": str(v)} for k, v in values.items() if v is not None]


def _metadata(report: AuditReport, recorded: bool) -> dict[str, Any]:
    b = report.body
    system = b.get("system") or {}
    lock = _field(b, "AIA.AnnexIV.1.c", "package_lock") or {}
    model = {
        "type": "machine-learning-model",
        "bom-ref": _MODEL_REF,
        "name": str(system.get("name") or "snas model"),
        "version": str(system.get("version") or "unknown"),
        "hashes": _hashes((b["provenance"].get("model") or {}).get("sha256")),
        "modelCard": _model_card(b),
        "properties": _properties(
            {
                "snas:report_id": report.report_id,
                "snas:packages_sha256": b["provenance"].get("packages_sha256"),
                "snas:packages_recorded": lock.get("recorded") if recorded else "not recorded with this report",
                "snas:schema_sha256": b["provenance"].get("schema_sha256"),
            }
        ),
    }
    version = str(system.get("snas_version") or "unknown")
    out: dict[str, Any] = {
        "tools": {"components": [{"type": "application", "name": _SELF, "version": version}]},
        "component": model,
    }
    if _stamp(report):
        out["timestamp"] = _stamp(report)
    return out


def _model_card(body: Mapping[str, Any]) -> dict[str, Any]:
    evidence = [e for e in body.get("evidence") or [] if isinstance(e, dict)]
    architecture = _field(body, "AIA.AnnexIV.2.c", "architecture") or {}
    return {
        "modelParameters": {
            "approach": {"type": "supervised"},
            "task": "classification",
            "architectureFamily": _family(architecture),
            "modelArchitecture": _guarantees(body, architecture),
            "datasets": [{"ref": _data_ref(f)} for f in body["provenance"].get("data") or []],
            "inputs": [{"format": "tabular"}],
            "outputs": [{"format": "class label with its probability"}],
        },
        "quantitativeAnalysis": {"performanceMetrics": _metrics(evidence)},
        "considerations": _considerations(body, evidence),
    }


def _family(architecture: Mapping[str, Any]) -> str:
    parts = architecture.get("parts")
    if isinstance(parts, list) and parts:
        families = sorted({str(p.get("family")) for p in parts if isinstance(p, dict)})
        return f"ensemble of {len(parts)} ({', '.join(families)})"
    spec = architecture.get("spec")
    return str(spec.get("family")) if isinstance(spec, dict) else "neural network"


def _guarantees(body: Mapping[str, Any], architecture: Mapping[str, Any]) -> str:
    """Parameters, and only the guarantees the rule → constraint map says the model has."""
    mapping = _field(body, "AIA.AnnexIV.2.b", "rule_constraint_map") or {}
    hard = sum("output shield" in str(v) for v in mapping.values())
    mono = [k.split(":", 1)[1] for k in mapping if str(k).startswith("monotonic:")]
    excluded = [k.split(":", 1)[1] for k in mapping if str(k).startswith("exclude:")]
    said = [f"{architecture.get('parameters', 'unknown number of')} trainable parameters"]
    said += [f"{hard} hard rule(s) enforced by an output shield"] if hard else []
    said += [f"monotone in {', '.join(mono)}"] if mono else []
    said += [f"never reads {', '.join(excluded)}"] if excluded else []
    return "; ".join(said)


def _metrics(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The model's test metrics (slice ``test split``) and per-group metrics (``attribute=group``);
    the test labels' base rate is a property of the data, not of the model, and stays out."""
    out = []
    for e in evidence:
        kind, value = e.get("kind"), e.get("value")
        if kind not in ("metric", "group_metric") or e["id"] == "ev:metric:base_rate" or not _number(value):
            continue
        small = ", small group" if e.get("small_group") else ""
        item: dict[str, Any] = {
            "type": str(e["id"]).rsplit(":", 1)[-1],
            "value": f"{value:.6g}",
            "slice": f"test split (n={e.get('n')})"
            if kind == "metric"
            else f"{e.get('attribute')}={e.get('group')} (test split, n={e.get('n')}{small})",
        }
        ci = e.get("ci95")
        if isinstance(ci, list) and len(ci) == 2 and all(_number(v) for v in ci):
            item["confidenceInterval"] = {"lowerBound": f"{ci[0]:.6g}", "upperBound": f"{ci[1]:.6g}"}
        out.append(item)
    return out


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _considerations(body: Mapping[str, Any], evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """The intended purpose, every open risk of the register and every failed fairness check
    (the groups compared; which of them a difference harms depends on what the positive class
    means for a person, which the provider assesses)."""
    purpose = _field(body, "AIA.AnnexIV.1.a", "intended_purpose")
    risks = [r for r in body.get("risk_register") or [] if isinstance(r, dict)]
    gaps = [e for e in evidence if e.get("kind") == "fairness_gap" and e.get("pass") is False]
    return {
        "useCases": [str(purpose) if purpose else "intended purpose: to be completed by the provider"],
        "ethicalConsiderations": [
            {
                "name": str(r.get("finding")),
                **({"mitigationStrategy": str(r["mitigation"])} if r.get("mitigation") else {}),
            }
            for r in risks
        ],
        "fairnessAssessments": [
            {
                "groupAtRisk": f"{e.get('attribute')} groups {' and '.join(map(str, e.get('groups') or []))}",
                "harms": f"{e.get('metric')} {str(e['id']).rsplit(':', 1)[-1]} {e.get('value')} (95% CI {e.get('ci95')}, "
                f"threshold {e.get('threshold')}; evidence {e['id']}); whether it harms one of them depends on what "
                "the positive class means for a person: to be assessed by the provider",
            }
            for e in gaps
        ],
    }
