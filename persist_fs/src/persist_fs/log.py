"""The driver's logger, made on the first message: importing ``logging`` is ~2 ms of every cold start, and most
processes never log from here (warnings and crash recovery only)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import logging


@functools.cache
def log() -> logging.Logger:
    """The ``persist_fs`` logger."""
    import logging

    return logging.getLogger("persist_fs")
