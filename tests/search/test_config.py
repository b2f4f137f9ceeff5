from __future__ import annotations

from pathlib import Path

import pytest

from snas.exceptions import ConfigError
from snas.search import load_config, parse_budget

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_loads():
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    assert cfg.strategy == "evolution+gradient" and cfg.budget.seconds == 420
    assert Path(cfg.rules).resolve() == (ROOT / "rules" / "census_income.yaml").resolve()
    assert "off" in cfg.space.rule_modes  # a bare YAML `off` is not read as false


@pytest.mark.parametrize(
    "text, seconds, trials",
    [
        ("90s", 90, None),
        ("8min", 480, None),
        ("1h", 3600, None),
        ("40trials", None, 40),
        ("5min,40trials", 300, 40),
    ],
)
def test_budgets(text, seconds, trials):
    b = parse_budget(text)
    assert (b.seconds, b.trials) == (seconds, trials)


def test_every_problem_listed_with_did_you_mean(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "snas_search: 1\ndataset: census_income\nstrategy: evolutoin\nbudgett: 5min\n"
        "space: {activations: [relu, gelu2], widht: [8]}\nmetric: acc\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "4 problem(s)" in msg or "5 problem(s)" in msg
    for fragment in (
        "Did you mean 'evolution'",
        "Did you mean 'budget'",
        "'gelu2' is not one of",
        "Did you mean 'widths'",
        "metric must be one of",
    ):
        assert fragment in msg
