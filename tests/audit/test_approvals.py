"""Approvals name the content they approve: the content id ignores what an approval itself
changes (approvals, the documentation file's hash, the commit that records it, the parent
report) and nothing else; ``snas audit diff`` says whether approvals still hold."""

from __future__ import annotations

import copy
import json

import pytest

from snas.audit import AuditReport, diff_reports, load_documentation, read_report


@pytest.fixture()
def report(audit_run) -> dict:
    return read_report(audit_run / "reports" / "report.json")


def _id(data: dict) -> str:
    return AuditReport.from_dict(data).content_id


def _changed(data: dict, edit) -> dict:
    out = copy.deepcopy(data)
    edit(out)
    return out


NOT_CONTENT = {
    "approvals": lambda d: d["approvals"].append({"role": "r", "name": "n", "date": None, "content_hash": None}),
    "2(g) approvals field": lambda d: d["sections"]["AIA.AnnexIV.2.g"]["fields"].update(
        approvals={"status": "human", "value": [{"role": "r", "name": "n"}]}
    ),
    "documentation file hash": lambda d: d["provenance"].update(documentation={"path": "d.yaml", "sha256": "0" * 64}),
    "code commit": lambda d: d["provenance"]["code"].update(commit="f" * 40),
    "parent report": lambda d: d.update(parent_report_id="sha256:" + "1" * 64),
    "run info": lambda d: d["run_info"].update(generated_at="2030-01-01T00:00:00Z"),
}
CONTENT = {
    "an evidence value": lambda d: d["evidence"][0].update(value=0.123456),
    "a written field": lambda d: d["sections"]["AIA.AnnexIV.2.d"]["fields"].update(
        **{"datasheet.motivation": {"status": "human", "value": "rewritten"}}
    ),
    "the package lock": lambda d: d["provenance"].update(packages_sha256="2" * 64),
    "the model": lambda d: d["provenance"]["model"].update(sha256="3" * 64),
}


@pytest.mark.parametrize("what", sorted(NOT_CONTENT))
def test_what_an_approval_changes_leaves_the_content_id(report, what):
    assert _id(_changed(report, NOT_CONTENT[what])) == _id(report)


@pytest.mark.parametrize("what", sorted(CONTENT))
def test_a_material_change_changes_the_content_id(report, what):
    assert _id(_changed(report, CONTENT[what])) != _id(report)


def test_approval_states(report):
    r = AuditReport.from_dict(report)
    other = "sha256:" + "4" * 64
    assert r.approval_state({"name": "A", "content_hash": [other, r.content_id]}) == "this report"
    assert r.approval_state({"name": "A", "content_hash": other}) == "other content"
    assert r.approval_state({"name": "A", "content_hash": None}) == "not bound"
    assert r.approval_state({"name": "  ", "content_hash": r.content_id}) == "not given"


def test_a_documentation_file_may_name_several_contents_and_is_checked(tmp_path):
    good, second, bad = "sha256:" + "a" * 64, "sha256:" + "b" * 64, "sha256:" + "A" * 63
    path = tmp_path / "doc.yaml"
    path.write_text(
        "snas_documentation: 1\napprovals:\n"
        f"  - {{role: lead, name: A. Person, date: 2026-12-01, content_id: [{good}, {second}]}}\n"
    )
    doc, _ = load_documentation(path)
    assert doc["approvals"][0]["content_id"] == [good, second]
    path.write_text(
        f"snas_documentation: 1\napprovals:\n  - role: lead\n    name: A. Person\n    content_id:\n      - {good}\n"
        f"      - {bad}\n"
    )
    with pytest.raises(Exception, match=r"doc\.yaml:7:9: approvals\[0\]\.content_id must be 'sha256:' and 64 hex"):
        load_documentation(path)


def test_diff_says_whether_approvals_still_hold(report):
    same = diff_reports(report, _changed(report, NOT_CONTENT["approvals"]))["changelog"]
    assert f"Content id unchanged ({_id(report)}): approvals given for the old report hold" in same
    rewritten = _changed(report, CONTENT["a written field"])
    log = diff_reports(report, rewritten)["changelog"]
    assert f"Content id (what approvals name): {_id(report)} → {_id(rewritten)}" in log
    assert "AIA.AnnexIV.2.d `datasheet.motivation`: written → rewritten" in log
    json.dumps(report)  # the fixture stays plain JSON


def test_validate_names_every_content_a_stale_approval_named(report, capsys):
    from snas._cli_audit import _approval_problems

    a, b = "sha256:" + "4" * 64, "sha256:" + "5" * 64
    data = _changed(
        report, lambda d: d.update(approvals=[{"role": "lead", "name": "A", "date": None, "content_hash": [a, b]}])
    )
    assert _approval_problems(AuditReport.from_dict(data)) == ["lead: A (undated)"]
    assert f"stale approval: lead: A (undated) approved {a} and {b}, not this content" in capsys.readouterr().out
