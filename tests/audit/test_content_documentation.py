"""What a documentation file may hold: no control characters in any text (a name printed by
'snas audit validate' must not rewrite the terminal), and approval dates as real days
written YYYY-MM-DD, at the latest tomorrow."""

from __future__ import annotations

import datetime as dt

import pytest

from snas.audit import load_documentation
from snas.exceptions import ConfigError

HEAD = "snas_documentation: 1\n"


def _load(tmp_path, body: str):
    path = tmp_path / "doc.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return load_documentation(path)


@pytest.mark.parametrize(
    ("body", "field", "code", "where"),
    [
        ('intended_purpose: "red \\e[31malert"\n', "'intended_purpose'", "U+001B", ":2:19"),
        ('approvals:\n  - {role: lead, name: "A\\0B", date: null}\n', "'approvals[0].name'", "U+0000", ":3:24"),
        ('provider:\n  name: "bell \\a"\n', "'provider.name'", "U+0007", ":3:9"),
        ('approvals:\n  - {role: "lead\\r", name: A, date: null}\n', "'approvals[0].role'", "U+000D", ":3:12"),
        (
            'product_illustrations: {status: not_applicable, reason: "x\\x9b2J"}\n',
            "'product_illustrations.reason'",
            "U+009B",
            ":2:57",
        ),
        ('intended_purpose: "safe \\u202eesrever"\n', "'intended_purpose'", "U+202E", ":2:19"),
    ],
)
def test_control_characters_are_refused_in_every_text(tmp_path, body, field, code, where):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, body)
    msg = str(err.value)
    assert f"doc.yaml{where}: {field} contains the control character {code}" in msg, msg  # where the text is
    assert "delete it" in msg and "\n" not in msg


def test_line_breaks_and_tabs_stay_allowed(tmp_path):
    doc, _ = _load(tmp_path, 'intended_purpose: "one\\n\\ttwo"\ndatasheet:\n  motivation: |\n    a\n    b\n')
    assert doc["intended_purpose"] == "one\n\ttwo" and doc["datasheet"]["motivation"] == "a\nb\n"


def test_a_content_id_with_a_control_character_is_refused(tmp_path):
    body = f'approvals:\n  - {{role: lead, name: A, content_id: "sha256:{"a" * 64}\\x1f"}}\n'
    with pytest.raises(ConfigError, match=r"approvals\[0\]\.content_id' contains the control character U\+001F"):
        _load(tmp_path, body)


def _day(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("date", "why"),
    [
        ('"2025-W01-1"', "not written YYYY-MM-DD"),
        ('" 2025-01-01 "', "not written YYYY-MM-DD"),
        ('"2025-01-01 "', "not written YYYY-MM-DD"),
        ("2025-1-1", "not written YYYY-MM-DD"),  # YAML reads it as a date; it is not written YYYY-MM-DD
        ("2025-01-01 10:00:00", "not written YYYY-MM-DD"),  # a timestamp
        ('"20250101"', "not written YYYY-MM-DD"),
        ('"2025-02-30"', "no such day"),
        ("9999-12-31", "in the future"),
        ('"9999-12-31"', "in the future"),
        ("DAY_AFTER_TOMORROW", "in the future"),
    ],
)
def test_approval_dates_are_real_days_written_yyyy_mm_dd(tmp_path, date, why):
    date = date.replace("DAY_AFTER_TOMORROW", _day(2))
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, f"approvals:\n  - {{role: lead, name: A, date: {date}}}\n")
    msg = str(err.value)
    assert "doc.yaml:3:" in msg and "approvals[0].date must be a date written YYYY-MM-DD" in msg, msg
    assert why in msg and "write the day the approval was given" in msg


@pytest.mark.parametrize("date", ["2025-01-01", '"2025-01-01"', "TODAY", "TOMORROW", "null", '""'])
def test_a_real_past_date_today_tomorrow_or_none_yet_is_accepted(tmp_path, date):
    date = date.replace("TODAY", _day(0)).replace("TOMORROW", _day(1))
    doc, _ = _load(tmp_path, f"approvals:\n  - {{role: lead, name: A, date: {date}}}\n")
    written = doc["approvals"][0]["date"]
    assert written in (None, "") or dt.date.fromisoformat(written) <= dt.date.today() + dt.timedelta(days=2)
