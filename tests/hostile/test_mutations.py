"""Generated hostile inputs: hypothesis mutations of the real rule file, manifest and documentation.

Each mutation (a duplicated key, a value swapped for another type, a huge number, deep nesting,
an anchor and alias, random unicode, a deleted line) is written to a temporary file and run
through ``snas`` in-process; the answer must meet the same invariants as the corpus cases
(``conftest.check_answer``). Mutations whose outcome is certain also check the message.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
RULES = (ROOT / "rules" / "census_income.yaml").read_text(encoding="utf-8")
MANIFEST = (ROOT / "datasets" / "census_income.yaml").read_text(encoding="utf-8")
DOCUMENTATION = (ROOT / "audit" / "census_income.yaml").read_text(encoding="utf-8")
CENSUS_RULES_PATH = str(ROOT / "rules" / "census_income.yaml")

# a mapping entry written on one line: indentation, the key, the value
ENTRY = re.compile(r"^(?P<indent> *)(?:- )?(?P<key>[a-z_]+):(?P<value> +[^#\s].*)?$")
SWAPS = ["[1, 2]", "{a: 1}", "true", "no", "null", "~", "1.5", "-3", "''", "2026-11-30", ".inf", ".nan", "1.0e+400"]
NUMBERS = ["9" * 5000, "-" + "1" * 19, "1" * 18, "1e400", "0x" + "f" * 40, "0b" + "1" * 80, "1_000_000", "1:2:3:4"]
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def _whole(line: str) -> bool:
    """The line holds a complete value: brackets closed, no block scalar ('>-', '|') following."""
    value = line.split(":", 1)[-1].split(" #")[0].strip()
    closed = line.count("[") == line.count("]") and line.count("{") == line.count("}")
    return closed and not value.startswith((">", "|"))


def _entries(text: str) -> list[int]:
    """Indices of lines holding a whole ``key: value`` (so a swap leaves the rest of the file valid)."""
    return [i for i, line in enumerate(text.splitlines()) if (m := ENTRY.match(line)) and m["value"] and _whole(line)]


def _key_lines(text: str) -> list[int]:
    """Indices of lines that start a mapping entry (``key:`` not preceded by ``- ``)."""
    return [i for i, line in enumerate(text.splitlines()) if re.match(r"^ *[a-z_]+:(\s|$)", line) and _whole(line)]


@st.composite
def duplicated_key(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    lines = text.splitlines()
    i = draw(st.sampled_from(_key_lines(text)))
    key = lines[i].strip().split(":")[0]
    mutated = "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]]) + "\n"
    return mutated, {"match": rf":{i + 2}:\d+: duplicate key '{key}' \(first written on line {i + 1}\)"}


@st.composite
def swapped_value(draw: Any, text: str, values: list[str]) -> tuple[str, dict[str, Any]]:
    lines = text.splitlines()
    i = draw(st.sampled_from(_entries(text)))
    m = ENTRY.match(lines[i])
    assert m is not None
    prefix = lines[i][: m.start("value")]
    lines[i] = f"{prefix} {draw(st.sampled_from(values))}"
    return "\n".join(lines) + "\n", {}


@st.composite
def huge_number(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    mutated, _ = draw(swapped_value(text, NUMBERS))
    return mutated, {"match": r"an integer of 5,000 digits"} if "9" * 5000 in mutated else {}


@st.composite
def deep_nesting(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    depth = draw(st.integers(1, 3000))
    flow = draw(st.sampled_from(["[" * depth + "]" * depth, "{a: " * depth + "1" + "}" * depth]))
    mutated, _ = draw(swapped_value(text, [flow]))
    return mutated, {"match": r"nested|nesting depth"} if depth > 40 else {}


@st.composite
def anchor_and_alias(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    lines = text.splitlines()
    entries = _entries(text)
    i, j = draw(st.sampled_from(entries)), draw(st.sampled_from(entries))
    if i == j:
        return text, {}
    m = ENTRY.match(lines[i])
    assert m is not None
    lines[i] = lines[i][: m.start("value")] + " &x" + lines[i][m.start("value") :]
    mj = ENTRY.match(lines[j])
    assert mj is not None
    lines[j] = lines[j][: mj.start("value")] + " *x"
    return "\n".join(lines) + "\n", {"match": r"YAML aliases \(\*x\) are not allowed"}


@st.composite
def random_text(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(min_size=1, max_size=30)) + text[at:], {}


@st.composite
def deleted_line(draw: Any, text: str) -> tuple[str, dict[str, Any]]:
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    return "\n".join(lines[:i] + lines[i + 1 :]) + "\n", {}


def mutations(text: str) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.one_of(
        duplicated_key(text),
        swapped_value(text, SWAPS),
        huge_number(text),
        deep_nesting(text),
        anchor_and_alias(text),
        random_text(text),
        deleted_line(text),
    )


def _run(harness: Any, text: str, argv_of: Any, expect: dict[str, Any], codes: tuple[int, ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutated.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        answer = harness.run_snas(argv_of(str(path)))
    harness.check_answer(answer, names=str(path))
    assert answer.code in codes, answer.text[-2000:]
    if expect.get("match"):
        assert answer.code != 0 and re.search(expect["match"], answer.text), answer.text[-2000:]


@SETTINGS
@given(mutations(RULES))
def test_mutated_rule_files_are_answered(harness: Any, mutation: tuple[str, dict[str, Any]]) -> None:
    text, expect = mutation
    # a valid rule file may name a dataset that does not exist: exit 2
    _run(harness, text, lambda p: ["check", p, "--no-data"], expect, (0, 1, 2))


@SETTINGS
@given(mutations(MANIFEST))
def test_mutated_manifests_are_answered(harness: Any, mutation: tuple[str, dict[str, Any]]) -> None:
    text, expect = mutation
    argv = lambda p: ["check", CENSUS_RULES_PATH, "--dataset", p, "--no-data"]  # noqa: E731
    _run(harness, text, argv, expect, (0, 1, 2))


@SETTINGS
@given(mutations(DOCUMENTATION))
def test_mutated_documentation_is_answered(harness: Any, mutation: tuple[str, dict[str, Any]]) -> None:
    text, expect = mutation
    _run(harness, text, lambda p: ["@documentation", p], expect, (0, 2))


@pytest.mark.parametrize(
    ("text", "original"), [(RULES, "rules"), (MANIFEST, "manifest"), (DOCUMENTATION, "documentation")]
)
def test_every_mutation_target_has_keys_and_entries(text: str, original: str) -> None:
    assert len(_entries(text)) > 10 and len(_key_lines(text)) > 10, original
