"""Rules proposed from data: short conjunctions with high coverage and label agreement.

:func:`suggest_rules` grows shallow decision trees on many small feature subsets of the
training split, turns every node's path into a conjunction of at most three conditions (one
per feature; thresholds rounded to readable numbers, category sets as ``in [...]``), writes it
in the condition language and measures it with :func:`holds_many` — so the coverage and label
agreement it reports are exactly what ``snas check`` measures. Each candidate is then checked
against an existing rule file: features that are excluded, sensitive or declared proxies are
never used; a contradiction of a hard rule is resolved with ``unless:`` or the candidate is
dropped; near-duplicates of existing rules and of other proposals are dropped. The result is a
proposal for the expert; nothing is written into a rule file.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from snas._stats import wilson_interval
from snas.exceptions import ConfigError
from snas.rules._evaluate import ColumnView, holds, holds_many
from snas.rules._logic import LogicContext, find_overlap
from snas.rules._parse import parse_condition
from snas.rules._tree import (
    And,
    Compare,
    Condition,
    Member,
    Not,
    Rule,
    RuleSet,
    _fmt_feature,
    _fmt_value,
    features_of,
    to_text,
)

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Column, Dataset, Schema

__all__ = ["Proposal", "Rejected", "SuggestReport", "suggest_rules"]

MAX_CONDITIONS = 3
NEAR_DUPLICATE = 0.8  # Jaccard similarity of covered training rows with an existing rule
SIMILAR = 0.5  # Jaccard similarity above which a candidate is a variant of an earlier proposal
MAX_LISTED = 8  # a category condition lists at most this many levels (else it is left out)
_BATCH = 512


@dataclass(frozen=True)
class _Cond:
    """One condition on one feature: ``lo <= x < hi`` (numbers) or ``x in levels``."""

    feature: str
    lo: float | None = None
    hi: float | None = None
    levels: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Proposal:
    """One proposed rule and what ``snas check`` measures for it on the training split."""

    id: str
    condition: str
    head: str
    strength: Literal["hard", "soft"]
    support: int
    rows: int
    agreement: float
    agreement_low: float
    agreement_high: float
    coverage_low: float
    coverage_high: float
    unless: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""

    @property
    def coverage(self) -> float:
        return self.support / self.rows if self.rows else 0.0

    @property
    def n_conditions(self) -> int:
        return len(features_of(parse_condition(self.condition)))

    def rationale(self) -> str:
        """Plain-language evidence: coverage and agreement with Wilson 95% intervals."""
        text = (
            f"Proposed from data, to be reviewed by the expert. Holds on {self.support:,} of {self.rows:,} "
            f"training rows (coverage {self.coverage:.1%}, 95% CI {self.coverage_low:.1%}–{self.coverage_high:.1%}); "
            f"label agreement {self.agreement:.1%} (Wilson 95% CI {self.agreement_low:.1%}–{self.agreement_high:.1%})."
        )
        return " ".join([text, *self.notes])

    def to_rule_dict(self) -> dict[str, Any]:
        """The rule as it appears in a rule file."""
        d: dict[str, Any] = {"id": self.id, "if": self.condition}
        if self.unless:
            d["unless"] = self.unless
        d.update({"then": self.head, "strength": self.strength, "rationale": self.rationale()})
        if self.source:
            d["source"] = self.source
        return d


@dataclass(frozen=True)
class Rejected:
    """A candidate that reached the agreement target but was not proposed, and why."""

    condition: str
    head: str
    support: int
    agreement: float
    reason: str


@dataclass(frozen=True)
class SuggestReport:
    """The proposals, the candidates set aside (with reasons) and how they were mined."""

    proposals: tuple[Proposal, ...]
    rejected: tuple[Rejected, ...]
    dataset: str
    target: str
    positive: str | None
    rows: int
    target_agreement: float
    candidates: int
    features: tuple[str, ...]
    skipped_features: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The proposal as a rule file (``snas_rules: 1``), ready for ``yaml.safe_dump``."""
        target: dict[str, Any] = {"column": self.target}
        if self.positive:
            target["positive"] = self.positive
        return {
            "snas_rules": 1,
            "dataset": self.dataset,
            "target": target,
            "rules": [p.to_rule_dict() for p in self.proposals],
        }

    def to_yaml(self) -> str:
        """The proposal file: a header saying what it is, the rules, and what was set aside."""
        import yaml

        head = [
            f"# Rules proposed by `snas rules suggest` from the training split of {self.dataset}",
            f"# ({self.rows:,} rows; {self.candidates:,} candidates measured; agreement target {self.target_agreement:.0%}).",
            "# NOT applied: review each rule with the domain expert, copy the ones you accept into",
            "# the rule file, and run `snas check` — it measures the same numbers as below.",
            f"# Features used: {', '.join(self.features)}.",
        ]
        if self.skipped_features:
            head.append(f"# Never used (excluded, sensitive or proxy): {', '.join(self.skipped_features)}.")
        body = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        tail = [
            f"#   {r.condition} → {r.head} (A = {r.agreement:.1%}, {r.support:,} rows): {r.reason}"
            for r in self.rejected[:15]
        ]
        if tail:
            tail.insert(0, "# Set aside (reached the target but not proposed):")
        return "\n".join(head) + "\n" + body + ("\n".join(tail) + "\n" if tail else "")


# ----------------------------------------------------------------------------- encoding
@dataclass(frozen=True)
class _Axis:
    """How one feature is fed to the trees and read back: numbers as they are, ordinal
    levels by their order, categories ranked by their positive rate (so a threshold is a
    set of levels, as in CART's optimal categorical split)."""

    column: Column
    order: tuple[str, ...] = ()
    sorted_values: Any = None


def _axes(
    frame: pd.DataFrame, schema: Schema, feats: list[str], positive: np.ndarray
) -> tuple[np.ndarray, list[_Axis]]:
    view = ColumnView(frame, schema)
    cols, axes = [], []
    for f in feats:
        kind, values, levels = view.get(f)
        col = schema.column(f)
        if kind == "num":
            cols.append(values)
            axes.append(_Axis(col, sorted_values=np.sort(values[~np.isnan(values)])))
            continue
        codes = np.asarray(values)
        known = codes >= 0
        order = np.arange(len(levels))
        if col.kind == "categorical":
            n = np.bincount(codes[known], minlength=len(levels))
            pos = np.bincount(codes[known], weights=positive[known], minlength=len(levels))
            rate = np.where(n > 0, pos / np.maximum(n, 1), 2.0)  # unseen levels last
            order = np.argsort(rate, kind="stable")
        rank = np.empty(len(levels), dtype=float)
        rank[order] = np.arange(len(levels))
        cols.append(np.where(known, rank[np.maximum(codes, 0)], np.nan))
        axes.append(_Axis(col, order=tuple(levels[i] for i in order)))
    return np.column_stack(cols), axes


def _nice(t: float, axis: _Axis, tolerance: int) -> float:
    """A readable threshold ``c`` for the split ``x <= t``, read as ``x < c``: the simplest
    round number that moves at most ``tolerance`` training rows across the split."""
    exact = math.floor(t) + 1 if axis.column.integer else t
    values = axis.sorted_values
    if exact == 0 or values is None or not len(values):
        return float(exact)
    mag = 10.0 ** math.floor(math.log10(abs(exact)))
    for step in (mag, mag / 2, mag / 10, mag / 20, mag / 100, mag / 1000):
        if axis.column.integer and step < 1:
            break
        c = math.floor(exact / step + 0.5) * step
        if not values[0] < c <= values[-1]:
            continue
        lo, hi = (c, exact) if c < exact else (exact, c)
        moved = np.searchsorted(values, hi, side="left") - np.searchsorted(values, lo, side="left")
        if moved <= tolerance:
            return float(round(c, 6))
    return float(exact)


def _conds_from_path(
    path: list[tuple[int, bool, float]], axes: list[_Axis], tolerance: int
) -> tuple[_Cond, ...] | None:
    """Tree path (feature, went-left, threshold) → one condition per feature (None if empty)."""
    bounds: dict[int, list[float]] = {}
    for j, left, t in path:
        lo, hi = bounds.setdefault(j, [-math.inf, math.inf])
        bounds[j] = [lo, min(hi, t)] if left else [max(lo, t), hi]
    out = []
    for j, (lo, hi) in sorted(bounds.items()):
        axis = axes[j]
        if axis.column.kind == "numeric":
            c = _Cond(
                axis.column.name,
                None if lo == -math.inf else _nice(lo, axis, tolerance),
                None if hi == math.inf else _nice(hi, axis, tolerance),
            )
            if c.lo is not None and c.hi is not None and c.lo >= c.hi:
                return None
            out.append(c)
            continue
        keep = tuple(lv for k, lv in enumerate(axis.order) if lo < k <= hi)
        if not keep:
            return None
        readable = axis.column.kind == "ordinal" or min(len(keep), len(axis.order) - len(keep)) <= MAX_LISTED
        if len(keep) < len(axis.order) and readable:  # (an ordinal run reads as one comparison)
            out.append(_Cond(axis.column.name, levels=keep))
    return tuple(out) or None


# ----------------------------------------------------------------------------- text
def _num(v: float) -> str:
    return _fmt_value(Fraction(str(v)))


def _cond_text(c: _Cond, col: Column) -> str:
    name = _fmt_feature(c.feature)
    if c.levels is None:
        if c.lo is not None and c.hi is not None:
            return f"{_num(c.lo)} <= {name} < {_num(c.hi)}"
        return f"{name} >= {_num(c.lo)}" if c.lo is not None else f"{name} < {_num(c.hi)}"  # type: ignore[arg-type]
    levels = list(col.levels)
    chosen = [lv for lv in levels if lv in c.levels]
    rest = [lv for lv in levels if lv not in c.levels]
    if col.kind == "ordinal":
        idx = [levels.index(lv) for lv in chosen]
        if idx == list(range(idx[0], idx[-1] + 1)):  # a contiguous run of levels
            if idx[0] == 0:
                return f"{name} <= {_fmt_value(chosen[-1])}"
            if idx[-1] == len(levels) - 1:
                return f"{name} >= {_fmt_value(chosen[0])}"
    if len(chosen) == 1:
        return f"{name} == {_fmt_value(chosen[0])}"
    if len(rest) == 1:
        return f"{name} != {_fmt_value(rest[0])}"
    if len(chosen) <= len(rest):
        return f"{name} in [{', '.join(_fmt_value(v) for v in chosen)}]"
    return f"{name} not in [{', '.join(_fmt_value(v) for v in rest)}]"


def _text(conds: tuple[_Cond, ...], schema: Schema) -> str:
    return " and ".join(_cond_text(c, schema.column(c.feature)) for c in conds)


# ----------------------------------------------------------------------------- mining
def _tree_candidates(
    X: np.ndarray, y: np.ndarray, axes: list[_Axis], min_support: int, seed: int
) -> set[tuple[_Cond, ...]]:
    """Every node path of depth-3 trees on each 3-feature subset (plain and class-balanced)."""
    from sklearn.tree import DecisionTreeClassifier

    k = min(MAX_CONDITIONS, X.shape[1])
    tolerance = max(1, len(y) // 1000)
    codes = np.unique(y, return_inverse=True)[1]
    counts = np.bincount(codes)
    balanced = (len(codes) / (len(counts) * counts))[codes]  # each class weighs the same in total
    out: set[tuple[_Cond, ...]] = set()
    for subset in itertools.combinations(range(X.shape[1]), k):
        cols = list(subset)
        for weight in (None, balanced):
            tree = DecisionTreeClassifier(max_depth=MAX_CONDITIONS, min_samples_leaf=min_support, random_state=seed)
            tree.fit(X[:, cols], codes, sample_weight=weight)
            for path in _paths(tree.tree_):
                conds = _conds_from_path([(cols[j], left, t) for j, left, t in path], axes, tolerance)
                if conds:
                    out.update(_sub_conjunctions(conds))
    return out


def _paths(t: Any) -> list[list[tuple[int, bool, float]]]:
    """Root-to-node paths of a fitted sklearn tree (every node except the root)."""
    out: list[list[tuple[int, bool, float]]] = []
    stack: list[tuple[int, list[tuple[int, bool, float]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        if path:
            out.append(path)
        if t.children_left[node] == -1:
            continue
        f, thr = int(t.feature[node]), float(t.threshold[node])
        stack.append((int(t.children_left[node]), [*path, (f, True, thr)]))
        stack.append((int(t.children_right[node]), [*path, (f, False, thr)]))
    return out


def _sub_conjunctions(conds: tuple[_Cond, ...]) -> list[tuple[_Cond, ...]]:
    return [sub for r in range(1, len(conds) + 1) for sub in itertools.combinations(conds, r)]


def _measure(texts: list[str], frame: pd.DataFrame, schema: Schema, y: np.ndarray, classes: list[str]) -> np.ndarray:
    """``(n_texts, n_classes)`` counts of covered rows per label, measured with ``holds_many``."""
    onehot = (y[:, None] == np.asarray(classes, dtype=object)[None, :]).astype(np.float64)
    counts = np.zeros((len(texts), len(classes)))
    for i in range(0, len(texts), _BATCH):
        chunk = [parse_condition(t) for t in texts[i : i + _BATCH]]
        counts[i : i + len(chunk)] = holds_many(chunk, frame, schema).astype(np.float64).T @ onehot
    return counts


# ----------------------------------------------------------------------------- checks
@dataclass
class _Context:
    """What every candidate is checked against: the training rows and the existing rules."""

    frame: pd.DataFrame
    schema: Schema
    y: np.ndarray
    rules: tuple[Rule, ...]
    positive: str | None
    monotonic: dict[str, int]
    forbidden: frozenset[str]
    strength: Literal["hard", "soft"]
    view: ColumnView = field(init=False)
    masks: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.view = ColumnView(self.frame, self.schema)
        self.masks = {r.id: holds(r.body, self.view) for r in self.rules}

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(str(c) for c in (self.schema.classes or sorted(set(self.y))))

    def logic(self, conds: list[Condition]) -> LogicContext:
        return LogicContext.for_conditions(conds, self.schema)


def _against_monotonic(conds: tuple[_Cond, ...], head: str, ctx: _Context) -> str | None:
    """A rule must not say "more of x → the other class" for a feature monotone in x."""
    if ctx.positive is None or len(ctx.schema.classes) != 2:
        return None
    for c in conds:
        d = ctx.monotonic.get(c.feature)
        if d is None:
            continue
        upward = d * (1 if head == ctx.positive else -1) > 0  # the rule must cover an upper set
        if c.levels is None:
            ok = c.hi is None if upward else c.lo is None
        else:
            order = list(ctx.schema.column(c.feature).levels)
            idx = sorted(order.index(lv) for lv in c.levels)
            ok = idx[-1] == len(order) - 1 if upward else idx[0] == 0
            ok = ok and idx == list(range(idx[0], idx[-1] + 1))
        if not ok:
            return f"goes against the monotonic constraint on {c.feature}"
    return None


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = int((a | b).sum())
    return int((a & b).sum()) / union if union else 0.0


def _duplicate_of(body: Condition, mask: np.ndarray, head: str, ctx: _Context) -> str | None:
    for r in ctx.rules:
        if r.head != head:
            continue
        if to_text(r.body) == to_text(body):
            return f"duplicate of existing rule {r.id!r}"
        jaccard = _jaccard(mask, ctx.masks[r.id])
        if jaccard >= NEAR_DUPLICATE:
            return f"near-duplicate of existing rule {r.id!r} ({jaccard:.0%} of their rows in common)"
    return None


def _possible(atom: Compare | Member, c: _Cond, col: Column) -> bool:
    """Whether ``atom`` can hold on some value that ``c`` allows (``True`` when unsure)."""
    if c.levels is not None:
        levels = list(col.levels)
        ok = [lv for lv in c.levels if lv in levels]
        if isinstance(atom, Member):
            inside = [lv for lv in ok if lv in atom.values]
            return bool([lv for lv in ok if lv not in atom.values] if atom.negated else inside)
        if atom.op in ("==", "!="):
            return any((lv == atom.value) == (atom.op == "==") for lv in ok)
        if col.kind != "ordinal" or atom.value not in levels:
            return True
        code = levels.index(str(atom.value))
        return any(_OPS[atom.op](levels.index(lv), code) for lv in ok)
    if not isinstance(atom, Compare) or isinstance(atom.value, str):
        return True
    v = float(atom.value)
    lo = -math.inf if c.lo is None else c.lo
    hi = math.inf if c.hi is None else c.hi
    return {"<": lo < v, "<=": lo <= v, ">": v < hi, ">=": v < hi, "==": lo <= v < hi, "!=": True}[atom.op]


_OPS: dict[str, Any] = {"<": int.__lt__, "<=": int.__le__, ">": int.__gt__, ">=": int.__ge__}


def _clearly_disjoint(conds: tuple[_Cond, ...], rule: Rule, schema: Schema) -> bool:
    """A cheap, sound test: some top-level conjunct of the rule cannot hold under ``conds``."""
    by_feature = {c.feature: c for c in conds}
    parts = rule.condition.items if isinstance(rule.condition, And) else (rule.condition,)
    for part in parts:
        if not isinstance(part, (Compare, Member)) or part.feature not in by_feature:
            continue
        if not _possible(part, by_feature[part.feature], schema.column(part.feature)):
            return True
    return False


def _conflicts(c: _Candidate, body: Condition, mask: np.ndarray, ctx: _Context, hard: list[Rule]) -> list[Rule]:
    """Hard rules with another head that can hold on a row where ``body`` holds (the data
    settle it when a training row is covered by both; else sympy decides)."""
    out = []
    for r in hard:
        if r.head == c.head or _clearly_disjoint(c.conds, r, ctx.schema):
            continue
        other = ctx.masks[r.id] if r.id in ctx.masks else holds(r.body, ctx.view)
        if (mask & other).any() or find_overlap([body, r.body], ctx.logic([body, r.body])) is not None:
            out.append(r)
    return out


def _resolve(
    c: _Candidate, body: Condition, mask: np.ndarray, ctx: _Context, hard: list[Rule]
) -> tuple[str | None, str | None]:
    """``(unless, None)`` letting the contradicted hard rules decide where they apply (no
    row can then satisfy both bodies: ``unless`` negates each of their conditions), or
    ``(None, reason)`` when that would read a feature the proposals must not use."""
    clash = _conflicts(c, body, mask, ctx, hard)
    if not clash:
        return None, None
    names = ", ".join(repr(r.id) for r in clash)
    feats = {f for r in clash for f in features_of(r.condition)}
    if feats & ctx.forbidden:
        return (
            None,
            f"contradicts hard rule {names}; resolving it would read {', '.join(sorted(feats & ctx.forbidden))}",
        )
    parts = [r.if_text or to_text(r.condition) for r in clash]
    return (parts[0] if len(parts) == 1 else " or ".join(f"({p})" for p in parts)), None


def _notes(mask: np.ndarray, head: str, unless: str | None, hard: list[Rule], ctx: _Context) -> tuple[str, ...]:
    notes = []
    if unless:
        names = [
            r.id
            for r in hard
            if r.head != head and set(features_of(r.condition)) <= set(features_of(parse_condition(unless)))
        ]
        notes.append(
            f"'unless' lets hard rule {', '.join(repr(n) for n in names) or 'the hard rules'} decide where it applies."
        )
    n = int(mask.sum())
    for r in ctx.rules:
        shared = int((mask & ctx.masks[r.id]).sum())
        if r.head == head and n and shared / n >= 0.5:
            notes.append(f"{shared / n:.0%} of its rows are also covered by existing rule {r.id!r}.")
        elif r.head != head and not r.is_hard and shared:
            notes.append(f"It overlaps soft rule {r.id!r} (then {r.head}) on {shared:,} rows.")
    return tuple(notes)


# ----------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class _Candidate:
    text: str
    conds: tuple[_Cond, ...]
    head: str
    support: int
    agree: int


def _ranked(
    by_text: dict[str, tuple[_Cond, ...]], counts: np.ndarray, classes: list[str], target: float, min_support: int
) -> list[_Candidate]:
    """Candidates that reach the target, widest first (then fewer conditions, then text)."""
    texts = list(by_text)
    support = counts.sum(1)
    agree = counts.max(1)
    ok = np.flatnonzero((support >= min_support) & (agree >= target * support))
    out = [
        _Candidate(texts[i], by_text[texts[i]], classes[int(counts[i].argmax())], int(support[i]), int(agree[i]))
        for i in ok
    ]
    out.sort(key=lambda c: (-c.support, len(c.conds), c.text))
    return out


def _new_id(conds: tuple[_Cond, ...], taken: set[str]) -> str:
    base = "proposed-" + "-".join(c.feature.replace("_", "-") for c in conds)
    pid, k = base, 2
    while pid in taken:
        pid, k = f"{base}-{k}", k + 1
    taken.add(pid)
    return pid


def _measured(pid: str, c: _Candidate, unless: str | None, ctx: _Context, hard: list[Rule], source: str) -> Proposal:
    """The proposal with the numbers ``snas check`` reports for it (its body as a rule)."""
    body = parse_condition(c.text)
    final = body if unless is None else And((body, Not(parse_condition(unless))))
    mask = holds(final, ctx.view)
    n, support = len(mask), int(mask.sum())
    agree = int((ctx.y[mask] == c.head).sum())
    alo, ahi = wilson_interval(agree, support)
    clo, chi = wilson_interval(support, n)
    return Proposal(
        id=pid,
        condition=c.text,
        head=c.head,
        strength=ctx.strength,
        support=support,
        rows=n,
        agreement=agree / support if support else 0.0,
        agreement_low=float(alo),
        agreement_high=float(ahi),
        coverage_low=float(clo),
        coverage_high=float(chi),
        unless=unless,
        notes=_notes(mask, c.head, unless, hard, ctx),
        source=source,
    )


def _reason(
    c: _Candidate, body: Condition, mask: np.ndarray, ctx: _Context, hard: list[Rule]
) -> tuple[str | None, str | None]:
    """``(unless, None)`` for a usable candidate, ``(None, reason)`` for one set aside."""
    reason = _against_monotonic(c.conds, c.head, ctx) or _duplicate_of(body, mask, c.head, ctx)
    if reason:
        return None, reason
    return _resolve(c, body, mask, ctx, hard)


def _select(
    ranked: list[_Candidate], ctx: _Context, max_rules: int, target: float, min_support: int, source: str
) -> tuple[list[Proposal], list[Rejected]]:
    """Greedy: the widest candidate that passes every check and adds rows of its own."""
    chosen: list[Proposal] = []
    rejected: list[Rejected] = []
    covered: list[np.ndarray] = []
    listed: dict[str, np.ndarray] = {}
    hard = [r for r in ctx.rules if r.is_hard]
    taken = {r.id for r in ctx.rules}
    for c in ranked:
        if len(chosen) >= max_rules:
            break
        body = parse_condition(c.text)
        mask = holds(body, ctx.view)
        if any(_jaccard(mask, m) >= SIMILAR for m in covered):
            continue  # a variant of a rule already proposed
        unless, reason = _reason(c, body, mask, ctx, hard)
        p = None if reason else _measured(_new_id(c.conds, taken), c, unless, ctx, hard, source)
        if p is not None and (p.support < min_support or p.agreement < target):
            taken.discard(p.id)
            p, reason = None, f"below the target once 'unless: {unless}' is added"
        if p is None:
            old = listed.get(c.head)
            if old is None or int((mask & old).sum()) <= SIMILAR * c.support:  # list one of each family
                rejected.append(Rejected(c.text, c.head, c.support, c.agree / c.support, str(reason)))
            listed[c.head] = mask if old is None else old | mask
            continue
        chosen.append(p)
        final = body if unless is None else And((body, Not(parse_condition(unless))))
        covered.append(holds(final, ctx.view))
        if ctx.strength == "hard":
            hard.append(Rule(p.id, final, p.head, "hard"))
    return chosen, rejected


# ----------------------------------------------------------------------------- entry point
def _check_params(target_agreement: float, max_rules: int, min_coverage: float, strength: str) -> None:
    def bad(name: str, want: str, got: Any) -> ConfigError:
        return ConfigError(f"The {name!r} parameter of suggest_rules must be {want}. Got {got!r} instead.")

    if not isinstance(target_agreement, (int, float)) or not 0.5 < target_agreement <= 1:
        raise bad("target_agreement", "a number in (0.5, 1], e.g. 0.95", target_agreement)
    if isinstance(max_rules, bool) or not isinstance(max_rules, int) or max_rules < 1:
        raise bad("max_rules", "an int >= 1", max_rules)
    if not isinstance(min_coverage, (int, float)) or not 0 < min_coverage < 1:
        raise bad("min_coverage", "a number in (0, 1), e.g. 0.01", min_coverage)
    if strength not in ("soft", "hard"):
        raise bad("strength", "'soft' or 'hard'", strength)


def _usable_features(schema: Schema, rules: RuleSet | None, ignore: tuple[str, ...]) -> tuple[list[str], list[str]]:
    from snas._util import did_you_mean

    for f in ignore:
        if f not in schema:
            raise ConfigError(f"ignore: unknown feature {f!r}.{did_you_mean(f, schema.feature_names)}")
    forbidden = set(schema.sensitive) | set(ignore)
    if rules is not None:
        c = rules.constraints
        forbidden |= set(c.exclude_features) | set(c.audit_proxies)
    feats = [f for f in schema.feature_names if f not in forbidden]
    if not feats:
        raise ConfigError(
            "no feature is left to build rules from once excluded, sensitive and proxy columns are set aside"
        )
    return feats, [f for f in schema.feature_names if f in forbidden]


def _train_source(data: Dataset) -> str:
    sha = next((f.sha256 for f in data.files if f.role == "train" and f.sha256), "")
    return f"snas rules suggest on the training split of {data.name}" + (f" (sha256 {sha[:12]}…)" if sha else "")


def suggest_rules(
    data: Dataset,
    rules: RuleSet | None = None,
    *,
    target_agreement: float = 0.95,
    max_rules: int = 10,
    min_coverage: float = 0.01,
    strength: Literal["soft", "hard"] = "soft",
    ignore: tuple[str, ...] | list[str] = (),
    seed: int = 0,
) -> SuggestReport:
    """Propose short rules (at most three conditions) that the training labels support.

    Parameters
    ----------
    data : Dataset
        Mined on ``data.train`` only; the test split is never read.
    rules : RuleSet, optional
        Existing rules: hard ones are never contradicted, none duplicated; ``exclude_features``
        and ``audit_proxies`` are never used.
    target_agreement : float
        Minimum label agreement (share of covered rows whose label is the rule's head).
    max_rules, min_coverage : int, float
        At most this many proposals, each covering at least this share of training rows.
    strength : {"soft", "hard"}
    ignore : sequence of str
        Further features never to use (the dataset's sensitive columns never are).
    seed : int
        Seed of the trees.

    Returns
    -------
    SuggestReport
        ``to_yaml()`` is the proposal file; its numbers are those ``snas check`` measures.

    Examples
    --------
    >>> data = load("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> report = suggest_rules(data, load_rules("rules/census_income.yaml"))  # doctest: +SKIP
    >>> report.proposals[0].id  # doctest: +SKIP
    'proposed-marital-status-hours-per-week'
    """
    _check_params(target_agreement, max_rules, min_coverage, strength)
    feats, skipped = _usable_features(data.schema, rules, tuple(ignore))
    ctx, by_text, counts = _prepare(data, rules, feats, skipped, strength, min_coverage, seed)
    min_support = max(10, math.ceil(min_coverage * ctx.rows))
    ranked = _ranked(by_text, counts, list(ctx.classes), target_agreement, min_support)
    proposals, rejected = _select(ranked, ctx, max_rules, target_agreement, min_support, _train_source(data))
    return SuggestReport(
        tuple(proposals),
        tuple(rejected),
        data.name,
        data.schema.target,
        ctx.positive,
        ctx.rows,
        target_agreement,
        len(by_text),
        tuple(feats),
        tuple(skipped),
    )


def _prepare(
    data: Dataset,
    rules: RuleSet | None,
    feats: list[str],
    skipped: list[str],
    strength: Literal["hard", "soft"],
    min_coverage: float,
    seed: int,
) -> tuple[_Context, dict[str, tuple[_Cond, ...]], np.ndarray]:
    """The checking context (training rows, existing rules) and the measured candidates."""
    schema = data.schema
    frame = data.train.reset_index(drop=True)
    y = frame[schema.target].astype(str).to_numpy(dtype=object)
    classes = [str(c) for c in (schema.classes or sorted(set(y)))]
    positive = (rules.positive if rules is not None else None) or schema.positive
    min_support = max(10, math.ceil(min_coverage * len(frame)))
    by_text, counts = _mine(frame, schema, feats, y, classes, positive or classes[-1], min_support, seed)
    monotonic = rules.constraints.monotonic if rules is not None else {}
    existing = tuple(rules.rules) if rules is not None else ()
    ctx = _Context(frame, schema, y, existing, positive, monotonic, frozenset(skipped), strength)
    return ctx, by_text, counts


def _mine(
    frame: pd.DataFrame,
    schema: Schema,
    feats: list[str],
    y: np.ndarray,
    classes: list[str],
    positive: str,
    min_support: int,
    seed: int,
) -> tuple[dict[str, tuple[_Cond, ...]], np.ndarray]:
    """Candidate texts (each with its conditions) and their label counts on the training rows."""
    X, axes = _axes(frame, schema, feats, (y == positive).astype(float))
    by_text: dict[str, tuple[_Cond, ...]] = {}
    for conds in sorted(_tree_candidates(X, y, axes, min_support, seed), key=len):
        by_text.setdefault(_text(conds, schema), conds)
    return by_text, _measure(list(by_text), frame, schema, y, classes)
