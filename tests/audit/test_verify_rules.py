"""Forged rule evidence: verify recomputes every rule's fidelity (also per group), the rule
summary and the monotonicity and flip checks from the model and the data, and names the item
and field a consistently rewritten report.json (new report_id, renderings made again) changed."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snas.audit import AuditReport, verify_run
from snas.audit._write import write_report_files

Edit = Callable[[dict[str, Any]], None]


def _forged(audit_run: Path, tiny_search: Path, tmp_path: Path, edit: Edit) -> tuple[list[str], Path]:
    """Copy the run, apply ``edit`` to its report.json, write the report again (a report_id
    and renderings consistent with the edit) and verify the copy: its problems and its path."""
    copy = tmp_path / "run"
    shutil.copytree(audit_run, copy)
    reports = copy / "reports"
    data = json.loads((reports / "report.json").read_text())
    edit(data)
    write_report_files(AuditReport({k: v for k, v in data.items() if k not in ("report_id", "run_info")}, {}), reports)
    return verify_run(copy, data_dir=str(tiny_search)), copy


def _evidence(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in data["evidence"]}


def _changed(value: float, by: float) -> float:
    """Another rate in [0, 1], ``by`` away from ``value``."""
    return round(value - by if value - by >= 0 else value + by, 6)


def _says(problems: list[str], id_: str, field: str, written: Any, given: Any) -> bool:
    wanted = f"evidence {id_} field {field} is {json.dumps(written)}, the model and the data give {json.dumps(given)}"
    return any(wanted in p for p in problems)


def test_an_untouched_run_and_its_report_written_again_unchanged_verify_clean(audit_run, tiny_search, tmp_path):
    """The control of the tests below: writing the report again changes nothing verify sees."""
    problems, _ = _forged(audit_run, tiny_search, tmp_path, lambda data: None)
    assert problems == []


def test_a_rules_compliance_and_coverage_changed_are_named(audit_run, tiny_search, tmp_path):
    written: dict[str, Any] = {}

    def edit(data: dict[str, Any]) -> None:
        rule = next(e for e in data["evidence"] if e["kind"] == "rule_fidelity" and e["value"] is not None)
        written.update(rule)
        rule["value"] = _changed(rule["value"], 0.05)
        rule["coverage"] = _changed(rule["coverage"], 0.1)

    problems, copy = _forged(audit_run, tiny_search, tmp_path, edit)
    id_ = written["id"]
    assert _says(problems, id_, "'value'", _changed(written["value"], 0.05), written["value"]), problems
    assert _says(problems, id_, "'coverage'", _changed(written["coverage"], 0.1), written["coverage"]), problems
    assert len(problems) == 2 and all(f"snas audit {copy}" in p for p in problems), problems
    assert all(str(copy / "reports" / "report.json") in p for p in problems), problems


def test_a_rules_violation_rate_in_one_group_changed_is_named_with_the_group(audit_run, tiny_search, tmp_path):
    written: dict[str, Any] = {}

    def edit(data: dict[str, Any]) -> None:
        by = next(e for e in data["evidence"] if e["kind"] == "rule_fidelity_by_group" and e["value"])
        level = sorted(by["value"])[0]
        written.update(id=by["id"], level=level, rate=by["value"][level]["violation_rate"])
        by["value"][level]["violation_rate"] = _changed(written["rate"], 0.25)

    problems, _ = _forged(audit_run, tiny_search, tmp_path, edit)
    field = f"'value' at [{json.dumps(written['level'])}][\"violation_rate\"]"
    assert _says(problems, written["id"], field, _changed(written["rate"], 0.25), written["rate"]), problems
    assert len(problems) == 1, problems


def test_a_monotonicity_violation_rate_changed_is_named(audit_run, tiny_search, tmp_path):
    """A rate and verdict changed with a risk entry to match: the report agrees with itself,
    not with the model."""
    written: dict[str, Any] = {}

    def edit(data: dict[str, Any]) -> None:
        mono = next(e for e in data["evidence"] if e["kind"] == "monotonicity")
        written.update(mono)
        mono["value"], mono["pass"] = _changed(mono["value"], 0.02), not mono["pass"]
        risk = f"risk:{mono['id'][3:]}"
        if mono["pass"]:
            data["risk_register"] = [r for r in data["risk_register"] if r["id"] != risk]
        else:
            entry = {"id": risk, "evidence": mono["id"], "finding": "violated", "status": "open"}
            data["risk_register"].append({**entry, "owner": None, "mitigation": None})
        written["risk"] = risk

    problems, _ = _forged(audit_run, tiny_search, tmp_path, edit)
    id_ = written["id"]
    assert _says(problems, id_, "'value'", _changed(written["value"], 0.02), written["value"]), problems
    assert _says(problems, id_, "'pass'", not written["pass"], written["pass"]), problems
    assert any(written["risk"] in p and "risk_register" in p for p in problems), problems


def test_the_rule_summary_and_a_flip_rate_changed_are_named(audit_run, tiny_search, tmp_path):
    written: dict[str, Any] = {}

    def edit(data: dict[str, Any]) -> None:
        ev = _evidence(data)
        summary = ev["ev:rules:summary"]
        flip = next(e for e in data["evidence"] if e["kind"] == "flip_rate")
        written.update(f_soft=summary["f_soft"], flip=flip["id"], rate=flip["value"])
        summary["f_soft"] = _changed(summary["f_soft"], 0.05)
        flip["value"] = _changed(flip["value"], 0.01)

    problems, _ = _forged(audit_run, tiny_search, tmp_path, edit)
    f_soft = written["f_soft"]
    assert _says(problems, "ev:rules:summary", "'f_soft'", _changed(f_soft, 0.05), f_soft), problems
    assert _says(problems, written["flip"], "'value'", _changed(written["rate"], 0.01), written["rate"]), problems


def test_invented_rule_and_monotonicity_items_are_named_as_added(audit_run, tiny_search, tmp_path):
    def edit(data: dict[str, Any]) -> None:
        ev = _evidence(data)
        rule = next(e for e in data["evidence"] if e["kind"] == "rule_fidelity")
        mono = next(e for e in data["evidence"] if e["kind"] == "monotonicity")
        made_up = {**rule, "id": "ev:rule:made-up", "rule": "made-up", "value": 1.0, "pass": True}
        feature = {**mono, "id": "ev:monotonicity:made_up", "feature": "made_up"}
        data["evidence"] = sorted([*ev.values(), made_up, feature], key=lambda e: e["id"])

    problems, _ = _forged(audit_run, tiny_search, tmp_path, edit)
    for id_ in ("ev:rule:made-up", "ev:monotonicity:made_up"):
        assert any(f"evidence {id_} is not one the model and the data give (added)" in p for p in problems), problems
    assert len(problems) == 2, problems
