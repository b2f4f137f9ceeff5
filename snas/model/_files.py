"""Model files in non-executable formats: ``model.safetensors`` (weights) + ``model.json``
(everything else). One sha256 covers both — every field that can change a prediction
(classes, rules, schema, encoder, architecture, weights) — so an edited file is refused.
Written atomically; read with size limits and without pickle.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snas._util import atomic_write_bytes, atomic_write_text, canonical_json, sha256_bytes
from snas.exceptions import ModelFileError

__all__ = ["FORMAT", "MAX_META_BYTES", "read_model_files", "write_model_files"]

FORMAT = "snas-model/3"  # 3: stacked members, task + architecture + one integrity hash
MAX_META_BYTES = 64 << 20
MAX_WEIGHT_BYTES = 2 << 30


def _digest(meta: dict[str, Any]) -> str:
    return sha256_bytes(canonical_json({k: v for k, v in meta.items() if k != "content_sha256"}).encode())


def write_model_files(path: str | Path, meta: dict[str, Any], state: dict[str, Any]) -> Path:
    """Write the weights, then the metadata naming their hash and its own (directory ``path``)."""
    from safetensors.torch import save

    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    blob = save({k: v.detach().contiguous().cpu() for k, v in state.items()})
    atomic_write_bytes(d / "model.safetensors", blob)
    meta = {**meta, "format": FORMAT, "weights_sha256": sha256_bytes(blob)}
    meta["content_sha256"] = _digest(meta)
    atomic_write_text(d / "model.json", json.dumps(meta, indent=2, sort_keys=True, allow_nan=False))
    return d


def _read_meta(meta_path: Path) -> dict[str, Any]:
    if meta_path.stat().st_size > MAX_META_BYTES:
        raise ModelFileError(f"{meta_path}: larger than {MAX_META_BYTES >> 20} MB; not an snas model file")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise ModelFileError(
            f"{meta_path}: not valid JSON ({str(exc)[:120]}); the file is damaged — restore the original or save the model again"
        ) from None
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("snas-model/"):
            raise ModelFileError(
                f"{meta_path}: written in {fmt!r}, this snas reads {FORMAT!r}; "
                "train the model again (or load it with the snas version that saved it)"
            )
        raise ModelFileError(f"{meta_path}: not an snas model file (expected format {FORMAT!r})")
    assert isinstance(meta, dict)
    if meta.get("content_sha256") != _digest(meta):
        raise ModelFileError(
            f"{meta_path}: the content does not match its sha256; the file was edited after saving — "
            "restore the original or train the model again"
        )
    return meta


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_model_files(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and verify a model directory; a tampered or foreign file raises ModelFileError."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    d = Path(path)
    if d.is_file() and d.name in ("model.json", "model.safetensors"):
        d = d.parent
    meta_path, weights_path = d / "model.json", d / "model.safetensors"
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise ModelFileError(f"{p}: not found; point to a directory written by SNASClassifier.save()")
    meta = _read_meta(meta_path)
    if weights_path.stat().st_size > MAX_WEIGHT_BYTES:
        raise ModelFileError(f"{weights_path}: larger than {MAX_WEIGHT_BYTES >> 30} GB; not an snas model file")
    blob = weights_path.read_bytes()
    if sha256_bytes(blob) != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{weights_path}: sha256 does not match model.json; the weights were changed after saving — "
            "restore the original files"
        )
    try:
        state = load(blob)
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights_path}: cannot read the weights ({exc})") from None
    return meta, state
