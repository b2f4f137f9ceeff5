from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from snas.cli import main

ROOT = Path(__file__).resolve().parents[1]
RULES = str(ROOT / "rules" / "census_income.yaml")


def test_check_census_exits_0_with_table(data_dir, capsys):
    assert main(["check", RULES, "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "high-capital-gain" in out and "label agreement" in out and "0 errors" in out
    assert "harden cost" in out
    # made hard, the soft rule would conflict with two hard rules of the other class: the row says
    # so, and the note gives the price once 'unless:' settles it — (1 − 74.4%) × 11.9% of the
    # rows (3.04%), less the rows a hard rule decides already
    row = next(line for line in out.splitlines() if line.startswith("married-graduate-full-time "))
    assert row.split()[-3:] == ["conflict", "2", "warnings"]
    assert "then hardening costs 3.03%" in out
    hard_row = next(line for line in out.splitlines() if line.startswith("high-capital-gain "))
    assert "%" not in hard_row.split("]", 1)[1]  # no price for a rule that is already hard


def test_check_json(data_dir, capsys):
    assert main(["check", RULES, "--data-dir", str(data_dir), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["ok"] and d["errors"] == 0 and len(d["stats"]) == 10
    stats = {s["rule"]: s for s in d["stats"]}
    assert stats["high-capital-gain"]["hardening_cost"] is None
    s = stats["married-graduate-full-time"]
    assert 0 < s["hardening_cost"] <= (1 - s["agreement"]) * s["coverage"]  # rows hard rules decide are free
    s = stats["single-earner-household"]  # overlaps the hard rules on many rows
    assert s["hardening_cost"] == pytest.approx(0.0240, abs=5e-5)
    assert s["hardening_cost"] < (1 - s["agreement"]) * s["coverage"]


def test_rule_errors_exit_1_without_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("snas_rules: 1\ndataset: census_income\nrules:\n  - id: r\n    if: agee > 3\n    then: '>50K'\n")
    assert main(["check", str(bad), "--no-data"]) == 1
    out = capsys.readouterr().out
    assert "bad.yaml:5:9: error: rule 'r': unknown feature 'agee'. Did you mean 'age'?" in out
    bad.write_text("snas_rules: 1\nrules:\n  - id: r\n    if: age = 3\n    then: x\n")
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:4:13" in err and "Traceback" not in err


def test_io_and_usage_errors_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("snas.datasets._load._download", _no_network)
    assert main(["check", RULES, "--data-dir", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    # the data file is nowhere and cannot be downloaded: one line on stderr naming it, no table, no traceback
    assert out == "" and "Traceback" not in err
    assert err.startswith("error: cannot download ") and "adult.data" in err

    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2


def _no_network(url, dest, expected):
    from snas.exceptions import DatasetError

    raise DatasetError(f"cannot download {url} (no network in tests)")


def test_help_check_and_rules_do_not_import_torch_or_shap(data_dir):
    code = (
        "import sys\nfrom snas.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"rc = main(['check', {RULES!r}, '--data-dir', {str(data_dir)!r}])\n"
        "rc += main(['rules', 'schema'])\n"
        "try:\n    main(['rules', 'impact', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'shap', 'sklearn', 'optuna') if m in sys.modules)\n"
        "print('HEAVY', heavy, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY [] 0" in out


def test_rules_schema_validates_the_census_file(capsys):
    import jsonschema
    import yaml

    assert main(["rules", "schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    jsonschema.validate(yaml.safe_load(Path(RULES).read_text()), schema)


def test_import_prolog_command(tmp_path, capsys):
    kb = tmp_path / "kb.pl"
    kb.write_text("class(Age, CapitalGain, '>50K') :- CapitalGain >= 7500.\n")
    out = tmp_path / "rules.yaml"
    assert main(["rules", "import-prolog", str(kb), "--strength", "hard", "--out", str(out)]) == 0
    from snas.rules import load_rules

    rs = load_rules(out)
    assert rs.rules[0].if_text == "capital_gain >= 7500" and rs.rules[0].priority == 1


def test_version_and_module_entry():
    out = subprocess.run([sys.executable, "-m", "snas", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("snas ")


def test_an_unknown_dataset_in_a_rule_file_names_the_file(tmp_path, data_dir, capsys):
    """`dataset:` of a rule file that names no manifest: exit 2, the file and the field named."""
    rules = tmp_path / "mutated.yaml"
    rules.write_text(Path(RULES).read_text().replace("dataset: census_income", "dataset: 0census_income", 1))
    assert main(["check", str(rules), "--data-dir", str(data_dir)]) == 2
    err = capsys.readouterr().err
    assert "mutated.yaml: dataset:" in err and "Did you mean 'census_income'" in err and "Traceback" not in err


def test_check_refuses_a_positive_class_that_is_not_a_class(tmp_path, capsys):
    rules = tmp_path / "pos.yaml"
    rules.write_text(Path(RULES).read_text().replace('positive: ">50K"', 'positive: ">60K"', 1))
    assert main(["check", str(rules), "--no-data"]) == 1
    out = capsys.readouterr().out
    line = next(i for i, t in enumerate(rules.read_text().splitlines(), 1) if ">60K" in t)
    assert f"pos.yaml:{line}:" in out and "'target.positive: >60K' is not a class of 'income'" in out
    assert "Use one of the classes: <=50K, >50K" in out


def test_check_refuses_a_dataset_other_than_the_rule_files_own(capsys):
    bc = str(ROOT / "rules" / "breast_cancer.yaml")
    assert main(["check", bc, "--dataset", "census_income", "--no-data"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert "breast_cancer.yaml:4:10: the rules are written for dataset 'breast_cancer'" in err
    assert "--dataset names 'census_income'" in err and "drop --dataset" in err
    # the same dataset, named by its manifest path, is fine
    assert main(["check", RULES, "--dataset", str(ROOT / "datasets" / "census_income.yaml"), "--no-data"]) == 0


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("class(A, B, '>50K') :- A > 3.", "kb.pl:1:24: variable A names no feature of the dataset"),
        ("class({vs}, 'maybe') :- V0 > 30.", "kb.pl:1:{label}: error: rule 'clause-1': 'then: maybe' is not a class"),
        ("class({vs}, '>50K') :- V1 > 5.", "is categorical (unordered); use ==, != or in [...], not >"),
    ],
)
def test_import_prolog_with_a_dataset_writes_nothing_check_would_reject(tmp_path, capsys, body, fragment):
    vs = ", ".join(f"V{i}" for i in range(14))  # census_income has 14 features
    text = body.format(vs=vs)
    kb = tmp_path / "kb.pl"
    kb.write_text(text + "\n")
    out = tmp_path / "rules.yaml"
    assert main(["rules", "import-prolog", str(kb), "--dataset", "census_income", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert fragment.format(label=text.find("'maybe'") + 1) in err and "Traceback" not in err
    assert not out.exists()


def test_import_prolog_with_a_dataset_writes_what_check_accepts(tmp_path, capsys):
    vs = ", ".join(f"V{i}" for i in range(14))
    kb = tmp_path / "kb.pl"
    kb.write_text(f"class({vs}, '>50K') :- V10 >= 7500.\nclass({vs}, '<=50K') :- V1 = 'Private', V0 < 21.\n")
    out = tmp_path / "rules.yaml"
    assert main(["rules", "import-prolog", str(kb), "--dataset", "census_income", "--out", str(out)]) == 0
    assert main(["check", str(out), "--no-data"]) == 0
