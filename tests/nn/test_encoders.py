from __future__ import annotations

import numpy as np

from snas.nn._encoders import bin_edges


def test_bin_edges_spend_bins_off_a_point_mass():
    """92% zeros (like capital_gain): plain quantiles give one bin; these spread over the rest."""
    rng = np.random.default_rng(0)
    values = np.concatenate([np.zeros(9200), rng.uniform(1000, 20000, 800)])
    plain = np.unique(np.quantile(values, np.linspace(0, 1, 17)))
    edges = bin_edges(values, 16)
    assert plain.size <= 3
    assert 10 <= edges.size <= 17 and np.all(np.diff(edges) > 0)
    assert edges[0] == 0 and edges[-1] == values.max()
    assert (edges > 0).sum() >= 9  # resolution where the non-zero values are


def test_bin_edges_are_plain_quantiles_for_continuous_data():
    values = np.random.default_rng(1).normal(size=5000)
    assert np.allclose(bin_edges(values, 8), np.quantile(values, np.linspace(0, 1, 9)))


def test_bin_edges_of_a_constant_or_empty_column():
    assert bin_edges(np.full(10, 3.0), 8).tolist() == [3.0, 4.0]
    assert bin_edges(np.zeros(0), 8).tolist() == [0.0, 1.0]


def test_level_codes_match_a_level_spelled_otherwise_only_when_one_level_is_spelled_so():
    from snas._util import level_codes, respelled_levels

    levels = ["Never-married", "Self-emp-inc", "self emp inc", "Self-emp-not-inc"]
    values = ["Never-married", "never_married", " NEVER  married ", "Self-Emp-Inc", "self-emp-not-inc", None, "x"]
    assert level_codes(values, levels).tolist() == [0, 0, 0, -1, 3, -1, -1]  # two levels spell 'self emp inc'
    assert level_codes(values, levels, exact=True).tolist() == [0, -1, -1, -1, -1, -1, -1]
    assert respelled_levels(values, levels) == {
        "never_married": "Never-married",
        " NEVER  married ": "Never-married",
        "self-emp-not-inc": "Self-emp-not-inc",
    }


def test_blank_spellings_never_match_a_level():
    from snas._util import level_codes

    assert level_codes(["", " ", "_", "-"], ["-", "a"]).tolist() == [-1, -1, -1, 0]
