"""Cell values a data file or a frame may hold: finite numbers within the float32 range,
whole numbers in integer columns, the header's number of fields, at least one row."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from snas.datasets import MAX_NUMBER, from_frame, load
from snas.exceptions import DatasetError

ROWS = "".join(f"{20 + i},{i}.5,{'red' if i % 2 else 'blue'},{'yes' if i % 2 else 'no'}\n" for i in range(20))


def _dataset(tmp_path: Path, first_row: str, *, split: str = "test_fraction: 0.3", rows: str = ROWS) -> Path:
    """A manifest over a CSV whose first data row (line 2) is ``first_row``."""
    csv = tmp_path / "d.csv"
    csv.write_text("age,score,color,y\n" + first_row + rows)
    sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    man = tmp_path / "m.yaml"
    man.write_text(
        "snas_dataset: 1\nname: toy\n"
        f"files:\n  train: {{path: d.csv, sha256: {sha}}}\n"
        "format: {header: true, separator: ',', missing: ['?']}\n"
        "columns:\n  - {name: age, type: numeric, integer: true}\n  - {name: score, type: numeric}\n"
        "  - {name: color, type: categorical, levels: [red, blue]}\n"
        "  - {name: y, type: categorical, levels: ['no', 'yes']}\n"
        f"target: {{column: y, positive: 'yes'}}\nsplit: {{train: train, {split}}}\n"
    )
    return man


@pytest.mark.parametrize(
    ("row", "column", "expected"),
    [
        ("inf,1,red,no\n", "age", r"'inf' is not a finite number.*remove the value.*format.missing"),
        ("1.5,1,red,no\n", "age", r"'1.5' is not a whole number.*declare the column as numeric float"),
        ("1e30,1,red,no\n", "age", r"'1e30' is too large for an integer column.*declare the column as numeric float"),
        ("30,inf,red,no\n", "score", r"'inf' is not a finite number"),
        ("30,-Infinity,red,no\n", "score", r"'-Infinity' is not a finite number"),
        ("30,1e400,red,no\n", "score", r"'1e400' is not a finite number"),
        ("30,1e39,red,no\n", "score", r"'1e39' is not a finite number within ±3.403e\+38"),
        ("30,nan,red,no\n", "score", r"'nan' is not a number.*format.missing"),
    ],
    ids=["int-inf", "int-fraction", "int-huge", "inf", "minus-infinity", "1e400", "beyond-float32", "nan-text"],
)
def test_bad_numbers_name_file_line_column_and_fix(tmp_path, row, column, expected):
    with pytest.raises(DatasetError, match=rf"d\.csv: line 2, column '{column}': {expected}"):
        load(_dataset(tmp_path, row), data_dir=tmp_path, download=False)


def test_the_largest_float32_numbers_and_declared_missing_markers_load(tmp_path):
    data = load(_dataset(tmp_path, f"?,{-MAX_NUMBER!r},red,no\n"), data_dir=tmp_path, download=False)
    both = pd.concat([data.train, data.test])
    assert both["score"].min() == -MAX_NUMBER
    assert both["age"].isna().sum() == 1 and str(both["age"].dtype) == "Int64"
    assert both["age"].dropna().astype(int).between(20, 39).all()


def test_an_inf_missing_marker_is_a_missing_value(tmp_path):
    man = _dataset(tmp_path, "30,inf,red,no\n")
    man.write_text(man.read_text().replace("missing: ['?']", "missing: ['?', inf]"))
    data = load(man, data_dir=tmp_path, download=False)
    assert pd.concat([data.train, data.test])["score"].isna().sum() == 1


@pytest.mark.parametrize(
    ("row", "line"),
    [("30,1,red,no,extra\n", 2), ("", 4)],
    ids=["first-row", "later-row"],
)
def test_a_row_with_more_fields_than_the_header_is_named(tmp_path, row, line):
    rows = ROWS if row else ROWS.replace("22,2.5,blue,no\n", "22,2.5,blue,no,\n")
    with pytest.raises(
        DatasetError, match=rf"d\.csv: line {line}: 5 fields but the header has 4; check the separators"
    ):
        load(_dataset(tmp_path, row, rows=rows), data_dir=tmp_path, download=False)


def test_a_header_only_file_is_refused_before_the_split(tmp_path):
    with pytest.raises(DatasetError, match=r"d\.csv: no data rows after the header"):
        load(_dataset(tmp_path, "", rows=""), data_dir=tmp_path, download=False)


def test_a_split_the_rows_cannot_make_names_the_file_and_the_fix(tmp_path):
    man = _dataset(tmp_path, "", split="test_fraction: 0.99")
    with pytest.raises(
        DatasetError, match=r"d\.csv: cannot hold out split.test_fraction 0.99 of its 20 row\(s\).*m\.yaml"
    ):
        load(man, data_dir=tmp_path, download=False)


@pytest.mark.parametrize("value", [np.inf, -np.inf, 1e300])
def test_from_frame_refuses_non_finite_numbers_naming_the_row(value):
    frame = pd.DataFrame({"a": [1.0, 2.0, value], "y": ["p", "n", "p"]}, index=[7, 8, 9])
    with pytest.raises(
        DatasetError, match=r"<frame>: row 2 \(counting from 0; index 9\), column 'a': .* is not a finite number"
    ):
        from_frame(frame, "y")


def test_from_frame_keeps_nan_as_missing_and_exact_integers():
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0], "n": np.array([1, 2, 2**63 - 1], dtype="uint64"), "y": ["p", "n", "p"]}
    )
    data = from_frame(frame, "y")
    assert data.train["a"].isna().tolist() == [False, True, False]
    assert data.train["n"].tolist() == [1, 2, 2**63 - 1]
    with pytest.raises(DatasetError, match=r"row 2 \(counting from 0\), column 'n': 9223372036854775808 is too large"):
        from_frame(frame.assign(n=np.array([1, 2, 2**63], dtype="uint64")), "y")
