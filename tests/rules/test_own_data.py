"""Rules for a dataset of one's own (a manifest without ``levels:``, a numeric 0/1 target,
identifier and date columns, a target of three classes): ``snas check`` refuses what the
search would refuse, at the rule file's line, and ``rules suggest`` writes only conditions
the parser reads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snas.cli import main
from snas.datasets import load, load_manifest
from snas.exceptions import RuleError
from snas.rules import check_rules, parse_condition, parse_rules, require_rules_for, suggest_rules
from snas.rules._mine import Cond, _cond_text

COLUMNS = """columns:
  - {name: account_id, type: categorical}
  - {name: opened, type: categorical}
  - {name: Alter Jahre, type: numeric, integer: true}
  - {name: debt to income, type: numeric}
  - {name: rating, type: ordinal, levels: [low, mid, high]}
  - {name: employment, type: categorical}
  - {name: Region, type: categorical}
"""
HEAD = "snas_rules: 1\ndataset: credit\ntarget: {column: default, positive: 1}\nrules:\n"
GOOD = (
    "  - {id: late, if: debt_to_income >= 1.1, then: 1, strength: hard}\n"
    "  - {id: unemployed, if: employment == 'unemployed', then: 1, strength: soft}\n"
    "  - {id: south, if: region == 'Süd' and `Alter Jahre` < 25, then: 1, strength: soft}\n"
)


def _frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dti = np.round(rng.uniform(0, 1.2, n), 3)
    employment = rng.choice(["salaried", "self-employed", "unemployed", "retired"], n, p=[0.6, 0.2, 0.1, 0.1])
    risk = 0.1 + 0.6 * (dti > 0.7) + 0.25 * (employment == "unemployed")
    return pd.DataFrame(
        {
            "account_id": [f"ACC-{i:05d}" for i in rng.permutation(n)],
            "opened": (pd.Timestamp("2010-01-01") + pd.to_timedelta(rng.integers(0, 4000, n), unit="D")).strftime(
                "%Y-%m-%d"
            ),
            "Alter Jahre": rng.integers(18, 80, n),
            "debt to income": dti,
            "rating": rng.choice(["low", "mid", "high"], n),
            "employment": employment,
            "Region": rng.choice(["Nord", "Süd", "Ost", "West"], n),
            "default": (rng.uniform(size=n) < risk).astype(int),
        }
    )


def _dataset(
    tmp_path: Path,
    frame: pd.DataFrame,
    target: str = "{name: default, type: numeric, integer: true}",
    extra: str = "",
) -> Path:
    """``tmp_path/credit.csv`` and its manifest ``tmp_path/credit.yaml`` (returned)."""
    frame.to_csv(tmp_path / "credit.csv", index=False)
    sha = hashlib.sha256((tmp_path / "credit.csv").read_bytes()).hexdigest()
    name = target.split(",")[0].split(":")[1].strip()
    manifest = tmp_path / "credit.yaml"
    manifest.write_text(
        f"snas_dataset: 1\nname: credit\nfiles:\n  train: {{path: credit.csv, sha256: {sha}}}\n"
        'format: {header: true, separator: ",", missing: [""]}\n'
        f"{COLUMNS}{extra}  - {target}\ntarget: {{column: {name}}}\n"
        "split: {train: train, test_fraction: 0.3, seed: 0}\n",
        encoding="utf-8",
    )
    return manifest


@pytest.fixture(scope="module")
def credit(tmp_path_factory):
    d = tmp_path_factory.mktemp("credit")
    return load(_dataset(d, _frame()), data_dir=d)


def _rules(body: str, constraints: str = "  exclude_features: [account_id, opened]\n", head: str = HEAD):
    return parse_rules(f"{head}{body}constraints:\n{constraints}", "r.yaml")


def _found(report, code):
    return [f for f in report.findings if f.code == code]


def test_a_level_the_training_rows_lack_is_an_error_with_did_you_mean(credit):
    body = GOOD.replace("'unemployed'", "'unemploye'").replace("'Süd'", "'Sud'")
    report = check_rules(_rules(body), credit)
    assert not report.ok
    typo, sud = _found(report, "unknown-level")
    assert (typo.level, typo.line, typo.column) == ("error", 6, 40)
    assert "'unemploye' is not a level of 'employment'. Did you mean 'unemployed'" in typo.message
    assert "list the column's 'levels:' in the manifest" in typo.message
    assert "Did you mean 'Süd'?" in sud.message and (sud.line, sud.column) == (7, 31)


def test_the_manifest_schema_alone_says_levels_and_classes_cannot_be_checked(credit):
    schema = load_manifest(credit.manifest.source).schema
    report = check_rules(_rules(GOOD.replace("'unemployed'", "'unemploye'")), schema)
    assert report.ok  # nothing to check the level against ...
    (level,) = [f for f in _found(report, "unchecked-level") if "employment" in f.message]
    assert level.level == "warning" and "cannot be checked without the data" in level.message
    (classes,) = _found(report, "unchecked-class")  # ... nor the classes of a numeric target
    assert "'then:' and 'target.positive' cannot be checked" in classes.message and classes.line == 3


@pytest.mark.parametrize(
    ("body", "head", "code", "where"),
    [
        (GOOD.replace("then: 1, strength: hard", "then: 2, strength: hard"), HEAD, "unknown-class", (5, 49)),
        (GOOD, HEAD.replace("positive: 1", "positive: 2"), "unknown-positive", (3, 37)),
    ],
    ids=["then", "positive"],
)
def test_then_and_positive_must_be_values_of_a_numeric_target(credit, body, head, code, where):
    report = check_rules(_rules(body, head=head), credit)
    (f,) = report.errors
    assert f.code == code and (f.line, f.column) == where
    assert "Use one of the classes (the values its training rows hold): 0, 1" in f.message


def test_monotonic_constraints_on_a_target_of_three_classes_are_refused_where_written(tmp_path):
    frame = _frame().rename(columns={"default": "grade"})
    frame["grade"] = np.where(frame["debt to income"] > 0.8, "C", np.where(frame["debt to income"] > 0.4, "B", "A"))
    data = load(_dataset(tmp_path, frame, "{name: grade, type: categorical}"), data_dir=tmp_path)
    head = HEAD.replace("default, positive: 1", "grade, positive: C")
    rules = _rules(
        "  - {id: r, if: debt_to_income > 1, then: C}\n",
        "  monotonic:\n    increasing: [debt_to_income]\n  exclude_features: [account_id, opened]\n",
        head,
    )
    (f,) = check_rules(rules, data).errors
    assert (f.code, f.line, f.column) == ("monotonic-target", 7, 3)
    assert "need a binary target" in f.message and "'grade' has 3 classes (A, B, C)" in f.message
    with pytest.raises(RuleError, match=r"r\.yaml:7:3: error: constraints\.monotonic: monotonic constraints need"):
        require_rules_for(rules, data, named_by="the search", fix="-")  # what snas search runs first


def test_monotonic_constraints_on_an_ordinal_feature_are_refused_as_compile_does(credit):
    rules = _rules(
        GOOD, "  monotonic: {increasing: [debt_to_income, rating]}\n  exclude_features: [account_id, opened]\n"
    )
    (f,) = check_rules(rules, credit).errors
    assert (f.code, f.line, f.column) == ("type", 9, 44)
    assert "'rating' is ordinal; monotonic constraints take numeric columns only" in f.message


def test_identifier_and_date_columns_are_warned_about_unless_excluded(credit):
    report = check_rules(_rules(GOOD, "  exclude_features: [rating]\n"), credit)
    warned = {f.message.split("'")[1]: f for f in _found(report, "identifier-like")}
    assert set(warned) == {"account_id", "opened"} and report.ok
    assert "almost every row (an identifier?)" in warned["account_id"].message
    assert "holds dates" in warned["opened"].message
    assert all("'constraints.exclude_features'" in f.message and f.level == "warning" for f in warned.values())
    assert not _found(check_rules(_rules(GOOD), credit), "identifier-like")


def test_a_numeric_customer_number_is_warned_about_and_amounts_or_weights_are_not(tmp_path):
    frame = _frame()
    rng = np.random.default_rng(1)
    frame["customer_no"] = rng.permutation(len(frame)) + 100_000  # a whole number per row
    frame["balance"] = np.round(rng.normal(5000, 2000, len(frame)), 2)  # distinct too, but not whole numbers
    frame["weight"] = rng.choice(10**6, len(frame), replace=False)  # distinct whole numbers, spread like fnlwgt
    extra = (
        "  - {name: customer_no, type: numeric, integer: true}\n  - {name: balance, type: numeric}\n"
        "  - {name: weight, type: numeric, integer: true}\n"
    )
    data = load(_dataset(tmp_path, frame, extra=extra), data_dir=tmp_path)
    (f,) = _found(check_rules(_rules(GOOD), data), "identifier-like")
    assert f.level == "warning" and f.message.startswith("column 'customer_no' holds a different whole number")
    assert "add 'customer_no' to 'constraints.exclude_features'" in f.message
    excluded = "  exclude_features: [account_id, opened, customer_no]\n"
    assert not _found(check_rules(_rules(GOOD, excluded), data), "identifier-like")


def test_suggest_never_writes_an_empty_list(credit):
    report = suggest_rules(credit, _rules(GOOD), target_agreement=0.8, max_rules=10)
    assert report.proposals
    for text in [p.condition for p in report.proposals] + [r.condition for r in report.rejected]:
        assert "[]" not in text
        parse_condition(text)
    # a column without levels (a schema from the manifest alone): the mined levels, never 'in []'
    employment = load_manifest(credit.manifest.source).schema.column("employment")
    assert _cond_text(Cond("employment", levels=("retired", "unemployed")), employment) == (
        'employment in ["retired", "unemployed"]'
    )


def test_cli_check_exits_1_for_a_level_typo_and_0_for_the_good_file(credit, tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(f"{HEAD}{GOOD}constraints:\n  exclude_features: [account_id, opened]\n", encoding="utf-8")
    typo = tmp_path / "typo.yaml"
    typo.write_text(good.read_text(encoding="utf-8").replace("'Süd'", "'Sud'"), encoding="utf-8")
    manifest, data_dir = credit.manifest.source, str(Path(credit.manifest.source).parent)
    assert main(["check", str(good), "--dataset", manifest, "--data-dir", data_dir]) == 0
    capsys.readouterr()
    assert main(["check", str(typo), "--dataset", manifest, "--data-dir", data_dir]) == 1
    out = capsys.readouterr().out
    assert "typo.yaml:7:31: error: rule 'south': 'Sud' is not a level of 'region'. Did you mean 'Süd'?" in out
