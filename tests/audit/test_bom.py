"""The CycloneDX bill of materials written beside every report, checked against the official
CycloneDX 1.6 schema (cyclonedx-python-lib's strict validator) and against the files it names."""

from __future__ import annotations

import hashlib
import json
import uuid
from importlib.metadata import version

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL

from snas._util import canonical_json
from snas.audit import AuditReport, read_report, render_bom


def _bom(audit_run) -> dict:
    return json.loads((audit_run / "reports" / "report.cdx.json").read_text())


def _sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_bom_is_valid_cyclonedx_1_6(audit_run):
    text = (audit_run / "reports" / "report.cdx.json").read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    broken = json.loads(text)
    broken["metadata"]["component"]["type"] = "neural-network"  # not a CycloneDX component type
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(broken)) is not None


def test_the_bom_names_the_model_and_data_by_their_sha256(audit_run, tiny_search):
    bom = _bom(audit_run)
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model"
    weights = audit_run / "model" / "model.safetensors"
    assert model["hashes"] == [{"alg": "SHA-256", "content": _sha256(weights)}]
    data = [c for c in bom["components"] if c["type"] == "data"]
    assert [d["ref"] for d in model["modelCard"]["modelParameters"]["datasets"]] == [c["bom-ref"] for c in data]
    assert [c["hashes"][0]["content"] for c in data] == [_sha256(tiny_search / "adult_small.csv")]
    rules = [c for c in bom["components"] if c["type"] == "file"]
    assert [c["hashes"][0]["content"] for c in rules] == [_sha256(audit_run / "rules.yaml")]
    depends = next(d for d in bom["dependencies"] if d["ref"] == model["bom-ref"])["dependsOn"]
    assert depends == [data[0]["bom-ref"], rules[0]["bom-ref"], "snas"]  # snas brings torch and the rest
    torch = f"pkg:pypi/torch@{version('torch').replace('+', '%2B')}"
    assert torch in next(d for d in bom["dependencies"] if d["ref"] == "snas")["dependsOn"]


def test_every_installed_package_is_listed_with_a_package_url_and_scope(audit_run):
    manifest = json.loads((audit_run / "manifest.json").read_text())
    packages, requires = manifest["packages"], manifest["package_requires"]
    assert packages["torch"] == version("torch") and packages["scikit-learn"] == version("scikit-learn")
    assert manifest["packages_sha256"] == hashlib.sha256(canonical_json(packages).encode()).hexdigest()
    assert "numpy" in requires["pandas"] and "torch" in requires["snas"]
    bom = _bom(audit_run)
    libraries = {c["name"]: c for c in bom["components"] if c["type"] == "library"}
    assert {n: c["version"] for n, c in libraries.items()} == packages
    assert "purl" not in libraries["snas"]  # first party: no PyPI package of that name is meant
    for name, c in libraries.items():
        if name != "snas":
            parsed = PackageURL.from_string(c["purl"])
            assert c["purl"] == PackageURL(type="pypi", name=name, version=packages[name]).to_string()
            assert (parsed.type, parsed.name, parsed.version) == ("pypi", name, packages[name])
    assert libraries["torch"]["scope"] == libraries["numpy"]["scope"] == "required"
    assert libraries["pytest"]["scope"] == "excluded"  # a test tool, not the model's runtime
    edges = {d["ref"]: set(d.get("dependsOn", [])) for d in bom["dependencies"]}
    assert libraries["numpy"]["bom-ref"] in edges[libraries["pandas"]["bom-ref"]]
    assert libraries["torch"]["bom-ref"] in edges["snas"] and "snas" in edges["model"]
    assert bom["compositions"][0]["aggregate"] == "complete"


def test_the_model_card_carries_the_reports_metrics_and_risks(audit_run):
    report = read_report(audit_run / "reports" / "report.json")
    ev = {e["id"]: e for e in report["evidence"]}
    card = _bom(audit_run)["metadata"]["component"]["modelCard"]
    metrics = {(m["type"], m["slice"]): m for m in card["quantitativeAnalysis"]["performanceMetrics"]}
    n = ev["ev:metric:accuracy"]["n"]
    accuracy = metrics[("accuracy", f"test split (n={n})")]
    assert float(accuracy["value"]) == pytest.approx(ev["ev:metric:accuracy"]["value"], abs=1e-6)
    low, high = ev["ev:metric:accuracy"]["ci95"]
    assert float(accuracy["confidenceInterval"]["lowerBound"]) == pytest.approx(low, abs=1e-6)
    assert float(accuracy["confidenceInterval"]["upperBound"]) == pytest.approx(high, abs=1e-6)
    numeric = [e for e in report["evidence"] if e["kind"] in ("metric", "group_metric") and e["value"] is not None]
    assert ("base_rate", f"test split (n={n})") not in metrics  # the test labels', not the model's
    assert len(metrics) == len(numeric) - 1  # a rate with no row to count (value null) is left out
    findings = [r["name"] for r in card["considerations"]["ethicalConsiderations"]]
    assert findings == [r["finding"] for r in report["risk_register"]]
    failed = [e for e in report["evidence"] if e["kind"] == "fairness_gap" and e.get("pass") is False]
    assert len(card["considerations"]["fairnessAssessments"]) == len(failed)


def test_the_bom_is_a_rendering_of_report_json(audit_run):
    data = read_report(audit_run / "reports" / "report.json")
    report = AuditReport(AuditReport.from_dict(data).body, data["run_info"])
    made = render_bom(report)
    written = (audit_run / "reports" / "report.cdx.json").read_text()
    assert made == written and render_bom(report) == made
    assert data["run_info"]["renderings"]["report.cdx.json"] == hashlib.sha256(written.encode()).hexdigest()
    assert json.loads(written)["serialNumber"].endswith(
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"snas:{data['report_id']}:{data['run_info']['generated_at']}"))
    )


def test_the_report_lists_the_packages_and_their_lock_hash(audit_run):
    report = read_report(audit_run / "reports" / "report.json")
    manifest = json.loads((audit_run / "manifest.json").read_text())
    fields = report["sections"]["AIA.AnnexIV.1.c"]["fields"]
    records = {r["name"]: r for r in fields["installed_packages"]["value"]}
    assert {n: r["version"] for n, r in records.items()} == manifest["packages"]
    assert records["torch"]["runtime"] is True and records["pytest"]["runtime"] is False
    assert records["pandas"]["requires"] == manifest["package_requires"]["pandas"]
    assert fields["package_lock"]["value"]["sha256"] == manifest["packages_sha256"]
    assert fields["package_lock"]["value"]["recorded"] == "run manifest"
    assert report["provenance"]["packages_sha256"] == manifest["packages_sha256"]
    md = (audit_run / "reports" / "report.md").read_text()
    assert f"| `torch` | {version('torch')} | runtime |" in md and manifest["packages_sha256"] in md


def test_a_run_without_a_package_list_says_so_rather_than_list_this_machines():
    from types import SimpleNamespace

    from snas._environment import installed_packages
    from snas.audit._provenance import packages

    old_run = packages(SimpleNamespace(run=SimpleNamespace(manifest={"versions": {}})))
    assert old_run["records"] is None and old_run["sha256"] is None
    assert old_run["recorded"].startswith("not recorded: the run was written before snas recorded its packages")
    in_memory = packages(SimpleNamespace(run=None))
    assert in_memory["recorded"] == "this process (the model is in memory: no run manifest)"
    assert {r["name"]: r["version"] for r in in_memory["records"]} == installed_packages()
    assert in_memory["sha256"] == hashlib.sha256(canonical_json(installed_packages()).encode()).hexdigest()


def test_an_edited_bom_is_named_by_verify(audit_run, tiny_search, tmp_path):
    import shutil

    from snas.audit import verify_run

    copy = tmp_path / "run"
    shutil.copytree(audit_run, copy)
    bom_path = copy / "reports" / "report.cdx.json"
    bom = json.loads(bom_path.read_text())
    bom["components"] = [c for c in bom["components"] if c.get("name") != "torch"]  # hide a package
    bom_path.write_text(json.dumps(bom, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    problems = verify_run(copy, data_dir=str(tiny_search))
    assert any(str(bom_path) in p and "edited since it was written" in p for p in problems), problems
