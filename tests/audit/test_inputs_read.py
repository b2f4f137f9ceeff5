"""What the model reads, said plainly: a feature ``drop_features`` names that a pair term still
reads is an input (the report, the architecture and the search's labels count it), a sensitive
attribute the model reads is named with the terms that read it — in the summary and the risk
register — and the input specification gives every column's true level count and role."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from snas.audit import AuditReport

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "audit" / "census_income.yaml"
PAIRS = [["age", "marital_status"], ["capital_gain", "education_num"]]


@pytest.fixture(scope="module")
def dropped_but_paired(tiny_data, tiny_search):
    """A glass box whose spec drops age and marital_status while a pair term reads both."""
    from snas.model import FittedModel, Task
    from snas.nn import NetworkSpec
    from snas.rules import load_rules

    X, y = tiny_data.X_train, tiny_data.y_train.astype(str).to_numpy()
    task = Task.fit(X, y, load_rules(tiny_search / "rules.yaml"), target="income")
    spec = NetworkSpec.from_dict(
        {
            "family": "additive",
            "pairs": PAIRS,
            "drop_features": ["age", "marital_status"],
            "default_rule_mode": "loss",
            "max_epochs": 2,
        }
    )
    return FittedModel.train(task, spec, X, y, seed=0)


@pytest.fixture(scope="module")
def written(dropped_but_paired, tiny_data, tmp_path_factory):
    from snas import build_report
    from snas.audit import write_report_files

    report = build_report(dropped_but_paired, tiny_data, DOC, resamples=100)
    paths = write_report_files(report, tmp_path_factory.mktemp("inputs"), formats=("json", "md"))
    return AuditReport.from_json(paths["json"].read_text()), paths


def test_inputs_read_follows_the_terms_not_drop_features(dropped_but_paired):
    from snas.model import inputs_read

    model = dropped_but_paired
    assert "age" not in model.architecture.numeric and "marital_status" not in model.architecture.categorical
    read = inputs_read(model)
    assert "age×marital_status" in read["age"] and "age" not in read["age"]  # no term of its own
    assert "age×marital_status" in read["marital_status"] and "marital_status" not in read["marital_status"]
    assert "sex" not in read and "race" not in read  # excluded by the rules
    assert any(w.startswith("hard rule ") for w in read["age"])  # the shield reads age too (minor-age)


def test_shuffling_an_input_the_report_says_is_read_changes_the_model(dropped_but_paired, tiny_data):
    from snas.model import inputs_read

    X = tiny_data.X_test.reset_index(drop=True)
    read = inputs_read(dropped_but_paired)
    base = dropped_but_paired.predict_proba(X)[:, 1]
    rng = np.random.default_rng(0)
    for f in ("age", "marital_status", "sex"):
        shuffled = X.copy()
        shuffled[f] = rng.permutation(X[f].to_numpy())
        moved = np.abs(dropped_but_paired.predict_proba(shuffled)[:, 1] - base).max() > 1e-9
        assert moved == (f in read), f


def test_the_report_says_a_dropped_sensitive_attribute_is_read(written):
    report, paths = written
    report.validate_schema()
    e = report.evidence["ev:inputs:read"]
    assert "age×marital_status" in e["read"]["age"] and e["value"] == len(e["read"])
    assert set(e["dropped_but_read"]) == {"age", "marital_status"}
    assert "age" in e["sensitive_read"] and "age×marital_status" in e["sensitive_read"]["age"]["read_by"]
    assert 0.0 <= e["sensitive_read"]["age"]["decisions_changed"] <= 1.0
    assert e["sensitive_read"]["age"]["probabilities_changed"] > 0.0  # shuffling age moves the scores
    assert set(e["sensitive_not_read"]) == {"sex", "race"} and {"sex", "race"} <= set(e["not_read"])
    # the summary and the risk register say it in words, with the term that reads it
    md = paths["md"].read_text()
    summary = md.split("## Sections", 1)[0]
    assert "reads the sensitive attribute age through" in " ".join(summary.split())
    assert "age×marital_status" in summary
    risks = {r["id"]: r["finding"] for r in report.body["risk_register"]}
    assert "age×marital_status" in risks["risk:sensitive-input:age"]
    # the architecture field: drop_features is annotated, the inputs read are listed
    arch = report.body["sections"]["AIA.AnnexIV.2.c"]["fields"]["architecture"]["value"]
    assert "age" in arch["inputs_read"] and "age" in arch["sensitive_inputs_read"]
    flat = " ".join(md.split())
    assert "age, marital_status — no term of their own, but still read" in flat
    assert "inputs the model reads" in md


def test_the_input_specification_marks_excluded_columns(written):
    report, _ = written
    spec = {c["name"]: c for c in report.body["sections"]["AIA.AnnexIV.3"]["fields"]["input_specification"]["value"]}
    assert spec["sex"]["use"].startswith("excluded by the rules") and spec["race"]["use"].startswith("excluded")
    assert spec["age"]["use"] == "model input"  # read through its pair, though drop_features names it
    assert spec["native_country"]["n_levels"] >= len(spec["native_country"]["levels"])


def test_level_lists_show_the_true_count():
    from snas.audit._blocks import to_markdown
    from snas.audit._fields import render_field

    levels = [f"ACC-{i:07d}" for i in range(50)]
    value = [{"name": "account_id", "kind": "categorical", "levels": levels, "n_levels": 3000, "use": "excluded"}]
    _, blocks = render_field("input_specification", {"status": "auto", "value": value})
    md = "\n".join(to_markdown(blocks))
    assert "3,000: ACC-0000000" in md and "… and 2,990 more" in md and "| excluded |" in md
    assert "50: ACC" not in md


def test_search_labels_count_the_inputs_pairs_and_neurons_read():
    from snas.search import Genome

    g = Genome(
        depth=1,
        widths=(8,),
        activations=("relu",),
        residual=(False,),
        encoding="standard",
        embedding_dim=0,
        features=("employment",),
        neurons=("high-income",),
        monotone_width=8,
        monotone_curves=0,
        family="additive",
        pairs=(("annual_income", "late_payments_12m"), ("employment", "region"), ("alter_jahre", "annual_income")),
    )
    kept = ("annual_income", "debt_to_income", "utilisation", "late_payments_12m")
    assert g.describe(kept).startswith("additive 7 inputs (2 only through pairs) + 3 pairs + 1 neurons")
    reads = {"high-income": ("annual_income", "gender")}
    assert "8 inputs (2 only through pairs, 1 only through neurons)" in g.describe(kept, reads)
    mlp = Genome(**{**g.__dict__, "family": "mlp"})  # an MLP reads no pair
    assert " 5 inputs 1 neurons" in mlp.describe(kept)
