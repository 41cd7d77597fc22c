"""Recently decoded records, by their bytes: decoding the same bytes again hands out a copy instead.

Runtimes load the same, unchanged state over and over; a copy of an earlier decode costs a fraction of
decoding, and it is exactly what decoding again would return (fresh objects, equal, of the same types,
nothing shared). The decoded originals are never handed out. Memory is bounded by the size of the
records kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from persist_core.codec.copies import Copier

#: Bytes of JSON whose decoded objects are kept (the objects take several times that).
MAX_BYTES = 8 * 1024 * 1024
#: Records larger than this are not kept: they would crowd out everything else.
MAX_RECORD_BYTES = 1024 * 1024


class RecentDecodes:
    """A least-recently-used map of (class, bytes) to what those bytes decoded to."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._entries: OrderedDict[tuple[type, bytes], Any] = OrderedDict()
        self._size = 0
        self._guard = threading.Lock()
        self._copier = Copier()

    def get(self, cls: type, data: bytes) -> Any | None:
        """A copy of what ``data`` decoded to as ``cls``, or None if it is not kept."""
        key = (cls, data)
        with self._guard:
            decoded = self._entries.get(key)
            if decoded is None:
                return None
            self._entries.move_to_end(key)
        return self._copier.copy(decoded)

    def keep(self, cls: type, data: bytes, decoded: Any) -> Any:
        """Keep ``decoded`` for ``data``; return the copy the caller may have."""
        if len(data) > MAX_RECORD_BYTES:
            return decoded
        key = (cls, data)
        with self._guard:
            if key not in self._entries:
                self._entries[key] = decoded
                self._size += len(data)
                while self._size > self._max_bytes:
                    (_, dropped), _ = self._entries.popitem(last=False)
                    self._size -= len(dropped)
        return self._copier.copy(decoded)

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._size = 0
