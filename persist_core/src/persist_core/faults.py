"""``fail_next`` for drivers that declare ``Capability.FAULT_INJECTION``: the next operation of one kind
raises a given error before it touches the store.

Test suites use it to see how their code copes with a failed save or lock; every driver that offers it
shares this one implementation, so they all keep the same contract.
"""

from __future__ import annotations

import threading

from persist_core.errors import InvalidArgumentError

OPERATIONS = ("save", "load", "destroy", "lock", "sandbox_ids")


class FaultInjection:
    """Pending faults, one per operation; each is raised once, before the backend does anything."""

    def __init__(self) -> None:
        self._faults: dict[str, BaseException] = {}
        self._guard = threading.Lock()

    def fail_next(self, operation: str, exc: BaseException) -> None:
        """Make the next ``operation`` (save, load, destroy, lock, sandbox_ids) raise ``exc``, changing nothing."""
        if operation not in OPERATIONS:
            raise InvalidArgumentError(
                f"cannot inject a fault into {operation!r}; choose one of {', '.join(OPERATIONS)}"
            )
        if not isinstance(exc, BaseException):
            raise InvalidArgumentError(f"fail_next needs an exception instance, got {exc!r}")
        with self._guard:
            self._faults[operation] = exc

    def check(self, operation: str) -> None:
        """Raise the fault pending for ``operation``, if any."""
        with self._guard:
            exc = self._faults.pop(operation, None)
        if exc is not None:
            raise exc
