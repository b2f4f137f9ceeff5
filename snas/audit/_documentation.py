"""The human-written documentation file (``audit/*.yaml``): read, check, never executed.

Every field the report shows is plain text, ``null`` (still to be written), or
``{status: not_applicable, reason: TEXT}``; approvals are a list of {role, name, date,
content_id}, where ``content_id`` names the report content approved (``snas audit validate``
prints it). Text
may not carry HTML markup or comments (the report quotes it verbatim), nor control characters
other than line breaks and tabs (ESC, NUL, BEL, … can rewrite what a terminal shows; bidi
overrides reorder what a reader sees). Approval dates are written YYYY-MM-DD, at the latest
tomorrow.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from snas._util import sha256_file
from snas._yaml import TEXT_HINT, YamlDocument, read_yaml, type_name, unknown_key
from snas.audit._sections import SECTIONS
from snas.exceptions import ConfigError

__all__ = ["DOCUMENTATION_FIELDS", "load_documentation"]

#: Every field a documentation file may hold (dotted: ``provider.name``).
DOCUMENTATION_FIELDS: tuple[str, ...] = tuple(sorted({h for s in SECTIONS for h in s[3]} | {"system.name"}))
_GROUPS = sorted({f.split(".")[0] for f in DOCUMENTATION_FIELDS if "." in f})
_TOP = sorted({f.split(".")[0] for f in DOCUMENTATION_FIELDS} | {"snas_documentation"})
_APPROVAL_KEYS = ("role", "name", "date", "content_id")
_CONTENT_ID = re.compile(r"sha256:[0-9a-f]{64}")
_MARKUP = re.compile(r"<(?:[!?]|/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$))")  # tags, comments; not <a@b.org>
# C0 and C1 controls and DEL except tab and newline; bidi embeddings, overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL"}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Fail = Callable[..., ConfigError]


def load_documentation(path: str | Path | None) -> tuple[dict[str, Any], str | None]:
    """The human-written fields (``audit/*.yaml``) and their sha256 (``({}, None)`` without a file).

    Raises
    ------
    ConfigError
        With file, line and column: the file is missing, not YAML, has an unknown field, or a
        field holds something other than text.
    """
    if path is None:
        return {}, None
    doc = read_yaml(path, ConfigError)

    def fail(msg: str, *keys: str | int, key: bool = False) -> ConfigError:
        loc = doc.locate(*keys, key=key) if keys else None
        return ConfigError(f"{loc or path}: {msg}")

    data = doc.data
    if not isinstance(data, dict) or data.get("snas_documentation") != 1 or data.get("snas_documentation") is True:
        raise fail("a documentation file must be a YAML mapping; write 'snas_documentation: 1' as its first line")
    _check_keys(data, fail)
    for field in DOCUMENTATION_FIELDS:
        if field != "approvals":
            _check_field(doc, field, fail)
    data["approvals"] = _approvals(data.get("approvals"), fail, doc)
    return data, sha256_file(path)


def _check_keys(data: dict[Any, Any], fail: Fail) -> None:
    for k in data:
        if k not in _TOP:
            raise fail(unknown_key(k, _TOP).replace("unknown key", "unknown field", 1), k, key=True)
    for group in _GROUPS:
        sub = data.get(group)
        if sub is None:
            continue
        allowed = [f.split(".", 1)[1] for f in DOCUMENTATION_FIELDS if f.startswith(group + ".")]
        if not isinstance(sub, dict):
            raise fail(f"'{group}' must be a mapping of {', '.join(allowed)}", group)
        for k in sub:
            if k not in allowed:
                raise fail(
                    unknown_key(k, allowed, f" in '{group}'").replace("unknown key", "unknown field", 1),
                    group,
                    k,
                    key=True,
                )


def _check_field(doc: YamlDocument, field: str, fail: Fail) -> None:
    """A field is text, null, or {status: not_applicable, reason: TEXT}."""
    keys = field.split(".")
    value: Any = doc.data
    for k in keys:
        value = value.get(k) if isinstance(value, dict) else None
    if isinstance(value, dict) and value.get("status") == "not_applicable" and set(value) <= {"status", "reason"}:
        reason = value.get("reason")
        if reason is None or (isinstance(reason, str) and not reason.strip()):
            raise fail(
                f"'{field}' is marked not_applicable without a reason; add 'reason: <why it does not apply>' "
                "(the report quotes it)",
                *keys,
            )
        _check_text(reason, f"{field}.reason", fail, *keys, "reason")
        return
    if isinstance(value, dict):
        raise fail(
            f"'{field}' must be text or {{status: not_applicable, reason: TEXT}}, got a mapping "
            f"with {sorted(map(str, value))}",
            *keys,
        )
    _check_text(value, field, fail, *keys)


def _check_text(value: Any, field: str, fail: Fail, *keys: str | int) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise fail(f"'{field}' must be text, got {type_name(value)}; {TEXT_HINT}", *keys)
    _check_controls(value, field, fail, *keys)
    m = _MARKUP.search(value)
    if m:
        raise fail(
            f"'{field}' contains HTML markup or a comment ({value[m.start() : m.start() + 10]!r}); "
            "write plain text — the report quotes fields verbatim",
            *keys,
        )


def _check_controls(value: str, field: str, fail: Fail, *keys: str | int) -> None:
    """Refuse control characters other than newline and tab (and bidi overrides) in a text."""
    m = _CONTROL.search(value)
    if m is None:
        return
    code = ord(m.group())
    name = _CONTROL_NAMES.get(code) or unicodedata.name(m.group(), "control character")
    raise fail(
        f"'{field}' contains the control character U+{code:04X} ({name}) at character {m.start() + 1} of its text; "
        "delete it (in a double-quoted YAML string it may be written as an escape such as \\e, \\0, \\a or \\r) — "
        "text may hold line breaks and tabs but no control characters, which can rewrite what a terminal shows",
        *keys,
    )


def _check_date(value: Any, i: int, fail: Fail, doc: YamlDocument | None) -> None:
    """An approval's date: null or blank (not given yet), or a real day written YYYY-MM-DD — as
    written in the file, quoted or not — at the latest tomorrow."""
    if not isinstance(value, dt.date):
        _check_text(value, f"approvals[{i}].date", fail, "approvals", i, "date")
        if value is None or not value.strip():
            return
    node = doc.scalar_node("approvals", i, "date") if doc is not None else None
    raw = getattr(node, "value", None)
    written = raw if isinstance(raw, str) else str(value)
    why = _date_problem(written)
    if why is not None:
        today = dt.datetime.now(dt.UTC).date()
        raise fail(
            f"approvals[{i}].date must be a date written YYYY-MM-DD, at the latest tomorrow; got {written!r} ({why}); "
            f"write the day the approval was given, e.g. {today.isoformat()}",
            "approvals",
            i,
            "date",
        )


def _date_problem(written: str) -> str | None:
    """Why a date as written is not a real day YYYY-MM-DD, at the latest tomorrow (None: it is)."""
    if not _DATE.fullmatch(written):
        return "not written YYYY-MM-DD: four-digit year, two-digit month and day, no time, spaces or week dates"
    try:
        day = dt.date.fromisoformat(written)
    except ValueError:
        return "no such day"
    if day > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        return "in the future"
    return None


def _approvals(value: Any, fail: Fail, doc: YamlDocument | None = None) -> list[dict[str, Any]]:
    """Approvals as a list of {role, name, date, content_id} with text values (dates as
    YYYY-MM-DD; content_id one content id or a list of them, each ``sha256:`` and 64 hex
    digits: one approval may cover the selected model's report and the glass box's)."""
    shape = "{role, name, date, content_id}"
    if value is None:
        return []
    if not isinstance(value, list):
        raise fail(f"'approvals' must be a list of {shape}", "approvals")
    out = []
    for i, a in enumerate(value):
        if not isinstance(a, dict):
            raise fail(f"each approval is a mapping {shape}", "approvals", i)
        for k, v in a.items():
            if k not in _APPROVAL_KEYS:
                raise fail(unknown_key(k, _APPROVAL_KEYS, " in an approval"), "approvals", i, k, key=True)
            if k == "content_id":
                _check_content_ids(v, i, fail)
                continue
            if k == "date":
                _check_date(v, i, fail, doc)
                continue
            _check_text(v, f"approvals[{i}].{k}", fail, "approvals", i, k)
        date = a.get("date")
        out.append({**a, "date": date.isoformat() if isinstance(date, dt.date) else date})
    return out


def _check_content_ids(value: Any, i: int, fail: Fail) -> None:
    """null, one content id, or a list of them."""
    ids = [] if value is None else value if isinstance(value, list) else [value]
    for j, v in enumerate(ids):
        keys = ("approvals", i, "content_id", *((j,) if isinstance(value, list) else ()))
        if isinstance(v, str):
            _check_controls(v, f"approvals[{i}].content_id", fail, *keys)
        if not isinstance(v, str) or not _CONTENT_ID.fullmatch(v.strip()):
            raise fail(
                f"approvals[{i}].content_id must be 'sha256:' and 64 hex digits (or a list of them), as "
                f"'snas audit validate' prints the content id of the report approved; got {str(v)[:80]!r}",
                *keys,
            )
