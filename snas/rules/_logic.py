"""Reasoning about rule bodies: can some row satisfy these conditions, and which row?

Every comparison reads one feature against a constant, so the question is exact and
finite: the constants cut each feature's line into elementary regions (open intervals and
points; integer features and categorical level codes keep only regions holding an
integer), and a row is a choice of one region per feature. Everything is built from the
condition tree by constructors: rule text never reaches ``sympify``/``parse_expr``/``lambdify``.

Deciders, cheapest first (:func:`overlap`); each is polynomial in the conditions' size:

* :func:`box_of` — a per-feature over-approximation (a union of intervals per feature). An
  empty box proves "no row"; an *exact* box (a conjunction of comparisons, or a disjunction
  over one feature) gives the witness row. Two disjoint boxes need nothing more.
* the disjunctive normal form, kept only while it has at most ``_DNF_TERMS`` conjunctions
  (so it is never exponential): exact for the usual small disjunctions.
* a greedy choice of one part of each ``or`` (linear): finds most witnesses of larger ones.
* otherwise an order encoding of the regions (``b_j`` = "the value lies in region ≤ j",
  with the chain ``b_j → b_{j+1}``) plus a Tseitin encoding of the condition (one fresh
  variable per ``and``/``or`` node) gives clauses linear in the condition size, solved by
  a DPLL solver with a decision budget (:mod:`snas.rules._sat`). (Converting to CNF by distribution, as ``satisfiable`` does, is
  exponential in a disjunction of conjunctions.) The solver stops after
  :data:`~snas._limits.MAX_SAT_DECISIONS` decisions, or when the context's share of
  :data:`~snas._limits.MAX_SAT_DECISIONS_TOTAL` is spent, and the question is reported
  undecided (:class:`UndecidedError`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from snas._limits import MAX_SAT_DECISIONS, MAX_SAT_DECISIONS_TOTAL
from snas.exceptions import RuleError
from snas.rules._sat import BudgetSpent, solve
from snas.rules._tree import NEGATED_OP, And, Compare, Condition, Member, Not, Or, atoms, features_of

if TYPE_CHECKING:
    from snas.datasets import Schema

__all__ = [
    "Box",
    "LogicContext",
    "Prepared",
    "UndecidedError",
    "box_of",
    "box_witness",
    "boxes_disjoint",
    "can_overlap",
    "find_overlap",
    "is_satisfiable",
    "overlap",
    "prepare",
]

_OTHER = "\u2063other"  # stands for every level the rules do not name


class UndecidedError(RuleError):
    """The solver used its budget (``MAX_SAT_DECISIONS`` / ``MAX_SAT_DECISIONS_TOTAL``) without deciding."""


@dataclass
class LogicContext:
    """Feature kinds, integrality and level codes for one schema (or for the rules alone),
    and the solver decisions the questions asked through it may still spend."""

    schema: Schema | None = None
    extra_levels: dict[str, list[str]] = field(default_factory=dict)
    decisions_left: int = MAX_SAT_DECISIONS_TOTAL
    _levels: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _kinds: dict[str, tuple[str, bool]] = field(default_factory=dict, repr=False)
    _regions: dict[_Lit, tuple[Interval, ...]] = field(default_factory=dict, repr=False)

    def _kind(self, feature: str) -> tuple[str, bool]:
        if feature not in self._kinds:
            if self.schema is not None and feature in self.schema:
                col = self.schema.column(feature)
                kind = "num" if col.kind == "numeric" else "cat"
                self._kinds[feature] = (kind, kind == "cat" or bool(col.integer))
            else:
                kind = "cat" if feature in self.extra_levels else "num"
                self._kinds[feature] = (kind, kind == "cat")
        return self._kinds[feature]

    def kind(self, feature: str) -> str:
        """``"num"`` (real or integer line) or ``"cat"`` (level codes 0..L-1, in level order)."""
        return self._kind(feature)[0]

    def integer(self, feature: str) -> bool:
        """Whether the feature only takes integer values (integer columns, level codes)."""
        return self._kind(feature)[1]

    def levels(self, feature: str) -> list[str]:
        """The feature's levels in code order (schema levels, then levels only the rules name)."""
        if feature not in self._levels:
            schema = self.schema
            base = list(schema.column(feature).levels) if schema is not None and feature in schema else []
            extra = [v for v in self.extra_levels.get(feature, []) if v not in base]
            if not base:
                extra.append(_OTHER)
            self._levels[feature] = base + extra
        return self._levels[feature]

    def region(self, lit: _Lit) -> tuple[Interval, ...]:
        """The values of the literal's feature where it holds (within the feature's domain)."""
        reg = self._regions.get(lit)
        if reg is None:
            reg = self._regions[lit] = _restrict(self, lit.feature, _lit_region(lit))
        return reg

    def domain(self, feature: str) -> Interval:
        """Every value the feature can take, as one interval."""
        if self.kind(feature) == "cat":
            return (0, True, len(self.levels(feature)) - 1, True)
        return _FULL

    @classmethod
    def for_conditions(cls, conds: list[Condition], schema: Schema | None = None) -> LogicContext:
        """A context that knows every categorical level the conditions mention."""
        extra: dict[str, list[str]] = {}
        for c in conds:
            for a in atoms(c):
                vals = [a.value] if isinstance(a, Compare) else list(a.values)
                if any(isinstance(v, str) for v in vals):
                    lst = extra.setdefault(a.feature, [])
                    lst.extend(str(v) for v in vals if str(v) not in lst)
        return cls(schema=schema, extra_levels=extra)


# ------------------------------------------------------------------ normal form
Op = Literal["<", "<=", ">", ">=", "==", "!="]


@dataclass(frozen=True)
class _Lit:
    """``feature op value`` on the feature's line (categorical values as level codes)."""

    feature: str
    op: Op
    value: Fraction


@dataclass(frozen=True)
class _Node:
    kind: Literal["and", "or"]
    items: tuple[Nnf, ...]


Nnf = bool | _Lit | _Node


def _join(kind: Literal["and", "or"], parts: list[Nnf]) -> Nnf:
    """``and``/``or`` of ``parts`` with constants folded and same-kind nodes flattened."""
    unit, absorbing = (True, False) if kind == "and" else (False, True)
    items: list[Nnf] = []
    for p in parts:
        if p is absorbing:
            return absorbing
        if p is unit:
            continue
        items.extend(p.items if isinstance(p, _Node) and p.kind == kind else (p,))
    if not items:
        return unit
    return items[0] if len(items) == 1 else _Node(kind, tuple(items))


def _cat_lit(ctx: LogicContext, feature: str, op: str, value: str) -> Nnf:
    levels = ctx.levels(feature)
    if value not in levels:  # no row has that level
        return op == "!="
    return _Lit(feature, op, Fraction(levels.index(value)))  # type: ignore[arg-type]


def _leaf(ctx: LogicContext, feature: str, op: str, value: Any) -> Nnf:
    if ctx.kind(feature) == "cat":
        return _cat_lit(ctx, feature, op, str(value))
    if isinstance(value, str):
        return False  # text compared with a number never holds (the name checks report it)
    return _Lit(feature, op, value)  # type: ignore[arg-type]


def to_nnf(cond: Condition, ctx: LogicContext, negate: bool = False) -> Nnf:
    """Condition tree → negation normal form over :class:`_Lit` (constants folded)."""
    if isinstance(cond, Not):
        return to_nnf(cond.item, ctx, not negate)
    if isinstance(cond, (And, Or)):
        use_and = isinstance(cond, And) != negate
        return _join("and" if use_and else "or", [to_nnf(c, ctx, negate) for c in cond.items])
    if isinstance(cond, Compare):
        op = NEGATED_OP[cond.op] if negate else cond.op
        if ctx.kind(cond.feature) == "num" and isinstance(cond.value, str):
            return False
        return _leaf(ctx, cond.feature, op, cond.value)
    assert isinstance(cond, Member)
    neg = cond.negated != negate
    num = ctx.kind(cond.feature) == "num"
    values = [v for v in cond.values if not (num and isinstance(v, str))]
    parts = [_leaf(ctx, cond.feature, "!=" if neg else "==", v) for v in values]
    return _join("and" if neg else "or", parts)


# ----------------------------------------------------------------- intervals
#: (low, low included, high, high included); ``None`` is −∞ / +∞. Integer features keep closed
#: ``int`` bounds (fast to compare), other features exact fractions.
Interval = tuple[Fraction | int | None, bool, Fraction | int | None, bool]
_FULL: Interval = (None, False, None, False)
#: An exact box: per feature, the union of intervals its value lies in (other features: any value).
Regions = dict[str, tuple[Interval, ...]]


def _nonempty(iv: Interval, integer: bool) -> bool:
    lo, lo_in, hi, hi_in = iv
    if lo is None or hi is None:
        return True  # unbounded on one side: holds reals and integers
    if integer:
        if not (lo_in and hi_in and type(lo) is int and type(hi) is int):
            lo = math.floor(lo) + 1 if not lo_in else math.ceil(lo)
            hi = math.ceil(hi) - 1 if not hi_in else math.floor(hi)
        return lo <= hi
    return lo < hi or (lo == hi and lo_in and hi_in)


def _integral(iv: Interval) -> Interval:
    """An interval of an integer feature as closed ``int`` bounds (the same integers)."""
    lo, lo_in, hi, hi_in = iv
    lo_i = None if lo is None else (math.floor(lo) + 1 if not lo_in else math.ceil(lo))
    hi_i = None if hi is None else (math.ceil(hi) - 1 if not hi_in else math.floor(hi))
    return (lo_i, lo_i is not None, hi_i, hi_i is not None)


def _meet(a: Interval, b: Interval) -> Interval:
    lo, lo_in = a[0], a[1]
    if b[0] is not None and (lo is None or b[0] > lo or (b[0] == lo and not b[1])):
        lo, lo_in = b[0], b[1]
    hi, hi_in = a[2], a[3]
    if b[2] is not None and (hi is None or b[2] < hi or (b[2] == hi and not b[3])):
        hi, hi_in = b[2], b[3]
    return (lo, lo_in, hi, hi_in)


def _lit_region(lit: _Lit) -> list[Interval]:
    v = lit.value
    regions: dict[str, list[Interval]] = {
        "<": [(None, False, v, False)],
        "<=": [(None, False, v, True)],
        ">": [(v, False, None, False)],
        ">=": [(v, True, None, False)],
        "==": [(v, True, v, True)],
        "!=": [(None, False, v, False), (v, False, None, False)],
    }
    return regions[lit.op]


def _pick(iv: Interval, integer: bool) -> Fraction:
    """A value inside a non-empty interval (the integer nearest its low end for integer features)."""
    lo, lo_in, hi, hi_in = iv
    if integer:
        if lo is not None:
            return Fraction(math.ceil(lo) if lo_in else math.floor(lo) + 1)
        if hi is not None:
            return Fraction(math.floor(hi) if hi_in else math.ceil(hi) - 1)
        return Fraction(0)
    if lo is not None and hi is not None:
        return Fraction(lo) if lo == hi else Fraction(lo + hi) / 2
    if lo is not None:
        return Fraction(lo if lo_in else lo + 1)
    if hi is not None:
        return Fraction(hi if hi_in else hi - 1)
    return Fraction(0)


def _value(ctx: LogicContext, feature: str, v: Fraction) -> Any:
    if ctx.kind(feature) == "cat":
        level = ctx.levels(feature)[int(v)]
        return "(any other level)" if level == _OTHER else level
    return int(v) if v.denominator == 1 else float(v)


# ----------------------------------------------------------------------- boxes
@dataclass(frozen=True)
class Box:
    """Per-feature sets of values (unions of intervals) that contain every row satisfying a
    condition; features not listed are unconstrained. ``exact`` when the rows satisfying the
    condition are exactly the box's rows; ``empty`` when no row can satisfy it."""

    regions: dict[str, tuple[Interval, ...]]
    exact: bool = True
    empty: bool = False


_EMPTY = Box({}, exact=True, empty=True)
_ALL = Box({}, exact=True)


def _restrict(ctx: LogicContext, feature: str, region: list[Interval] | tuple[Interval, ...]) -> tuple[Interval, ...]:
    """``region`` within the feature's domain, empty pieces dropped."""
    dom, integer = ctx.domain(feature), ctx.integer(feature)
    met = (_meet(iv, dom) for iv in region)
    return tuple(_integral(m) if integer else m for m in met if _nonempty(m, integer))


def _intersect(a: tuple[Interval, ...], b: tuple[Interval, ...], integer: bool) -> tuple[Interval, ...]:
    return tuple(m for x in a for y in b if _nonempty(m := _meet(x, y), integer))


def _box_and(ctx: LogicContext, boxes: list[Box]) -> Box:
    regions: dict[str, tuple[Interval, ...]] = {}
    for b in boxes:
        if b.empty:
            return _EMPTY
        for f, reg in b.regions.items():
            if f in regions:
                reg = _intersect(regions[f], reg, ctx.integer(f))
                if not reg:
                    return _EMPTY
            regions[f] = reg
    return Box(regions, exact=all(b.exact for b in boxes))


def _box_or(boxes: list[Box]) -> Box:
    live = [b for b in boxes if not b.empty]
    if not live:
        return _EMPTY
    if len(live) == 1:
        return live[0]
    if any(b.exact and not b.regions for b in live):
        return _ALL  # one part holds on every row
    shared = set(live[0].regions).intersection(*(b.regions for b in live[1:]))
    regions = {f: tuple(iv for b in live for iv in b.regions[f]) for f in shared}
    keys = {tuple(b.regions) for b in live}
    exact = all(b.exact for b in live) and len(keys) == 1 and len(next(iter(keys))) == 1
    return Box(regions, exact=exact)


def _nnf_box(node: Nnf, ctx: LogicContext) -> Box:
    if node is True:
        return _ALL
    if node is False:
        return _EMPTY
    if isinstance(node, _Lit):
        reg = ctx.region(node)
        return Box({node.feature: reg}) if reg else _EMPTY
    assert isinstance(node, _Node)
    parts = [_nnf_box(i, ctx) for i in node.items]
    return _box_and(ctx, parts) if node.kind == "and" else _box_or(parts)


def box_of(cond: Condition, ctx: LogicContext) -> Box:
    """The :class:`Box` of a condition, in time linear in its size."""
    return _nnf_box(to_nnf(cond, ctx), ctx)


def boxes_disjoint(a: Box, b: Box, ctx: LogicContext) -> bool:
    """True when no row can lie in both boxes (so the two conditions never hold together)."""
    if a.empty or b.empty:
        return True
    small, large = (a.regions, b.regions) if len(a.regions) <= len(b.regions) else (b.regions, a.regions)
    for f, reg in small.items():
        other = large.get(f)
        if other is None:
            continue
        integer = ctx.integer(f)
        if not any(_nonempty(_meet(x, y), integer) for x in reg for y in other):
            return True
    return False


def box_witness(box: Box, ctx: LogicContext, feats: list[str]) -> dict[str, Any]:
    """A row of a non-empty box (a witness of its condition when the box is exact)."""
    out = {}
    for f in feats:
        reg = box.regions.get(f) or _restrict(ctx, f, [_FULL])
        out[f] = _value(ctx, f, _pick(reg[0], ctx.integer(f)))
    return out


def _greedy(node: Nnf, ctx: LogicContext, regions: Regions) -> Regions | None:
    """An exact box inside ``regions`` on which ``node`` holds, found by taking in each ``or``
    the first part that still fits (no backtracking: every node is visited at most once);
    ``None`` when that fails, which proves nothing."""
    if node is True or node is False:
        return regions if node else None
    if isinstance(node, _Lit):
        reg = ctx.region(node)
        if node.feature in regions:
            reg = _intersect(regions[node.feature], reg, ctx.integer(node.feature))
        return {**regions, node.feature: reg} if reg else None
    if node.kind == "and":
        current: Regions | None = regions
        for item in node.items:
            current = _greedy(item, ctx, current) if current is not None else None
        return current
    for item in node.items:
        found = _greedy(item, ctx, regions)
        if found is not None:
            return found
    return None


# ------------------------------------------------------------------- SAT solver
class _Encoding:
    """Order encoding of each feature's regions + Tseitin encoding of the formula, as clauses."""

    def __init__(self, ctx: LogicContext) -> None:
        self.ctx = ctx
        self.n = 0
        self.clauses: list[list[int]] = []
        self.cuts: dict[str, list[Fraction]] = {}  # sorted constants per feature
        self.base: dict[str, int] = {}  # variable of b_0 per feature (b_j is base + j)

    def fresh(self) -> int:
        self.n += 1
        return self.n

    def features(self, lits: list[_Lit]) -> None:
        """Variables and clauses for the regions of every feature the literals read."""
        cuts: dict[str, set[Fraction]] = {}
        for lit in lits:
            cuts.setdefault(lit.feature, set()).add(lit.value)
        for f, values in cuts.items():
            dom = self.ctx.domain(f)
            values.update(Fraction(v) for v in (dom[0], dom[2]) if v is not None)
            ts = sorted(values)
            self.cuts[f] = ts
            self.base[f] = self.n + 1
            m = len(ts)
            for _ in range(2 * m):  # b_0 .. b_{2m-1}; b_{2m} is always true
                self.fresh()
            for j in range(2 * m - 1):
                self.clauses.append([-self.b(f, j), self.b(f, j + 1)])
            integer = self.ctx.integer(f)
            for r in range(2 * m + 1):
                if not _nonempty(_meet(self.region(f, r), dom), integer):
                    self._forbid(f, r)

    def b(self, feature: str, j: int) -> int:
        return self.base[feature] + j

    def region(self, feature: str, r: int) -> Interval:
        """Region ``r``: even = open interval before constant r/2, odd = the constant itself."""
        ts = self.cuts[feature]
        k = r // 2
        if r % 2:
            return (ts[k], True, ts[k], True)
        return (ts[k - 1] if k else None, False, ts[k] if k < len(ts) else None, False)

    def _forbid(self, f: str, r: int) -> None:
        last = 2 * len(self.cuts[f])
        clause = ([-self.b(f, r)] if r < last else []) + ([self.b(f, r - 1)] if r > 0 else [])
        self.clauses.append(clause)

    def literal(self, lit: _Lit) -> int:
        """A variable equivalent to (or implying, for ==/!=) the literal."""
        k = self.cuts[lit.feature].index(lit.value)
        below, upto = self.b(lit.feature, 2 * k), self.b(lit.feature, 2 * k + 1)
        if lit.op == "<":
            return below
        if lit.op == "<=":
            return upto
        if lit.op == ">":
            return -upto
        if lit.op == ">=":
            return -below
        v = self.fresh()
        if lit.op == "==":
            self.clauses += [[-v, upto], [-v, -below]]
        else:
            self.clauses.append([-v, below, -upto])
        return v

    def formula(self, node: Nnf) -> int:
        """A variable that implies ``node`` (Plaisted–Greenbaum: the formula is in NNF)."""
        stack: list[tuple[Nnf, bool]] = [(node, False)]
        var: dict[int, int] = {}
        while stack:
            cur, done = stack.pop()
            if isinstance(cur, _Lit):
                var[id(cur)] = self.literal(cur)
                continue
            assert isinstance(cur, _Node)
            if not done:
                stack.append((cur, True))
                stack.extend((i, False) for i in cur.items)
                continue
            v = self.fresh()
            kids = [var[id(i)] for i in cur.items]
            if cur.kind == "and":
                self.clauses += [[-v, k] for k in kids]
            else:
                self.clauses.append([-v, *kids])
            var[id(cur)] = v
        return var[id(node)]

    def value(self, model: dict[int, bool], feature: str) -> Fraction:
        """The feature's value in a model: a point of the lowest region whose ``b`` is true."""
        m = len(self.cuts[feature])
        r = next((j for j in range(2 * m) if model.get(self.b(feature, j), False)), 2 * m)
        iv = _meet(self.region(feature, r), self.ctx.domain(feature))
        return _pick(iv, self.ctx.integer(feature))


def _literals(node: Nnf) -> list[_Lit]:
    out, stack = [], [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, _Lit):
            out.append(cur)
        elif isinstance(cur, _Node):
            stack.extend(cur.items)
    return out


def _solve(clauses: list[list[int]], n: int, ctx: LogicContext, budget: int) -> dict[int, bool] | None:
    """A model of the clauses, ``None`` when there is none; UndecidedError past ``budget``
    decisions or the context's ``decisions_left``."""
    limit = min(budget, ctx.decisions_left)
    steps = limit
    try:
        model, steps = solve(clauses, n, limit)
    except BudgetSpent:
        which = "MAX_SAT_DECISIONS" if limit == budget else "MAX_SAT_DECISIONS_TOTAL, for the whole check"
        raise UndecidedError(f"undecided within {limit:,} solver decisions ({which})") from None
    finally:  # each question costs one decision more: the number of questions is bounded too
        ctx.decisions_left = max(0, ctx.decisions_left - steps - 1)
    return model


def _sat_witness(node: Nnf, ctx: LogicContext, feats: list[str], budget: int) -> dict[str, Any] | None:
    if ctx.decisions_left <= 0:  # spent: not even the clauses are built
        raise UndecidedError("undecided: the solver's budget for the whole check is spent (MAX_SAT_DECISIONS_TOTAL)")
    enc = _Encoding(ctx)
    enc.features(_literals(node))
    enc.clauses.append([enc.formula(node)])
    if any(not c for c in enc.clauses):
        return None
    model = _solve(enc.clauses, enc.n, ctx, budget)
    if model is None:
        return None
    out = {}
    for f in feats:
        v = enc.value(model, f) if f in enc.cuts else _pick(_restrict(ctx, f, [_FULL])[0], ctx.integer(f))
        out[f] = _value(ctx, f, v)
    return out


#: Most conjunctions a condition's disjunctive normal form may have to be kept (beyond it the
#: greedy choice and the solver decide), and most pairs of them compared for two conditions.
_DNF_TERMS = 64
_PAIR_TERMS = 64


def _dnf(node: Nnf, ctx: LogicContext) -> list[Regions] | None:
    """The satisfiable conjunctions of ``node``'s disjunctive normal form, each as an exact box
    (``None`` when there would be more than ``_DNF_TERMS``: the expansion is never exponential)."""
    if node is True or node is False:
        return [{}] if node else []
    if isinstance(node, _Lit):
        reg = ctx.region(node)
        return [{node.feature: reg}] if reg else []
    parts = []
    for item in node.items:
        terms = _dnf(item, ctx)
        if terms is None:
            return None
        parts.append(terms)
    if node.kind == "or":
        out = [t for terms in parts for t in terms]
        return out if len(out) <= _DNF_TERMS else None
    acc: list[Regions] = [{}]
    for terms in parts:
        if len(acc) * len(terms) > _DNF_TERMS:
            return None
        acc = [m for x in acc for y in terms if (m := _meet_regions(x, y, ctx)) is not None]
        if not acc:
            break
    return acc


def _meet_regions(a: Regions, b: Regions, ctx: LogicContext) -> Regions | None:
    """The intersection of two exact boxes (``None`` when empty)."""
    out = dict(a)
    for f, reg in b.items():
        if f in out:
            reg = _intersect(out[f], reg, ctx.integer(f))
            if not reg:
                return None
        out[f] = reg
    return out


@dataclass(frozen=True)
class Prepared:
    """A condition ready for reasoning: its negation normal form, box, bounded disjunctive
    normal form (``None`` when too large) and features."""

    node: Nnf
    box: Box
    terms: tuple[Regions, ...] | None
    features: tuple[str, ...]


def prepare(cond: Condition, ctx: LogicContext) -> Prepared:
    """Normal forms and box of ``cond``, computed once (``snas check`` pairs every rule with many)."""
    node = to_nnf(cond, ctx)
    terms = _dnf(node, ctx)
    return Prepared(node, _nnf_box(node, ctx), None if terms is None else tuple(terms), features_of(cond))


def _by_terms(parts: list[Prepared], ctx: LogicContext) -> tuple[bool, Regions | None]:
    """``(decided, box)`` from the parts' normal forms: an exact box where all parts hold, or
    ``None`` when none exists; ``decided`` is False when the forms are missing or too many."""
    count = 1
    for p in parts:
        if p.terms is None:
            return False, None
        count *= len(p.terms)
    if count > _PAIR_TERMS:
        return False, None
    acc: list[Regions] = [{}]
    for p in parts:
        acc = [m for x in acc for y in p.terms or () if (m := _meet_regions(x, y, ctx)) is not None]
    return True, (acc[0] if acc else None)


def overlap(parts: list[Prepared], ctx: LogicContext, *, budget: int | None = None) -> dict[str, Any] | None:
    """:func:`find_overlap` for prepared conditions: boxes, then a greedy choice, then the solver."""
    feats = list(dict.fromkeys(f for p in parts for f in p.features))
    box = _box_and(ctx, [p.box for p in parts])
    if box.empty:
        return None
    if box.exact:
        return box_witness(box, ctx, feats)
    decided, exact = _by_terms(parts, ctx)
    if decided:
        return None if exact is None else box_witness(Box(exact), ctx, feats)
    node = _join("and", [p.node for p in parts])
    found = _greedy(node, ctx, {})
    if found is not None:
        return box_witness(Box(found), ctx, feats)
    assert not isinstance(node, bool)  # constants give exact boxes
    return _sat_witness(node, ctx, feats, MAX_SAT_DECISIONS if budget is None else budget)


def can_overlap(parts: list[Prepared], ctx: LogicContext) -> bool:
    """Whether every prepared condition can hold on one row (:func:`overlap` without the witness)."""
    if all(p.box.exact for p in parts):
        return not _box_and(ctx, [p.box for p in parts]).empty
    decided, exact = _by_terms(parts, ctx)
    if decided:
        return exact is not None
    if _greedy(_join("and", [p.node for p in parts]), ctx, {}) is not None:
        return True
    return overlap(parts, ctx) is not None


def find_overlap(conds: list[Condition], ctx: LogicContext, *, budget: int | None = None) -> dict[str, Any] | None:
    """A witness row on which every condition holds, or ``None`` when they cannot all hold.

    Raises
    ------
    UndecidedError
        When the solver used ``budget`` decisions (default ``MAX_SAT_DECISIONS``) or the
        context's ``decisions_left`` without deciding (conditions built to be hard).
    """
    return overlap([prepare(c, ctx) for c in conds], ctx, budget=budget)


def is_satisfiable(cond: Condition, ctx: LogicContext) -> bool:
    """Whether some row can satisfy ``cond`` (UndecidedError past the solver's budget)."""
    return find_overlap([cond], ctx) is not None
