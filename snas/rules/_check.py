"""Static checks of a rule set against a schema and data (DESIGN §3, checks 1–4)."""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field, replace
from itertools import combinations
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from snas._limits import MAX_PAIR_FINDINGS
from snas._stats import wilson_interval
from snas._util import did_you_mean
from snas._yaml import YamlDocument, caret_context
from snas.rules._evaluate import ColumnView, holds
from snas.rules._logic import LogicContext, Prepared, UndecidedError, boxes_disjoint, can_overlap, overlap, prepare
from snas.rules._tree import Compare, Condition, Member, Rule, RuleSet, Span, atoms

if TYPE_CHECKING:
    import pandas as pd

    from snas.datasets import Dataset, Schema

__all__ = ["CheckReport", "Finding", "RuleStats", "check_rules", "identifier_columns", "key_span", "require_rules_for"]

Level = Literal["error", "warning", "info"]
MIN_HARD_AGREEMENT = 0.95


@dataclass(frozen=True)
class Finding:
    """One problem or observation about the rules, with where it is and how to fix it."""

    level: Level
    code: str
    message: str
    rule: str | None = None
    other: str | None = None
    path: str | None = None
    line: int | None = None
    column: int | None = None
    context: str = ""
    witness: dict[str, Any] | None = None
    overlap_rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}

    def __str__(self) -> str:
        where = self.path or "<rules>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.level}: {self.message}"
        if self.context:
            text += "\n" + self.context
        return text


@dataclass(frozen=True)
class RuleStats:
    """Coverage and label agreement of one rule on the training data.

    ``hardening_cost`` (soft rules only) prices making the rule hard: the share of all training
    rows whose label the shield would then overrule — the rows it covers against their label,
    (1 − agreement) × coverage, less those a hard rule decides already (the shield overrules
    them either way). ``hardening_conflicts`` names the hard rules with another head that can
    hold on a row together with it: made hard as it is, it would conflict with them (an error),
    so its cost holds only once 'unless:' settles that.
    """

    rule: str
    strength: str
    head: str
    support: int
    coverage: float
    agreement: float | None
    agreement_low: float | None
    agreement_high: float | None
    hardening_cost: float | None = None
    hardening_conflicts: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CheckReport:
    """Findings plus per-rule statistics; ``ok`` is False when any finding is an error."""

    rules: RuleSet
    findings: tuple[Finding, ...]
    stats: tuple[RuleStats, ...] = ()
    rows: int = 0
    dataset: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "rules": self.rules.path,
            "rules_sha256": self.rules.sha256,
            "dataset": self.dataset,
            "rows": self.rows,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "findings": [f.to_dict() for f in self.findings],
            "stats": [s.to_dict() for s in self.stats],
        }


def _suggest(word: str, choices: Any, what: str) -> str:
    """' Did you mean ...?', or else the names to choose from (at most 20)."""
    options = [str(c) for c in choices]
    hint = did_you_mean(word, options)
    if hint or not options:
        return hint
    more = ", …" if len(options) > 20 else ""
    return f" Use one of the {what}: {', '.join(options[:20])}{more}"


@functools.lru_cache(maxsize=4096)
def _context(text: str, line: int | None, column: int | None) -> str:
    """``caret_context``, once per position (a rule with many findings shares its excerpt)."""
    return caret_context(text, line, column)


def _finding(rs: RuleSet, level: Level, code: str, msg: str, span: Span | None = None, **kw: Any) -> Finding:
    line, col = (span.line, span.column) if span else (None, None)
    return Finding(
        level,
        code,
        msg,
        path=rs.path,
        line=line,
        column=col,
        context=_context(rs.text, line, col) if rs.text else "",
        **kw,
    )


def _check_names(rs: RuleSet, schema: Schema, observed: frozenset[str] = frozenset()) -> list[Finding]:
    """Check 1: unknown features, levels, wrong types; heads; constraint names. ``observed``:
    the columns whose levels (the target: classes) the training rows gave, the manifest none."""
    out: list[Finding] = []
    if rs.target is not None and rs.target != schema.target:
        msg = f"the rules name target {rs.target!r} but the dataset's target is {schema.target!r}; fix 'target' in the rule file"
        out.append(_finding(rs, "error", "target", msg, key_span(rs, "target", "column") or key_span(rs, "target")))
    seen = " (the values its training rows hold)" if schema.target in observed else ""
    if rs.positive is not None and schema.classes and rs.positive not in schema.classes:
        msg = (
            f"'target.positive: {rs.positive}' is not a class of {schema.target!r}.{did_you_mean(rs.positive, schema.classes)}"
            f" Use one of the classes{seen}: {', '.join(schema.classes)} (the positive class sets the direction of "
            "monotonic constraints and what reports call positive)"
        )
        out.append(_finding(rs, "error", "unknown-positive", msg, key_span(rs, "target", "positive")))
    for i, r in enumerate(rs.rules):
        if schema.classes and r.head not in schema.classes:
            msg = (
                f"rule {r.id!r}: 'then: {r.head}' is not a class of {schema.target!r}."
                f"{did_you_mean(r.head, schema.classes)} Use one of the classes{seen}: {', '.join(schema.classes)}"
            )
            out.append(
                _finding(rs, "error", "unknown-class", msg, key_span(rs, "rules", i, "then") or r.span, rule=r.id)
            )
        conds = [r.condition] + ([r.unless] if r.unless is not None else [])
        for cond in conds:
            for a in atoms(cond):
                out += _check_atom(rs, r.id, a, schema, a.feature in observed)
    if not schema.classes and rs.rules:
        msg = (
            f"the classes of the target {schema.target!r} are not declared (no 'levels:' in the manifest), so "
            "'then:' and 'target.positive' cannot be checked without the data; check against the data "
            "(snas check without --no-data) or declare the target column's 'levels:'"
        )
        out.append(_finding(rs, "warning", "unchecked-class", msg, key_span(rs, "target")))
    return out + _check_constraint_names(rs, schema)


def key_span(rs: RuleSet, *keys: str | int, key: bool = False) -> Span | None:
    """Where the value at ``keys`` sits in the rule file (``None`` when unknown); with
    ``key=True`` where the last key itself is written."""
    doc = _yaml_document(rs.text, rs.path) if rs.text else None
    loc = doc.locate(*keys, key=key) if doc is not None else None
    return Span(loc.line, loc.column) if loc is not None else None


@functools.lru_cache(maxsize=4)
def _yaml_document(text: str, path: str | None) -> YamlDocument | None:
    """The rule file's YAML, parsed once for all the positions of its findings (None: not YAML)."""
    from snas.exceptions import RuleSyntaxError

    try:
        return YamlDocument(text, path, RuleSyntaxError)
    except RuleSyntaxError:  # not YAML (an imported Datalog text): no position
        return None


def _check_atom(rs: RuleSet, rid: str, a: Compare | Member, schema: Schema, observed: bool = False) -> list[Finding]:
    """One comparison: a known, allowed feature compared with values of its type (``observed``:
    the column's levels are those of the training rows)."""
    if a.feature == schema.target:
        msg = f"rule {rid!r}: the target {a.feature!r} cannot appear in a condition"
        return [_finding(rs, "error", "target-in-body", msg, a.span, rule=rid)]
    if a.feature not in schema:
        msg = (
            f"rule {rid!r}: unknown feature {a.feature!r}.{_suggest(a.feature, list(schema.feature_names), 'features')}"
        )
        return [_finding(rs, "error", "unknown-feature", msg, a.span, rule=rid)]
    out = []
    if a.feature in set(rs.constraints.exclude_features):
        msg = (
            f"rule {rid!r} reads {a.feature!r}, which 'exclude_features' keeps out of the model; the rule would let "
            "it change decisions. Drop the condition or the exclusion"
        )
        out.append(_finding(rs, "error", "excluded-feature", msg, a.span, rule=rid))
    col = schema.column(a.feature)
    values = [a.value] if isinstance(a, Compare) else list(a.values)
    spans = [a.value_span] if isinstance(a, Compare) else list(a.value_spans) or [a.span] * len(values)
    for v, sp in zip(values, spans, strict=False):
        problem = _value_problem(rid, a.feature, col, v, observed)
        if problem is not None:
            out.append(_finding(rs, problem[0], problem[1], problem[2], sp, rule=rid))
    if isinstance(a, Compare) and col.kind == "categorical" and a.op not in ("==", "!="):
        msg = f"rule {rid!r}: {a.feature!r} is categorical (unordered); use ==, != or in [...], not {a.op}"
        out.append(_finding(rs, "error", "type", msg, a.span, rule=rid))
    return out


def _value_problem(rid: str, feature: str, col: Any, v: Any, observed: bool = False) -> tuple[Level, str, str] | None:
    """(level, code, message) when value ``v`` cannot be compared with column ``col``, or, for a
    column without levels (no data, none declared), cannot be checked."""
    if col.kind == "numeric" and isinstance(v, str):
        return "error", "type", f"rule {rid!r}: {feature!r} is numeric; compare it with a number, not the text {v!r}"
    if col.kind != "numeric" and not isinstance(v, str):
        example = col.levels[0] if col.levels else "x"
        msg = f'rule {rid!r}: {feature!r} is {col.kind}; compare it with a quoted level such as "{example}"'
        return "error", "type", msg
    if col.kind == "numeric" or v in col.levels:
        return None
    if observed:
        held = _suggest(str(v), col.levels, "levels") if col.levels else " No training row has a value there."
        return (
            "error",
            "unknown-level",
            f"rule {rid!r}: {v!r} is not a level of {feature!r}.{held} (The manifest declares no 'levels:' for "
            f"{feature!r}, so its levels are those of the training rows; to name a level they lack, list the "
            "column's 'levels:' in the manifest)",
        )
    if col.levels:
        return (
            "error",
            "unknown-level",
            f"rule {rid!r}: {v!r} is not a level of {feature!r}.{_suggest(str(v), col.levels, 'levels')}",
        )
    return (
        "warning",
        "unchecked-level",
        f"rule {rid!r}: the manifest declares no 'levels:' for {feature!r}, so whether {v!r} is one of its levels "
        "cannot be checked without the data; check against the data (snas check without --no-data) or list the "
        "column's 'levels:' in the manifest",
    )


def _check_constraint_names(rs: RuleSet, schema: Schema) -> list[Finding]:
    """Constraint features: known, numeric where monotonic; monotonic constraints on a binary target only."""
    out = []
    c = rs.constraints
    feats = list(schema.feature_names)
    for name, group in (
        ("monotonic.increasing", c.monotonic_increasing),
        ("monotonic.decreasing", c.monotonic_decreasing),
        ("exclude_features", c.exclude_features),
        ("audit_proxies", c.audit_proxies),
    ):
        for i, f in enumerate(group):
            if f not in schema or f == schema.target:
                msg = f"constraints.{name}: unknown feature {f!r}.{_suggest(f, feats, 'features')}"
                out.append(
                    _finding(rs, "error", "unknown-feature", msg, key_span(rs, "constraints", *name.split("."), i))
                )
            elif name.startswith("monotonic") and schema.column(f).kind != "numeric":
                msg = (
                    f"constraints.{name}: {f!r} is {schema.column(f).kind}; monotonic constraints take numeric "
                    "columns only — use the column's numeric code (e.g. education_num) instead"
                )
                out.append(_finding(rs, "error", "type", msg, key_span(rs, "constraints", *name.split("."), i)))
    overlap = set(c.exclude_features) & (set(c.monotonic_increasing) | set(c.monotonic_decreasing))
    for f in sorted(overlap):
        out.append(_finding(rs, "error", "constraints", f"{f!r} is both excluded and monotonic; pick one"))
    if c.monotonic and schema.classes and len(schema.classes) != 2:
        msg = (
            f"constraints.monotonic: monotonic constraints need a binary target (they order the score of the "
            f"positive class), but {schema.target!r} has {len(schema.classes)} classes "
            f"({', '.join(schema.classes[:10])}{', …' if len(schema.classes) > 10 else ''}); remove 'monotonic:' "
            "or give the target two classes (e.g. with the target column's 'recode:' in the manifest)"
        )
        out.append(_finding(rs, "error", "monotonic-target", msg, key_span(rs, "constraints", "monotonic", key=True)))
    return out


def _data_witness(view: ColumnView, mask: np.ndarray, conds: list[Condition]) -> tuple[dict[str, Any], int]:
    """The first training row where ``mask`` holds, restricted to the features involved."""
    i = int(np.flatnonzero(mask)[0])
    feats = list(dict.fromkeys(a.feature for c in conds for a in atoms(c)))
    row = {}
    for f in feats:
        v = view.frame[f].iloc[i]
        row[f] = v.item() if hasattr(v, "item") else (None if v is None else str(v))
    return row, i


def _conflicts(
    rs: RuleSet, ctx: LogicContext, view: ColumnView | None, bodies: dict[str, np.ndarray]
) -> tuple[list[Finding], dict[str, list[str]]]:
    """Check 2 (bodies with different heads that can both hold, at least one rule hard) and
    the unsatisfiable half of check 3. Per-feature intervals rule out most pairs at once; a
    training row that satisfies both bodies is the witness; otherwise :func:`overlap` decides
    (intervals, bounded normal forms, a greedy choice, then the solver) and builds a witness, or
    the question is reported undecided (a warning). At most ``MAX_PAIR_FINDINGS`` pair findings
    of each kind are listed; one more finding counts the rest. Also returns, per soft rule, the
    hard rules with another head it can hold together with (it cannot be made hard as it is)."""
    out: list[Finding] = []
    prep = {r.id: prepare(r.body, ctx) for r in rs.rules}
    for r in rs.rules:
        if view is not None and bodies[r.id].any():
            continue
        try:
            dead = overlap([prep[r.id]], ctx) is None
        except UndecidedError as exc:
            msg = f"could not decide whether rule {r.id!r} can ever fire ({exc}); simplify its condition"
            out.append(_finding(rs, "warning", "undecided", msg, r.span, rule=r.id))
            continue
        if dead:
            msg = f"rule {r.id!r} can never fire: its condition is unsatisfiable"
            out.append(_finding(rs, "warning", "dead-rule", msg, r.span, rule=r.id))
    unlisted: dict[str, int] = {}
    listed: dict[str, int] = {}
    blocked: dict[str, list[str]] = {}
    for a, b in combinations(rs.rules, 2):
        if a.head == b.head or not (a.is_hard or b.is_hard) or boxes_disjoint(prep[a.id].box, prep[b.id].box, ctx):
            continue
        pair = _Pair(rs, a, b, ctx, view, bodies, (prep[a.id], prep[b.id]))
        if "hard-soft-overlap" in pair.record(out, listed, unlisted):
            soft, hard = (b, a) if a.is_hard else (a, b)
            blocked.setdefault(soft.id, []).append(hard.id)
    for code, n in unlisted.items():
        level = _PAIR_LEVELS[code]
        msg = (
            f"{n:,} more {_plural(n, 'pair')} of rules with the same problem ({code}) {'is' if n == 1 else 'are'} "
            f"not listed: snas check lists at most {MAX_PAIR_FINDINGS} (MAX_PAIR_FINDINGS) of each kind; fix the "
            "ones above and check again"
        )
        out.append(_finding(rs, level, code, msg))
    return out, blocked


def _plural(n: int, word: str) -> str:
    """``word`` for one, ``words`` for any other count."""
    return word if n == 1 else f"{word}s"


_PAIR_LEVELS: dict[str, Level] = {
    "hard-conflict": "error",
    "hard-soft-overlap": "warning",
    "conflict-resolved": "info",
    "undecided": "warning",
}


@dataclass
class _Pair:
    """Two rules with different heads, at least one hard, whose boxes are not disjoint."""

    rs: RuleSet
    a: Rule
    b: Rule
    ctx: LogicContext
    view: ColumnView | None
    bodies: dict[str, np.ndarray]
    prepared: tuple[Prepared, Prepared]

    def code(self) -> str:
        """The finding code if the bodies can both hold (``undecided`` aside)."""
        a, b = self.a, self.b
        if not (a.is_hard and b.is_hard):
            return "hard-soft-overlap"
        if a.priority is not None and b.priority is not None and a.priority != b.priority:
            return "conflict-resolved"
        return "hard-conflict"

    def overlaps(self) -> bool | None:
        """Whether the bodies can both hold (``None``: undecided), without building a witness."""
        if self.prepared[0].box.exact and self.prepared[1].box.exact:
            return True  # products of intervals that meet on every feature
        if self.view is not None and (self.bodies[self.a.id] & self.bodies[self.b.id]).any():
            return True
        try:
            return can_overlap(list(self.prepared), self.ctx)
        except UndecidedError:
            return None

    def record(self, out: list[Finding], listed: dict[str, int], unlisted: dict[str, int]) -> list[str]:
        """Add the pair's finding to ``out``, or past ``MAX_PAIR_FINDINGS`` of its kind only count
        it in ``unlisted`` (no witness, no message); returns the codes of what holds for the pair."""
        code = self.code()
        if listed.get(code, 0) >= MAX_PAIR_FINDINGS:
            known = self.overlaps()
            if known is not False:
                code = code if known else "undecided"
                unlisted[code] = unlisted.get(code, 0) + 1
            return [code] if known else []
        found = self.findings()
        for f in found:
            if listed.get(f.code, 0) < MAX_PAIR_FINDINGS:
                listed[f.code] = listed.get(f.code, 0) + 1
                out.append(f)
            else:
                unlisted[f.code] = unlisted.get(f.code, 0) + 1
        return [f.code for f in found]

    def findings(self) -> list[Finding]:
        """The finding for the pair when their bodies can both hold (none when they cannot)."""
        rs, a, b = self.rs, self.a, self.b
        n = None
        witness: dict[str, Any] | None = None
        where = ""
        if self.view is not None:
            both = self.bodies[a.id] & self.bodies[b.id]
            n = int(both.sum())
            if n:
                witness, i = _data_witness(self.view, both, [a.body, b.body])
                where = f" (training row {i})"
        if witness is None:
            try:
                witness = overlap(list(self.prepared), self.ctx)
            except UndecidedError as exc:
                msg = (
                    f"could not decide whether rules {a.id!r} (then {a.head}) and {b.id!r} (then {b.head}) can "
                    f"both hold ({exc}); simplify their conditions, or add 'unless:' to one so they plainly "
                    "exclude each other"
                )
                return [_finding(rs, "warning", "undecided", msg, b.span, rule=a.id, other=b.id)]
            if witness is None:
                return []
        rows = f"; {n:,} training {_plural(n, 'row')} {'matches' if n == 1 else 'match'} both" if n is not None else ""
        pair = f"rules {a.id!r} (then {a.head}) and {b.id!r} (then {b.head}) can both hold, e.g. {witness}{where}{rows}"
        extra = {"rule": a.id, "other": b.id, "witness": witness, "overlap_rows": n}
        code = self.code()
        if code == "hard-soft-overlap":
            hard, soft = (a, b) if a.is_hard else (b, a)
            msg = f"{pair}; the hard rule {hard.id!r} overrides the soft rule {soft.id!r} there"
            return [_finding(rs, "warning", code, msg, soft.span, **extra)]
        if code == "conflict-resolved":
            win = a if a.priority < b.priority else b  # type: ignore[operator]
            return [_finding(rs, "info", code, f"{pair}; resolved by priority: {win.id!r} wins", b.span, **extra)]
        msg = (
            f"{pair}. Two hard rules cannot both be enforced: add 'unless:' to one of them or give both a "
            "'priority:' (lower wins)"
        )
        return [_finding(rs, "error", code, msg, b.span, **extra)]


def rule_stats(
    rs: RuleSet,
    frame: pd.DataFrame,
    y: np.ndarray,
    schema: Schema | None = None,
    bodies: dict[str, np.ndarray] | None = None,
) -> list[RuleStats]:
    """Check 4: support, coverage and label agreement (with a Wilson 95% interval) per rule,
    and for soft rules the price of hardening them: the share of rows whose label they contradict
    and no hard rule decides already."""
    bodies = bodies or {r.id: holds(r.body, frame, schema) for r in rs.rules}
    n = len(frame)
    decided = np.zeros(n, dtype=bool)  # rows a hard rule decides already
    for r in rs.rules:
        if r.is_hard:
            decided |= bodies[r.id]
    out = []
    for r in rs.rules:
        m = bodies[r.id]
        support = int(m.sum())
        agree = int((y[m] == r.head).sum())
        overruled = int((m & ~decided & (y != r.head)).sum())
        lo, hi = wilson_interval(agree, support)
        out.append(
            RuleStats(
                rule=r.id,
                strength=r.strength,
                head=r.head,
                support=support,
                coverage=support / n if n else 0.0,
                agreement=agree / support if support else None,
                agreement_low=float(lo) if support else None,
                agreement_high=float(hi) if support else None,
                hardening_cost=None if r.is_hard else (overruled / n if n else 0.0),
            )
        )
    return out


def check_rules(rules: RuleSet, data: Dataset | Schema | None = None) -> CheckReport:
    """Run the static checks of DESIGN §3 and return every finding (never raises on bad rules).

    Parameters
    ----------
    rules : RuleSet
        From :func:`load_rules`.
    data : Dataset, Schema or None
        With a schema, names, levels and types are checked; with a dataset, also coverage,
        label agreement, empirical overlaps and zero-coverage rules on the training split.

    Returns
    -------
    CheckReport
        Every finding (error, warning or note) with its rule, line and fix.

    Examples
    --------
    >>> report = check_rules(load_rules("rules/census_income.yaml"), load_dataset("census_income"))  # doctest: +SKIP
    >>> report.errors  # doctest: +SKIP
    ()
    """
    from snas.datasets import Dataset

    schema = data.schema if isinstance(data, Dataset) else data
    findings: list[Finding] = []
    if isinstance(data, Dataset):
        findings += _identifier_like(rules, data) + _lone_classes(rules, data)
    if schema is not None:
        findings += _check_names(rules, schema, _observed(data) if isinstance(data, Dataset) else frozenset())
        if any(f.level == "error" for f in findings):  # names must be right before reasoning
            return CheckReport(rules, _in_order(findings), dataset=getattr(data, "name", None))
    ctx = LogicContext.for_conditions([r.body for r in rules.rules], schema)
    view = bodies = None
    stats: list[RuleStats] = []
    rows = 0
    if isinstance(data, Dataset):
        view = ColumnView(data.train, schema)
        bodies = {r.id: holds(r.body, view) for r in rules.rules}
        y = data.train[schema.target].astype(str).to_numpy()  # type: ignore[union-attr]
        stats = rule_stats(rules, data.train, y, schema, bodies)
        rows = len(data.train)
    found, blocked = _conflicts(rules, ctx, view, bodies or {})
    findings += found + _against_monotonic(rules, schema)
    stats = [replace(s, hardening_conflicts=tuple(blocked.get(s.rule, ()))) for s in stats]
    if isinstance(data, Dataset):
        findings += _monotonic_copies(rules, data)
    findings += _coverage_findings(rules, stats, findings)
    return CheckReport(rules, _in_order(findings), tuple(stats), rows, getattr(data, "name", None))


_LEVEL_ORDER = {"error": 0, "warning": 1, "info": 2}


def _in_order(findings: list[Finding]) -> tuple[Finding, ...]:
    """Errors, then warnings, then notes, each by line and column in the rule file (findings
    without a position first, the counts of pairs left unlisted last)."""

    def position(f: Finding) -> tuple[float, int]:
        if f.line is not None:
            return f.line, f.column or 0
        return (float("inf") if f.rule is None and f.code in _PAIR_LEVELS else 0), 0  # counts close their level

    return tuple(sorted(findings, key=lambda f: (_LEVEL_ORDER[f.level], *position(f))))


def _coverage_findings(rs: RuleSet, stats: list[RuleStats], findings: list[Finding]) -> list[Finding]:
    """Warnings for a rule no training row satisfies (unless ``findings`` call it dead already)
    and for a hard rule agreeing with the label on fewer than ``MIN_HARD_AGREEMENT`` of its rows."""
    out = []
    for s in stats:
        r = rs[s.rule]
        if s.support == 0 and not any(f.code == "dead-rule" and f.rule == r.id for f in findings):
            msg = f"rule {r.id!r} holds on no training row; check its thresholds and levels"
            out.append(_finding(rs, "warning", "zero-coverage", msg, r.span, rule=r.id))
        elif r.is_hard and s.agreement is not None and s.agreement < MIN_HARD_AGREEMENT:
            msg = (
                f"hard rule {r.id!r} agrees with the label on only {s.agreement:.1%} of the {s.support:,} "
                f"{_plural(s.support, 'row')} it covers (< {MIN_HARD_AGREEMENT:.0%}); enforcing it will cost "
                "accuracy — consider making it soft"
            )
            out.append(_finding(rs, "warning", "low-agreement", msg, r.span, rule=r.id))
    return out


def _lone_classes(rs: RuleSet, data: Dataset) -> list[Finding]:
    """A warning for each class of the target with a single training row: the model has one
    example of it, and the search's validation rows (stratified by class) can hold none of it."""
    target = data.schema.column(data.schema.target)
    counts = data.train[target.name].astype(str).value_counts()
    out = []
    for cls in sorted(str(c) for c in counts.index[counts == 1]):
        msg = (
            f"class {cls!r} of the target column {target.label} has a single training row: the model learns it "
            "from one example, and a search keeps that row out of its validation rows (which hold a share of every "
            "other class), so no validation score measures it. Merge it into another class (in the data, or with "
            f"'recode: {{{cls}: OTHER}}' on the column in the manifest) or remove its row"
        )
        out.append(_finding(rs, "warning", "single-row-class", msg))
    return out


def _monotonic_copies(rs: RuleSet, data: Dataset) -> list[Finding]:
    """Warnings for a monotonic feature that another model input determines 1:1 (or nearly, see
    :func:`snas.metrics.copies_of`) in the training rows, the copy being neither excluded nor
    monotonic itself: the network reads the copy freely, so moving both together (as every real
    row does) can lower the score the constraint promises never to lower."""
    from snas._stats import copies_of

    c = rs.constraints
    monotonic = set(c.monotonic_increasing) | set(c.monotonic_decreasing)
    free = [
        col.name
        for col in data.schema.features
        if col.name not in monotonic and col.name not in c.exclude_features and col.name in data.train
    ]
    out = []
    for name, group in (("increasing", c.monotonic_increasing), ("decreasing", c.monotonic_decreasing)):
        for i, f in enumerate(group):
            for copy in copies_of(data.train, f, free):
                numeric = data.schema.column(copy).kind == "numeric"
                also = f"add {copy!r} to 'constraints.monotonic.{name}' as well, or " if numeric else ""
                msg = (
                    f"constraints.monotonic.{name}: {f!r} is determined 1:1 by {copy!r} in the training rows "
                    f"(each value of one goes with one value of the other), and {copy!r} is neither excluded nor "
                    f"monotonic: the model reads it freely, so the guarantee covers {f!r} changing alone, never "
                    f"{f!r} and {copy!r} rising together as real rows do. Fix: {also}add {copy!r} to "
                    "'constraints.exclude_features' (rewriting rules that read it in terms of "
                    f"{f!r})"
                )
                span = key_span(rs, "constraints", "monotonic", name, i)
                out.append(_finding(rs, "warning", "monotonic-copy", msg, span, other=copy))
    return out


def _observed(data: Dataset) -> frozenset[str]:
    """Columns whose levels (the target: classes) come from the training rows: categorical
    columns the manifest gives no ``levels:`` (every column of a frame), and a target without them."""
    declared = data.manifest.schema if data.manifest is not None else None
    out = {
        c.name
        for c in data.schema.columns
        if c.kind == "categorical" and (declared is None or not declared.column(c.name).levels)
    }
    if declared is None or not declared.classes:
        out.add(data.schema.target)
    return frozenset(out)


#: A categorical feature with more levels than this in the training rows is hardly learnable.
MANY_LEVELS = 100
#: ... as is one whose share of distinct values among its non-missing training rows reaches this.
UNIQUE_SHARE = 0.9
_DATE = r"\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?|\d{1,2}[./]\d{1,2}[./]\d{4}"


def _identifier_like(rs: RuleSet, data: Dataset) -> list[Finding]:
    """A warning for each model input :func:`identifier_columns` names (the rule file's
    exclusions are not model inputs)."""
    found = identifier_columns(data, frozenset(rs.constraints.exclude_features))
    return [_finding(rs, "warning", "identifier-like", msg) for msg in found.values()]


def identifier_columns(data: Dataset, excluded: frozenset[str] = frozenset()) -> dict[str, str]:
    """Feature columns that look like row identifiers or dates, each with why and the fix.

    Categorical columns with (nearly) one level per training row, dates, or more than
    ``MANY_LEVELS`` levels (the network would learn the rows by heart); numeric columns holding
    a different whole number on (nearly) every row, numbered closely (what they carry is how rows
    were numbered).

    Parameters
    ----------
    data : Dataset
        Its training split is read.
    excluded : frozenset of str, default=frozenset()
        Columns not to look at (a rule file's ``exclude_features``).

    Returns
    -------
    dict
        Column name → the warning ``snas check`` prints for it; numeric columns first.
    """
    return {**_numeric_identifiers(data, excluded), **_categorical_identifiers(data, excluded)}


def _categorical_identifiers(data: Dataset, excluded: frozenset[str]) -> dict[str, str]:
    """Categorical columns with (nearly) one level per row, dates, or far too many levels."""
    import pandas as pd

    out = {}
    for col in data.schema.features:
        if col.kind != "categorical" or col.name in excluded or col.name not in data.train:
            continue
        s = data.train[col.name]
        known = int(s.notna().sum())
        distinct = int(s.nunique(dropna=True))
        if distinct <= 20 or (distinct <= MANY_LEVELS and distinct < UNIQUE_SHARE * known):
            continue
        sample = pd.Series(s.dropna().astype(str).unique()[:200])
        dates = bool(len(sample)) and bool(sample.str.fullmatch(_DATE).mean() >= 0.9)
        what = (
            "holds dates"
            if dates
            else "has a different value on almost every row (an identifier?)"
            if distinct >= UNIQUE_SHARE * known
            else "has far too many levels"
        )
        derive = "derive a number from it (e.g. days since a date) in the data, or " if dates else ""
        out[col.name] = (
            f"column {col.label} {what}: {distinct:,} distinct values in {known:,} training rows. "
            "As a categorical input each value is a level of its own, which the model can only learn by heart "
            f"(high training, poor test accuracy); {derive}add {col.name!r} to 'constraints.exclude_features' in "
            "the rule file"
        )
    return out


def _numeric_identifiers(data: Dataset, excluded: frozenset[str]) -> dict[str, str]:
    """Numeric columns holding a different whole number on (nearly) every training row,
    numbered closely (the values span at most twice their count), like a customer number."""
    import numpy as np
    import pandas as pd

    out = {}
    for col in data.schema.features:
        if col.kind != "numeric" or col.name in excluded or col.name not in data.train:
            continue
        values = pd.to_numeric(data.train[col.name], errors="coerce").dropna().to_numpy(dtype=np.float64)
        if len(values) < 50 or not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            continue
        distinct = len(np.unique(values))
        if distinct < 0.99 * len(values) or values.max() - values.min() + 1 > 2 * distinct:
            continue  # repeated values, or spread out like amounts and weights rather than numbered
        out[col.name] = (
            f"column {col.label} holds a different whole number on almost every row ({distinct:,} distinct values in "
            f"{len(values):,} training rows): an identifier? As an input it tells the model how rows were numbered, "
            f"not what they are; add {col.name!r} to 'constraints.exclude_features' in the rule file"
        )
    return out


def _against_monotonic(rs: RuleSet, schema: Schema | None) -> list[Finding]:
    """Errors for hard rules reading a monotonic feature against its constraint (training
    refuses them: no model can honour both)."""
    from snas.rules._polarity import against_monotonic, against_monotonic_message

    # the class the constraints refer to, as training takes it: the rule file's, else the
    # dataset manifest's; with neither, training's class order decides and checks it itself
    positive = rs.positive or (schema.positive if schema is not None else None)
    if positive is None or not rs.constraints.monotonic:
        return []
    index = {r.id: i for i, r in enumerate(rs.rules)}
    out = []
    for rid, f in against_monotonic(rs, shield_bodies(rs), positive):
        msg = against_monotonic_message(rid, f, rs.constraints.monotonic[f])
        span = key_span(rs, "rules", index[rid], "if") or rs.rules[index[rid]].span
        out.append(_finding(rs, "error", "against-monotonic", msg, span, rule=rid))
    return out


def shield_bodies(rules: RuleSet) -> dict[str, Condition]:
    """Hard rules' bodies as the shield enforces them: ``unless`` applied, and in a
    priority-resolved overlap the lower-priority rule yields to the higher one."""
    from snas.rules._tree import And, Not, Or

    out: dict[str, Condition] = {}
    hard = rules.hard
    for r in hard:
        beaten_by = [
            s.body
            for s in hard
            if s.head != r.head and s.priority is not None and r.priority is not None and s.priority < r.priority
        ]
        out[r.id] = (
            r.body
            if not beaten_by
            else And((r.body, Not(Or(tuple(beaten_by)) if len(beaten_by) > 1 else beaten_by[0])))
        )
    return out


def require_rules_for(rules: RuleSet, data: Dataset, *, named_by: str, fix: str) -> None:
    """Refuse ``rules`` written for another data set than ``data`` (which ``named_by``
    names; ``fix`` says what to change) or with errors against it, before any work is done.

    Raises
    ------
    ConfigError
        The rule file's ``dataset:`` differs from ``data``.
    RuleError
        ``snas check`` would report errors (unknown columns or levels, conflicts …).
    """
    from snas.exceptions import ConfigError, RuleError

    where = rules.path or "the rules"
    if rules.dataset is not None and rules.dataset != data.name:
        raise ConfigError(
            f"{where}: the rules are written for dataset {rules.dataset!r} but {named_by} {data.name!r}; {fix}"
        )
    report = check_rules(rules, data)
    if not report.ok:
        raise RuleError(
            f"{where}: the rules have errors for {data.name!r}; run 'snas check' for details:\n"
            + "\n".join(str(f) for f in report.errors)
        )
