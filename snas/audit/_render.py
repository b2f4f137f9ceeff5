"""Renderings of an AuditReport: Markdown, a self-contained HTML page, PDF (headless Chromium).

Everything is drawn from the report's JSON; figures are PNGs embedded as data URIs; element
ids derive from evidence ids, so the same report gives byte-identical pages.
"""

from __future__ import annotations

import base64
import html
import io
import math
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from snas.audit._blocks import (
    Block,
    Figure,
    Heading,
    Items,
    Para,
    Section,
    Table,
    cell,
    code,
    fmt,
    join,
    link,
    missing,
    present,
    strong,
    text,
    to_html,
    to_markdown,
)
from snas.audit._blocks import slug as _slug
from snas.audit._fields import field_label, render_field
from snas.audit._render_glassbox import exact_blocks, glassbox_blocks, term_figures
from snas.audit._render_impact import impact_blocks
from snas.audit._report import AuditReport
from snas.audit._sections import SECTIONS
from snas.audit._summary import summarise, summary_blocks

__all__ = ["render_html", "render_markdown", "render_pdf"]

# evidence kinds shown in their own sections rather than in the evidence table
_NOT_TABULAR = (
    "search_history",
    "local_explanation",
    "rule_fidelity_by_group",
    "global_explanation",
    "term_shape",
    "interactions",
    "calibration",
    "data_profile",
    "rule_impact",
    "shield_impact",
)


# ----------------------------------------------------------------------------- figures
def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _complexity(record: dict[str, Any]) -> float:
    """The search's complexity objective of a candidate (reports before it was recorded: parameters)."""
    value = record.get("complexity")
    return float(record["parameters"] if value is None else value)


def _plotted(record: dict[str, Any], key: str) -> tuple[float, float] | None:
    """A candidate's (complexity, metric) when both can be drawn on the figure's axes, else None."""
    value = record.get(key)
    try:
        x = _complexity(record)
    except (KeyError, TypeError, ValueError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return (x, float(value)) if math.isfinite(x) and x > 0 else None


def _pareto_figure(search: dict[str, Any]) -> Any:
    """Every stand-alone candidate with a finite metric and complexity; the others are counted
    in the title (a history with none to draw gets a figure that says so, never an error)."""
    import matplotlib.pyplot as plt

    auc = search.get("metric") == "roc_auc"  # the axis is the metric the search selected on
    key = "roc_auc" if auc else "accuracy"
    label = "validation ROC-AUC" if auc else "validation accuracy"
    stand = [r for r in search["candidates"] if isinstance(r, dict) and r.get("fidelity") == "stand-alone"]
    c = [r for r in stand if _plotted(r, key) is not None]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    if not c:
        ax.text(
            0.5,
            0.5,
            f"none of the {len(stand)} stand-alone candidates has a finite {label}\n"
            "and complexity: nothing to plot (the search history lists them)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
        ax.set_axis_off()
        return fig
    if len(c) < len(stand):
        ax.set_title(f"{len(stand) - len(c)} of {len(stand)} candidates have no finite {label}: not drawn", fontsize=8)
    sc = ax.scatter(
        [_complexity(r) for r in c],
        [r[key] for r in c],
        c=[r.get("f_soft") or 1 for r in c],
        cmap="viridis",
        s=18,
        label="candidates",
    )
    front = [r for r in c if r.get("on_front")]
    ax.scatter(
        [_complexity(r) for r in front],
        [r[key] for r in front],
        facecolors="none",
        edgecolors="black",
        s=60,
        label="Pareto front",
    )
    sel = [r for r in c if r.get("number") == search.get("selected")]
    if sel:
        ax.scatter([_complexity(sel[0])], [sel[0][key]], marker="*", s=220, color="crimson", label="selected")
    ax.set_xscale("log")
    ax.set_xlabel("complexity (glass box: terms, 3 per pair; MLP: parameters)")
    ax.set_ylabel(label)
    fig.colorbar(sc, ax=ax, label="F_soft")
    ax.legend(loc="lower right", fontsize=7)
    return fig


def _calibration_figure(cal: dict[str, Any]) -> Any:
    import matplotlib.pyplot as plt

    rel = [r for r in cal["reliability"] if r["n"]]
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
    ax.plot([r["mean_predicted"] for r in rel], [r["observed_rate"] for r in rel], marker="o")
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed rate")
    ax.set_title(f"reliability (ECE {cal['value']:.3f})")
    return fig


def _importance_figure(importance: dict[str, Any], xlabel: str) -> Any:
    import matplotlib.pyplot as plt

    items = sorted(importance["value"].items(), key=lambda kv: kv[1])
    fig, ax = plt.subplots(figsize=(5, 0.28 * len(items) + 0.8))
    ax.barh([k for k, _ in items], [v for _, v in items], color="#4c72b0")
    ax.set_xlabel(xlabel)
    return fig


def _groups_figure(sel: list[dict[str, Any]]) -> Any:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 0.25 * len(sel) + 0.8))
    vals = [e["value"] or 0 for e in sel]
    err = [
        [max(0, (e["value"] or 0) - (e["ci95"][0] or 0)) for e in sel],
        [max(0, (e["ci95"][1] or 0) - (e["value"] or 0)) for e in sel],
    ]
    ax.barh([f"{e['attribute']}={e['group']}" for e in sel], vals, xerr=err, color="#dd8452")
    chosen = repr(sel[0]["positive_class"]) if sel[0].get("positive_class") else "positive"
    ax.set_xlabel(f"selection rate (share predicted {chosen}), 95% CI")
    return fig


def figures(report: AuditReport) -> dict[str, str]:
    """PNG data URIs drawn from the report's data (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "snas"})
    ev = report.evidence
    out: dict[str, str] = {}
    search = ev.get("ev:search:candidates")
    if search and search.get("candidates"):
        out["fig:pareto"] = _png(_pareto_figure(search))
    if ev.get("ev:calibration"):
        out["fig:calibration"] = _png(_calibration_figure(ev["ev:calibration"]))
    if ev.get("ev:explain:global_shap"):
        chosen = (ev.get("ev:metric:base_rate") or {}).get("positive_class", "positive")
        out["fig:shap"] = _png(_importance_figure(ev["ev:explain:global_shap"], f"mean |SHAP| on P({chosen})"))
    if ev.get("ev:explain:global_importance"):
        importance = ev["ev:explain:global_importance"]
        out["fig:importance"] = _png(_importance_figure(importance, "mean |contribution| to the logit (exact)"))
    out.update((key, _png(fig)) for key, fig in term_figures(report))
    sel = [
        e
        for e in report.body["evidence"]
        if e["kind"] == "group_metric" and e["metric"] == "selection_rate" and "×" not in e["attribute"]
    ]
    if sel:
        out["fig:groups"] = _png(_groups_figure(sel))
    return out


# ----------------------------------------------------------------------------- page
_FIGURES = (
    ("fig:pareto", "Search: every evaluated candidate, the Pareto front and the selected model"),
    ("fig:calibration", "Calibration"),
    ("fig:groups", "Selection rate per group"),
    ("fig:shap", "Global explanation (permutation SHAP)"),
    ("fig:importance", "Global explanation (exact: mean |term contribution| to the logit on the test split)"),
)
_EXPLANATION_FIGURES = {"fig:shap": "ev:explain:global_shap", "fig:importance": "ev:explain:global_importance"}
EVIDENCE_REFS = 12  # evidence ids listed under a section (all of them are in the Evidence table)


def _title(report: AuditReport) -> list[Block]:
    b = report.body
    return [
        Heading(1, f"Technical documentation — {b['system']['name']}"),
        Para(
            join(
                "Report ",
                code(report.report_id),
                f" · schema {b['schema_version']} · model ",
                code(b["provenance"]["model"]["sha256"][:16] + "…"),
                " · EU AI Act Annex IV and Art. 13",
            ),
            "small",
        ),
    ]


_FIELD_ORDER = {sid: [*auto, *human] for sid, _, auto, human, _ in SECTIONS}


def _section(sid: str, s: dict[str, Any]) -> Section:
    rows, classes, details = [], [], []
    order = _FIELD_ORDER.get(sid, [])
    for name in sorted(s["fields"], key=lambda n: order.index(n) if n in order else len(order)):
        f = s["fields"][name]
        inline, blocks = render_field(name, f)
        rows.append((text(field_label(name)), text(f["status"]), inline or text("below")))
        classes.append(f["status"])
        if blocks:
            details += [Heading(3, f"{field_label(name)} ({f['status']})"), *blocks]
    out: list[Block] = [
        Heading(2, f"{sid} — {s['title']}", _slug(sid)),
        Table(("field", "status", "value"), tuple(rows), row_classes=tuple(classes)),
        *details,
    ]
    refs = s["evidence"]
    if refs:
        more = f" and {len(refs) - EVIDENCE_REFS} more (see Evidence)" if len(refs) > EVIDENCE_REFS else ""
        out.append(Para(join("Evidence: ", join(*(link(r) for r in refs[:EVIDENCE_REFS]), sep=", "), more), "small"))
    return Section("", tuple(out))


def _evidence_table(report: AuditReport) -> list[Block]:
    rows, ids, classes = [], [], []
    for x in report.body["evidence"]:
        if x["kind"] in _NOT_TABULAR:
            continue
        ci = x.get("ci95")
        rows.append(
            (
                code(x["id"]),
                cell(x["value"]),
                text("" if not ci or ci[0] is None else f"[{fmt(ci[0])}, {fmt(ci[1])}]"),
                text(fmt(x.get("n")) if x.get("n") is not None else ""),
                text(x.get("criterion") or (fmt(x.get("threshold")) if "threshold" in x else "")),
                text(fmt(x.get("pass"))),
            )
        )
        ids.append(_slug(x["id"]))
        classes.append("" if x.get("pass") is None else ("pass" if x["pass"] else "fail"))
    return [
        Heading(2, "Evidence", "evidence"),
        Table(("id", "value", "95% CI", "n", "threshold", "pass"), tuple(rows), tuple(ids), tuple(classes)),
    ]


def _search_history(report: AuditReport) -> list[Block]:
    search = report.evidence.get("ev:search:candidates")
    if not search:
        return []
    if search.get("status") == "not_applicable":
        return [
            Heading(2, "Search history", _slug(search["id"])),
            Para(join("not applicable: ", text(search.get("reason") or ""))),
        ]
    auc = search.get("metric") == "roc_auc"  # the search selected on ROC-AUC: shown beside accuracy
    rows = tuple(
        (
            text(f"{r['number']}{' ★' if r['number'] == search.get('selected') else ''}"),
            text(r["fidelity"]),
            text(r["architecture"] or "—"),
            *((text(fmt(r.get("roc_auc"))),) if auc else ()),
            text(fmt(r["accuracy"])),
            text(fmt(_complexity(r))),
            text(fmt(r["parameters"])),
            text(fmt(r["f_soft"])),
            text("yes" if r["on_front"] else ""),
        )
        for r in search["candidates"]
    )
    header = (
        "#",
        "fidelity",
        "architecture",
        *(("val. ROC-AUC (selection metric)",) if auc else ()),
        "val. accuracy",
        "complexity",
        "parameters",
        "F_soft",
        "front",
    )
    reason = search.get("reason") or ""
    if auc and "ROC-AUC" not in reason:  # a reason recorded before it named the metric
        reason += " (validation error = 1 − ROC-AUC, the metric the search selected on)"
    return [
        Heading(2, "Search history", _slug(search["id"])),
        Para(text(reason)),
        Table(header, rows),
    ]


def _examples(report: AuditReport) -> list[Block]:
    out: list[Block] = [Heading(2, "Example decisions", "examples")]
    for x in report.body["evidence"]:
        if x["kind"] != "local_explanation":
            continue
        cf = x["counterfactual"]
        change = (
            ", ".join(f"{c['feature']}: {fmt(c['from'])} → {fmt(c['to'])}" for c in cf.get("changes", []))
            or "none found"
        )
        if cf.get("new_decision") is not None:
            via = f", through hard rule {cf['through_rule']}" if cf.get("through_rule") else ""
            change += f" (then predicted {cf['new_decision']}{via})"
        blocks: list[Block] = [
            Heading(3, f"Row {x['row']}"),
            Para(
                join(
                    "Predicted ",
                    strong(x["prediction"]),
                    f" (P({x['probability_of']}) {x.get('probability_text') or '= ' + fmt(x['value'])})"
                    if x.get("probability_of")
                    else f" (P {x.get('probability_text') or '= ' + fmt(x['value'])})",
                    f", actual {x['actual']}. Decided by: ",
                    strong(x["deciding_rule"] or "the network"),
                    f". Counterfactual: {change}.",
                )
            ),
            *(exact_blocks(x) if "contributions" in x else _shap_blocks(x)),
        ]
        if x["knowledge_neurons"]:
            neurons = ", ".join(f"{k} {v:.2f}" for k, v in x["knowledge_neurons"].items())
            blocks.append(Para(text(f"Knowledge neurons: {neurons}"), "small"))
        out.append(Section(_slug(x["id"]), tuple(blocks)))
    return out


def _shap_blocks(x: dict[str, Any]) -> list[Block]:
    top = sorted(x["shap"].items(), key=lambda kv: -abs(kv[1]))[:5]
    on = f" on P({x['target']})" if x.get("target") else ""
    return [Table((f"top SHAP{on}", "value"), tuple((code(k), text(f"{v:+.4f}")) for k, v in top))]


def _figure_blocks(report: AuditReport) -> list[Block]:
    """The report's figures; an explanation figure only when its evidence exists."""
    ev = report.evidence
    captions = dict(_FIGURES)
    rate = next(
        (e for e in report.body["evidence"] if e["kind"] == "group_metric" and e["metric"] == "selection_rate"), None
    )
    if rate is not None and rate.get("definition"):
        captions["fig:groups"] += f" ({rate['definition']})"
    return [
        Figure(k, captions[k]) for k, _ in _FIGURES if k not in _EXPLANATION_FIGURES or _EXPLANATION_FIGURES[k] in ev
    ]


def _risk_register(report: AuditReport) -> list[Block]:
    register = report.body["risk_register"]
    rows = tuple(
        (
            code(r["id"]),
            text(r["finding"]),
            link(r["evidence"]),
            text(fmt(r.get("owner"))) if r.get("owner") else missing("⚠ to be completed"),
            text(fmt(r.get("mitigation"))) if r.get("mitigation") else missing("⚠ to be completed"),
        )
        for r in register
    )
    table = Table(("id", "finding", "evidence", "owner", "mitigation"), rows, tuple(_slug(r["id"]) for r in register))
    return [
        Heading(2, "Risk register (pre-filled from flagged checks)", "risk-register"),
        table if rows else Para(text("no check was flagged")),
    ]


def _closing(report: AuditReport) -> list[Block]:
    b = report.body
    states = [report.approval_state(a) for a in b["approvals"]]
    approvals = Table(
        ("role", "name", "date", "approves"),
        tuple(
            (
                text(a["role"] or ""),
                text(a["name"]) if a["name"] else missing(),
                text(fmt(a["date"])),
                text(_APPROVES[state]) if state in ("this report", "not given") else missing(_APPROVES[state]),
            )
            for a, state in zip(b["approvals"], states, strict=True)
        ),
        row_classes=tuple("human" if state == "this report" else "missing" for state in states),
    )
    return [
        Heading(2, "Provenance", "provenance"),
        *present(b["provenance"]),
        Heading(2, "Approvals", "approvals"),
        approvals,
        Para(
            join(
                "An approval names the content it approves (content_id in the documentation file); this report's "
                "content id is ",
                code(report.content_id),
                " — any change of evidence, of the model, data, rules or environment, or of a written field changes "
                "it. Naming it is not a signature: anyone can compute it and write a name beside it.",
            )
        ),
    ]


#: What the approvals table says for each :meth:`AuditReport.approval_state`.
_APPROVES = {
    "this report": "names this report's content (unsigned)",
    "other content": "⚠ other content (an earlier version, or the run's other report): review and approve again",
    "not bound": "⚠ no content named: add content_id to the approval",
    "not given": "—",
}


def report_blocks(report: AuditReport) -> list[Block]:
    """The whole report as blocks, summary first (the same content for Markdown and HTML)."""
    sections = report.body["sections"]
    contents = Items(tuple(join(link(sid), " ", s["title"]) for sid, s in sections.items()))
    return [
        *_title(report),
        *summary_blocks(summarise(report)),
        Section("figures", (Heading(2, "Figures"), *_figure_blocks(report))),
        Section("contents", (Heading(2, "Sections"), contents), "toc"),
        *(_section(sid, s) for sid, s in sections.items()),
        *_evidence_table(report),
        *impact_blocks(report),
        *_search_history(report),
        *glassbox_blocks(report),
        *_examples(report),
        *_risk_register(report),
        *_closing(report),
    ]


def render_markdown(report: AuditReport) -> str:
    """CommonMark with GitHub tables: every structured field as a table or list, text escaped
    (figures are in the HTML page)."""
    return "\n".join(to_markdown(report_blocks(report))).rstrip("\n") + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .45rem;vertical-align:top;text-align:left}
th{background:#f3f3f3}.missing{color:#b00020;font-weight:600}tr.missing td:nth-child(2){color:#b00020;font-weight:600}
tr.auto td:nth-child(2){color:#2b6}tr.human td:nth-child(2){color:#26b}tr.not_applicable td:nth-child(2){color:#888}
.fail{background:#fde8e8}.pass{background:#eaf7ea}code{font-size:.8rem;overflow-wrap:anywhere}img{max-width:100%}
.toc ul{columns:2;font-size:.85rem}.small{font-size:.8rem;color:#555}
.summary{border:1px solid #ccc;border-radius:6px;padding:.2rem 1rem .6rem;background:#fafafa}
.shapes{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.6rem}
.shape{border:1px solid #e3e3e3;border-radius:4px;padding:0 .5rem .4rem}.shape figure{margin:.2rem 0}
details summary{cursor:pointer;font-size:.8rem;color:#555}
.summary h2{margin-top:.6rem}.summary ul{margin:.2rem 0;padding-left:1.2rem}.summary li{margin:.1rem 0}
@media print{
@page{size:A4;margin:12mm}
body{margin:0;max-width:none;font-size:9.5pt}
.summary{border:none;padding:0;background:none;break-after:page;page-break-after:always}
h1,h2,h3{break-after:avoid;page-break-after:avoid}
table{break-inside:auto}
tr,td,th,figure,img{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
tfoot{display:table-footer-group}
a{color:inherit;text-decoration:none}
}
"""


def render_html(report: AuditReport, figs: dict[str, str] | None = None) -> str:
    """A self-contained page: inline CSS and images, no scripts, no network requests; the
    summary is the first section, and the print CSS keeps table rows whole across pages."""
    figs = figures(report) if figs is None else figs
    name = html.escape(report.body["system"]["name"])
    run_info = Section(
        "run-info", (Heading(2, "Run information (timings; not part of the content hash)"), *present(report.run_info))
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Technical documentation — {name}</title>",
        f"<style>{_CSS}</style></head><body>",
        *to_html(report_blocks(report), figs),
        *to_html([run_info], figs),
        "</body></html>",
    ]
    return "\n".join(out) + "\n"


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def render_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print the HTML page to PDF with headless Chromium (no network, no downloaded fonts)."""
    exe = chromium()
    if exe is None:
        from snas.exceptions import ConfigError

        raise ConfigError(
            "PDF needs Chromium (Debian: apt-get install chromium); the HTML report prints to PDF as well"
        )
    from snas.exceptions import ConfigError

    tmp = pdf_path.with_suffix(".pdf.tmp")
    with tempfile.TemporaryDirectory() as profile:
        try:
            subprocess.run(
                [
                    exe,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={profile}",
                    "--no-pdf-header-footer",
                    f"--print-to-pdf={tmp}",
                    html_path.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            tmp.replace(pdf_path)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            pdf_path.unlink(missing_ok=True)  # an earlier audit's PDF never stays beside this report
            detail = getattr(exc, "stderr", None) or b""
            last = detail.decode("utf-8", "replace").strip().splitlines()[-1:] if isinstance(detail, bytes) else []
            raise ConfigError(
                f"PDF: Chromium ({exe}) could not print {html_path} ({type(exc).__name__}"
                f"{': ' + last[0][:200] if last else ''}); the HTML report is written and prints to PDF from any browser"
            ) from None
        finally:
            tmp.unlink(missing_ok=True)
