"""A target snas cannot learn is refused when the data set loads, naming the manifest, the
column and the fix: one class only, a number with (nearly) a value per row, a class with a
single row where the split is stratified. A wrong sha256 may be the manifest's own mistake."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snas.cli import main
from snas.datasets import from_frame, load, load_manifest
from snas.exceptions import DatasetError


def _frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": np.round(rng.uniform(0, 100, n), 2),
            "grp": rng.choice(["a", "b", "c"], n),
            "amount": np.round(rng.uniform(0, 1, n), 4),
            "y": rng.choice(["no", "yes"], n),
        }
    )


def _dataset(
    tmp_path: Path,
    frame: pd.DataFrame,
    target: str = "{column: y}",
    split: str = "{train: train, test_fraction: 0.3, seed: 0}",
    y_levels: str = "",
) -> Path:
    frame.to_csv(tmp_path / "own.csv", index=False)
    sha = hashlib.sha256((tmp_path / "own.csv").read_bytes()).hexdigest()
    manifest = tmp_path / "own.yaml"
    manifest.write_text(
        "snas_dataset: 1\nname: own\n"
        f"files:\n  train: {{path: own.csv, sha256: {sha}}}\n"
        "format: {header: true, separator: ','}\n"
        "columns:\n"
        "  - {name: x, type: numeric}\n"
        "  - {name: grp, type: categorical}\n"
        "  - {name: amount, type: numeric}\n"
        f"  - {{name: y, type: categorical{y_levels}}}\n"
        f"target: {target}\nsplit: {split}\n",
        encoding="utf-8",
    )
    return manifest


def test_a_usable_target_still_loads(tmp_path):
    data = load(_dataset(tmp_path, _frame()), data_dir=tmp_path)
    assert data.schema.classes == ("no", "yes")


def test_one_class_is_refused_naming_the_manifest_the_column_and_the_fix(tmp_path):
    manifest = _dataset(tmp_path, _frame().assign(y="yes"))
    with pytest.raises(DatasetError) as err:
        load(manifest, data_dir=tmp_path)
    msg = str(err.value)
    assert msg.startswith(f"{manifest}:11:18: the target column 'y' holds one class only, 'yes', in the 120 rows of ")
    assert "at least two classes" in msg and "'target.column'" in msg and "\n" not in msg


def test_one_class_left_in_the_training_rows_is_refused(tmp_path):
    from sklearn.model_selection import train_test_split

    frame = _frame(40).assign(y="yes")
    frame.loc[0, "y"] = "no"  # the only 'no' row: held out by an unstratified split with this seed
    seed = next(s for s in range(50) if 0 in train_test_split(frame, test_size=0.5, random_state=s)[1].index)
    split = f"{{train: train, test_fraction: 0.5, seed: {seed}, stratify: false}}"
    with pytest.raises(DatasetError, match=r"holds one class only, 'yes', in the 20 training rows of .*test_fraction"):
        load(_dataset(tmp_path, frame, split=split), data_dir=tmp_path)


def test_a_manifest_declaring_one_class_is_refused(tmp_path):
    manifest = _dataset(tmp_path, _frame().assign(y="yes"), y_levels=", levels: ['yes']")
    with pytest.raises(DatasetError, match=r"own\.yaml:11:18: target column 'y' declares one level, 'yes'"):
        load_manifest(manifest)


def test_check_and_search_refuse_one_class_before_any_work(tmp_path, capsys):
    manifest = _dataset(tmp_path, _frame().assign(y="yes"))
    rules = tmp_path / "rules.yaml"
    rules.write_text("snas_rules: 1\ndataset: own\nrules:\n  - {id: r, if: x < 25, then: 'yes', strength: soft}\n")
    assert main(["check", str(rules), "--dataset", str(manifest), "--data-dir", str(tmp_path)]) == 2
    assert "holds one class only" in capsys.readouterr().err
    config = tmp_path / "search.yaml"
    config.write_text(f"snas_search: 1\nname: own\ndataset: {manifest}\nrules: {rules}\nbudget: {{time: 5s}}\n")
    out = tmp_path / "run"
    assert main(["search", str(config), "--out", str(out), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds one class only" in err and "Traceback" not in err
    assert not (out / "model").exists() and not (out / "history.json").exists()  # refused before any trial


def test_a_continuous_target_is_refused_with_its_count_of_distinct_values(tmp_path):
    manifest = _dataset(tmp_path, _frame(), target="{column: amount}", split="{train: train, stratify: false}")
    with pytest.raises(DatasetError) as err:
        load(manifest, data_dir=tmp_path)
    msg = str(err.value)
    assert f"{manifest}:11:18: the target column 'amount' has 120 distinct values in the 120 rows of " in msg
    assert "snas classifies" in msg and "regression" in msg and "'target.column'" in msg


def test_a_continuous_target_is_refused_before_a_stratified_split_fails(tmp_path):
    manifest = _dataset(tmp_path, _frame(), target="{column: amount}")
    with pytest.raises(DatasetError, match="has 120 distinct values") as err:
        load(manifest, data_dir=tmp_path)
    assert "split.stratify" not in str(err.value)


def test_more_than_max_classes_are_refused_even_with_rows_enough():
    frame = pd.DataFrame({"x": range(404), "y": [f"c{i % 101}" for i in range(404)]})
    with pytest.raises(DatasetError, match=r"<frame>: the target column 'y' has 101 distinct values .* more than 100"):
        from_frame(frame, "y")


def test_from_frame_refuses_one_class():
    with pytest.raises(DatasetError, match=r"holds one class only, 'yes', in the 3 rows of the frame.*Pass as target"):
        from_frame(pd.DataFrame({"x": [1, 2, 3], "y": ["yes"] * 3}), "y")


def test_a_single_row_class_in_a_stratified_split_is_named(tmp_path):
    frame = _frame()
    frame.loc[5, "y"] = "rare"
    with pytest.raises(DatasetError) as err:
        load(_dataset(tmp_path, frame), data_dir=tmp_path)
    msg = str(err.value)
    assert "class 'rare' of the target column 'y' has a single row" in msg
    assert "recode: {rare: OTHER}" in msg and "split.stratify: false" in msg and "least populated" not in msg


def test_a_wrong_sha256_may_be_the_manifests(tmp_path):
    manifest = _dataset(tmp_path, _frame())
    right = hashlib.sha256((tmp_path / "own.csv").read_bytes()).hexdigest()
    manifest.write_text(manifest.read_text().replace(right, "a" * 64))
    with pytest.raises(DatasetError) as err:
        load(manifest, data_dir=tmp_path)
    msg = str(err.value)
    assert "corrupted" in msg and "the manifest's sha256 is the wrong one" in msg
    assert f"sha256sum {tmp_path / 'own.csv'}" in msg and f"{manifest}:4:" in msg
