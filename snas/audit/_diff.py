"""``snas audit diff``: evidence matched by id — added, removed, changed beyond tolerance —
as JSON Patch (RFC 6902) and a Markdown change log (Annex IV item 6)."""

from __future__ import annotations

from typing import Any

from snas.audit._report import AuditReport

__all__ = ["diff_reports"]


def _changed(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(float(a) - float(b)) > tol
    return a != b


def _pointer(*parts: Any) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _evidence_patch(
    old_ev: dict[str, tuple[int, dict[str, Any]]], new_ev: dict[str, tuple[int, dict[str, Any]]], tolerance: float
) -> tuple[list[dict[str, Any]], list[tuple[str, dict[str, Any], dict[str, Any], list[str]]]]:
    """JSON Patch operations and the changed items (id, old, new, changed keys)."""
    patch: list[dict[str, Any]] = []
    changed = []
    for eid in sorted(set(old_ev) & set(new_ev)):
        (i, a), (_, b) = old_ev[eid], new_ev[eid]
        keys = sorted(k for k in set(a) | set(b) if _changed(a.get(k), b.get(k), tolerance))
        if keys:
            changed.append((eid, a, b, keys))
            for k in keys:
                op = "replace" if k in a and k in b else ("add" if k in b else "remove")
                entry: dict[str, Any] = {"op": op, "path": _pointer("evidence", i, k)}
                if op != "remove":
                    entry["value"] = b[k]
                patch.append(entry)
    for eid in sorted(set(old_ev) - set(new_ev)):
        patch.append({"op": "remove", "path": _pointer("evidence", old_ev[eid][0])})
    for eid in sorted(set(new_ev) - set(old_ev)):
        patch.append({"op": "add", "path": _pointer("evidence", "-"), "value": new_ev[eid][1]})
    return patch, changed


def _status_changes(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    """Documentation fields whose status changed, and human-written fields rewritten (shown as
    ``written → rewritten``: the text itself is in the reports)."""
    out = []
    for sid, s in new["sections"].items():
        for name, f in s["fields"].items():
            was = old["sections"].get(sid, {}).get("fields", {}).get(name, {})
            if was.get("status") != f["status"]:
                out.append((sid, name, was.get("status"), f["status"]))
            elif f["status"] == "human" and was.get("value") != f.get("value"):
                out.append((sid, name, "written", "rewritten"))
    return out


def _changelog(
    old: dict[str, Any],
    new: dict[str, Any],
    changed: list[tuple[str, dict[str, Any], dict[str, Any], list[str]]],
    added: list[str],
    removed: list[str],
    prov_changes: list[str],
    status_changes: list[tuple[str, str, Any, Any]],
) -> str:
    lines = [f"# Changes from {old.get('report_id')} to {new.get('report_id')}", ""]
    ids = [AuditReport.from_dict(r).content_id for r in (old, new)]
    lines += [
        f"Content id (what approvals name): {ids[0]} → {ids[1]}"
        if ids[0] != ids[1]
        else f"Content id unchanged ({ids[0]}): approvals given for the old report hold for the new one",
        "",
    ]
    if prov_changes:
        lines += ["## Provenance", ""] + [f"- `{k}` changed" for k in prov_changes] + [""]
    lines += ["## Evidence", ""]
    for eid, a, b, keys in changed:
        detail = "; ".join(
            f"{k}: {_short(a.get(k))} → {_short(b.get(k))}"
            for k in keys
            if k not in ("reliability", "threshold_sweep", "candidates")
        )
        lines.append(f"- changed `{eid}`: {detail}")
    lines += [f"- added `{e}`" for e in added] + [f"- removed `{e}`" for e in removed]
    if not (changed or added or removed):
        lines.append("- no evidence changed beyond the tolerance")
    if status_changes:
        lines += ["", "## Documentation fields", ""] + [f"- {sid} `{n}`: {a} → {b}" for sid, n, a, b in status_changes]
    return "\n".join(lines) + "\n"


def diff_reports(
    old: dict[str, Any],
    new: dict[str, Any],
    *,
    tolerance: float = 1e-4,
    names: tuple[str, str] = ("the old report", "the new report"),
) -> dict[str, Any]:
    """Compare two report JSON documents; returns {patch, changelog, summary}.

    Both are checked against the report schema first: ConfigError naming the one (by
    ``names``, e.g. their paths) that does not follow it.
    """
    from snas.audit._report import AuditReport, audit_command
    from snas.exceptions import ConfigError

    for name, report in zip(names, (old, new), strict=True):
        problem = AuditReport.from_dict(report).schema_problem() if isinstance(report, dict) else "not a JSON object"
        if problem is not None:
            raise ConfigError(
                f"{name}: does not follow the report schema ({problem}), so it cannot be compared; write it again "
                f"with '{audit_command(name)}'"
            )
    old_ev = {e["id"]: (i, e) for i, e in enumerate(old["evidence"])}
    new_ev = {e["id"]: (i, e) for i, e in enumerate(new["evidence"])}
    patch, changed = _evidence_patch(old_ev, new_ev, tolerance)
    added = sorted(set(new_ev) - set(old_ev))
    removed = sorted(set(old_ev) - set(new_ev))
    status_changes = _status_changes(old, new)
    prov_changes = [
        k
        for k in sorted(set(old["provenance"]) | set(new["provenance"]))
        if old["provenance"].get(k) != new["provenance"].get(k)
    ]
    return {
        "patch": patch,
        "changelog": _changelog(old, new, changed, added, removed, prov_changes, status_changes),
        "summary": {
            "changed": [c[0] for c in changed],
            "added": added,
            "removed": removed,
            "provenance": prov_changes,
            "field_status": len(status_changes),
        },
    }


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}"
    s = str(v)
    return s if len(s) < 60 else s[:57] + "…"
