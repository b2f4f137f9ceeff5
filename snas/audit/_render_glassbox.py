"""The glass-box part of the rendered report: one figure per term (numeric shapes as lines
through their knots over a strip of training-row density, categories as bars, pairs as heat
maps, knowledge neurons as curves over truth 0…1), the same shapes as tables of values, the
ranked interactions, and the exact contributions and main reasons of example decisions.
Drawn from the ``term_shape``, ``interactions`` and ``local_explanation`` items only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from snas.audit._blocks import (
    Block,
    Details,
    Figure,
    Heading,
    Inline,
    Para,
    Section,
    Table,
    code,
    fmt,
    join,
    slug,
    text,
)

if TYPE_CHECKING:
    from snas.audit._report import AuditReport

__all__ = ["exact_blocks", "glassbox_blocks", "reason_blocks", "shape_key", "term_figures"]

COLOR = "#4c72b0"


def shape_key(e: dict[str, Any]) -> str:
    """The figure key of a term-shape item."""
    return f"fig:shape:{e['term']}"


def _shapes(report: AuditReport) -> list[dict[str, Any]]:
    return [e for e in report.body["evidence"] if e["kind"] == "term_shape"]


def _share(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _tick(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def monotone_text(e: dict[str, Any]) -> str:
    """E.g. "non-decreasing (rule file)", or per feature for pairs and neurons."""
    mono = e.get("monotone") or {}
    if not mono:
        return ""
    if len(e["features"]) == 1 and e["term_kind"] == "numeric":
        return f"{next(iter(mono.values()))} (rule file)"
    return "; ".join(f"{d} in {f}" for f, d in mono.items()) + " (rule file)"


# ----------------------------------------------------------------------------- figures
def _curve_figure(e: dict[str, Any], xlabel: str) -> Any:
    """A line through the knots (or truths) over a strip of training-row density."""
    import matplotlib.pyplot as plt

    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(4.2, 2.9), sharex=True, gridspec_kw={"height_ratios": [3, 1], "hspace": 0.08}
    )
    x, y = e["grid"][0], e["contribution"]
    ax.plot(x, y, marker="o", ms=2.5, lw=1.4, color=COLOR, label="shape (knots)")
    if e.get("missing") is not None:
        ax.axhline(e["missing"], ls="--", lw=1, color="grey", label=f"missing: {e['missing']:+.3g}")
    ax.axhline(0, lw=0.5, color="black")
    ax.set_ylabel("contribution")
    mono = monotone_text(e)
    ax.set_title(e["term"] + (f" — {mono}" if mono else ""), fontsize=8.5, color="#1a5f2a" if mono else "black")
    ax.legend(loc="lower right", fontsize=6.5, frameon=False)
    if e.get("density") is not None:
        strip.vlines(x, 0, e["density"], lw=3, color="#999999")
    strip.set_ylabel("train\nshare", fontsize=7)
    strip.set_xlabel(xlabel)
    return fig


def _bar_figure(e: dict[str, Any]) -> Any:
    """Categorical levels as bars, with the share of training rows beside them."""
    import matplotlib.pyplot as plt

    levels = [str(v) for v in e["grid"][0]]
    fig, (ax, dens) = plt.subplots(
        1, 2, sharey=True, figsize=(4.6, 0.17 * len(levels) + 1.0), gridspec_kw={"width_ratios": [3, 1], "wspace": 0.05}
    )
    ax.barh(levels, e["contribution"], color=COLOR)
    ax.axvline(0, lw=0.5, color="black")
    ax.invert_yaxis()
    ax.set_xlabel("contribution")
    ax.set_title(e["term"], fontsize=9)
    ax.tick_params(axis="y", labelsize=6.5)
    if e.get("density") is not None:
        dens.barh(levels, e["density"], color="#999999")
    dens.set_xlabel("train share", fontsize=7)
    return fig


def _heat_figure(e: dict[str, Any]) -> Any:
    """A pair's contribution table as a heat map (bilinear between numeric knots)."""
    import matplotlib.pyplot as plt
    import numpy as np

    z = np.asarray(e["contribution"], dtype=float)
    a, b = e["grid"]
    lim = float(np.abs(z).max()) or 1.0
    fig, ax = plt.subplots(figsize=(0.28 * len(b) + 2.4, 0.28 * len(a) + 1.6))
    im = ax.imshow(z, cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_yticks(range(len(a)), [_tick(v) for v in a], fontsize=6.5)
    ax.set_xticks(range(len(b)), [_tick(v) for v in b], fontsize=6.5, rotation=60, ha="right")
    ax.set_ylabel(e["features"][0])
    ax.set_xlabel(e["features"][1])
    mono = monotone_text(e)
    ax.set_title(e["term"] + (f"\n{mono}" if mono else ""), fontsize=8)
    fig.colorbar(im, ax=ax, label="contribution", shrink=0.85)
    return fig


def term_figures(report: AuditReport) -> Iterator[tuple[str, Any]]:
    """(key, matplotlib figure) per term of a glass box, drawn one at a time."""
    for e in _shapes(report):
        kind = e["term_kind"]
        if kind == "numeric":
            yield shape_key(e), _curve_figure(e, e["features"][0])
        elif kind == "neuron":
            yield shape_key(e), _curve_figure(e, "truth of the rule body (0 … 1)")
        elif kind == "categorical":
            yield shape_key(e), _bar_figure(e)
        elif kind == "pair":
            yield shape_key(e), _heat_figure(e)


# ----------------------------------------------------------------------------- tables
def shape_table(e: dict[str, Any]) -> Table:
    """The shape as a compact table: grid → contribution (and the share of training rows)."""
    if e["term_kind"] == "pair":
        return _pair_table(e)
    first = {"numeric": e["features"][0] if e["features"] else "value", "categorical": "level"}
    header = (first.get(e["term_kind"], "truth"), "contribution", "training share")
    density = e.get("density") or [None] * len(e["contribution"])
    rows = [
        (text(_tick(g)), text(f"{c:+.4f}"), text(_share(d)))
        for g, c, d in zip(e["grid"][0], e["contribution"], density, strict=True)
    ]
    if e.get("missing") is not None:
        rows.append((text("missing"), text(f"{e['missing']:+.4f}"), text("—")))
    return Table(header, tuple(rows))


def _pair_table(e: dict[str, Any]) -> Table:
    """Rows along the longer axis, columns along the shorter one."""
    (fa, fb), (a, b), z = e["features"], e["grid"], e["contribution"]
    if len(b) > len(a):
        (fa, fb), (a, b), z = (fb, fa), (b, a), [list(col) for col in zip(*z, strict=True)]
    header = (f"{fa} \\ {fb}", *(_tick(v) for v in b))
    rows = tuple((text(_tick(va)), *(text(f"{c:+.3f}") for c in row)) for va, row in zip(a, z, strict=True))
    return Table(header, rows)


# ----------------------------------------------------------------------------- blocks
def _facts(e: dict[str, Any]) -> Inline:
    parts = [f"{e['term_kind']} term; mean |contribution| on the test rows {fmt(e['value'])}"]
    if e["term_kind"] in ("neuron", "pair"):
        parts.append("reads " + ", ".join(e["features"]))
    mono = monotone_text(e)
    if mono:
        parts.append(mono)
    if e.get("missing") is not None:
        parts.append(f"missing value: {e['missing']:+.4f}")
    return text("; ".join(parts) + ".")


def _term(e: dict[str, Any]) -> Section:
    caption = f"{e['term']}: exact contribution to the logit"
    if e["term_kind"] in ("numeric", "neuron", "categorical"):
        caption += "; grey: share of the training rows"
    blocks: tuple[Block, ...] = (
        Heading(3, e["term"]),
        Para(_facts(e), "small"),
        Figure(shape_key(e), caption),
        Details("table of values", (shape_table(e),)),
    )
    return Section(slug(e["id"]), blocks, "shape")


def _interaction_blocks(report: AuditReport) -> list[Block]:
    ranking = report.evidence.get("ev:explain:interactions") or {}
    surfaces = ranking.get("surfaces") or []
    if not surfaces:
        return [Para(text("Interactions: " + (ranking.get("reason") or "none")), "small")]
    rows = tuple((code(s["term"]), text(fmt(s["mean_abs_contribution"])), text(fmt(s["range"]))) for s in surfaces)
    return [
        Heading(3, "Top interaction surfaces", slug(ranking["id"])),
        Table(("pair", "mean |contribution|", "range on the grid"), rows),
    ]


def glassbox_blocks(report: AuditReport) -> list[Block]:
    """The term-shapes section (empty for an MLP)."""
    shapes = _shapes(report)
    if not shapes:
        return []
    bias = next((e for e in shapes if e["term_kind"] == "bias"), None)
    intro = join(
        "The model is additive: logit = bias + the sum of the terms below, exactly (",
        code("ev:explain:row:*"),
        " shows the sum for example decisions). Bias: ",
        text(f"{bias['contribution'][0]:+.4f}" if bias else "—"),
        ". Monotone directions come from the rule file and hold by construction.",
    )
    terms = [_term(e) for e in shapes if e["term_kind"] != "bias"]
    blocks = (Heading(2, "Term shapes (glass box, exact)"), Para(intro), *_interaction_blocks(report))
    return [Section("term-shapes", (*blocks, Section("", tuple(terms), "shapes")))]


def exact_blocks(x: dict[str, Any]) -> list[Block]:
    """An example decision's exact contributions (largest first) and its main reasons."""
    terms = sorted(x["contributions"].items(), key=lambda kv: -abs(kv[1]))
    total = sum(v for _, v in terms)
    rows = tuple((code(k), text(f"{v:+.4f}")) for k, v in terms[:8])
    target = x.get("target")
    return [
        Table(("term", f"exact contribution to the logit{f' of {target}' if target else ''}"), rows),
        Para(
            text(
                f"The {len(rows)} largest of {len(terms)} terms; the sum of all = {total:+.4f}, "
                f"the network's logit = {x['logit']:+.4f}."
            ),
            "small",
        ),
        *reason_blocks(x["main_reasons"]),
    ]


def reason_blocks(reasons: dict[str, Any]) -> list[Block]:
    """The main reasons for the decision made: the hard rule that decided it, or the terms that
    pushed the row most towards the predicted class (reports before: towards the negative class)."""
    if reasons.get("decided_by"):
        return [
            Para(
                join(
                    f"Main reason for {fmt(reasons['decision'])}: the hard rule ",
                    code(str(reasons["decided_by"])),
                    f" ({reasons.get('rule') or 'see the rule file'}) decides this row; the network's terms above "
                    "do not change a decision a hard rule makes.",
                )
            )
        ]
    if "decision" in reasons:
        heading = f"Main reasons for {fmt(reasons['decision'])} (the predicted class): {reasons.get('measured_on', '')}"
        towards = f"towards {fmt(reasons['decision'])}, versus the average test row"
    else:
        heading, towards = (
            f"Main reasons towards {fmt(reasons.get('negative_decision'))}:",
            "versus the average test row",
        )
    of = f" to the logit of {reasons['logit_of']}" if reasons.get("logit_of") else ""
    reason_rows = tuple(
        (
            code(r["term"]),
            text(fmt(r["values"])),
            text(f"{r['contribution']:+.4f}"),
            text(f"{r['versus_average']:+.4f}"),
        )
        for r in reasons["reasons"]
    )
    return [
        Para(text(heading.rstrip(": ") + ":")),
        Table(("term", "value", f"contribution{of}", towards), reason_rows)
        if reason_rows
        else Para(text("none: no term pushes this row further towards it than it pushes the average test row")),
    ]
