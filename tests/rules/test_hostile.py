"""Hostile rule text: everything parses or raises RuleSyntaxError with a position; nothing runs."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from snas.exceptions import RuleSyntaxError
from snas.rules import parse_condition, parse_rules

SENTINEL = Path(os.environ.get("TMPDIR", "/tmp")) / "snas-hostile-sentinel"
PAYLOADS = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"open('{SENTINEL}', 'w')",
    f"exec(\"open('{SENTINEL}','w')\")",
    f"eval(\"open('{SENTINEL}','w')\")",
    f"(lambda: open('{SENTINEL}', 'w'))()",
    "().__class__.__bases__[0].__subclasses__()",
    "age.__class__",
    "x; import os",
    "a > 1; b",
    "`; rm -rf /`",
    "lambda x: x",
    "!!python/object/apply:os.system",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "Symbol('x')",
]
WORDS = [
    "and",
    "or",
    "not",
    "in",
    "if",
    "True",
    "None",
    "__import__",
    "lambda",
    "age",
    "x",
    "`a b`",
    "`and`",
    "import",
    "os",
    "system",
    "exec",
    "eval",
    "__class__",
    ".",
    ";",
    "(",
    ")",
    "[",
    "]",
    ",",
    "<",
    "<=",
    ">",
    ">=",
    "==",
    "!=",
    "=",
    '"s"',
    "'t'",
    "1",
    "-2.5",
    "1e308",
    "9" * 40,
    "1e-99999",
    "0x10",
    "\\",
    "`",
    "#",
    ":",
    "\n",
    "\t",
]
tokens = st.one_of(st.sampled_from(WORDS), st.sampled_from(PAYLOADS), st.text(max_size=6))
conditions = st.lists(tokens, min_size=1, max_size=12).map(" ".join)


def _check(text: str) -> None:
    try:
        parse_condition(text)
    except RuleSyntaxError as exc:
        assert exc.line is not None and exc.column is not None


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditions)
def test_generated_conditions_parse_or_fail_cleanly(text):
    _check(text)
    assert not SENTINEL.exists()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PAYLOADS), st.sampled_from(["if", "unless", "then", "id"]))
def test_payloads_in_rule_files_never_execute(payload, key):
    rule = {"id": "r", "if": "age > 1", "then": ">50K"}
    rule[key] = payload
    body = "\n".join(f"    {k}: {v!r}" if k != "id" else f"  - {k}: {v!r}" for k, v in rule.items())
    text = "snas_rules: 1\nrules:\n" + body + "\n"
    try:
        parse_rules(text, "hostile.yaml")
    except RuleSyntaxError as exc:
        assert exc.path == "hostile.yaml"
    assert not SENTINEL.exists()


def test_yaml_tags_and_deep_nesting():
    for text in [
        "snas_rules: 1\nrules: !!python/object/apply:os.system ['touch " + str(SENTINEL) + "']\n",
        "snas_rules: !!python/name:os.system\nrules: []\n",
    ]:
        try:
            parse_rules(text, "t.yaml")
        except RuleSyntaxError as exc:
            assert exc.line is not None
    for text in ["(" * 5000 + "a > 1" + ")" * 5000, "not " * 3000 + "a > 1", "a > 1 and " * 2000 + "b < 2"]:
        _check(text)
    assert not SENTINEL.exists()
