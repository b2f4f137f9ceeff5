"""snas's YAML subset: the same refusals, messages and positions with and without libyaml."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from snas import _limits
from snas._yaml import SnasLoader, YamlDocument, _loader_class, caret_context, read_text_file
from snas.exceptions import ConfigError, RuleSyntaxError
from snas.rules import rule_file_schema

ROOT = Path(__file__).resolve().parents[1]
LOADERS = sorted({SnasLoader, _loader_class()}, key=lambda c: c.__name__)

REFUSED = [
    ("a: 1\nb:\n  c: 2\n  c: 3\n", 4, 3, r"duplicate key 'c' \(first written on line 3\)"),
    ("a: 1\n'a': 2\n", 2, 1, r"duplicate key 'a'"),
    ("x: {1: a, 0x1: b}\n", 1, 11, r"duplicate key 1"),
    ("a: {s: hard}\nb:\n  <<: {s: hard}\n  s: soft\n", 3, 3, r"merge keys \('<<'\) are not allowed"),
    ("a: &x [1]\nb: *x\n", 2, 4, r"YAML aliases \(\*x\) are not allowed in snas files; write the value out"),
    ("a: " + "[" * 30 + "]" * 30 + "\n", 1, 23, r"nested deeper than 20 levels"),
    ("p: " + "9" * 5000 + "\n", 1, 4, r"an integer of 5,000 digits is out of range \(at most 18 digits\)"),
    ("p: -1234567890123456789\n", 1, 4, r"an integer of 19 digits"),
    ("d: 2026-02-30\n", 1, 4, r"cannot read the value '2026-02-30' \(day is out of range for month\)"),
    ("a: !!python/object/apply:os.system [ls]\n", 1, 4, r"tags that build objects are not allowed"),
    ("a: !!set {x}\n", 1, 4, r"tag:yaml.org,2002:set"),
    ("a: b\x1bc\n", 1, 5, r"character '\\x1b' is not allowed; delete it"),
    ("a: 1\n---\nb: 2\n", 2, 1, r"a file holds one YAML document"),
    ("a:\n\tb: 1\n", 2, 1, r"indent with spaces, not tabs"),
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize(("text", "line", "column", "message"), REFUSED, ids=[r[3][:30] for r in REFUSED])
def test_refused_with_position(loader: type[SnasLoader], text: str, line: int, column: int, message: str) -> None:
    with pytest.raises(RuleSyntaxError) as err:
        YamlDocument(text, "f.yaml", RuleSyntaxError, loader=loader)
    assert (err.value.path, err.value.line, err.value.column) == ("f.yaml", line, column), str(err.value)
    assert re.search(message, err.value.message), err.value.message


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_safe_values_still_load(loader: type[SnasLoader]) -> None:
    text = "a: [1, -2, 2.5, x, 2026-11-30, null, true, 123456789012345678]\nb: &keep {c: 'd'}\n"
    doc = YamlDocument(text, None, ValueError, loader=loader)
    assert doc.data == {"a": [1, -2, 2.5, "x", dt.date(2026, 11, 30), None, True, 123456789012345678], "b": {"c": "d"}}
    assert str(doc.locate("b", "c")) == "<text>:2:14"
    assert str(doc.locate("b", "c", key=True)) == "<text>:2:11"


def test_the_loader_does_not_change_pyyaml_for_others() -> None:
    import yaml

    assert yaml.safe_load("a: 1\na: 2\n") == {"a": 2}  # PyYAML itself is left as it is
    assert "tag:yaml.org,2002:set" in yaml.SafeLoader.yaml_constructors


def test_files_over_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * _limits.MAX_FILE_BYTES)
    with pytest.raises(ConfigError, match=r"big\.yaml: the file has 1,000,005 bytes; snas reads at most 1,000,000"):
        read_text_file(big, ConfigError)
    with pytest.raises(ConfigError, match=r"the file has [\d,]+ bytes"):
        YamlDocument("a: 1\n" + "#" * _limits.MAX_FILE_BYTES, "t.yaml", ConfigError)
    (tmp_path / "bad.yaml").write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:2:7: the file is not UTF-8 text \(byte 0xe9\)"):
        read_text_file(tmp_path / "bad.yaml", ConfigError)


def test_caret_context_stays_one_short_line() -> None:
    ctx = caret_context("x" * 5000 + "Y" + "z" * 5000 + "\x1b[2J", 1, 5001)
    src, caret = ctx.splitlines()
    assert len(src) < 120 and "\x1b" not in ctx
    assert src[caret.index("^")] == "Y"


def test_limits_are_documented_in_the_readme_and_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for value in (
        _limits.MAX_FILE_BYTES,
        _limits.MAX_RULES,
        _limits.MAX_CONDITION_CHARS,
        _limits.MAX_CONDITION_DEPTH,
        _limits.MAX_YAML_DEPTH,
        _limits.MAX_ID_CHARS,
        _limits.MAX_INT_DIGITS,
    ):
        assert f"{value:,}" in readme, f"README does not mention the limit {value:,}"
    rule = rule_file_schema()["properties"]["rules"]
    props = rule["items"]["properties"]
    assert rule["maxItems"] == _limits.MAX_RULES
    assert props["if"]["maxLength"] == props["unless"]["maxLength"] == _limits.MAX_CONDITION_CHARS
    assert props["id"]["maxLength"] == _limits.MAX_ID_CHARS
    json.dumps(rule)  # the schema stays plain JSON
