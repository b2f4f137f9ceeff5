from __future__ import annotations

import pytest

from snas.datasets import load_manifest
from snas.exceptions import RuleSyntaxError
from snas.rules import Compare, Not, check_rules, import_prolog, parse_rules

KB = """% PSyKI-style Datalog
class(Age, CapitalGain, Occupation, '>50K') :- CapitalGain >= 7500, \\+(Age < 21).
class(Age, CapitalGain, Occupation, '<=50K') :- '<'(Age, 21).
class(Age, CapitalGain, Occupation, '<=50K') :- Occupation = 'Priv-house-serv' ; Age =< 18.
class(Age, CapitalGain, Occupation, '<=50K') :- true.
"""


def test_import_keeps_order_and_structure():
    rs = import_prolog(KB, path="kb.pl")
    assert [r.priority for r in rs] == [1, 2, 3]  # the 'true' default clause is skipped
    first = rs.rules[0]
    assert first.head == ">50K"
    assert first.condition.items[0] == Compare("capital_gain", ">=", 7500)
    assert isinstance(first.condition.items[1], Not)
    assert rs.rules[1].condition == Compare("age", "<", 21)
    # the YAML it writes parses back to the same rules
    import yaml

    again = parse_rules(yaml.safe_dump(rs.to_dict()), "again.yaml")
    assert [r.condition for r in again] == [r.condition for r in rs]


def test_positional_mapping_to_dataset_features():
    schema = load_manifest("census_income").schema
    vars_ = ", ".join(f"V{i}" for i in range(len(schema.feature_names)))
    text = f"class({vars_}, '>50K') :- V10 >= 7500.\n"  # 11th feature = capital_gain
    rs = import_prolog(text, schema=schema, strength="hard")
    assert rs.rules[0].condition == Compare("capital_gain", ">=", 7500)
    assert check_rules(rs, schema).ok


def test_bad_datalog_reports_position():
    with pytest.raises(RuleSyntaxError) as err:
        import_prolog("class(A, x) :- A >> 3.\n", path="bad.pl")
    assert err.value.line == 1 and err.value.path == "bad.pl"
