"""The "Rule impact" part of the rendered report: one table for the hard rules (the shield
with and without each rule, on the test split) and one for the soft rules (the search
history). Drawn from the ``rule_impact`` and ``shield_impact`` evidence items only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snas.audit._blocks import Block, Heading, Inline, Para, Table, code, fmt, slug, text
from snas.audit._fields import pct

if TYPE_CHECKING:
    from snas.audit._report import AuditReport

__all__ = ["HARD_HEADER", "SOFT_HEADER", "hard_cells", "impact_blocks", "impact_text", "soft_cells", "verdict"]

HARD_HEADER = (
    "rule",
    "covered rows",
    "label agreement",
    "compliance",
    "accuracy with → without",
    "ROC-AUC with → without",
    "selection-rate gap with → without",
    "rows it makes right / wrong",
    "McNemar p",
    "verdict",
)
SOFT_HEADER = ("rule", "covered rows", "label agreement", "compliance", "best with", "best without", "search history")


def verdict(e: dict[str, Any]) -> str:
    """What the numbers say about a hard rule (or the whole shield)."""
    if e.get("costs_accuracy"):
        return "costs accuracy beyond noise: for the experts to review"
    if e.get("decisions_changed", 0) == 0:
        return "changes no test decision"
    if e["helps"] > e["hurts"] and e["mcnemar_p"] < 0.05:
        return "adds accuracy beyond noise"
    return "no accuracy change beyond noise"


def _arrow(a: Any, b: Any, as_pct: bool = False) -> str:
    f = pct if as_pct else (lambda v: fmt(v))
    return f"{f(a)} → {f(b)}"


def _gaps(w: dict[str, Any], wo: dict[str, Any]) -> str:
    a, b = w.get("selection_rate_gap") or {}, wo.get("selection_rate_gap") or {}
    parts = [f"{attr}: {_arrow(a[attr], b.get(attr))}" for attr in a if a[attr] is not None]
    return "; ".join(parts) or "—"


def hard_cells(e: dict[str, Any]) -> tuple[str, ...]:
    """One row of the hard-rule table as text (a ``shield_impact`` item is "all hard rules")."""
    w, wo = e.get("with_rule") or {}, e.get("without_rule") or {}
    per_rule = "covered" in e
    return (
        e["rule"] if per_rule else "all hard rules",
        fmt(e.get("covered")) if per_rule else "—",
        pct(e.get("label_agreement"), 1) if per_rule else "—",
        pct(e.get("compliance"), 1) if per_rule else "—",
        _arrow(w.get("accuracy"), wo.get("accuracy"), as_pct=True),
        _arrow(w.get("roc_auc"), wo.get("roc_auc")),
        _gaps(w, wo),
        f"{e.get('helps')} / {e.get('hurts')}",
        "< 1e-300" if e.get("mcnemar_p") == 0 else fmt(e.get("mcnemar_p"), 3),  # below the float range
        verdict(e),
    )


def _score(c: dict[str, Any]) -> str:
    """The metric the candidates were compared on, and accuracy beside it when that is another."""
    if c.get("metric", "accuracy") == "accuracy" or c.get("validation_metric") is None:
        return f"validation accuracy {pct(c['validation_accuracy'])}"
    return f"validation ROC-AUC {fmt(c['validation_metric'])} (accuracy {pct(c['validation_accuracy'])})"


def _candidate(c: dict[str, Any] | None) -> str:
    if not c:
        return "—"
    return f"#{c['number']} ({c['injection']}): {_score(c)}"


def _history_note(h: dict[str, Any]) -> str:
    note = h.get("note") or "both found: the difference also reflects their architectures"
    if h.get("with_neuron") and h.get("loss_only"):
        n, lo = h["with_neuron"], h["loss_only"]
        note += f"; with its knowledge neuron #{n['number']} {_score(n)} vs loss only #{lo['number']} {_score(lo)}"
    return note


def soft_cells(e: dict[str, Any]) -> tuple[str, ...]:
    """One row of the soft-rule table as text."""
    h = e.get("history") or {}
    return (
        e["rule"],
        fmt(e.get("covered")),
        pct(e.get("label_agreement"), 1),
        pct(e.get("compliance"), 1),
        _candidate(h.get("with")),
        _candidate(h.get("without")),
        _history_note(h),
    )


def _inline(cells: tuple[str, ...], first_is_code: bool) -> tuple[Inline, ...]:
    head = code(cells[0]) if first_is_code else text(cells[0])
    return (head, *(text(c) for c in cells[1:]))


def impact_blocks(report: AuditReport) -> list[Block]:
    """The section's heading, method notes and the two tables (rows anchored by evidence id)."""
    items = [e for e in report.body["evidence"] if e["kind"] in ("rule_impact", "shield_impact")]
    if not items:
        return []
    hard = [e for e in items if e.get("strength") == "hard"]
    shield = [e for e in items if e["kind"] == "shield_impact"]
    soft = [e for e in items if e.get("strength") == "soft"]
    out: list[Block] = [Heading(2, "Rule impact (the price of every rule)", "rule-impact")]
    if hard or shield:
        ordered = hard + shield
        rows = [_inline(hard_cells(e), e["kind"] == "rule_impact") for e in ordered]
        out += [
            Para(text("Hard rules, on the test split: " + ordered[0]["method"] + ".")),
            Table(
                HARD_HEADER,
                tuple(rows),
                tuple(slug(e["id"]) for e in ordered),
                tuple("fail" if e.get("costs_accuracy") else "" for e in ordered),
            ),
        ]
    if soft:
        out += [
            Para(text("Soft rules, from the search history: " + soft[0]["method"] + ".")),
            Table(SOFT_HEADER, tuple(_inline(soft_cells(e), True) for e in soft), tuple(slug(e["id"]) for e in soft)),
        ]
    return out


# ----------------------------------------------------------------------------- terminal
def _columns(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """A plain-text table: every column as wide as its widest cell (the last one unpadded)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for r in [header, *rows]:
        lines.append("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines


def impact_text(items: list[dict[str, Any]], title: str) -> str:
    """``snas rules impact`` in the terminal: the hard-rule table (gaps on their own lines) and
    the soft-rule table, each under its method."""
    hard = [e for e in items if e["kind"] == "rule_impact" and e.get("strength") == "hard"]
    ordered = hard + [e for e in items if e["kind"] == "shield_impact"]
    soft = [e for e in items if e.get("strength") == "soft"]
    lines = [title, ""]
    if ordered:
        cells = [hard_cells(e) for e in ordered]
        keep = [i for i in range(len(HARD_HEADER)) if HARD_HEADER[i] != "selection-rate gap with → without"]
        lines += [f"hard rules — {ordered[0]['method']}", ""]
        lines += _columns(tuple(HARD_HEADER[i] for i in keep), [tuple(c[i] for i in keep) for c in cells])
        lines += ["", "selection-rate gap between groups with n ≥ 100, with → without:"]
        lines += [f"  {c[0]}: {c[6]}" for c in cells]
        lines.append("")
    if soft:
        lines += [f"soft rules — {soft[0]['method']}", ""]
        lines += _columns(SOFT_HEADER, [soft_cells(e) for e in soft])
    return "\n".join(lines).rstrip() + "\n"
