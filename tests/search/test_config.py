from __future__ import annotations

from pathlib import Path

import pytest

from snas.exceptions import ConfigError
from snas.search import config_from_mapping, load_config, parse_budget

ROOT = Path(__file__).resolve().parents[2]


def test_default_config_loads():
    cfg = load_config(ROOT / "search" / "census_income.yaml")
    assert cfg.strategy == "evolution+gradient" and cfg.budget.seconds == 420
    assert cfg.space.families == ("mlp", "additive") and cfg.space.max_pairs == 10
    assert Path(cfg.rules).resolve() == (ROOT / "rules" / "census_income.yaml").resolve()
    assert cfg.evolution.population_size == 48 and cfg.supernet.epochs == 30


@pytest.mark.parametrize(
    "text, seconds, trials",
    [("90s", 90, None), ("8min", 480, None), ("1h", 3600, None), ("40trials", None, 40), ("5min,40trials", 300, 40)],
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
    assert "5 problem(s)" in msg
    for fragment in (
        "s.yaml:3:11: strategy must be one of",
        "Did you mean 'evolution'",
        "Did you mean 'budget'",
        "'gelu2' is not one of",
        "Did you mean 'widths'",
        "metric must be one of",
    ):
        assert fragment in msg


@pytest.mark.parametrize(
    "mapping, fragment",
    [
        ({"budget": "-5min"}, "write e.g. '90s'"),
        ({"budget": "0s"}, "between 1 second and 7 days"),
        ({"budget": {"trials": 0}}, "budget trials must be an integer in [1,"),
        ({"budget": {"time": "1min", "trails": 3}}, "Did you mean 'trials'"),
        ({"population_size": 0}, "population_size must be an integer in [2,"),
        ({"space": {"learning_rate": [-1, 0]}}, "space.learning_rate[0] must be a number in (1e-06, 1]"),
        ({"space": {"learning_rate": [0.01, 0.001]}}, "swap the two values"),
        ({"space": {"widths": [1000000000]}}, "space.widths[0] must be an integer in [2, 1,024]"),
        ({"space": {"widths": 64}}, "space.widths must be a non-empty list"),
        ({"space": {"dropout": [0, 5.0]}}, "space.dropout[1] must be a number in [0, 0.9]"),
        ({"final_epochs": 10**12}, "final_epochs must be an integer in [1, 10,000]"),
        ({"gradient": {"steps": -3}}, "gradient.steps must be an integer in [1, 10,000]"),
        ({"constraints": {"min_f_soft": 5}}, "constraints.min_f_soft must be a number in [0, 1]"),
        ({"seed": -1}, "seed must be an integer in [0,"),
        ({"seed": True}, "seed must be an integer"),
        ({"workers": 1000}, "workers must be an integer in [0, 64]"),
        ({"strategy": "evolutoin"}, "Did you mean 'evolution'"),
        ({"supernet": {"epochz": 3}}, "Did you mean 'epochs'"),
        ({"standalone": "fast"}, "'standalone' must be a mapping"),
        ({"validation_fraction": 0.9}, "validation_fraction must be a number in [0.05, 0.5]"),
        ([1, 2], "a search configuration is a mapping"),
        ({"space": {"families": ["mlp", "additve"]}}, "Did you mean 'additive'"),
        ({"space": {"shape_bins": [16, 24, 64]}}, "space.shape_bins must each divide the largest (64); [24] do not"),
        ({"space": {"max_pairs": -1}}, "space.max_pairs must be an integer in [0, 100]"),
        ({"supernet": {"share": 0.6}, "evolution": {"share": 0.3}}, "supernet.share + evolution.share is 0.9; at most"),
    ],
)
def test_hostile_values_are_refused_with_the_allowed_range(mapping, fragment):
    with pytest.raises(ConfigError) as err:
        config_from_mapping(mapping, source="SNASClassifier(search=…)")
    assert fragment in str(err.value) and str(err.value).startswith("SNASClassifier(search=…)")


def test_the_breast_cancer_config_loads():
    cfg = load_config(ROOT / "search" / "breast_cancer.yaml")
    assert cfg.metric == "roc_auc" and "additive" in cfg.space.families


def test_the_estimator_validates_search_like_the_cli(census):
    from snas.estimator import SNASClassifier

    X, y = census.X_train.head(300), census.y_train.head(300)
    with pytest.raises(ConfigError, match="Did you mean 'evolution'"):
        SNASClassifier(search={"strategy": "evolutoin"}).fit(X, y)
    with pytest.raises(ConfigError, match=r"write e.g. '90s'"):
        SNASClassifier(budget="5 minutes").fit(X, y)


def test_a_run_started_by_a_snas_whose_candidates_trained_differently_is_refused(tiny_search, tmp_path, monkeypatch):
    from snas.search import _ledger

    cfg = load_config(tiny_search / "search.yaml")
    url = f"sqlite:///{tmp_path / 'trials.db'}"
    _ledger.Ledger(cfg, url)
    _ledger.Ledger(cfg, url)  # the same configuration and training resume
    monkeypatch.setattr(_ledger, "TRAINING_VERSION", _ledger.TRAINING_VERSION - 1)
    with pytest.raises(ConfigError, match="snas version whose candidates trained differently"):
        _ledger.Ledger(cfg, url)


def test_short_time_budgets_train_in_the_main_process():
    """Starting a worker interpreter costs seconds a sub-minute search lacks."""
    import os

    from snas.search._standalone import default_workers

    cores = min(64, len(os.sched_getaffinity(0)))  # the cores this process may use
    assert default_workers(config_from_mapping({"budget": "30s"})) == 1
    assert default_workers(config_from_mapping({"budget": "2min"})) == cores
    assert default_workers(config_from_mapping({"budget": "2min"}), seconds_left=30) == 1  # a resumed run
    assert default_workers(config_from_mapping({"budget": {"trials": 5}})) == cores
