"""Find, verify and read dataset files into typed pandas frames.

Numeric cells must be finite numbers within ±:data:`~snas.datasets.MAX_NUMBER` (the float32
range the network computes in): ``inf``, ``-inf``, ``Infinity`` or ``1e400`` are refused with
file, line and column, never read as missing or clipped. A cell that marks a missing value is
listed in the manifest's ``format.missing`` (default ``['?']``); ``integer: true`` columns hold
whole numbers only. Every row has the header's number of fields.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snas._util import did_you_mean, level_codes, sha256_file
from snas.datasets._manifest import DataFile, Manifest, load_manifest, manifest_location
from snas.datasets._schema import MAX_NUMBER, Column, ColumnKind, Schema, normalise_name, row_name, shown_value
from snas.exceptions import DatasetError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "Dataset",
    "FileRecord",
    "cache_dir",
    "from_frame",
    "infer_columns",
    "load",
    "locate_file",
    "recorded_locations",
]


#: What a :class:`FileRecord` says about how the file was found this time, not what it holds.
LOOKUP_KEYS = ("source", "location")


@dataclass(frozen=True)
class FileRecord:
    """Provenance of one verified file; ``location`` is the absolute path it was read from
    (so a later audit of the run finds it again without being told where). ``source`` and
    ``location`` (:data:`LOOKUP_KEYS`) say how the file was found, not what it is: its identity
    is its sha256."""

    role: str
    path: str
    sha256: str
    bytes: int
    rows: int
    source: str  # recorded | data_dir | SNAS_DATA_DIR | cache | download | frame
    location: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Dataset:
    """A verified dataset: typed frames (features + target), schema and provenance.

    ``X_train`` / ``y_train`` / ``X_test`` / ``y_test`` split features from the target; the
    labels keep the target's type (integers for an ``integer: true`` target, else text), while
    ``schema.classes`` names the classes as text, as rule files do (``then: 1``).
    Build one with :func:`load` (``snas.load_dataset``) or :func:`from_frame`.

    Parameters
    ----------
    name : str
        The dataset's name (the manifest's ``name``, or ``from_frame``'s ``name``).
    schema : Schema
        Columns (normalised names, kinds, levels), the target and its classes, the sensitive columns.
    train : DataFrame
        Training rows, features and target, typed by the schema (categories as pandas categoricals).
    test : DataFrame or None
        Test rows in the same form; None when the dataset has no test split (then ``X_test``
        and ``y_test`` raise :class:`~snas.exceptions.DatasetError`).
    files : tuple of FileRecord
        Provenance of every verified file (path, sha256, size, rows, where it was found).
    manifest : Manifest or None
        The parsed manifest; None for a dataset built from a frame.

    Examples
    --------
    >>> from snas import load_dataset
    >>> data = load_dataset("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> data.X_train.shape, data.schema.classes  # doctest: +SKIP
    ((32561, 14), ('<=50K', '>50K'))
    >>> data.provenance()["files"][0]["sha256"]  # doctest: +SKIP
    """

    name: str
    schema: Schema
    train: pd.DataFrame
    test: pd.DataFrame | None
    files: tuple[FileRecord, ...] = ()
    manifest: Manifest | None = field(default=None, repr=False)

    @property
    def X_train(self) -> pd.DataFrame:
        """The training rows' feature columns."""
        return self.train.drop(columns=[self.schema.target])

    @property
    def y_train(self) -> pd.Series:
        """The training rows' class labels (text; whole numbers for an integer target)."""
        return self._labels(self.train)

    @property
    def X_test(self) -> pd.DataFrame:
        """The test rows' feature columns (reporting only; DatasetError without a test split)."""
        if self.test is None:
            raise DatasetError(f"dataset {self.name!r} has no test split")
        return self.test.drop(columns=[self.schema.target])

    @property
    def y_test(self) -> pd.Series:
        """The test rows' class labels (reporting only)."""
        if self.test is None:
            raise DatasetError(f"dataset {self.name!r} has no test split")
        return self._labels(self.test)

    @property
    def class_values(self) -> tuple[Any, ...]:
        """``schema.classes`` as ``y_train`` holds them (``(0, 1)`` for an integer target)."""
        return tuple(_label_value(c, self.schema.column(self.schema.target)) for c in self.schema.classes)

    def _labels(self, frame: pd.DataFrame) -> pd.Series:
        """The target column as labels: whole numbers for an integer target, numbers for another
        numeric one, text for categories."""
        s = frame[self.schema.target]
        col = self.schema.column(self.schema.target)
        if col.kind != "numeric" or s.isna().any():
            return s.astype(str)
        return s.astype("int64" if col.integer else "float64")

    def provenance(self, *, lookup: bool = True) -> dict[str, Any]:
        """Plain-dict provenance: files with sha256, schema hash, split.

        Parameters
        ----------
        lookup : bool, default=True
            Also say how each file was found this time (``source``: recorded, data_dir, … and
            its ``location``), as a run's manifest records it for the next look-up. False
            leaves them out: what a report's content holds, since the same data found
            elsewhere are the same data (their sha256).

        Returns
        -------
        dict
            dataset, manifest, schema_sha256, files, rows and split.
        """
        files = [f.to_dict() for f in self.files]
        if not lookup:
            files = [{k: v for k, v in f.items() if k not in LOOKUP_KEYS} for f in files]
        return {
            "dataset": self.name,
            "manifest": self.manifest.source if self.manifest else None,
            "schema_sha256": self.schema.sha256(),
            "files": files,
            "rows": {"train": len(self.train), "test": 0 if self.test is None else len(self.test)},
            "split": self.manifest.split if self.manifest else {"train": "frame"},
        }

    def lookups(self) -> list[dict[str, str]]:
        """How each file was found this time: path, ``source`` and ``location`` (what a
        report keeps outside its content, in ``run_info``)."""
        return [{"path": f.path, **{k: str(getattr(f, k)) for k in LOOKUP_KEYS}} for f in self.files]


def cache_dir() -> Path:
    """snas's download cache: ``SNAS_CACHE_DIR``, else ``$XDG_CACHE_HOME/snas``, else ``~/.cache/snas``."""
    if env := os.environ.get("SNAS_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snas"


def _download(url: str, dest: Path, expected: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            shutil.copyfileobj(resp, out)
        got = sha256_file(tmp)
        if got != expected:
            raise DatasetError(
                f"downloaded {url} but its sha256 is {got}, not the manifest's {expected}; "
                "the source changed or the download was corrupted — nothing was saved"
            )
        os.replace(tmp, dest)
    except OSError as exc:
        raise DatasetError(
            f"cannot download {url} ({exc}); put the file at {dest} or pass --data-dir "
            "(or set SNAS_DATA_DIR) to a folder that holds it"
        ) from None
    finally:
        Path(tmp).unlink(missing_ok=True)


def recorded_locations(provenance: Mapping[str, Any]) -> dict[str, str]:
    """Manifest path → absolute location of each file in a :meth:`Dataset.provenance` record
    (e.g. the ``data`` block of a run's ``manifest.json``); files without one are left out."""
    return {f["path"]: f["location"] for f in provenance.get("files", []) if f.get("location")}


def locate_file(
    f: DataFile,
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    recorded: str | os.PathLike[str] | None = None,
) -> tuple[Path, str]:
    """Find ``f`` (recorded location → data_dir → SNAS_DATA_DIR → cache → download) and
    verify its sha256. ``recorded`` is where an earlier run found the file."""
    tried: list[tuple[Path, str]] = []
    if recorded:
        tried.append((Path(recorded), "recorded"))
    if f.package:
        import importlib.resources

        try:
            tried.append((Path(str(importlib.resources.files(f.package) / f.path)), f"package {f.package}"))
        except ModuleNotFoundError:
            raise DatasetError(
                f"the {f.role!r} file ships with the Python package {f.package!r}, which is not installed; pip install it"
            ) from None
    if data_dir is not None:
        tried.append((Path(data_dir) / f.path, "data_dir"))
    if env := os.environ.get("SNAS_DATA_DIR"):
        tried.append((Path(env) / f.path, "SNAS_DATA_DIR"))
    cached = cache_dir() / "datasets" / f.path
    tried.append((cached, "cache"))
    for path, source in tried:
        if path.is_file():
            got = sha256_file(path)
            if got != f.sha256:
                raise DatasetError(_mismatch_message(f, path, got))
            return path, source
    if download and f.url:
        _download(f.url, cached, f.sha256)
        return cached, "download"
    looked = ", ".join(str(p) for p, _ in tried)
    raise DatasetError(
        f"data file {f.path!r} ({f.role}) not found; looked in {looked}. Pass --data-dir DIR "
        "(or set SNAS_DATA_DIR) to the folder that holds it"
        + (f", or allow the download from {f.url}" if f.url else "")
    )


def _mismatch_message(f: DataFile, path: Path, got: str) -> str:
    """Why a file's sha256 differs from the manifest's: the file changed, or the manifest's hash is wrong."""
    return (
        f"{path}: sha256 mismatch for the {f.role!r} file (got {got}, manifest says {f.sha256}). Either the file "
        f"is corrupted or a different version — replace it with the original{' from ' + f.url if f.url else ''} — "
        f"or the manifest's sha256 is the wrong one: if this file is the right one, compute its hash with "
        f"'sha256sum {path}' and paste the 64 hex digits as 'sha256' at {f.sha256_at or 'the file in the manifest'}"
    )


def _read_csv(path: Path, m: Manifest, f: DataFile) -> pd.DataFrame:
    import pandas as pd

    originals = [c.original for c in m.schema.columns]
    sep = m.separator
    skip_space = False
    if sep.strip() and sep != sep.strip() and sep.startswith(sep.strip()):
        sep, skip_space = sep.strip(), True  # ", " → "," + skipinitialspace (fast C parser)
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            header=0 if m.header else None,
            names=None if m.header else originals,
            skipinitialspace=skip_space,
            skiprows=f.skip_rows,
            dtype=str,
            na_values=list(m.missing),
            keep_default_na=False,
            skip_blank_lines=True,
            engine="c",
        )
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if fields:
            want, line, saw = fields.groups()
            raise DatasetError(_fields_message(path, int(line), int(saw), int(want))) from None
        raise DatasetError(f"{path}: cannot parse as CSV ({exc}); check 'format' in {m.source}") from None
    if not isinstance(raw.index, pd.RangeIndex):  # pandas took a first column the header lacks as the index
        raise DatasetError(_fields_message(path, f.skip_rows + (2 if m.header else 1), raw.shape[1] + 1, raw.shape[1]))
    if m.header:
        missing_cols = [c for c in originals if c not in raw.columns]
        if missing_cols:
            raise DatasetError(
                f"{path}: header lacks column(s) {missing_cols}; the manifest {m.source} declares {originals}"
            )
        raw = raw[originals]
    for name, mapping in m.recode.items():
        original = next(c.original for c in m.schema.columns if c.name == name)
        raw[original] = raw[original].map(lambda v, mp=mapping: mp.get(v, v) if isinstance(v, str) else v)
    return _type_frame(raw, m.schema, path, f, line_offset=f.skip_rows + (2 if m.header else 1))


def _fields_message(path: Path, line: int, saw: int, want: int) -> str:
    return (
        f"{path}: line {line}: {saw} fields but the header has {want}; check the separators and quotes on "
        "this line (a value holding the separator goes in double quotes; remove a separator at the line's end)"
    )


def _type_frame(
    raw: pd.DataFrame, schema: Schema, path: Path | str, f: DataFile | None, line_offset: int
) -> pd.DataFrame:
    """Strings → declared types; names → normalised names. Errors name column, line and value.

    ``f`` is None for a frame (:func:`from_frame`): errors then name the row, not a line.
    """
    import numpy as np
    import pandas as pd

    out: dict[str, Any] = {}
    for col in schema.columns:
        s = raw[col.original] if col.original in raw.columns else raw[col.name]
        if f is not None and f.label_suffix and col.name == schema.target:
            s = s.str.removesuffix(f.label_suffix)
        if col.name == schema.target and (gap := s.isna().to_numpy()).any():
            i = int(gap.argmax())
            where = f"line {i + line_offset}" if f is not None else row_name(s.index, i)
            fix = (
                "if it is a class, remove it from 'format.missing' in the manifest" if f is not None else "drop the row"
            )
            raise DatasetError(
                f"{path}: {where}, column {col.original!r}: the target is missing ({int(gap.sum())} such row(s)); "
                f"every row needs its class — fill it in or remove the row; {fix}"
            )
        if col.kind == "numeric":
            out[col.name] = _numeric(s, col, path, f is not None, line_offset)
        else:
            levels = col.levels or tuple(sorted(s.dropna().unique()))
            codes = level_codes(s, list(levels), exact=True)  # training data: as declared
            dtype = pd.CategoricalDtype(list(levels), ordered=col.kind == "ordinal")
            cat = pd.Categorical.from_codes(np.where(codes < 0, -1, codes), dtype=dtype)
            bad = (codes < 0) & s.notna().to_numpy()
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                where = f"line {i + line_offset}" if f is not None else row_name(s.index, i)
                raise DatasetError(
                    f"{path}: {where}, column {col.original!r}: level {s.iloc[i]!r} is "
                    f"not declared.{did_you_mean(str(s.iloc[i]), levels)} Add it to the column's "
                    "'levels' in the manifest or fix the value"
                )
            out[col.name] = cat
    return pd.DataFrame(out)


def _numeric(s: pd.Series, col: Column, path: Path | str, from_file: bool, line_offset: int) -> pd.Series:
    """A numeric column: finite numbers within ±MAX_NUMBER (whole ones for ``integer``), NaN where missing."""
    import numpy as np
    import pandas as pd

    def fail(mask: np.ndarray, problem: str, fix: str) -> DatasetError:
        i = int(np.flatnonzero(mask)[0])
        where = f"line {i + line_offset}" if from_file else row_name(s.index, i)
        return DatasetError(f"{path}: {where}, column {col.original!r}: {shown_value(s.iloc[i])} {problem}; {fix}")

    missing_hint = (
        "if it marks a missing value, add it to 'format.missing' in the manifest"
        if from_file
        else "write NaN for a missing value"
    )
    num = pd.to_numeric(s, errors="coerce")
    given = s.notna().to_numpy()
    values = num.to_numpy(dtype="float64", na_value=np.nan)
    if (bad := np.isnan(values) & given).any():
        declare = "declare the column 'categorical' in the manifest" if from_file else "convert it with pd.to_numeric"
        raise fail(bad, "is not a number", f"fix the value, {declare}, or {missing_hint}")
    with np.errstate(invalid="ignore"):
        outside = ~(np.abs(values) <= MAX_NUMBER) & given
    if outside.any():
        raise fail(
            outside,
            f"is not a finite number within ±{MAX_NUMBER:.4g} (the float32 range snas computes in)",
            f"fix or remove the value, or {missing_hint}",
        )
    if not col.integer:
        return num.astype("float64")
    as_float = "declare the column as numeric float (remove 'integer: true' in the manifest)"
    as_float = as_float if from_file else "convert the column to float"
    if pd.api.types.is_unsigned_integer_dtype(num):
        big = num.to_numpy(dtype="uint64", na_value=0) > np.iinfo(np.int64).max
    elif pd.api.types.is_float_dtype(num):
        with np.errstate(invalid="ignore"):
            if (frac := (values != np.floor(values)) & given).any():
                raise fail(
                    frac, "is not a whole number, but the column is declared integer", f"{as_float} or fix the value"
                )
            big = (np.abs(values) >= 2.0**63) & given
    else:
        big = np.zeros(len(values), dtype=bool)
    if big.any():
        raise fail(big, "is too large for an integer column (beyond ±9.2e18)", f"{as_float} or fix the value")
    return num.astype("Int64")


def load(
    name_or_manifest: str | os.PathLike[str],
    data_dir: str | os.PathLike[str] | None = None,
    *,
    download: bool = True,
    recorded: Mapping[str, str] | None = None,
) -> Dataset:
    """Load a dataset by name or manifest path; every file's sha256 is verified.

    Parameters
    ----------
    name_or_manifest : str or path
        ``"census_income"`` (looked up in ``./datasets``) or a manifest YAML path.
    data_dir : path, optional
        Folder holding the files at the manifest's relative paths. Then ``SNAS_DATA_DIR``,
        the cache (:func:`cache_dir`), then the public URL are tried.
    download : bool
        Allow downloading into the cache when the files are nowhere else.
    recorded : mapping, optional
        Manifest path → absolute location where an earlier run found each file
        (:func:`recorded_locations`); tried first, then the usual order.

    Returns
    -------
    Dataset
        Typed train (and test) frames with normalised column names, schema and provenance;
        :class:`~snas.exceptions.DatasetError` instead when a file is missing, altered or unreadable.

    Examples
    --------
    >>> data = load("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> data.X_train.shape  # doctest: +SKIP
    (32561, 14)
    """
    m = load_manifest(name_or_manifest)
    frames: dict[str, pd.DataFrame] = {}
    paths: dict[str, Path] = {}
    records: list[FileRecord] = []
    known = recorded or {}
    for role in ("train", "test"):
        file_role = m.split.get(role)
        if file_role is None:
            continue
        f = m.files[file_role]
        path, source = locate_file(f, data_dir, download=download, recorded=known.get(f.path))
        frames[role], paths[role] = _read_csv(path, m, f), path
        if frames[role].empty:
            raise DatasetError(
                f"{path}: no data rows{' after the header' if m.header else ''}; the {role} file needs one row per case"
            )
        records.append(_record(role, f, path, len(frames[role]), source))
    for role, f in m.files.items():  # verify the remaining files (documentation) too
        if role not in {m.split.get("train"), m.split.get("test")}:
            try:
                path, source = locate_file(f, data_dir, download=download, recorded=known.get(f.path))
                records.append(_record(role, f, path, 0, source))
            except DatasetError:
                if role in ("train", "test"):
                    raise
    train, test = frames["train"], frames.get("test")
    _refuse_target(m, train, f"{len(train):,} rows of {paths['train']}")
    if test is None and "test_fraction" in m.split:
        train, test = _split(train, m, paths["train"])
        _refuse_target(m, train, f"{len(train):,} training rows of {paths['train']} (after split.test_fraction)")
    schema = _observed(m, train, paths["train"])
    train, test = _retyped(train, schema), None if test is None else _retyped(test, schema)
    return Dataset(name=m.name, schema=schema, train=train, test=test, files=tuple(records), manifest=m)


def _observed(m: Manifest, train: pd.DataFrame, path: Path) -> Schema:
    """The manifest's schema completed by the training rows: a categorical column without
    ``levels:`` takes the levels they show, a target without levels the classes they show
    (a numeric target's distinct values, as text: ``('0', '1')``). A ``target.positive`` that
    is not among them is refused."""
    schema = m.schema
    cols = tuple(
        replace(c, levels=_seen_levels(train[c.name])) if c.kind == "categorical" and not c.levels else c
        for c in schema.columns
    )
    target = next(c for c in cols if c.name == schema.target)
    classes = schema.classes or target.levels or _class_texts(train[schema.target])
    if schema.positive is not None and schema.positive not in classes:
        where = manifest_location(m, "target", "positive")
        raise DatasetError(
            f"{where}: positive class {schema.positive!r} is not a class of {schema.target!r}: the training rows "
            f"of {path} hold {', '.join(classes)}.{did_you_mean(schema.positive, classes)} Fix 'target.positive'"
        )
    return Schema(cols, schema.target, classes, schema.positive, schema.sensitive)


#: A target with more classes than this is refused: snas classifies, and so many distinct values are a
#: quantity (a regression target) or an identifier rather than classes to learn.
MAX_CLASSES = 100
#: ... as is a target with more than this many classes and, on average, fewer than two rows per class.
MANY_CLASSES = 20


def _refuse_target(m: Manifest, frame: pd.DataFrame, rows: str) -> None:
    """:func:`_refuse_labels` for the manifest ``m``'s target in ``frame``."""
    col = m.schema.column(m.schema.target)
    where = manifest_location(m, "target", "column")
    _refuse_labels(col, frame[col.name], rows, where=where, retarget="point 'target.column' at")


def _refuse_labels(col: Column, labels: pd.Series, rows: str, *, where: str, retarget: str) -> None:
    """Refuse a target snas cannot learn: a single class, more than :data:`MAX_CLASSES`
    classes, or more than :data:`MANY_CLASSES` with (on average) fewer than two rows each — a
    number such as an amount, whose (nearly) every value is a class of its own.

    Parameters
    ----------
    col : Column
        The target column.
    labels : Series
        Its values on the rows ``rows`` describes (e.g. ``"420 rows of credit.csv"``).
    rows : str
        Those rows, for the message.
    where : str
        What the message starts with: the manifest's ``path:line:column`` or the frame's name.
    retarget : str
        How to choose another target, completed by "a column with …".

    Raises
    ------
    DatasetError
        Naming the column, what it holds and the fix.
    """
    labels = labels.dropna()
    classes = labels.astype(str).unique()
    n = len(classes)
    if n == 1:
        raise DatasetError(
            f"{where}: the target column {col.original!r} holds one class only, {classes[0]!r}, in the {rows}: "
            f"a classifier needs at least two classes to tell apart. {retarget[:1].upper()}{retarget[1:]} a column "
            "with two or more classes, or add rows of the other class(es) to the data"
        )
    if n > MAX_CLASSES or (n > MANY_CLASSES and 2 * n > len(labels)):
        fix = (
            "to predict a number, use a regression method; to use snas, derive a column of a few classes from it "
            f"(e.g. low/mid/high) and {retarget} that"
            if col.kind == "numeric"
            else f"merge the classes into fewer, or {retarget} a column of class labels"
        )
        raise DatasetError(
            f"{where}: the target column {col.original!r} has {n:,} distinct values in the {rows}, "
            f"{len(labels) / n:.1f} rows per value on average: snas classifies, each distinct value a class of its "
            f"own, and refuses more than {MAX_CLASSES} classes, or more than {MANY_CLASSES} with fewer than two rows "
            f"each on average; {fix}"
        )


def _seen_levels(s: pd.Series) -> tuple[str, ...]:
    """The levels a categorical column's rows hold, in its categories' (sorted) order."""
    return tuple(str(v) for v in s.cat.remove_unused_categories().cat.categories)


def _class_texts(s: pd.Series) -> tuple[str, ...]:
    """A numeric target's distinct values in numeric order, written as ``astype(str)`` writes them."""
    import pandas as pd

    values = pd.Series(sorted(s.dropna().unique()), dtype=s.dtype)
    return tuple(values.astype(str))


def _label_value(text: str, col: Column) -> Any:
    """A class named as text → the value ``y_train`` holds for it."""
    if col.kind != "numeric":
        return text
    return int(text) if col.integer else float(text)


def _retyped(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Categorical columns with the schema's levels as categories (values the training rows
    never show are kept, after them), so ``frame[c].cat.categories`` starts with the levels."""
    import pandas as pd

    changed = {}
    for c in schema.columns:
        s = frame[c.name]
        if c.kind != "categorical" or not isinstance(s.dtype, pd.CategoricalDtype):
            continue
        known = set(c.levels)
        categories = [*c.levels, *(v for v in _seen_levels(s) if v not in known)]
        if list(s.cat.categories) != categories:
            changed[c.name] = s.cat.set_categories(categories)
    return frame.assign(**changed) if changed else frame


def _record(role: str, f: DataFile, path: Path, rows: int, source: str) -> FileRecord:
    return FileRecord(role, f.path, f.sha256, path.stat().st_size, rows, source, str(path.resolve()))


def _split(frame: pd.DataFrame, m: Manifest, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``split.test_fraction`` of the training rows (stratified by the target by default)."""
    from sklearn.model_selection import train_test_split

    frac = float(m.split["test_fraction"])
    stratify = m.split.get("stratify", True)
    strat = frame[m.schema.target] if stratify else None
    if strat is not None and (lone := _lone_classes(strat)):
        col = m.schema.column(m.schema.target)
        raise DatasetError(
            f"{path}: {_classes_text(lone)} of the target column {col.original!r} "
            f"{'has' if len(lone) == 1 else 'have'} a single row: the split holds out split.test_fraction of "
            "every class (split.stratify, on by default), which needs at least two rows of each. Merge the "
            f"class into another (e.g. 'recode: {{{lone[0]}: OTHER}}' on the column in {m.source}) or remove "
            "its row, or set 'split.stratify: false'"
        )
    try:
        tr, te = train_test_split(frame, test_size=frac, random_state=int(m.split.get("seed", 0)), stratify=strat)
    except ValueError as exc:
        raise DatasetError(
            f"{path}: cannot hold out split.test_fraction {frac:g} of its {len(frame)} row(s) ({exc}); add rows, "
            f"change 'split.test_fraction'{' or set split.stratify: false' if stratify else ''} in {m.source}"
        ) from None
    return tr.reset_index(drop=True), te.reset_index(drop=True)


def _lone_classes(labels: pd.Series) -> list[str]:
    """The classes ``labels`` holds on exactly one row."""
    counts = labels.astype(str).value_counts()
    return sorted(str(c) for c in counts.index[counts == 1])


def _classes_text(classes: list[str]) -> str:
    """``class 'a'`` or ``classes 'a', 'b'``."""
    return ("class " if len(classes) == 1 else "classes ") + ", ".join(repr(c) for c in classes)


def _kind(name: str) -> ColumnKind:
    return "ordinal" if name == "ordinal" else ("numeric" if name == "numeric" else "categorical")


def infer_columns(frame: pd.DataFrame, categorical: list[Any] | tuple[Any, ...] = ()) -> tuple[Column, ...]:
    """Column schema inferred from dtypes: numbers → numeric, ordered categoricals → ordinal,
    everything else → categorical (levels sorted). Names are normalised."""
    import pandas as pd

    cols: list[Column] = []
    seen: dict[str, str] = {}
    for c in frame.columns:
        s = frame[c]
        norm = normalise_name(str(c))
        if norm in seen:
            raise DatasetError(f"columns {seen[norm]!r} and {c!r} both normalise to {norm!r}; rename one")
        seen[norm] = str(c)
        if isinstance(s.dtype, pd.CategoricalDtype):
            kind = "ordinal" if s.dtype.ordered else "categorical"
            cols.append(Column(norm, str(c), _kind(kind), tuple(str(v) for v in s.cat.categories)))
        elif pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s) or c in categorical:
            levels = tuple(sorted(str(v) for v in s.dropna().unique()))
            cols.append(Column(norm, str(c), "categorical", levels))
        else:
            cols.append(Column(norm, str(c), "numeric", integer=pd.api.types.is_integer_dtype(s)))
    return tuple(cols)


def from_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    positive: str | None = None,
    sensitive: tuple[str, ...] | list[str] = (),
    name: str = "frame",
    test: pd.DataFrame | None = None,
) -> Dataset:
    """Wrap a pandas DataFrame as a :class:`Dataset`, inferring the schema.

    Parameters
    ----------
    frame, test : DataFrame
        Training and optional test rows. Numbers → ``numeric``, ordered categories → ``ordinal``, else ``categorical``.
    target : str
        The target column; DatasetError when ``frame`` lacks it, a row has no label, or it holds a
        single class or (nearly) a class per row (a number to predict, not classes). An integer
        target stays integer: ``y_train`` holds ints, ``schema.classes`` names them as text.
    positive : str, optional
        The positive class (what reports and monotonic constraints refer to); DatasetError when it is not a class.
    sensitive : sequence of str
        Columns the audit measures fairness on, e.g. ``["sex", "race"]``.
    name : str
        The dataset's name in messages and provenance.

    Examples
    --------
    >>> import pandas as pd
    >>> data = from_frame(pd.DataFrame({"hours-per-week": [40, 60], "income": ["<=50K", ">50K"]}), "income")
    >>> data.X_train.columns.tolist(), data.schema.classes  # names are normalised
    (['hours_per_week'], ('<=50K', '>50K'))
    """
    import pandas as pd

    if target not in frame.columns:
        raise DatasetError(f"target column {target!r} not in the frame.{did_you_mean(target, map(str, frame.columns))}")
    both = frame if test is None else pd.concat([frame, test], ignore_index=True)
    labels = both[target]
    whole = pd.api.types.is_integer_dtype(labels) and not pd.api.types.is_bool_dtype(labels)
    cols = list(infer_columns(both, categorical=[] if whole else [target]))  # integers stay integers
    tcol = next(c for c in cols if c.original == str(target))
    _refuse_labels(
        tcol, frame[target], f"{len(frame):,} rows of the frame", where=f"<{name}>", retarget="pass as target"
    )
    classes = _class_texts(labels) if whole else tcol.levels
    if positive is not None and str(positive) not in classes:
        raise DatasetError(
            f"positive class {str(positive)!r} is not a class of {target!r}; use one of {', '.join(classes)}"
        )
    schema = Schema(
        tuple(cols),
        tcol.name,
        classes,
        None if positive is None else str(positive),
        tuple(normalise_name(s) for s in sensitive),
    )
    as_str = {c.original: c for c in cols}

    def convert(df: pd.DataFrame) -> pd.DataFrame:
        raw = pd.DataFrame(
            {
                k: (df[k].astype("string").where(df[k].notna(), None) if as_str[k].kind != "numeric" else df[k])
                for k in as_str
            }
        )
        return _type_frame(raw, schema, f"<{name}>", None, line_offset=0)

    tr = convert(frame)
    te = None if test is None else convert(test)
    rec = FileRecord("train", f"<{name}>", "", 0, len(tr), "frame")
    return Dataset(name=name, schema=schema, train=tr, test=te, files=(rec,))
