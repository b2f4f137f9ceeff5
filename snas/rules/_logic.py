"""Reasoning about rule bodies with sympy, built from the condition tree by constructors.

Numeric features are real symbols (integer features get tightened bounds, so interval
reasoning is exact for them); a categorical feature is a real *code* symbol restricted to
its level codes, so "one level per row" holds by construction and ordinal comparisons are
plain inequalities. Rule text never reaches ``sympify``/``parse_expr``/``lambdify``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from snas.rules._tree import NEGATED_OP, And, Compare, Condition, Not, Or, atoms

if TYPE_CHECKING:
    from snas.datasets import Schema

__all__ = ["LogicContext", "find_overlap", "is_satisfiable"]


@dataclass
class LogicContext:
    """Symbols and level codes for one schema (or, without one, for the rules alone)."""

    schema: Schema | None = None
    extra_levels: dict[str, list[str]] = field(default_factory=dict)
    _symbols: dict[str, Any] = field(default_factory=dict)

    def kind(self, feature: str) -> str:
        if self.schema is not None and feature in self.schema:
            col = self.schema.column(feature)
            return "num" if col.kind == "numeric" else "cat"
        return "cat" if feature in self.extra_levels else "num"

    def integer(self, feature: str) -> bool:
        return self.schema is not None and feature in self.schema and self.schema.column(feature).integer

    def levels(self, feature: str) -> list[str]:
        base = list(self.schema.column(feature).levels) if self.schema is not None and feature in self.schema else []
        extra = [v for v in self.extra_levels.get(feature, []) if v not in base]
        if not base:
            extra.append("\u2063other")  # stands for every level the rules do not name
        return base + extra

    def symbol(self, feature: str) -> Any:
        import sympy

        if feature not in self._symbols:
            self._symbols[feature] = sympy.Symbol(feature, real=True)
        return self._symbols[feature]

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


def _num_atom(ctx: LogicContext, feature: str, op: str, value: Fraction) -> Any:
    import sympy

    x = ctx.symbol(feature)
    if ctx.integer(feature):  # tighten to integer bounds: interval reasoning becomes exact
        if op in ("<", "<="):
            bound = (math.ceil(value) - 1) if op == "<" else math.floor(value)
            return sympy.Le(x, sympy.Integer(bound))
        if op in (">", ">="):
            bound = (math.floor(value) + 1) if op == ">" else math.ceil(value)
            return sympy.Ge(x, sympy.Integer(bound))
        if op in ("==", "!=") and value.denominator != 1:
            return sympy.false if op == "==" else sympy.true
    v = sympy.Rational(value.numerator, value.denominator)
    return (
        {
            "<": sympy.Lt,
            "<=": sympy.Le,
            ">": sympy.Gt,
            ">=": sympy.Ge,
            "==": sympy.Eq,
        }[op](x, v)
        if op != "!="
        else sympy.Or(sympy.Lt(x, v), sympy.Gt(x, v))
    )


def _cat_atom(ctx: LogicContext, feature: str, op: str, value: str) -> Any:
    import sympy

    levels = ctx.levels(feature)
    if value not in levels:
        return sympy.false if op in ("==", "<", "<=", ">", ">=") else sympy.true
    code = levels.index(value)
    k = ctx.symbol(feature)
    if op == "==":
        return sympy.Eq(k, code)
    if op == "!=":
        return sympy.Or(sympy.Lt(k, code), sympy.Gt(k, code))
    return {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge}[op](k, code)


def to_sympy(cond: Condition, ctx: LogicContext, negate: bool = False) -> Any:
    """Condition tree → sympy formula in negation normal form (no ``Ne`` atoms)."""
    import sympy

    if isinstance(cond, Not):
        return to_sympy(cond.item, ctx, not negate)
    if isinstance(cond, (And, Or)):
        parts = [to_sympy(c, ctx, negate) for c in cond.items]
        use_and = isinstance(cond, And) != negate
        return sympy.And(*parts) if use_and else sympy.Or(*parts)
    if isinstance(cond, Compare):
        op = NEGATED_OP[cond.op] if negate else cond.op
        if ctx.kind(cond.feature) == "num":
            if isinstance(cond.value, str):
                return sympy.false
            return _num_atom(ctx, cond.feature, op, cond.value)
        return _cat_atom(ctx, cond.feature, op, str(cond.value))
    # Member
    neg = cond.negated != negate
    op = "!=" if neg else "=="
    if ctx.kind(cond.feature) == "num":
        parts = [_num_atom(ctx, cond.feature, op, v) for v in cond.values if not isinstance(v, str)]
    else:
        parts = [_cat_atom(ctx, cond.feature, op, str(v)) for v in cond.values]
    return sympy.And(*parts) if neg else sympy.Or(*parts)


def _domain(ctx: LogicContext, features: set[str]) -> Any:
    import sympy

    axioms = []
    for f in sorted(features):
        if ctx.kind(f) == "cat":
            k = ctx.symbol(f)
            axioms.append(sympy.Or(*[sympy.Eq(k, i) for i in range(len(ctx.levels(f)))]))
    return sympy.And(*axioms)


def _witness(model: dict[Any, bool], ctx: LogicContext, features: list[str]) -> dict[str, Any]:
    """A concrete row (feature → value) satisfying the model's atom assignment."""
    bounds: dict[str, dict[str, Any]] = {}
    for key, truth in model.items():
        fn = getattr(key, "function", None)
        if fn is None:
            continue
        lhs, rhs = key.arguments
        name = str(lhs)
        b = bounds.setdefault(
            name, {"lo": None, "lo_strict": False, "hi": None, "hi_strict": False, "eq": None, "codes": []}
        )
        v = Fraction(int(rhs.p), int(rhs.q))
        op = str(fn).split(".")[-1]  # ge, gt, le, lt, eq
        if not truth:
            op = {"ge": "lt", "gt": "le", "le": "gt", "lt": "ge", "eq": "ne"}[op]
        if op == "eq":
            b["eq"] = v
        elif op in ("ge", "gt") and (b["lo"] is None or v > b["lo"] or (v == b["lo"] and op == "gt")):
            b["lo"], b["lo_strict"] = v, op == "gt"
        elif op in ("le", "lt") and (b["hi"] is None or v < b["hi"] or (v == b["hi"] and op == "lt")):
            b["hi"], b["hi_strict"] = v, op == "lt"
    out: dict[str, Any] = {}
    for f in features:
        b = bounds.get(f, {"lo": None, "hi": None, "eq": None, "lo_strict": False, "hi_strict": False})
        if ctx.kind(f) == "cat":
            levels = ctx.levels(f)
            code = int(b["eq"]) if b["eq"] is not None else 0
            level = levels[code]
            out[f] = "(any other level)" if level.startswith("\u2063") else level
            continue
        if b["eq"] is not None:
            val = b["eq"]
        elif b["lo"] is not None and b["hi"] is not None:
            val = (b["lo"] + b["hi"]) / 2
            if ctx.integer(f):
                val = Fraction(math.ceil(b["lo"] + (1 if b["lo_strict"] else 0)))
        elif b["lo"] is not None:
            val = b["lo"] + (1 if b["lo_strict"] else 0)
        elif b["hi"] is not None:
            val = b["hi"] - (1 if b["hi_strict"] else 0)
        else:
            val = Fraction(0)
        out[f] = int(val) if val.denominator == 1 else float(val)
    return out


def find_overlap(conds: list[Condition], ctx: LogicContext) -> dict[str, Any] | None:
    """A witness row on which every condition holds, or ``None`` when they cannot all hold."""
    import sympy
    from sympy.logic.inference import satisfiable

    formula = sympy.And(*[to_sympy(c, ctx) for c in conds])
    feats: list[str] = []
    for c in conds:
        for a in atoms(c):
            if a.feature not in feats:
                feats.append(a.feature)
    formula = sympy.And(formula, _domain(ctx, set(feats)))
    if formula is sympy.false:
        return None
    if formula is sympy.true:
        return dict.fromkeys(feats, "(any)")
    model = satisfiable(formula, use_lra_theory=True)
    if model is False:
        return None
    return _witness(model, ctx, feats)


def is_satisfiable(cond: Condition, ctx: LogicContext) -> bool:
    """Whether some row can satisfy ``cond``."""
    return find_overlap([cond], ctx) is not None
