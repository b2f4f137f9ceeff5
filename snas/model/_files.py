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

__all__ = ["FORMAT", "MAX_META_BYTES", "content_sha256", "read_model_files", "write_model_files"]

FORMAT = "snas-model/3"  # 3: stacked members, task + architecture + one integrity hash
MAX_META_BYTES = 64 << 20
MAX_WEIGHT_BYTES = 2 << 30


def _digest(meta: dict[str, Any]) -> str:
    return sha256_bytes(canonical_json({k: v for k, v in meta.items() if k != "content_sha256"}).encode())


def content_sha256(meta: dict[str, Any], weights_sha256: str) -> str:
    """The ``content_sha256`` :func:`write_model_files` records for ``meta`` and weights of that sha256."""
    return _digest({**meta, "format": FORMAT, "weights_sha256": weights_sha256})


def write_model_files(path: str | Path, meta: dict[str, Any], state: dict[str, Any]) -> Path:
    """Write the weights, then the metadata naming their hash and its own (directory ``path``).

    Both files are encoded before either is written, so a model that cannot be saved (say,
    ``extra`` holding a value JSON cannot carry) leaves an earlier model in ``path`` whole.
    """
    from safetensors.torch import save

    d = Path(path)
    blob = save({k: v.detach().contiguous().cpu() for k, v in state.items()})
    meta = {**meta, "format": FORMAT, "weights_sha256": sha256_bytes(blob)}
    try:
        meta["content_sha256"] = _digest(meta)
        text = json.dumps(meta, indent=2, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError, OverflowError) as exc:
        raise ModelFileError(
            f"{d}: cannot save the model: its records are not plain JSON ({str(exc)[:120]}); keep `extra` to "
            "strings, finite numbers, booleans, lists and mappings"
        ) from None
    for f in (d, d / "model.safetensors", d / "model.json"):
        if f.exists() and f.is_dir() != (f == d):
            kind = "a file" if f == d else "a directory"
            raise ModelFileError(f"{f}: is {kind}; save the model into a directory of its own")
    try:
        d.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(d / "model.safetensors", blob)
        atomic_write_text(d / "model.json", text)
    except OSError as exc:
        raise ModelFileError(
            f"{d}: cannot write the model files ({exc.strerror or exc}); choose a writable directory"
        ) from None
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
    try:
        digest = _digest(meta)
    except (ValueError, RecursionError, OverflowError) as exc:  # inf from 1e999, or nesting too deep to hash
        raise ModelFileError(
            f"{meta_path}: not valid snas JSON ({str(exc)[:120]}); the file is damaged — restore the original or "
            "save the model again"
        ) from None
    if meta.get("content_sha256") != digest:
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
    _check_weights(weights_path, state)
    return meta, state


def _check_weights(path: Path, state: dict[str, Any]) -> None:
    """Every tensor float32 and finite: a diverged or foreign model is refused here, not
    blamed on the rows it would score."""
    import torch

    for name, t in state.items():
        if t.dtype != torch.float32:
            raise ModelFileError(f"{path}: tensor {name!r} is {t.dtype}, snas saves float32; not an snas model file")
        if not bool(torch.isfinite(t).all()):
            raise ModelFileError(
                f"{path}: tensor {name!r} holds NaN or infinite values (a training that diverged?); train the model again"
            )
