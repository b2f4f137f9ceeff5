"""'snas audit diff' explains every change: automatic section fields in a sentence, a JSON Patch
that turns the old report into the new one (removals from the last index down), the parts that
changed within the tolerance, and what lies outside the content id labelled as such."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from snas.audit import AuditReport, diff_reports, read_report
from snas.audit._diff import _describe


@pytest.fixture()
def report(audit_run) -> dict:
    return read_report(audit_run / "reports" / "report.json")


def _changed(data: dict, *edits) -> dict:
    out = copy.deepcopy(data)
    for edit in edits:
        edit(out)
    out["report_id"] = AuditReport.from_dict(out).report_id
    return out


# --------------------------------------------------------------------------- a JSON Patch applier (RFC 6902)
def _tokens(pointer: str) -> list[str]:
    assert pointer.startswith("/")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _apply(doc: Any, patch: list[dict]) -> Any:
    doc = copy.deepcopy(doc)
    for op in patch:
        *parents, last = _tokens(op["path"])
        target = doc
        for t in parents:
            target = target[int(t)] if isinstance(target, list) else target[t]
        if isinstance(target, list):
            if op["op"] == "add":
                target.insert(len(target) if last == "-" else int(last), op["value"])
            elif op["op"] == "remove":
                del target[int(last)]
            else:
                target[int(last)] = op["value"]
        elif op["op"] == "remove":
            del target[last]
        else:
            assert op["op"] == "add" or last in target, op
            target[last] = op["value"]
    return doc


def _without_run_info(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "run_info"}


def test_the_patch_turns_the_old_report_into_the_new_one(report):
    ids = [e["id"] for e in report["evidence"]]
    added = {"id": "ev:zz:new", "kind": "note", "value": 1}

    def evidence(d):
        d["evidence"] = [e for e in d["evidence"] if e["id"] not in (ids[3], ids[7])]  # two removals
        d["evidence"][0]["value"] = "changed"
        d["evidence"].insert(5, {**added, "id": "ev:" + ids[5][3:] + "~/x"})
        d["evidence"].append(added)

    def elsewhere(d):
        d["sections"]["AIA.AnnexIV.1.c"]["fields"]["environment"]["value"].pop("torch")
        d["sections"]["AIA.AnnexIV.2.d"]["fields"]["datasheet.motivation"] = {"status": "human", "value": "why"}
        d["provenance"]["code"]["commit"] = "f" * 40
        d["provenance"].pop("schema_sha256")
        d["approvals"] = [{"role": "lead", "name": "A", "date": "2026-01-01", "content_hash": None}]
        d["risk_register"] = d["risk_register"][1:]
        d["run_info"]["host"] = "elsewhere"

    new = _changed(report, evidence, elsewhere)
    d = diff_reports(report, new)
    assert _without_run_info(_apply(report, d["patch"])) == _without_run_info(new)
    removals = [
        int(op["path"].rsplit("/", 1)[1]) for op in d["patch"] if op["op"] == "remove" and "/evidence/" in op["path"]
    ]
    assert removals == sorted(removals, reverse=True) == [7, 3]
    for prefix in ("/sections/", "/provenance/", "/approvals", "/risk_register", "/report_id"):
        assert any(op["path"].startswith(prefix) for op in d["patch"]), prefix
    assert not any(op["path"].startswith("/run_info") for op in d["patch"])
    assert diff_reports(report, copy.deepcopy(report))["patch"] == []


def test_automatic_fields_are_reported_in_a_sentence(report):
    def no_torch(d):
        fields = d["sections"]["AIA.AnnexIV.1.c"]["fields"]
        fields["installed_packages"]["value"] = [
            p for p in fields["installed_packages"]["value"] if p["name"] != "torch"
        ]
        fields["environment"]["value"]["numpy"] = "0.0.1"

    log = diff_reports(report, _changed(report, no_torch))["changelog"]
    assert "- AIA.AnnexIV.1.c `installed_packages` (automatic): removed torch\n" in log, log
    old = report["sections"]["AIA.AnnexIV.1.c"]["fields"]["environment"]["value"]["numpy"]
    assert f"- AIA.AnnexIV.1.c `environment` (automatic): changed numpy: {old} → 0.0.1\n" in log
    assert "{" not in log.split("## Section fields", 1)[1]  # a sentence, not a JSON dump


def test_describe_names_what_changed():
    old = [{"name": "torch", "version": "2"}, {"name": "numpy", "version": "1"}]
    new = [{"name": "numpy", "version": "2"}, {"name": "shap", "version": "1"}]
    assert _describe(old, new) == "removed torch; added shap; changed numpy (changed version: 1 → 2)"
    assert _describe({"a": 1}, {"a": 1, "b": [1, 2]}) == "added b"
    assert _describe("x\x1b[2J", "y") == "x\\x1b[2J → y"  # never a control character


def test_changes_within_the_tolerance_and_elsewhere_are_named(report):
    first = next(e for e in report["evidence"] if isinstance(e.get("value"), float))

    def nudge(d):
        item = next(e for e in d["evidence"] if e["id"] == first["id"])
        item["value"] += 1e-6
        d["system"]["name"] = "renamed"

    new = _changed(report, nudge)
    assert AuditReport.from_dict(new).content_id != AuditReport.from_dict(report).content_id
    d = diff_reports(report, new)
    log = d["changelog"]
    assert "- no evidence changed beyond the tolerance" in log
    assert f"- 1 item(s) changed within the tolerance (0.0001), not listed: `{first['id']}`" in log
    assert "## Other parts\n\n- `system` changed: changed name: " in log
    assert d["summary"]["within_tolerance"] == [first["id"]]


def test_what_lies_outside_the_content_id_is_labelled(report):
    def approve(d):
        d["provenance"]["documentation"] = {"path": "documentation.yaml", "sha256": "0" * 64}
        d["provenance"]["code"]["commit"] = "f" * 40
        d["sections"]["AIA.AnnexIV.2.g"]["fields"]["approvals"] = {"status": "human", "value": [{"name": "A"}]}
        d["approvals"] = [{"role": "lead", "name": "A", "date": "2026-01-01", "content_hash": None}]
        d["parent_report_id"] = "sha256:" + "1" * 64

    new = _changed(report, approve)
    log = diff_reports(report, new)["changelog"]
    assert "Content id unchanged" in log
    approvals = log.split("## Approvals", 1)[1]
    lines = [line for line in log.split("## Approvals")[0].splitlines() if line.startswith("- ")]
    lines += [line for line in approvals.split("## Other parts")[1].splitlines() if line.startswith("- ")]
    evidence = "- no evidence changed beyond the tolerance"
    assert len(lines) == 5 and all("— outside the content id (" in line for line in lines if line != evidence), log
    assert "## Approvals — outside the content id" in log
    assert "documentation file's own hash" in log and "the commit that records an approval" in log
    assert "AIA.AnnexIV.2.g `approvals`: missing → human — outside the content id" in log


def test_a_change_of_the_content_is_not_labelled_outside(report):
    new = _changed(report, lambda d: d["provenance"]["code"].update(snas="9.9.9", commit="f" * 40))
    log = diff_reports(report, new)["changelog"]
    assert "- `code.snas`: " in log and "9.9.9\n" in log
    assert "- `code.commit`: " in log and "— outside the content id (the commit that records an approval)" in log
