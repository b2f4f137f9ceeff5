"""Search progress on a terminal (or a log): phases, generations, evaluations per minute,
the current front. Lines go to stderr; nothing is printed when disabled."""

from __future__ import annotations

import time
from typing import Any

__all__ = ["Progress"]


class Progress:
    """Progress lines stamped with the time since the search started (``[at 1m05s]``: a
    clock reading, not a duration); a phase ends with a line giving its own duration
    (``supernet took 14.2s``). On a terminal, repeated lines of a phase overwrite each other."""

    def __init__(self, stream: Any, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = enabled and getattr(stream, "isatty", lambda: False)()
        self.start = time.monotonic()
        self._open = False
        self._phase: tuple[str, float] | None = None  # (name, when it started)

    def _stamp(self) -> str:
        m, s = divmod(int(time.monotonic() - self.start), 60)
        return f"[at {m}m{s:02d}s]"

    def phase(self, text: str) -> None:
        """Start of a phase (always on its own line); the phase before it ends here."""
        self._finish_phase()
        self._write(f"{self._stamp()} {text}\n")
        self._phase = (text.split(":", 1)[0], time.monotonic())

    def line(self, text: str) -> None:
        """A progress update within a phase."""
        if self.tty:
            self._write(f"\r\033[K{self._stamp()} {text}")
            self._open = True
        else:
            self._write(f"{self._stamp()} {text}\n")

    def note(self, text: str) -> None:
        """A line of its own within the current phase."""
        if text:
            self._end_line()
            self._write(f"{self._stamp()} {text}\n")

    def close(self) -> None:
        self._finish_phase()

    def _finish_phase(self) -> None:
        """The current phase's own duration, on a line of its own."""
        self._end_line()
        if self._phase is not None:
            name, began = self._phase
            self._phase = None
            self._write(f"{self._stamp()} {name} took {time.monotonic() - began:.1f}s\n")

    def _end_line(self) -> None:
        if self._open:
            self._write("\n")
            self._open = False

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()
