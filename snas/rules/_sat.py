"""A small SAT solver with a decision budget, for the rule checker's clauses.

DPLL with two watched literals per clause and unit propagation; variables are chosen by
how many clauses hold them, false first. The budget counts decisions (forced assignments
and retries are free), so every question ends after a bounded amount of work whatever the
clauses: past ``limit`` decisions :class:`BudgetSpent` is raised. The rule checker's
questions are small (an order encoding plus a Tseitin encoding of two conditions) and
decided in a few decisions; the budget is there for inputs built to be hard.

Clauses are lists of non-zero integers (DIMACS style: ``-v`` is "not v"), variables 1..n.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

__all__ = ["BudgetSpent", "solve"]


class BudgetSpent(Exception):
    """``limit`` decisions were made without an answer; ``decisions`` says how many."""

    def __init__(self, decisions: int) -> None:
        super().__init__(f"undecided within {decisions:,} decisions")
        self.decisions = decisions


class _Solver:
    def __init__(self, clauses: list[list[int]], n: int) -> None:
        self.value = [0] * (n + 1)  # 0 unassigned, 1 true, -1 false
        self.trail: list[int] = []  # literals made true, in order
        self.clauses = clauses
        self.watches: dict[int, list[int]] = {}
        for i, c in enumerate(clauses):
            if len(c) > 1:
                self.watches.setdefault(c[0], []).append(i)
                self.watches.setdefault(c[1], []).append(i)
        counts = Counter(abs(lit) for c in clauses for lit in c)
        self.order = sorted(counts, key=lambda v: (-counts[v], v))
        self.next_var = 0

    def lit_value(self, lit: int) -> int:
        v = self.value[abs(lit)]
        return v if lit > 0 else -v

    def assign(self, lit: int) -> None:
        self.value[abs(lit)] = 1 if lit > 0 else -1
        self.trail.append(lit)

    def propagate(self, start: int) -> bool:
        """Unit propagation from ``trail[start:]``; False on a conflict."""
        at = start
        while at < len(self.trail):
            false_lit = -self.trail[at]
            at += 1
            watching = self.watches.get(false_lit, [])
            keep: list[int] = []
            for k, ci in enumerate(watching):
                c = self.clauses[ci]
                if c[0] == false_lit:  # the false watch goes to position 1
                    c[0], c[1] = c[1], c[0]
                if self.lit_value(c[0]) == 1:
                    keep.append(ci)
                    continue
                for j in range(2, len(c)):
                    if self.lit_value(c[j]) != -1:  # a new watch
                        c[1], c[j] = c[j], c[1]
                        self.watches.setdefault(c[1], []).append(ci)
                        break
                else:
                    keep.append(ci)
                    if self.lit_value(c[0]) == -1:  # every literal false
                        keep.extend(watching[k + 1 :])
                        self.watches[false_lit] = keep
                        return False
                    self.assign(c[0])  # unit
            self.watches[false_lit] = keep
        return True

    def undo(self, length: int) -> None:
        while len(self.trail) > length:
            self.value[abs(self.trail.pop())] = 0
        self.next_var = 0

    def pick(self) -> int:
        while self.next_var < len(self.order) and self.value[self.order[self.next_var]] != 0:
            self.next_var += 1
        return self.order[self.next_var] if self.next_var < len(self.order) else 0


def solve(clauses: Sequence[Sequence[int]], n: int, limit: int) -> tuple[dict[int, bool] | None, int]:
    """A model of ``clauses`` over variables 1..n (every variable set) or ``None`` when there
    is none, and the decisions it took. Raises :class:`BudgetSpent` past ``limit`` decisions.

    Examples
    --------
    >>> solve([[1, 2], [-1], [-2, 3]], 3, 100)  # decided by propagation alone
    ({1: False, 2: True, 3: True}, 0)
    >>> solve([[1, 2], [-1, 2], [1, -2], [-1, -2]], 2, 100)
    (None, 1)
    """
    units: list[int] = []
    kept: list[list[int]] = []
    for clause in clauses:
        c = list(dict.fromkeys(clause))
        if not c:
            return None, 0
        if any(-lit in c for lit in c):
            continue  # always true
        (units if len(c) == 1 else kept).append(c[0] if len(c) == 1 else c)  # type: ignore[arg-type]
    s = _Solver(kept, n)
    for lit in units:
        if s.lit_value(lit) == -1:
            return None, 0
        if s.lit_value(lit) == 0:
            s.assign(lit)
    if not s.propagate(0):
        return None, 0
    decisions = 0
    stack: list[tuple[int, bool, int]] = []  # (decided literal, retried, trail length before)
    while True:
        var = s.pick()
        if var == 0:
            model = {v: s.value[v] == 1 for v in range(1, n + 1)}
            return model, decisions
        decisions += 1
        if decisions > limit:
            raise BudgetSpent(decisions - 1)
        stack.append((-var, False, len(s.trail)))
        s.assign(-var)
        ok = s.propagate(len(s.trail) - 1)
        while not ok:  # back to the latest decision not yet retried, and take its other value
            while stack and stack[-1][1]:
                stack.pop()
            if not stack:
                return None, decisions
            lit, _, length = stack.pop()
            s.undo(length)
            stack.append((-lit, True, length))
            s.assign(-lit)
            ok = s.propagate(len(s.trail) - 1)
