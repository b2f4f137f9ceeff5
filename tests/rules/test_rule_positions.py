"""Line, column and caret of an error inside a condition written over several YAML lines:
literal (``|``) and folded (``>``) block scalars, multi-line plain and quoted scalars."""

from __future__ import annotations

import pytest

from snas.datasets import load_manifest
from snas.exceptions import RuleSyntaxError
from snas.rules import check_rules, parse_rules

HEAD = 'snas_rules: 1\ndataset: census_income\ntarget: {column: income, positive: ">50K"}\nrules:\n'


def _unknown_feature_at(condition_yaml: str) -> tuple[int | None, int | None, str]:
    """(line, column, caret excerpt) of the one unknown-feature finding of a rule ``if:`` written so."""
    rs = parse_rules(HEAD + "  - id: r\n    if: " + condition_yaml + "    then: '>50K'\n", "r.yaml")
    report = check_rules(rs, load_manifest("census_income").schema)
    (f,) = [f for f in report.findings if f.code == "unknown-feature"]
    return f.line, f.column, f.context


def _caret_under(context: str) -> str:
    """The text above the caret of an excerpt."""
    src, caret = context.splitlines()
    return src[caret.index("^") :]


@pytest.mark.parametrize("header", ["|", "|-", "|+", "|2"])
def test_literal_block_maps_each_line_to_its_source_line(header):
    block = f"{header}\n      age > 30 and\n        hours_per_week > 40 and\n          agee > 3\n"
    line, col, ctx = _unknown_feature_at(block)
    assert (line, col) == (9, 11)  # the more-indented line keeps its extra indentation
    assert _caret_under(ctx).startswith("agee > 3")


def test_literal_block_after_a_blank_line():
    line, col, ctx = _unknown_feature_at("|\n      age > 30\n\n      and agee > 3\n")
    assert (line, col) == (9, 11) and _caret_under(ctx).startswith("agee > 3")


@pytest.mark.parametrize("header", [">", ">-", "> # a comment naming bogus > 1"])
def test_folded_block_maps_to_the_source_line(header):
    line, col, ctx = _unknown_feature_at(f"{header}\n      age > 30 and\n      hours_per_weekk > 40\n")
    assert (line, col) == (8, 7) and _caret_under(ctx).startswith("hours_per_weekk > 40")


def test_folded_block_with_a_blank_line_and_a_more_indented_line():
    line, col, ctx = _unknown_feature_at(">\n      age > 30\n\n        and\n      hourz > 40\n")
    assert (line, col) == (10, 7) and _caret_under(ctx).startswith("hourz > 40")


@pytest.mark.parametrize(
    "value, where",
    [
        ("age > 30 and\n      hourz > 40\n", (7, 7)),  # plain, folded over two lines
        ("'age > 30 and\n      hourz > 40'\n", (7, 7)),
        ('"age > 30 and \\\n      hourz > 40"\n', (7, 7)),  # a line continuation
        ('"age > 30 and \\x68ourz > 40"\n', (6, 23)),  # an escape stands for one character
        ('"workclass == \\"Private\\" and hourz > 40"\n', (6, 39)),
        ("'workclass == ''Private'' and hourz > 40'\n", (6, 39)),
    ],
)
def test_multi_line_and_quoted_scalars(value, where):
    line, col, _ = _unknown_feature_at(value)
    assert (line, col) == where


def test_a_syntax_error_in_a_literal_block_points_at_it():
    text = HEAD + "  - id: r\n    if: |\n      age >= 21 and\n        x = 3\n    then: '>50K'\n"
    with pytest.raises(RuleSyntaxError) as err:
        parse_rules(text, "r.yaml")
    e = err.value
    assert (e.line, e.column) == (8, 11)
    assert _caret_under(e.context).startswith("= 3")


def test_the_end_of_a_folded_condition_is_after_its_last_character():
    text = HEAD + "  - id: r\n    if: >\n      age >= 21 and\n      hours_per_week >\n    then: '>50K'\n"
    with pytest.raises(RuleSyntaxError, match="unexpected end") as err:
        parse_rules(text, "r.yaml")
    assert (err.value.line, err.value.column) == (8, 23)


@pytest.mark.parametrize(
    ("value", "column"),
    [("!!str age > 3 and agee > 3\n", 27), ("&c age > 3 and agee > 3\n", 24), ("!!str 'age > 3 and agee > 3'\n", 28)],
)
def test_a_tag_or_anchor_before_the_condition_keeps_the_caret_on_it(value, column):
    line, col, ctx = _unknown_feature_at(value)
    assert (line, col) == (6, column) and _caret_under(ctx).startswith("agee")
