"""Dataset manifests: the YAML files in ``datasets/`` that declare files, hashes and schema."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snas._util import did_you_mean
from snas._yaml import read_yaml
from snas.datasets._schema import Column, Schema, normalise_name
from snas.exceptions import DatasetError

__all__ = ["DataFile", "Manifest", "find_manifest", "load_manifest"]

_KINDS = ("numeric", "categorical", "ordinal")
_TOP_KEYS = {
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
}
_FILE_KEYS = {"path", "url", "sha256", "skip_rows", "label_suffix", "package"}


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
    d = doc.data
    where = str(path)

    def fail(msg: str, *keys: str | int) -> DatasetError:
        loc = doc.locate(*keys) if keys else None
        return DatasetError(f"{loc or where}: {msg}")

    if not isinstance(d, dict):
        raise fail("a manifest must be a YAML mapping with 'snas_dataset: 1' at the top")
    if d.get("snas_dataset") != 1:
        raise fail("missing or unsupported 'snas_dataset' version; write 'snas_dataset: 1'")
    for k in d:
        if k not in _TOP_KEYS:
            raise fail(f"unknown key {k!r}.{did_you_mean(str(k), _TOP_KEYS)}", k)
    for k in ("name", "files", "columns", "target"):
        if k not in d:
            raise fail(f"missing required key {k!r}")

    files: dict[str, DataFile] = {}
    if not isinstance(d["files"], dict) or not d["files"]:
        raise fail("'files' must map roles (train, test, ...) to {path, sha256, url}", "files")
    for role, spec in d["files"].items():
        if not isinstance(spec, dict) or "path" not in spec or "sha256" not in spec:
            raise fail(f"file {role!r} needs at least 'path' and 'sha256'", "files", role)
        for k in spec:
            if k not in _FILE_KEYS:
                raise fail(f"unknown key {k!r} in file {role!r}.{did_you_mean(str(k), _FILE_KEYS)}", "files", role, k)
        sha = str(spec["sha256"]).lower()
        if len(sha) != 64 or any(ch not in "0123456789abcdef" for ch in sha):
            raise fail(f"file {role!r}: sha256 must be 64 hex digits", "files", role, "sha256")
        files[str(role)] = DataFile(
            role=str(role),
            path=str(spec["path"]),
            sha256=sha,
            url=spec.get("url"),
            skip_rows=int(spec.get("skip_rows", 0)),
            label_suffix=spec.get("label_suffix"),
            package=spec.get("package"),
        )

    fmt = d.get("format", {}) or {}
    columns: list[Column] = []
    if not isinstance(d["columns"], list) or not d["columns"]:
        raise fail("'columns' must be a list of {name, type}", "columns")
    seen: set[str] = set()
    recode: dict[str, dict[str, str]] = {}
    for i, c in enumerate(d["columns"]):
        if not isinstance(c, dict) or "name" not in c:
            raise fail("each column needs a 'name' and a 'type'", "columns", i)
        kind = c.get("type", "numeric")
        if kind not in _KINDS:
            raise fail(
                f"column {c['name']!r}: type must be one of {', '.join(_KINDS)}; got {kind!r}."
                f"{did_you_mean(str(kind), _KINDS)}",
                "columns",
                i,
            )
        levels = tuple(str(v) for v in c.get("levels", ()) or ())
        if kind == "ordinal" and not levels:
            raise fail(f"ordinal column {c['name']!r} needs its 'levels' in order", "columns", i)
        norm = normalise_name(c["name"])
        if norm in seen:
            raise fail(f"two columns normalise to the same name {norm!r}; rename one", "columns", i)
        seen.add(norm)
        if c.get("recode"):
            if not isinstance(c["recode"], dict):
                raise fail(f"column {c['name']!r}: 'recode' maps raw values to level names", "columns", i)
            recode[norm] = {str(k): str(v) for k, v in c["recode"].items()}
        columns.append(
            Column(
                name=norm,
                original=str(c["name"]),
                kind=kind,
                levels=levels,
                integer=bool(c.get("integer", False)),
                unit=c.get("unit"),
                description=c.get("description"),
            )
        )

    tgt = d["target"]
    if not isinstance(tgt, dict) or "column" not in tgt:
        raise fail("'target' must be {column: NAME, positive: LABEL}", "target")
    target = normalise_name(tgt["column"])
    if target not in seen:
        raise fail(
            f"target column {tgt['column']!r} is not among the columns.{did_you_mean(target, seen)}", "target", "column"
        )
    tcol = next(c for c in columns if c.name == target)
    classes = tcol.levels
    positive = tgt.get("positive")
    if positive is not None:
        positive = str(positive)
        if classes and positive not in classes:
            raise fail(
                f"positive class {positive!r} is not a level of {target!r}: {list(classes)}", "target", "positive"
            )
    sensitive = tuple(normalise_name(s) for s in d.get("sensitive", []) or [])
    for s in sensitive:
        if s not in seen:
            raise fail(f"sensitive column {s!r} is not among the columns.{did_you_mean(s, seen)}", "sensitive")

    split = d.get("split") or {"train": "train", "test": "test" if "test" in files else None}
    for role_key in ("train", "test"):
        role = split.get(role_key)
        if role is not None and role not in files:
            raise fail(f"split {role_key!r} names file {role!r}, which is not under 'files'", "split")
    if "test" not in split and "test_fraction" not in split:
        split = {**split, "test": None}

    missing = fmt.get("missing", ["?"])
    return Manifest(
        name=str(d["name"]),
        source=where,
        title=str(d.get("title", d["name"])),
        description=str(d.get("description", "")),
        license=str(d.get("license", "unknown")),
        citation=str(d.get("citation", "")),
        files=files,
        header=bool(fmt.get("header", False)),
        separator=str(fmt.get("separator", ",")),
        missing=tuple(str(m) for m in (missing if isinstance(missing, list) else [missing])),
        schema=Schema(columns=tuple(columns), target=target, classes=classes, positive=positive, sensitive=sensitive),
        split=dict(split),
        recode=recode,
    )
