"""Rules proposed from data: short conjunctions with high coverage and label agreement.

:func:`suggest_rules` takes the candidates mined from the training split
(:mod:`snas.rules._mine`: conjunctions of at most three conditions, measured with
:func:`holds_many`, so the coverage and label agreement it reports are exactly what ``snas
check`` measures) and checks each against an existing rule file: features that are excluded,
sensitive or declared proxies are never used, nor those ``snas check`` warns are
identifier-like; a contradiction of a hard rule is resolved with
``unless:`` or the candidate is dropped; near-duplicates of existing rules and of other
proposals are dropped. The result is a proposal for the expert; nothing is written into a rule
file.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from snas._limits import MAX_ID_CHARS
from snas._stats import wilson_interval
from snas.exceptions import ConfigError
from snas.rules._check import identifier_columns, require_rules_for
from snas.rules._evaluate import ColumnView, holds
from snas.rules._logic import LogicContext, UndecidedError, find_overlap
from snas.rules._mine import Cond, Mined, mine
from snas.rules._parse import parse_condition
from snas.rules._tree import (
    And,
    Compare,
    Condition,
    Member,
    Not,
    Rule,
    RuleSet,
    features_of,
    to_text,
)

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Column, Dataset, Schema

__all__ = ["Proposal", "Rejected", "SuggestReport", "suggest_rules"]

NEAR_DUPLICATE = 0.8  # Jaccard similarity of covered training rows with an existing rule
SIMILAR = 0.5  # Jaccard similarity above which a candidate is a variant of an earlier proposal


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
    identifier_features: tuple[str, ...] = ()
    unmined_features: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """What was left out besides excluded, sensitive and proxy columns.

        Returns
        -------
        list of str
            One sentence each: identifier-like features never used, features not combined.
        """
        out = []
        if self.identifier_features:
            out.append(f"Never used (identifier-like, as `snas check` warns): {', '.join(self.identifier_features)}.")
        if self.unmined_features:
            out.append(
                f"Not combined ({len(self.unmined_features)} of {len(self.features) + len(self.unmined_features)} "
                f"features, ranked lowest by a one-feature tree; --max-features raises the limit of "
                f"{len(self.features)}): {', '.join(self.unmined_features)}."
            )
        return out

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
        head += [f"# {line}" for line in self.notes()]
        body = yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=100)
        tail = [
            f"#   {r.condition} → {r.head} (A = {r.agreement:.1%}, {r.support:,} rows): {r.reason}"
            for r in self.rejected[:15]
        ]
        if tail:
            tail.insert(0, "# Set aside (reached the target but not proposed):")
        return "\n".join(head) + "\n" + body + ("\n".join(tail) + "\n" if tail else "")


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


def _against_monotonic(conds: tuple[Cond, ...], head: str, ctx: _Context) -> str | None:
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


def _possible(atom: Compare | Member, c: Cond, col: Column) -> bool:
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


def _clearly_disjoint(conds: tuple[Cond, ...], rule: Rule, schema: Schema) -> bool:
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
    settle it when a training row is covered by both; else the solver decides, and a question
    it leaves undecided counts as a clash)."""
    out = []
    for r in hard:
        if r.head == c.head or _clearly_disjoint(c.conds, r, ctx.schema):
            continue
        other = ctx.masks[r.id] if r.id in ctx.masks else holds(r.body, ctx.view)
        if (mask & other).any() or _may_overlap(body, r.body, ctx):
            out.append(r)
    return out


def _may_overlap(a: Condition, b: Condition, ctx: _Context) -> bool:
    """Whether some row can satisfy both (``True`` when the solver cannot decide)."""
    try:
        return find_overlap([a, b], ctx.logic([a, b])) is not None
    except UndecidedError:
        return True


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
            covered = ctx.masks[r.id]
            theirs = float((ctx.y[covered] == head).mean()) if covered.any() else 0.0
            ours = float((ctx.y[mask] == head).mean())
            notes.append(
                f"{shared / n:.0%} of its rows are also covered by existing rule {r.id!r}"
                + (
                    f": it narrows that rule to rows of {ours:.1%} agreement (the rule: {theirs:.1%})."
                    if shared == n
                    else "."
                )
            )
        elif r.head != head and not r.is_hard and shared:
            notes.append(f"It overlaps soft rule {r.id!r} (then {r.head}) on {shared:,} rows.")
    return tuple(notes)


# ----------------------------------------------------------------------------- selection
@dataclass(frozen=True)
class _Candidate:
    text: str
    conds: tuple[Cond, ...]
    head: str
    support: int
    agree: int


def _ranked(
    by_text: dict[str, tuple[Cond, ...]], counts: np.ndarray, classes: list[str], target: float, min_support: int
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


def _new_id(conds: tuple[Cond, ...], taken: set[str]) -> str:
    """``proposed-<features>``, in the characters a rule id allows (``mean radius`` →
    ``mean-radius``), shortened with a digest of the full name when too long."""
    base = "proposed-" + "-".join(re.sub(r"[^A-Za-z0-9.]+", "-", c.feature).strip("-") or "x" for c in conds)
    room = MAX_ID_CHARS - 4  # a "-<k>" suffix still fits
    if len(base) > room:
        digest = hashlib.sha256(base.encode()).hexdigest()[:8]
        base = f"{base[: room - 9].rstrip('-')}-{digest}"
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
        final = body if unless is None else And((body, Not(parse_condition(unless))))
        final_mask = mask if unless is None else holds(final, ctx.view)
        if p is not None and (p.support < min_support or p.agreement < target):
            taken.discard(p.id)
            p, reason = None, f"below the target once 'unless: {unless}' is added"
        elif p is not None and unless is not None and (duplicate := _duplicate_of(final, final_mask, c.head, ctx)):
            taken.discard(p.id)
            p, reason = None, f"{duplicate} once 'unless: {unless}' is added"
        if p is None:
            old = listed.get(c.head)
            if old is None or int((mask & old).sum()) <= SIMILAR * c.support:  # list one of each family
                rejected.append(Rejected(c.text, c.head, c.support, c.agree / c.support, str(reason)))
            listed[c.head] = mask if old is None else old | mask
            continue
        chosen.append(p)
        covered.append(final_mask)
        if ctx.strength == "hard":
            # its own condition and unless, as the file will hold them: a later proposal's unless
            # negates the condition only (a superset of where it fires), never a nested unless
            hard.append(Rule(p.id, body, p.head, "hard", unless=None if unless is None else parse_condition(unless)))
    return chosen, rejected


# ----------------------------------------------------------------------------- entry point
def _check_params(
    target_agreement: float, max_rules: int, min_coverage: float, strength: str, max_features: int | None
) -> None:
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
    if max_features is not None and (
        isinstance(max_features, bool) or not isinstance(max_features, int) or max_features < 1
    ):
        raise bad("max_features", "an int >= 1 (or None: as many as fit the time budget)", max_features)


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
    return feats, [f for f in schema.feature_names if f in forbidden]


def _identifier_features(data: Dataset, feats: list[str]) -> list[str]:
    """The features of ``feats`` that ``snas check`` warns are identifier-like (a different value
    on almost every row, dates, far too many levels): a rule on them describes how rows were
    numbered."""
    found = identifier_columns(data)
    return [f for f in feats if f in found]


def _features(data: Dataset, rules: RuleSet | None, ignore: tuple[str, ...]) -> tuple[list[str], list[str], list[str]]:
    """Features to mine, those never used (excluded, sensitive, proxy) and the identifier-like ones."""
    feats, skipped = _usable_features(data.schema, rules, ignore)
    ids = _identifier_features(data, feats)
    feats = [f for f in feats if f not in ids]
    if not feats:
        raise ConfigError(
            "no feature is left to build rules from once excluded, sensitive, proxy and identifier-like columns "
            "are set aside"
        )
    return feats, skipped, ids


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
    max_features: int | None = None,
    progress: bool = False,
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
        Further features never to use (the dataset's sensitive columns never are, nor those
        ``snas check`` warns are identifier-like).
    seed : int
        Seed of the trees.
    max_features : int, optional
        Combine at most this many features, the best-ranked by a one-feature tree (default: as
        many as keep the trees near 8 s by a cost model, :func:`snas.rules._mine.estimated_seconds`).
    progress : bool
        Print a line to standard error now and then when mining takes more than a few seconds.

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
    _check_params(target_agreement, max_rules, min_coverage, strength, max_features)
    if rules is not None:  # before mining: rules of another data set name columns this one lacks
        require_rules_for(rules, data, named_by="the proposals are for", fix="give the rule file of that dataset")
    feats, skipped, ids = _features(data, rules, tuple(ignore))
    report = _progress_line if progress else None
    ctx, mined = _prepare(
        data, rules, feats, skipped, strength, min_coverage, seed, max_features=max_features, progress=report
    )
    min_support = max(10, math.ceil(min_coverage * ctx.rows))
    ranked = _ranked(mined.by_text, mined.counts, list(ctx.classes), target_agreement, min_support)
    proposals, rejected = _select(ranked, ctx, max_rules, target_agreement, min_support, _train_source(data))
    return SuggestReport(
        tuple(proposals),
        tuple(rejected),
        data.name,
        data.schema.target,
        ctx.positive,
        ctx.rows,
        target_agreement,
        len(mined.by_text),
        mined.features,
        tuple(skipped),
        identifier_features=tuple(ids),
        unmined_features=tuple(f for f in feats if f not in mined.features),
    )


def _progress_line(text: str) -> None:
    print(f"snas rules suggest: {text}", file=sys.stderr, flush=True)


def _prepare(
    data: Dataset,
    rules: RuleSet | None,
    feats: list[str],
    skipped: list[str],
    strength: Literal["hard", "soft"],
    min_coverage: float,
    seed: int,
    *,
    max_features: int | None,
    progress: Callable[[str], None] | None,
) -> tuple[_Context, Mined]:
    """The checking context (training rows, existing rules) and the measured candidates."""
    schema = data.schema
    frame = data.train.reset_index(drop=True)
    y = frame[schema.target].astype(str).to_numpy(dtype=object)
    classes = [str(c) for c in (schema.classes or sorted(set(y)))]
    positive = (rules.positive if rules is not None else None) or schema.positive
    min_support = max(10, math.ceil(min_coverage * len(frame)))
    mined = mine(
        frame,
        schema,
        feats,
        y,
        classes,
        positive or classes[-1],
        min_support,
        seed,
        max_features=max_features,
        progress=progress,
    )
    monotonic = rules.constraints.monotonic if rules is not None else {}
    existing = tuple(rules.rules) if rules is not None else ()
    ctx = _Context(frame, schema, y, existing, positive, monotonic, frozenset(skipped), strength)
    return ctx, mined
