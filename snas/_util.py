"""Small helpers shared by every layer: hashing, atomic writes, suggestions, safe YAML."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "canonical_json",
    "did_you_mean",
    "level_codes",
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


def level_codes(values: Any, levels: list[str]) -> Any:
    """Integer codes of ``values`` among ``levels`` (−1 for missing or unknown), vectorised."""
    import numpy as np
    import pandas as pd

    s = pd.Series(values)
    as_text = s.astype("object").where(s.notna(), None).map(lambda v: None if v is None else str(v))
    return np.asarray(pd.Index(list(levels), dtype="object").get_indexer(as_text), dtype=np.int64)


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
