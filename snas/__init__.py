"""snas: neuro-symbolic, interpretable neural architecture search for regulated domains.

Rules written by domain experts become output shields, rule losses, knowledge neurons and
search-space constraints; a multi-objective search trades accuracy, complexity and rule
fidelity; the audit module turns the chosen model into EU AI Act evidence.

Public names are imported lazily so ``import snas`` stays fast (no torch until needed).
"""

from __future__ import annotations

import importlib
from typing import Any

from snas._version import __version__

_LAZY = {
    "SNASError": "snas.exceptions",
    "DatasetError": "snas.exceptions",
    "RuleError": "snas.exceptions",
    "RuleSyntaxError": "snas.exceptions",
    "RuleFileError": "snas.exceptions",
    "RuleConflictError": "snas.exceptions",
    "ConfigError": "snas.exceptions",
    "ModelFileError": "snas.exceptions",
    "load_dataset": ("snas.datasets", "load"),
    "from_frame": "snas.datasets",
    "Dataset": "snas.datasets",
    "load_rules": "snas.rules",
    "parse_rules": "snas.rules",
    "check_rules": "snas.rules",
    "import_prolog": "snas.rules",
    "RuleSet": "snas.rules",
    "NetworkSpec": "snas.nn",
    "Task": "snas.model",
    "FittedModel": "snas.model",
    "EnsembleModel": "snas.model",
    "SNASClassifier": "snas.estimator",
    "search": "snas.search",
    "load_config": "snas.search",
    "config_from_mapping": "snas.search",
    "RunDirectory": "snas.search",
    "SearchResult": "snas.search",
    "build_report": "snas.audit",
    "write_reports": "snas.audit",
    "AuditReport": "snas.audit",
}

__all__ = ["__version__", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'snas' has no attribute {name!r}")
    module, attr = (target, name) if isinstance(target, str) else target
    value = getattr(importlib.import_module(module), attr)
    if name == "search":  # the subpackage itself, callable: `import snas.search` rebinds the name to it anyway
        value = importlib.import_module(module)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
