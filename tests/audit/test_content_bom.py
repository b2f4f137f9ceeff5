"""When snas is not an installed distribution its runtime closure is empty: nothing was traced,
so no package is called excluded and the bill of materials says its listing is incomplete."""

from __future__ import annotations

import json

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from snas.audit import AuditReport, render_bom

SHA = "a" * 64


def _report(records: list[dict]) -> AuditReport:
    fields = {
        "installed_packages": {"status": "auto", "value": records},
        "package_lock": {"status": "auto", "value": {"packages": len(records), "recorded": "run manifest"}},
    }
    body = {
        "system": {"name": "s", "version": "1"},
        "provenance": {
            "data": [{"path": "d.csv", "sha256": SHA, "role": "train"}],
            "rules": [],
            "model": {"sha256": SHA},
        },
        "sections": {"AIA.AnnexIV.1.c": {"title": "t", "fields": fields, "evidence": []}},
        "evidence": [],
        "risk_register": [],
    }
    return AuditReport(body, {"generated_at": "2026-01-01T00:00:00Z"})


def _package(name: str, runtime: bool | None, requires: list[str]) -> dict:
    return {"name": name, "version": "1.0", "runtime": runtime, "requires": requires}


def _valid(text: str) -> dict:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    return json.loads(text)


def test_an_untraced_runtime_leaves_the_scope_unsaid_and_the_listing_incomplete():
    records = [_package("numpy", False, []), _package("pandas", False, ["numpy"]), _package("pytest", False, [])]
    bom = _valid(render_bom(_report(records)))
    libraries = [c for c in bom["components"] if c["type"] == "library"]
    assert len(libraries) == 3 and all("scope" not in c for c in libraries)
    assert [c["aggregate"] for c in bom["compositions"]] == ["incomplete"]


def test_a_traced_runtime_keeps_its_scopes_and_a_complete_listing():
    records = [_package("snas", True, ["numpy"]), _package("numpy", True, []), _package("pytest", False, [])]
    bom = _valid(render_bom(_report(records)))
    scopes = {c["name"]: c.get("scope") for c in bom["components"] if c["type"] == "library"}
    assert scopes == {"snas": "required", "numpy": "required", "pytest": "excluded"}
    assert [c["aggregate"] for c in bom["compositions"]] == ["complete"]


def test_the_report_says_the_runtime_is_unknown_when_nothing_was_traced(monkeypatch):
    from snas.audit import _section_fields

    untraced = {"records": [_package("numpy", False, [])], "sha256": SHA, "recorded": "run manifest"}
    monkeypatch.setattr(_section_fields, "packages", lambda inputs: untraced)
    assert _section_fields._traced_packages(None)["records"] == [_package("numpy", None, [])]
    traced = {"records": [_package("snas", True, []), _package("pytest", False, [])], "sha256": SHA, "recorded": "x"}
    monkeypatch.setattr(_section_fields, "packages", lambda inputs: traced)
    assert _section_fields._traced_packages(None) == traced
