"""A shared/exclusive lock with a timeout, owned by no thread, for drivers that live in one process.

It behaves like flock on separate open files: two exclusive holders exclude each other even in one
thread, and a shared holder does not block other shared holders.
"""

from __future__ import annotations

import threading

from persist_core.errors import LockTimeoutError


class SharedExclusiveLock:
    """Readers share, a writer excludes everyone; no writer preference (as flock)."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False

    def acquire(self, *, exclusive: bool, timeout: float | None, what: str = "lock") -> None:
        """Wait up to ``timeout`` seconds (None forever, 0 one try), else raise LockTimeoutError."""
        with self._condition:
            if exclusive:
                granted = self._condition.wait_for(lambda: not self._writer and not self._readers, timeout)
            else:
                granted = self._condition.wait_for(lambda: not self._writer, timeout)
            if not granted:
                kind = "exclusive" if exclusive else "shared"
                raise LockTimeoutError(f"timed out after {timeout}s waiting for the {kind} {what}")
            if exclusive:
                self._writer = True
            else:
                self._readers += 1

    def release(self, *, exclusive: bool) -> None:
        with self._condition:
            if exclusive:
                self._writer = False
            else:
                self._readers -= 1
            self._condition.notify_all()
