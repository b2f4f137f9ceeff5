"""The audit's evidence says what it measured and no more (red-team findings): a monotonicity
guarantee whose feature has a freely read 1:1 copy, a grid that walks the feature's range,
a proxy probe that does not read the attribute it predicts, log-loss with its clip, example
probabilities that do not read as rule decisions, fairness-gap intervals, and references
the Markdown can follow."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest


def _copy_frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    num = rng.integers(1, 17, n)
    return pd.DataFrame(
        {"edu_num": num, "edu": pd.Categorical([f"L{v:02d}" for v in num]), "age": rng.integers(18, 80, n)}
    )


def _fake_model(monkeypatch, read: dict[str, tuple[str, ...]]):
    import snas.model

    def predict_proba(frame: pd.DataFrame) -> np.ndarray:
        # increasing in edu_num alone, but the copy pulls the other way (as in the red-team run)
        code = frame["edu"].astype(str).str[1:].astype(int).to_numpy()
        z = 0.3 * frame["edu_num"].to_numpy(dtype=float) - 0.5 * code
        p = 1 / (1 + np.exp(-z))
        return np.c_[1 - p, p]

    constraints = SimpleNamespace(monotonic={"edu_num": 1}, exclude_features=())
    model = SimpleNamespace(
        task=SimpleNamespace(rules=SimpleNamespace(constraints=constraints)), predict_proba=predict_proba
    )
    monkeypatch.setattr(snas.model, "inputs_read", lambda m: read)
    return model


def test_monotonicity_caveat_names_the_copy(monkeypatch):
    from snas.audit._risk import risk_register
    from snas.audit._rule_evidence import structural_checks

    model = _fake_model(monkeypatch, {"edu_num": ("MLP monotone path",), "edu": ("MLP input layer",)})
    (e,) = structural_checks(model, _copy_frame(), seed=0)
    assert e["pass"] is True  # the guarantee itself holds ...
    assert e["unconstrained_copies"] == ["edu"]
    assert "holds when edu_num changes alone" in e["method"] and "edu, which determines it 1:1" in e["method"]
    risks = [r for r in risk_register([e]) if r["id"] == "risk:monotonic-copy:edu_num"]
    assert len(risks) == 1 and "edu" in risks[0]["finding"] and "exclude" in risks[0]["finding"]


def test_no_caveat_when_the_copy_is_not_read(monkeypatch):
    from snas.audit._risk import risk_register
    from snas.audit._rule_evidence import structural_checks

    model = _fake_model(monkeypatch, {"edu_num": ("MLP monotone path",), "age": ("MLP input layer",)})
    (e,) = structural_checks(model, _copy_frame(), seed=0)
    assert not e["unconstrained_copies"] and "alone" not in e["method"]
    assert not risk_register([e])


def test_monotonicity_grid_walks_a_skewed_feature():
    from snas.metrics import monotonicity_grid, monotonicity_violation_rate

    rng = np.random.default_rng(0)
    gains = np.where(rng.uniform(size=5000) < 0.92, 0, rng.integers(100, 100_000, 5000))
    grid = monotonicity_grid(gains, 25)
    assert grid.size >= 25 and grid.min() == gains.min() and grid.max() == gains.max()
    assert np.all(np.diff(grid) > 0)
    assert monotonicity_grid(np.arange(1, 17), 25).tolist() == list(range(1, 17))  # every level when few

    # a dip between 20,000 and 60,000 that a quantile grid (0, ..., 0, a few values) misses
    X = pd.DataFrame({"g": gains})

    def proba(frame: pd.DataFrame) -> np.ndarray:
        g = frame["g"].to_numpy(dtype=float)
        p = np.clip(0.2 + g / 200_000 - 0.3 * ((g > 20_000) & (g < 60_000)), 0, 1)
        return np.c_[1 - p, p]

    rate, points = monotonicity_violation_rate(proba, X, "g", 1, return_grid=True)
    assert rate == 1.0 and points == grid.size


def test_monotonicity_method_reports_the_real_grid(monkeypatch):
    from snas.audit._rule_evidence import structural_checks

    model = _fake_model(monkeypatch, {"edu_num": ("MLP monotone path",)})
    (e,) = structural_checks(model, _copy_frame(), seed=0)
    assert e["grid_points"] == 16 and "16 grid points" in e["method"] and "25 points" not in e["method"]


def test_proxy_probe_never_reads_the_attribute_itself(monkeypatch):
    import snas.model
    from snas.audit._probes import proxy_check
    from snas.audit._risk import finding_text

    rng = np.random.default_rng(0)
    n = 1200
    X = pd.DataFrame(
        {
            "relationship": pd.Categorical(rng.choice(["Husband", "Wife", "Own-child"], n)),
            "hours": rng.integers(10, 60, n).astype(float),
        }
    )
    monkeypatch.setattr(snas.model, "inputs_read", lambda m: {"relationship": ("x",), "hours": ("x",)})
    (e,) = proxy_check(object(), X, {"relationship": X["relationship"].astype(str).to_numpy()}, seed=0)
    assert e["inputs"] == ["hours"]  # the other inputs only
    assert e["value"] < 0.5  # noise cannot predict it: no tautological 1.0
    assert e["read_by_model"] is True and "other inputs" in e["method"]
    assert "which the model reads itself" in finding_text(e) and "other inputs" in finding_text(e)


def test_log_loss_states_its_clip_and_the_rule_decided_rows():
    from snas.audit._metrics import LOG_LOSS_CLIP, log_loss_split, performance_evidence
    from snas.audit._stats import Bootstrap

    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.2, 0.7, 0.4, 0.6, 0.0, 1.0])  # the last two: hard-rule decisions, of the other class
    proba = np.c_[1 - p, p]
    decided = np.array([False, False, False, False, True, True])
    s = log_loss_split(y, proba, decided)
    assert s["rule_decided_rows"] == 2 and s["rule_decided_wrong"] == 2 and s["clip"] == LOG_LOSS_CLIP
    expected = -np.mean(np.log([0.8, 0.7, 0.6, 0.6]))
    assert s["log_loss_without_rule_decided"] == pytest.approx(expected)
    assert s["rule_decided_share_of_loss"] > 0.9

    model = SimpleNamespace(deciding_rules=lambda X: np.array([None, None, None, None, "r", "r"], dtype=object))
    inputs = SimpleNamespace(
        y=y,
        proba=proba,
        boot=Bootstrap(len(y), resamples=20, seed=0),
        positive=1,
        classes=("no", "yes"),
        model=model,
        X=pd.DataFrame({"a": range(6)}),
    )
    (ll,) = [e for e in performance_evidence(inputs) if e["id"] == "ev:metric:log_loss"]
    assert "clipped to [1e-15" in ll["method"] and "no hard rule decided" in ll["method"]
    assert ll["log_loss_without_rule_decided"] == pytest.approx(expected)


def test_interpretation_aids_claim_no_calibration():
    import inspect

    from snas.audit import _section_fields

    assert "calibrated probabilities" not in inspect.getsource(_section_fields)


def test_extreme_network_probabilities_are_bounds_not_rule_decisions():
    from snas.audit._explain import probability_text

    assert probability_text(1.5e-10, False) == "< 0.0001"
    assert probability_text(0.99999993, False) == "> 0.9999"
    assert probability_text(0.0, True) == "= 0"
    assert probability_text(0.5001, False) == "= 0.5001"


def test_counterfactual_says_when_it_works_through_a_hard_rule():
    from snas.audit._explain import counterfactual

    class Col(SimpleNamespace):
        pass

    occ = Col(name="occupation", kind="categorical", levels=("Prof-specialty", "Priv-house-serv"), integer=False)
    dtype = pd.CategoricalDtype(list(occ.levels))

    def deciding(frame: pd.DataFrame) -> np.ndarray:
        return np.where(frame["occupation"].astype(str) == "Priv-house-serv", "household-service", None).astype(object)

    def predict_proba(frame: pd.DataFrame) -> np.ndarray:
        p = np.where(deciding(frame) != None, 0.0, 0.99999993)  # noqa: E711
        return np.c_[1 - p, p]

    task = SimpleNamespace(
        classes=("<=50K", ">50K"),
        rules=SimpleNamespace(constraints=SimpleNamespace(monotonic={})),
        schema=SimpleNamespace(features=[occ]),
        encoder=SimpleNamespace(features=["occupation"]),
    )
    model = SimpleNamespace(task=task, predict_proba=predict_proba, deciding_rules=deciding)
    row = pd.DataFrame({"occupation": pd.Categorical(["Prof-specialty"], dtype=dtype)})
    cf = counterfactual(model, row, row, set(), positive=1)
    assert cf["found"] and cf["through_rule"] == "household-service"


def test_fairness_gap_interval_can_contain_zero_and_names_group_sizes():
    from snas.audit._metrics import fairness
    from snas.audit._stats import Bootstrap

    rng = np.random.default_rng(0)
    n = 600
    groups = {"sex": rng.choice(["a", "b", "c"], n).astype(object)}
    y = rng.integers(0, 2, n)
    pred = rng.integers(0, 2, n)  # no real gap between the groups
    _, gaps = fairness(groups, y, pred, 1, Bootstrap(n, resamples=400, seed=0))
    (d,) = [g for g in gaps if g["id"] == "ev:gap:sex:selection_rate:difference"]
    assert set(d["group_n"]) == {"a", "b", "c"} and sum(d["group_n"].values()) == n
    assert "n=" in d["note"]
    assert "cannot contain 0" in d["method"] and "not a significance test" in d["method"]
    assert d["ci95"][0] <= d["percentile_ci95"][0]  # bias-corrected: not above the percentile interval
    assert d["ci95"][0] == 0.0  # a gap of noise: the interval reaches 0


def test_latency_points_where_the_markdown_reader_can_find_it():
    from snas.audit._fields import LATENCY_WHERE

    assert "see Run information" not in LATENCY_WHERE
    assert "run_info.inference_us_per_row" in LATENCY_WHERE and "report.json" in LATENCY_WHERE
