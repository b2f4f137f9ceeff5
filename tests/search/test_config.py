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


@pytest.mark.parametrize("section", ["evolution", "supernet"])
@pytest.mark.parametrize("bad", [None, "x", [0.1], True])
def test_a_share_that_fails_its_check_is_reported_not_used(section, bad):
    """A failed check leaves the default (never None): the sum of the shares is still checked
    on valid values and every problem comes in one message, with no TypeError."""
    with pytest.raises(ConfigError) as err:
        config_from_mapping({section: {"share": bad}, "seed": -1, "strategy": "nope"})
    msg = str(err.value)
    assert "3 problem(s)" in msg and f"{section}.share must be a number in (0, 0.9]" in msg
    assert "seed must be an integer" in msg and "strategy must be one of" in msg


def test_a_failed_share_leaves_the_default_in_the_sum_of_shares():
    with pytest.raises(ConfigError) as err:
        config_from_mapping({"supernet": {"share": 0.5, "epochs": None}, "evolution": {"share": None}})
    msg = str(err.value)
    assert "2 problem(s)" in msg and "supernet.epochs must be an integer" in msg
    assert "evolution.share must be a number" in msg  # 0.5 + the default 0.15 fits
    with pytest.raises(ConfigError) as err:
        config_from_mapping({"supernet": {"share": 0.7}, "evolution": {"share": None}})
    assert "2 problem(s)" in str(err.value) and "supernet.share + evolution.share is 0.85" in str(err.value)


@pytest.mark.parametrize("short, section", [("population_size", "evolution"), ("final_epochs", "standalone")])
def test_a_short_form_failing_its_check_leaves_the_section_value(short, section):
    key = "population_size" if short == "population_size" else "epochs"
    with pytest.raises(ConfigError, match=f"{short} must be an integer"):
        config_from_mapping({short: None, section: {key: 8}})
    cfg = config_from_mapping({section: {key: 8}})
    assert getattr(getattr(cfg, section), key) == 8


def test_two_keys_for_one_setting_must_agree(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(
        "snas_search: 1\ndataset: census_income\nconstraints: {min_f_soft: 0.97}\nselection:\n  min_f_soft: 0.5\n"
        "population_size: 10\nevolution: {population_size: 12}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "2 problem(s)" in msg
    assert (
        "s.yaml:5:15: constraints.min_f_soft and selection.min_f_soft set the same value, given as 0.97 and 0.5" in msg
    )
    assert "evolution.population_size and population_size set the same value, given as 12 and 10" in msg
    # equal values (as in search/census_income.yaml) are fine, and so is either key alone
    same = config_from_mapping({"constraints": {"min_f_soft": 0.97}, "selection": {"min_f_soft": 0.97}})
    assert same.min_f_soft == same.selection.min_f_soft == 0.97
    assert config_from_mapping({"selection": {"min_f_soft": 0.5}}).selection.min_f_soft == 0.5
    assert (
        config_from_mapping({"population_size": 10, "evolution": {"population_size": 10}}).evolution.population_size
        == 10
    )
    with pytest.raises(ConfigError, match=r"given as 0\.97 and null"):
        config_from_mapping({"constraints": {"min_f_soft": 0.97}, "selection": {"min_f_soft": None}})


@pytest.mark.parametrize(
    "budget, fragment",
    [
        ("5min,10min", "a time given twice"),
        ("40trials,2trials", "trials given twice"),
        ("1h,30s,4trials", "a time given twice"),
        ({"time": "5min,40trials"}, "is not a time"),
        ({"time": "40trials", "trials": 5}, "is not a time"),
        ({"time": None, "trials": 5}, "time: null is not a limit"),
    ],
)
def test_a_budget_giving_a_unit_twice_is_refused(budget, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_budget(budget)
    with pytest.raises(ConfigError, match=fragment):
        config_from_mapping({"budget": budget})


def test_a_null_budget_is_refused_not_unlimited(tmp_path):
    with pytest.raises(ConfigError, match="budget: null is not a budget; omit the key"):
        config_from_mapping({"budget": None})
    p = tmp_path / "s.yaml"
    p.write_text("snas_search: 1\ndataset: census_income\nbudget:\n")
    with pytest.raises(ConfigError, match=r"s.yaml:3:\d+: budget: null is not a budget"):
        load_config(p)
    assert config_from_mapping({}).budget.seconds == 420  # omitted: the default


@pytest.mark.parametrize("version", ["true", "1.0", "'1'", "2"])
def test_the_format_version_is_the_integer_1(tmp_path, version):
    p = tmp_path / "s.yaml"
    p.write_text(f"snas_search: {version}\ndataset: census_income\n")
    with pytest.raises(ConfigError, match="starts with 'snas_search: 1'"):
        load_config(p)
    with pytest.raises(ConfigError, match="snas_search must be the integer 1"):
        config_from_mapping({"snas_search": {"true": True, "1.0": 1.0, "'1'": "1", "2": 2}[version]})
