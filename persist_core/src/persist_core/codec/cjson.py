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
