from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import parametrize_with_checks

from snas.estimator import SNASClassifier
from snas.exceptions import ModelFileError
from snas.metrics import flip_rate, monotonicity_violation_rate, rule_summary
from snas.rules import parse_rules

SMALL = {
    "layers": [{"width": 32}],
    "dropout": 0.0,
    "numeric_encoding": "standard",
    "max_epochs": 60,
    "learning_rate": 1e-2,
    "patience": 10,
}


GLASS_BOX = {k: v for k, v in SMALL.items() if k not in ("layers", "numeric_encoding")}  # the small-data default


@parametrize_with_checks(
    [SNASClassifier(architecture=SMALL, random_state=0), SNASClassifier(architecture=GLASS_BOX, random_state=0)]
)
def test_sklearn_contract(estimator, check):
    """One scikit-learn check_* function per case; a broken contract raises."""
    check(estimator)


@pytest.fixture(scope="module")
def fitted(census, census_rules):
    X, y = census.X_train.sample(6000, random_state=0), census.y_train.sample(6000, random_state=0)
    arch = {"layers": [{"width": 64}], "periodic_dim": 8, "n_frequencies": 8, "max_epochs": 8}
    return SNASClassifier(rules=census_rules, architecture=arch, random_state=0).fit(X, y)


def test_guarantees_hold_on_adult_test(fitted, census):
    X, y = census.X_test, census.y_test
    s = rule_summary(fitted.rule_report(X, y))
    assert s["hard_violations"] == 0
    assert fitted.score(X, y) > 0.82
    for f in ("education_num", "capital_gain"):
        assert monotonicity_violation_rate(fitted.predict_proba, X, f, 1, n_rows=300) == 0.0
    for f in ("sex", "race"):
        assert flip_rate(fitted.predict, X, f, n_rows=1000) == 0.0
    assert "sex" not in fitted.encoder_.features


def test_conflicting_rules_resolved_by_unless_have_no_violations(census):
    rs = parse_rules(
        'snas_rules: 1\ntarget: {column: income, positive: ">50K"}\nrules:\n'
        "  - {id: gain, if: capital_gain >= 5000, unless: age < 25, then: '>50K', strength: hard}\n"
        "  - {id: young, if: age < 25, then: '<=50K', strength: hard}\n"
        "  - {id: gain-bad, if: capital_gain >= 3000 and capital_gain < 4000, unless: age < 25, then: '>50K', strength: hard}\n"
    )
    clf = SNASClassifier(rules=rs, architecture={"layers": [16], "max_epochs": 3}, random_state=0)
    clf.fit(census.X_train.head(3000), census.y_train.head(3000))
    proba = clf.predict_proba(census.X_test)
    assert rule_summary(clf.rule_report(census.X_test))["hard_violations"] == 0
    young = (census.X_test["age"] < 25).to_numpy()
    assert np.all(proba[young, 1] == 0.0)  # exactly 0, not approximately
    deciding = clf.explain_rules(census.X_test)
    assert set(deciding.dropna()) == {"gain", "young", "gain-bad"}
    assert (deciding[young] == "young").all()


def test_save_load_identical_and_tamper_refused(fitted, census, tmp_path):
    path = fitted.save(tmp_path / "model")
    again = SNASClassifier.load(path)
    X = census.X_test.head(2000)
    assert np.array_equal(again.predict_proba(X), fitted.predict_proba(X))
    assert again.n_parameters_ == fitted.n_parameters_
    # one changed byte in the weights
    w = path / "model.safetensors"
    raw = bytearray(w.read_bytes())
    raw[-1] ^= 1
    w.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="changed after saving"):
        SNASClassifier.load(path)
    # a foreign JSON file
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "model.json").write_text(json.dumps({"hello": 1}))
    (tmp_path / "foreign" / "model.safetensors").write_bytes(b"\x00" * 16)
    with pytest.raises(ModelFileError, match="not an snas model"):
        SNASClassifier.load(tmp_path / "foreign")
    # a model file of an older format is named as such
    (tmp_path / "foreign" / "model.json").write_text(json.dumps({"format": "snas-model/1"}))
    with pytest.raises(ModelFileError, match=r"'snas-model/1'.*train the model again"):
        SNASClassifier.load(tmp_path / "foreign")


def test_ensemble_members_keep_every_guarantee_and_round_trip(census, census_rules, tmp_path):
    """members=3: three differently trained copies, logits averaged; still shielded and monotone."""
    X, y = census.X_train.sample(5000, random_state=1), census.y_train.sample(5000, random_state=1)
    arch = {"layers": [{"width": 16}], "numeric_encoding": "standard", "max_epochs": 6, "members": 3}
    ens = SNASClassifier(rules=census_rules, architecture=arch, random_state=0).fit(X, y)
    one = SNASClassifier(rules=census_rules, architecture={**arch, "members": 1}, random_state=0).fit(X, y)
    assert ens.network_.members == 3 and len(ens.train_results_) == 3
    assert ens.n_parameters_ == 3 * one.n_parameters_
    stacked = ens.network_.state_dict()
    assert not all(torch.equal(v[0], v[1]) for v in stacked.values() if v.numel())
    assert {r.epochs for r in ens.train_results_} != {0}  # each member early-stopped on its own rows
    X_test = census.X_test.head(3000)
    assert rule_summary(ens.rule_report(X_test))["hard_violations"] == 0
    for f in ("education_num", "capital_gain"):
        assert monotonicity_violation_rate(ens.predict_proba, X_test, f, 1, n_rows=200) == 0.0
    again = SNASClassifier.load(ens.save(tmp_path / "ensemble"))
    assert np.array_equal(again.predict_proba(X_test), ens.predict_proba(X_test))
    assert [r.epochs for r in again.train_results_] == [r.epochs for r in ens.train_results_]


def test_model_with_dropped_inputs_loads(census, census_rules, tmp_path):
    """A searched spec may drop inputs (feature gates); its saved model loads and predicts the same."""
    arch = {"layers": [8], "numeric_encoding": "ple", "max_epochs": 2, "drop_features": ["fnlwgt", "native_country"]}
    clf = SNASClassifier(rules=census_rules, architecture=arch, random_state=0)
    clf.fit(census.X_train.head(2000), census.y_train.head(2000))
    again = SNASClassifier.load(clf.save(tmp_path / "dropped"))
    X = census.X_test.head(500)
    assert np.array_equal(again.predict_proba(X), clf.predict_proba(X))


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["extra"]["estimator"].update(classes=m["extra"]["estimator"]["classes"][::-1]),
        lambda m: m["task"].update(classes=m["task"]["classes"][::-1]),
        lambda m: m["task"].update(rules_text=m["task"]["rules_text"].replace("7500", "75")),
        lambda m: m["task"]["compiled"].update(hard=[]),
        lambda m: m["task"]["schema"]["columns"][0].update(name="ag"),
        lambda m: m["spec"]["layers"][0].update(width=65),
        lambda m: m.update(members=2),
    ],
    ids=["estimator classes", "task classes", "rule text", "compiled hard rules", "feature name", "shape", "members"],
)
def test_any_edit_of_what_decides_a_prediction_is_refused(fitted, tmp_path, edit):
    path = fitted.save(tmp_path / "m")
    meta = json.loads((path / "model.json").read_text())
    edit(meta)
    (path / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="edited after saving"):
        SNASClassifier.load(path)


def test_deeply_nested_or_huge_model_json_is_refused(fitted, tmp_path):
    path = fitted.save(tmp_path / "m")
    (path / "model.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ModelFileError, match="not valid JSON"):
        SNASClassifier.load(path)


def test_integer_target_keeps_its_dtype(census):
    X = census.X_train.head(600)
    y = (census.y_train.head(600) == ">50K").astype(int).to_numpy()
    clf = SNASClassifier(architecture={"layers": [8], "max_epochs": 2}, random_state=0).fit(X, y)
    assert clf.classes_.dtype.kind == "i" and set(clf.predict(X)) <= {0, 1}


def test_a_rule_about_a_level_training_never_saw_still_decides_it(census, census_rules):
    """1% samples may lack Priv-house-serv; the level joins the schema and the hard rule holds."""
    X = census.X_train[census.X_train["occupation"] != "Priv-house-serv"].head(800)
    y = census.y_train.loc[X.index]
    X = X.assign(occupation=X["occupation"].astype(object))  # plain strings: the level is nowhere in the frame
    with pytest.warns(UserWarning, match="never shows"):
        clf = SNASClassifier(rules=census_rules, architecture={"layers": [8], "max_epochs": 2}).fit(X, y)
    test = census.X_test[(census.X_test["occupation"] == "Priv-house-serv") & (census.X_test["capital_gain"] < 7500)]
    test = test.assign(occupation=test["occupation"].astype(object))
    assert len(test) > 10
    deciding = clf.explain_rules(test)
    assert deciding.notna().all() and (deciding == "household-service").sum() > 10  # earlier hard rules win the rest
    assert (clf.predict(test) == "<=50K").all()


def test_a_level_spelled_otherwise_is_read_as_that_level_by_the_network_and_the_shield(census, census_rules):
    """'never married ' is 'Never-married': the hard rule reading it still decides, with a warning."""
    X, y = census.X_train.head(800), census.y_train.head(800)
    clf = SNASClassifier(rules=census_rules, architecture={"layers": [8], "max_epochs": 2}, random_state=0).fit(X, y)
    test = census.X_test.head(400)
    respelled = test.assign(marital_status=test["marital_status"].astype(str).str.upper().str.replace("-", " ") + " ")
    with pytest.warns(UserWarning, match=r"column 'marital_status': \d+ value\(s\) spell a level otherwise"):
        got = clf.predict_proba(respelled)
    np.testing.assert_array_equal(got, clf.predict_proba(test))
    with pytest.warns(UserWarning, match="spell a level otherwise"):
        deciding = clf.explain_rules(respelled).fillna("")
    assert (deciding == clf.explain_rules(test).fillna("")).all() and (deciding != "").any()


def test_a_rule_naming_a_level_the_data_spell_otherwise_is_refused(census):
    """Joined as a level of its own, 'Priv-House-Serv' would never fire: a typo, refused."""
    from snas.exceptions import RuleError
    from snas.rules import parse_rules

    rules = parse_rules(
        "snas_rules: 1\ntarget: {column: income, positive: '>50K'}\nrules:\n"
        "  - {id: household, if: occupation == \"Priv-House-Serv\", then: '<=50K', strength: hard}\n"
    )
    X, y = census.X_train.head(800), census.y_train.head(800)
    X = X.assign(occupation=X["occupation"].astype(object))
    with pytest.raises(
        RuleError, match=r"rule 'household': 'Priv-House-Serv' is not a level of 'occupation'.*'Priv-house-serv'"
    ):
        SNASClassifier(rules=rules, architecture={"layers": [4], "max_epochs": 1}).fit(X, y)


def test_bad_columns_named(fitted, census):
    X = census.X_test.head(50)
    with pytest.raises(ValueError, match="unseen at fit time: \\['salary'\\]"):
        fitted.predict(X.assign(salary=1))
    with pytest.raises(ValueError, match="missing: \\['age'\\]"):
        fitted.predict(X.drop(columns=["age"]))
    with pytest.raises(ValueError, match="'age' was numeric during fit"):
        fitted.predict(X.assign(age="old"))


def test_misspelled_names_in_the_architecture_are_refused(census, census_rules):
    """Otherwise a typo drops nothing and turns nothing off, silently."""
    from snas.exceptions import ConfigError

    X, y = census.X_train.head(300), census.y_train.head(300)
    for arch, message in (
        ({"drop_features": ["agee"]}, "drop_features: 'agee' is not a feature of the data. Did you mean 'age'?"),
        (
            {"rule_modes": {"low-educaton": "off"}},
            "rule_modes: 'low-educaton' is not a soft rule. Did you mean 'low-education'?",
        ),
        ({"rule_modes": {"minor-age": "off"}}, "rule_modes: 'minor-age' is not a soft rule."),  # a hard rule
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            SNASClassifier(rules=census_rules, architecture={**arch, "max_epochs": 1}).fit(X, y)
    dropped = SNASClassifier(rules=census_rules, architecture={"drop_features": ["sex", "fnlwgt"], "max_epochs": 1})
    assert dropped.fit(X, y).n_parameters_ > 0  # excluded or real features are fine


def test_clone_and_pipeline(census, census_rules):
    clf = SNASClassifier(rules=census_rules, architecture={"layers": [16], "max_epochs": 2}, random_state=1)
    assert clone(clf).get_params()["architecture"] == clf.get_params()["architecture"]
    pipe = Pipeline([("identity", FunctionTransformer(lambda f: f)), ("snas", clf)])
    pipe.fit(census.X_train.head(2000), census.y_train.head(2000))
    assert pipe.predict(census.X_test.head(10)).shape == (10,)


def test_rule_report_columns(fitted, census):
    t = fitted.rule_report(census.X_test.head(3000), census.y_test.head(3000))
    assert list(t["rule"]) == [r.id for r in fitted.compiled_.rules]
    for col in (
        "support",
        "coverage",
        "violation_rate",
        "violation_rate_low",
        "violation_rate_high",
        "compliance",
        "expected_violation",
        "label_agreement",
        "excess_violation",
    ):
        assert col in t.columns
    assert isinstance(t, pd.DataFrame)


def test_the_default_network_is_a_glass_box_unless_the_user_shaped_the_network(census, census_rules):
    """The default network is the additive glass box (exact explanations included), trained
    faster from GLASS_BOX_FAST_ROWS rows and given the best-ranked pairs from
    GLASS_BOX_PAIRS_ROWS; a family or an MLP-only field the user gives keeps the MLP."""
    from snas.model import GLASS_BOX_FAST_ROWS, GLASS_BOX_PAIRS_ROWS, GLASS_BOX_SMALL_ROWS, adapt_to_rows
    from snas.nn import NetworkSpec

    asked: list[int] = []

    def rank(n: int) -> list[tuple[str, str]]:
        asked.append(n)
        return [("age", "hours_per_week")]

    spec, changed = adapt_to_rows(NetworkSpec(), GLASS_BOX_FAST_ROWS - 1, 0.15, rank_pairs=rank)
    assert spec.family == "additive" and spec.shape_bins == 8 and spec.members == 8  # few rows: averaged
    assert changed["family"] == "additive" and changed["members"] == 8
    assert spec.learning_rate == NetworkSpec().learning_rate and not spec.pairs and not asked
    spec, changed = adapt_to_rows(NetworkSpec(), GLASS_BOX_SMALL_ROWS, 0.15, rank_pairs=rank)
    assert spec.shape_bins == 16 and spec.members == 1 and "members" not in changed
    spec, changed = adapt_to_rows(NetworkSpec.from_dict({"members": 2}), 325, 0.15, {"members"}, rank)
    assert spec.family == "additive" and spec.members == 2 and spec.shape_bins == 8  # the user's members kept
    spec, changed = adapt_to_rows(NetworkSpec(), GLASS_BOX_PAIRS_ROWS - 1, 0.15, rank_pairs=rank)
    assert spec.learning_rate == changed["learning_rate"] == 0.01 and not spec.pairs and not asked
    spec, changed = adapt_to_rows(NetworkSpec(), 32_561, 0.15, rank_pairs=rank)
    assert spec.family == "additive" and spec.pairs == (("age", "hours_per_week"),) and asked == [10]
    assert changed["pairs"] == [["age", "hours_per_week"]]  # JSON types: saved with the model
    for shaping in ({"layers": [16]}, {"family": "mlp"}, {"numeric_encoding": "standard"}, {"kbann_weight": 1.0}):
        spec = adapt_to_rows(NetworkSpec.from_dict(shaping), 32_561, 0.15, set(shaping), rank)[0]
        assert spec.family == "mlp" and spec.learning_rate == NetworkSpec().learning_rate
    spec, changed = adapt_to_rows(NetworkSpec(shape_bins=32), 325, 0.15, {"shape_bins"})  # a glass-box field
    assert spec.family == "additive" and spec.shape_bins == 32 and "shape_bins" not in changed
    given = {"family": "additive", "learning_rate": 0.003}  # the user's glass box: no pairs added, their rate
    spec, changed = adapt_to_rows(NetworkSpec.from_dict(given), 32_561, 0.15, set(given), rank)
    assert spec.learning_rate == 0.003 and not spec.pairs and "learning_rate" not in changed
    X, y = census.X_train.head(400), census.y_train.head(400)
    clf = SNASClassifier(architecture={"max_epochs": 2}, random_state=0).fit(X, y)
    assert clf.spec_.family == "additive" and clf.defaults_["family"] == "additive"
    assert clf.spec_.members == 8 and clf.model_.network.members == 1  # eight trained, one glass box kept
    e = clf.model_.explain(X.head(5))  # a glass box explains itself exactly
    assert abs(e.contributions.sum(axis=1).to_numpy() - e.logit).max() < 1e-5
    X, y = census.X_train.head(GLASS_BOX_PAIRS_ROWS), census.y_train.head(GLASS_BOX_PAIRS_ROWS)
    clf = SNASClassifier(rules=census_rules, architecture={"max_epochs": 1}, random_state=0).fit(X, y)
    pairs = {frozenset(q) for q in clf.spec_.pairs}  # the ≤ 10 of positive score
    assert 1 <= len(pairs) <= 10 and pairs == {frozenset(q) for q in clf.defaults_["pairs"]}
    assert not {"sex", "race"} & {f for q in clf.spec_.pairs for f in q}  # excluded features have no term
    e = clf.model_.explain(X.head(50))
    assert sum("×" in c for c in e.contributions.columns) == len(pairs)  # one exact term per pair
    dropped = SNASClassifier(architecture={"max_epochs": 1, "drop_features": ["age"]}, random_state=0).fit(X, y)
    assert dropped.spec_.pairs and all("age" not in q for q in dropped.spec_.pairs)  # no pair brings it back
    named = SNASClassifier(architecture={"max_epochs": 1, "pairs": [["age", "hours_per_week"]]}).fit(X, y)
    assert named.spec_.family == "additive" and named.spec_.pairs == (("age", "hours_per_week"),)
    assert "pairs" not in named.defaults_ and named.defaults_["shape_bins"] == 16


def test_a_loaded_default_model_refits_with_defaults_chosen_anew(census, tmp_path):
    """A saved model keeps the architecture given at fit, not its data's pairs: a clone of the
    loaded model fits other columns and chooses its own defaults."""
    from sklearn.base import clone

    X, y = census.X_train.head(5000), census.y_train.head(5000)
    clf = SNASClassifier(architecture={"max_epochs": 1}, random_state=np.random.RandomState(0)).fit(X, y)
    loaded = SNASClassifier.load(clf.save(tmp_path / "m"))
    assert loaded.architecture == {"max_epochs": 1} and loaded.defaults_ == clf.defaults_
    assert loaded.spec_.pairs == clf.spec_.pairs
    other = X.drop(columns=["education", "occupation", "relationship"])
    refit = clone(loaded).fit(other, y)
    assert refit.spec_.pairs and not {"education", "occupation", "relationship"} & {
        f for q in refit.spec_.pairs for f in q
    }


def test_the_weight_average_follows_the_number_of_rows(census, tmp_path):
    """Small data: decay 0.9 (about two epochs of steps); full data keeps 0.99; a decay the
    user gives is never changed; the chosen value is recorded and saved with the model."""
    from snas.model import adapt_to_rows, ema_decay_for
    from snas.nn import NetworkSpec

    assert ema_decay_for(325, 0.15, 512) == 0.9 and ema_decay_for(32_561, 0.15, 512) == 0.99
    decays = [ema_decay_for(n, 0.15, 512) for n in (325, 1628, 3256, 8140, 16_000, 32_561)]
    assert decays == sorted(decays) and len(set(decays)) > 3  # grows with the rows, within [0.9, 0.99]
    assert adapt_to_rows(NetworkSpec(layers=[8]), 32_561, 0.15, {"layers"}) == (NetworkSpec(layers=[8]), {})
    assert adapt_to_rows(NetworkSpec(ema_decay=0.5), 325, 0.15, {"ema_decay"})[1] == {
        "family": "additive",
        "shape_bins": 8,
        "members": 8,
    }
    assert adapt_to_rows(NetworkSpec(ema_decay=0.5), 325, 0.15, {"ema_decay", "layers"})[1] == {}
    X, y = census.X_train.head(400), census.y_train.head(400)
    clf = SNASClassifier(architecture={"layers": [8], "max_epochs": 2}, random_state=0).fit(X, y)
    assert clf.defaults_ == {"ema_decay": 0.9} and clf.spec_.ema_decay == 0.9
    assert SNASClassifier.load(clf.save(tmp_path / "m")).defaults_ == {"ema_decay": 0.9}
    given = SNASClassifier(architecture={"layers": [8], "max_epochs": 2, "ema_decay": 0.99}).fit(X, y)
    assert given.defaults_ == {} and given.spec_.ema_decay == 0.99
