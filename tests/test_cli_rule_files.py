"""``snas check`` and the ``rules`` commands on rule files they cannot read or parse.

README: "Exit codes: 0 clean or warnings only, 1 errors in the rules, 2 usage or I/O error."
"""

from __future__ import annotations

import json
import pathlib
from pathlib import Path

import pytest

from snas.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULES = str(ROOT / "rules" / "census_income.yaml")
HEAD = 'snas_rules: 1\ndataset: census_income\ntarget: {column: income, positive: ">50K"}\nrules:\n'


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_missing_rule_file_is_an_io_error_exit_2(tmp_path, capsys, fmt):
    missing = tmp_path / "no_such_rules.yaml"
    assert main(["check", str(missing), "--no-data", "--format", fmt]) == 2
    err = capsys.readouterr().err
    assert f"error: {missing}: file not found; check the path" in err and "Traceback" not in err


def test_a_rule_path_that_is_a_directory_is_an_io_error_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path), "--no-data"]) == 2
    assert f"{tmp_path}: is a directory; give the path of a file" in capsys.readouterr().err


def test_an_unreadable_rule_file_is_an_io_error_exit_2(tmp_path, capsys, monkeypatch):
    locked = tmp_path / "locked.yaml"
    locked.write_text(HEAD + "  - {id: r, if: age > 3, then: '>50K'}\n")
    real_open = pathlib.Path.open

    def refuse(self, *args, **kwargs):  # as chmod 000 would, also when the tests run as root
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refuse)
    assert main(["check", str(locked), "--no-data"]) == 2
    err = capsys.readouterr().err
    assert f"{locked}: cannot read the file (Permission denied)" in err


def test_errors_in_the_rule_file_still_exit_1(tmp_path, capsys):
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes((HEAD + "  - {id: r, if: age > 3, then: '>50K', rationale: 'für'}\n").encode("latin-1"))
    assert main(["check", str(latin1), "--no-data"]) == 1  # content, not I/O: not UTF-8 text
    assert "the file is not UTF-8 text" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "  - {id: r, if: age = 3, then: '>50K'}\n")
    assert main(["check", str(bad), "--no-data"]) == 1


def test_rules_commands_exit_2_for_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.pl"
    assert main(["rules", "import-prolog", str(missing)]) == 2
    assert f"{missing}: file not found; check the path" in capsys.readouterr().err
    assert main(["rules", "import-prolog", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    rules = tmp_path / "nope.yaml"
    argv = ["rules", "suggest", "census_income", "--rules", str(rules), "--out", str(tmp_path / "p.yaml")]
    assert main(argv) == 2  # before any data are read
    assert f"{rules}: file not found; check the path" in capsys.readouterr().err


def test_load_rules_keeps_raising_a_rule_syntax_error_for_a_missing_file(tmp_path):
    from snas import RuleFileError
    from snas.exceptions import RuleSyntaxError
    from snas.rules import load_rules

    with pytest.raises(RuleFileError, match="file not found") as err:
        load_rules(tmp_path / "nope.yaml")
    assert isinstance(err.value, RuleSyntaxError)  # callers catching RuleSyntaxError still catch it


def test_check_json_reports_a_parse_error_with_its_position(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(HEAD + "  - id: r\n    if: age = 3\n    then: '>50K'\n")
    assert main(["check", str(bad), "--no-data", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    d = json.loads(out)
    assert d["ok"] is False and d["errors"] == 1 and d["warnings"] == 0 and d["stats"] == []
    assert d["rules"] == str(bad)
    (f,) = d["findings"]
    assert (f["level"], f["code"], f["path"], f["line"], f["column"]) == ("error", "syntax", str(bad), 6, 13)
    assert f["message"].startswith("unexpected character '='") and "^" in f["context"]
    assert f"{bad}:6:13: unexpected character" in err  # the message on stderr as in text format


def test_check_json_reports_an_unreadable_rule_file(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    assert main(["check", str(missing), "--no-data", "--format", "json"]) == 2
    d = json.loads(capsys.readouterr().out)
    (f,) = d["findings"]
    assert not d["ok"] and f["code"] == "unreadable" and f["path"] == str(missing)
    assert f["message"] == "file not found; check the path"


def test_check_sorts_name_errors_by_line_and_column(tmp_path, capsys):
    rules = tmp_path / "names.yaml"
    rules.write_text(
        HEAD
        + "  - id: a\n    if: agee > 3\n    then: bogus\n"  # then (line 7) is checked before the condition (6)
        + "  - id: b\n    if: age > 3 and hourz > 1 and workclas == 'x'\n    then: '>50K'\n"
    )
    assert main(["check", str(rules), "--no-data", "--format", "json"]) == 1
    found = [(f["line"], f["column"], f["code"]) for f in json.loads(capsys.readouterr().out)["findings"]]
    assert found == [
        (6, 9, "unknown-feature"),
        (7, 11, "unknown-class"),
        (9, 21, "unknown-feature"),
        (9, 35, "unknown-feature"),
    ]
    assert main(["check", str(rules), "--no-data"]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0].rsplit(":", 2)[1] for line in lines] == ["6", "7", "9", "9"]


def test_check_rules_sorts_name_errors_like_the_other_findings():
    from snas.datasets import load_manifest
    from snas.rules import check_rules, parse_rules

    rs = parse_rules(HEAD + "  - id: a\n    if: agee > 3\n    then: bogus\n", "r.yaml")
    report = check_rules(rs, load_manifest("census_income").schema)
    assert [(f.line, f.column) for f in report.findings] == [(6, 9), (7, 11)]
