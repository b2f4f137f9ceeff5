"""``snas audit diff``: what changed between two reports and whether approvals still hold
(Annex IV item 6), as a Markdown change log and a JSON Patch (RFC 6902).

The patch turns the old ``report.json`` into the new one (``run_info`` aside: timings differ
on every run); list items are removed from the last index down, so each index is still right
when the operation applies. The change log lists every provenance entry, section field
(automatic ones summarised in a sentence, human-written ones by status), evidence item
(changed beyond the tolerance; those within it are counted), approval and other part that
changed, and labels each change that lies outside the content id (what approvals name)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from snas.audit._report import AuditReport
from snas.audit._sections import SECTIONS

__all__ = ["diff_reports"]

Keys = tuple[Any, ...]
Inside = Callable[..., bool]

_ABSENT: Any = object()
_PART_BY_PART = ("provenance", "sections", "evidence")  # patched entry by entry; the rest whole
_NOT_PATCHED = ("run_info",)  # timings and renderings: outside the report's hash, new on every run
_HUMAN = {h for s in SECTIONS for h in s[3]}
_ITEM_KEYS = ("name", "id", "path", "role")  # what names the items of a list of records
_SHOWN = 5  # names listed before "and N more"
_WHY_OUTSIDE = {
    ("provenance", "documentation"): "the documentation file's own hash; the fields it fills are compared one by one",
    ("provenance", "code", "commit"): "the commit that records an approval",
    ("parent_report_id",): "the parent report holds its own approvals",
}
_OUTSIDE_DEFAULT = "approvals never change what they approve"


# ----------------------------------------------------------------------------- values
def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _changed(a: Any, b: Any, tol: float) -> bool:
    """Whether ``a`` and ``b`` differ, numbers (also inside lists and mappings) beyond ``tol``."""
    if _number(a) and _number(b):
        return abs(float(a) - float(b)) > tol
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() != b.keys() or any(_changed(a[k], b[k], tol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_changed(x, y, tol) for x, y in zip(a, b, strict=True))
    return bool(a != b)


def _pointer(*parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    s = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(v))  # never a control character
    return s if len(s) <= 80 else s[:77] + "…"  # a sha256 content id (71 characters) in full


def _names(items: Iterable[Any]) -> str:
    shown = [str(i) for i in items]
    more = f" and {len(shown) - _SHOWN} more" if len(shown) > _SHOWN else ""
    return ", ".join(shown[:_SHOWN]) + more


def _kind(v: Any) -> str:
    if isinstance(v, list):
        return f"a list of {len(v)}"
    if isinstance(v, dict):
        return f"a mapping of {len(v)}"
    return "nothing" if v is None or v is _ABSENT else _short(v)


# ----------------------------------------------------------------------------- in words
def _keyed_pair(a: Any, b: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Two lists of records by the name (or id, path, role) that each of their items has once."""
    if not (isinstance(a, list) and isinstance(b, list) and all(isinstance(i, dict) for i in a + b)):
        return None
    for key in _ITEM_KEYS:
        keyed = []
        for items in (a, b):
            names = [i.get(key) for i in items]
            if all(isinstance(n, (str, int)) and not isinstance(n, bool) for n in names) and len(set(names)) == len(
                names
            ):
                keyed.append({str(n): i for n, i in zip(names, items, strict=True)})
        if len(keyed) == 2 and (a or b):
            return keyed[0], keyed[1]
    return None


def _describe(a: Any, b: Any, depth: int = 0) -> str:
    """What changed from ``a`` to ``b``, in a sentence: names and short values, never a dump."""
    pair = _keyed_pair(a, b)
    if pair is not None:
        return _describe_keyed(*pair, depth)
    if isinstance(a, dict) and isinstance(b, dict):
        return _describe_keyed(a, b, depth)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{len(a)} → {len(b)} items"
        return f"{sum(x != y for x, y in zip(a, b, strict=True))} of {len(a)} items changed"
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)) or a is _ABSENT or b is _ABSENT:
        return f"{_kind(a)} → {_kind(b)}"
    return f"{_short(a)} → {_short(b)}"


def _describe_keyed(a: dict[str, Any], b: dict[str, Any], depth: int) -> str:
    removed = [k for k in a if k not in b]
    added = [k for k in b if k not in a]
    changed = [_entry(k, a[k], b[k], depth) for k in a if k in b and a[k] != b[k]]
    parts = [f"removed {_names(removed)}"] if removed else []
    parts += [f"added {_names(added)}"] if added else []
    parts += [f"changed {_names(changed)}"] if changed else []
    return "; ".join(parts) or "reordered"


def _entry(key: str, a: Any, b: Any, depth: int) -> str:
    """One changed entry: ``key: old → new`` for values, a nested summary one level down."""
    if not isinstance(a, (dict, list)) and not isinstance(b, (dict, list)):
        return f"{key}: {_short(a)} → {_short(b)}"
    return f"{key} ({_describe(a, b, depth + 1)})" if depth == 0 else str(key)


# ----------------------------------------------------------------------------- the patch
def _dict_ops(path: Keys, a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Replace, add and remove operations for the entries of two mappings at ``path``."""
    ops: list[dict[str, Any]] = [{"op": "remove", "path": _pointer(*path, k)} for k in a if k not in b]
    for k, v in b.items():
        if k not in a:
            ops.append({"op": "add", "path": _pointer(*path, k), "value": v})
        elif a[k] != v:
            ops.append({"op": "replace", "path": _pointer(*path, k), "value": v})
    return ops


def _evidence_patch(old: list[Any], new: list[Any]) -> list[dict[str, Any]]:
    """Changed entries of common items first (at their old index), then the removed items from
    the last index down, then the added ones at their new index, in order: applied one after
    the other they give the new list. Items whose order changed: the list is replaced whole."""
    old_ids = [e.get("id") if isinstance(e, dict) else None for e in old]
    new_ids = [e.get("id") if isinstance(e, dict) else None for e in new]
    common = set(old_ids) & set(new_ids)
    distinct = len(set(old_ids)) == len(old_ids) and len(set(new_ids)) == len(new_ids) and None not in common
    if not distinct or [i for i in old_ids if i in common] != [i for i in new_ids if i in common]:
        return [] if old == new else [{"op": "replace", "path": "/evidence", "value": new}]
    by_id = dict(zip(new_ids, new, strict=True))
    ops = []
    for i, eid in enumerate(old_ids):
        if eid in common:
            ops += _dict_ops(("evidence", i), old[i], by_id[eid])
    ops += [
        {"op": "remove", "path": _pointer("evidence", i)} for i in reversed(range(len(old))) if old_ids[i] not in common
    ]
    ops += [
        {"op": "add", "path": _pointer("evidence", j), "value": e}
        for j, e in enumerate(new)
        if new_ids[j] not in common
    ]
    return ops


def _sections_patch(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """Each section added, removed or changed: its fields one by one, its title and evidence list."""
    ops = [{"op": "remove", "path": _pointer("sections", sid)} for sid in a if sid not in b]
    for sid, sec in b.items():
        was = a.get(sid, _ABSENT)
        if was is _ABSENT:
            ops.append({"op": "add", "path": _pointer("sections", sid), "value": sec})
        elif was != sec and all(isinstance(s, dict) and isinstance(s.get("fields"), dict) for s in (was, sec)):
            ops += _dict_ops(("sections", sid, "fields"), was["fields"], sec["fields"])
            rest = [{k: v for k, v in s.items() if k != "fields"} for s in (was, sec)]
            ops += _dict_ops(("sections", sid), *rest)
        elif was != sec:
            ops.append({"op": "replace", "path": _pointer("sections", sid), "value": sec})
    return ops


def _patch(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON Patch from ``old`` to ``new`` (``run_info`` left as it is)."""
    rest = [{k: v for k, v in r.items() if k not in _PART_BY_PART + _NOT_PATCHED} for r in (old, new)]
    return [
        *_dict_ops((), *rest),
        *_dict_ops(("provenance",), old["provenance"], new["provenance"]),
        *_sections_patch(old["sections"], new["sections"]),
        *_evidence_patch(old["evidence"], new["evidence"]),
    ]


# ----------------------------------------------------------------------------- content
def _get(doc: Any, path: Keys) -> Any:
    for k in path:
        if not isinstance(doc, dict) or k not in doc:
            return _ABSENT
        doc = doc[k]
    return doc


def _substituted(doc: Any, path: Keys, value: Any) -> Any:
    """``doc`` with ``value`` at ``path`` (removed when absent), copied only along the path."""
    if not path:
        return value
    out = dict(doc) if isinstance(doc, dict) else {}
    child = _substituted(out.get(path[0], {}), path[1:], value)
    if child is _ABSENT:
        out.pop(path[0], None)
    else:
        out[path[0]] = child
    return out


def _content_probe(old: dict[str, Any], new: dict[str, Any]) -> Inside:
    """Whether the change at a path is part of the content: the content id of the old report
    with only that part taken from the new one (AuditReport.content_id decides, nothing else)."""
    base = AuditReport.from_dict(old).content_id

    def inside(*path: Any) -> bool:
        probe = _substituted(old, path, _get(new, path))
        return AuditReport.from_dict(probe).content_id != base

    return inside


def _label(inside: Inside, *path: Any) -> str:
    """'' for a change of the content, else the note that it lies outside and why."""
    if inside(*path):
        return ""
    why = next((w for p, w in _WHY_OUTSIDE.items() if path[: len(p)] == p), _OUTSIDE_DEFAULT)
    return f" — outside the content id ({why})"


def _differing(old: Any, new: Any, path: Keys = (), depth: int = 3) -> list[Keys]:
    """The paths (mappings only, ``depth`` levels deep) where ``old`` and ``new`` differ."""
    if old == new:
        return []
    if depth == 0 or not (isinstance(old, dict) and isinstance(new, dict)):
        return [path]
    return [p for k in dict.fromkeys([*old, *new]) for p in _differing(old.get(k), new.get(k), (*path, k), depth - 1)]


# ----------------------------------------------------------------------------- the change log
def _provenance_lines(old: dict[str, Any], new: dict[str, Any], inside: Inside) -> tuple[list[str], list[str]]:
    """One line per provenance entry that changed (per sub-entry where only some lie outside the
    content, e.g. the code's commit) and the entries' names."""
    a, b = old["provenance"], new["provenance"]
    keys = [k for k in dict.fromkeys([*a, *b]) if a.get(k, _ABSENT) != b.get(k, _ABSENT)]
    lines = []
    for k in keys:
        x, y = a.get(k, _ABSENT), b.get(k, _ABSENT)
        subs = [s for s in dict.fromkeys([*x, *y]) if x.get(s) != y.get(s)] if _dicts(x, y) else []
        if len(subs) == 1 or len({_label(inside, "provenance", k, s) for s in subs}) > 1:  # e.g. the commit alone
            for s in subs:
                entry = _describe(x.get(s, _ABSENT), y.get(s, _ABSENT))
                lines.append(f"- `{k}.{s}`: {entry}{_label(inside, 'provenance', k, s)}")
        else:
            lines.append(f"- `{k}`: {_describe(x, y)}{_label(inside, 'provenance', k)}")
    return lines, keys


def _dicts(*values: Any) -> bool:
    return all(isinstance(v, dict) for v in values)


def _field_change(name: str, was: dict[str, Any], now: dict[str, Any]) -> str:
    """How one section field changed: a status, a rewritten human text (never shown: the reports
    hold it), an automatic value in words."""
    a, b = was.get("status"), now.get("status")
    if name in _HUMAN or "human" in (a, b):
        if a != b:
            return f": {a or 'absent'} → {b or 'absent'}"
        return ": written → rewritten" if a == "human" else f": {a}, reason rewritten"
    if a != b:
        return f" (automatic): {a or 'absent'} → {b or 'absent'}"
    return f" (automatic): {_describe(was.get('value'), now.get('value'))}"


def _field_lines(old: dict[str, Any], new: dict[str, Any], inside: Inside) -> list[str]:
    """Every section field that changed, and each section's evidence list, added or removed section."""
    lines = []
    for sid, sec in new["sections"].items():
        was = old["sections"].get(sid, _ABSENT)
        if was is _ABSENT:
            lines.append(f"- {sid}: section added{_label(inside, 'sections', sid)}")
            continue
        fields, was_fields = sec.get("fields") or {}, was.get("fields") or {}
        for name in dict.fromkeys([*was_fields, *fields]):
            f, w = fields.get(name, {}), was_fields.get(name, {})
            if f != w:
                change = _field_change(name, w, f)
                lines.append(f"- {sid} `{name}`{change}{_label(inside, 'sections', sid, 'fields', name)}")
        for key in dict.fromkeys([*was, *sec]):
            if key != "fields" and was.get(key) != sec.get(key):
                what = _describe(was.get(key, _ABSENT), sec.get(key, _ABSENT))
                lines.append(f"- {sid} `{key}` of the section: {what}{_label(inside, 'sections', sid, key)}")
    lines += [
        f"- {sid}: section removed{_label(inside, 'sections', sid)}"
        for sid in old["sections"]
        if sid not in new["sections"]
    ]
    return lines


def _approval_lines(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Each approval added, removed or changed (matched by role, or by name when roles repeat)."""

    def who(a: Any) -> str:
        if not isinstance(a, dict):
            return _short(a)
        return (
            f"{_short(a.get('role'))}: {_short(a.get('name') or 'no name yet')} ({_short(a.get('date') or 'undated')})"
        )

    a, b = old.get("approvals") or [], new.get("approvals") or []
    pair = _keyed_pair(a, b)
    if pair is None or a == b:
        return [f"- removed {who(x)}" for x in a if x not in b] + [f"- added {who(x)}" for x in b if x not in a]
    was, now = pair
    lines = [f"- removed {who(x)}" for k, x in was.items() if k not in now]
    lines += [f"- changed {who(x)}: {_describe(was[k], x)}" for k, x in now.items() if k in was and was[k] != x]
    return lines + [f"- added {who(x)}" for k, x in now.items() if k not in was]


def _other_lines(old: dict[str, Any], new: dict[str, Any], inside: Inside) -> list[str]:
    """The other parts of the report (system, risk register, parent report, …) that changed."""
    skip = {*_PART_BY_PART, *_NOT_PATCHED, "approvals", "report_id"}
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in skip and old.get(k, _ABSENT) != new.get(k, _ABSENT)]
    return [f"- `{k}` changed: {_describe(old.get(k, _ABSENT), new.get(k, _ABSENT))}{_label(inside, k)}" for k in keys]


def _evidence_lines(ev: dict[str, Any], tolerance: float) -> list[str]:
    lines = [
        f"- changed `{eid}`: " + "; ".join(_entry(k, a.get(k, _ABSENT), b.get(k, _ABSENT), 0) for k in keys)
        for eid, a, b, keys in ev["changed"]
    ]
    lines += [f"- added `{e}`" for e in ev["added"]] + [f"- removed `{e}`" for e in ev["removed"]]
    if not lines:
        lines.append("- no evidence changed beyond the tolerance")
    if ev["within"]:
        ids = _names(f"`{e}`" for e in ev["within"])
        lines.append(f"- {len(ev['within'])} item(s) changed within the tolerance ({tolerance:g}), not listed: {ids}")
    return lines


def _evidence_changes(old: dict[str, Any], new: dict[str, Any], tolerance: float) -> dict[str, Any]:
    """Evidence by id: changed beyond the tolerance (id, old, new, keys), within it, added, removed."""
    a = {e["id"]: e for e in old["evidence"]}
    b = {e["id"]: e for e in new["evidence"]}
    changed, within = [], []
    for eid in sorted(set(a) & set(b)):
        keys = [k for k in dict.fromkeys([*a[eid], *b[eid]]) if _changed(a[eid].get(k), b[eid].get(k), tolerance)]
        if keys:
            changed.append((eid, a[eid], b[eid], keys))
        elif a[eid] != b[eid]:
            within.append(eid)
    return {"changed": changed, "within": within, "added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b))}


def _changelog(
    old: dict[str, Any], new: dict[str, Any], parts: dict[str, list[str]], inside: Inside, evidence_changed: bool
) -> str:
    ids = [AuditReport.from_dict(r).content_id for r in (old, new)]
    lines = [f"# Changes from {old.get('report_id')} to {new.get('report_id')}", ""]
    lines += [
        f"Content id (what approvals name): {ids[0]} → {ids[1]}"
        if ids[0] != ids[1]
        else f"Content id unchanged ({ids[0]}): approvals given for the old report hold for the new one",
        "",
    ]
    titles = {
        "provenance": "Provenance",
        "evidence": "Evidence",
        "fields": "Section fields",
        "approvals": f"Approvals{_label(inside, 'approvals')}",
        "other": "Other parts",
    }
    for key, title in titles.items():
        if parts[key]:
            lines += [f"## {title}", "", *parts[key], ""]
    unexplained = _unexplained(old, new, parts, inside) if ids[0] != ids[1] and not evidence_changed else []
    if unexplained:
        lines += [
            "## Content",
            "",
            "- the content id changed, but no change listed above is part of the content; these parts of it "
            f"differ: {_names(f'`{p}`' for p in unexplained)}",
            "",
        ]
    text = "\n".join(lines).rstrip("\n") + "\n"
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)  # ids from the JSON too


def _unexplained(old: dict[str, Any], new: dict[str, Any], parts: dict[str, list[str]], inside: Inside) -> list[str]:
    """The parts of the content that differ when no listed change is part of it (else [])."""
    listed = [line for key in ("provenance", "fields", "other") for line in parts[key]]
    if any("— outside the content id" not in line for line in listed):
        return []
    body = [{k: v for k, v in r.items() if k not in ("report_id", *_NOT_PATCHED)} for r in (old, new)]
    return [".".join(map(str, p)) for p in _differing(body[0], body[1]) if p and inside(*p)]


def diff_reports(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    tolerance: float = 1e-4,
    names: tuple[str, str] = ("the old report", "the new report"),
) -> dict[str, Any]:
    """Compare two report JSON documents; returns {patch, changelog, summary}.

    Both are checked against the report schema first: ConfigError naming the one (by
    ``names``, e.g. their paths) that does not follow it. The patch turns ``old`` into ``new``
    exactly (``run_info`` aside); the change log leaves out evidence changes within
    ``tolerance`` (counting them) and labels what lies outside the content id.
    """
    from snas.audit._report import audit_command
    from snas.exceptions import ConfigError

    for name, report in zip(names, (old, new), strict=True):
        problem = AuditReport.from_dict(report).schema_problem() if isinstance(report, dict) else "not a JSON object"
        if problem is not None:
            raise ConfigError(
                f"{name}: does not follow the report schema ({problem}), so it cannot be compared; write it again "
                f"with '{audit_command(name)}'"
            )
    inside = _content_probe(old, new)
    ev = _evidence_changes(old, new, tolerance)
    provenance, prov_keys = _provenance_lines(old, new, inside)
    parts = {
        "provenance": provenance,
        "evidence": _evidence_lines(ev, tolerance),
        "fields": _field_lines(old, new, inside),
        "approvals": _approval_lines(old, new),
        "other": _other_lines(old, new, inside),
    }
    evidence_changed = any(ev[k] for k in ("changed", "within", "added", "removed"))
    return {
        "patch": _patch(old, new),
        "changelog": _changelog(old, new, parts, inside, evidence_changed),
        "summary": {
            "changed": [c[0] for c in ev["changed"]],
            "added": ev["added"],
            "removed": ev["removed"],
            "within_tolerance": ev["within"],
            "provenance": prov_keys,
            "fields": len(parts["fields"]),
            "approvals": len(parts["approvals"]),
            "other": len(parts["other"]),
        },
    }
