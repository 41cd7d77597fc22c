"""msgspec, imported on the first record parsed or written rather than at start (it adds ~5 ms to an import
of persist that may never read a record, as in ``persist --help`` or a lock-only process)."""

from __future__ import annotations

import functools
from types import ModuleType


@functools.cache
def msgspec_or_none() -> ModuleType | None:
    """``msgspec`` with its ``json`` module, or None where it is not installed (every shortcut then takes the
    full way)."""
    try:
        import msgspec.json
    except ImportError:  # pragma: no cover - msgspec is a dependency of persist-core
        return None
    return msgspec


@functools.cache
def msgspec_refusals() -> tuple[type[Exception], ...]:
    """What msgspec raises when it will not read bytes as given: its DecodeError (a ValueError only in recent
    versions) and, in some versions, a UnicodeDecodeError for invalid UTF-8. The shortcuts take each as "not
    sure" and hand the bytes to the full way."""
    msgspec = msgspec_or_none()
    return (ValueError,) if msgspec is None else (msgspec.DecodeError, ValueError)
