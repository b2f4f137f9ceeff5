from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from snas.datasets import load_manifest
from snas.rules import check_rules, holds, parse_condition, parse_rules, shield_bodies

HEAD = 'snas_rules: 1\ndataset: census_income\ntarget: {column: income, positive: ">50K"}\nrules:\n'


def test_coverage_and_agreement_match_pandas(census, census_rules):
    report = check_rules(census_rules, census)
    assert report.ok
    df = census.train
    y = df["income"].astype(str)
    # Independent computation, written directly in pandas for each rule of the file.
    married = df["marital_status"].isin(["Married-civ-spouse", "Married-AF-spouse"])
    expected = {
        "high-capital-gain": (df["capital_gain"] >= 7500) & ~(df["age"] < 21),
        "minor-age": df["age"] < 21,
        "young-never-married": (df["marital_status"] == "Never-married")
        & (df["age"] < 30)
        & (df["capital_gain"] < 7500),
        "household-service": (df["occupation"] == "Priv-house-serv") & (df["capital_gain"] < 7500),
        "married-graduate-full-time": (df["marital_status"] == "Married-civ-spouse")
        & (df["education_num"] >= 13)
        & (df["hours_per_week"] >= 40),
        "married-professional-degree": (df["marital_status"] == "Married-civ-spouse")
        & df["education"].isin(["Prof-school", "Doctorate"]),
        "low-education": (df["education_num"] <= 8) & (df["capital_gain"] < 7500),
        "part-time": (df["hours_per_week"] < 25) & (df["capital_gain"] < 5000),
        "service-occupations": df["occupation"].isin(["Handlers-cleaners", "Other-service"])
        & (df["capital_gain"] < 7500),
        "single-earner-household": ~married & (df["capital_gain"] < 7500),
    }
    stats = {s.rule: s for s in report.stats}
    assert set(stats) == set(expected)
    decided = np.zeros(len(df), dtype=bool)
    for rid, mask in expected.items():
        if census_rules[rid].is_hard:
            decided |= mask.fillna(False).astype(bool).to_numpy()
    for rid, mask in expected.items():
        mask = mask.fillna(False).astype(bool)
        head = census_rules[rid].head
        assert stats[rid].support == int(mask.sum()), rid
        assert stats[rid].coverage == pytest.approx(mask.mean()), rid
        assert stats[rid].agreement == pytest.approx((y[mask] == head).mean()), rid
        assert stats[rid].agreement_low < stats[rid].agreement <= stats[rid].agreement_high
        # the price of hardening a soft rule: rows it covers whose label differs from its head
        # and that no hard rule decides already
        overruled = (mask & ~decided & (y != head)).sum() / len(df)
        if census_rules[rid].is_hard:
            assert stats[rid].hardening_cost is None, rid
        else:
            assert stats[rid].hardening_cost == pytest.approx(overruled), rid


def test_known_conflict_found_with_witness(census):
    rs = parse_rules(
        HEAD
        + (
            "  - {id: gain, if: capital_gain >= 7500, then: '>50K', strength: hard}\n"
            "  - {id: young, if: age < 21, then: '<=50K', strength: hard}\n"
        ),
        "r.yaml",
    )
    report = check_rules(rs, census)
    assert not report.ok
    (conflict,) = [f for f in report.findings if f.code == "hard-conflict"]
    assert {conflict.rule, conflict.other} == {"gain", "young"}
    w = conflict.witness
    assert w["capital_gain"] >= 7500 and w["age"] < 21
    assert conflict.overlap_rows == 5  # the data agrees: five such rows in adult.data
    assert "unless" in conflict.message


def test_conflict_without_data_gets_a_witness_from_the_logic():
    schema = load_manifest("census_income").schema
    rs = parse_rules(
        HEAD
        + (
            "  - {id: gain, if: capital_gain >= 7500, then: '>50K', strength: hard}\n"
            "  - {id: young, if: age < 21 and education == 'Masters', then: '<=50K', strength: hard}\n"
        ),
        "r.yaml",
    )
    (conflict,) = [f for f in check_rules(rs, schema).findings if f.code == "hard-conflict"]
    w = conflict.witness
    assert w["capital_gain"] >= 7500 and w["age"] <= 20 and w["education"] == "Masters"
    assert isinstance(w["age"], int)  # integer features get integer witnesses


@pytest.mark.parametrize(
    ("body", "head", "bad"),
    [
        ("capital_gain < 100 and age > 60", "'>50K'", True),
        ("not (education_num >= 3)", "'>50K'", True),
        ("education_num in [16]", "'>50K'", True),
        ("capital_gain >= 7500", "'<=50K'", True),
        ("capital_gain >= 7500", "'>50K'", False),
        ("education_num <= 3", "'<=50K'", False),
    ],
)
def test_check_refuses_a_hard_rule_against_a_monotonic_constraint_as_training_does(body, head, bad):
    """What compile refuses, snas check reports first (with the rule's line), with data or without."""
    from snas.exceptions import RuleError
    from snas.nn import compile_rules

    schema = load_manifest("census_income").schema
    text = (
        HEAD + f"  - {{id: r, if: '{body}', then: {head}, strength: hard}}\n"
        "constraints: {monotonic: {increasing: [capital_gain, education_num]}}\n"
    )
    for data in (schema, None):
        found = [f for f in check_rules(parse_rules(text, "r.yaml"), data).errors if f.code == "against-monotonic"]
        assert bool(found) is bad
        if bad:
            assert (
                found[0].rule == "r" and found[0].line == 5 and "against its monotonic constraint" in found[0].message
            )
    if bad:
        with pytest.raises(RuleError, match="against its monotonic constraint"):
            compile_rules(parse_rules(text), schema, schema.classes)


@pytest.mark.parametrize(("head", "bad"), [("benign", True), ("malignant", False)])
def test_without_target_positive_check_and_training_take_the_manifests_positive_class(head, bad):
    """breast_cancer's manifest names 'malignant' positive (its levels list it first): a hard rule
    concluding 'benign' above a threshold of an increasing feature is refused by both, whatever
    the class order training uses."""
    from snas.exceptions import RuleError
    from snas.nn import compile_rules

    schema = load_manifest("breast_cancer").schema
    assert schema.positive == "malignant" and schema.classes[-1] == "benign"
    rules = parse_rules(
        "snas_rules: 1\nrules:\n"
        f"  - {{id: big, if: worst_radius > 20, then: {head}, strength: hard}}\n"
        "constraints: {monotonic: {increasing: [worst_radius]}}\n"
    )
    assert bool([f for f in check_rules(rules, schema).errors if f.code == "against-monotonic"]) is bad
    for classes in (schema.classes, tuple(sorted(schema.classes))):
        if bad:
            with pytest.raises(RuleError, match="against its monotonic constraint"):
                compile_rules(rules, schema, classes)
        else:
            compiled = compile_rules(rules, schema, classes)
            assert compiled.monotonic["worst_radius"] == (1 if classes[-1] == "malignant" else -1)


def test_unless_and_priority_resolve_conflicts(census):
    unless = parse_rules(
        HEAD
        + (
            "  - {id: gain, if: capital_gain >= 7500, unless: age < 21, then: '>50K', strength: hard}\n"
            "  - {id: young, if: age < 21, then: '<=50K', strength: hard}\n"
        ),
        "r.yaml",
    )
    assert check_rules(unless, census).ok
    prio = parse_rules(
        HEAD
        + (
            "  - {id: gain, if: capital_gain >= 7500, then: '>50K', strength: hard, priority: 2}\n"
            "  - {id: young, if: age < 21, then: '<=50K', strength: hard, priority: 1}\n"
        ),
        "r.yaml",
    )
    report = check_rules(prio, census)
    assert report.ok and any(f.code == "conflict-resolved" for f in report.findings)
    # the shield's effective body of the losing rule excludes the overlap
    eff = shield_bodies(prio)
    both = holds(eff["gain"], census.train) & holds(eff["young"], census.train)
    assert not both.any()


def test_integer_features_reason_exactly():
    schema = load_manifest("census_income").schema
    rs = parse_rules(
        HEAD
        + (
            "  - {id: a, if: age > 20, then: '>50K', strength: hard}\n"
            "  - {id: b, if: age < 21, then: '<=50K', strength: hard}\n"
        ),
        "r.yaml",
    )
    assert check_rules(rs, schema).ok  # no integer age lies in (20, 21)


@pytest.mark.parametrize(
    "cond, fragment",
    [
        ("agee >= 21", "unknown feature 'agee'. Did you mean 'age'?"),
        ("occupation == 'Sale'", "'Sale' is not a level of 'occupation'. Did you mean 'Sales'?"),
        ("age == 'x'", "'age' is numeric"),
        ("occupation == 3", "'occupation' is categorical"),
        ("occupation > 'Sales'", "categorical (unordered)"),
        ("income == '>50K'", "cannot appear in a condition"),
    ],
)
def test_name_level_type_errors_with_position(cond, fragment):
    schema = load_manifest("census_income").schema
    rs = parse_rules(HEAD + f'  - id: r\n    if: "{cond}"\n    then: ">50K"\n', "r.yaml")
    report = check_rules(rs, schema)
    (err,) = report.errors
    assert fragment in err.message
    assert err.line == 6 and err.column is not None and "^" in err.context


def test_ordinal_comparisons_follow_level_order(census):
    m = holds(parse_condition('education >= "Bachelors"'), census.train, census.schema)
    expected = census.train["education"].isin(["Bachelors", "Masters", "Prof-school", "Doctorate"])
    assert np.array_equal(m, expected.to_numpy())


def test_dead_rules_and_low_agreement(census):
    rs = parse_rules(
        HEAD
        + (
            "  - {id: never, if: age > 50 and age < 40, then: '>50K'}\n"
            "  - {id: nobody, if: age > 95 and hours_per_week > 98, then: '>50K'}\n"
            "  - {id: weak, if: hours_per_week >= 40, then: '>50K', strength: hard}\n"
        ),
        "r.yaml",
    )
    codes = {(f.code, f.rule) for f in check_rules(rs, census).findings}
    assert ("dead-rule", "never") in codes
    assert ("zero-coverage", "nobody") in codes
    assert ("low-agreement", "weak") in codes


def test_missing_values_never_fire_a_rule():
    df = pd.DataFrame({"a": pd.array([1, None, 5], dtype="Int64"), "b": pd.Categorical(["x", None, "y"])})
    assert list(holds(parse_condition("a < 3"), df)) == [True, False, False]
    assert list(holds(parse_condition("not a < 3"), df)) == [False, False, True]
    assert list(holds(parse_condition("a < 3 or b == 'y'"), df)) == [True, False, True]
    assert list(holds(parse_condition("b != 'x'"), df)) == [False, False, True]
