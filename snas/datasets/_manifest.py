"""Dataset manifests: the YAML files in ``datasets/`` that declare files, hashes and schema."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from snas._util import did_you_mean
from snas._yaml import TEXT_HINT, read_yaml, shown, type_name, unknown_key
from snas.datasets._schema import Column, Schema, normalise_name
from snas.exceptions import DatasetError

__all__ = ["DataFile", "Manifest", "find_manifest", "load_manifest", "manifest_location"]

_KINDS = ("numeric", "categorical", "ordinal")
_TOP_KEYS = (
    "snas_dataset",
    "name",
    "title",
    "description",
    "license",
    "citation",
    "files",
    "format",
    "columns",
    "target",
    "sensitive",
    "split",
)
_FILE_KEYS = ("path", "url", "sha256", "skip_rows", "label_suffix", "package")
_FORMAT_KEYS = ("header", "separator", "missing")
_COLUMN_KEYS = ("name", "type", "levels", "integer", "unit", "description", "recode")
_SPLIT_KEYS = ("train", "test", "test_fraction", "seed", "stratify")


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: where it lives relative to a data directory, and its hash."""

    role: str
    path: str
    sha256: str
    url: str | None = None
    skip_rows: int = 0
    label_suffix: str | None = None
    package: str | None = None  # the file ships inside this installed Python package
    #: where the manifest gives its sha256 (``path:line:column``), for messages
    sha256_at: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Manifest:
    """A parsed, validated dataset manifest."""

    name: str
    source: str | None
    title: str
    description: str
    license: str
    citation: str
    files: dict[str, DataFile]
    header: bool
    separator: str
    missing: tuple[str, ...]
    schema: Schema
    split: dict[str, Any]
    recode: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "license": self.license,
            "citation": self.citation,
            "files": {r: {"path": f.path, "sha256": f.sha256, "url": f.url} for r, f in self.files.items()},
            "split": self.split,
        }


def _repo_datasets_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "datasets"


def find_manifest(name_or_path: str | os.PathLike[str]) -> Path:
    """Resolve a manifest path, or a dataset name looked up in ``./datasets`` then snas's own."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise DatasetError(f"{p}: manifest not found; check the path")
        return p
    candidates = [Path.cwd() / "datasets" / f"{p}.yaml", _repo_datasets_dir() / f"{p}.yaml"]
    for c in candidates:
        if c.exists():
            return c
    known = sorted(
        {c.stem for d in (Path.cwd() / "datasets", _repo_datasets_dir()) if d.is_dir() for c in d.glob("*.yaml")}
    )
    raise DatasetError(
        f"no dataset manifest called {str(name_or_path)!r}.{did_you_mean(str(name_or_path), known)} "
        f"Known: {', '.join(known) or 'none'}; or pass the path of a manifest YAML file"
    )


def load_manifest(name_or_path: str | os.PathLike[str]) -> Manifest:
    """Read and validate a dataset manifest (``snas_dataset: 1``)."""
    path = find_manifest(name_or_path)
    doc = read_yaml(path, DatasetError)
    where = str(path)

    def fail(msg: str, *keys: str | int, key: bool = False) -> DatasetError:
        loc = doc.locate(*keys, key=key) if keys else None
        return DatasetError(f"{loc or where}: {msg}")

    d = _top(doc.data, fail)
    files = {
        r: replace(f, sha256_at=str(doc.locate("files", r, "sha256") or where))
        for r, f in _files(d["files"], fail).items()
    }
    columns, recode = _columns(d["columns"], fail)
    fmt = _format(d.get("format"), fail)
    return Manifest(
        name=str(d["name"]),
        source=where,
        title=_text(d, "title", fail) or str(d["name"]),
        description=_text(d, "description", fail),
        license=_text(d, "license", fail) or "unknown",
        citation=_text(d, "citation", fail),
        files=files,
        header=fmt["header"],
        separator=fmt["separator"],
        missing=fmt["missing"],
        schema=_schema(d, columns, fail),
        split=_split(d.get("split"), files, fail),
        recode=recode,
    )


def manifest_location(m: Manifest, *keys: str | int) -> str:
    """``path:line:column`` of the value at ``keys`` in the manifest ``m`` was read from (the
    path alone when the file is gone or changed)."""
    where = m.source or m.name
    if m.source is None:
        return where
    try:
        loc = read_yaml(m.source, DatasetError).locate(*keys)
    except DatasetError:
        return where
    return str(loc) if loc is not None else where


Fail = Callable[..., DatasetError]


def _top(d: Any, fail: Fail) -> dict[Any, Any]:
    if not isinstance(d, dict):
        raise fail("a manifest must be a YAML mapping; write 'snas_dataset: 1' as its first line")
    if d.get("snas_dataset") != 1 or isinstance(d.get("snas_dataset"), bool):
        raise fail("missing or unsupported 'snas_dataset' version; write 'snas_dataset: 1'")
    for k in d:
        if k not in _TOP_KEYS:
            raise fail(unknown_key(k, _TOP_KEYS), k, key=True)
    for k in ("name", "files", "columns", "target"):
        if k not in d:
            raise fail(f"missing required key {shown(k)}; a manifest needs name, files, columns and target")
    if not _text(d, "name", fail):
        raise fail("'name' must be the dataset's name, such as census_income", "name")
    return d


def _text(d: dict[Any, Any], key: str, fail: Fail, *keys: str | int) -> str:
    """A free-text field: a string or absent, never a list or mapping."""
    value = d.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise fail(f"'{key}' must be text, got {type_name(value)}; {TEXT_HINT}", *keys, key)
    return value


def _label(value: Any) -> bool:
    """A column name, level or class: text or an integer (not true/false, 1.10, a list ...)."""
    return isinstance(value, str | int) and not isinstance(value, bool)


def _files(spec: Any, fail: Fail) -> dict[str, DataFile]:
    if not isinstance(spec, dict) or not spec:
        raise fail("'files' must map roles (train, test, ...) to {path, sha256, url}", "files")
    return {str(role): _file(str(role), f, fail) for role, f in spec.items()}


def _file(role: str, spec: Any, fail: Fail) -> DataFile:
    if not isinstance(spec, dict) or "path" not in spec or "sha256" not in spec:
        raise fail(f"file {shown(role)} needs at least 'path' and 'sha256'", "files", role)
    for k in spec:
        if k not in _FILE_KEYS:
            raise fail(unknown_key(k, _FILE_KEYS, f" in file {shown(role)}"), "files", role, k, key=True)
    for k in ("path", "sha256", "url", "label_suffix", "package"):
        _text(spec, k, fail, "files", role)
    for k in ("path", "sha256"):
        if not isinstance(spec[k], str) or not spec[k]:
            raise fail(f"file {shown(role)}: '{k}' must be non-empty text", "files", role, k)
    rel = PurePosixPath(spec["path"])
    if not spec["path"] or rel.is_absolute() or ".." in rel.parts or "\\" in spec["path"] or ":" in spec["path"]:
        raise fail(
            f"file {shown(role)}: 'path' must be relative to the data folder, without '..' (got {shown(spec['path'])})",
            "files",
            role,
            "path",
        )
    sha = spec["sha256"].lower()
    if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
        raise fail(f"file {shown(role)}: sha256 must be 64 hex digits", "files", role, "sha256")
    url = spec.get("url")
    if url is not None and not url.startswith(("https://", "http://")):
        raise fail(f"file {shown(role)}: 'url' must start with https:// or http://", "files", role, "url")
    package = spec.get("package")
    if package is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", package):
        raise fail(
            f"file {shown(role)}: 'package' must be a Python package name such as sklearn.datasets", "files", role
        )
    skip = spec.get("skip_rows", 0)
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise fail(
            f"file {shown(role)}: skip_rows must be a whole number >= 0, got {shown(skip)}", "files", role, "skip_rows"
        )
    return DataFile(role, spec["path"], sha, url, skip, spec.get("label_suffix"), package)


def _format(fmt: Any, fail: Fail) -> dict[str, Any]:
    """header (bool), separator (text) and missing markers (tuple of text) of the CSV files."""
    fmt = {} if fmt is None else fmt
    if not isinstance(fmt, dict):
        raise fail("'format' must be {header: true|false, separator: ',', missing: ['?']}", "format")
    for k in fmt:
        if k not in _FORMAT_KEYS:
            raise fail(unknown_key(k, _FORMAT_KEYS, " in 'format'"), "format", k, key=True)
    header = fmt.get("header", False)
    if not isinstance(header, bool):
        raise fail(f"'format.header' must be true or false, got {type_name(header)}", "format", "header")
    separator = fmt.get("separator", ",")
    if not isinstance(separator, str) or not separator or len(separator) > 10:
        raise fail("'format.separator' must be text such as ',' or ', '", "format", "separator")
    missing = fmt.get("missing", ["?"])
    missing = missing if isinstance(missing, list) else [missing]
    if not all(_label(m) for m in missing):
        raise fail("'format.missing' must be a list of markers such as ['?', 'NA']", "format", "missing")
    return {"header": header, "separator": separator, "missing": tuple(str(m) for m in missing)}


def _columns(spec: Any, fail: Fail) -> tuple[list[Column], dict[str, dict[str, str]]]:
    if not isinstance(spec, list) or not spec:
        raise fail("'columns' must be a list of {name, type}", "columns")
    columns: list[Column] = []
    recode: dict[str, dict[str, str]] = {}
    for i, c in enumerate(spec):
        col = _column(c, i, fail)
        if any(o.name == col.name for o in columns):
            raise fail(f"two columns normalise to the same name {shown(col.name)}; rename one", "columns", i)
        columns.append(col)
        if c.get("recode") is not None:
            rc = c["recode"]
            if not isinstance(rc, dict) or not all(_label(k) and _label(v) for k, v in rc.items()):
                raise fail(
                    f"column {shown(col.original)}: 'recode' must map raw values to level names ({{raw: level}})",
                    "columns",
                    i,
                )
            recode[col.name] = {str(k): str(v) for k, v in rc.items()}
    return columns, recode


def _column(c: Any, i: int, fail: Fail) -> Column:
    if not isinstance(c, dict) or "name" not in c:
        raise fail("each column needs a 'name' and a 'type'", "columns", i)
    for k in c:
        if k not in _COLUMN_KEYS:
            raise fail(unknown_key(k, _COLUMN_KEYS, " in a column"), "columns", i, k, key=True)
    if not _label(c["name"]):
        raise fail(f"a column name must be text, got {type_name(c['name'])}", "columns", i, "name")
    name = str(c["name"])
    kind = c.get("type", "numeric")
    if kind not in _KINDS:
        raise fail(
            f"column {shown(name)}: type must be one of {', '.join(_KINDS)}; got {shown(kind)}.{did_you_mean(str(kind), _KINDS)}",
            "columns",
            i,
        )
    levels = _levels(c.get("levels"), name, i, fail)
    if kind == "ordinal" and not levels:
        raise fail(f"ordinal column {shown(name)} needs its 'levels' in order", "columns", i)
    if not isinstance(c.get("integer", False), bool):
        raise fail(f"column {shown(name)}: 'integer' must be true or false", "columns", i, "integer")
    for k in ("unit", "description"):
        _text(c, k, fail, "columns", i)
    return Column(
        name=_norm(name, fail, "columns", i, "name"),
        original=name,
        kind=kind,
        levels=levels,
        integer=c.get("integer", False),
        unit=c.get("unit"),
        description=c.get("description"),
    )


def _levels(spec: Any, name: str, i: int, fail: Fail) -> tuple[str, ...]:
    if spec is None:
        return ()
    if not isinstance(spec, list) or not all(_label(v) for v in spec):
        raise fail(
            f"column {shown(name)}: 'levels' must be a list of text values (quote values such as yes, no, 1.10)",
            "columns",
            i,
            "levels",
        )
    levels = tuple(str(v) for v in spec)
    dupes = sorted({v for v in levels if levels.count(v) > 1}) if len(set(levels)) < len(levels) else []
    if dupes:
        raise fail(f"column {shown(name)}: level(s) {dupes} listed twice; list each level once", "columns", i, "levels")
    return levels


def _schema(d: dict[Any, Any], columns: list[Column], fail: Fail) -> Schema:
    names = [c.name for c in columns]
    tgt = d["target"]
    if not isinstance(tgt, dict) or not _label(tgt.get("column")) or not set(tgt) <= {"column", "positive"}:
        raise fail("'target' must be {column: NAME, positive: LABEL}", "target")
    target = _norm(tgt["column"], fail, "target", "column")
    if target not in names:
        raise fail(_not_a_column("target column", tgt["column"], names), "target", "column")
    classes = next(c for c in columns if c.name == target).levels
    if len(classes) == 1:
        raise fail(
            f"target column {shown(tgt['column'])} declares one level, {shown(classes[0])}: a classifier needs at "
            "least two classes to tell apart; list every class under the column's 'levels' (or drop 'levels' to "
            "take them from the data), or point 'target.column' at another column",
            "target",
            "column",
        )
    positive = tgt.get("positive")
    if positive is not None:
        if not _label(positive):
            raise fail(f"'target.positive' must be a class label, got {type_name(positive)}", "target", "positive")
        positive = str(positive)
        if classes and positive not in classes:
            raise fail(
                f"positive class {shown(positive)} is not a level of {target!r}; use one of {list(classes)}",
                "target",
                "positive",
            )
    sensitive_spec = d.get("sensitive") or []
    if not isinstance(sensitive_spec, list) or not all(_label(s) for s in sensitive_spec):
        raise fail("'sensitive' must be a list of column names", "sensitive")
    sensitive = tuple(_norm(s, fail, "sensitive") for s in sensitive_spec)
    for s in sensitive:
        if s not in names:
            raise fail(_not_a_column("sensitive column", s, names), "sensitive")
    return Schema(columns=tuple(columns), target=target, classes=classes, positive=positive, sensitive=sensitive)


def _norm(name: Any, fail: Fail, *keys: str | int) -> str:
    """The normalised column name, or an error at ``keys`` for a name without letters or digits."""
    try:
        return normalise_name(str(name))
    except DatasetError:
        raise fail(f"column name {shown(name)} has no letters or digits; rename it", *keys) from None


def _not_a_column(what: str, name: Any, names: list[str]) -> str:
    hint = did_you_mean(str(name), names)
    return f"{what} {shown(name)} is not among the columns.{hint or ' Use one of: ' + ', '.join(names)}"


def _split(spec: Any, files: dict[str, DataFile], fail: Fail) -> dict[str, Any]:
    """Which file is the training split, and the test file or the fraction held out."""
    split = spec if spec is not None else {"train": "train", "test": "test" if "test" in files else None}
    if not isinstance(split, dict):
        raise fail("'split' must be {train: ROLE, test: ROLE} or {train: ROLE, test_fraction: 0.3, seed: 0}", "split")
    for k in split:
        if k not in _SPLIT_KEYS:
            raise fail(unknown_key(k, _SPLIT_KEYS, " in 'split'"), "split", k, key=True)
    split = {"train": "train", **split}
    for role_key in ("train", "test"):
        role = split.get(role_key)
        if (role is not None or role_key == "train") and (not isinstance(role, str) or role not in files):
            raise fail(
                f"split {role_key!r} names file {shown(role)}, which is not under 'files'; use one of {sorted(files)}",
                "split",
            )
    frac = split.get("test_fraction")
    if frac is not None and (isinstance(frac, bool) or not isinstance(frac, int | float) or not 0 < frac < 1):
        raise fail(
            f"'split.test_fraction' must be a number between 0 and 1, got {shown(frac)}", "split", "test_fraction"
        )
    seed = split.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32:
        raise fail(f"'split.seed' must be a whole number in [0, 2**32), got {shown(seed)}", "split", "seed")
    if not isinstance(split.get("stratify", True), bool):
        raise fail("'split.stratify' must be true or false", "split", "stratify")
    if "test" not in split and "test_fraction" not in split:
        split = {**split, "test": None}
    return dict(split)
