"""snas's own immutable condition tree and rule objects.

The parser builds these; everything else (evaluation on data, satisfiability reasoning, torch
layers) reads them. Nothing here executes rule text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

__all__ = [
    "And",
    "Compare",
    "Condition",
    "Constraints",
    "Member",
    "Not",
    "Or",
    "Rule",
    "RuleSet",
    "Span",
    "Value",
    "atoms",
    "features_of",
    "to_text",
]

KEYWORDS = frozenset({"and", "or", "not", "in"})  # reserved words of the condition language

Value = Fraction | str
CompareOp = Literal["<", "<=", ">", ">=", "==", "!="]
NEGATED_OP: dict[str, str] = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
FLIPPED_OP: dict[str, str] = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class Span:
    """1-based position in the rule file (line, column); ``None`` when unknown."""

    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class Compare:
    """``feature op value`` (numbers exact as :class:`~fractions.Fraction`)."""

    feature: str
    op: CompareOp
    value: Value
    span: Span = field(default=Span(), compare=False)
    value_span: Span = field(default=Span(), compare=False)


@dataclass(frozen=True)
class Member:
    """``feature in [v, ...]`` or, with ``negated``, ``feature not in [...]``."""

    feature: str
    values: tuple[Value, ...]
    negated: bool = False
    span: Span = field(default=Span(), compare=False)
    value_spans: tuple[Span, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Compare | Member | And | Or | Not


def atoms(cond: Condition) -> Iterator[Compare | Member]:
    """Every comparison / membership leaf, left to right."""
    stack: list[Condition] = [cond]
    while stack:
        c = stack.pop()
        if isinstance(c, (Compare, Member)):
            yield c
        elif isinstance(c, Not):
            stack.append(c.item)
        else:
            stack.extend(reversed(c.items))


def features_of(cond: Condition) -> tuple[str, ...]:
    """Distinct feature names a condition reads, in order of appearance."""
    return tuple(dict.fromkeys(a.feature for a in atoms(cond)))


def _fmt_value(v: Value) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if v.denominator == 1:
        return str(v.numerator)
    return repr(float(v))


def _fmt_feature(name: str) -> str:
    ok = name.isidentifier() and name not in KEYWORDS
    return name if ok else f"`{name}`"


def to_text(cond: Condition) -> str:
    """Canonical text of a condition (parses back to an equal tree)."""
    if isinstance(cond, Compare):
        return f"{_fmt_feature(cond.feature)} {cond.op} {_fmt_value(cond.value)}"
    if isinstance(cond, Member):
        vals = ", ".join(_fmt_value(v) for v in cond.values)
        return f"{_fmt_feature(cond.feature)} {'not in' if cond.negated else 'in'} [{vals}]"
    if isinstance(cond, Not):
        return f"not ({to_text(cond.item)})"
    joiner = " and " if isinstance(cond, And) else " or "
    return joiner.join(
        f"({to_text(i)})" if isinstance(i, (And, Or)) and type(i) is not type(cond) else to_text(i) for i in cond.items
    )


@dataclass(frozen=True)
class Rule:
    """One expert rule: ``if`` (and not ``unless``) then ``head``.

    ``if_text`` / ``unless_text`` keep the expert's exact words for reports.
    """

    id: str
    condition: Condition
    head: str
    strength: Literal["hard", "soft"] = "soft"
    unless: Condition | None = None
    weight: float = 1.0
    priority: int | None = None
    rationale: str = ""
    source: str = ""
    if_text: str = ""
    unless_text: str = ""
    span: Span = field(default=Span(), compare=False)

    @property
    def body(self) -> Condition:
        """The condition under which the rule fires: ``if and not unless``."""
        if self.unless is None:
            return self.condition
        return And((self.condition, Not(self.unless)))

    @property
    def is_hard(self) -> bool:
        return self.strength == "hard"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "if": self.if_text or to_text(self.condition)}
        if self.unless is not None:
            d["unless"] = self.unless_text or to_text(self.unless)
        d.update({"then": self.head, "strength": self.strength})
        if self.strength == "soft":
            d["weight"] = self.weight
        if self.priority is not None:
            d["priority"] = self.priority
        if self.rationale:
            d["rationale"] = self.rationale
        if self.source:
            d["source"] = self.source
        return d


@dataclass(frozen=True)
class Constraints:
    """Architecture constraints from the rule file."""

    monotonic_increasing: tuple[str, ...] = ()
    monotonic_decreasing: tuple[str, ...] = ()
    exclude_features: tuple[str, ...] = ()
    audit_proxies: tuple[str, ...] = ()
    max_parameters: int | None = None

    @property
    def monotonic(self) -> dict[str, int]:
        """feature → +1 (increasing) / −1 (decreasing)."""
        out = {f: 1 for f in self.monotonic_increasing}
        out.update({f: -1 for f in self.monotonic_decreasing})
        return out

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        mono = {}
        if self.monotonic_increasing:
            mono["increasing"] = list(self.monotonic_increasing)
        if self.monotonic_decreasing:
            mono["decreasing"] = list(self.monotonic_decreasing)
        if mono:
            d["monotonic"] = mono
        if self.exclude_features:
            d["exclude_features"] = list(self.exclude_features)
        if self.audit_proxies:
            d["audit_proxies"] = list(self.audit_proxies)
        if self.max_parameters is not None:
            d["max_parameters"] = self.max_parameters
        return d


@dataclass(frozen=True)
class RuleSet:
    """An immutable, parsed rule file: rules, target, constraints, and the source text + hash.

    Built by :func:`load_rules`, :func:`parse_rules` or :func:`import_prolog`; iterate it for
    the rules, index it by rule id, and read ``hard`` / ``soft`` / ``ids``.

    Parameters
    ----------
    rules : tuple of Rule
        The rules in file order.
    target : str or None
        The target column the rules conclude about (``target.column``).
    positive : str or None
        The positive class (``target.positive``).
    dataset : str or None
        The dataset the rules were written for (``dataset``).
    constraints : Constraints
        Monotonic, excluded and audit-proxy features and the parameter limit (``constraints``).
    path : str or None
        The file the rules were read from, for messages and reports.
    text : str
        The source text exactly as read.
    sha256 : str
        Hex sha256 of ``text`` (UTF-8), recorded in run manifests and model files.

    Examples
    --------
    >>> from snas import load_rules
    >>> rules = load_rules("rules/census_income.yaml")  # doctest: +SKIP
    >>> rules.target, rules.positive  # doctest: +SKIP
    ('income', '>50K')
    >>> rules["minor-age"].strength  # doctest: +SKIP
    'hard'
    >>> [r.id for r in rules.soft][:2]  # doctest: +SKIP
    ['married-graduate-full-time', 'married-professional-degree']
    """

    rules: tuple[Rule, ...]
    target: str | None = None
    positive: str | None = None
    dataset: str | None = None
    constraints: Constraints = Constraints()
    path: str | None = None
    text: str = field(default="", repr=False)
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __getitem__(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def hard(self) -> tuple[Rule, ...]:
        """The hard rules, in file order."""
        return tuple(r for r in self.rules if r.is_hard)

    @property
    def soft(self) -> tuple[Rule, ...]:
        """The soft rules, in file order."""
        return tuple(r for r in self.rules if not r.is_hard)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every rule's id, in file order."""
        return tuple(r.id for r in self.rules)

    def to_dict(self) -> dict[str, Any]:
        """The rule file as plain data (what ``snas rules import-prolog`` writes)."""
        d: dict[str, Any] = {"snas_rules": 1}
        if self.dataset:
            d["dataset"] = self.dataset
        if self.target:
            tgt: dict[str, Any] = {"column": self.target}
            if self.positive:
                tgt["positive"] = self.positive
            d["target"] = tgt
        d["rules"] = [r.to_dict() for r in self.rules]
        c = self.constraints.to_dict()
        if c:
            d["constraints"] = c
        return d
