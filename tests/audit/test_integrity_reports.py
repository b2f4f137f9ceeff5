"""Report integrity (a red team's findings): one evidence id and one JSON key once; the fields
the run's files give (packages, approvals) re-derived by verify; validate checks report_id;
renderings and documentation that are gone are named; a rendering an earlier build wrote is
told from an edited one."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from snas.audit import AuditReport, read_report, verify_run
from snas.audit._write import write_report_files
from snas.cli import main
from snas.exceptions import ConfigError


def _copy(audit_run: Path, tmp_path: Path) -> tuple[Path, Path]:
    run = tmp_path / "run"
    shutil.copytree(audit_run, run)
    return run, run / "reports"


def _reseal(reports: Path, data: dict) -> None:
    """What a forger does: write report.json with a consistent report_id, and its renderings."""
    body = {k: v for k, v in data.items() if k not in ("report_id", "run_info")}
    write_report_files(AuditReport(body, {}), reports)


def _data(reports: Path) -> dict:
    return json.loads((reports / "report.json").read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- finding 1
def test_a_duplicated_evidence_id_is_refused_by_the_reader_and_verify(audit_run, tiny_search, tmp_path):
    run, reports = _copy(audit_run, tmp_path)
    data = _data(reports)
    i = next(k for k, e in enumerate(data["evidence"]) if e["id"] == "ev:metric:accuracy")
    data["evidence"].insert(i, {**copy.deepcopy(data["evidence"][i]), "value": 0.99})
    _reseal(reports, data)
    with pytest.raises(ConfigError, match="evidence id 'ev:metric:accuracy' is given to 2 items") as err:
        read_report(reports / "report.json")
    assert str(reports / "report.json") in str(err.value)
    with pytest.raises(ValueError, match="ev:metric:accuracy"):
        AuditReport.from_json((reports / "report.json").read_text(encoding="utf-8"))
    problems = verify_run(run, data_dir=str(tiny_search))
    assert any("evidence id 'ev:metric:accuracy' is given to 2 items" in p for p in problems), problems


def test_a_json_key_given_twice_is_refused(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(
        '{"report_id": "sha256:0", "evidence": [{"id": "ev:metric:accuracy", "value": 0.99, "value": 0.8}]}'
    )
    with pytest.raises(ConfigError) as err:
        read_report(path)
    said = str(err.value)
    assert str(path) in said and "key 'value' appears twice" in said and "ev:metric:accuracy" in said, said
    with pytest.raises(ValueError, match="key 'value' appears twice"):
        AuditReport.from_json(path.read_text())


# ----------------------------------------------------------------------------- finding 2
def _field(data: dict, name: str) -> dict:
    return next(s["fields"][name] for s in data["sections"].values() if name in s["fields"])


def test_package_fields_are_derived_again_from_the_manifest(audit_run, tiny_search, tmp_path):
    run, reports = _copy(audit_run, tmp_path)
    data = _data(reports)
    records = _field(data, "installed_packages")["value"]
    assert any(r["name"] == "torch" for r in records)
    _field(data, "installed_packages")["value"] = [r for r in records if r["name"] != "torch"]
    _field(data, "package_lock")["value"]["packages"] -= 1
    data["provenance"]["packages_sha256"] = "0" * 64
    _reseal(reports, data)
    text = "\n".join(verify_run(run, data_dir=str(tiny_search)))
    assert "field 'installed_packages' lacks torch" in text, text
    assert "field 'package_lock' gives packages" in text, text
    assert "provenance.packages_sha256 is" in text and "manifest.json gives" in text, text


def test_approvals_are_derived_again_from_the_documentation(audit_run, tiny_search, tmp_path):
    run, reports = _copy(audit_run, tmp_path)
    data = _data(reports)
    content_id = AuditReport.from_dict(data).content_id
    forged = {"role": "validation lead", "name": "Mallory", "date": "2025-01-01"}
    data["approvals"] = [{**forged, "content_hash": content_id}]
    _field(data, "approvals").update(status="human", value=[{**forged, "content_id": content_id}])
    _reseal(reports, data)
    problems = verify_run(run, data_dir=str(tiny_search))
    text = "\n".join(problems)
    assert "report.json: approvals is" in text and "the run's documentation file gives" in text, text
    assert "field 'approvals' is" in text and "Mallory" in text, text
    assert all(f"snas audit {run}" in p for p in problems), problems


def test_the_lock_hash_is_recomputed_and_a_malformed_manifest_named(audit_run, tiny_search, tmp_path):
    from snas.audit._provenance import package_record_problems, packages, packages_of

    run, _ = _copy(audit_run, tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    recorded = manifest["packages_sha256"]
    del manifest["packages"]["torch"]
    installed = packages_of(manifest, "run manifest")
    assert installed["sha256"] != recorded and f"packages_sha256 {recorded} is not the sha256" in installed["recorded"]
    assert "the list was edited" in package_record_problems(manifest)[0]
    (run / "manifest.json").write_text(json.dumps(manifest))
    problems = verify_run(run, data_dir=str(tiny_search))
    assert any(f"{run / 'manifest.json'}: packages_sha256 is {recorded}" in p for p in problems), problems

    bad = {**manifest, "package_requires": {**manifest["package_requires"], "pandas": "numpy"}}
    said = package_record_problems(bad)
    assert said and "package_requires['pandas'] is \"numpy\", not a list of package names" in said[0], said
    with pytest.raises(ConfigError, match=r"manifest.json: package_requires\['pandas'\]"):
        packages(SimpleNamespace(run=SimpleNamespace(manifest=bad)))


# ----------------------------------------------------------------------------- finding 3
def test_validate_recomputes_the_report_id(audit_run, tmp_path, capsys):
    run, reports = _copy(audit_run, tmp_path)
    data = _data(reports)
    _field(data, "approvals").update(status="human", value=[{"role": "lead", "name": "Mallory", "date": "2025-01-01"}])
    (reports / "report.json").write_text(json.dumps(data, indent=2))  # report_id left as it was
    assert main(["audit", "validate", str(run)]) == 1
    out = capsys.readouterr().out
    assert f"FAILED: {reports / 'report.json'}: edited since it was written" in out, out
    assert f"snas audit verify {run}" in out and "complete" not in out, out


# ----------------------------------------------------------------------------- finding 4
def test_a_missing_rendering_or_documentation_is_named(audit_run, tiny_search, tmp_path):
    run, reports = _copy(audit_run, tmp_path)
    (reports / "report.cdx.json").unlink()
    (reports / "report.md").unlink()
    (run / "documentation.yaml").unlink()
    problems = verify_run(run, data_dir=str(tiny_search))
    for gone in (reports / "report.cdx.json", reports / "report.md", run / "documentation.yaml"):
        assert any(p.startswith(f"{gone}: missing") and f"snas audit {run}" in p for p in problems), (gone, problems)


# ----------------------------------------------------------------------------- finding 5
def _validated(tmp_path: Path, data: dict, capsys) -> tuple[int, str, str]:
    path = tmp_path / "report.json"
    body = {k: v for k, v in data.items() if k not in ("report_id", "run_info")}
    path.write_text(AuditReport(body, data.get("run_info")).to_json())
    code = main(["audit", "validate", str(path)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_names_a_malformed_content_hash_without_a_traceback(audit_run, tmp_path, capsys):
    data = read_report(audit_run / "reports" / "report.json")
    data["approvals"] = [{"role": "lead", "name": "A", "date": "2025-01-01", "content_hash": [1, 2]}]
    code, out, _ = _validated(tmp_path, data, capsys)
    assert code == 1 and "malformed approval: lead: A (2025-01-01)" in out, out
    assert "approvals[0].content_hash is [1, 2]" in out, out


def test_approve_last_is_said_only_when_a_field_in_the_content_id_is_missing(audit_run, tmp_path, capsys):
    data = read_report(audit_run / "reports" / "report.json")
    data["approvals"] = [{"role": "lead", "name": "A", "date": None, "content_hash": "sha256:" + "4" * 64}]
    for sec in data["sections"].values():
        for name, field in sec["fields"].items():
            if field["status"] == "missing" and name != "approvals":
                sec["fields"][name] = {"status": "human", "value": "written"}
    code, out, err = _validated(tmp_path, data, capsys)
    assert code == 1 and "missing: AIA.AnnexIV.2.g approvals" in out and "stale approval" in out, out
    assert "approve last" not in err, err
    data["sections"]["AIA.AnnexIV.1.a"]["fields"]["intended_purpose"] = {"status": "missing", "value": None}
    _, _, err = _validated(tmp_path, data, capsys)
    assert "approve last: filling the missing fields changes the content id" in err, err


# ----------------------------------------------------------------------------- finding 6
def test_a_rendering_an_earlier_build_wrote_is_told_from_an_edited_one(audit_run, tmp_path):
    from snas.audit._verify import _report

    _, reports = _copy(audit_run, tmp_path)
    data = _data(reports)
    data["system"]["snas_version"] = "0.0.9"
    data["provenance"]["code"]["commit"] = "a" * 40
    _reseal(reports, data)
    md = reports / "report.md"
    md.write_text(md.read_text() + "\nwritten by the earlier build\n")
    data = _data(reports)
    data["run_info"]["renderings"]["report.md"] = hashlib.sha256(md.read_bytes()).hexdigest()  # as it was written
    (reports / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    _, problems = _report(reports / "report.json")
    said = next(p for p in problems if p.startswith(str(md)))
    assert "written by another snas build" in said and "snas 0.0.9 at commit aaaaaaaaaaaa" in said, said
    assert "edited since it was written" not in said, said

    data["run_info"]["renderings"]["report.md"] = "0" * 64  # not the file as written
    (reports / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    said = next(p for p in _report(reports / "report.json")[1] if p.startswith(str(md)))
    assert "edited since it was written" in said and "not the one report.json recorded" in said, said

    del data["run_info"]["renderings"]  # a report written before snas recorded them
    (reports / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    said = next(p for p in _report(reports / "report.json")[1] if p.startswith(str(md)))
    assert "edited since it was written" in said and "snas 0.0.9 at commit aaaaaaaaaaaa" in said, said
