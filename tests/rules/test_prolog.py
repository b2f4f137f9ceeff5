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
    rs = import_prolog(KB, path="kb.pl", strength="hard")
    assert [r.priority for r in rs] == [1, 2, 3]  # the 'true' default clause is skipped
    # soft rules take no priority (a rule file refuses one): clause order stays in 'source'
    soft = import_prolog(KB, path="kb.pl")
    assert [r.priority for r in soft] == [None, None, None]
    assert [r.source.endswith(f"(clause {i})") for i, r in enumerate(soft, 1)] == [True] * 3
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


def test_by_position_a_variable_named_like_another_feature_is_refused():
    """A head variable in one feature's place but named like another's would silently read the
    feature in its place: refused at its line and column, naming both features."""
    schema = load_manifest("census_income").schema
    names = [f"V{i}" for i in range(len(schema.feature_names))]
    names[1] = "Education"  # the place of workclass
    text = f"class({', '.join(names)}, '>50K') :- Education = 'Bachelors'.\n"
    with pytest.raises(RuleSyntaxError) as err:
        import_prolog(text, path="kb.pl", schema=schema)
    e = err.value
    assert (e.path, e.line, e.column) == ("kb.pl", 1, 11)
    assert "the place of feature 'workclass'" in e.message and "named like feature 'education'" in e.message
    names[1], names[2] = "Workclass", "Fnlwgt"  # named for their own places: fine
    assert import_prolog(f"class({', '.join(names)}, '>50K') :- Workclass = 'Private'.\n", schema=schema)


def test_bad_datalog_reports_position():
    with pytest.raises(RuleSyntaxError) as err:
        import_prolog("class(A, x) :- A >> 3.\n", path="bad.pl")
    assert err.value.line == 1 and err.value.path == "bad.pl"


def test_with_a_schema_a_variable_that_names_no_feature_is_refused_at_its_line():
    schema = load_manifest("census_income").schema
    kb = "class(Age, CapitalGain, '>50K') :- CapitalGain >= 7500.\nclass(A, B, C, '>50K') :- A > 3.\n"
    assert import_prolog(kb.splitlines()[0], schema=schema).rules[0].condition.feature == "capital_gain"
    with pytest.raises(RuleSyntaxError) as err:
        import_prolog(kb, path="kb.pl", schema=schema)
    e = err.value
    assert (e.path, e.line, e.column) == ("kb.pl", 2, 27)
    assert "variable A names no feature of the dataset" in e.message and "14 features" in e.message


def test_imported_rules_carry_their_prolog_positions_into_check_findings():
    schema = load_manifest("census_income").schema
    vs = ", ".join(f"V{i}" for i in range(len(schema.feature_names)))
    kb = f"class({vs}, '>50K') :- V0 > 30.\nclass({vs}, 'maybe') :- V1 > 5.\n"
    rs = import_prolog(kb, path="kb.pl", schema=schema)
    errors = {(f.code, f.line, f.column) for f in check_rules(rs, schema).errors}
    label_col = kb.splitlines()[1].index("'maybe'") + 1
    value_col = kb.splitlines()[1].index("5.") + 1
    assert ("unknown-class", 2, label_col) in errors
    assert ("type", 2, value_col) in errors  # workclass compared with a number
