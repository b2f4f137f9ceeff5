"""Training defaults that follow the size of the data.

The weight average (EMA) is what early stopping validates and what the model keeps. Its
decay was 0.99 per optimiser step whatever the data: about two epochs of averaging on Census
Income (55 steps per epoch), but 100 epochs on a few hundred rows (one step per epoch),
where the average then lags far behind the training. Measured on validation rows carved
from adult.data only (``bench/small_defaults.py``, 5 seeds, paired against 0.99), decay 0.9
was the best of 0.8/0.9/0.95/0.99 at 325 rows (+1.24 points) and of 0.9/0.95/0.99 at 1,628
rows (+0.89). The
rule below gives 0.9 there and keeps 0.99 on the full data: the average spans about two
epochs, between 10 and 100 steps.

The default network is a glass box: an additive model (one shape per input, 16 bins per
numeric shape, rules injected as for the MLP), chosen against the default MLP on validation
rows carved from adult.data only (5 seeds, both with the adapted weight average). At 325,
1,628, 3,256 and 8,140 rows the glass box was ahead by 0.09, 0.44, 0.09 and 0.09 points with
the MLP's learning rate (2e-3); a lookup table learns faster with a larger step, and 0.01
added 0.45, 0.73 and 0.39 points from 1,628 to 8,140 rows (0.08 at 325 rows; on breast
cancer's 60–250 rows it lost 0–0.54, hence ``GLASS_BOX_FAST_ROWS``). From
``GLASS_BOX_PAIRS_ROWS`` rows the glass box also has the 10 pairwise terms ranked best on
the training rows (:func:`snas.nn.rank_pairs`; only pairs of positive score, none reading a
dropped feature): +0.10 at 8,140 rows and +0.26 at 26,000, where it reached 86.50% against
the MLP's 86.23%; on fewer rows they cost (−0.54 at 325, −0.16 at 1,628, +0.04 at 3,256).
Keeping only pairs of positive score changed nothing at 26,000 rows and −0.09 ± 0.5 at 8,140
(fewer pairs), and keeps constant, empty or identifier-like columns out of pairs.

Below ``GLASS_BOX_SMALL_ROWS`` rows the default glass box averages 8 members (each early-stops
on its own held-out rows, so together they learn from every row) of 8-bin shapes: a lookup
table of 16 knots has ~20 rows per knot at 325 rows. Paired against the 16-bin single member on
the same validation rows (5 seeds, ``bench/small_defaults.py``): +0.39, +0.40 and +0.18 points at
325, 651 and 1,628 rows, −0.07 at 3,256 (8 members alone: +0.17, +0.31, +0.12, −0.01; 8-bin
shapes alone: +0.21, +0.02, −0.03, −0.12; 16 members of 8 bins no better than 8; 4 or 12 bins
worse; on breast cancer's 60, 150, 250 rows −0.36, +0.08, +0.27). Fitting takes 1.1–1.5 s
instead of 0.5–0.8 s on these rows (the members train stacked, as one network). The
default is the MLP only when the user names the family or an MLP-only field; naming
``family: additive`` keeps NetworkSpec's own glass box (64 bins, the pairs given).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from snas.nn import NetworkSpec

__all__ = [
    "GLASS_BOX_FAST_ROWS",
    "GLASS_BOX_PAIRS_ROWS",
    "GLASS_BOX_SHAPE_BINS",
    "GLASS_BOX_SMALL_ROWS",
    "adapt_to_rows",
    "ema_decay_for",
    "glass_box_fields",
    "glass_box_learning_rate",
    "small_glass_box",
    "steps_per_epoch",
]

EMA_RANGE = (0.9, 0.99)
GLASS_BOX_SHAPE_BINS = 16  # bins per numeric shape of the default glass box
GLASS_BOX = {"family": "additive", "shape_bins": GLASS_BOX_SHAPE_BINS}  # the default network
GLASS_BOX_FAST_ROWS = 1_000  # from this many rows an additive network trains at …
GLASS_BOX_LEARNING_RATE = 0.01  # … this learning rate (the MLP's stays 2e-3)
GLASS_BOX_PAIRS_ROWS = 5_000  # from this many rows the default glass box has …
GLASS_BOX_PAIRS = 10  # … at most this many pairwise terms, the best of positive score
GLASS_BOX_SMALL_ROWS = 2_000  # below this many rows the default glass box is …
GLASS_BOX_SMALL = {"members": 8, "shape_bins": 8}  # … 8 members of 8-bin shapes
MIN_EARLY_STOPPING_ROWS = 200  # as in member_splits: fewer rows train without early stopping


def steps_per_epoch(n_rows: int, validation_fraction: float, batch_size: int) -> int:
    """Optimiser steps in one epoch of a member that holds out ``validation_fraction``.

    Parameters
    ----------
    n_rows : int
        Training rows given to ``fit``.
    validation_fraction : float
        Share held out for early stopping (none below 200 rows).
    batch_size : int
        Rows per optimiser step.

    Examples
    --------
    >>> steps_per_epoch(32_561, 0.15, 512)
    55
    """
    held_out = validation_fraction > 0 and n_rows >= MIN_EARLY_STOPPING_ROWS
    train = n_rows - (math.ceil(n_rows * validation_fraction) if held_out else 0)
    return max(1, math.ceil(train / max(2, min(batch_size, train))))


def ema_decay_for(n_rows: int, validation_fraction: float, batch_size: int) -> float:
    """The weight-average decay that spans about two epochs, within [0.9, 0.99].

    Parameters
    ----------
    n_rows, validation_fraction, batch_size
        As in :func:`steps_per_epoch`.

    Examples
    --------
    >>> ema_decay_for(325, 0.15, 512), ema_decay_for(32_561, 0.15, 512)
    (0.9, 0.99)
    """
    decay = 1.0 - 1.0 / (2 * steps_per_epoch(n_rows, validation_fraction, batch_size))
    return round(min(EMA_RANGE[1], max(EMA_RANGE[0], decay)), 4)


def glass_box_learning_rate(n_rows: int) -> float | None:
    """The learning rate of an additive network trained on ``n_rows`` rows when none is
    given: ``GLASS_BOX_LEARNING_RATE`` from ``GLASS_BOX_FAST_ROWS`` rows, else None (the
    spec's own).

    Examples
    --------
    >>> glass_box_learning_rate(32_561), glass_box_learning_rate(325)
    (0.01, None)
    """
    return GLASS_BOX_LEARNING_RATE if n_rows >= GLASS_BOX_FAST_ROWS else None


def small_glass_box(n_rows: int) -> dict[str, int]:
    """The fields of the default glass box on ``n_rows`` rows that differ below
    ``GLASS_BOX_SMALL_ROWS``: 8 averaged members of 8-bin shapes (else nothing).

    Examples
    --------
    >>> small_glass_box(651), small_glass_box(32_561)
    ({'members': 8, 'shape_bins': 8}, {})
    """
    return dict(GLASS_BOX_SMALL) if n_rows < GLASS_BOX_SMALL_ROWS else {}


def glass_box_fields(architecture: Mapping[str, Any] | None) -> dict[str, Any]:
    """``architecture`` (NetworkSpec fields) with ``family: additive`` added when it names a
    field only the glass box has (``pairs``, ``shape_bins``, ``pair_bins``) and neither the
    family nor an MLP-only field: the default network is a glass box, so its fields keep it.

    Examples
    --------
    >>> glass_box_fields({"pairs": [["age", "hours_per_week"]]})
    {'pairs': [['age', 'hours_per_week']], 'family': 'additive'}
    >>> glass_box_fields({"layers": [64]})
    {'layers': [64]}
    """
    from snas.nn import ADDITIVE_ONLY_FIELDS, MLP_ONLY_FIELDS

    arch = dict(architecture or {})
    if ADDITIVE_ONLY_FIELDS & arch.keys() and "family" not in arch and not MLP_ONLY_FIELDS & arch.keys():
        arch["family"] = "additive"
    return arch


def adapt_to_rows(
    spec: NetworkSpec,
    n_rows: int,
    validation_fraction: float,
    given: Collection[str] = (),
    rank_pairs: Callable[[int], Sequence[tuple[str, str]]] | None = None,
) -> tuple[NetworkSpec, dict[str, Any]]:
    """``spec`` with the defaults that follow the data for ``n_rows`` training rows; fields
    named in ``given`` (set by the user) are kept.

    Parameters
    ----------
    spec : NetworkSpec
        The network and training recipe.
    n_rows : int
        Training rows.
    validation_fraction : float
        Share held out for early stopping.
    given : collection of str
        NetworkSpec fields the user set explicitly.
    rank_pairs : callable, optional
        ``rank_pairs(n)`` → the ``n`` best pairwise terms on the training rows. Without it
        the default glass box has no pairs.

    Returns
    -------
    (NetworkSpec, dict)
        The adapted spec and the fields it changed, with their new values (JSON types).

    Examples
    --------
    >>> from snas import NetworkSpec
    >>> adapt_to_rows(NetworkSpec(), 325, 0.15)[1]
    {'family': 'additive', 'shape_bins': 8, 'members': 8, 'ema_decay': 0.9}
    >>> adapt_to_rows(NetworkSpec(), 32_561, 0.15, rank_pairs=lambda n: [("age", "hours_per_week")])[1]
    {'family': 'additive', 'shape_bins': 16, 'learning_rate': 0.01, 'pairs': [['age', 'hours_per_week']]}
    >>> adapt_to_rows(NetworkSpec(layers=[64]), 325, 0.15, {"layers"})[1]
    {'ema_decay': 0.9}
    """
    from dataclasses import replace

    from snas.nn import MLP_ONLY_FIELDS  # when the user gives any of them (or the family), the MLP stays

    given = set(given)
    changed: dict[str, Any] = {}
    chosen_family = not ({"family"} | MLP_ONLY_FIELDS) & given
    if chosen_family:
        changed.update({k: v for k, v in GLASS_BOX.items() if k not in given and getattr(spec, k) != v})
    additive = changed.get("family", spec.family) == "additive"
    if chosen_family and additive:
        changed.update({k: v for k, v in small_glass_box(n_rows).items() if k not in given and getattr(spec, k) != v})
    fast = glass_box_learning_rate(n_rows)
    if additive and fast is not None and fast != spec.learning_rate and "learning_rate" not in given:
        changed["learning_rate"] = fast
    if chosen_family and additive and n_rows >= GLASS_BOX_PAIRS_ROWS and "pairs" not in given and rank_pairs:
        pairs = [[f, g] for f, g in rank_pairs(GLASS_BOX_PAIRS)]
        if pairs:
            changed["pairs"] = pairs
    if "ema_decay" not in given:
        decay = ema_decay_for(n_rows, validation_fraction, spec.batch_size)
        if decay != spec.ema_decay:
            changed["ema_decay"] = decay
    if not changed:
        return spec, changed
    fields = {**changed, "pairs": tuple(tuple(p) for p in changed["pairs"])} if "pairs" in changed else changed
    return replace(spec, **fields), changed
