"""A monotonic feature with a 1:1 copy the model reads freely: ``snas check`` warns at the
monotonic entry's line and names both columns and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd

from snas.metrics import copies_of
from snas.rules import check_rules


def test_check_warns_about_a_copy_of_a_monotonic_feature(census, census_rules):
    report = check_rules(census_rules, census)
    found = [f for f in report.findings if f.code == "monotonic-copy"]
    assert len(found) == 1, [str(f) for f in report.findings]
    f = found[0]
    assert f.level == "warning" and report.ok  # a warning, not an error
    assert "'education_num'" in f.message and "'education'" in f.message
    assert "exclude_features" in f.message
    line = census_rules.text.splitlines()[f.line - 1]
    assert "increasing:" in line and "education_num" in line


def test_copies_of_is_one_to_one_or_nearly():
    rng = np.random.default_rng(0)
    num = rng.integers(1, 17, 2000)
    frame = pd.DataFrame(
        {
            "num": num,
            "word": pd.Categorical([f"L{v}" for v in num]),
            "coarse": num // 4,  # determined by num, but does not determine it
            "noise": rng.integers(1, 17, 2000),
        }
    )
    assert copies_of(frame, "num") == ["word"]
    nearly = frame.copy()
    nearly.loc[:4, "word"] = "L3"  # 5 rows of 2,000 off: still a copy
    assert copies_of(nearly, "num") == ["word"]
    assert copies_of(frame, "num", ["coarse", "noise"]) == []
