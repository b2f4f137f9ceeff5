"""AuditReport: one canonical JSON document; renderings are made from it, never the reverse."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from snas._util import canonical_json, parse_json_text, read_json_file, sha256_bytes

__all__ = ["SCHEMA_VERSION", "AuditReport", "git_commit", "read_report", "report_schema", "rounded"]

SCHEMA_VERSION = "1.0.0"


def git_commit() -> str | None:
    """The commit of the snas source tree, when it is a git checkout."""
    root = Path(__file__).resolve().parents[2]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split()
    if out.returncode != 0 or len(lines) != 2 or Path(lines[0]).resolve() != root:
        return None  # not a checkout of snas (e.g. installed inside another project's repository)
    return lines[1]


def rounded(obj: Any) -> Any:
    """Floats to 6 decimals (NaN → None), NumPy scalars to Python: the canonical form of evidence."""
    if isinstance(obj, float):
        return None if obj != obj else round(obj, 6)
    if isinstance(obj, dict):
        return {k: rounded(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [rounded(v) for v in obj]
    if isinstance(obj, np.generic):
        return rounded(obj.item())
    return obj


def audit_command(path: str | Path) -> str:
    """The command that writes the report at ``path`` again (``--model glass-box`` for a glass box's)."""
    p = Path(path)
    glass_box = p.parent.name == "glass-box" and p.parent.parent.name == "reports"
    return "snas audit RUN_DIR --model glass-box" if glass_box else "snas audit RUN_DIR"


def read_report(path: str | Path) -> dict[str, Any]:
    """The JSON of the ``report.json`` at ``path`` (as written, ``report_id`` included).

    Raises
    ------
    ConfigError
        The file is missing, is not JSON, is not an snas report (no ``report_id``), or gives
        one key twice in a JSON object or one evidence id to two items.
    """
    from snas.exceptions import ConfigError

    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"{p}: no report; run '{audit_command(p)}' first")
    again = f"write it again with '{audit_command(p)}'"
    data = read_json_file(p, fix=again, expect=dict)
    if not isinstance(data.get("report_id"), str):
        raise ConfigError(f"{p}: not an snas report (no report_id); {again}")
    twice = _duplicate_key(p.read_text(encoding="utf-8")) or _duplicate_evidence(data)
    if twice is not None:
        raise ConfigError(f"{p}: {twice}, which snas never writes (a reader would see only one of them); {again}")
    return data


class _DuplicateKey(ValueError):
    """A JSON object that holds one key twice (``json`` keeps the last silently)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of :func:`json.loads` that refuses a key given twice in one object."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            owner = dict(pairs).get("id")
            where = f" (the object with id {owner!r})" if isinstance(owner, str) else ""
            raise _DuplicateKey(f"key {key!r} appears twice in one JSON object{where}")
        out[key] = value
    return out


def _duplicate_key(text: str) -> str | None:
    """The first key given twice in one object of JSON ``text`` (already parsed once, so valid)."""
    try:
        json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        return str(exc)
    return None


def _duplicate_evidence(data: dict[str, Any]) -> str | None:
    """The first evidence id that two items of the report share."""
    evidence = data.get("evidence")
    evidence = evidence if isinstance(evidence, list) else []
    seen: set[str] = set()
    for e in evidence:
        id_ = e.get("id") if isinstance(e, dict) else None
        if isinstance(id_, str) and id_ in seen:
            n = sum(isinstance(x, dict) and x.get("id") == id_ for x in evidence)
            return f"evidence id {id_!r} is given to {n} items"
        if isinstance(id_, str):
            seen.add(id_)
    return None


def report_schema() -> dict[str, Any]:
    """The published JSON Schema (2020-12) of audit reports."""
    return json.loads(Path(__file__).with_name("report.schema.json").read_text(encoding="utf-8"))


class AuditReport:
    """The report as data: ``body`` (hashed) and ``run_info`` (timings; not hashed).

    ``report_id`` is the sha256 of the canonical JSON (RFC 8785-style: sorted keys, no
    spaces) of the body, so identical inputs give identical ids.

    Parameters
    ----------
    body : dict
        The report's content (sections, evidence, provenance, risk register), as JSON data.
    run_info : dict, optional
        Timings and the machine the report was computed on; None → ``{}``.

    Examples
    --------
    >>> from pathlib import Path
    >>> from snas import AuditReport
    >>> report = AuditReport.from_json(Path("runs/census/reports/report.json").read_text())  # doctest: +SKIP
    >>> report.report_id, report.missing_fields()  # doctest: +SKIP
    """

    def __init__(self, body: dict[str, Any], run_info: dict[str, Any] | None = None) -> None:
        self.body = body
        self.run_info = run_info or {}

    @property
    def report_id(self) -> str:
        """``sha256:`` of the canonical JSON of the report's content: it names this exact report."""
        body = {k: v for k, v in self.body.items() if k != "report_id"}
        return "sha256:" + sha256_bytes(canonical_json(body).encode("utf-8"))

    @property
    def content_id(self) -> str:
        """What an approval approves: the sha256 of the body without its approvals (also where
        Annex IV 2(g) shows them), the documentation file's own hash (adding an approval to
        that file changes it), the code commit (committing the approval changes it) and the
        parent report id (whose report holds its own approvals). Any change of evidence, of the
        model, data, rules or environment, or of a human-written field changes it. It is not a
        signature: anyone can compute it."""
        body = {k: v for k, v in self.body.items() if k not in ("report_id", "approvals", "parent_report_id")}
        if isinstance(body.get("provenance"), dict):
            prov = {k: v for k, v in body["provenance"].items() if k != "documentation"}
            if isinstance(prov.get("code"), dict):  # committing the approval must not change what it approves
                prov["code"] = {k: v for k, v in prov["code"].items() if k != "commit"}
            body["provenance"] = prov
        if isinstance(body.get("sections"), dict):  # Annex IV 2(g) shows the approvals as a field too
            body["sections"] = {
                sid: {**sec, "fields": {k: v for k, v in sec["fields"].items() if k != "approvals"}}
                if isinstance(sec, dict) and isinstance(sec.get("fields"), dict)
                else sec
                for sid, sec in body["sections"].items()
            }
        return "sha256:" + sha256_bytes(canonical_json(body).encode("utf-8"))

    def approval_state(self, approval: dict[str, Any]) -> str:
        """Whether an approval of this report approves its content.

        Parameters
        ----------
        approval : dict
            One entry of the report's ``approvals`` (role, name, date, content_hash).

        Returns
        -------
        str
            ``this report`` (its content id is among those the approval names), ``other
            content`` (an earlier version, or the run's other report), ``not bound`` (a named
            approval without a content id) or ``not given`` (no name yet).
        """
        name = approval.get("name")
        if not (isinstance(name, str) and name.strip()):
            return "not given"
        bound = approval.get("content_hash")
        named = [bound] if isinstance(bound, str) else bound if isinstance(bound, list) else []
        if not named:
            return "not bound"
        return "this report" if self.content_id in named else "other content"

    def to_dict(self) -> dict[str, Any]:
        """``report.json``'s content: the body, its ``report_id`` and ``run_info``."""
        return {**self.body, "report_id": self.report_id, "run_info": self.run_info}

    def to_json(self) -> str:
        """Pretty, deterministic JSON in the report's own order (the order its renderings
        follow, so :meth:`from_json` renders exactly as the report written); only
        ``run_info`` varies between reruns. ``report_id`` hashes the sorted form."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> AuditReport:
        """Read a report written by :meth:`to_json` (``report.json``).

        Parameters
        ----------
        text : str
            The JSON text; its ``report_id`` is dropped (recomputed from the body).

        Raises
        ------
        ValueError
            Not JSON, not an object, a key given twice in one object, or an evidence id
            given to two items.
        """
        data = parse_json_text(text)
        if not isinstance(data, dict):
            raise ValueError("not an audit report: its top level is not a JSON object")
        twice = _duplicate_key(text) or _duplicate_evidence(data)
        if twice is not None:
            raise ValueError(f"not an audit report as snas writes it: {twice}")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditReport:
        """The report of parsed ``report.json`` data.

        Parameters
        ----------
        data : dict
            As :func:`read_report` returns it; its ``report_id`` is dropped (recomputed
            from the body).
        """
        body = {k: v for k, v in data.items() if k not in ("report_id", "run_info")}
        return cls(body, data.get("run_info", {}))

    @property
    def evidence(self) -> dict[str, dict[str, Any]]:
        """Evidence items by id (``ev:metric:accuracy`` …)."""
        return {e["id"]: e for e in self.body["evidence"]}

    def missing_fields(self) -> list[tuple[str, str]]:
        """(section, field) pairs still ``missing`` — what ``snas audit validate`` lists."""
        return [
            (sid, name)
            for sid, s in self.body["sections"].items()
            for name, f in s["fields"].items()
            if f["status"] == "missing"
        ]

    def validate_schema(self) -> None:
        """Raise ``jsonschema.ValidationError`` when the report breaks its schema."""
        import jsonschema

        jsonschema.validate(self.to_dict(), report_schema())

    def schema_problem(self) -> str | None:
        """Where and how the report breaks its schema, in one line (None when it follows it)."""
        import jsonschema

        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(report_schema()).iter_errors(self.to_dict())
        )
        if error is None:
            return None
        where = "/".join(str(k) for k in error.absolute_path) or "the top level"
        return f"at {where}: {error.message[:200]}"
