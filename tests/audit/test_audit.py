"""The audit report on a real (small) run: completeness, independent recomputation,
schema, determinism, verify, diff, and rendering in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from snas.audit import AuditReport, diff_reports, verify_run, write_reports
from snas.audit._blocks import md_escape
from snas.audit._render import CHROMIUM_FLAGS, chromium
from snas.audit._sections import ANNEX_IV_ITEMS, ART13_ITEMS, SECTIONS
from snas.cli import main
from snas.search import load_config, search

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "audit" / "census_income.yaml"


@pytest.fixture
def run(audit_run):
    return audit_run


def _report(run: Path) -> AuditReport:
    return AuditReport.from_json((run / "reports" / "report.json").read_text())


def test_every_legal_item_present_with_a_status(run):
    report = _report(run)
    sections = report.body["sections"]
    for item in ANNEX_IV_ITEMS:
        assert f"AIA.AnnexIV.{item}" in sections, item
    for item in ART13_ITEMS:
        assert f"AIA.Art13.{item}" in sections, item
    for s in sections.values():
        assert s["fields"]
        assert all(f["status"] in ("auto", "human", "not_applicable", "missing") for f in s["fields"].values())
    assert sections["AIA.AnnexIV.1.f"]["fields"]["product_illustrations"]["status"] == "not_applicable"
    assert sections["AIA.AnnexIV.2.d"]["fields"]["datasheet.motivation"]["status"] == "human"
    arch = sections["AIA.AnnexIV.2.c"]["fields"]["architecture"]["value"]
    members = arch["spec"]["members"]
    assert ("one network" if members == 1 else f"mean of {members} networks") in arch["form"]
    report.validate_schema()


def _unwritten(doc: dict, key: str) -> bool:
    """Read from the YAML, not from snas: is this documentation field still to be written?"""
    v = doc
    for part in key.split("."):
        v = v.get(part) if isinstance(v, dict) else None
    if key == "approvals":
        return not v or not all(a.get("name") and a.get("date") for a in v)
    return v is None or v == ""


def _listed(out: str) -> set[tuple[str, str]]:
    return {tuple(line.split()[1:3]) for line in out.splitlines() if line.startswith("missing: ")}


def test_validate_lists_exactly_the_unwritten_fields_then_passes(run, tiny_search, tmp_path, capsys):
    doc = yaml.safe_load(DOC.read_text())
    expected = {(sid, h) for sid, _, _, human, _ in SECTIONS for h in human if _unwritten(doc, h)}
    assert {("AIA.AnnexIV.1.a", "intended_purpose"), ("AIA.AnnexIV.2.g", "approvals")} <= expected
    assert ("AIA.AnnexIV.2.d", "datasheet.motivation") not in expected  # written in the file
    assert main(["audit", "validate", str(run)]) == 1
    assert _listed(capsys.readouterr().out) == expected  # every unwritten field, and nothing else

    def fill(d):
        for k, v in d.items():
            if v is None:
                d[k] = f"written by the provider: {k}"
            elif isinstance(v, dict) and v.get("status") != "not_applicable":
                fill(v)

    fill(doc)
    doc["approvals"] = [{"role": "validation lead", "name": "A. Person", "date": "2026-11-23"}]
    filled = tmp_path / "doc.yaml"
    filled.write_text(yaml.safe_dump(doc))
    other = tmp_path / "run2"
    shutil.copytree(run, other)
    write_reports(other, formats=("json",), documentation=filled, data_dir=str(tiny_search))
    assert main(["audit", "validate", str(other)]) == 1  # the approval names no content yet
    out = capsys.readouterr().out
    content_id = _report(other).content_id
    assert f"content id: {content_id}" in out and "unbound approval: validation lead: A. Person" in out
    assert not _listed(out)  # every field written
    doc["approvals"][0]["content_id"] = content_id  # the approver names what they read
    filled.write_text(yaml.safe_dump(doc))
    write_reports(other, formats=("json",), documentation=filled, data_dir=str(tiny_search))
    assert _report(other).content_id == content_id  # approving does not change the content approved
    assert main(["audit", "validate", str(other)]) == 0
    assert "complete" in capsys.readouterr().out
    doc["intended_purpose"] = "written again after the approval"
    filled.write_text(yaml.safe_dump(doc))
    write_reports(other, formats=("json", "md"), documentation=filled, data_dir=str(tiny_search))
    assert main(["audit", "validate", str(other)]) == 1
    assert f"stale approval: validation lead: A. Person (2026-11-23) approved {content_id}" in capsys.readouterr().out
    md = (other / "reports" / "report.md").read_text()
    assert "other content (an earlier version, or the run's other report): review and approve again" in md
    assert "approvals that do not name this report's content: validation lead (A. Person)" in md
    doc["intended_purpose"] = "written by the provider: intended_purpose"
    filled.write_text(yaml.safe_dump(doc))
    write_reports(other, formats=("json",), documentation=filled, data_dir=str(tiny_search))
    sections = _report(other).body["sections"]
    for sid, name in expected - {("AIA.AnnexIV.2.g", "approvals")}:
        f = sections[sid]["fields"][name]
        assert f == {"status": "human", "value": f"written by the provider: {name.rsplit('.', 1)[-1]}"}, (sid, name)


def test_headline_metrics_and_fidelity_recomputed_independently(run, tiny_search):
    import pandas as pd

    from snas.datasets import load
    from snas.estimator import SNASClassifier

    report = _report(run)
    ev = report.evidence
    data = load(tiny_search / "manifest.yaml", data_dir=tiny_search)
    clf = SNASClassifier.load(run / "model")
    proba = clf.predict_proba(data.X_test)
    pred = clf.classes_[proba.argmax(1)]
    y = data.y_test.to_numpy()
    assert ev["ev:metric:accuracy"]["value"] == pytest.approx((pred == y).mean(), abs=1e-6)
    lo, hi = ev["ev:metric:accuracy"]["ci95"]
    assert lo < ev["ev:metric:accuracy"]["value"] < hi
    from sklearn.metrics import roc_auc_score

    assert ev["ev:metric:roc_auc"]["value"] == pytest.approx(roc_auc_score(y == ">50K", proba[:, 1]), abs=1e-6)
    X = data.X_test
    # rule 'minor-age' by hand: covered rows are age < 21; violation = predicted other than its head
    m = (X["age"] < 21).fillna(False).to_numpy()
    r = ev["ev:rule:minor-age"]
    assert r["n"] == int(m.sum()) and r["violations"] == int((pred[m] != "<=50K").sum()) == 0
    m = (X["marital_status"] == "Married-civ-spouse") & (X["education_num"] >= 13) & (X["hours_per_week"] >= 40)
    m = m.fillna(False).to_numpy()
    r = ev["ev:rule:married-graduate-full-time"]
    assert r["n"] == int(m.sum())
    assert r["violation_rate"] == pytest.approx((pred[m] != ">50K").mean(), abs=1e-6)
    sex = X["sex"].astype(str).to_numpy()
    for g in ("Male", "Female"):
        assert ev[f"ev:group:sex={g}:selection_rate"]["value"] == pytest.approx(
            (pred[sex == g] == ">50K").mean(), abs=1e-6
        )
    frame = pd.DataFrame(report.body["evidence"])  # evidence is one table for analysts: one row per id
    assert frame["id"].is_unique and list(frame["id"]) == sorted(frame["id"])
    assert frame.set_index("id").loc["ev:rule:minor-age", "n"] == int((X["age"] < 21).fillna(False).sum())


def test_counterfactuals_flip_the_decision_with_values_that_occur(run, tiny_search):
    """Each found counterfactual, applied to its row by hand, flips the model's decision; a numeric
    input moves to a value the test split holds (an integer count stays an integer)."""
    from snas.datasets import load
    from snas.estimator import SNASClassifier

    data = load(tiny_search / "manifest.yaml", data_dir=tiny_search)
    clf = SNASClassifier.load(run / "model")
    found = 0
    for e in _report(run).body["evidence"]:
        cf = e.get("counterfactual") if e["kind"] == "local_explanation" else None
        if not cf or not cf["found"]:
            continue
        found += 1
        row = data.X_test.iloc[[e["row"]]].copy()
        before = clf.predict_proba(row)[0, 1]
        assert before == pytest.approx(cf["probability"], abs=1e-6)
        for change in cf["changes"]:
            f, to = change["feature"], change["to"]
            assert f not in e["immutable"]
            if str(row[f].dtype) == "category":
                row[f] = pd.Categorical([to], dtype=row[f].dtype)
            else:
                assert to in set(data.X_test[f].dropna().astype(float)), (f, to)
                row[f] = pd.array([to]).astype(row[f].dtype)
        after = clf.predict_proba(row)[0, 1]
        assert after == pytest.approx(cf["new_probability"], abs=1e-6) and (after >= 0.5) != (before >= 0.5)
    assert found


def test_reruns_are_byte_identical_apart_from_run_info(run, tiny_search):
    first_json = json.loads((run / "reports" / "report.json").read_text())
    first_html = (run / "reports" / "report.html").read_text()
    first_bom = json.loads((run / "reports" / "report.cdx.json").read_text())
    write_reports(run, data_dir=str(tiny_search))
    second_json = json.loads((run / "reports" / "report.json").read_text())
    second_html = (run / "reports" / "report.html").read_text()
    second_bom = json.loads((run / "reports" / "report.cdx.json").read_text())
    first_json.pop("run_info")
    second_json.pop("run_info")
    assert first_json == second_json
    for bom in (first_bom, second_bom):  # a new BOM of the same content: new time, new serial number
        bom["metadata"].pop("timestamp"), bom.pop("serialNumber")
    assert first_bom == second_bom
    strip = lambda h: h.split('<section id="run-info">')[0]  # noqa: E731
    assert strip(first_html) == strip(second_html)


def test_html_is_self_contained(run):
    page = (run / "reports" / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page and page.count("data:image/png;base64,") >= 3


def _json_in(md_text: str) -> list[str]:
    """Text and code nodes of the CommonMark tree that hold a JSON object or array."""
    from markdown_it import MarkdownIt

    decoder = json.JSONDecoder()
    found = []

    def walk(tokens):
        for t in tokens:
            content = t.content or ""
            for m in re.finditer(r'[\[{]\s*"', content):
                try:
                    value, _ = decoder.raw_decode(content, m.start())
                except ValueError:
                    continue
                if isinstance(value, (dict, list)):
                    found.append(content[:120])
            walk(t.children or [])

    walk(MarkdownIt("commonmark").enable("table").parse(md_text))
    return found


def test_markdown_shows_structured_fields_as_tables_not_json(run):
    md = (run / "reports" / "report.md").read_text()
    assert _json_in(md) == []
    assert max(len(line) for line in md.splitlines()) <= 400
    assert md.splitlines()[0].startswith("# Technical documentation") and "\n## Summary\n" in md
    assert md.index("## Summary") < md.index("## AIA.AnnexIV.1.a")
    for header in (
        "| feature | name in the data | kind | unit | levels |",  # io_schema
        "| file | size | sha256 |",  # artefact_manifest
        "| gene | values | meaning |",  # search_space (also under change_bounds)
        "| rule or constraint | built into the network as | guarantee |",  # rule_constraint_map
        "| width | activation | block | dropout |",  # architecture: hidden layers
        "| field | meaning |",  # log_schema
    ):
        assert header in md, header
    assert re.search(r"\| `capital_gain` \| [^|]+ \| numeric \| USD \|", md)  # units from the dataset manifest
    assert "| `model/model.safetensors` |" in md and " KiB |" in md


def test_the_report_shows_what_the_search_minimised_and_cuts_no_text(run):
    report = _report(run)
    md = (run / "reports" / "report.md").read_text()
    objectives = report.body["sections"]["AIA.AnnexIV.2.b"]["fields"]["objectives"]["value"]
    assert any(o.startswith("complexity") for o in objectives) and "trainable parameters" not in objectives
    history = report.evidence["ev:search:candidates"]["candidates"]
    assert all(r["complexity"] is not None for r in history)
    assert "| # | fidelity | architecture | val. accuracy | complexity | parameters | F_soft | front |" in md
    # no text is cut in a key → value table: the selection's reason is there whole
    reason = report.body["sections"]["AIA.AnnexIV.2.b"]["fields"]["selection"]["value"]["reason"]
    flat = " ".join(md.split())
    assert " ".join(md_escape(reason).split()) in flat and "(in full in report.json)" not in md
    # an evidence item held against a different quantity than its value says which
    robust = next(e for e in report.body["evidence"] if e["id"].startswith("ev:robustness:"))
    assert robust["criterion"].startswith("accuracy drop") and md_escape(robust["criterion"]) in md


def _summary_of(page: str) -> tuple[list[tuple[str, str]], str]:
    """(tag, id) of each section-level element in document order, and the summary's text."""
    from html.parser import HTMLParser

    class Outline(HTMLParser):
        def __init__(self):
            super().__init__()
            self.order, self.depth, self.summary = [], 0, []

        def handle_starttag(self, tag, attrs):
            a = dict(attrs)
            if tag in ("section", "h2"):
                self.order.append((tag, a.get("id") or ""))
            if tag == "section" and (a.get("id") == "summary" or self.depth):
                self.depth += 1

        def handle_endtag(self, tag):
            if tag == "section" and self.depth:
                self.depth -= 1

        def handle_data(self, data):
            if self.depth:
                self.summary.append(data)

    p = Outline()
    p.feed(page)
    return p.order, " ".join(p.summary)


def test_summary_comes_first_and_says_what_is_guaranteed_and_open(run):
    report = _report(run)
    order, summary = _summary_of((run / "reports" / "report.html").read_text())
    assert order[0] == ("section", "summary") and order[1][0] == "h2"
    ev = report.evidence
    accuracy = ev["ev:metric:accuracy"]
    assert f"{100 * accuracy['value']:.2f}%" in summary and f"{100 * accuracy['ci95'][0]:.2f}%" in summary
    hard = [e for e in report.body["evidence"] if e["kind"] == "rule_fidelity" and e["strength"] == "hard"]
    assert hard
    for e in hard:  # each guarantee names its rule, its condition and the evidence that checks it
        assert f"hard rule {e['rule']}: if {e['condition']}" in summary and e["id"] in summary
    for kind in ("monotonicity", "flip_rate"):
        assert all(e["id"] in summary for e in report.body["evidence"] if e["kind"] == kind)
    assert "to be completed by the provider" in summary  # intended purpose not written yet
    missing = {name for _, name in report.missing_fields()}
    assert f"Still to be completed by the provider ({len(missing)} fields)" in summary
    risks = report.body["risk_register"]
    assert f"Top open risks ({min(5, len(risks))} of {len(risks)}" in summary


def test_human_text_is_shown_as_text(run):
    from markdown_it import MarkdownIt

    from snas.audit import render_html, render_markdown

    report = _report(run)
    hostile = "<script>alert(1)</script> <!-- hidden --> | *bold* [link](javascript:x) &amp;"
    report.body["sections"]["AIA.AnnexIV.1.a"]["fields"]["intended_purpose"] = {"status": "human", "value": hostile}
    report.body["system"]["name"] = "<b>name</b>"
    md = render_markdown(report)
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    kinds = {t.type for t in tokens} | {c.type for t in tokens for c in t.children or []}
    assert not kinds & {"html_inline", "html_block", "link_open"}
    shown = MarkdownIt("commonmark").enable("table").render(md)
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; &lt;!-- hidden --&gt; | *bold* [link](javascript:x) &amp;amp;" in shown
    )
    page = render_html(report, figs={})
    assert "<script" not in page and "<!-- hidden" not in page and "<b>name</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;!-- hidden --&gt;" in page


def _print_css(page: str) -> str:
    style = page.split("<style>", 1)[1].split("</style>", 1)[0]
    return style[style.index("@media print") :]


def test_print_css_keeps_rows_whole_and_the_summary_on_page_one(run):
    page = (run / "reports" / "report.html").read_text()
    css = _print_css(page)
    assert re.search(r"tr[^{]*\{[^}]*break-inside:avoid", css)
    assert "thead{display:table-header-group}" in css
    assert re.search(r"\.summary\{[^}]*break-after:page", css)
    assert page.count("<thead>") >= 10  # headers repeat on every printed page


@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (Debian package chromium)")
def test_renders_in_headless_chromium_and_prints_to_pdf(run, tmp_path):
    from snas.audit._render import render_pdf

    shot = tmp_path / "report.png"
    log = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1600",
            "--enable-logging=stderr",
            "--v=0",
            f"--screenshot={shot}",
            (run / "reports" / "report.html").as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert "net::ERR" not in log.stderr
    pdf = tmp_path / "report.pdf"
    render_pdf(run / "reports" / "report.html", pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000


def test_verify_passes_then_names_the_changed_file(run, tiny_search, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(tiny_search, data_dir)
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert verify_run(copy, data_dir=str(data_dir)) == []
    for target in (copy / "rules.yaml", copy / "model" / "model.safetensors", data_dir / "adult_small.csv"):
        raw = bytearray(target.read_bytes())
        original = bytes(raw)
        raw[len(raw) // 2] ^= 1
        target.write_bytes(bytes(raw))
        problems = verify_run(copy, data_dir=str(data_dir))
        assert any(str(target) in p for p in problems), (target, problems)
        target.write_bytes(original)
    assert verify_run(copy, data_dir=str(data_dir)) == []


def test_verify_names_an_edited_or_damaged_report(run, tiny_search, tmp_path, capsys):
    """The report is evidence too: its body is hashed into its id, and its Markdown and HTML
    are renderings of that body."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    reports = copy / "reports"
    original = {n: (reports / n).read_bytes() for n in ("report.json", "report.md", "report.html")}
    edits = {
        "report.json": lambda t: t.replace('"schema_version": "1.0.0"', '"schema_version": "1.0.1"', 1),
        "report.md": lambda t: t + "\nAll risks are mitigated.\n",
        "report.html": lambda t: t.replace("</body>", "<p>approved</p></body>"),
    }
    for name, edit in edits.items():
        (reports / name).write_text(edit(original[name].decode()))
        problems = verify_run(copy, data_dir=str(tiny_search))
        assert any(f"{name}: edited since it was written" in p for p in problems), (name, problems)
        (reports / name).write_bytes(original[name])
    (reports / "report.json").write_text("{not json")
    assert main(["audit", "verify", str(copy), "--data-dir", str(tiny_search)]) == 1
    assert "damaged, not JSON" in capsys.readouterr().out
    assert main(["audit", "validate", str(copy)]) == 2
    assert "damaged, not JSON" in capsys.readouterr().err
    (reports / "report.json").write_bytes(original["report.json"])
    assert verify_run(copy, data_dir=str(tiny_search)) == []
    # a later audit writing only report.json leaves the earlier renderings: named as stale
    write_reports(copy, formats=("json",), data_dir=str(tiny_search))
    problems = verify_run(copy, data_dir=str(tiny_search))
    stale = sorted(p.split(":")[0] for p in problems)
    assert stale == [str(reports / n) for n in ("report.cdx.json", "report.html", "report.md")]
    assert all("left by an earlier audit" in p for p in problems)


def test_damaged_run_files_are_named_not_a_traceback(run, tiny_search, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    for content in ("{}", "[]", '{"files": {"a": 1}, "data": {}}'):
        (copy / "manifest.json").write_text(content)
        for argv in (["audit", "verify", str(copy)], ["audit", str(copy), "--format", "json", "--quiet"]):
            assert main([*argv, "--data-dir", str(tiny_search)]) == 2, (content, argv)
            assert "manifest.json: damaged" in capsys.readouterr().err


def test_a_documentation_file_with_errors_never_replaces_the_runs_copy(run, tiny_search, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    kept = (copy / "documentation.yaml").read_bytes()
    bad = tmp_path / "doc.yaml"
    bad.write_text(DOC.read_text() + "\nsnas_documentation: 1\n")  # a duplicate key
    assert main(["audit", str(copy), "--documentation", str(bad), "--data-dir", str(tiny_search)]) == 2
    assert "doc.yaml" in capsys.readouterr().err
    assert (copy / "documentation.yaml").read_bytes() == kept
    assert verify_run(copy, data_dir=str(tiny_search)) == []


def test_a_bad_parent_report_is_refused_before_the_work(run, tiny_search, tmp_path, capsys, monkeypatch):
    import snas.audit._build as build

    monkeypatch.setattr(build, "prepare_inputs", lambda *a, **k: pytest.fail("computed before the parent was read"))
    parent = tmp_path / "old.json"
    for content in ("not json", '{"a": 1}'):
        parent.write_text(content)
        assert main(["audit", str(run), "--parent", str(parent), "--data-dir", str(tiny_search), "--quiet"]) == 2
        assert "old.json" in capsys.readouterr().err


def test_a_system_name_that_is_not_text_falls_back_to_the_configuration(run, tiny_search, tmp_path):
    import yaml

    doc = yaml.safe_load(DOC.read_text())
    doc["system"]["name"] = {"status": "not_applicable", "reason": "internal model"}
    path = tmp_path / "doc.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    paths = write_reports(copy, formats=("json", "md", "html"), documentation=path, data_dir=str(tiny_search))
    assert _report(copy).body["system"]["name"] == "tiny"
    assert "<title>" in paths["html"].read_text()


def _no_network(url, dest, expected):
    from snas.exceptions import DatasetError

    raise DatasetError(f"cannot download {url} (no network in tests)")


def test_a_run_remembers_where_its_data_are(run, tmp_path, monkeypatch, capsys):
    manifest = json.loads((run / "manifest.json").read_text())
    locations = [f["location"] for f in manifest["data"]["files"]]
    assert locations and all(Path(p).is_absolute() and Path(p).is_file() for p in locations)
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("snas.datasets._load._download", _no_network)
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    # neither command is told where the data are: both look where the search found them
    assert main(["audit", "verify", str(copy)]) == 0, capsys.readouterr()
    assert main(["audit", str(copy), "--format", "json", "--quiet"]) == 0, capsys.readouterr()
    assert {f["source"] for f in _report(copy).run_info["data_lookup"]} == {"recorded"}


def test_diff_of_runs_with_different_rules_lists_fidelity_changes(run, tiny_search, tmp_path):
    rules = (tiny_search / "rules.yaml").read_text().replace("hours_per_week < 25", "hours_per_week < 30")
    (tmp_path / "rules.yaml").write_text(rules)
    cfg_text = (tiny_search / "search.yaml").read_text()
    cfg_text = re.sub(r"rules: .*", f"rules: {tmp_path / 'rules.yaml'}", cfg_text)
    cfg_text = cfg_text.replace("dataset: manifest.yaml", f"dataset: {tiny_search / 'manifest.yaml'}")
    (tmp_path / "search.yaml").write_text(cfg_text)
    other = tmp_path / "other"
    search(load_config(tmp_path / "search.yaml"), other, data_dir=str(tiny_search), budget="2trials", progress=False)
    write_reports(other, formats=("json",), documentation=DOC, data_dir=str(tiny_search))
    old = json.loads((run / "reports" / "report.json").read_text())
    new = json.loads((other / "reports" / "report.json").read_text())
    d = diff_reports(old, new)
    assert "ev:rule:part-time" in d["summary"]["changed"]
    assert "rules" in d["summary"]["provenance"]
    assert "changed `ev:rule:part-time`" in d["changelog"]
    assert all(op["op"] in ("add", "remove", "replace") and op["path"].startswith("/") for op in d["patch"])
    assert main(["audit", "diff", str(run), str(other), "--out", str(tmp_path / "changes.md")]) == 0
    assert (tmp_path / "changes.patch.json").is_file()


def test_predict_logs_every_decision(run, tiny_search, tmp_path, capsys):
    from snas.datasets import load

    data = load(tiny_search / "manifest.yaml", data_dir=tiny_search)
    csv = tmp_path / "people.csv"
    data.X_test.head(20).to_csv(csv, index=False)
    log = tmp_path / "decisions.jsonl"
    assert main(["predict", str(run), str(csv), "--out", str(tmp_path / "pred.csv"), "--log", str(log)]) == 0
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) == 20 and {"time", "model_sha256", "input_sha256", "output", "deciding_rule"} <= set(lines[0])
    import pandas as pd

    out = pd.read_csv(tmp_path / "pred.csv")
    assert len(out) == 20 and "deciding_rule" in out.columns
    assert np.isclose(out["p(<=50K)"] + out["p(>50K)"], 1).all()
    # input columns named like the output (an earlier decision, say) are replaced, not duplicated
    earlier = tmp_path / "earlier.csv"
    data.X_test.head(20).assign(prediction="old", deciding_rule="old").to_csv(earlier, index=False)
    assert main(["predict", str(run), str(earlier), "--out", str(tmp_path / "again.csv"), "--log", str(log)]) == 0
    again = pd.read_csv(tmp_path / "again.csv")
    assert list(again.columns) == list(out.columns) and (again["prediction"] == out["prediction"]).all()
    assert "replaced by this model's output" in capsys.readouterr().err
    # a log that cannot be written: nothing is handed out unlogged
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    assert (
        main(["predict", str(run), str(csv), "--out", str(tmp_path / "no.csv"), "--log", str(blocked / "d.jsonl")]) == 2
    )
    assert not (tmp_path / "no.csv").exists() and "no prediction was written" in capsys.readouterr().err


def test_a_fitted_estimator_gets_the_sections_and_evidence_kinds_of_the_cli(run, tiny_data, tmp_path):
    from snas import SNASClassifier, build_report
    from snas.audit import write_report_files

    clf = SNASClassifier.load(run / "model")  # the run's model, as a fitted estimator (no run, no search)
    report = build_report(clf, tiny_data, DOC, resamples=200)
    paths = write_report_files(report, tmp_path, formats=("json", "md"))
    python, cli = AuditReport.from_json(paths["json"].read_text()), _report(run)
    python.validate_schema()
    assert python.body["sections"].keys() == cli.body["sections"].keys()
    for sid, s in cli.body["sections"].items():
        assert python.body["sections"][sid]["fields"].keys() == s["fields"].keys(), sid
    assert {e["kind"] for e in python.body["evidence"]} == {e["kind"] for e in cli.body["evidence"]}
    # what needs a run or a search is said, never invented
    fields = {n: f for s in python.body["sections"].values() for n, f in s["fields"].items()}
    for name in ("artefact_manifest", "selection", "search_space"):
        assert fields[name]["status"] == "not_applicable" and fields[name]["value"], name
    history = python.evidence["ev:search:candidates"]
    assert history["value"] is None and history["status"] == "not_applicable" and "no search" in history["reason"]
    assert cli.evidence["ev:search:candidates"]["candidates"]
    soft = python.evidence["ev:rule-impact:part-time"]["history"]
    assert (
        soft["status"] == "no_search" and cli.evidence["ev:rule-impact:part-time"]["history"]["status"] != "no_search"
    )
    assert "not applicable: no run directory" in paths["md"].read_text()
    # the same model on the same test split measures the same; its in-memory hash is its file's
    for eid in ("ev:metric:accuracy", "ev:metric:roc_auc", "ev:rule:minor-age", "ev:rule-impact:young-never-married"):
        assert python.evidence[eid]["value"] == cli.evidence[eid]["value"], eid
    assert python.body["provenance"]["model"]["sha256"] == cli.body["provenance"]["model"]["sha256"]
    assert python.body["provenance"]["model"]["path"] is None


def test_build_report_refuses_what_it_cannot_audit(run, tiny_data):
    import torch

    from snas import FittedModel, RunDirectory, SNASClassifier, build_report
    from snas.exceptions import ConfigError

    with pytest.raises(ConfigError, match="not fitted yet"):
        build_report(SNASClassifier(), tiny_data)
    with pytest.raises(ConfigError, match="FittedModel or a fitted SNASClassifier; got str"):
        build_report("runs/census", tiny_data)
    with pytest.raises(ConfigError, match=r"search must be a SearchResult, a RunDirectory or None; got str"):
        build_report(FittedModel.load(run / "model"), tiny_data, search=str(run))
    other = FittedModel.load(run / "model")
    with torch.no_grad():
        next(other.network.parameters()).add_(1.0)  # another model: the run's records do not describe it
    with pytest.raises(ConfigError, match="none of this run's models"):
        build_report(other, tiny_data, search=RunDirectory(run))


def test_snas_audit_is_build_report_on_the_run(run, tiny_search, tiny_data, tmp_path):
    from snas import FittedModel, RunDirectory, build_report

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert main(["audit", str(copy), "--format", "json", "--quiet", "--data-dir", str(tiny_search)]) == 0
    cli = json.loads((copy / "reports" / "report.json").read_text())
    python = build_report(
        FittedModel.load(copy / "model"),
        tiny_data,
        copy / "documentation.yaml",
        RunDirectory(copy),
        measure_memory=True,
    )
    mine = json.loads(python.to_json())
    # the written report also records the sha256 of the renderings written beside it (none here)
    assert cli["run_info"].pop("renderings") == {}
    assert mine.pop("run_info").keys() == cli.pop("run_info").keys()
    assert mine == cli  # the command is a thin caller: same inputs, same report id


def test_the_memory_a_deployment_needs_is_measured_outside_the_hash(run, tiny_data):
    report = _report(run)
    memory = report.run_info["inference_memory"]
    assert memory["rows"] == min(1000, len(tiny_data.X_test))
    assert 50 < memory["peak_rss_mib_loaded"] <= memory["peak_rss_mib_scoring"] < 4096  # MiB, libraries included
    assert "inference memory, measured in a fresh process" in report.run_info["durations_s"]
    assert "inference_memory" not in json.dumps(report.body)  # varies between runs: not hashed
    assert "peak_rss_mib_scoring" in (run / "reports" / "report.html").read_text()  # under Run information


def test_the_measured_memory_is_the_measuring_process_not_its_parent(run, tiny_data, tmp_path):
    """A parent holding 1 GiB (in a process of its own: this one's peak must stay low for the
    hostile-input tests) measures a child of a few hundred MiB."""
    import subprocess
    import sys

    tiny_data.X_test.to_csv(tmp_path / "rows.csv", index=False)
    script = (
        "import json, sys, numpy as np, pandas as pd\n"
        "from snas import FittedModel\n"
        "from snas.audit._memory import inference_memory\n"
        "ballast = np.ones(2**27)  # 1 GiB resident in the measuring process's parent\n"
        "X = pd.read_csv(sys.argv[2])\n"
        "print(json.dumps(inference_memory(FittedModel.load(sys.argv[1]), X, rows=50)), ballast[-1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(run / "model"), str(tmp_path / "rows.csv")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    memory = json.loads(out.stdout.rsplit(" ", 1)[0])
    assert memory["rows"] == 50
    assert 50 < memory["peak_rss_mib_scoring"] < 900  # ru_maxrss would report the parent's 1 GiB after fork and exec


def test_the_measuring_process_imports_this_snas_not_a_folder_where_the_audit_runs(
    run, tiny_data, tmp_path, monkeypatch
):
    """A folder named snas in the working directory is neither imported nor measured."""
    from snas.audit._memory import inference_memory

    shadow = tmp_path / "snas"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise ImportError('a different snas, shadowing the real one')\n")
    monkeypatch.chdir(tmp_path)
    from snas import FittedModel

    memory = inference_memory(FittedModel.load(run / "model"), tiny_data.X_test, rows=20)
    assert "not_measured" not in memory, memory
    assert memory["rows"] == 20
