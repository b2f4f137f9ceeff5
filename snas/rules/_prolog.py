"""Import PSyKI-style Datalog class rules into snas's rule format.

``class(Age, ..., CapitalGain, '>50K') :- CapitalGain >= 7500, \\+(Age < 21).`` becomes a
rule with ``if: capital_gain >= 7500 and not (age < 21)`` and ``then: ">50K"``; for hard
rules clause order is kept in ``priority`` (soft rules take none). Parsed with a lark
grammar, never executed.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._limits import MAX_CONDITION_CHARS, MAX_CONDITION_DEPTH, MAX_RULES
from snas._util import did_you_mean, sha256_bytes
from snas._yaml import caret_context
from snas.exceptions import RuleSyntaxError
from snas.rules._parse import number_value
from snas.rules._tree import FLIPPED_OP, And, Compare, Condition, Not, Or, Rule, RuleSet, Span, to_text

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
    """Convert Datalog class rules to a :class:`RuleSet` (clause order → ``priority`` of hard rules).

    Head variables map to features by position when ``schema`` has that many features,
    otherwise by name (``CapitalGain`` → ``capital_gain``; with ``schema``, a name that is not
    one of its features is refused). Clauses whose body is ``true``
    (a default class) are skipped: the network learns the default. The result obeys the
    rule-file limits (:mod:`snas._limits`), so the YAML written from it loads again.

    Parameters
    ----------
    text : str
        The Datalog knowledge base: ``class(V1, ..., Vn, Label) :- body.`` clauses (facts
        are ignored). Parsed with a grammar, never executed.
    path : str, optional
        Where the text came from; named in error messages and each rule's ``source``.
    schema : Schema, optional
        The dataset's schema (``load_dataset(...).schema``): maps head variables to its
        features by position and sets the rule set's target.
    strength : {"soft", "hard"}
        The strength given to every imported rule.

    Returns
    -------
    RuleSet
        Rules ``clause-1``, ``clause-2``, … (hard ones with ``priority`` in clause order), each
        positioned at its clause's label; write it as YAML with ``RuleSet.to_dict()`` (what
        ``snas rules import-prolog`` does, after :func:`check_rules` when given a dataset).

    Raises
    ------
    RuleSyntaxError
        When the text does not parse, a body names an unknown variable (or, with ``schema``, a
        variable that is no feature) or breaks a limit, or no clause has a body.

    Examples
    --------
    >>> kb = "class(Age, CapitalGain, '<=50K') :- Age < 21."
    >>> rules = import_prolog(kb, path="rules/census.pl", strength="hard")
    >>> rules["clause-1"].if_text, rules["clause-1"].head, rules["clause-1"].priority
    ('age < 21', '<=50K', 1)
    """
    tree = _parse_kb(text, path)
    feats = list(schema.feature_names) if schema is not None else []
    rules: list[Rule] = []
    for n, clause in enumerate(tree.children):
        if clause.data == "fact":
            continue
        rule = _Clause(clause, feats, path).rule(n, strength)
        if rule is not None:
            rules.append(rule)
        if len(rules) > MAX_RULES:
            raise _Clause(clause, feats, path).error(
                f"more than {MAX_RULES:,} class rules (MAX_RULES); import the knowledge base in parts"
            )
    if not rules:
        raise RuleSyntaxError(
            "no class rule with a body found; write clauses as class(V1, ..., Vn, label) :- body.", path=path
        )
    target = schema.target if schema is not None else None
    return RuleSet(rules=tuple(rules), target=target, path=path, text=text, sha256=sha256_bytes(text.encode()))


def _parse_kb(text: str, path: str | None) -> Any:
    from lark.exceptions import UnexpectedInput

    try:
        return _parser().parse(text)
    except UnexpectedInput as exc:
        line, col = getattr(exc, "line", None), getattr(exc, "column", None)
        ctx = caret_context(text, line, col) if isinstance(line, int) and line > 0 else ""
        raise RuleSyntaxError(
            f"cannot parse the Datalog rules ({exc.__class__.__name__}); "
            "write clauses as class(V1, ..., Vn, label) :- body.",
            path=path,
            line=line,
            column=col,
            context=ctx,
        ) from None


def _span(tok: Any) -> Span:
    """The 1-based line and column of a token of the Datalog text."""
    return Span(getattr(tok, "line", None), getattr(tok, "column", None))


def _chain(node: Any) -> list[Any]:
    """The operands of a run of the same operator (``a, b, c`` parses as ``and(and(a, b), c)``)."""
    from lark import Tree

    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Tree) and n.data == node.data:
            stack.extend(reversed(n.children))
        else:
            out.append(n)
    return out


class _Clause:
    """One ``class(...) :- body.`` clause turned into a :class:`Rule`."""

    def __init__(self, clause: Any, feats: list[str], path: str | None) -> None:
        self.clause = clause
        self.path = path
        head = clause.children[0]
        self.name_tok = head.children[0]
        self.terms = head.children[1:]
        variables = [str(t.children[0]) for t in self.terms[:-1]]
        self.feats = feats
        self.by_position = len(feats) == len(variables)
        self.mapping = {v: (feats[i] if self.by_position else _snake(v)) for i, v in enumerate(variables)}
        if self.by_position:
            self._refuse_misnamed(variables)

    def _refuse_misnamed(self, variables: list[str]) -> None:
        """By position, a variable named like another feature would silently read the feature
        in its place (``Education`` second reads ``workclass``): refuse it at its position."""
        for i, v in enumerate(variables):
            named = _snake(v)
            if named in self.feats and named != self.feats[i]:
                raise self.error(
                    f"head variable {v} stands in position {i + 1}, the place of feature "
                    f"'{self.feats[i]}', but is named like feature '{named}' (position "
                    f"{self.feats.index(named) + 1}); the head maps variables by position: rename "
                    "it or put it in its feature's place",
                    self.terms[i].children[0],
                )

    def error(self, message: str, tok: Any = None) -> RuleSyntaxError:
        tok = tok if getattr(tok, "line", None) is not None else self.name_tok
        return RuleSyntaxError(message, path=self.path, line=tok.line, column=tok.column)

    def rule(self, n: int, strength: str) -> Rule | None:
        self._check_nesting()
        cond = self.build(self.clause.children[1])
        if cond is None:
            return None
        _, label = self.term(self.terms[-1])
        label_tok = self.terms[-1].children[0]
        if isinstance(label, Fraction):
            label = str(label.numerator) if label.denominator == 1 else str(float(label))
        text_cond = to_text(cond)
        if len(text_cond) > MAX_CONDITION_CHARS:
            raise self.error(
                f"the body becomes a condition of {len(text_cond):,} characters; at most "
                f"{MAX_CONDITION_CHARS:,} (MAX_CONDITION_CHARS) — split the clause"
            )
        return Rule(
            id=f"clause-{n + 1}",
            condition=cond,
            head=str(label),
            strength=strength,  # type: ignore[arg-type]
            priority=n + 1 if strength == "hard" else None,  # soft rules take no priority
            if_text=text_cond,
            source=f"imported from {self.path or 'Datalog'} (clause {n + 1})",
            span=_span(label_tok),
        )

    def _check_nesting(self) -> None:
        """Refuse bodies nested deeper than MAX_CONDITION_DEPTH before any recursion."""
        from lark import Tree

        stack = [(self.clause.children[1], 0, "")]
        while stack:
            node, depth, parent = stack.pop()
            if not isinstance(node, Tree):
                continue
            depth += node.data == "not_" or (node.data in ("and_", "or_") and node.data != parent)
            if depth > MAX_CONDITION_DEPTH:
                raise self.error(f"the body is nested deeper than {MAX_CONDITION_DEPTH} levels; simplify it")
            stack.extend((c, depth, node.data) for c in node.children)

    def term(self, t: Any) -> tuple[str, Any]:
        tok = t.children[0]
        if t.data == "var":
            if str(tok) not in self.mapping:
                raise self.error(
                    f"variable {tok} is not an argument of the head; add it to the head or use a constant", tok
                )
            name = self.mapping[str(tok)]
            if self.feats and name not in self.feats:
                raise self.error(
                    f"variable {tok} names no feature of the dataset: the head has {len(self.mapping)} arguments "
                    f"before the label but the dataset has {len(self.feats)} features, so variables are matched by "
                    f"name and {name!r} is not one.{did_you_mean(name, self.feats)} Give the head one argument per "
                    "feature, in the dataset's order, then the label",
                    tok,
                )
            return "feature", name
        if t.data == "number":
            value = number_value(str(tok))
            if isinstance(value, str):
                raise self.error(value, tok)
            return "value", value
        if t.data == "qatom":
            return "value", str(tok)[1:-1].replace("\\'", "'")
        return "value", str(tok)

    def build(self, node: Any) -> Condition | None:
        from lark import Token

        if isinstance(node, Token) or node.data == "true_":  # TRUE
            return None
        if node.data in ("and_", "or_"):
            operands = _chain(node)
            parts = [p for p in (self.build(c) for c in operands) if p is not None]
            if node.data == "or_" and len(parts) < len(operands):
                return None  # "... ; true" is always true
            if not parts:
                return None
            return parts[0] if len(parts) == 1 else (And(tuple(parts)) if node.data == "and_" else Or(tuple(parts)))
        if node.data == "not_":
            inner = self.build(node.children[0])
            if inner is None:
                raise self.error("'\\+ true' can never hold; remove the clause")
            return Not(inner)
        return self._compare(node)

    def _compare(self, node: Any) -> Condition:
        if node.data == "cmp":
            a, op_tok, b = node.children
            op = _OPS[str(op_tok)]
        else:
            op_tok, a, b = node.children
            op = _OPS[str(op_tok)[1:-1]]
        (ka, va), (kb, vb) = self.term(a), self.term(b)
        sa, sb = _span(a.children[0]), _span(b.children[0])
        if ka == "feature" and kb == "value":
            return Compare(va, op, vb, sa, sb)  # type: ignore[arg-type]
        if kb == "feature" and ka == "value":
            return Compare(vb, FLIPPED_OP[op], va, sb, sa)  # type: ignore[arg-type]
        raise self.error("each comparison needs one variable and one constant (Age > 30)", op_tok)
