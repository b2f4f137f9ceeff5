"""RuleSet + schema → :class:`CompiledRules`: what the network layers and losses enforce.

Torch-free: decides, per rule, the mechanism (shield / loss / neuron), the effective hard
bodies (``unless`` and ``priority`` applied), and whether a rule agrees in direction with
the monotonic constraints (a hard rule or a knowledge neuron that fights a monotonic
constraint would break the guarantee, so it is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from snas._util import did_you_mean
from snas.exceptions import ConfigError, RuleConflictError, RuleError
from snas.rules import (
    Condition,
    RuleSet,
    against_monotonic,
    against_monotonic_message,
    check_rules,
    polarity,
    shield_bodies,
)

if TYPE_CHECKING:
    from snas.datasets import Schema

__all__ = ["CompiledRules", "compile_rules"]


@dataclass(frozen=True)
class CompiledRules:
    """Rules as the network uses them (plain data; serialises to JSON).

    Attributes
    ----------
    classes : class labels in the estimator's order.
    hard : (rule id, effective body, class index) for the output shield.
    soft : (rule id, body, class index, weight) for rule losses and fidelity.
    neuron_ok : rule ids that may feed a knowledge neuron, with the sign (+1/−1) that makes
        their truth non-decreasing in every increasing monotonic feature.
    monotonic : feature → +1 / −1, for the probability of ``classes[-1]`` (what the network models).
    excluded : features never given to the network.
    """

    rules: RuleSet
    classes: tuple[str, ...]
    hard: tuple[tuple[str, Condition, int], ...]
    soft: tuple[tuple[str, Condition, int, float], ...]
    neuron_ok: dict[str, int] = field(default_factory=dict)
    monotonic: dict[str, int] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    max_parameters: int | None = None

    @property
    def soft_ids(self) -> tuple[str, ...]:
        return tuple(s[0] for s in self.soft)

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "hard": [r[0] for r in self.hard],
            "soft": [r[0] for r in self.soft],
            "neuron_ok": self.neuron_ok,
            "monotonic": self.monotonic,
            "excluded": list(self.excluded),
            "max_parameters": self.max_parameters,
            "rules_sha256": self.rules.sha256,
        }


def compile_rules(rules: RuleSet | None, schema: Schema, classes: tuple[str, ...]) -> CompiledRules:
    """Validate ``rules`` against ``schema`` and compile them for the network.

    Parameters
    ----------
    rules : RuleSet or None
        The expert rules (None compiles to no rules).
    schema : Schema
        The data's columns, kinds and levels.
    classes : tuple of str
        Class labels in the model's order (the network models ``classes[-1]``).

    Returns
    -------
    CompiledRules

    Raises
    ------
    ConfigError
        ``target.positive`` of the rules is not one of ``classes``.
    RuleError
        Unknown names, wrong types, or a rule fighting a monotonic constraint.
    RuleConflictError
        Two hard rules with different heads that can hold together and nothing resolves it.
    """
    if rules is None:
        return CompiledRules(RuleSet(rules=()), classes, (), ())
    if rules.positive is not None and rules.positive not in classes:
        raise ConfigError(
            f"{rules.path or 'the rules'}: target.positive {rules.positive!r} is not one of the classes "
            f"{list(classes)}.{did_you_mean(rules.positive, classes)} Fix 'target.positive' in the rule file "
            "(it sets the direction of the monotonic constraints)"
        )
    _check(rules, schema, classes)
    index = {c: i for i, c in enumerate(classes)}
    # the constraints refer to the rule file's positive class, else the manifest's, else the
    # last class; the network models the probability of classes[-1]: express directions for it
    positive = next(c for c in (rules.positive, schema.positive, classes[-1]) if c is not None and c in classes)
    flip = 1 if positive == classes[-1] else -1
    net_mono = {f: d * flip for f, d in rules.constraints.monotonic.items()}
    eff = shield_bodies(rules)
    for rid, f in against_monotonic(rules, eff, positive):  # check_rules did when it knew `positive`
        raise RuleError(against_monotonic_message(rid, f, rules.constraints.monotonic[f]))
    hard = tuple((r.id, eff[r.id], index[r.head]) for r in rules.hard)
    return CompiledRules(
        rules=rules,
        classes=classes,
        hard=hard,
        soft=tuple((r.id, r.body, index[r.head], r.weight) for r in rules.soft),
        neuron_ok=_neuron_signs(rules, net_mono),
        monotonic=net_mono,
        excluded=tuple(rules.constraints.exclude_features),
        max_parameters=rules.constraints.max_parameters,
    )


def _check(rules: RuleSet, schema: Schema, classes: tuple[str, ...]) -> None:
    """The static checks, the heads against the classes, and the monotonic features' kinds."""
    report = check_rules(rules, schema)
    conflicts = [f for f in report.errors if f.code == "hard-conflict"]
    if conflicts:
        raise RuleConflictError("\n".join(str(f) for f in conflicts))
    if report.errors:
        raise RuleError("\n".join(str(f) for f in report.errors))
    for r in rules:
        if r.head not in classes:
            raise RuleError(f"rule {r.id!r}: class {r.head!r} does not occur in y (classes: {list(classes)})")
    mono = rules.constraints.monotonic
    if mono and len(classes) != 2:
        raise RuleError("monotonic constraints need a binary target (the score of the positive class)")
    for f in mono:
        if schema.column(f).kind != "numeric":
            raise RuleError(
                f"monotonic constraint on {f!r}: only numeric columns are supported; "
                "use the column's numeric code (e.g. education_num) instead"
            )


def _neuron_signs(rules: RuleSet, net_mono: dict[str, int]) -> dict[str, int]:
    """Soft rules whose truth moves one way in every monotonic feature, with that sign."""
    out: dict[str, int] = {}
    for r in rules.soft:
        signs: set[int | None] = set()
        for f, direction in net_mono.items():
            p = polarity(r.body, f)
            if p is None:
                signs.add(None)
            elif p != 0:
                signs.add(p * direction)
        if None in signs or len(signs) > 1:
            continue  # mixed direction: usable as a loss only
        out[r.id] = int(signs.pop() or 1) if signs else 1
    return out
