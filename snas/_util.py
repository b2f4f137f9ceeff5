"""Small helpers shared by every layer: hashing, atomic writes, suggestions, safe YAML."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_JSON_DEPTH",
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_json",
    "did_you_mean",
    "is_number",
    "level_codes",
    "loose_spelling",
    "parse_json_text",
    "read_json_file",
    "respelled_levels",
    "same_file",
    "sha256_bytes",
    "sha256_file",
]


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def canonical_json(obj: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 text (the hashing form)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename (never half-written)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; results are meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


#: Deepest nesting of a JSON file snas reads back (its own run files nest at most 11 levels).
MAX_JSON_DEPTH = 64

_JSON_KINDS = {dict: "an object", list: "an array", str: "a string", bool: "true or false", type(None): "null"}


def _too_deep(obj: Any, limit: int) -> bool:
    """True when lists and mappings nest deeper than ``limit`` (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if isinstance(value, dict) else value
        stack.extend((v, depth + 1) for v in children if isinstance(v, (dict, list)))
    return False


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number snas writes")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:30]} is too large a number")
    return value


def parse_json_text(text: str, *, allow_nan: bool = False) -> Any:
    """Parse JSON text nesting at most :data:`MAX_JSON_DEPTH` levels; ValueError saying what is wrong
    (never RecursionError, however deep the text nests). NaN and infinite numbers are refused
    unless ``allow_nan`` (snas writes them nowhere but in resume caches)."""
    strict: dict[str, Any] = {} if allow_nan else {"parse_constant": _no_constant, "parse_float": _finite}
    try:
        data = json.loads(text, **strict)
    except RecursionError:
        data = None
        deep = True
    else:
        deep = isinstance(data, (dict, list)) and _too_deep(data, MAX_JSON_DEPTH)
    if deep:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return data


def read_json_file(
    path: str | os.PathLike[str],
    *,
    fix: str,
    expect: type | None = dict,
    error: type[Exception] | None = None,
    allow_nan: bool = False,
) -> Any:
    """The parsed content of a JSON file snas wrote, or ``error`` (default ConfigError) naming
    the file, what is wrong and ``fix``: unreadable, not UTF-8 JSON, nested deeper than
    :data:`MAX_JSON_DEPTH`, or a top level that is not of type ``expect`` (None: any).

    Parameters
    ----------
    path : path-like
        The file (callers say first what its absence means).
    fix : str
        What the user should do, e.g. ``"search again into a new folder"``.
    expect : type or None
        ``dict`` or ``list``: the type of the top level snas writes there.
    error : exception type, optional
        Raised with the message; default :class:`snas.exceptions.ConfigError`.
    allow_nan : bool
        Accept NaN and Infinity (written by ``json.dumps`` defaults).
    """
    if error is None:
        from snas.exceptions import ConfigError

        error = ConfigError
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{p}: damaged, not JSON (not UTF-8 text); {fix}") from None
    except OSError as exc:
        raise error(f"{p}: cannot be read ({exc.strerror or exc}); {fix}") from None
    try:
        data = parse_json_text(text, allow_nan=allow_nan)
    except ValueError as exc:
        raise error(f"{p}: damaged, not JSON snas wrote ({str(exc)[:120]}); {fix}") from None
    if expect is not None and not isinstance(data, expect):
        got = next((name for kind, name in _JSON_KINDS.items() if isinstance(data, kind)), "a number")
        want = _JSON_KINDS.get(expect, expect.__name__)
        raise error(f"{p}: damaged (its top level is {got}; snas writes {want} there); {fix}")
    return data


def level_codes(values: Any, levels: list[str], *, exact: bool = False) -> Any:
    """Integer codes of ``values`` among ``levels`` (−1 for missing or unknown), vectorised.

    A value that is no level as written takes the one level it spells differently — case,
    surrounding or doubled spaces, ``-``/``_``/space (``'never married '`` → ``'Never-married'``)
    — unless ``exact``; where two levels spell alike, it stays unknown.
    """
    import numpy as np
    import pandas as pd

    s = pd.Series(values)
    if s.dtype == object:  # 1, 1.0, True hash alike: compare them as the text they are written as
        s = s.astype(str).where(s.notna(), None)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)  # missing → −1
    names = [str(u) for u in uniques]
    table = pd.Index(list(levels), dtype="object").get_indexer(names)  # per distinct value
    if not exact and (table < 0).any():
        loose = _loose_levels(levels)
        for k in np.flatnonzero(table < 0):  # distinct unknown values only, never rows
            table[k] = loose.get(loose_spelling(names[k]), -1)
    return np.append(table, -1)[codes].astype(np.int64)  # code −1 picks the appended −1


def loose_spelling(text: str) -> str:
    """``text`` with case, ``-``/``_`` and runs of spaces ignored: how level spellings are compared."""
    return " ".join(text.replace("-", " ").replace("_", " ").split()).casefold()


def _loose_levels(levels: Iterable[str]) -> dict[str, int]:
    """Loose spelling → index of the one level spelled so (spellings two levels share are left out)."""
    seen: dict[str, int] = {}
    for i, level in enumerate(levels):
        key = loose_spelling(str(level))
        seen[key] = -1 if key in seen else i
    return {k: i for k, i in seen.items() if i >= 0 and k}  # blank spellings ('', '-', '_') match nothing


def respelled_levels(values: Any, levels: list[str]) -> dict[str, str]:
    """The distinct values of ``values`` that :func:`level_codes` matched to a level spelled
    otherwise: ``{value: level}`` (for the warning that says so)."""
    import pandas as pd

    distinct = [str(v) for v in pd.Series(values).dropna().unique()]
    codes = level_codes(distinct, levels)
    exact = level_codes(distinct, levels, exact=True)
    return {v: str(levels[c]) for v, c, e in zip(distinct, codes, exact, strict=True) if c >= 0 and e < 0}


def is_number(v: Any) -> bool:
    """Whether ``v`` is an int or a float as JSON reads one (``True``/``False`` are not numbers)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name one file (after links; hard links too when both exist)."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``' Did you mean 'x'?'`` for the closest choices, or an empty string."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=n, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in options}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
