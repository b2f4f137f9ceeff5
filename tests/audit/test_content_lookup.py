"""The content id does not depend on how the data files were found (their sha256 names them),
and an audit that fails leaves the run as it was: the documentation file given replaces the
run's copy only once the report was built and written."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from snas.audit import AuditReport, read_report
from snas.cli import main
from snas.datasets import load, recorded_locations

DOC = Path(__file__).resolve().parents[2] / "audit" / "census_income.yaml"
LOOKUP = ("source", "location")


def test_provenance_without_lookup_is_the_same_wherever_the_files_were_found(tiny_search, tmp_path, monkeypatch):
    manifest = tiny_search / "manifest.yaml"
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    found = load(manifest, data_dir=tiny_search, download=False)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(tiny_search, elsewhere)
    monkeypatch.setenv("SNAS_DATA_DIR", str(elsewhere))
    again = load(manifest, download=False)
    recorded = load(manifest, download=False, recorded=recorded_locations(found.provenance()))
    sources = [{f.source for f in d.files} for d in (found, again, recorded)]
    assert sources == [{"data_dir"}, {"SNAS_DATA_DIR"}, {"recorded"}]
    assert found.provenance(lookup=False) == again.provenance(lookup=False) == recorded.provenance(lookup=False)
    assert not any(k in f for f in found.provenance(lookup=False)["files"] for k in LOOKUP)
    assert all(f["source"] and f["location"] for f in found.provenance()["files"])  # what a run's manifest keeps
    assert again.lookups() == [
        {"path": "adult_small.csv", "source": "SNAS_DATA_DIR", "location": again.files[0].location}
    ]


@pytest.fixture()
def run_copy(audit_run, tmp_path, monkeypatch):
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    copy = tmp_path / "run"
    shutil.copytree(audit_run, copy)
    return copy


def _files(run) -> dict[str, bytes]:
    return {p.relative_to(run).as_posix(): p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}


def test_a_failed_audit_leaves_the_run_as_it_was(run_copy, tmp_path, capsys):
    new_doc = tmp_path / "new.yaml"
    new_doc.write_text(DOC.read_text() + "\n# reviewed again\n")
    before = _files(run_copy)
    argv = ["audit", str(run_copy), "--documentation", str(new_doc), "--data-dir", str(tmp_path / "nonexistent")]
    capsys.readouterr()
    assert main([*argv, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and "adult_small.csv" in err
    assert _files(run_copy) == before  # documentation.yaml and the reports untouched


def test_the_content_id_ignores_how_the_data_were_found(run_copy, tmp_path):
    """The run was audited with --data-dir; audited again without it (the files found where the
    run recorded them) and with a documentation file that differs only in a comment, the content
    id is the same, and the run's copy of the documentation is the file given."""
    from snas.audit import write_reports

    old = read_report(run_copy / "reports" / "report.json")
    new_doc = tmp_path / "new.yaml"
    new_doc.write_bytes(DOC.read_bytes() + b"\n# reviewed again\n")
    write_reports(run_copy, formats=("json",), documentation=new_doc)
    new = read_report(run_copy / "reports" / "report.json")
    for report in (old, new):  # audited with --data-dir, then without
        data = report["sections"]["AIA.AnnexIV.2.d"]["fields"]["data_profile"]["value"]
        assert data["files"] and not any(k in f for f in data["files"] for k in LOOKUP)
    assert AuditReport.from_dict(new).content_id == AuditReport.from_dict(old).content_id
    assert (run_copy / "documentation.yaml").read_bytes() == new_doc.read_bytes()
    documentation = new["provenance"]["documentation"]
    assert documentation == {"path": "documentation.yaml", "sha256": hashlib.sha256(new_doc.read_bytes()).hexdigest()}
