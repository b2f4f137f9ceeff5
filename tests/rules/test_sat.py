"""The rule checker's SAT solver against exhaustive search and sympy's solver."""

from __future__ import annotations

import itertools
import random

import pytest

from snas.rules._sat import BudgetSpent, solve


def _brute(clauses: list[list[int]], n: int) -> bool:
    return any(
        all(any((lit > 0) == bits[abs(lit) - 1] for lit in c) for c in clauses)
        for bits in itertools.product([False, True], repeat=n)
    )


def _holds(clauses: list[list[int]], model: dict[int, bool]) -> bool:
    return all(any(model[abs(lit)] == (lit > 0) for lit in c) for c in clauses)


def _random_cnf(rng: random.Random, n: int) -> list[list[int]]:
    m = rng.randint(1, 5 * n)
    return [[rng.choice([-1, 1]) * rng.randint(1, n) for _ in range(rng.randint(1, 4))] for _ in range(m)]


def test_agrees_with_exhaustive_search_on_random_formulas():
    rng = random.Random(0)
    answers = []
    for _ in range(600):
        n = rng.randint(1, 9)
        clauses = _random_cnf(rng, n)
        model, _ = solve(clauses, n, 10_000)
        answers.append(model is not None)
        assert answers[-1] == _brute(clauses, n), clauses
        if model is not None:
            assert set(model) == set(range(1, n + 1)) and _holds(clauses, model)
    assert 100 < sum(answers) < 500  # both answers were exercised


def test_agrees_with_sympy_on_larger_formulas():
    from sympy import symbols
    from sympy.logic.boolalg import And, Not, Or
    from sympy.logic.inference import satisfiable

    rng = random.Random(1)
    for _ in range(40):
        n = 30  # 128 clauses of 3 literals: near the ratio 4.26 where both answers are common
        clauses = [[rng.choice([-1, 1]) * rng.randint(1, n) for _ in range(3)] for _ in range(128)]
        xs = symbols(f"x1:{n + 1}")
        expr = And(*[Or(*[xs[abs(v) - 1] if v > 0 else Not(xs[abs(v) - 1]) for v in c]) for c in clauses])
        model, _ = solve(clauses, n, 100_000)
        assert (model is not None) == bool(satisfiable(expr))
        if model is not None:
            assert _holds(clauses, model)


def _pigeonhole(holes: int) -> tuple[list[list[int]], int]:
    pigeons = holes + 1
    var = {(p, h): p * holes + h + 1 for p in range(pigeons) for h in range(holes)}
    clauses = [[var[p, h] for h in range(holes)] for p in range(pigeons)]
    clauses += [[-var[p, h], -var[q, h]] for h in range(holes) for p, q in itertools.combinations(range(pigeons), 2)]
    return clauses, pigeons * holes


def test_the_budget_counts_decisions_and_stops_the_search():
    clauses, n = _pigeonhole(5)
    model, decisions = solve(clauses, n, 100_000)
    assert model is None and decisions > 10
    with pytest.raises(BudgetSpent) as stopped:
        solve(clauses, n, decisions - 1)
    assert stopped.value.decisions == decisions - 1
    assert solve([[1, 2], [-1]], 2, 0) == ({1: False, 2: True}, 0)  # propagation alone costs nothing


def test_edge_cases():
    assert solve([], 0, 10) == ({}, 0)
    assert solve([[]], 1, 10) == (None, 0)  # an empty clause
    assert solve([[1, -1]], 1, 10)[0] is not None  # a tautology
    assert solve([[1, 1, 1], [-1, -1]], 1, 10) == (None, 0)  # repeated literals
    clauses = [[1, 2, 3]]
    solve(clauses, 3, 10)
    assert clauses == [[1, 2, 3]]  # the caller's clauses are not reordered
