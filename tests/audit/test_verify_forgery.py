"""Forged reports (a red team's): verify renders again, recomputes and re-derives instead of
trusting hashes anyone can recompute; the glass box that is the selected model says so; the
search history cites its file; a history with nothing to plot draws no traceback."""

from __future__ import annotations

import hashlib
import json
import shutil
from types import SimpleNamespace

from snas.audit import AuditReport, verify_run
from snas.audit._write import write_report_files


def _copy(audit_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(audit_run, copy)
    return copy, copy / "reports"


def test_an_edited_markdown_with_its_new_sha256_recorded_is_named(audit_run, tiny_search, tmp_path):
    copy, reports = _copy(audit_run, tmp_path)
    md = reports / "report.md"
    lines = md.read_text().splitlines(keepends=True)
    i = next(k for k, line in enumerate(lines) if "`ev:metric:accuracy`" in line)
    lines[i] = lines[i].replace("| accuracy |", "| accuracy (96.53%) |", 1)
    md.write_text("".join(lines))
    data = json.loads((reports / "report.json").read_text())
    data["run_info"]["renderings"]["report.md"] = hashlib.sha256(md.read_bytes()).hexdigest()  # outside report_id
    (reports / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False))
    problems = verify_run(copy, data_dir=str(tiny_search))
    assert any(str(md) in p and "edited since it was written" in p and f"snas audit {copy}" in p for p in problems)


def test_forged_evidence_rewritten_with_write_report_files_is_named(audit_run, tiny_search, tmp_path):
    copy, reports = _copy(audit_run, tmp_path)
    data = json.loads((reports / "report.json").read_text())
    ev = {e["id"]: e for e in data["evidence"]}
    auc = ev["ev:metric:roc_auc"]
    auc["value"] = round(min(auc["ci95"][1] + 0.03, 0.999), 6)  # outside its own interval
    gap = next(e for e in data["evidence"] if e["kind"] == "fairness_gap" and e.get("pass") is False)
    gap["value"], gap["pass"] = 0.85, True
    dropped = f"risk:{gap['id'][3:]}"
    data["risk_register"] = [r for r in data["risk_register"] if r["id"] != dropped]
    report = AuditReport({k: v for k, v in data.items() if k not in ("report_id", "run_info")}, {})
    write_report_files(report, reports)  # a consistent report_id and renderings
    problems = verify_run(copy, data_dir=str(tiny_search))
    text = "\n".join(problems)
    assert "ev:metric:roc_auc field 'value'" in text and "outside its own 95% interval" in text, text
    assert f"{gap['id']} field 'pass' is true, the model and the data give false" in text, text
    assert f"risk_register lacks {dropped}" in text, text
    assert all(f"snas audit {copy}" in p for p in problems), problems


def test_an_untouched_run_verifies(audit_run, tiny_search, tmp_path):
    copy, _ = _copy(audit_run, tmp_path)
    assert verify_run(copy, data_dir=str(tiny_search)) == []


def test_pareto_figure_without_a_finite_metric_is_no_traceback():
    from snas.audit._render import _pareto_figure

    row = {"fidelity": "stand-alone", "complexity": 10, "parameters": 10, "f_soft": None, "on_front": True}
    for rows, says in (
        ([{**row, "number": 1, "roc_auc": None, "accuracy": 0.8}], "nothing to plot"),
        ([{**row, "number": 1, "roc_auc": None}, {**row, "number": 2, "roc_auc": 0.7}], "1 of 2 candidates"),
        ([{**row, "number": 1, "roc_auc": 0.7, "complexity": 0, "parameters": 0}], "nothing to plot"),
    ):
        fig = _pareto_figure({"metric": "roc_auc", "candidates": rows, "selected": 1})
        fig.canvas.draw()  # where the log scale failed
        shown = " ".join(t.get_text() for ax in fig.axes for t in (*ax.texts, ax.title))
        assert says in shown, shown


def _search(audited):
    evaluations = [SimpleNamespace(number=1, fidelity="stand-alone", metrics={"accuracy": 0.8})] + [
        SimpleNamespace(number=k, fidelity="inherited", metrics={"accuracy": 0.7}) for k in range(2, 6)
    ]
    return SimpleNamespace(
        evaluations=evaluations,
        selected=1,
        reason="best",
        audited=audited,
        config={"metric": "accuracy"},
        glass_box={"members": [1], "weights": [1.0], "metrics": {"accuracy": 0.8}},
        counts=lambda: {"stand-alone": 1, "inherited": 4},
    )


def _inputs(selected_sha, glass_sha):
    files = {
        "model/model.safetensors": {"sha256": selected_sha},
        "glass-box/model.safetensors": {"sha256": glass_sha},
        "history.json": {"sha256": "ab" * 32},
    }
    return SimpleNamespace(run=SimpleNamespace(manifest={"files": files}))


def test_a_glass_box_that_is_the_selected_model_says_so():
    from snas.audit._section_fields import _selection

    same = _selection(_search("glass-box"), _inputs("cd" * 32, "cd" * 32))
    assert same["same_as_selected"] is True and "not the selected model" not in same["audited"]
    assert same["audited"].startswith("the selected model itself")
    other = _selection(_search("glass-box"), _inputs("cd" * 32, "ef" * 32))
    assert other["same_as_selected"] is False and other["audited"].startswith("not the selected model")


def test_the_summary_of_a_glass_box_that_is_the_selected_model():
    from snas.audit import _summary

    def report(same):
        value = {"audited": "…", "same_as_selected": same}
        return SimpleNamespace(
            body={"sections": {"AIA.AnnexIV.2.b": {"fields": {"selection": {"status": "auto", "value": value}}}}}
        )

    assert _summary._glass_box_is_selected(report(True)) and _summary._audits_glass_box(report(True))
    assert not _summary._glass_box_is_selected(report(False))


def test_the_selection_cites_the_complete_search_history():
    from snas.audit._section_fields import _selection

    history = _selection(_search("selected"), _inputs("cd" * 32, None))["search_history"]
    assert history["evaluations"] == 5 and history["by_fidelity"] == {"stand-alone": 1, "inherited": 4}
    assert history["file"] == "history.json" and history["sha256"] == "ab" * 32
    assert "every one of the 5 evaluations" in history["statement"] and "ab" * 32 in history["statement"]
