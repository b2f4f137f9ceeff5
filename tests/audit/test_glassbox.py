"""The audit of a glass-box (additive) model: exact term shapes, contributions that sum to the
logit and main reasons instead of SHAP; one figure per term in the HTML page (decoded and
visible in headless Chromium), the same shapes as tables in Markdown. MLPs keep SHAP."""

from __future__ import annotations

import base64
import html
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt

from snas.audit import AuditReport
from snas.audit._render import CHROMIUM_FLAGS, chromium

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "audit" / "census_income.yaml"
PAIRS = [["age", "marital_status"], ["capital_gain", "education_num"], ["hours_per_week", "occupation"]]


@pytest.fixture(scope="module")
def glassbox(tiny_data, tiny_search):
    from snas.model import FittedModel, Task
    from snas.nn import NetworkSpec
    from snas.rules import load_rules

    X, y = tiny_data.X_train, tiny_data.y_train.astype(str).to_numpy()
    task = Task.fit(X, y, load_rules(tiny_search / "rules.yaml"), target="income")
    spec = NetworkSpec.from_dict(
        {"family": "additive", "pairs": PAIRS, "default_rule_mode": "both", "max_epochs": 3, "members": 2}
    )
    return FittedModel.train(task, spec, X, y, seed=0)


@pytest.fixture(scope="module")
def written(glassbox, tiny_data, tmp_path_factory):
    from snas import build_report
    from snas.audit import write_report_files

    report = build_report(glassbox, tiny_data, DOC, resamples=200)
    paths = write_report_files(report, tmp_path_factory.mktemp("glassbox"), formats=("json", "md", "html"))
    return AuditReport.from_json(paths["json"].read_text()), paths


def _terms(model) -> list[str]:
    return list(model.architecture.terms)


def test_every_term_has_an_exact_shape_item(glassbox, written, tiny_data):
    report, _ = written
    report.validate_schema()
    shapes = {e["term"]: e for e in report.body["evidence"] if e["kind"] == "term_shape"}
    assert list(shapes) == sorted(["bias", *_terms(glassbox)], key=lambda t: f"ev:explain:shape:{t}")
    assert {e["term_kind"] for e in shapes.values()} == {"bias", "numeric", "categorical", "pair", "neuron"}
    for name, e in shapes.items():
        assert e["id"] == f"ev:explain:shape:{name}"
        assert np.shape(e["contribution"]) == tuple(len(g) for g in e["grid"]) or name == "bias", name
    # recomputed independently: importance from explain(), density from the training rows
    terms = glassbox.explain(tiny_data.X_test.reset_index(drop=True)).contributions
    for name in ("age", "marital_status", "age×marital_status", "rule:part-time"):
        assert shapes[name]["value"] == pytest.approx(terms[name].abs().mean(), abs=1e-6), name
    levels, density = shapes["marital_status"]["grid"][0], shapes["marital_status"]["density"]
    shares = tiny_data.X_train["marital_status"].astype(object).value_counts(normalize=True)
    for level, d in zip(levels[1:], density[1:], strict=True):
        assert d == pytest.approx(shares.get(level, 0.0), abs=1e-6), level
    assert len(shapes["age"]["grid"][0]) > 5 and sum(shapes["age"]["density"]) == pytest.approx(1, abs=1e-5)
    # the rule file's monotone directions, and nothing else
    rules = glassbox.task.rules.constraints.monotonic
    assert shapes["education_num"]["monotone"] == {"education_num": "non-decreasing"} and rules["education_num"] == 1
    assert shapes["age"]["monotone"] == {} and "age" not in rules
    assert set(shapes["education_num×capital_gain"]["monotone"]) == {"education_num", "capital_gain"}
    ranking = report.evidence["ev:explain:interactions"]
    assert set(ranking["value"]) == {t for t in _terms(glassbox) if "×" in t} and len(ranking["value"]) == len(PAIRS)
    assert ranking["value"] == sorted(ranking["value"], key=lambda t: -shapes[t]["value"])


def test_example_decisions_are_exact_and_give_main_reasons(glassbox, written, tiny_data):
    report, _ = written
    X = tiny_data.X_test.reset_index(drop=True)
    terms = glassbox.explain(X).contributions.drop(columns="bias")
    local = [e for e in report.body["evidence"] if e["kind"] == "local_explanation"]
    assert len(local) >= 3
    for e in local:
        assert e["method"].startswith("exact additive contributions") and "shap" not in e
        logit = glassbox.logits(X.iloc[[e["row"]]])[0, 0]  # the network's forward pass, not explain()
        assert set(e["contributions"]) == {"bias", *_terms(glassbox)}
        assert abs(sum(e["contributions"].values()) - logit) < 1e-5, e["id"]
        # the main reasons are for the decision made, whichever class it is: the hard rule that
        # decided the row, else the terms furthest from their test-split average towards the
        # predicted class (the logit is that of '>50K'), recomputed with pandas
        reasons = e["main_reasons"]
        assert reasons["decision"] == e["prediction"] and "negative_decision" not in reasons
        if e["deciding_rule"] is not None:
            assert reasons["decided_by"] == e["deciding_rule"] and not reasons["reasons"]
            assert reasons["rule"].startswith("if ") and reasons["rule"].endswith(f"then {e['prediction']}")
            continue
        towards = 1.0 if e["prediction"] == ">50K" else -1.0
        push = ((terms.iloc[e["row"]] - terms.mean()) * towards).sort_values(ascending=False)
        expected = [t for t in push.index[:4] if push[t] > 0]
        assert [r["term"] for r in reasons["reasons"]] == expected, e["id"]
        assert all(r["versus_average"] > 0 for r in reasons["reasons"])
        for r in reasons["reasons"]:
            for f, v in r["values"].items():
                if not f.startswith("truth of"):
                    assert str(v) == str(X.iloc[e["row"]][f]), (e["id"], f)
    assert {e["prediction"] for e in local} == {"<=50K", ">50K"}  # reasons for both kinds of decision were checked
    assert any(e["deciding_rule"] is not None for e in local)
    assert "ev:explain:global_shap" not in report.evidence
    importance = report.evidence["ev:explain:global_importance"]
    assert importance["method"].startswith("exact additive contributions") and importance["n"] == len(X)
    assert importance["value"]["age"] == pytest.approx(terms["age"].abs().mean(), abs=1e-6)
    fields = {n: f for s in report.body["sections"].values() for n, f in s["fields"].items()}
    for name in ("interpretation_aids", "explanation_modes"):
        said = " ".join(fields[name]["value"])
        assert "exact additive contributions" in said and "SHAP" not in said, name


def test_markdown_gives_reasons_for_the_decision_made(written):
    """A row predicted '>50K' is never explained with "reasons towards <=50K"; a row a hard rule
    decided names that rule as its reason; integer inputs stay integers in counterfactuals."""
    report, paths = written
    md = paths["md"].read_text()
    rows = re.split(r"\n### Row ", md.split("## Example decisions", 1)[1])[1:]
    assert rows
    for block in rows:
        predicted = re.search(r"Predicted \*\*(.+?)\*\*", block).group(1)
        flat = " ".join(block.split())
        assert "Main reasons towards" not in flat
        rule = re.search(r"Decided by: \*\*(.+?)\*\*", block).group(1)
        if rule != "the network":
            assert f"Main reason for {predicted}: the hard rule `{rule}`" in flat
        else:
            assert f"Main reasons for {predicted} (the predicted class)" in flat
    integers = _integer_columns()
    for e in report.body["evidence"]:
        for c in (e.get("counterfactual") or {}).get("changes", []):
            if c["feature"] in integers:
                assert isinstance(c["to"], int), c
    assert not re.search(r"(age|hours_per_week|education_num|capital_gain): \d+ → \d+\.0\b", md)


def _integer_columns() -> set[str]:
    """The manifest's integer columns, by their normalised names (read from the YAML, not from snas)."""
    import yaml

    doc = yaml.safe_load((ROOT / "datasets" / "census_income.yaml").read_text())
    return {c["name"].replace("-", "_") for c in doc["columns"] if c.get("integer")}


def test_html_has_one_figure_per_term(glassbox, written):
    _, paths = written
    page = paths["html"].read_text()
    figures = re.findall(r'<figure id="fig-shape-([^"]+)"><img alt="[^"]*" src="data:image/png;base64,([^"]+)"', page)
    slug = {re.sub(r"[^0-9a-z]", "-", t.lower()).strip("-"): t for t in _terms(glassbox)}
    assert sorted(f for f, _ in figures) == sorted(slug)
    for _, data in figures:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    assert 'id="fig-importance"' in page and 'id="fig-shap"' not in page
    assert "non-decreasing (rule file)" in page and "<script" not in page


def test_markdown_carries_every_shape_as_a_table(glassbox, written):
    report, paths = written
    shown = MarkdownIt("commonmark").enable("table").render(paths["md"].read_text())
    for e in report.body["evidence"]:
        if e["kind"] != "term_shape" or e["term"] == "bias":
            continue
        start = shown.index(f"<h3>{html.escape(e['term'])}</h3>")
        table = shown[start : shown.index("</table>", start)]
        rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", table.split("<tbody>")[1], re.S)
        if e["term_kind"] == "pair":
            assert len(rows) == max(len(g) for g in e["grid"]), e["term"]
            continue
        assert len(rows) == len(e["grid"][0]) + (e["missing"] is not None), e["term"]
        assert rows[0][1] == f"{e['contribution'][0]:+.4f}", e["term"]
    assert "Global explanation (exact" in shown and "permutation SHAP" not in shown


def test_an_mlp_report_still_uses_shap(audit_run):
    report = AuditReport.from_json((audit_run / "reports" / "report.json").read_text())
    assert "ev:explain:global_shap" in report.evidence and "ev:explain:global_importance" not in report.evidence
    assert not [e for e in report.body["evidence"] if e["kind"] in ("term_shape", "interactions")]
    local = [e for e in report.body["evidence"] if e["kind"] == "local_explanation"]
    assert local and all("shap" in e and "contributions" not in e for e in local)
    fields = {n: f for s in report.body["sections"].values() for n, f in s["fields"].items()}
    assert "local SHAP values (permutation SHAP)" in fields["interpretation_aids"]["value"]
    assert "Term shapes" not in (audit_run / "reports" / "report.md").read_text()


PROBE = """<script>window.addEventListener('load', () => {
  // decoded (natural size), laid out (a box), and painted to the last row (a truncated PNG is not)
  const seen = [...document.querySelectorAll('section.shape figure img')].map((img) => {
    const box = img.getBoundingClientRect();
    if (!(img.complete && img.naturalWidth > 0 && box.width > 0 && box.height > 0)) return '0';
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const last = ctx.getImageData(0, img.naturalHeight - 1, img.naturalWidth, 1).data;
    let alpha = 0;
    for (let i = 3; i < last.length; i += 4) alpha += last[i];
    return alpha > 0 ? '1' : '0';
  });
  document.body.setAttribute('data-shapes', seen.join(''));
});</script>"""


@pytest.mark.skipif(chromium() is None, reason="Chromium not installed (Debian package chromium)")
def test_shape_figures_are_decoded_and_visible_in_headless_chromium(glassbox, written, tmp_path):
    _, paths = written
    probe = tmp_path / "probe.html"  # a copy with a probe script: the report itself has none
    probe.write_text(paths["html"].read_text().replace("</body>", PROBE + "</body>"))
    out = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1280,1600",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    seen = re.search(r'data-shapes="([01]*)"', out.stdout)
    assert seen is not None, out.stderr[-2000:]
    assert seen.group(1) == "1" * len(_terms(glassbox))


def test_a_weighted_mean_of_glass_boxes_is_audited_as_one_glass_box(glassbox, tiny_data):
    """An ensemble of glass boxes (the search's final model when all its picks are additive)
    gets exact shapes for every term any part has, and exact local contributions."""
    from snas import EnsembleModel, build_report
    from snas.model import FittedModel
    from snas.nn import NetworkSpec

    X, y = tiny_data.X_train, tiny_data.y_train.astype(str).to_numpy()
    spec = {"family": "additive", "pairs": [PAIRS[1]], "shape_bins": 32, "max_epochs": 3}
    other = FittedModel.train(glassbox.task, NetworkSpec.from_dict(spec), X, y, seed=1)
    ens = EnsembleModel.of([glassbox, other], [0.7, 0.3])
    report = build_report(ens, tiny_data, DOC, resamples=100)
    report.validate_schema()
    union = {"bias", *_terms(glassbox), *other.architecture.terms}
    shapes = {e["term"] for e in report.body["evidence"] if e["kind"] == "term_shape"}
    assert shapes == union
    Xt = tiny_data.X_test.reset_index(drop=True)
    local = [e for e in report.body["evidence"] if e["kind"] == "local_explanation"]
    assert local and "ev:explain:global_shap" not in report.evidence
    for e in local:
        assert e["method"].startswith("exact additive contributions")
        assert abs(sum(e["contributions"].values()) - ens.logits(Xt.iloc[[e["row"]]])[0, 0]) < 1e-5, e["id"]


def test_a_glass_box_architecture_lists_no_mlp_field(written):
    from snas.nn import MLP_ONLY_FIELDS

    report, paths = written
    arch = report.body["sections"]["AIA.AnnexIV.2.c"]["fields"]["architecture"]["value"]
    assert arch["spec"]["family"] == "additive" and arch["spec"]["pairs"] == PAIRS
    assert not MLP_ONLY_FIELDS & arch["spec"].keys()
    assert "hidden layers" not in paths["md"].read_text()
