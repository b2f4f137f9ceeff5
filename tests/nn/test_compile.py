from __future__ import annotations

import pytest

from snas.datasets import load_manifest
from snas.exceptions import RuleConflictError, RuleError
from snas.nn import compile_rules, polarity
from snas.rules import parse_condition, parse_rules

SCHEMA = load_manifest("census_income").schema
CLASSES = ("<=50K", ">50K")
HEAD = 'snas_rules: 1\ntarget: {column: income, positive: ">50K"}\nrules:\n'


def test_polarity():
    assert polarity(parse_condition("capital_gain >= 7500"), "capital_gain") == 1
    assert polarity(parse_condition("not capital_gain >= 7500"), "capital_gain") == -1
    assert polarity(parse_condition("capital_gain < 5 and age > 3"), "capital_gain") == -1
    assert polarity(parse_condition("capital_gain == 5"), "capital_gain") is None
    assert polarity(parse_condition("capital_gain > 5 or capital_gain < 1"), "capital_gain") is None
    assert polarity(parse_condition("age > 3"), "capital_gain") == 0


def test_census_rules_compile(census_rules):
    c = compile_rules(census_rules, SCHEMA, CLASSES)
    assert [h[0] for h in c.hard] == [r.id for r in census_rules.hard]
    assert c.monotonic == {"education_num": 1, "capital_gain": 1}
    assert set(c.neuron_ok) == {r.id for r in census_rules.soft}
    assert c.neuron_ok["low-education"] == -1 and c.neuron_ok["married-graduate-full-time"] == 1


def test_unresolved_hard_conflict_is_refused():
    rs = parse_rules(
        HEAD + "  - {id: a, if: capital_gain >= 7500, then: '>50K', strength: hard}\n"
        "  - {id: b, if: age < 21, then: '<=50K', strength: hard}\n"
    )
    with pytest.raises(RuleConflictError, match="unless"):
        compile_rules(rs, SCHEMA, CLASSES)


def test_hard_rule_fighting_monotonicity_is_refused():
    rs = parse_rules(
        HEAD + "  - {id: a, if: capital_gain < 100, then: '>50K', strength: hard}\n"
        "constraints: {monotonic: {increasing: [capital_gain]}}\n"
    )
    with pytest.raises(RuleError, match="against its monotonic constraint"):
        compile_rules(rs, SCHEMA, CLASSES)


def test_mixed_direction_soft_rule_is_loss_only():
    rs = parse_rules(
        HEAD + "  - {id: a, if: capital_gain == 0, then: '>50K'}\n"
        "constraints: {monotonic: {increasing: [capital_gain]}}\n"
    )
    assert compile_rules(rs, SCHEMA, CLASSES).neuron_ok == {}


def test_positive_class_first_flips_network_direction():
    rs = parse_rules(
        'snas_rules: 1\ntarget: {column: income, positive: "<=50K"}\nrules:\n'
        "  - {id: a, if: age < 21, then: '<=50K', strength: hard}\n"
        "constraints: {monotonic: {increasing: [capital_gain]}}\n"
    )
    assert compile_rules(rs, SCHEMA, CLASSES).monotonic == {"capital_gain": -1}
