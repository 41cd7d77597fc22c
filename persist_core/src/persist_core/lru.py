"""The one bounded, least-recently-used map behind every cache persist keeps (see docs/caching.md).

Each cache is owned by one driver instance and sized by its ``cache_bytes`` option; a size of 0 keeps
nothing, so every lookup misses and results are computed afresh. The size is the caller's measure of an
entry (bytes of JSON), not the memory the entry takes. Thread-safe; a forked child gets fresh guards, so
a lock held by a parent's thread at the fork can never deadlock it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_instances: weakref.WeakSet[BoundedLRU[object, object]] = weakref.WeakSet()


class BoundedLRU(Generic[K, V]):
    """At most ``max_size`` in total (each entry's size given when it is put); least recently used go first."""

    def __init__(self, max_size: int) -> None:
        if max_size < 0:
            raise ValueError(f"a cache size must be >= 0, got {max_size}")
        self.max_size = max_size
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._size = 0
        self._guard = threading.Lock()
        _instances.add(self)  # type: ignore[arg-type]

    def get(self, key: K) -> V | None:
        # No guard: OrderedDict's get and move_to_end are each one step under the GIL, and the sizes that
        # the guard protects are only changed by put and pop. An entry evicted in between is still returned
        # (it was valid when looked up).
        entry = self._entries.get(key)
        if entry is None:
            return None
        with contextlib.suppress(KeyError):
            self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Keep ``value``, charged ``size`` (an entry larger than the whole cache is not kept)."""
        with self._guard:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            if size > self.max_size:
                return
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_size:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._size -= dropped

    def pop(self, key: K) -> V | None:
        with self._guard:
            entry = self._entries.pop(key, None)
            if entry is None:
                return None
            self._size -= entry[1]
            return entry[0]

    def clear(self) -> None:
        with self._guard:
            self._entries.clear()
            self._size = 0

    @property
    def size(self) -> int:
        """The sum of the sizes of the entries kept."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    def _reset_guard(self) -> None:
        self._guard = threading.Lock()


def _reset_after_fork() -> None:
    for cache in list(_instances):
        cache._reset_guard()


os.register_at_fork(after_in_child=_reset_after_fork)
