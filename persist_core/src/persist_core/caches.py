"""The core's two caches, one pair per driver instance: they save work, never change a result.

- :class:`EncodedContainers` skips encoding a container that is, type for type and value for value, the
  *saved copy* (an exact copy) of one this driver encoded for the same sandbox before: its bytes are reused.
  The saved copy is made *before* encoding and the copy is what gets encoded, so the bytes are always the
  encoding of the saved copy, whatever the caller's threads do to their object meanwhile. The comparison is
  type-exact (``codec.exact``), so a value the codec refuses never matches one it accepted.
- :class:`DecodedRecords` hands out an exact copy of what the same bytes decoded to before, instead of
  decoding again. Bytes are admitted on their second sight, so a load of state never seen pays no copy
  (first sights are noted by hash alone, apart from what is kept). Only the model classes a driver loads
  are cached, and only copies are ever handed out.

Neither looks at the store: which bytes to write is still decided by the backend against what is really
stored (see docs/caching.md). Both are bounded by the driver's ``cache_bytes`` option (bytes of JSON; the
objects take a few times that); 0 turns them off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any, TypeVar

from persist_core import codec
from persist_core.codec.exact import Exact, NotExact
from persist_core.errors import InvalidArgumentError
from persist_core.lru import BoundedLRU
from persist_core.model import ContainerState

T = TypeVar("T")

#: Bytes of JSON each cache of a driver keeps by default.
DEFAULT_CACHE_BYTES = 8 << 20
#: What an entry is charged beyond its bytes, so that even empty entries are bounded in number.
_ENTRY_OVERHEAD = 64

_exact = Exact()
#: Bytes of ``cache_bytes`` per first sight a DecodedRecords notes (8 MiB: 8,192 hashes, about 0.8 MiB of memory).
_BYTES_PER_FIRST_SIGHT = 1024

#: A container as this driver last encoded it for a sandbox (an exact copy) and the bytes it encoded to.
SavedCopy = tuple[ContainerState, bytes]


def check_cache_bytes(value: object) -> int:
    """A ``cache_bytes`` option: an int >= 0, or its decimal text (as the CLI's ``-o`` passes it)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if type(value) is int and value >= 0:
        return value
    raise InvalidArgumentError(f"cache_bytes must be an integer >= 0 (0 turns caching off), got {value!r}")


class EncodedContainers:
    """Sandbox ID to {container ID: (saved copy, bytes)}; an empty map marks a sandbox saved once."""

    def __init__(self, max_bytes: int) -> None:
        self._sandboxes: BoundedLRU[str, dict[str, SavedCopy]] = BoundedLRU(max_bytes)

    def encode(self, sandbox_id: str, containers: Mapping[str, ContainerState]) -> dict[str, bytes]:
        """``codec.dumps`` of every container, reusing the bytes of exact saved copies.

        Copies are saved from a sandbox's second save on: a sandbox saved once is often never saved
        again, and its first save should not pay for copies.
        """
        previous = self._sandboxes.get(sandbox_id) if self._sandboxes.max_size else None
        documents: dict[str, bytes] = {}
        if previous is None:
            for container_id, state in containers.items():
                documents[container_id] = codec.dumps(state)
            if self._sandboxes.max_size:
                self._sandboxes.put(sandbox_id, {}, _ENTRY_OVERHEAD)
            return documents
        saved: dict[str, SavedCopy] = {}
        for container_id, state in containers.items():
            known = previous.get(container_id)
            if known is not None and _exact.same(known[0], state):
                documents[container_id] = known[1]
                saved[container_id] = known
                continue
            try:
                copied = _exact.copy(state)
            except NotExact:  # a type the codec may refuse or convert: encode the object itself, keep nothing
                documents[container_id] = codec.dumps(state)
                continue
            data = documents[container_id] = codec.dumps(copied)
            saved[container_id] = (copied, data)
        self._sandboxes.put(sandbox_id, saved, _saved_size(saved))
        return documents

    def forget(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id)


def _saved_size(saved: dict[str, SavedCopy]) -> int:
    return _ENTRY_OVERHEAD + sum(len(data) for _, data in saved.values())


class DecodedRecords:
    """(class, bytes) to a private decoded object; its exact copies are handed out.

    First sights are noted apart, by the hash of ``(class, bytes)`` in a set bounded in number (emptied
    when full): a restarting runtime's loads are all first sights, and noting one keeps no bytes alive,
    costs no LRU update and evicts no kept object. The set only decides when a copy is kept: a hash that
    collides keeps one a sight early, and what is kept and looked up is keyed by the whole bytes.
    """

    def __init__(self, max_bytes: int) -> None:
        self._records: BoundedLRU[tuple[type, bytes], Any] = BoundedLRU(max_bytes)
        self._first_sights: set[int] = set()
        self._max_first_sights = max(1, max_bytes // _BYTES_PER_FIRST_SIGHT)

    def loads(self, data: bytes, cls: type[T], source: str) -> T:
        """``codec.loads(data, cls, source=source)``, or an exact copy of what it returned before."""
        if not self._records.max_size or type(data) is not bytes:
            return codec.loads(data, cls, source=source)
        key = (cls, data)
        kept = self._records.get(key)
        if kept is not None:
            copied: T = _exact.copy(kept)
            return copied
        decoded = codec.loads(data, cls, source=source)
        sights, mark = self._first_sights, hash(key)
        if mark not in sights:
            if len(sights) >= self._max_first_sights:
                sights.clear()
            sights.add(mark)
            return decoded
        sights.discard(mark)  # second sight: from now on the kept copy stands for it
        with contextlib.suppress(NotExact):  # not kept then; its next sight counts as a first one again
            self._records.put(key, _exact.copy(decoded), _ENTRY_OVERHEAD + len(data))
        return decoded

    def clear(self) -> None:
        self._records.clear()
        self._first_sights.clear()


class DriverCaches:
    """Both caches of one driver instance, each holding at most ``max_bytes`` of JSON."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.encoded = EncodedContainers(max_bytes)
        self.decoded = DecodedRecords(max_bytes)
