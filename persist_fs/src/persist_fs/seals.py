"""What a sandbox held when this driver last committed it, trusted on one check instead of a stat per file.

After a commit that left nothing behind, the writer knows every byte of ``sbs/<sid>``: exactly the
sandbox and containers it was asked to save, with an empty ``.journal`` it made itself. It *seals*
that knowledge with:

- the ``.journal`` it made, kept **open**: while we hold it, its inode number cannot be given to
  another file, so "``.journal`` is still inode N" proves that no persist writer (of any process or
  driver instance) has committed since: every commit, first save, roll-forward and destroy of this
  driver replaces or removes ``.journal`` before it changes anything a reader sees;
- the identity of the sandbox's ``persist.json`` (device, inode, size, mtime): kata's ``ToDisk``
  rewrites that file in place first on every save, so it changes when kata has saved since;
- the identity of the directory (device, inode, mtime): any entry made or removed in it by anyone
  (kata adding a container, a tool removing one) changes its mtime.

The next save checks the three under the writers' lock (the directory's fstat is taken anyway, so two
stat calls) and, if all match, computes what changed from the sealed bytes, with no stat per file and
no directory scan. What this can miss is said in docs/fs.md ("Performance"). A seal is bounded (a
descriptor each), least recently used first; without one, a save takes the per-file path.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import NamedTuple

from persist_fs.fsops import Identity

MAX_SEALS = 64  # descriptors kept open
MAX_BYTES = 64 << 20


class Seal(NamedTuple):
    journal_fd: int  # the .journal we made, held open so that its inode number is not reused
    journal: Identity  # its device and inode (size 0; and mtime, so that a write into it is noticed)
    directory: tuple[int, int, int]  # sbs/<sid>: device, inode, mtime_ns
    sandbox_file: Identity  # sbs/<sid>/persist.json
    sandbox: bytes
    containers: Mapping[str, bytes]  # every container there is, and its persist.json

    @property
    def size(self) -> int:
        return len(self.sandbox) + sum(map(len, self.containers.values()))


def directory_id(st: os.stat_result) -> tuple[int, int, int]:
    return (st.st_dev, st.st_ino, st.st_mtime_ns)


class Seals:
    def __init__(self, max_seals: int = MAX_SEALS, max_bytes: int = MAX_BYTES) -> None:
        self._guard = threading.Lock()
        self._seals: OrderedDict[str, Seal] = OrderedDict()
        self._bytes = 0
        self._max_seals = max_seals
        self._max_bytes = max_bytes

    def reset_after_fork(self) -> None:
        self._guard = threading.Lock()

    def get(self, sandbox_id: str) -> Seal | None:
        with self._guard:
            return self._seals.get(sandbox_id)

    def put(self, sandbox_id: str, seal: Seal) -> None:
        """Install ``seal`` (the caller's descriptor is ours from now on), replacing the sandbox's old one."""
        dropped = []
        with self._guard:
            old = self._seals.pop(sandbox_id, None)
            if old is not None:
                self._bytes -= old.size
                dropped.append(old)
            self._seals[sandbox_id] = seal
            self._bytes += seal.size
            while len(self._seals) > 1 and (len(self._seals) > self._max_seals or self._bytes > self._max_bytes):
                _, evicted = self._seals.popitem(last=False)
                self._bytes -= evicted.size
                dropped.append(evicted)
        _close(dropped)

    def forget(self, sandbox_id: str) -> None:
        with self._guard:
            old = self._seals.pop(sandbox_id, None)
            if old is not None:
                self._bytes -= old.size
        if old is not None:
            _close([old])

    def close(self) -> None:
        with self._guard:
            dropped = list(self._seals.values())
            self._seals.clear()
            self._bytes = 0
        _close(dropped)


def _close(seals: list[Seal]) -> None:
    for seal in seals:
        with contextlib.suppress(OSError):
            os.close(seal.journal_fd)
