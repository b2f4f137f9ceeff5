"""The JSON Schema of rule files (shipped for editors; ``snas rules schema`` prints it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["rule_file_schema"]


def rule_file_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) that rule files follow."""
    return json.loads(Path(__file__).with_name("rules.schema.json").read_text(encoding="utf-8"))
