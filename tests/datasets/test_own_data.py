"""A dataset of one's own: levels and classes the manifest leaves out come from the training
rows, an integer target keeps integer labels, and what cannot be a label is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snas.datasets import from_frame, load, normalise_name
from snas.exceptions import DatasetError

COLUMNS = """columns:
  - {name: account_id, type: categorical}
  - {name: Alter Jahre, type: numeric, integer: true}
  - {name: debt to income, type: numeric}
  - {name: employment, type: categorical}
  - {name: Region, type: categorical, levels: [Nord, Süd, Ost, West, Mitte]}
  - {name: default, type: numeric, integer: true}
"""


def _frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dti = np.round(rng.uniform(0, 1.2, n), 3)
    return pd.DataFrame(
        {
            "account_id": [f"ACC-{i:05d}" for i in rng.permutation(n)],
            "Alter Jahre": rng.integers(18, 80, n),
            "debt to income": dti,
            "employment": rng.choice(["salaried", "self-employed", "unemployed", "retired"], n),
            "Region": rng.choice(["Nord", "Süd", "Ost", "West"], n),
            "default": (rng.uniform(size=n) < 0.2 + 0.5 * (dti > 0.8)).astype(int),
        }
    )


def _dataset(
    tmp_path: Path, frame: pd.DataFrame, *, columns: str = COLUMNS, target: str = "default, positive: 1"
) -> Path:
    """``tmp_path/data/credit.csv`` and ``tmp_path/datasets/credit.yaml`` (returned) for ``frame``."""
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "datasets").mkdir(exist_ok=True)
    frame.to_csv(tmp_path / "data" / "credit.csv", index=False)
    sha = hashlib.sha256((tmp_path / "data" / "credit.csv").read_bytes()).hexdigest()
    manifest = tmp_path / "datasets" / "credit.yaml"
    manifest.write_text(
        "snas_dataset: 1\nname: credit\n"
        f"files:\n  train: {{path: credit.csv, sha256: {sha}}}\n"
        'format: {header: true, separator: ",", missing: [""]}\n'
        f"{columns}target: {{column: {target}}}\n"
        "split: {train: train, test_fraction: 0.3, seed: 0}\n",
        encoding="utf-8",
    )
    return manifest


def test_levels_left_out_of_the_manifest_are_those_of_the_training_rows(tmp_path):
    data = load(_dataset(tmp_path, _frame()), data_dir=tmp_path / "data")
    employment = data.schema.column("employment")
    assert employment.levels == tuple(sorted(data.train["employment"].dropna().unique()))
    assert employment.levels == ("retired", "salaried", "self-employed", "unemployed")
    assert list(data.train["employment"].cat.categories) == list(employment.levels)
    assert len(data.schema.column("account_id").levels) == len(data.train)  # the training split's only
    assert set(data.test["account_id"].dropna()) <= set(data.test["account_id"].cat.categories)  # test values kept
    # declared levels stay as declared, also those no row holds
    assert data.schema.column("region").levels == ("Nord", "Süd", "Ost", "West", "Mitte")


def test_an_integer_target_has_its_values_as_classes_and_integer_labels(tmp_path):
    data = load(_dataset(tmp_path, _frame()), data_dir=tmp_path / "data")
    assert data.schema.classes == ("0", "1") and data.schema.positive == "1"  # named as rule files name them
    assert data.class_values == (0, 1)
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64
    assert set(data.y_train) == {0, 1}


def test_classes_of_an_integer_target_are_in_numeric_order(tmp_path):
    frame = _frame().assign(default=lambda d: np.resize([0, 2, 10], len(d)))
    data = load(_dataset(tmp_path, frame, target="default"), data_dir=tmp_path / "data")
    assert data.schema.classes == ("0", "2", "10") and data.class_values == (0, 2, 10)


def test_a_string_target_keeps_string_labels(census):
    assert pd.api.types.is_string_dtype(census.y_train) and census.class_values == ("<=50K", ">50K")


def test_from_frame_keeps_an_integer_target_integer():
    frame = _frame()
    data = from_frame(frame.iloc[:200], "default", positive=1, test=frame.iloc[200:])
    assert data.schema.classes == ("0", "1") and data.schema.column("default").kind == "numeric"
    assert data.y_train.dtype == np.int64 and data.y_test.dtype == np.int64 and data.class_values == (0, 1)
    with pytest.raises(DatasetError, match=r"positive class '2' is not a class of 'default'; use one of 0, 1"):
        from_frame(frame, "default", positive=2)


def test_a_positive_class_the_training_rows_lack_is_refused_at_its_line(tmp_path):
    manifest = _dataset(tmp_path, _frame(), target="default, positive: 2")
    with pytest.raises(DatasetError, match=r"credit\.yaml:\d+:\d+: positive class '2' is not a class of 'default'"):
        load(manifest, data_dir=tmp_path / "data")


def test_a_row_without_a_label_is_refused_with_its_line(tmp_path):
    frame = _frame().astype({"default": "Int64"})
    frame.loc[7, "default"] = pd.NA
    with pytest.raises(DatasetError, match=r"line 9, column 'default': the target is missing \(1 such row"):
        load(_dataset(tmp_path, frame), data_dir=tmp_path / "data")
    text = _frame().astype({"default": str})
    text.loc[3, "default"] = None
    with pytest.raises(DatasetError, match=r"row 3 \(counting from 0\), column 'default': the target is missing"):
        from_frame(text, "default")


@pytest.mark.slow
def test_a_search_on_an_integer_target_saves_and_predicts_integer_classes(tmp_path):
    from snas import SNASClassifier
    from snas.cli import main
    from snas.search import search

    manifest = _dataset(tmp_path, _frame(400))
    (tmp_path / "rules.yaml").write_text(
        "snas_rules: 1\ndataset: credit\ntarget: {column: default, positive: 1}\nrules:\n"
        "  - {id: high, if: debt_to_income >= 1.1, then: 1, strength: hard}\n"
        "constraints: {exclude_features: [account_id]}\n",
        encoding="utf-8",
    )
    (tmp_path / "search.yaml").write_text(
        f"snas_search: 1\nname: credit\ndataset: {manifest}\nrules: rules.yaml\nseed: 0\nbudget: {{trials: 2}}\n"
        "workers: 1\nspace: {families: [mlp], max_depth: 1, widths: [4, 8]}\nsupernet: {epochs: 1, paths: 2}\n"
        "evolution: {population_size: 2, generations: 1}\ngradient: {steps: 1}\n"
        "standalone: {candidates: 2, eta: 2, low_epochs: 1, recipes: 1, epochs: 2, ensemble_top: 1}\n",
        encoding="utf-8",
    )
    out = search(tmp_path / "search.yaml", tmp_path / "run", data_dir=str(tmp_path / "data"), progress=False)
    clf = SNASClassifier.load(out.model_dir)
    assert clf.classes_.dtype == np.int64 and clf.classes_.tolist() == [0, 1]
    rows = _frame(5, seed=1).drop(columns=["default"])
    assert clf.predict(rows.rename(columns=normalise_name)).dtype == np.int64
    rows.to_csv(tmp_path / "rows.csv", index=False)
    assert main(["predict", str(out.directory), str(tmp_path / "rows.csv"), "--out", str(tmp_path / "p.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "p.csv")
    assert predicted["prediction"].dtype == np.int64 and {"p(0)", "p(1)"} <= set(predicted.columns)
