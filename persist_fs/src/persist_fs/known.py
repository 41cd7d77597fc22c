"""What this process last read or wrote at each path, so that a save rewrites only what changed.

An entry is trusted only while the file keeps the same identity (device, inode, size, mtime): a file
replaced or rewritten by anyone else is read again and compared. Bounded, least recently used first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from persist_fs.fsops import Identity

# Key within a sandbox: None for the sandbox file, else the container ID.
Key = str | None
MAX_BYTES = 64 << 20


class KnownContents:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._guard = threading.Lock()
        self._sandboxes: OrderedDict[str, dict[Key, tuple[Identity, bytes]]] = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes

    def reset_after_fork(self) -> None:
        self._guard = threading.Lock()

    def of(self, sandbox_id: str) -> dict[Key, tuple[Identity, bytes]]:
        """A copy of what is known about one sandbox's files: identity and bytes, by key."""
        with self._guard:
            return dict(self._sandboxes.get(sandbox_id, {}))

    def put(self, sandbox_id: str, key: Key, ident: Identity, data: bytes) -> None:
        with self._guard:
            entries = self._sandboxes.setdefault(sandbox_id, {})
            self._sandboxes.move_to_end(sandbox_id)
            old = entries.get(key)
            if old is not None:
                self._bytes -= len(old[1])
            entries[key] = (ident, data)
            self._bytes += len(data)
            while self._bytes > self._max_bytes and len(self._sandboxes) > 1:
                _, evicted = self._sandboxes.popitem(last=False)
                self._bytes -= sum(len(item[1]) for item in evicted.values())

    def forget(self, sandbox_id: str, key: Key = None, *, whole: bool = False) -> None:
        with self._guard:
            entries = self._sandboxes.get(sandbox_id)
            if entries is None:
                return
            if whole:
                del self._sandboxes[sandbox_id]
                self._bytes -= sum(len(item[1]) for item in entries.values())
            elif key in entries:
                self._bytes -= len(entries.pop(key)[1])
