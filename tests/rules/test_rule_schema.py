"""The JSON Schema of rule files (``snas rules schema``) agrees with the parser."""

from __future__ import annotations

from pathlib import Path

import jsonschema  # a dependency of snas (pyproject.toml): never skipped
import pytest
import yaml

from snas.exceptions import RuleSyntaxError
from snas.rules import parse_rules, rule_file_schema

ROOT = Path(__file__).resolve().parents[2]
HEAD = "snas_rules: 1\ntarget: {column: default, positive: 1}\nrules:\n"
TEXT_HEAD = "snas_rules: 1\ntarget: {column: income, positive: '>50K'}\nrules:\n"  # labels as text only


def _validator():
    schema = rule_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _readme_rule_files() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml")[1:]]
    return [b for b in blocks if "snas_rules:" in b]


def _accepted_by_both(text: str) -> bool:
    """Whether the parser and the schema both accept ``text`` (and fail the test if they disagree)."""
    try:
        parse_rules(text, "r.yaml")
        parsed = True
    except RuleSyntaxError:
        parsed = False
    valid = _validator().is_valid(yaml.safe_load(text))
    assert parsed == valid, f"parser {'accepts' if parsed else 'refuses'}, schema {'accepts' if valid else 'refuses'}"
    return parsed


def test_every_shipped_rule_file_and_readme_example_validates():
    v = _validator()
    files = sorted((ROOT / "rules").glob("*.yaml"))
    examples = _readme_rule_files()
    assert files and len(examples) >= 2  # the census example and the credit one (numeric labels)
    assert any("then: 1" in e for e in examples)
    for text in [f.read_text(encoding="utf-8") for f in files] + examples:
        errors = [e.message for e in v.iter_errors(yaml.safe_load(text))]
        assert not errors, errors
        parse_rules(text)


@pytest.mark.parametrize(
    "rule",
    [
        "  - {id: r, if: age > 3, then: 1}\n",  # a numeric target's class
        "  - {id: r, if: age > 3, then: '1', strength: hard, priority: 2}\n",
        "  - {id: r, if: age > 3, then: 1, strength: hard, priority: null}\n",
        "  - {id: r, if: age > 3, then: 1, weight: 0.5}\n",
        "  - {id: r, if: age > 3, then: 1, strength: soft, weight: 1000}\n",
        "  - {id: 7, if: age > 3, then: 1}\n",  # a whole-number id is read as text
        "  - {id: r, if: age > 3, then: 1, unless: null, rationale: null, source: null}\n",
    ],
)
def test_what_the_parser_accepts_the_schema_accepts(rule):
    assert _accepted_by_both(HEAD + rule)


@pytest.mark.parametrize(
    "rule",
    [
        "  - {id: r, if: age > 3, then: x, strength: soft, priority: 2}\n",  # priority on a soft rule
        "  - {id: r, if: age > 3, then: x, priority: 2}\n",  # soft by default
        "  - {id: r, if: age > 3, then: x, strength: hard, weight: 2}\n",  # weight on a hard rule
        "  - {id: r, if: age > 3, then: x, strength: hard, weight: 1}\n",  # even the default weight
        "  - {id: r, if: age > 3, then: true}\n",
        "  - {id: r, if: age > 3, then: [x]}\n",
        "  - {id: r, if: age > 3, then: 1.5}\n",
        "  - {id: r, if: '   ', then: x}\n",
        "  - {id: r, if: age > 3, then: x, unless: ''}\n",
        "  - {id: -7, if: age > 3, then: x}\n",
        "  - {id: r, if: age > 3, then: x, weight: 0}\n",
        "  - {id: r, if: age > 3, then: x, weight: null}\n",
        "  - {id: r, if: age > 3, then: x, strength: null}\n",
    ],
)
def test_what_the_parser_refuses_the_schema_refuses(rule):
    assert _accepted_by_both(TEXT_HEAD + "  - {id: ok, if: age > 1, then: x}\n")  # the rest of the file is valid
    assert not _accepted_by_both(TEXT_HEAD + rule)


@pytest.mark.parametrize(
    "target, accepted",
    [
        ("target: {column: default, positive: 1}\n", True),
        ("target: {column: default, positive: '>50K'}\n", True),
        ("target: {column: default, positive: null}\n", True),
        ("target: {column: default}\n", True),
        ("target: default\n", True),
        ("target: {column: default, positive: [1]}\n", False),
        ("target: {column: default, positive: true}\n", False),
        ("target: {column: default, other: 1}\n", False),
        ("target: null\n", False),
    ],
)
def test_targets_agree(target, accepted):
    text = "snas_rules: 1\n" + target + "rules:\n  - {id: r, if: age > 3, then: 1}\n"
    assert _accepted_by_both(text) is accepted


@pytest.mark.parametrize(
    "constraints, accepted",
    [
        ("constraints: null\n", True),
        ("constraints: {monotonic: {increasing: [age]}, exclude_features: null, max_parameters: 10}\n", True),
        ("constraints: {monotonic: {increasing: [age], sideways: [x]}}\n", False),
        ("constraints: {max_parameters: 0}\n", False),
        ("constraints: {exclude_features: [1]}\n", False),
    ],
)
def test_constraints_agree(constraints, accepted):
    text = HEAD + "  - {id: r, if: age > 3, then: 1}\n" + constraints
    assert _accepted_by_both(text) is accepted
