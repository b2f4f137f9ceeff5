"""Worker processes for stand-alone training: ``python -m snas.search._workers``.

Each worker is a fresh interpreter (never a re-import of the caller's script, so scripts
and notebooks need no ``if __name__ == "__main__"`` guard) with one torch thread. It
receives the task and the data once, then one job at a time, over its standard input and
output (length-prefixed messages between snas's own processes; nothing read from disk is
ever decoded this way). When the parent goes away the worker's input closes and it exits.
"""

from __future__ import annotations

import os
import pickle  # safe: only messages between snas's own processes over a private pipe
import queue
import struct
import subprocess
import sys
import threading
import warnings
from typing import IO, Any

__all__ = ["WorkerPool"]

_HEADER = struct.Struct("!Q")


def _send(stream: IO[bytes], obj: Any) -> None:
    _send_blob(stream, pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))  # safe: internal IPC


def _send_blob(stream: IO[bytes], blob: bytes) -> None:
    stream.write(_HEADER.pack(len(blob)))
    stream.write(blob)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(head)
    blob = stream.read(size)
    if len(blob) < size:
        raise EOFError
    return pickle.loads(blob)  # safe: written by the parent snas process over a private pipe


class _Worker:
    def __init__(self, init: bytes) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "snas.search._workers"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        # the task and data exceed a pipe's buffer: sending them waits until the new
        # interpreter has imported torch (seconds), so it happens beside the caller's work
        self.send_failed = False
        self.sending = threading.Thread(target=self._send_init, args=(init,), daemon=True)
        self.sending.start()

    def _send_init(self, init: bytes) -> None:
        try:
            assert self.proc.stdin is not None
            _send_blob(self.proc.stdin, init)
        except OSError:  # the worker died at start: its first call says so
            self.send_failed = True

    def call(self, args: tuple[Any, ...]) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.sending.join()
        if self.send_failed:
            raise RuntimeError(f"a training worker (pid {self.proc.pid}) stopped unexpectedly")
        try:
            _send(self.proc.stdin, args)
            ok, value = _receive(self.proc.stdout)
        except (EOFError, BrokenPipeError):
            raise RuntimeError(f"a training worker (pid {self.proc.pid}) stopped unexpectedly") from None
        if not ok:
            raise RuntimeError(f"a training worker failed:\n{value}")
        value, caught = value
        for category, message in caught:  # once each in this process, as if raised here
            warnings.warn(message, category, stacklevel=2)
        return value

    def close(self) -> None:
        if self.sending.is_alive():  # never got a job: not worth waiting for its torch import
            self.proc.kill()
            self.sending.join()
            self.proc.wait()
            return
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (subprocess.TimeoutExpired, OSError):
                self.proc.kill()


class WorkerPool:
    """``n`` worker processes; :meth:`call` runs ``run_job(*args)`` on an idle one. ``init``
    (the task and the data) is pickled once, here, and sent to every worker."""

    def __init__(self, n: int, init: tuple[Any, ...]) -> None:
        blob = pickle.dumps(init, protocol=pickle.HIGHEST_PROTOCOL)  # safe: internal IPC
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.workers = [_Worker(blob) for _ in range(n)]
        for w in self.workers:
            self.idle.put(w)

    def call(self, *args: Any) -> Any:
        worker = self.idle.get()
        try:
            return worker.call(args)
        finally:
            self.idle.put(worker)

    def close(self) -> None:
        for w in self.workers:
            w.close()


def _portable(caught: list[warnings.WarningMessage]) -> list[tuple[type[Warning], str]]:
    """Distinct (category, text) of the warnings a job raised, for users: deprecations (a
    library's note to its developers) are left out; a category the parent could not import
    (defined in a function) becomes UserWarning."""
    out: dict[tuple[type[Warning], str], None] = {}
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        try:
            pickle.loads(pickle.dumps(w.category))  # safe: our own object, never read from disk
            category = w.category
        except (pickle.PicklingError, AttributeError, TypeError):
            category = UserWarning
        out[(category, str(w.message))] = None
    return list(out)


def _serve() -> None:
    """The worker's loop: initialise from the first message, then answer jobs until EOF."""
    import traceback

    protocol_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the protocol
    stdin = sys.stdin.buffer
    from snas.search._jobs import init_worker, run_job

    try:
        init_worker(*_receive(stdin))
        while True:
            args = _receive(stdin)
            reply: tuple[bool, Any]
            try:
                with warnings.catch_warnings(record=True) as caught:  # what would show here: the parent shows it
                    value = run_job(*args)
                reply = (True, (value, _portable(caught)))
            except Exception:  # reported to the parent, which raises it
                reply = (False, traceback.format_exc())
            _send(protocol_out, reply)
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return


if __name__ == "__main__":
    _serve()
