"""Rules proposed from data: what they claim is what ``snas check`` measures, and they fit
next to the expert's rule file (no errors, no new conflict, no forbidden feature)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from snas.datasets import from_frame, load_manifest
from snas.exceptions import ConfigError
from snas.rules import check_rules, features_of, load_rules, parse_condition, parse_rules, suggest_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules" / "census_income.yaml"
FORBIDDEN = {"sex", "race", "age", "relationship"}  # excluded, sensitive or declared proxy in the census files


@pytest.fixture(scope="module")
def census_proposal(census, census_rules):
    return suggest_rules(census, census_rules, target_agreement=0.95, max_rules=10)


def _combined(tmp_path: Path, proposal_yaml: str) -> Path:
    """A copy of the expert's rule file with the proposed rules appended."""
    d = yaml.safe_load(RULES.read_text())
    d["rules"] += yaml.safe_load(proposal_yaml)["rules"]
    out = tmp_path / "combined.yaml"
    out.write_text(yaml.safe_dump(d, sort_keys=False, allow_unicode=True))
    return out


def test_census_proposals_are_accepted_next_to_the_rule_file(census, census_rules, census_proposal, tmp_path):
    report = census_proposal  # its time is measured by bench/suggest.py, not here
    props = report.proposals
    assert len(props) >= 5
    for p in props:
        assert p.id.startswith("proposed-") and p.strength == "soft" and p.agreement >= 0.95
        used = set(features_of(parse_condition(p.condition)))
        assert 1 <= len(used) <= 3, p.condition
        unless = set(features_of(parse_condition(p.unless))) if p.unless else set()
        assert not (used | unless) & FORBIDDEN, p
    combined = load_rules(_combined(tmp_path, report.to_yaml()))
    check = check_rules(combined, census)
    assert check.errors == ()
    # no proposal contradicts a hard rule (the only warnings left are the expert file's own)
    before = {(f.code, f.rule, f.other) for f in check_rules(census_rules, census).warnings}
    assert {(f.code, f.rule, f.other) for f in check.warnings} == before
    # the numbers in each proposal are exactly what `snas check` measures
    stats = {s.rule: s for s in check.stats}
    for p in props:
        s = stats[p.id]
        assert (s.support, s.agreement, s.agreement_low) == (p.support, p.agreement, p.agreement_low)
        assert f"{p.agreement:.1%}" in p.rationale() and f"{p.agreement_low:.1%}" in p.rationale()


def test_no_proposal_is_a_near_duplicate_of_an_expert_rule_as_written(census, census_rules, census_proposal):
    """Measured on the rows each proposal covers with its 'unless:' (as it would fire)."""
    from snas.rules import holds
    from snas.rules._suggest import NEAR_DUPLICATE

    frame = census.X_train
    for p in census_proposal.proposals:
        rule = parse_rules(
            f"snas_rules: 1\ndataset: census_income\nrules:\n  - id: {p.id}\n    if: '{p.condition}'\n"
            + (f"    unless: '{p.unless}'\n" if p.unless else "")
            + f"    then: '{p.head}'\n"
        ).rules[0]
        mine = holds(rule.body, frame, census.schema)
        assert mine.sum() == p.support
        for r in census_rules.rules:
            if r.head == p.head:
                theirs = holds(r.body, frame, census.schema)
                assert (mine & theirs).sum() / (mine | theirs).sum() < NEAR_DUPLICATE, (p.id, r.id)


def test_proposal_file_is_a_rule_file_that_names_what_was_set_aside(census_proposal):
    report = census_proposal
    text = report.to_yaml()
    rs = parse_rules(text, "proposal.yaml")
    assert rs.dataset == "census_income" and rs.positive == ">50K"
    assert [r.id for r in rs] == [p.id for p in report.proposals]
    assert all(r.strength == "soft" and "Wilson 95% CI" in r.rationale for r in rs)
    assert text.startswith("# Rules proposed by `snas rules suggest`") and "NOT applied" in text
    # the expert's own hard rule 'capital_gain >= 7500' is found again and recognised as such
    assert any("near-duplicate of existing rule 'high-capital-gain'" in r.reason for r in report.rejected)


def _toy(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 100, n)
    group = rng.choice(["a", "b", "c"], n)
    z = rng.normal(size=n)
    y = np.where(x >= 70, "yes", "no")  # x decides, without noise
    flip = rng.random(n) < 0.02
    y = np.where(flip, np.where(y == "yes", "no", "yes"), y)
    return pd.DataFrame({"x": x, "group": group, "z": z, "y": y})


def _rules(body: str) -> str:
    return "snas_rules: 1\ntarget: {column: y, positive: 'yes'}\nrules:\n" + body


def test_sensitive_and_excluded_columns_are_never_used():
    df = _toy()
    df["s"] = df["y"]  # a sensitive column that predicts the label perfectly
    df["e"] = np.where(df["y"] == "yes", 1.0, 0.0)  # an excluded one, too
    data = from_frame(df, target="y", positive="yes", sensitive=["s"])
    rs = parse_rules(_rules("  - {id: r, if: z > 5, then: 'yes'}\nconstraints: {exclude_features: [e]}\n"), "r.yaml")
    report = suggest_rules(data, rs, max_rules=5)
    assert report.proposals
    for p in report.proposals:
        assert not {"s", "e"} & set(features_of(parse_condition(p.condition))), p.condition
    assert set(report.skipped_features) == {"s", "e"}


def test_a_hard_rule_is_respected_with_unless_or_the_candidate_is_dropped():
    data = from_frame(_toy(), target="y", positive="yes", sensitive=[])
    # a hard rule (deliberately against the data) where group is "c": the miner's 'x >= 70 → yes'
    # would contradict it, so it must step aside with 'unless'
    rs = parse_rules(_rules("  - {id: c-no, if: group == 'c', then: 'no', strength: hard}\n"), "r.yaml")
    report = suggest_rules(data, rs, max_rules=5, target_agreement=0.9)
    yes = [p for p in report.proposals if p.head == "yes"]
    assert yes and all(p.unless == "group == 'c'" for p in yes), yes
    combined = parse_rules(
        _rules("  - {id: c-no, if: group == 'c', then: 'no', strength: hard}\n")
        + "".join(
            f"  - {yaml.safe_dump(p.to_rule_dict(), default_flow_style=True, width=10_000).strip()}\n"
            for p in report.proposals
        )
    )
    check = check_rules(combined, data)
    assert not [f for f in check.findings if f.code == "hard-soft-overlap" and "c-no" in (f.rule, f.other)]
    # when stepping aside would read a column the proposals may not use, the candidate is dropped
    sensitive = from_frame(_toy(), target="y", positive="yes", sensitive=["group"])
    report = suggest_rules(sensitive, rs, max_rules=5, target_agreement=0.9)
    assert not [p for p in report.proposals if p.head == "yes"]
    assert any("resolving it would read group" in r.reason for r in report.rejected)


def test_hard_proposals_step_aside_for_earlier_ones_without_nesting_their_unless(tmp_path, capsys):
    """Each hard proposal's unless negates the conditions of the hard rules it meets (file rules
    and earlier proposals), never their own unless: before, each unless held the last one and
    the twentieth outgrew the 2,000-character limit (exit 1, every proposal lost)."""
    from snas.cli import main

    out = tmp_path / "p.yaml"
    argv = ["rules", "suggest", "breast_cancer", "--rules", str(ROOT / "rules" / "breast_cancer.yaml")]
    argv += ["--strength", "hard", "--target-agreement", "0.9", "--max", "20", "--min-coverage", "0.02"]
    assert main([*argv, "--max-features", "8", "--out", str(out)]) == 0
    proposed = yaml.safe_load(out.read_text())["rules"]
    assert len(proposed) >= 10 and all(len(r.get("unless", "")) < 1_000 for r in proposed)
    added = "".join(f"  - {yaml.safe_dump(r, default_flow_style=True, width=10_000).strip()}\n" for r in proposed)
    combined = (ROOT / "rules" / "breast_cancer.yaml").read_text().replace("constraints:", added + "constraints:", 1)
    assert check_rules(parse_rules(combined), load_manifest("breast_cancer").schema).ok


def test_monotonic_constraints_are_not_contradicted():
    df = _toy()
    df["y"] = np.where(df["x"] >= 70, "no", "yes")  # the data say: more x, less 'yes'
    data = from_frame(df, target="y", positive="yes", sensitive=[])
    rs = parse_rules(
        _rules("  - {id: r, if: z > 5, then: 'yes'}\nconstraints: {monotonic: {increasing: [x]}}\n"), "r.yaml"
    )
    report = suggest_rules(data, rs, max_rules=5, target_agreement=0.9)
    assert not any("x" in features_of(parse_condition(p.condition)) for p in report.proposals)
    assert any("monotonic constraint on x" in r.reason for r in report.rejected)
    free = suggest_rules(data, None, max_rules=5, target_agreement=0.9)
    assert any("x" in features_of(parse_condition(p.condition)) for p in free.proposals)


def test_thresholds_are_rounded_to_readable_numbers():
    df = _toy()
    df["x"] = df["x"] * 73 + 11  # thresholds on odd values
    data = from_frame(df, target="y", positive="yes", sensitive=[])
    report = suggest_rules(data, None, max_rules=3, target_agreement=0.9)
    # the split falls between x = 5048 and 5121: 5100 is the roundest number that keeps it exact
    # (5000 would move the rows at 5048 across)
    assert {p.condition for p in report.proposals} >= {"x < 5100", "x >= 5100"}, report.proposals


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"target_agreement": 1.5}, "'target_agreement' parameter of suggest_rules must be a number in (0.5, 1]"),
        ({"max_rules": 0}, "'max_rules' parameter of suggest_rules must be an int >= 1. Got 0 instead."),
        ({"strength": "firm"}, "'strength' parameter"),
        ({"ignore": ["zz"]}, "unknown feature 'zz'"),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs, fragment):
    data = from_frame(_toy(200), target="y", positive="yes")
    with pytest.raises(ConfigError) as exc:
        suggest_rules(data, None, **kwargs)
    assert fragment in str(exc.value)


def test_cli_writes_a_proposal_without_importing_torch(tiny_search, tmp_path):
    out = tmp_path / "proposal.yaml"
    code = (
        "import sys\nfrom snas.cli import main\n"
        f"rc = main(['rules', 'suggest', {str(tiny_search / 'manifest.yaml')!r}, '--rules', {str(tiny_search / 'rules.yaml')!r}, "
        f"'--out', {str(out)!r}, '--data-dir', {str(tiny_search)!r}, '--max', '6'])\n"
        "print('HEAVY', sorted(m for m in ('torch', 'shap', 'optuna') if m in sys.modules), rc)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY [] 0" in run.stdout, run.stderr
    assert "rules proposed from" in run.stderr and "not applied" in run.stderr
    rs = load_rules(out)
    assert 1 <= len(rs) <= 6 and all(r.id.startswith("proposed-") for r in rs)


def test_rules_of_another_dataset_are_refused_before_mining():
    """Mining with them used to end in a KeyError once the work was done."""
    from snas.exceptions import RuleError

    data = from_frame(_toy(500), target="y", positive="yes", name="toy")
    with pytest.raises(ConfigError, match="written for dataset 'census_income'"):
        suggest_rules(data, load_rules(RULES))
    typo = parse_rules(_rules("  - {id: r, if: xx > 5, then: 'yes'}\n"), "typo.yaml")
    with pytest.raises(RuleError, match=r"typo\.yaml"):
        suggest_rules(data, typo)


def test_proposed_ids_are_ids_a_rule_file_accepts_however_long_the_feature_names():
    import re

    from snas._limits import MAX_ID_CHARS
    from snas.rules._mine import Cond
    from snas.rules._suggest import _new_id

    taken: set[str] = set()
    long = tuple(Cond(f"{c * 45} value (cm)") for c in "abc")
    ids = [_new_id(long, taken), _new_id(long, taken), _new_id((Cond("mean radius"),), taken)]
    assert len(set(ids)) == 3 and ids[2] == "proposed-mean-radius"
    for pid in ids:
        assert len(pid) <= MAX_ID_CHARS and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]*", pid), pid
        parse_rules(_rules(f"  - {{id: {pid}, if: z > 5, then: 'yes'}}\n"), "p.yaml")


def test_the_proposal_never_overwrites_the_rule_file_it_was_checked_against(tmp_path, capsys):
    from snas.cli import main

    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.read_text())
    assert main(["rules", "suggest", "census_income", "--rules", str(rules), "--out", str(rules)]) == 2
    assert "never applied" in capsys.readouterr().err and rules.read_text() == RULES.read_text()
