from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snas.datasets import cache_dir, from_frame, load, load_manifest, normalise_name, recorded_locations
from snas.exceptions import DatasetError

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "datasets" / "census_income.yaml"


def test_census_typed_frames_and_provenance(census):
    assert census.train.shape == (32561, 15)
    assert census.test.shape == (16281, 15)
    assert str(census.train["age"].dtype) == "Int64"
    assert isinstance(census.train["workclass"].dtype, pd.CategoricalDtype)
    assert census.train["education"].cat.ordered  # declared ordinal
    assert census.train["workclass"].isna().sum() == 1836  # '?' became NA
    # labels in adult.test lose their trailing '.'
    assert set(census.y_test.unique()) == {"<=50K", ">50K"}
    assert (census.y_train == ">50K").sum() == 7841 and (census.y_test == ">50K").sum() == 3846
    assert "income" not in census.X_train.columns and census.X_train.shape[1] == 14
    prov = census.provenance()
    shas = {f["role"]: f["sha256"] for f in prov["files"]}
    assert shas["train"] == "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d"
    assert len(prov["schema_sha256"]) == 64


def test_names_normalised_and_originals_kept():
    m = load_manifest(MANIFEST)
    col = m.schema.column("education_num")
    assert col.original == "education-num"
    assert m.schema.column("education-num") is col
    assert normalise_name("Hours per Week") == "hours_per_week"


def test_accented_names_keep_their_letters_and_clashes_are_refused():
    import pandas as pd

    from snas.datasets import from_frame

    assert normalise_name("Größe (cm)") == "groesse_cm"  # was 'gr_e_cm'
    assert [normalise_name(n) for n in ("Straße", "Café crème", "2nd €")] == ["strasse", "cafe_creme", "c_2nd"]
    with pytest.raises(DatasetError, match=r"no Latin letters or digits.*rename the column"):
        normalise_name("年龄")
    frame = pd.DataFrame({"Einkommen (€)": [1.0, 2.0], "Einkommen ($)": [1.0, 2.0], "y": ["a", "b"]})
    with pytest.raises(DatasetError, match="both normalise to 'einkommen'"):
        from_frame(frame, target="y")


def _copy_data(tmp_path: Path, data_dir: Path) -> Path:
    dst = tmp_path / "data" / "census-income"
    dst.mkdir(parents=True)
    for f in ("adult.data", "adult.test", "adult.names"):
        shutil.copy(data_dir / "census-income" / f, dst / f)
    return tmp_path / "data"


def test_checksum_mismatch_is_refused_with_file_and_fix(tmp_path, data_dir):
    d = _copy_data(tmp_path, data_dir)
    target = d / "census-income" / "adult.data"
    raw = bytearray(target.read_bytes())
    raw[100] = ord("9") if raw[100] != ord("9") else ord("8")
    target.write_bytes(bytes(raw))
    with pytest.raises(DatasetError) as err:
        load(MANIFEST, data_dir=d, download=False)
    msg = str(err.value)
    assert "adult.data" in msg and "sha256 mismatch" in msg and "replace it" in msg


def test_missing_file_names_file_and_fix(tmp_path, monkeypatch):
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(DatasetError) as err:
        load(MANIFEST, data_dir=tmp_path / "nowhere", download=False)
    msg = str(err.value)
    assert "census-income/adult.data" in msg and "--data-dir" in msg and "SNAS_DATA_DIR" in msg


def test_env_var_then_cache(tmp_path, data_dir, monkeypatch):
    monkeypatch.setenv("SNAS_DATA_DIR", str(data_dir))
    assert load(MANIFEST, download=False).files[0].source == "SNAS_DATA_DIR"
    monkeypatch.delenv("SNAS_DATA_DIR")
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "cache"))
    _copy_data(tmp_path / "c", data_dir)
    shutil.copytree(tmp_path / "c" / "data", cache_dir() / "datasets")
    assert load(MANIFEST, download=False).files[0].source == "cache"


def test_recorded_location_first_still_verified_then_the_usual_order(tmp_path, data_dir, monkeypatch):
    d = _copy_data(tmp_path, data_dir)
    first = load(MANIFEST, data_dir=d, download=False)
    recorded = recorded_locations(first.provenance())
    assert recorded["census-income/adult.test"] == str((d / "census-income" / "adult.test").resolve())
    monkeypatch.delenv("SNAS_DATA_DIR", raising=False)
    monkeypatch.setenv("SNAS_CACHE_DIR", str(tmp_path / "empty-cache"))
    again = load(MANIFEST, download=False, recorded=recorded)  # no data_dir: found where it was
    assert {f.source for f in again.files} == {"recorded"}
    target = d / "census-income" / "adult.test"
    original = target.read_bytes()
    target.write_bytes(original.replace(b"Private", b"Privatf", 1))
    with pytest.raises(DatasetError) as err:  # the sha256 is still checked there
        load(MANIFEST, download=False, recorded=recorded)
    assert str(target) in str(err.value) and "sha256 mismatch" in str(err.value)
    target.write_bytes(original)
    shutil.move(d, tmp_path / "moved")  # gone from the recorded place: SNAS_DATA_DIR, cache ... as usual
    monkeypatch.setenv("SNAS_DATA_DIR", str(tmp_path / "moved"))
    assert {f.source for f in load(MANIFEST, download=False, recorded=recorded).files} == {"SNAS_DATA_DIR"}


def test_bad_value_names_line_and_column(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("1, a, yes\n2, b, no\nx, a, yes\n")
    import hashlib

    sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    man = tmp_path / "m.yaml"
    man.write_text(
        "snas_dataset: 1\nname: tiny\nfiles:\n  train: {path: d.csv, sha256: " + sha + "}\n"
        "format: {separator: ', '}\ncolumns:\n  - {name: n, type: numeric}\n  - {name: c, type: categorical}\n"
        "  - {name: y, type: categorical, levels: ['yes', 'no']}\ntarget: {column: y, positive: 'yes'}\n"
        "split: {train: train, test_fraction: 0.3}\n"
    )
    with pytest.raises(DatasetError, match=r"line 3, column 'n': 'x' is not a number"):
        load(man, data_dir=tmp_path)


def test_manifest_unknown_key_did_you_mean(tmp_path):
    man = tmp_path / "m.yaml"
    man.write_text("snas_dataset: 1\nname: x\nfiels: {}\ncolumns: []\ntarget: {column: y}\n")
    with pytest.raises(DatasetError, match=r"m.yaml:3:\d+: unknown key 'fiels'.*Did you mean 'files'"):
        load_manifest(man)


def test_from_frame_infers_schema():
    df = pd.DataFrame({"Age": [30, 40, 50, 60], "Job Title": ["a", "b", "a", None], "y": ["n", "p", "p", "n"]})
    ds = from_frame(df, target="y", positive="p")
    assert ds.schema.column("job_title").kind == "categorical"
    assert ds.schema.column("age").kind == "numeric" and ds.schema.column("age").integer
    assert list(ds.X_train.columns) == ["age", "job_title"]
    assert ds.X_train["job_title"].isna().sum() == 1
    assert np.array_equal(ds.y_train.to_numpy(), df["y"].to_numpy())
