"""Satisfiability of rule bodies: exact against brute force, polynomial on hostile conditions,
bounded (undecided, a warning) when a question is built to be hard, and fast on 1,000 rules."""

from __future__ import annotations

import itertools
import random
import time
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import snas.rules._check as check_module
import snas.rules._logic as logic
from snas._limits import MAX_PAIR_FINDINGS
from snas.datasets import load_manifest
from snas.rules import (
    LogicContext,
    UndecidedError,
    check_rules,
    features_of,
    find_overlap,
    holds,
    parse_condition,
    parse_rules,
)
from snas.rules._logic import box_of, boxes_disjoint

HEAD = 'snas_rules: 1\ndataset: census_income\ntarget: {column: income, positive: ">50K"}\nrules:\n'
SCHEMA = load_manifest("census_income").schema


# ---------------------------------------------------------------- exactness
_EDU = ["Preschool", "HS-grad", "Bachelors", "Masters", "Doctorate"]


def _atom(rnd: random.Random) -> str:
    kind = rnd.randrange(6)
    op = rnd.choice(["<", "<=", ">", ">=", "==", "!="])
    if kind == 0:  # integer feature, integer and half thresholds
        return f"age {op} {rnd.choice(['0', '1', '2', '3', '4', '1.5', '2.5'])}"
    if kind == 1:  # real feature (not in the schema)
        return f"x {op} {rnd.choice(['0', '1', '2', '3', '4', '1.5'])}"
    if kind == 2:  # ordinal: level order
        return f'education {op} "{rnd.choice(_EDU)}"'
    if kind == 3:
        return f'sex {rnd.choice(["==", "!="])} "{rnd.choice(["Male", "Female"])}"'
    if kind == 4:
        vals = ", ".join(f'"{v}"' for v in rnd.sample(["Sales", "Tech-support", "Exec-managerial"], 2))
        return f"occupation {rnd.choice(['in', 'not in'])} [{vals}]"
    return f"age {rnd.choice(['in', 'not in'])} [{rnd.choice(['1, 3', '2', '0, 4'])}]"


def _cond(rnd: random.Random, depth: int = 0) -> str:
    if depth >= 2 or rnd.random() < 0.3:
        return _atom(rnd)
    n = rnd.randint(2, 3)
    parts = [_cond(rnd, depth + 1) for _ in range(n)]
    text = f" {rnd.choice(['and', 'or'])} ".join(f"({p})" for p in parts)
    return f"not ({text})" if rnd.random() < 0.25 else text


def _grid() -> pd.DataFrame:
    """Every region of every feature the random conditions can tell apart."""
    occ = list(SCHEMA.column("occupation").levels)
    values = {
        "age": list(range(-1, 6)),
        "x": [v / 4 for v in range(-4, 21)],
        "education": list(SCHEMA.column("education").levels),
        "sex": ["Male", "Female"],
        "occupation": ["Sales", "Tech-support", "Exec-managerial", next(o for o in occ if o[0] == "P")],
    }
    rows = list(itertools.product(*values.values()))
    return pd.DataFrame(rows, columns=list(values))


def _holds_on(w: dict, conds: list, grid: pd.DataFrame) -> bool:
    row = {f: [w.get(f, 0 if f in ("age", "x") else grid[f].iloc[0])] for f in grid.columns}
    frame = pd.DataFrame(row)
    return all(holds(c, frame, SCHEMA)[0] for c in conds)


def test_find_overlap_and_the_solver_agree_with_brute_force_and_their_witnesses_hold():
    rnd = random.Random(7)
    grid = _grid()
    beyond_boxes = 0
    for _ in range(300):
        a, b = parse_condition(_cond(rnd)), parse_condition(_cond(rnd))
        ctx = LogicContext.for_conditions([a, b], SCHEMA)
        expected = bool((holds(a, grid, SCHEMA) & holds(b, grid, SCHEMA)).any())
        w = find_overlap([a, b], ctx)
        assert (w is not None) == expected, (a, b, w)
        assert w is None or _holds_on(w, [a, b], grid), (a, b, w)  # a real row where both hold
        ba, bb = box_of(a, ctx), box_of(b, ctx)
        if boxes_disjoint(ba, bb, ctx):  # the cheap pre-filter is sound
            assert not expected, (a, b)
        node = logic._join("and", [logic.to_nnf(a, ctx), logic.to_nnf(b, ctx)])
        if isinstance(node, bool):
            continue
        feats = list(dict.fromkeys([*features_of(a), *features_of(b)]))
        s = logic._sat_witness(node, ctx, feats, 10_000)  # the solver alone, on every pair
        assert (s is not None) == expected, (a, b, s)
        assert s is None or _holds_on(s, [a, b], grid), (a, b, s)
        beyond_boxes += not (ba.exact and bb.exact)
    assert beyond_boxes > 50  # the normal forms and the greedy choice are exercised too


def test_integer_features_have_integer_witnesses():
    ctx = LogicContext(SCHEMA)
    w = find_overlap([parse_condition("age > 20.5 and age < 22 and x > 0.5 and x < 1")], ctx)
    assert w == {"age": 21, "x": 0.75}
    assert find_overlap([parse_condition("age > 20 and age < 21")], ctx) is None


# ----------------------------------------------------- item 1: no CNF blow-up
def _or_of_ands(n: int) -> str:
    return " or ".join(f"(age > {i} and hours_per_week < {i + 1})" for i in range(n))


def _peak(fn):  # peak Python memory (bytes) and the result of fn()
    tracemalloc.start()
    try:
        out = fn()
        return tracemalloc.get_traced_memory()[1], out
    finally:
        tracemalloc.stop()


def test_an_or_of_twenty_ands_is_decided_in_little_time_and_memory():
    """20 disjuncts (737 characters) made sympy's CNF conversion use > 2.4 GB and fail."""
    cond = _or_of_ands(20)
    assert len(cond) == 737
    rs = parse_rules(HEAD + f'  - id: r\n    if: "{cond}"\n    then: ">50K"\n    strength: hard\n', "r.yaml")
    start = time.perf_counter()
    peak, report = _peak(lambda: check_rules(rs, SCHEMA))
    assert time.perf_counter() - start < 10
    assert peak < 50_000_000
    assert report.ok and not report.findings
    # one disjunct true: the witness satisfies the condition
    dead = parse_condition(" or ".join(f"(age > {i + 5} and age < {i + 6})" for i in range(20)))
    ctx = LogicContext(SCHEMA)
    assert find_overlap([dead], ctx) is None  # every disjunct needs an integer strictly between i+5 and i+6
    w = find_overlap([parse_condition(cond)], ctx)
    assert holds(parse_condition(cond), pd.DataFrame({k: [v] for k, v in w.items()}), SCHEMA)[0]


def test_an_unless_that_is_an_and_of_ors_is_decided():
    """`unless: (a or b) and (c or d) ...`: its negation is an or of ands, the same blow-up."""
    unless = " and ".join(f"(age < {i} or hours_per_week > {i})" for i in range(20))
    rs = parse_rules(
        HEAD
        + f'  - id: a\n    if: "age > 3"\n    unless: "{unless}"\n    then: ">50K"\n    strength: hard\n'
        + '  - id: b\n    if: "hours_per_week < 2"\n    then: "<=50K"\n    strength: hard\n',
        "r.yaml",
    )
    peak, report = _peak(lambda: check_rules(rs, SCHEMA))
    assert peak < 50_000_000
    (conflict,) = report.errors
    assert conflict.code == "hard-conflict"
    row = pd.DataFrame({k: [v] for k, v in conflict.witness.items()})
    assert holds(rs["a"].body, row, SCHEMA)[0] and holds(rs["b"].body, row, SCHEMA)[0]


def _pigeonhole(n: int) -> list:
    """n+1 pigeons in n holes (unsatisfiable, and hard for DPLL)."""
    holes = ", ".join(f'"h{j}"' for j in range(n))
    conds = [parse_condition(" and ".join(f"p{i} in [{holes}]" for i in range(n + 1)))]
    for j in range(n):
        pairs = itertools.combinations(range(n + 1), 2)
        conds.append(parse_condition(" and ".join(f'not (p{i} == "h{j}" and p{k} == "h{j}")' for i, k in pairs)))
    return conds


def test_a_question_built_to_be_hard_is_undecided_within_the_budget():
    conds = _pigeonhole(6)
    ctx = LogicContext.for_conditions(conds)
    assert find_overlap(conds, ctx, budget=100_000) is None  # decidable with a large budget
    with pytest.raises(UndecidedError, match="MAX_SAT_DECISIONS"):
        find_overlap(conds, LogicContext.for_conditions(conds), budget=50)
    spent = LogicContext.for_conditions(conds)
    spent.decisions_left = 0  # the whole check's budget is gone
    with pytest.raises(UndecidedError, match="MAX_SAT_DECISIONS_TOTAL"):
        find_overlap(conds, spent)


# satisfiable (hours_per_week == 0, age == 1), but the first choice of a greedy reading (age == 0)
# fails the next part, and the normal form has 256 conjunctions: only the solver decides it
_MISLEADING = "(age == 0 or hours_per_week == 0) and (age == 1 or age == 2) and " + " and ".join(
    f"(capital_loss >= {j} or capital_gain >= {j})" for j in range(6)
)


def test_undecided_questions_are_warnings_not_errors(monkeypatch):
    text = (
        HEAD
        + f'  - id: r\n    if: "{_MISLEADING}"\n    then: ">50K"\n    strength: hard\n'
        + '  - id: s\n    if: "age == 2 or capital_gain == 3"\n    then: "<=50K"\n    strength: hard\n'
    )
    rs = parse_rules(text, "r.yaml")
    (decided,) = check_rules(rs, SCHEMA).findings  # with the budget: a conflict, with a witness
    assert decided.code == "hard-conflict"
    row = pd.DataFrame({k: [v] for k, v in decided.witness.items()})
    assert holds(rs["r"].body, row, SCHEMA)[0] and holds(rs["s"].body, row, SCHEMA)[0]
    monkeypatch.setattr(logic, "MAX_SAT_DECISIONS", 0)
    report = check_rules(rs, SCHEMA)
    assert report.ok
    undecided = [f for f in report.findings if f.code == "undecided"]
    assert {(f.rule, f.other) for f in undecided} == {("r", None), ("r", "s")}
    assert all(f.level == "warning" and "could not decide" in f.message and f.line for f in undecided)


# ------------------------------------------------------ item 2: 1,000 rules
def _many(cond: str, n: int = 1000) -> str:
    heads = ('"<=50K"', '">50K"')
    return HEAD + "".join(
        f'  - {{id: r{i}, if: "{cond.format(i=i)}", then: {heads[i % 2]}, strength: hard}}\n' for i in range(n)
    )


def test_a_thousand_disjoint_hard_rules_check_in_seconds():
    """Each of the 250,000 pairs with different heads went through sympy (over 75 s)."""
    rs = parse_rules(_many("hours_per_week == {i}"), "many.yaml")
    start = time.perf_counter()
    report = check_rules(rs, SCHEMA)
    assert time.perf_counter() - start < 10
    assert report.ok and not report.findings


def test_many_overlapping_pairs_are_counted_beyond_the_listing_limit():
    rs = parse_rules(_many("hours_per_week >= {i}", 60), "many.yaml")
    report = check_rules(rs, SCHEMA)
    conflicts = [f for f in report.errors if f.code == "hard-conflict"]
    assert len(conflicts) == MAX_PAIR_FINDINGS + 1  # 900 pairs: 100 listed, one finding counts the rest
    assert "800 more pairs" in conflicts[-1].message and "MAX_PAIR_FINDINGS" in conflicts[-1].message
    assert all(f.witness is not None for f in conflicts[:-1])


def test_pairs_with_a_training_row_need_no_solver(census, monkeypatch):
    def no_reasoning(*args, **kwargs):
        raise AssertionError("the bodies were reasoned about")

    monkeypatch.setattr(check_module, "overlap", no_reasoning)
    monkeypatch.setattr(check_module, "can_overlap", no_reasoning)
    rs = parse_rules(
        HEAD
        + "  - {id: a, if: age > 60 or capital_gain > 99000, then: '>50K', strength: hard}\n"
        + "  - {id: b, if: hours_per_week < 10 or education_num < 3, then: '<=50K', strength: hard}\n",
        "r.yaml",
    )
    (conflict,) = check_rules(rs, census).errors
    assert conflict.overlap_rows and conflict.overlap_rows > 0
    both = holds(rs["a"].body, census.train, census.schema) & holds(rs["b"].body, census.train, census.schema)
    assert conflict.overlap_rows == int(np.sum(both))


def test_the_new_limits_are_documented():
    from pathlib import Path

    from snas import _limits

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for value in (_limits.MAX_SAT_DECISIONS, _limits.MAX_SAT_DECISIONS_TOTAL, _limits.MAX_PAIR_FINDINGS):
        assert f"{value:,}" in readme
