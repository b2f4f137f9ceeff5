"""What ``snas predict`` reads and writes besides the model: the input CSV and the decision log.

The CSV is checked before any prediction: UTF-8 text, a header row whose names stay distinct
after normalisation (``Age`` and ``age`` are the same column), at least one data row, every
column the model reads, and finite numbers in numeric columns (``inf``, ``nan`` or ``1e400``
are refused with line and column, as the model's encoder refuses ``inf`` in any frame). Finite
values far outside the training range are accepted with one warning per column; the model
encodes them at the edge of its range. Columns the model does not read (excluded features,
inputs the network drops) may be left out; when given they are neither checked nor passed on
(the model sees them as missing). Each decision-log line is strict JSON (no ``NaN``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._yaml import shown
from snas.datasets import normalise_name
from snas.exceptions import DatasetError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from snas.datasets import Column, Schema

__all__ = [
    "FAR_OUTSIDE",
    "blank_column",
    "decision_log_lines",
    "read_by",
    "read_prediction_csv",
    "training_ranges",
]

#: A value further than FAR_OUTSIDE training-range widths beyond the training minimum or
#: maximum gets a warning; without a known range, a value beyond ±1e15.
FAR_OUTSIDE = 10.0
_NO_RANGE_LIMIT = 1e15
_NA_MARKERS = ["?", ""]  # cells read as missing values

Warn = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def read_prediction_csv(
    path: str | Path,
    schema: Schema,
    feature_names: Sequence[str] | None = None,
    *,
    training_ranges: Mapping[str, tuple[float, float]] | None = None,
    reads: Mapping[str, Sequence[str]] | None = None,
    warn: Warn = _stderr,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(typed feature frame for the model, the rows as read) of a prediction CSV.

    Parameters
    ----------
    path : path
        CSV with a header row; the model's feature columns in any order, extra columns kept.
    schema : Schema
        The fitted model's schema: column kinds and levels.
    feature_names : sequence of str, optional
        Column names of the returned frame (the model's ``feature_names_in_``).
    training_ranges : mapping, optional
        ``{column: (min, max)}`` seen in training, for the far-outside warning.
    reads : mapping, optional
        The columns the model reads, each with what reads it (``FittedModel.features_read()``);
        default every feature column. The others may be absent and are all missing in the frame.

    Raises
    ------
    DatasetError
        Naming the file, and line and column where there is one.
    """
    import pandas as pd

    header, rows, lines = _records(_read_text(path), path)
    cells = pd.DataFrame(rows, columns=header, dtype=object)  # as read: what the output file repeats
    raw = cells.set_axis([normalise_name(c) for c in header], axis=1)
    raw = raw.mask(raw.isin(_NA_MARKERS))  # '?' and empty cells are missing values
    if reads is None:
        reads = {c.name: ["the model"] for c in schema.features}
    needed = [c.name for c in schema.features if c.name in reads]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        unread = [c.name for c in schema.features if c.name not in reads]
        optional = f"; the columns it does not read may be left out: {unread}" if unread else ""
        raise DatasetError(
            f"{path}: missing column(s) {missing}; the model needs {needed} (any order): "
            f"{read_by(missing, reads)}{optional}{_separator_hint(header)}"
        )
    out = {}
    for col in schema.features:
        if col.name not in reads:  # never read: not checked, not passed on
            out[col.name] = blank_column(col, len(raw))
        elif col.kind == "numeric":
            out[col.name] = _numeric(raw[col.name], col, lines, path, warn, _hard_readers(reads.get(col.name, ())))
        else:
            out[col.name] = _categorical(raw[col.name], col, lines, path, warn)
    frame = pd.DataFrame(out)
    if len(frame) > 1:  # one case with a blank cell is a missing value, not an empty column
        _warn_all_missing(frame, [c for c in needed if raw[c].notna().sum() == 0], reads, path, warn)
    if feature_names is not None:
        frame = frame.set_axis(list(feature_names), axis=1)
    _warn_far_outside(frame, schema, training_ranges or {}, path, warn)
    return frame, cells


def _separator_hint(header: list[str]) -> str:
    """A hint when the header looks separated by something other than commas."""
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
        if len(header) <= 2 and any(sep in h for h in header):
            return (
                f". The header holds {name}: snas reads comma-separated files; save the file as CSV with commas "
                "(in a spreadsheet program: CSV UTF-8, comma-delimited)"
            )
    return ""


def _warn_all_missing(
    frame: pd.DataFrame, empty: list[str], reads: Mapping[str, Sequence[str]], path: str | Path, warn: Warn
) -> None:
    """Warn about each column the model reads that is missing in every row: the hard rules
    reading it then decide no row, and the network sees only missing values."""
    for name in empty:
        warn(
            f"{path}: column {name!r} is missing (empty or '?') in every one of the {len(frame):,} row(s); "
            f"{read_by([name], reads)}: a hard rule reading it decides no row and the network reads it as missing. "
            "Fill the column if the values exist"
        )


def blank_column(col: Column, n: int) -> Any:
    """``n`` missing values of ``col``'s kind: what a model gets for a column it does not read."""
    import numpy as np
    import pandas as pd

    if col.kind == "numeric":
        return np.full(n, np.nan)
    dtype = pd.CategoricalDtype(list(col.levels), ordered=col.kind == "ordinal")
    return pd.Categorical.from_codes(np.full(n, -1), dtype=dtype)


def read_by(columns: Sequence[str], reads: Mapping[str, Sequence[str]]) -> str:
    """``"'age' is read by the network and hard rule 'minor-age'"``, for each of ``columns``."""

    def joined(items: Sequence[str]) -> str:
        items = list(items) or ["the model"]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    return "; ".join(f"{c!r} is read by {joined(reads.get(c, ()))}" for c in columns)


#: Files that are packed rather than text: (leading bytes, what the file is, how to unpack it).
_PACKED = (
    (b"\x1f\x8b", "compressed with gzip", "decompress it (gunzip FILE)"),
    (b"PK\x03\x04", "a ZIP archive (or an Excel workbook)", "extract the CSV (or save the sheet as CSV UTF-8)"),
    (b"BZh", "compressed with bzip2", "decompress it (bunzip2 FILE)"),
    (b"\xfd7zXZ\x00", "compressed with xz", "decompress it (unxz FILE)"),
)


def _read_text(path: str | Path) -> str:
    """The file's text; refuses directories, devices and bytes that are not UTF-8."""
    p = Path(path)
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise DatasetError(f"{p}: is a directory; give the path of a CSV file")
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise DatasetError(f"{p}: not a regular file; give the path of a CSV file")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"{p}: file not found; check the path") from None
    except OSError as exc:
        raise DatasetError(f"{p}: cannot read the file ({exc.strerror})") from None
    for magic, what, fix in _PACKED:
        if raw.startswith(magic):
            raise DatasetError(f"{p}: {what}, not CSV text; {fix}, then give the CSV file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - raw.rfind(b"\n", 0, exc.start)
        raise DatasetError(
            f"{p}:{line}:{col}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save it as UTF-8 (for example 'CSV UTF-8' in a spreadsheet program)"
        ) from None


def _records(text: str, path: str | Path) -> tuple[list[str], list[list[str]], list[int]]:
    """(header, data rows, the line each row starts on); blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)  # \n, \r\n or \r ends a line
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            if any(field.strip() for field in record):
                if header is None:
                    header = _check_header(record, start, path)
                elif len(record) != len(header):
                    raise DatasetError(
                        f"{path}: line {start}: {len(record)} field(s) but the header has {len(header)}; "
                        "check the commas and quotes on this line (a text with commas goes in double quotes)"
                    )
                else:
                    rows.append(record)
                    lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DatasetError(
            f"{path}: line {reader.line_num}: cannot read as CSV ({exc}); shorten or correct the field"
        ) from None
    if header is None:
        raise DatasetError(
            f"{path}: the file is empty; write a header row with the model's columns, then one row per case"
        )
    if not rows:
        raise DatasetError(f"{path}: no data rows after the header; add one row per case to predict")
    return header, rows, lines


def _check_header(header: list[str], line: int, path: str | Path) -> list[str]:
    """The header row, once its names are known distinct after normalisation."""
    first: dict[str, int] = {}
    for j, name in enumerate(header, start=1):
        try:
            norm = normalise_name(name)
        except DatasetError:
            raise DatasetError(
                f"{path}: line {line}, column {j}: the header name {shown(name)} has no letters or digits; "
                "name the column"
            ) from None
        if norm in first:
            raise DatasetError(
                f"{path}: line {line}, column {j}: {shown(name)} is the same column as column {first[norm]} "
                f"({shown(header[first[norm] - 1])}) once names are normalised to {norm!r}; keep one of them"
            )
        first[norm] = j
    return header


def _hard_readers(readers: Sequence[str]) -> list[str]:
    """The hard rules among what reads a column (``features_read``: "hard rule 'id'")."""
    return [r for r in readers if r.startswith("hard rule ")]


def _numeric(
    s: pd.Series, col: Column, lines: list[int], path: str | Path, warn: Warn, hard: Sequence[str] = ()
) -> pd.Series:
    import numpy as np
    import pandas as pd

    num = pd.to_numeric(s, errors="coerce")
    bad = (num.isna() & s.notna()) | np.isinf(num.to_numpy())
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DatasetError(
            f"{path}: line {lines[i]}, column {col.name!r}: {shown(s.iloc[i])} is not a finite number; "
            "write a number such as 40, or leave the cell empty (or '?') when the value is missing"
        )
    if col.integer:
        fractional = (num.notna() & (num % 1 != 0)).to_numpy()  # missing cells are not fractions
        if fractional.any():
            i = int(fractional.nonzero()[0][0])
            if hard:  # the rules' conflict check assumed whole numbers here: refused, not warned
                raise DatasetError(
                    f"{path}: line {lines[i]}, column {col.name!r}: {shown(s.iloc[i])} is not a whole number "
                    f"({int(fractional.sum())} row(s)), and {', '.join(hard)} read(s) this whole-number column — "
                    "the hard rules were checked free of conflicts on whole numbers only; round the values"
                )
            warn(
                f"{path}: line {lines[i]}, column {col.name!r}: {shown(s.iloc[i])} is not a whole number though "
                f"the column holds whole numbers ({int(fractional.sum())} row(s)); the model reads the values as "
                "given — check the column or its units"
            )
    return num


def _categorical(s: pd.Series, col: Column, lines: list[int], path: str | Path, warn: Warn) -> Any:
    import pandas as pd

    from snas._util import level_codes, respelled_levels

    codes = level_codes(s, list(col.levels))
    respelled = respelled_levels(s, list(col.levels))
    if respelled:
        i = int(s.astype(str).isin(list(respelled)).to_numpy().nonzero()[0][0])
        warn(
            f"{path}: line {lines[i]}, column {col.name!r}: {shown(s.iloc[i])} is read as the level "
            f"{respelled[str(s.iloc[i])]!r} ({len(respelled)} value(s) spell a level otherwise)"
        )
    unknown = (codes < 0) & s.notna().to_numpy()
    if unknown.any():
        i = int(unknown.nonzero()[0][0])
        warn(
            f"{path}: line {lines[i]}, column {col.name!r}: unknown level {shown(s.iloc[i])} "
            f"is treated as missing ({int(unknown.sum())} row(s))"
        )
    dtype = pd.CategoricalDtype(list(col.levels), ordered=col.kind == "ordinal")
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _warn_far_outside(
    frame: pd.DataFrame,
    schema: Schema,
    ranges: Mapping[str, tuple[float, float]],
    path: str | Path,
    warn: Warn,
) -> None:
    """One warning per numeric column holding values far outside what the model was trained on."""
    import numpy as np

    for j, col in enumerate(schema.features):
        if col.kind != "numeric":
            continue
        values = frame.iloc[:, j].to_numpy(dtype="float64")
        if col.name in ranges:
            lo, hi = ranges[col.name]
            width = max(hi - lo, abs(lo), abs(hi), 1.0)
            lo, hi = lo - FAR_OUTSIDE * width, hi + FAR_OUTSIDE * width
            seen = f"trained on {ranges[col.name][0]:g} to {ranges[col.name][1]:g}"
        else:
            lo, hi, seen = -_NO_RANGE_LIMIT, _NO_RANGE_LIMIT, "no training range known"
        far = (values < lo) | (values > hi)
        if np.any(far):
            i = int(far.nonzero()[0][0])
            warn(
                f"{path}: column {col.name!r}: {int(far.sum())} value(s) lie far outside the training range "
                f"({seen}; first {values[i]:g} in data row {i + 1}); the model extrapolates — check the units"
            )


def training_ranges(model: Any) -> dict[str, tuple[float, float]]:
    """``{column: (min, max)}`` of the numeric training values, from a fitted model's encoder state.

    Empty when the model does not expose them (the far-outside warning then uses ±1e15).
    """
    try:
        state = model.encoder_.state()
        numeric = [f for f in state["features"] if model.schema_.column(f).kind == "numeric"]
        out = {}
        for name, mean, std, edges in zip(numeric, state["mean"], state["std"], state["edges"], strict=True):
            out[name] = (float(mean + std * edges[0]), float(mean + std * edges[-1]))
        return out
    except (AttributeError, KeyError, IndexError, TypeError, ValueError):
        return {}


def decision_log_lines(
    frame: pd.DataFrame,
    predictions: Sequence[Any] | np.ndarray,
    probabilities: np.ndarray,
    classes: Sequence[Any] | np.ndarray,
    deciding_rules: Sequence[Any] | pd.Series,
    *,
    model_sha256: str,
    source: str,
    model_content_sha256: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """One strict-JSON line per decision (Art. 12): ``deciding_rule`` is null where no hard rule
    decided, probabilities that are not finite are null; ``json.loads`` never meets ``NaN``.
    ``input_sha256`` hashes the row of ``frame`` (``snas predict`` gives the columns the model
    reads, so a decision's hash does not depend on the columns it never reads)."""
    when = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    rules = list(deciding_rules)
    lines = []
    for i, row in enumerate(frame.to_dict("records")):  # one conversion, not a Series per row
        digest = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode()).hexdigest()
        record = {
            "time": when,
            "model_sha256": model_sha256,
            "model_content_sha256": model_content_sha256,
            "input_sha256": digest,
            "output": str(predictions[i]),
            "probabilities": {str(c): _finite(probabilities[i, j]) for j, c in enumerate(classes)},
            "deciding_rule": _rule_id(rules[i]),
            "source": source,
            "row": i,
        }
        lines.append(json.dumps(record, sort_keys=True, allow_nan=False))
    return lines


def _finite(x: Any) -> float | None:
    v = float(x)
    return round(v, 6) if math.isfinite(v) else None


def _rule_id(value: Any) -> str | None:
    """The rule id, or None for None, NaN, pandas NA and ''."""
    import pandas as pd

    if isinstance(value, str):
        return value or None
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # not a scalar
        pass
    return str(value)
