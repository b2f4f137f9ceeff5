"""Typed value checks that name the field, the allowed values or range, and the bad value.

Each check returns the clean value or raises :class:`Invalid`; callers collect every
problem of a file before reporting (so a user fixes them all in one go).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from snas._util import did_you_mean

__all__ = ["Invalid", "as_bool", "as_choice", "as_choices", "as_float", "as_int", "as_int_list", "as_range"]


class Invalid(ValueError):
    """One invalid value; the message says what is allowed."""


def as_int(name: str, value: Any, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (booleans and floats with a fraction are refused)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise Invalid(f"{name} must be an integer in [{lo:,}, {hi:,}]; got {_show(value)}")
    return value


def as_float(name: str, value: Any, lo: float, hi: float, *, open_low: bool = False) -> float:
    """A finite number in [lo, hi] ((lo, hi] with ``open_low``)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok and (value > lo if open_low else value >= lo) and value <= hi:
        return float(value)
    bracket = "(" if open_low else "["
    raise Invalid(f"{name} must be a number in {bracket}{lo:g}, {hi:g}]; got {_show(value)}")


def as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{name} must be true or false; got {_show(value)}")
    return value


def as_choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if isinstance(value, str) and value in allowed:
        return value
    hint = did_you_mean(str(value), allowed) if isinstance(value, str) else ""
    raise Invalid(f"{name} must be one of {', '.join(allowed)}; got {_show(value)}.{hint}")


def _as_list(name: str, value: Any, what: str) -> list[Any]:
    if not isinstance(value, (list, tuple)) or not value:
        raise Invalid(f"{name} must be a non-empty list of {what}; got {_show(value)}")
    if len(value) > 64:
        raise Invalid(f"{name} may list at most 64 values; got {len(value)}")
    return list(value)


def as_choices(name: str, value: Any, allowed: Sequence[str]) -> tuple[str, ...]:
    """A non-empty list of distinct values from ``allowed``."""
    items = _as_list(name, value, "values from " + ", ".join(allowed))
    bad = [v for v in items if not isinstance(v, str) or v not in allowed]
    if bad:
        hint = did_you_mean(str(bad[0]), allowed)
        raise Invalid(f"{name}: {_show(bad[0])} is not one of {', '.join(allowed)}.{hint}")
    return tuple(dict.fromkeys(items))


def as_int_list(name: str, value: Any, lo: int, hi: int) -> tuple[int, ...]:
    """A non-empty list of integers in [lo, hi], sorted and without duplicates."""
    items = _as_list(name, value, f"integers in [{lo:,}, {hi:,}]")
    return tuple(sorted({as_int(f"{name}[{i}]", v, lo, hi) for i, v in enumerate(items)}))


def as_range(name: str, value: Any, lo: float, hi: float, *, positive: bool = False) -> tuple[float, float]:
    """A [low, high] pair inside [lo, hi] with low <= high (both > 0 for log-scale genes)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise Invalid(f"{name} must be a pair [low, high] within [{lo:g}, {hi:g}]; got {_show(value)}")
    a = as_float(f"{name}[0]", value[0], lo, hi, open_low=positive)
    b = as_float(f"{name}[1]", value[1], lo, hi, open_low=positive)
    if a > b:
        raise Invalid(f"{name} must be [low, high] with low <= high; got [{a:g}, {b:g}] — swap the two values")
    return a, b


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
