"""The software a run used: key versions, every installed Python distribution with the installed
distributions it requires, and a lock hash over names and versions (AUDIT.md Annex IV 1(c) and
2(h): the package list an SBOM and a vulnerability scan need). Reading them takes about 0.2 s."""

from __future__ import annotations

import functools
import platform
from collections.abc import Mapping
from typing import Any

from snas._util import canonical_json, sha256_bytes

__all__ = [
    "KEY_PACKAGES",
    "environment_record",
    "installed_packages",
    "key_versions",
    "normalise_package",
    "package_requires",
    "purl",
    "runtime_closure",
]

#: The packages a reader looks for first (the rest are in the full list).
KEY_PACKAGES = ("snas", "torch", "numpy", "pandas", "scikit-learn", "optuna", "lark", "safetensors", "shap")


def normalise_package(name: str) -> str:
    """A distribution name as package URLs spell it: lower case, ``_`` as ``-`` (dots kept)."""
    return name.strip().lower().replace("_", "-")


def purl(name: str, version: str) -> str:
    """The package URL of a PyPI distribution (``pkg:pypi/scikit-learn@1.5.2``)."""
    from urllib.parse import quote

    return f"pkg:pypi/{quote(normalise_package(name), safe='.')}@{quote(version, safe='')}"


def key_versions() -> dict[str, str]:
    """Python, the platform and the versions of :data:`KEY_PACKAGES` ("not installed" when absent)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in KEY_PACKAGES:
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def installed_packages() -> dict[str, str]:
    """Every distribution importable in this interpreter, normalised name → version, sorted.

    When two copies of one distribution are on the path, the one Python imports (the first)
    is recorded."""
    return {name: version for name, version, _ in _installed()}


def package_requires() -> dict[str, list[str]]:
    """Each installed distribution → the installed distributions it requires here (its
    ``Requires-Dist`` whose environment markers hold, extras left out)."""
    names = {name for name, _, _ in _installed()}
    return {name: sorted(set(req) & names) for name, _, req in _installed()}


def runtime_closure(requires: Mapping[str, list[str]], root: str = "snas") -> list[str]:
    """``root`` and everything it requires, directly or not (sorted)."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen or name not in requires:
            continue
        seen.add(name)
        todo.extend(requires[name])
    return sorted(seen)


@functools.lru_cache(maxsize=1)
def _installed() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    from importlib.metadata import distributions

    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for dist in distributions():
        name = dist.metadata["Name"] if dist.metadata is not None else None
        if name and normalise_package(str(name)) not in found:
            found[normalise_package(str(name))] = (str(dist.version), _required(dist.requires or []))
    # cached: a process does not change its packages
    return tuple((name, version, req) for name, (version, req) in sorted(found.items()))


def _required(lines: list[str]) -> tuple[str, ...]:
    """Names from ``Requires-Dist`` lines whose markers hold here without extras."""
    from packaging.requirements import InvalidRequirement, Requirement

    out = set()
    for line in lines:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.add(normalise_package(req.name))
    return tuple(sorted(out))


def environment_record() -> dict[str, Any]:
    """What a run manifest records: key versions, the full package list, what each package
    requires, and the lock hash (sha256 of the names and versions: two environments with the
    same distributions and versions have the same hash)."""
    packages = installed_packages()
    return {
        "versions": key_versions(),
        "packages": packages,
        "package_requires": package_requires(),
        "packages_sha256": sha256_bytes(canonical_json(packages).encode()),
    }
