"""Ctrl-C during bulk work: finish the sandbox in hand, then stop and say how far the work got.

A KeyboardInterrupt raised at an arbitrary bytecode can land between a driver's steps (after a lock file
is made, before it is removed), leaving leftovers that ``check`` reports. So the first Ctrl-C only asks
the loop to stop at the next sandbox boundary; a second one interrupts at once, for an operator who
cannot wait (a lock wait, a hung backend).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class StopRequest:
    """Set by the first Ctrl-C; the bulk loop checks it between sandboxes."""

    def __init__(self) -> None:
        self.requested = False

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        # Nothing is printed here: a handler that writes could re-enter a write in progress.
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


@contextmanager
def deferred_interrupt() -> Iterator[StopRequest]:
    """Route SIGINT to a StopRequest for the duration (only the main thread can own signal handlers)."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = signal.signal(signal.SIGINT, stop._on_interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
