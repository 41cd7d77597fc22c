"""A one-line progress bar on stderr for long copies; a dependency (tqdm, rich) would be more than this needs.

It shows the count, the percentage, the rate and the time left, e.g.
``copying [######..................] 500/2000 25% 180/s 0:08 left sbx-500``. It draws only when
asked to (``always``) or when stderr is a terminal and the copy has already run for ``delay`` seconds
(``auto``), so short copies and pipes stay clean. stdout stays free for results.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

MODES = ("auto", "always", "never")
_REDRAW_EVERY = 0.1  # seconds: enough for a person, cheap for thousands of sandboxes
_BAR_WIDTH = 24


def _columns(stream: TextIO) -> int:
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 80
    return columns or 80  # a terminal whose size was never set reports 0


def _rate(per_second: float) -> str:
    return f"{per_second:.1f}" if per_second < 10 else f"{per_second:.0f}"


def _duration(seconds: float) -> str:
    """``0:08``, ``12:30``, ``2:05:00``: what an operator deciding whether to wait needs."""
    minutes, secs = divmod(math.ceil(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``update(done, item)`` as work proceeds; leaving the ``with`` block erases the bar."""

    def __init__(
        self,
        total: int,
        *,
        label: str,
        stream: TextIO,
        mode: str = "auto",
        delay: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"progress mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.total = total
        self.label = label
        self.stream = stream
        self.enabled = mode == "always" or (mode == "auto" and stream.isatty())
        self.delay = 0.0 if mode == "always" else delay
        self.clock = clock
        self.started = clock()
        self.drawn = False
        self._last_draw = -math.inf

    def render(self, done: int, item: str) -> str:
        filled = _BAR_WIDTH * done // self.total if self.total else _BAR_WIDTH
        bar = "#" * filled + "." * (_BAR_WIDTH - filled)
        percent = 100 * done // self.total if self.total else 100
        text = f"{self.label} [{bar}] {done}/{self.total} {percent}%"
        elapsed = self.clock() - self.started
        if done and elapsed > 0:
            rate = done / elapsed
            text += f" {_rate(rate)}/s {_duration((self.total - done) / rate)} left"
        return f"{text} {item}"[: max(_columns(self.stream) - 1, 10)]

    def update(self, done: int, item: str = "") -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.started < self.delay or now - self._last_draw < _REDRAW_EVERY:
            return
        self._last_draw = now
        self.stream.write("\r\x1b[K" + self.render(done, item))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
