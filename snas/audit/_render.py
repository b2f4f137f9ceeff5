"""Renderings of an AuditReport: Markdown, a self-contained HTML page, PDF (headless Chromium).

Everything is drawn from the report's JSON; figures are PNGs embedded as data URIs; element
ids derive from evidence ids, so the same report gives byte-identical pages.
"""

from __future__ import annotations

import base64
import html
import io
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from snas._util import atomic_write_bytes, atomic_write_text
from snas.audit._report import AuditReport

__all__ = ["render_html", "render_markdown", "write_reports"]

MISSING = "⚠ missing — to be completed by the provider"
# evidence kinds shown in their own sections rather than in the evidence table
_NOT_TABULAR = (
    "search_history",
    "local_explanation",
    "rule_fidelity_by_group",
    "global_explanation",
    "calibration",
    "data_profile",
)


def _fmt(v: Any, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)[:600]
    return str(v)


def _ci(e: dict[str, Any]) -> str:
    ci = e.get("ci95")
    return f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci and ci[0] is not None else ""


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in s).strip("-").lower()


# ----------------------------------------------------------------------------- figures
def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def figures(report: AuditReport) -> dict[str, str]:
    """PNG data URIs drawn from the report's data (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.hashsalt": "snas"})
    ev = report.evidence
    out: dict[str, str] = {}
    search = ev.get("ev:search:candidates")
    if search:
        c = [r for r in search["candidates"] if r["fidelity"] == "stand-alone"]
        fig, ax = plt.subplots(figsize=(6, 3.6))
        sc = ax.scatter(
            [r["parameters"] for r in c],
            [r["accuracy"] for r in c],
            c=[r["f_soft"] or 1 for r in c],
            cmap="viridis",
            s=18,
            label="candidates",
        )
        front = [r for r in c if r["on_front"]]
        ax.scatter(
            [r["parameters"] for r in front],
            [r["accuracy"] for r in front],
            facecolors="none",
            edgecolors="black",
            s=60,
            label="Pareto front",
        )
        sel = [r for r in c if r["number"] == search.get("selected")]
        if sel:
            ax.scatter(
                [sel[0]["parameters"]], [sel[0]["accuracy"]], marker="*", s=220, color="crimson", label="selected"
            )
        ax.set_xscale("log")
        ax.set_xlabel("trainable parameters")
        ax.set_ylabel("validation accuracy")
        fig.colorbar(sc, ax=ax, label="F_soft")
        ax.legend(loc="lower right", fontsize=7)
        out["fig:pareto"] = _png(fig)
    cal = ev.get("ev:calibration")
    if cal:
        rel = [r for r in cal["reliability"] if r["n"]]
        fig, ax = plt.subplots(figsize=(3.6, 3.4))
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1)
        ax.plot([r["mean_predicted"] for r in rel], [r["observed_rate"] for r in rel], marker="o")
        ax.set_xlabel("mean predicted probability")
        ax.set_ylabel("observed rate")
        ax.set_title(f"reliability (ECE {cal['value']:.3f})")
        out["fig:calibration"] = _png(fig)
    shap = ev.get("ev:explain:global_shap")
    if shap:
        items = sorted(shap["value"].items(), key=lambda kv: kv[1])
        fig, ax = plt.subplots(figsize=(5, 0.28 * len(items) + 0.8))
        ax.barh([k for k, _ in items], [v for _, v in items], color="#4c72b0")
        ax.set_xlabel("mean |SHAP| on P(positive)")
        out["fig:shap"] = _png(fig)
    sel = [
        e
        for e in report.body["evidence"]
        if e["kind"] == "group_metric" and e["metric"] == "selection_rate" and "×" not in e["attribute"]
    ]
    if sel:
        fig, ax = plt.subplots(figsize=(6, 0.25 * len(sel) + 0.8))
        labels = [f"{e['attribute']}={e['group']}" for e in sel]
        vals = [e["value"] or 0 for e in sel]
        err = [
            [max(0, (e["value"] or 0) - (e["ci95"][0] or 0)) for e in sel],
            [max(0, (e["ci95"][1] or 0) - (e["value"] or 0)) for e in sel],
        ]
        ax.barh(labels, vals, xerr=err, color="#dd8452")
        ax.set_xlabel("selection rate (share predicted positive), 95% CI")
        out["fig:groups"] = _png(fig)
    return out


# ----------------------------------------------------------------------------- markdown
def render_markdown(report: AuditReport) -> str:
    """GitHub-flavoured Markdown (figures omitted; see the HTML page)."""
    b = report.body
    ev = report.evidence
    lines = [
        f"# Technical documentation — {b['system']['name']}",
        "",
        f"Report `{report.report_id}` · schema {b['schema_version']} · model `{b['provenance']['model']['sha256'][:16]}…`",
        "",
    ]
    missing = report.missing_fields()
    lines += [
        f"**Completeness:** {len(missing)} field(s) still {MISSING.split(' — ')[0].lstrip('⚠ ')} — see `snas audit validate`.",
        "",
    ]
    lines += ["## Headline results", "", "| metric | value | 95% CI | n |", "|---|---|---|---|"]
    for k in ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier"):
        e = ev[f"ev:metric:{k}"]
        lines.append(f"| {k} | {_fmt(e['value'])} | {_ci(e)} | {e.get('n', '')} |")
    rs = ev.get("ev:rules:summary")
    if rs:
        lines += [
            "",
            f"Hard-rule violations: **{rs['hard_violations']}** · micro compliance {_fmt(rs['value'])} · "
            f"F_soft {_fmt(rs['f_soft'])}",
            "",
        ]
    for sid, s in b["sections"].items():
        lines += ["", f"## {sid} — {s['title']}", ""]
        for name, f in s["fields"].items():
            val = MISSING if f["status"] == "missing" else _fmt(f["value"])
            lines.append(f"- **{name}** ({f['status']}): {val}")
        if s["evidence"]:
            lines.append(
                f"- evidence: {', '.join('`' + e + '`' for e in s['evidence'][:40])}"
                + (f" and {len(s['evidence']) - 40} more" if len(s["evidence"]) > 40 else "")
            )
    lines += ["", "## Evidence", "", "| id | value | 95% CI | n | pass |", "|---|---|---|---|---|"]
    for e in b["evidence"]:
        if e["kind"] in _NOT_TABULAR:
            continue
        lines.append(f"| `{e['id']}` | {_fmt(e['value'])} | {_ci(e)} | {e.get('n', '')} | {_fmt(e.get('pass'))} |")
    lines += ["", "## Risk register (pre-filled from flagged checks)", ""]
    lines += [
        f"- `{r['id']}`: {r['finding']} (evidence `{r['evidence']}`; owner and mitigation: {MISSING})"
        for r in b["risk_register"]
    ] or ["- no check was flagged"]
    lines += ["", "## Example decisions", ""]
    for e in b["evidence"]:
        if e["kind"] == "local_explanation":
            cf = e["counterfactual"]
            change = (
                ", ".join(f"{c['feature']}: {c['from']} → {c['to']}" for c in cf.get("changes", [])) or "none found"
            )
            top = sorted(e["shap"].items(), key=lambda kv: -abs(kv[1]))[:3]
            lines.append(
                f"- row {e['row']}: predicted {e['prediction']} (P = {_fmt(e['value'])}), actual {e['actual']}; "
                f"decided by rule: {e['deciding_rule'] or 'network'}; top SHAP: "
                + ", ".join(f"{k} {v:+.3f}" for k, v in top)
                + f"; counterfactual: {change}"
            )
    lines += ["", "## Approvals", ""]
    lines += [f"- {a['role']}: {a['name'] or MISSING} ({a['date'] or 'undated'})" for a in b["approvals"]]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- html
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .45rem;vertical-align:top}
th{background:#f3f3f3}.missing{color:#b00020;font-weight:600}.auto{color:#2b6}.human{color:#26b}.na{color:#888}
.fail{background:#fde8e8}.pass{background:#eaf7ea}code{font-size:.8rem}img{max-width:100%}
.toc{columns:2;font-size:.85rem}.small{font-size:.8rem;color:#555}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}table{page-break-inside:auto}}
"""


def render_html(report: AuditReport, figs: dict[str, str] | None = None) -> str:
    """A self-contained page: inline CSS and images, no scripts, no network requests."""
    b = report.body
    ev = report.evidence
    figs = figures(report) if figs is None else figs
    e_ = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Technical documentation — {e_(b['system']['name'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Technical documentation — {e_(b['system']['name'])}</h1>",
        f'<p class="small">Report <code>{e_(report.report_id)}</code> · schema {e_(b["schema_version"])} · '
        f"model <code>{e_(b['provenance']['model']['sha256'])}</code> · EU AI Act Annex IV and Art. 13</p>",
    ]
    missing = report.missing_fields()
    out.append(
        f'<p><b>Completeness:</b> <span class="{"missing" if missing else "auto"}">{len(missing)} field(s) '
        "to be completed by the provider</span> (run <code>snas audit validate</code>).</p>"
    )
    out.append(
        '<h2 id="headline">Headline results (test split)</h2><table><tr><th>metric</th><th>value</th><th>95% CI</th><th>n</th></tr>'
    )
    for k in ("accuracy", "balanced_accuracy", "roc_auc", "log_loss", "brier"):
        x = ev[f"ev:metric:{k}"]
        out.append(
            f'<tr id="{_slug(x["id"])}"><td>{k}</td><td>{_fmt(x["value"])}</td><td>{_ci(x)}</td><td>{x.get("n", "")}</td></tr>'
        )
    out.append("</table>")
    rs = ev.get("ev:rules:summary")
    if rs:
        out.append(
            f"<p>Hard-rule violations: <b>{rs['hard_violations']}</b> · micro compliance {_fmt(rs['value'])} · "
            f"F_soft {_fmt(rs['f_soft'])}</p>"
        )
    for key, caption in (
        ("fig:pareto", "Search: every evaluated candidate, the Pareto front and the selected model"),
        ("fig:calibration", "Calibration"),
        ("fig:groups", "Selection rate per group"),
        ("fig:shap", "Global explanation (permutation SHAP)"),
    ):
        if key in figs:
            out.append(
                f'<figure id="{_slug(key)}"><img alt="{e_(caption)}" src="{figs[key]}"><figcaption class="small">{e_(caption)}</figcaption></figure>'
            )
    out.append('<h2 id="contents">Sections</h2><ul class="toc">')
    for sid, s in b["sections"].items():
        out.append(f'<li><a href="#{_slug(sid)}">{e_(sid)}</a> {e_(s["title"])}</li>')
    out.append("</ul>")
    for sid, s in b["sections"].items():
        out.append(
            f'<h2 id="{_slug(sid)}">{e_(sid)} — {e_(s["title"])}</h2><table><tr><th>field</th><th>status</th><th>value</th></tr>'
        )
        for name, f in s["fields"].items():
            cls = {"auto": "auto", "human": "human", "missing": "missing", "not_applicable": "na"}[f["status"]]
            val = MISSING if f["status"] == "missing" else _fmt(f["value"])
            out.append(f'<tr><td>{e_(name)}</td><td class="{cls}">{f["status"]}</td><td>{e_(val)}</td></tr>')
        out.append("</table>")
        if s["evidence"]:
            links = ", ".join(f'<a href="#{_slug(x)}"><code>{e_(x)}</code></a>' for x in s["evidence"][:60])
            more = f" and {len(s['evidence']) - 60} more" if len(s["evidence"]) > 60 else ""
            out.append(f'<p class="small">Evidence: {links}{more}</p>')
    out.append(
        '<h2 id="evidence">Evidence</h2><table><tr><th>id</th><th>value</th><th>95% CI</th><th>n</th><th>threshold</th><th>pass</th></tr>'
    )
    for x in b["evidence"]:
        if x["kind"] in _NOT_TABULAR:
            continue
        cls = "" if x.get("pass") is None else (' class="pass"' if x["pass"] else ' class="fail"')
        out.append(
            f'<tr id="{_slug(x["id"])}"{cls}><td><code>{e_(x["id"])}</code></td><td>{e_(_fmt(x["value"]))}</td>'
            f"<td>{_ci(x)}</td><td>{x.get('n', '')}</td><td>{_fmt(x.get('threshold'))}</td><td>{_fmt(x.get('pass'))}</td></tr>"
        )
    out.append("</table>")
    search = ev.get("ev:search:candidates")
    if search:
        out.append(
            f'<h2 id="{_slug(search["id"])}">Search history</h2><p>{e_(str(search.get("reason") or ""))}</p>'
            "<table><tr><th>#</th><th>fidelity</th><th>architecture</th><th>val. accuracy</th><th>parameters</th><th>F_soft</th><th>front</th></tr>"
        )
        for r in search["candidates"]:
            mark = " ★" if r["number"] == search.get("selected") else ""
            out.append(
                f"<tr><td>{r['number']}{mark}</td><td>{r['fidelity']}</td><td>{e_(r['architecture'])}</td><td>{_fmt(r['accuracy'])}</td>"
                f"<td>{r['parameters']}</td><td>{_fmt(r['f_soft'])}</td><td>{'yes' if r['on_front'] else ''}</td></tr>"
            )
        out.append("</table>")
    out.append('<h2 id="examples">Example decisions</h2>')
    for x in b["evidence"]:
        if x["kind"] != "local_explanation":
            continue
        cf = x["counterfactual"]
        change = ", ".join(f"{c['feature']}: {c['from']} → {c['to']}" for c in cf.get("changes", [])) or "none found"
        top = sorted(x["shap"].items(), key=lambda kv: -abs(kv[1]))[:5]
        out.append(
            f'<div id="{_slug(x["id"])}"><h3>Row {x["row"]}</h3><p>Predicted <b>{e_(str(x["prediction"]))}</b> '
            f"(P = {_fmt(x['value'])}), actual {e_(str(x['actual']))}. Decided by: "
            f"<b>{e_(x['deciding_rule'] or 'the network')}</b>. Counterfactual: {e_(change)}.</p>"
            "<table><tr><th>top SHAP</th><th>value</th></tr>"
            + "".join(f"<tr><td>{e_(k)}</td><td>{v:+.4f}</td></tr>" for k, v in top)
            + "</table>"
            + (
                '<p class="small">Knowledge neurons: '
                + e_(", ".join(f"{k} {v:.2f}" for k, v in x["knowledge_neurons"].items()))
                + "</p>"
                if x["knowledge_neurons"]
                else ""
            )
            + "</div>"
        )
    out.append(
        '<h2 id="risk-register">Risk register (pre-filled from flagged checks)</h2><table><tr><th>id</th><th>finding</th><th>owner / mitigation</th></tr>'
    )
    for r in b["risk_register"]:
        out.append(
            f'<tr id="{_slug(r["id"])}"><td><code>{e_(r["id"])}</code></td><td>{e_(r["finding"])}</td><td class="missing">{MISSING}</td></tr>'
        )
    out.append(
        '</table><h2 id="provenance">Provenance</h2><pre class="small">'
        + e_(json.dumps(b["provenance"], indent=2, sort_keys=True))
        + "</pre>"
    )
    out.append('<h2 id="approvals">Approvals</h2><table><tr><th>role</th><th>name</th><th>date</th></tr>')
    for a in b["approvals"]:
        out.append(
            f'<tr><td>{e_(a["role"] or "")}</td><td class="{"human" if a["name"] else "missing"}">{e_(a["name"] or MISSING)}</td><td>{e_(str(a["date"] or ""))}</td></tr>'
        )
    out.append("</table>")
    out.append(
        '<section id="run-info"><h2>Run information (timings; not part of the content hash)</h2><pre class="small">'
        + e_(json.dumps(report.run_info, indent=2, sort_keys=True))
        + "</pre></section>"
    )
    out.append("</body></html>")
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
    with tempfile.TemporaryDirectory() as profile:
        tmp = pdf_path.with_suffix(".pdf.tmp")
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


def write_reports(
    run_dir: str | Path,
    *,
    formats: tuple[str, ...] = ("json", "md", "html"),
    documentation: str | Path | None = None,
    data_dir: str | None = None,
    parent: str | Path | None = None,
    progress: bool = False,
) -> dict[str, Path]:
    """Build the report for a run and write the requested renderings under ``RUN/reports``."""
    from snas.audit._build import build_report

    run = Path(run_dir)
    if documentation is not None:  # the run keeps its own copy, so verify can re-hash it
        if Path(documentation).resolve() != (run / "documentation.yaml").resolve():
            shutil.copyfile(documentation, run / "documentation.yaml")
        documentation = run / "documentation.yaml"
    report = build_report(run, documentation=documentation, data_dir=data_dir, parent=parent, progress=progress)
    outdir = run / "reports"
    outdir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    atomic_write_text(outdir / "report.json", report.to_json())
    paths["json"] = outdir / "report.json"
    if "md" in formats:
        atomic_write_text(outdir / "report.md", render_markdown(report))
        paths["md"] = outdir / "report.md"
    if "html" in formats or "pdf" in formats:
        atomic_write_bytes(outdir / "report.html", render_html(report).encode("utf-8"))
        paths["html"] = outdir / "report.html"
    if "pdf" in formats:
        render_pdf(outdir / "report.html", outdir / "report.pdf")
        paths["pdf"] = outdir / "report.pdf"
    return paths
