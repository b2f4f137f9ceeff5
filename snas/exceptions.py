"""The snas exception tree.

Every error snas raises on purpose derives from :class:`SNASError`; each subclass also
inherits the matching built-in so ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DatasetError",
    "ModelFileError",
    "NotFittedError",
    "RuleConflictError",
    "RuleError",
    "RuleFileError",
    "RuleSyntaxError",
    "SNASError",
]


class SNASError(Exception):
    """Root of every error snas raises on purpose (shown to users without a traceback)."""


class DatasetError(SNASError, ValueError):
    """A dataset manifest or data file is missing, malformed or fails its checksum."""


class ConfigError(SNASError, ValueError):
    """A search or audit configuration is invalid."""


class RuleError(SNASError, ValueError):
    """A rule file is invalid."""


class RuleSyntaxError(RuleError):
    """Rule text could not be parsed; carries file, line, column and a caret line.

    Parameters
    ----------
    message : str
        What is wrong and how to fix it.
    path : str or None
        The rule file, when known.
    line, column : int or None
        1-based position of the problem in ``path``.
    context : str
        The offending source line followed by a caret line.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        context: str = "",
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.context = context
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.path or "<rules>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        text = f"{where}: {self.message}"
        if self.context:
            text += "\n" + self.context
        return text


class RuleFileError(RuleSyntaxError):
    """A rule file that cannot be read at all (missing, a directory, no permission): an I/O
    error, not an error in the rules (``snas`` commands exit with 2 for it, not 1)."""


class RuleConflictError(RuleError):
    """Two hard rules with different heads can hold on the same row and nothing resolves it."""


class ModelFileError(SNASError, ValueError):
    """A saved model is missing, tampered with, or not an snas model."""


class NotFittedError(SNASError, AttributeError):
    """A method that needs a fitted estimator was called before ``fit``."""
