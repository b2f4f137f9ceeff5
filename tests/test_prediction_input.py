"""The input side of ``snas predict`` without a model: reading the CSV and writing the log lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from snas._prediction_input import decision_log_lines, read_prediction_csv, training_ranges
from snas.datasets import load_manifest
from snas.exceptions import DatasetError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = load_manifest(ROOT / "datasets" / "census_income.yaml").schema
HEADER = ",".join(c.original for c in SCHEMA.features)
ROW = "25,Private,226802,11th,7,Never-married,Machine-op-inspct,Own-child,Black,Male,0,0,40,United-States"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "in.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_reads_original_column_names_and_missing_markers(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER}\n{ROW}\n" + ROW.replace("Private", "?").replace(",40,", ",,") + "\n")
    frame, raw = read_prediction_csv(path, SCHEMA, SCHEMA.feature_names)
    assert list(frame.columns) == list(SCHEMA.feature_names) and len(frame) == 2
    assert frame["age"].tolist() == [25, 25] and pd.isna(frame["hours_per_week"].iloc[1])
    assert pd.isna(frame["workclass"].iloc[1]) and frame["workclass"].iloc[0] == "Private"
    assert raw.loc[0, "education-num"] == "7"  # the rows as read, for the output file: the user's header
    assert list(raw.columns) == HEADER.split(",") and raw.loc[1, "workclass"] == "?"


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path: Path) -> None:
    multiline = ROW.replace("Never-married", '"Never-\nmarried"')
    bad = ROW.replace(",0,40,", ",0,-inf,")
    path = _write(tmp_path, f"\n{HEADER}\n\n{multiline}\n\n{bad}\n")
    with pytest.raises(DatasetError, match=r"in\.csv: line 7, column 'hours_per_week': '-inf' is not a finite number"):
        read_prediction_csv(path, SCHEMA)


def test_far_outside_values_warn_once_per_column(tmp_path: Path) -> None:
    rows = [ROW.replace(",0,40,", f",0,{v},") for v in ("1e300", "5e299", "40")]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    messages: list[str] = []
    frame, _ = read_prediction_csv(path, SCHEMA, training_ranges={"hours_per_week": (1.0, 99.0)}, warn=messages.append)
    assert frame["hours_per_week"].iloc[0] == 1e300
    assert len(messages) == 1 and "'hours_per_week': 2 value(s) lie far outside the training range" in messages[0]
    messages.clear()
    read_prediction_csv(path, SCHEMA, training_ranges={"hours_per_week": (0.0, 1e301)}, warn=messages.append)
    assert messages == []


def test_fractions_in_a_whole_number_column_warn_once_with_the_line(tmp_path: Path) -> None:
    assert SCHEMA.column("age").integer
    rows = [ROW.replace("25,", f"{v},", 1) for v in ("39.7", "40", "41.5", "")]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    messages: list[str] = []
    frame, _ = read_prediction_csv(path, SCHEMA, warn=messages.append)
    assert frame["age"].iloc[0] == 39.7  # read as given, not rounded
    assert len(messages) == 1 and "line 2, column 'age': '39.7' is not a whole number" in messages[0]
    assert "(2 row(s))" in messages[0]


def test_fractions_read_by_a_hard_rule_are_refused_with_the_line(tmp_path: Path) -> None:
    rows = [ROW, ROW.replace("25,", "20.5,", 1)]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    reads = {c.name: ["the network"] for c in SCHEMA.features}
    reads["age"] = ["the network", "hard rule 'minor-age'"]
    with pytest.raises(DatasetError, match=r"line 3, column 'age': '20.5' is not a whole number.*'minor-age'"):
        read_prediction_csv(path, SCHEMA, reads=reads)


def test_a_level_spelled_otherwise_is_read_as_that_level_with_a_warning(tmp_path: Path) -> None:
    rows = [ROW, ROW.replace("Never-married", "never married "), ROW.replace("Never-married", "NEVER-MARRIED")]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    messages: list[str] = []
    frame, _ = read_prediction_csv(path, SCHEMA, warn=messages.append)
    assert frame["marital_status"].astype(str).tolist() == ["Never-married"] * 3
    assert (
        len(messages) == 1 and "line 3, column 'marital_status': 'never married ' is read as the level" in messages[0]
    )
    assert "(2 value(s) spell a level otherwise)" in messages[0]


READS = {c.name: ["the network"] for c in SCHEMA.features if c.name not in ("sex", "race")}
READS["age"] = ["the network", "hard rule 'minor-age'"]


def test_columns_the_model_does_not_read_may_be_left_out_and_are_never_checked(tmp_path: Path) -> None:
    """Without them, or with anything in them: the frame holds them all missing, nothing is warned."""
    keep = [i for i, c in enumerate(SCHEMA.features) if c.name not in ("sex", "race")]
    header, row = HEADER.split(","), ROW.split(",")
    lean = _write(tmp_path, ",".join(header[i] for i in keep) + "\n" + ",".join(row[i] for i in keep) + "\n")
    messages: list[str] = []
    frame, raw = read_prediction_csv(lean, SCHEMA, SCHEMA.feature_names, reads=READS, warn=messages.append)
    assert list(frame.columns) == list(SCHEMA.feature_names) and "sex" not in raw.columns
    assert frame["sex"].isna().all() and frame["race"].isna().all() and frame["age"].tolist() == [25]
    odd = _write(tmp_path, f"{HEADER}\n" + ROW.replace("Black,Male", "Martian,1e400") + "\n")
    frame, raw = read_prediction_csv(odd, SCHEMA, reads=READS, warn=messages.append)
    assert messages == [] and frame["sex"].isna().all() and raw.loc[0, "sex"] == "1e400"


def test_a_missing_column_the_model_reads_is_named_with_who_reads_it(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER.replace("age,", "years,") + f"\n{ROW}\n")
    with pytest.raises(
        DatasetError, match=r"missing column\(s\) \['age'\]; the model needs \['age', 'workclass'"
    ) as info:
        read_prediction_csv(path, SCHEMA, reads=READS)
    assert "'age' is read by the network and hard rule 'minor-age'" in str(info.value)
    assert str(info.value).endswith("the columns it does not read may be left out: ['race', 'sex']")


def test_training_ranges_come_from_the_encoder_state() -> None:
    state = {"features": ["age", "sex"], "mean": [40.0], "std": [10.0], "edges": [[-2.0, 0.0, 3.0]]}
    model = SimpleNamespace(encoder_=SimpleNamespace(state=lambda: state), schema_=SCHEMA)
    assert training_ranges(model) == {"age": (20.0, 70.0)}
    assert training_ranges(object()) == {}


def test_decision_log_is_strict_json() -> None:
    frame = pd.DataFrame({"age": [20.0, np.nan, 1e300]})
    proba = np.array([[1.0, 0.0], [np.nan, np.nan], [np.inf, 0.25]])
    rules = pd.Series(["minor-age", None, np.nan], dtype=object)

    def refuse(constant: str) -> None:
        raise ValueError(constant)

    lines = decision_log_lines(
        frame, ["<=50K"] * 3, proba, ["<=50K", ">50K"], rules, model_sha256="0" * 64, source="x.csv",
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )  # fmt: skip
    records = [json.loads(line, parse_constant=refuse) for line in lines]
    assert [r["deciding_rule"] for r in records] == ["minor-age", None, None]
    assert records[1]["probabilities"] == {"<=50K": None, ">50K": None}
    assert records[2]["probabilities"] == {"<=50K": None, ">50K": 0.25}
    assert records[0]["time"] == "2026-11-30T00:00:00+00:00" and records[2]["row"] == 2


def test_packed_files_are_named_as_such(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "in.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{ROW}\n".encode()))
    with pytest.raises(DatasetError, match=r"in\.csv\.gz: compressed with gzip, not CSV text; decompress it"):
        read_prediction_csv(path, SCHEMA)


def test_a_header_separated_by_semicolons_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, f"{HEADER.replace(',', ';')}\n{ROW.replace(',', ';')}\n")
    with pytest.raises(DatasetError, match=r"The header holds semicolons: snas reads comma-separated files"):
        read_prediction_csv(path, SCHEMA)


def test_old_mac_line_endings_read_like_any_other(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(f"{HEADER}\r{ROW}\r{ROW}\r".encode())
    frame, _ = read_prediction_csv(path, SCHEMA)
    assert len(frame) == 2 and frame["age"].tolist() == [25, 25]


def test_a_read_column_missing_in_every_row_is_warned_about(tmp_path: Path) -> None:
    rows = [ROW.replace("25,Private", ",Private"), ROW.replace("25,Private", "?,Private")]
    path = _write(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n")
    reads = {**READS, "age": ["the network", "hard rule 'minor-age'"]}
    messages: list[str] = []
    read_prediction_csv(path, SCHEMA, reads=reads, warn=messages.append)
    assert len(messages) == 1
    assert "column 'age' is missing (empty or '?') in every one of the 2 row(s)" in messages[0]
    assert "hard rule 'minor-age'" in messages[0]
    messages.clear()
    read_prediction_csv(_write(tmp_path, f"{HEADER}\n{ROW}\n{rows[0]}\n"), SCHEMA, reads=reads, warn=messages.append)
    assert messages == []  # one row with an age: nothing to say


def test_one_case_with_a_blank_cell_is_not_an_empty_column(tmp_path: Path) -> None:
    messages: list[str] = []
    read_prediction_csv(
        _write(tmp_path, f"{HEADER}\n{ROW.replace('25,Private', ',Private')}\n"), SCHEMA, warn=messages.append
    )
    assert messages == []
