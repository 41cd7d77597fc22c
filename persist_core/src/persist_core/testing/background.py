"""Run a call in another thread and collect its outcome, failing the test instead of hanging it.

Threads are daemons: a driver that deadlocks fails one test with a message and does not keep the
interpreter from exiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

T = TypeVar("T")

#: How long the kit waits for anything that a correct driver does at once. Generous on purpose: only a
#: broken driver ever waits this long, and a loaded CI machine must never fail a correct one.
PATIENCE = 30.0

#: The patience left for the rest of a kit run once the driver has hung in one test: one hang costs the
#: full patience, the ones that follow it (a lock never released blocks many tests) only this.
PATIENCE_AFTER_A_HANG = 2.0


class DriverHangs(AssertionError):
    """Something a correct driver does promptly did not finish within the kit's patience."""

    #: How many have been raised in this process; the kit reads it between tests.
    raised: ClassVar[int] = 0

    def __init__(self, message: str) -> None:
        DriverHangs.raised += 1
        super().__init__(message)


class Background(Generic[T]):
    """``fn()`` running in a daemon thread; ``result()`` returns its value or raises its exception."""

    def __init__(self, fn: Callable[[], T], what: str) -> None:
        self._fn = fn
        self._what = what
        self._value: T | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"persist-conformance: {what}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread by result()
            self._error = exc
        finally:
            self._done.set()

    def done(self, timeout: float = 0) -> bool:
        """Whether the call has finished, waiting up to ``timeout`` seconds for it."""
        return self._done.wait(timeout)

    def result(self, timeout: float = PATIENCE) -> T:
        if not self._done.wait(timeout):
            raise DriverHangs(f"{self._what} did not finish within {timeout:g}s: the driver seems to hang")
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def in_background(fn: Callable[[], T], what: str) -> Background[T]:
    """Start ``fn`` in a daemon thread; ``what`` names it in the failure message if it hangs."""
    return Background(fn, what)
