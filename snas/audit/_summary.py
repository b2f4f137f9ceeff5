"""The one-page summary at the top of the report, computed from the report's JSON.

What the system is and is for (or that the provider has not said yet), the headline
metrics with intervals, what holds by construction (hard rules, monotonicity, exclusions —
each with the evidence id that checks it on the test split), the most important open risks
and the human fields still missing. Computed as data first (:func:`summarise`), drawn second
(:func:`summary_blocks`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from snas.audit._blocks import (
    Block,
    Heading,
    Inline,
    Items,
    Para,
    Section,
    Table,
    code,
    fmt,
    join,
    link,
    missing,
    strong,
    text,
)
from snas.audit._fields import ci_text, field_label, pct
from snas.audit._risk import sensitive_input_text

if TYPE_CHECKING:
    from snas.audit._report import AuditReport

__all__ = ["Summary", "summarise", "summary_blocks"]

HEADLINE = (
    ("accuracy", "accuracy", True),
    ("balanced_accuracy", "balanced accuracy", True),
    ("roc_auc", "ROC-AUC", False),
)
# the order in which open risks are worth a reader's first minute (by the kind of failed check)
RISK_ORDER = (
    "rule_summary",
    "rule_fidelity",
    "rule_impact",
    "shield_impact",
    "monotonicity",
    "flip_rate",
    "inputs_read",
    "fairness_gap",
    "proxy_leakage",
    "robustness",
    "weak_slice",
    "group_metric",
)
TOP_RISKS = 5


@dataclass(frozen=True)
class Headline:
    label: str
    value: float | None
    ci95: tuple[float, float] | None
    n: int | None
    evidence: str
    as_pct: bool


@dataclass(frozen=True)
class Claim:
    """A statement with the evidence item that checks it; ``met`` False means it failed."""

    statement: str
    evidence: str
    met: bool | None


@dataclass(frozen=True)
class Summary:
    system: str
    purpose: Any
    provider: Any
    annex_iii_point: Any
    description: str
    inputs: Claim | None
    headlines: tuple[Headline, ...]
    rules_line: str
    guarantees: tuple[Claim, ...]
    risks: tuple[Claim, ...]
    risk_total: int
    missing: tuple[str, ...]
    unapproved: tuple[str, ...] = ()  # named approvals that do not name this report's content


def _human(report: AuditReport, section: str, name: str) -> Any:
    f = report.body["sections"].get(section, {}).get("fields", {}).get(name) or {}
    return f.get("value") if f.get("status") == "human" else None


def _auto(report: AuditReport, section: str, name: str) -> Any:
    f = report.body["sections"].get(section, {}).get("fields", {}).get(name) or {}
    return f.get("value") if f.get("status") == "auto" else None


def _plain_form(arch: dict[str, Any]) -> str:
    """The model's form in plain words: one network or an average of several, glass box or not."""
    parts = arch.get("parts")
    if isinstance(parts, list) and parts:
        families = {p.get("family") for p in parts if isinstance(p, dict)}
        if families == {"additive"}:
            return f"An average of {len(parts)} glass-box networks (each a sum of readable per-input terms)"
        among = " (glass boxes among them)" if "additive" in families else ""
        return f"An average of {len(parts)} neural networks{among}"
    spec = arch.get("spec") or {}
    members = spec.get("members", 1)
    glass = spec.get("family") == "additive"
    if members > 1 and glass:  # the members' mean is itself one glass box, kept as one
        return f"A glass-box network (a sum of readable per-input terms, the mean of {members} trained members)"
    if members > 1:
        return f"An average of {members} neural networks of one architecture"
    return "A glass-box network (a sum of readable per-input terms)" if glass else "A neural network"


def _stacked(spec: dict[str, Any]) -> bool:
    """Whether the model keeps several networks of ``spec`` (an MLP's members; a glass box keeps their mean)."""
    return spec.get("members", 1) > 1 and spec.get("family") != "additive"


def _description(report: AuditReport) -> str:
    arch = _auto(report, "AIA.AnnexIV.2.c", "architecture") or {}
    data = _auto(report, "AIA.AnnexIV.2.d", "data_profile") or {}
    compute = _auto(report, "AIA.AnnexIV.2.c", "compute") or {}
    meaning = _auto(report, "AIA.Art13.3.b.vii", "output_meaning")
    parts = [
        (
            "This report covers the glass box the search offers, which is its selected model itself (the same "
            "weights, byte for byte). "
            if _glass_box_is_selected(report)
            else "This report covers the glass box the search offers beside its selected model, not the selected model. "
        )
        if _audits_glass_box(report)
        else "",
        f"{_plain_form(arch)}, with {fmt(arch.get('parameters'))} trainable parameters"
        + (" in all" if arch.get("parts") or _stacked(arch.get("spec") or {}) else ""),
    ]
    if meaning:
        parts.append(f", that outputs the {meaning}")
    parts.append(".")
    if data:
        trained = f" Trained on {fmt(data.get('train_rows'))} rows of {data.get('dataset')}"
        if compute.get("refit_on_all_rows") is False:
            some = compute.get("parts_refit_on_all_rows")
            trained = (
                f" Trained on part of the {fmt(data.get('train_rows'))} training rows of {data.get('dataset')} "
                "(the search held the rest out to choose among candidates"
                + (f"; {some} parts were refit on all of them)" if some and not some.startswith("0 ") else ")")
            )
        parts.append(f"{trained}; tested on {fmt(data.get('test_rows'))} held-out rows")
        evaluated = sum((compute.get("evaluations_by_fidelity") or {}).values())
        chosen = (
            ("selected (and offered as the glass box)" if _glass_box_is_selected(report) else "the glass box offered")
            if _audits_glass_box(report)
            else "selected"
        )
        parts.append(f"; {chosen} among {fmt(evaluated)} architectures the search evaluated." if evaluated else ".")
    return "".join(parts)


def _inputs(ev: dict[str, dict[str, Any]]) -> Claim | None:
    """Which inputs the model reads and which it never reads; every sensitive attribute it reads,
    through which terms (also when drop_features names it) — so that none is taken for unused."""
    e = ev.get("ev:inputs:read")
    if not e or not isinstance(e.get("read"), dict):
        return None
    read, unread = list(e["read"]), list(e.get("not_read") or [])
    text_ = f"The model reads {len(read)} inputs: {', '.join(read)}"
    text_ += f"; it never reads {', '.join(unread)}." if unread else "."
    dropped = {f: w for f, w in (e.get("dropped_but_read") or {}).items() if f not in (e.get("sensitive_read") or {})}
    if dropped:
        text_ += (
            " Named in drop_features but read all the same: "
            + "; ".join(f"{f} (by {', '.join(w)})" for f, w in dropped.items())
            + "."
        )
    sensitive = [sensitive_input_text(e, f) for f in e.get("sensitive_read") or {}]
    if sensitive:
        text_ += " " + "; ".join(s[0].upper() + s[1:] for s in sensitive) + "."
    elif e.get("sensitive_not_read"):
        text_ += f" It reads no sensitive attribute ({', '.join(e['sensitive_not_read'])})."
    return Claim(text_, e["id"], None)


def _audits_glass_box(report: AuditReport) -> bool:
    """Whether the report audits the glass box a search offers rather than its selected model."""
    selection = _auto(report, "AIA.AnnexIV.2.b", "selection")
    return isinstance(selection, dict) and "audited" in selection


def _glass_box_is_selected(report: AuditReport) -> bool:
    """Whether the glass box this report audits is the run's selected model (the same weights)."""
    selection = _auto(report, "AIA.AnnexIV.2.b", "selection")
    return isinstance(selection, dict) and selection.get("same_as_selected") is True


def _guarantees(ev: list[dict[str, Any]]) -> list[Claim]:
    """Hard rules, then monotone features, then excluded features."""
    order = {"rule_fidelity": 0, "monotonicity": 1, "flip_rate": 2}
    out = []
    for e in sorted(ev, key=lambda e: order.get(e["kind"], 3)):
        if e["kind"] == "rule_fidelity" and e.get("strength") == "hard":
            rule = f"hard rule {e['rule']}"
            if e.get("condition"):
                rule += f": if {e['condition']}" + (f" unless {e['unless']}" if e.get("unless") else "")
            rule += f" then {e.get('head')}"
            n, bad = e.get("n") or 0, e.get("violations") or 0
            seen = f"{bad:,} of {n:,} covered test rows violate it" if n else "no test row is covered"
            out.append(Claim(f"{rule} — {seen}", e["id"], e.get("pass")))
        elif e["kind"] == "monotonicity":
            way = "never decreases" if e.get("direction") == "increasing" else "never increases"
            out.append(
                Claim(
                    f"the predicted probability {way} as {e.get('feature')} grows — violations on {pct(e.get('value'), 1)} of "
                    f"{fmt(e.get('n'))} rows ({e.get('method', 'grid')})",
                    e["id"],
                    e.get("pass"),
                )
            )
        elif e["kind"] == "flip_rate":
            out.append(Claim(_flip_statement(e), e["id"], e.get("pass")))
    return out


def _flip_statement(e: dict[str, Any]) -> str:
    """What the flip check did, with its bound: how many of the observed levels were tried."""
    tried, levels = e.get("substitutes_tried"), e.get("levels_observed")
    how = "changing it"
    if isinstance(tried, int) and isinstance(levels, int) and 1 < tried < levels:
        how = f"setting it to {tried} of its {levels:,} observed levels"
    return (
        f"{e.get('feature')} is never a model input — {how} changed {pct(e.get('value'), 1)} of "
        f"{fmt(e.get('n'))} decisions"
    )


def _risks(report: AuditReport) -> list[Claim]:
    """One open risk of each kind first (in :data:`RISK_ORDER`), then the rest in order."""
    ev = report.evidence
    register = [r for r in report.body["risk_register"] if r.get("status", "open") == "open"]

    def rank(r: dict[str, Any]) -> int:
        kind = ev.get(r["evidence"], {}).get("kind", "")
        return RISK_ORDER.index(kind) if kind in RISK_ORDER else len(RISK_ORDER)

    ordered = sorted(register, key=rank)
    firsts: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    seen: set[int] = set()
    for r in ordered:
        (rest if rank(r) in seen else firsts).append(r)
        seen.add(rank(r))
    return [Claim(r["finding"], r["evidence"], None) for r in firsts + rest]


def summarise(report: AuditReport) -> Summary:
    """The summary's content, from the report body alone."""
    b, ev = report.body, report.evidence
    heads = []
    for key, label, as_pct in HEADLINE:
        e = ev.get(f"ev:metric:{key}")
        if e is not None:
            ci = tuple(e["ci95"]) if e.get("ci95") and e["ci95"][0] is not None else None
            averaging = e.get("averaging")
            shown = f"{label} ({averaging})" if averaging and averaging != "binary" else label
            heads.append(Headline(shown, e.get("value"), ci, e.get("n"), e["id"], as_pct))
    rs = ev.get("ev:rules:summary") or {}
    rules_line = (
        f"hard-rule violations on the test split: {rs.get('hard_violations')}; soft-rule fidelity F_soft "
        f"{fmt(rs.get('f_soft'), 3)}; micro compliance (share of rule-covered test rows whose decision "
        f"follows the rule) {fmt(rs.get('value'), 3)}"
        if rs
        else "no rules"
    )
    names = list(dict.fromkeys(name for _, name in report.missing_fields()))
    risks = _risks(report)
    return Summary(
        system=b["system"]["name"],
        purpose=_human(report, "AIA.AnnexIV.1.a", "intended_purpose"),
        provider=_human(report, "AIA.AnnexIV.1.a", "provider.name"),
        annex_iii_point=_human(report, "AIA.AnnexIV.1.a", "system.annex_iii_point"),
        description=_description(report),
        inputs=_inputs(ev),
        headlines=tuple(heads),
        rules_line=rules_line,
        guarantees=tuple(_guarantees(b["evidence"])),
        risks=tuple(risks[:TOP_RISKS]),
        risk_total=len(risks),
        missing=tuple(field_label(n) for n in names),
        unapproved=tuple(
            f"{a.get('role')} ({a.get('name')})"
            for a in b.get("approvals") or []
            if report.approval_state(a) in ("other content", "not bound")
        ),
    )


def _human_inline(value: Any) -> Inline:
    return missing("⚠ to be completed by the provider") if value in (None, "") else text(fmt(value))


def _claim(c: Claim) -> Inline:
    mark = "" if c.met is not False else "NOT MET: "
    return join(mark, c.statement, " (", link(c.evidence), ")")


def summary_blocks(s: Summary) -> list[Block]:
    """The summary as one section (``id="summary"``), meant to fill the first printed page."""
    facts = Table(
        ("", ""),
        (
            (strong("system"), text(s.system)),
            (strong("intended purpose"), _human_inline(s.purpose)),
            (strong("provider"), _human_inline(s.provider)),
            (strong("Annex III point"), _human_inline(s.annex_iii_point)),
        ),
    )
    metrics = Table(
        ("metric (test split)", "value", "95% CI", "n", "evidence"),
        tuple(
            (
                text(h.label),
                text(pct(h.value) if h.as_pct else fmt(h.value)),
                text(ci_text(h.ci95, h.as_pct)),
                text(fmt(h.n)),
                link(h.evidence),
            )
            for h in s.headlines
        ),
    )
    guaranteed: list[Block] = (
        [Items(tuple(_claim(c) for c in s.guarantees))]
        if s.guarantees
        else [Para(text("no hard rule, monotonicity or exclusion is declared"))]
    )
    more = s.risk_total - len(s.risks)
    risks: list[Block] = [Items(tuple(_claim(c) for c in s.risks))] if s.risks else [Para(text("no check was flagged"))]
    blocks: list[Block] = [
        Heading(2, "Summary"),
        facts,
        Para(text(s.description)),
        *([Para(_claim(s.inputs))] if s.inputs is not None else []),
        metrics,
        Para(text(s.rules_line)),
        Heading(3, "What is guaranteed (by construction; checked on the test split)"),
        *guaranteed,
        Heading(
            3, f"Top open risks ({len(s.risks)} of {s.risk_total}{'; the rest in the risk register' if more else ''})"
        ),
        *risks,
        Heading(3, f"Still to be completed by the provider ({len(s.missing)} fields)"),
        Para(
            text(", ".join(s.missing) + ". Run snas audit validate to list them by section.")
            if s.missing
            else code("complete")
        ),
        *(
            [Para(missing("⚠ approvals that do not name this report's content: " + ", ".join(s.unapproved)))]
            if s.unapproved
            else []
        ),
    ]
    return [Section("summary", tuple(blocks), "summary")]
