"""``fail_next``: make the next operation of one kind raise a given error before it touches etcd.

For test suites that run against a real cluster and need a failed save or lock on demand; the same
contract as the memory driver's (``Capability.FAULT_INJECTION``).
"""

from __future__ import annotations

import threading

from persist_core.errors import InvalidArgumentError

OPERATIONS = ("save", "load", "destroy", "lock", "sandbox_ids")


class FaultInjection:
    """Pending faults, one per operation; each is raised once, and nothing is sent to etcd then."""

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
