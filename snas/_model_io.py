"""Model files in non-executable formats: ``model.safetensors`` (weights) + ``model.json`` (everything
else, including the sha256 of the weights and of the rule text). Written atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snas._util import atomic_write_bytes, atomic_write_text, sha256_bytes, sha256_file
from snas.exceptions import ModelFileError

__all__ = ["FORMAT", "read_model_files", "write_model_files"]

FORMAT = "snas-model/2"  # 2: ensembles (spec.members) and per-member training records


def write_model_files(path: str | Path, meta: dict[str, Any], state: dict[str, Any]) -> Path:
    """Write weights then metadata (the JSON names the weights' hash) into directory ``path``."""
    from safetensors.torch import save

    d = Path(path)
    d.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    blob = save(tensors)
    atomic_write_bytes(d / "model.safetensors", blob)
    meta = {**meta, "format": FORMAT, "weights_sha256": sha256_bytes(blob)}
    atomic_write_text(d / "model.json", json.dumps(meta, indent=2, sort_keys=True, allow_nan=False))
    return d


def read_model_files(path: str | Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and verify a model directory; a tampered or foreign file raises ModelFileError."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    d = Path(path)
    if d.is_file() and d.name in ("model.json", "model.safetensors"):
        d = d.parent
    meta_path, weights_path = d / "model.json", d / "model.safetensors"
    for p in (meta_path, weights_path):
        if not p.is_file():
            raise ModelFileError(f"{p}: not found; point to a directory written by SNASClassifier.save()")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{meta_path}: not valid JSON ({exc}); the file is damaged") from None
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("snas-model/"):
            raise ModelFileError(
                f"{meta_path}: written in {fmt!r}, this snas reads {FORMAT!r}; "
                "fit the model again (or load it with the snas version that saved it)"
            )
        raise ModelFileError(f"{meta_path}: not an snas model file (expected format {FORMAT!r})")
    got = sha256_file(weights_path)
    if got != meta.get("weights_sha256"):
        raise ModelFileError(
            f"{weights_path}: sha256 {got} does not match model.json ({meta.get('weights_sha256')}); "
            "the weights were changed after saving — restore the original files"
        )
    rules_text = meta.get("rules_text")
    if rules_text is not None and sha256_bytes(rules_text.encode("utf-8")) != meta.get("rules_sha256"):
        raise ModelFileError(f"{meta_path}: the embedded rule text does not match its sha256; the file was edited")
    try:
        state = load_file(str(weights_path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise ModelFileError(f"{weights_path}: cannot read the weights ({exc})") from None
    return meta, state
