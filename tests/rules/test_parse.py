from __future__ import annotations

from fractions import Fraction

import pytest

from snas.exceptions import RuleSyntaxError
from snas.rules import (
    And,
    Compare,
    Member,
    Not,
    Or,
    load_rules,
    parse_condition,
    parse_rules,
    to_text,
)

HEAD = 'snas_rules: 1\ntarget: {column: income, positive: ">50K"}\nrules:\n'


def test_grammar_builds_the_tree():
    c = parse_condition('age >= 21 and (occupation in ["Sales", "Tech-support"] or not hours_per_week < 10.5)')
    assert isinstance(c, And)
    assert c.items[0] == Compare("age", ">=", Fraction(21))
    assert isinstance(c.items[1], Or)
    assert c.items[1].items[0] == Member("occupation", ("Sales", "Tech-support"))
    assert c.items[1].items[1] == Not(Compare("hours_per_week", "<", Fraction(21, 2)))


def test_ranges_reversed_and_quoted_names():
    assert parse_condition("18 <= age < 30") == And(
        (Compare("age", ">=", Fraction(18)), Compare("age", "<", Fraction(30)))
    )
    assert parse_condition("21 > age") == Compare("age", "<", Fraction(21))
    assert parse_condition("`not` == 'x'") == Compare("not", "==", "x")
    assert parse_condition("`education-num` >= 13") == Compare("education_num", ">=", Fraction(13))
    assert parse_condition("x not in [1, 2]") == Member("x", (Fraction(1), Fraction(2)), negated=True)


@pytest.mark.parametrize("text", ["and > 3", "or == 1", "a > 1 and or > 2", "in == 'a'"])
def test_keywords_are_reserved(text):
    with pytest.raises(RuleSyntaxError, match="reserved word"):
        parse_condition(text)


@pytest.mark.parametrize(
    "text, col, fragment",
    [
        ("age = 21", 5, "write '=='"),
        ("age >= ", 7, "unexpected end"),
        ("a.b > 1", 2, "attribute access"),
        ("a > 1 && b < 2", 7, "write 'and'"),
        ("a > 1e99999", 5, "out of range"),
        ("a > 99999999999999999", 5, "out of range"),
    ],
)
def test_errors_carry_column_and_caret(text, col, fragment):
    with pytest.raises(RuleSyntaxError) as err:
        parse_condition(text)
    e = err.value
    assert e.line == 1 and e.column == col and fragment in e.message
    assert e.context.splitlines()[1].index("^") == 4 + col - 1


def test_canonical_text_round_trips():
    for text in ['age >= 21 and occupation in ["Sales"]', 'not (a < 3 or b == "x")', "x != 2.5", "`in` > 1"]:
        tree = parse_condition(text)
        assert parse_condition(to_text(tree)) == tree


def test_file_positions_point_into_the_yaml():
    text = HEAD + "  - id: r1\n    if: age >= 21 and bogus = 3\n    then: '>50K'\n"
    with pytest.raises(RuleSyntaxError) as err:
        parse_rules(text, "r.yaml")
    e = err.value
    assert (e.path, e.line, e.column) == ("r.yaml", 5, 29)
    assert "bogus = 3" in e.context


def test_block_scalar_positions():
    text = HEAD + "  - id: r1\n    if: |\n      age >= 21 and\n      x = 3\n    then: '>50K'\n"
    with pytest.raises(RuleSyntaxError) as err:
        parse_rules(text, "r.yaml")
    assert (err.value.line, err.value.column) == (7, 9)


def test_yaml_python_tags_are_refused(tmp_path):
    text = HEAD + "  - id: r1\n    if: !!python/object/apply:os.system ['echo hi']\n    then: '>50K'\n"
    with pytest.raises(RuleSyntaxError, match="not allowed") as err:
        parse_rules(text, "r.yaml")
    assert err.value.line == 5


@pytest.mark.parametrize(
    "rule, fragment",
    [
        ("  - id: r1\n    iff: age > 1\n    then: x\n", "Did you mean 'if'"),
        ("  - id: r1\n    if: age > 1\n    then: x\n    strength: hardd\n", "Did you mean 'hard'"),
        ("  - id: r1\n    if: age > 1\n    then: x\n  - id: r1\n    if: age > 2\n    then: x\n", "duplicate rule id"),
        ("  - id: r1\n    if: age > 1\n    then: x\n    strength: hard\n    weight: 2\n", "takes no weight"),
        ("  - id: r1\n    if: age > 1\n    then: x\n    weight: -1\n", "weight must be"),
        ("  - id: r1\n    if: age > 1\n", "lacks 'then'"),
    ],
)
def test_structure_errors(rule, fragment):
    with pytest.raises(RuleSyntaxError, match=fragment):
        parse_rules(HEAD + rule, "r.yaml")


def test_census_rule_file(census_rules):
    assert len(census_rules) >= 8
    assert census_rules.hard and census_rules.soft
    assert all(r.rationale for r in census_rules)
    c = census_rules.constraints
    assert set(c.monotonic_increasing) == {"education_num", "capital_gain"}
    assert set(c.exclude_features) == {"sex", "race"} and c.audit_proxies == ("relationship",)
    r = census_rules["high-capital-gain"]
    assert r.if_text == "capital_gain >= 7500" and r.unless is not None
    assert len(census_rules.sha256) == 64


def test_missing_file_is_a_rule_error(tmp_path):
    with pytest.raises(RuleSyntaxError, match="not found"):
        load_rules(tmp_path / "nope.yaml")


@pytest.mark.parametrize("strength", ["    strength: soft\n", ""])  # soft, or soft by default
def test_priority_on_a_soft_rule_is_refused_like_weight_on_a_hard_one(strength):
    text = HEAD + f"  - id: r\n    if: age > 3\n    then: x\n{strength}    priority: 2\n"
    with pytest.raises(RuleSyntaxError) as err:
        parse_rules(text, "p.yaml")
    e = err.value
    assert "rule 'r': priority decides between overlapping hard rules" in e.message
    assert "remove 'priority' or make the rule hard" in e.message
    assert (e.path, e.line, e.column) == ("p.yaml", 8 if strength else 7, 15)
    hard = parse_rules(HEAD + "  - {id: r, if: age > 3, then: x, strength: hard, priority: 2}\n")
    assert hard["r"].priority == 2


def test_no_shipped_rule_file_or_readme_example_gives_a_soft_rule_a_priority():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "rules").glob("*.yaml")):
        load_rules(path)  # parses: no soft rule has a priority
    readme = (root / "README.md").read_text(encoding="utf-8")
    for block in readme.split("```yaml")[1:]:
        text = block.split("```", 1)[0]
        if "snas_rules:" in text:
            parse_rules(text)
