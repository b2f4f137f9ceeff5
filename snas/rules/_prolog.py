"""Import PSyKI-style Datalog class rules into snas's rule format.

``class(Age, ..., CapitalGain, '>50K') :- CapitalGain >= 7500, \\+(Age < 21).`` becomes a
rule with ``if: capital_gain >= 7500 and not (age < 21)`` and ``then: ">50K"``; clause
order is kept in ``priority``. Parsed with a lark grammar, never executed.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import sha256_bytes
from snas.exceptions import RuleSyntaxError
from snas.rules._tree import FLIPPED_OP, And, Compare, Condition, Not, Or, Rule, RuleSet, to_text

if TYPE_CHECKING:
    from snas.datasets import Schema

__all__ = ["import_prolog"]

_OPS = {"=<": "<=", ">=": ">=", "<": "<", ">": ">", "=": "==", "==": "==", "\\=": "!="}


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from lark import Lark

    return Lark(Path(__file__).with_name("prolog.lark").read_text(), parser="lalr", lexer="basic")


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()


def import_prolog(
    text: str, *, path: str | None = None, schema: Schema | None = None, strength: str = "soft"
) -> RuleSet:
    """Convert Datalog class rules to a :class:`RuleSet` (clause order → ``priority``).

    Head variables map to features by position when ``schema`` has that many features,
    otherwise by name (``CapitalGain`` → ``capital_gain``). Clauses whose body is ``true``
    (a default class) are skipped: the network learns the default.
    """
    from fractions import Fraction

    from lark import Token, Tree
    from lark.exceptions import UnexpectedInput

    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        line, col = getattr(exc, "line", None), getattr(exc, "column", None)
        ctx = exc.get_context(text) if hasattr(exc, "get_context") else ""
        raise RuleSyntaxError(
            f"cannot parse the Datalog rules ({exc.__class__.__name__})",
            path=path,
            line=line,
            column=col,
            context=ctx.rstrip(),
        ) from None
    rules: list[Rule] = []
    skipped = 0
    for n, clause in enumerate(tree.children):
        head = clause.children[0]
        terms = head.children[1:]
        if clause.data == "fact":
            continue
        label_tok = terms[-1]
        variables = [str(t.children[0]) for t in terms[:-1]]
        feats = list(schema.feature_names) if schema is not None else []
        mapping = {v: (feats[i] if len(feats) == len(variables) else _snake(v)) for i, v in enumerate(variables)}

        def term(t: Tree, mapping: dict[str, str] = mapping) -> tuple[str, Any]:
            tok = t.children[0]
            if t.data == "var":
                if str(tok) not in mapping:
                    raise RuleSyntaxError(
                        f"variable {tok} is not an argument of the head",
                        path=path,
                        line=getattr(tok, "line", None),
                        column=getattr(tok, "column", None),
                    )
                return "feature", mapping[str(tok)]
            if t.data == "number":
                return "value", Fraction(str(tok))
            if t.data == "qatom":
                return "value", str(tok)[1:-1].replace("\\'", "'")
            return "value", str(tok)

        def build(node: Tree | Token) -> Condition | None:
            if isinstance(node, Token):  # TRUE
                return None
            if node.data == "true_":
                return None
            if node.data in ("and_", "or_"):
                parts = [p for p in (build(c) for c in node.children) if p is not None]
                if node.data == "or_" and len(parts) < len(node.children):
                    return None  # "... ; true" is always true
                if not parts:
                    return None
                return parts[0] if len(parts) == 1 else (And(tuple(parts)) if node.data == "and_" else Or(tuple(parts)))
            if node.data == "not_":
                inner = build(node.children[0])
                if inner is None:
                    raise RuleSyntaxError("'\\+ true' can never hold", path=path)
                return Not(inner)
            if node.data == "cmp":
                a, op_tok, b = node.children
                op = _OPS[str(op_tok)]
            else:
                op_tok, a, b = node.children
                op = _OPS[str(op_tok)[1:-1]]
            (ka, va), (kb, vb) = term(a), term(b)
            if ka == "feature" and kb == "value":
                return Compare(va, op, vb)  # type: ignore[arg-type]
            if kb == "feature" and ka == "value":
                return Compare(vb, FLIPPED_OP[op], va)  # type: ignore[arg-type]
            tok = op_tok
            raise RuleSyntaxError(
                "each comparison needs one variable and one constant",
                path=path,
                line=getattr(tok, "line", None),
                column=getattr(tok, "column", None),
            )

        cond = build(clause.children[1])
        if cond is None:
            skipped += 1
            continue
        _, label = term(label_tok)
        if isinstance(label, Fraction):
            label = str(label.numerator) if label.denominator == 1 else str(float(label))
        text_cond = to_text(cond)
        rules.append(
            Rule(
                id=f"clause-{n + 1}",
                condition=cond,
                head=str(label),
                strength=strength,  # type: ignore[arg-type]
                priority=n + 1,
                if_text=text_cond,
                source=f"imported from {path or 'Datalog'} (clause {n + 1})",
            )
        )
    if not rules:
        raise RuleSyntaxError("no class rule with a body found", path=path)
    target = schema.target if schema is not None else None
    return RuleSet(rules=tuple(rules), target=target, path=path, text=text, sha256=sha256_bytes(text.encode()))
