"""The CLI on damaged run files and on options a command does not use: a clear error naming
the file or option and the fix, a non-zero exit, never a traceback, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from snas.cli import main

DEEP = "[" * 200_000  # RecursionError in json.loads


def _fake_run(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "reports").mkdir(parents=True)
    (run / ".snas-run").write_text(json.dumps({"snas_run": 1, "worker": "w"}))
    (run / "manifest.json").write_text(json.dumps({"files": {}, "data": {}}))
    return run


def _error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ")
    return err


def test_a_deeply_nested_manifest_is_named_by_verify(tmp_path, capsys):
    run = _fake_run(tmp_path)
    (run / "manifest.json").write_text(DEEP)
    assert main(["audit", "verify", str(run)]) == 2
    err = _error(capsys)
    assert f"{run / 'manifest.json'}: damaged" in err and "search again into a new folder" in err


@pytest.mark.parametrize("text", [DEEP, "[]", '{"a": NaN, "report_id": "x"}'])
def test_a_damaged_report_is_named_by_validate_verify_and_diff(tmp_path, capsys, text):
    run = _fake_run(tmp_path)
    report = run / "reports" / "report.json"
    report.write_text(text)
    assert main(["audit", "validate", str(run)]) == 2
    err = _error(capsys)
    assert f"{report}: damaged" in err and "write it again with 'snas audit RUN_DIR'" in err
    assert main(["audit", "diff", str(run), str(run)]) == 2
    assert f"{report}: damaged" in _error(capsys)
    assert main(["audit", "verify", str(run)]) == 1  # listed with the other problems found
    out = capsys.readouterr().out
    assert f"FAILED: {report}: damaged" in out and "Traceback" not in out


def test_diff_names_the_report_that_breaks_the_schema(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"report_id": "x"}')
    assert main(["audit", "diff", str(bad), str(bad)]) == 2
    err = _error(capsys)
    assert f"{bad}: does not follow the report schema" in err and "'schema_version' is a required property" in err


def test_audit_with_out_is_refused_not_ignored(tmp_path, capsys):
    run = _fake_run(tmp_path)
    for argv, where in (([], "RUN_DIR/reports,"), (["--model", "glass-box"], "RUN_DIR/reports/glass-box")):
        assert main(["audit", str(run), "--out", str(tmp_path / "x"), *argv]) == 2
        err = _error(capsys)
        assert f"--out {tmp_path / 'x'}: 'snas audit RUN_DIR' writes its reports into {where}" in err
        assert "drop --out" in err
    assert not (tmp_path / "x").exists() and list((run / "reports").iterdir()) == []


@pytest.mark.parametrize(
    "argv, option",
    [
        (["validate", "RUN", "--out", "x.md"], "--out"),
        (["verify", "RUN", "--out", "x.md"], "--out"),
        (["verify", "RUN", "--format", "json"], "--format"),
        (["validate", "RUN", "--documentation", "d.yaml"], "--documentation"),
        (["diff", "RUN", "RUN", "--parent", "p.json"], "--parent"),
        (["diff", "RUN", "RUN", "--data-dir", "data"], "--data-dir"),
    ],
)
def test_options_a_subcommand_does_not_use_are_refused(tmp_path, capsys, argv, option):
    run = _fake_run(tmp_path)
    assert main(["audit", *[str(run) if a == "RUN" else a for a in argv]]) == 2
    err = _error(capsys)
    assert f"{option}: not used by 'snas audit {argv[0]}'; drop it" in err


def test_an_empty_format_list_is_refused(tmp_path, capsys):
    assert main(["audit", str(_fake_run(tmp_path)), "--format", ","]) == 2
    assert "--format: no format given" in _error(capsys)


@pytest.mark.parametrize("budget", ["5min,10min", "40trials,2trials"])
def test_a_budget_repeating_a_unit_is_refused_on_the_command_line(tmp_path, capsys, budget):
    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "run"
    assert main(["search", str(root / "search" / "census_income.yaml"), "--out", str(out), "--budget", budget]) == 2
    assert "given twice" in _error(capsys) and not out.exists()


def test_python_warnings_print_in_the_cli_style_and_the_style_is_restored(monkeypatch):
    """A warning raised while a command runs is formatted as ``warning: TEXT`` (no snas source
    line); after main returns, Python's own formatting is back."""
    import argparse
    import warnings

    import snas.cli

    shown: list[str] = []

    def warns(args: argparse.Namespace) -> int:
        shown.append(warnings.formatwarning("class 'rare' has a single training row", UserWarning, "x.py", 7))
        shown.append(warnings.formatwarning("old option", DeprecationWarning, "x.py", 8))
        return 0

    parser = snas.cli.build_parser()
    monkeypatch.setattr(parser, "parse_args", lambda argv: argparse.Namespace(func=warns))
    monkeypatch.setattr(snas.cli, "build_parser", lambda: parser)
    before = warnings.formatwarning
    assert snas.cli.main([]) == 0
    assert shown == ["warning: class 'rare' has a single training row\n", "warning: DeprecationWarning: old option\n"]
    assert warnings.formatwarning is before


def test_a_worker_hands_each_distinct_warning_back_once():
    import warnings

    from snas.search._workers import _portable

    class Custom(UserWarning):
        pass

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            warnings.warn("the rules name level(s) ['x']", UserWarning, stacklevel=1)
        warnings.warn("from a library", Custom, stacklevel=1)
        warnings.warn("did not converge", RuntimeWarning, stacklevel=1)
        warnings.warn("old API", DeprecationWarning, stacklevel=1)  # for developers: never handed back
    assert _portable(caught) == [
        (UserWarning, "the rules name level(s) ['x']"),
        (UserWarning, "from a library"),  # a class the parent could not import
        (RuntimeWarning, "did not converge"),  # keeps its category: filters on it still work
    ]
