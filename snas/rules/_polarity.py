"""The direction in which a condition depends on a feature, and hard rules that push a
monotonic feature against its constraint (a model cannot honour both)."""

from __future__ import annotations

from snas.rules._tree import And, Compare, Condition, Member, Not, Or, RuleSet

__all__ = ["against_monotonic", "against_monotonic_message", "polarity"]


def polarity(cond: Condition, feature: str, negate: bool = False) -> int | None:
    """Direction in which ``cond`` depends on ``feature``: +1 non-decreasing, −1 non-increasing,
    0 independent, ``None`` mixed (e.g. ``==`` or both directions).

    Parameters
    ----------
    cond : Condition
        A rule body.
    feature : str
        A feature name.
    negate : bool, default=False
        Read ``cond`` negated.

    Returns
    -------
    int or None
    """
    if isinstance(cond, Not):
        return polarity(cond.item, feature, not negate)
    if isinstance(cond, (And, Or)):
        signs = {polarity(c, feature, negate) for c in cond.items} - {0}
        if None in signs or len(signs) > 1:
            return None
        return signs.pop() if signs else 0
    if cond.feature != feature:
        return 0
    if isinstance(cond, Member):
        return None
    assert isinstance(cond, Compare)
    sign = {">": 1, ">=": 1, "<": -1, "<=": -1}.get(cond.op)
    if sign is None:
        return None
    return -sign if negate else sign


def against_monotonic(rules: RuleSet, bodies: dict[str, Condition], positive: str) -> list[tuple[str, str]]:
    """``(rule id, feature)`` for each hard rule whose effective body reads a monotonic feature
    the wrong way: a rule concluding ``positive`` must hold more (or as much) as the feature
    moves in its constraint's direction, a rule concluding another class less (binary target).

    Parameters
    ----------
    rules : RuleSet
        The rules and their monotonic constraints.
    bodies : dict of str to Condition
        Effective hard-rule bodies (``shield_bodies``: unless and priorities folded in).
    positive : str
        The class the monotonic constraints refer to.

    Returns
    -------
    list of (str, str)
    """
    out = []
    for r in rules.hard:
        head_sign = 1 if r.head == positive else -1
        for f, direction in rules.constraints.monotonic.items():
            if polarity(bodies[r.id], f) not in (0, head_sign * direction):
                out.append((r.id, f))
    return out


def against_monotonic_message(rule: str, feature: str, direction: int) -> str:
    """What ``snas check`` and training say of a hard rule ``against_monotonic`` finds."""
    way = "increasing" if direction > 0 else "decreasing"
    return (
        f"hard rule {rule!r} reads {feature!r} against its monotonic constraint ({way}): enforcing both is "
        "impossible. Rewrite the condition with a one-sided threshold in the constraint's direction or "
        "drop one of them"
    )
