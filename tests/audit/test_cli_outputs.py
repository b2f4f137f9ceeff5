"""``snas predict`` and ``snas audit diff`` never write over their input, the run, or a file
they did not decide to write; each refusal names the option and the fix."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from snas.cli import main


@pytest.fixture
def copy(audit_run, tmp_path) -> Path:
    out = tmp_path / "run"
    shutil.copytree(audit_run, out)
    return out


@pytest.fixture
def rows(tiny_data, tmp_path) -> Path:
    csv = tmp_path / "rows.csv"
    tiny_data.X_test.head(5).to_csv(csv, index=False)
    return csv


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    capsys.readouterr()  # what earlier commands printed
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")
    return err


def test_predict_refuses_outputs_over_the_input_the_run_or_another_file(copy, rows, tmp_path, capsys):
    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    before_run, before_rows, before_notes = _snapshot(copy), rows.read_bytes(), notes.read_bytes()
    base = ["predict", str(copy), str(rows)]
    cases = [
        (["--log", str(rows)], f"--log {rows}: is the input CSV"),
        (["--log", str(copy / "model" / "model.json")], f"--log {copy / 'model' / 'model.json'}: inside {copy}"),
        (["--log", str(copy / "search.json")], "omit --log to log to"),
        (["--log", str(copy / "model" / "decisions.jsonl")], "inside"),
        (["--log", str(notes)], f"--log {notes}: exists and is not a decision log"),
        (["--out", str(rows)], f"--out {rows}: is the input CSV"),
        (["--out", str(copy / "front.json")], f"--out {copy / 'front.json'}: inside {copy}"),
        (["--out", str(copy / "decisions.jsonl")], "is the decision log (--log)"),
        (["--out", str(tmp_path / "same"), "--log", str(tmp_path / "same")], "is the decision log (--log)"),
    ]
    for extra, fragment in cases:
        assert fragment in _refused(capsys, [*base, *extra]), extra
    assert _snapshot(copy) == before_run and rows.read_bytes() == before_rows and notes.read_bytes() == before_notes
    assert not (tmp_path / "same").exists()
    # a model folder given instead of the run: its own decisions.jsonl stays the default
    assert "inside" in _refused(capsys, ["predict", str(copy / "model"), str(rows), "--log", str(copy / "model" / "x")])


def test_predict_still_logs_to_the_default_log_and_to_an_earlier_log(copy, rows, tmp_path, capsys):
    out = tmp_path / "p.csv"
    for _ in range(2):
        assert main(["predict", str(copy), str(rows), "--out", str(out)]) == 0
    assert len((copy / "decisions.jsonl").read_text().splitlines()) == 10
    assert main(["predict", str(copy), str(rows), "--out", str(out), "--log", str(copy / "decisions.jsonl")]) == 0
    log = tmp_path / "elsewhere.jsonl"
    for _ in range(2):
        assert main(["predict", str(copy), str(rows), "--out", str(out), "--log", str(log)]) == 0
    assert len(log.read_text().splitlines()) == 10
    (tmp_path / "empty.jsonl").touch()  # an empty file holds nothing to lose
    assert main(["predict", str(copy), str(rows), "--out", str(out), "--log", str(tmp_path / "empty.jsonl")]) == 0
    # --out never replaces a decision log
    assert "is a decision log" in _refused(capsys, ["predict", str(copy), str(rows), "--out", str(log)])
    assert len(log.read_text().splitlines()) == 10


def test_diff_names_the_report_that_breaks_the_schema(audit_run, tmp_path, capsys):
    good = audit_run / "reports" / "report.json"
    bad = tmp_path / "bad.json"
    bad.write_text('{"report_id": "x"}')
    for argv in ([str(good), str(bad)], [str(bad), str(good)]):
        err = _refused(capsys, ["audit", "diff", *argv])
        assert f"error: {bad}: does not follow the report schema" in err and str(good) not in err


def test_diff_never_writes_over_a_file_it_did_not_decide_to_write(audit_run, tmp_path, capsys):
    notes, patch = tmp_path / "notes.md", tmp_path / "notes.patch.json"
    patch.write_text('{"my": "own file"}')
    argv = ["audit", "diff", str(audit_run), str(audit_run), "--out", str(notes)]
    err = _refused(capsys, argv)
    assert f"--out {notes}: the JSON Patch goes beside it to {patch}, which exists and is not a JSON Patch" in err
    assert patch.read_text() == '{"my": "own file"}' and not notes.exists()
    patch.unlink()
    assert main(argv) == 0 and json.loads(patch.read_text()) == [] and notes.read_text().startswith("# Changes")
    assert main(argv) == 0  # its own earlier output is written again
    # neither file may be a report compared or a file of a run
    report = audit_run / "reports" / "report.json"
    kept = report.read_bytes()
    err = _refused(capsys, ["audit", "diff", str(audit_run), str(audit_run), "--out", str(report)])
    assert "is one of the reports compared" in err
    err = _refused(
        capsys, ["audit", "diff", str(report), str(report), "--out", str(audit_run / "reports" / "report.md")]
    )
    assert "is a file of the run" in err
    assert report.read_bytes() == kept
