"""Search progress on a terminal (or a log): phases, generations, evaluations per minute,
the current front. Lines go to stderr; nothing is printed when disabled."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["Progress"]


class Progress:
    """Timestamped progress lines; on a terminal, repeated lines of a phase overwrite each other."""

    def __init__(self, stream: Any, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and getattr(stream, "isatty", lambda: False)()
        self.start = time.monotonic()
        self._open = False

    def _stamp(self) -> str:
        m, s = divmod(int(time.monotonic() - self.start), 60)
        return f"[{m}m{s:02d}s]"

    def phase(self, text: str) -> None:
        """Start of a phase (always on its own line)."""
        self._end_line()
        self._write(f"{self._stamp()} {text}\n")

    def line(self, text: str) -> None:
        """A progress update within a phase."""
        if self.tty:
            self._write(f"\r\033[K{self._stamp()} {text}")
            self._open = True
        else:
            self._write(f"{self._stamp()} {text}\n")

    def note(self, text: str) -> None:
        if text:
            self.phase(text)

    def close(self) -> None:
        self._end_line()

    def _end_line(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()
