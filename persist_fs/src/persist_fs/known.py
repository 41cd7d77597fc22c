"""What a file held when this driver last read it, so that a save need not read it again to compare.

A save rewrites only the files whose bytes change. Deciding "unchanged" wrongly would lose an update, so
it is proven, per file, on every save, by one of:

- reading the file and comparing its bytes; or
- a *trusted* entry: the file has exactly the identity (device, inode, size, mtime, ctime) it had when
  its bytes were read, and that identity is older than the moment of the reading.

The second is git's racy-timestamp rule. ``ctime`` cannot be set by any program (``utime`` sets mtime, and
moves ctime to now), and every change of a file's data or every replacement of the file gives it the
filesystem's current time as ctime. A stamp ``S`` from the same clock, taken no later than the reading
(the sandbox directory's ctime, read under the writers' lock before any file is looked at), bounds every
later change from below: a later change gets ``ctime >= S``. An entry whose ``ctime < S`` is therefore
trusted: any change since shows as another ctime. An entry with ``ctime >= S`` was read in the same clock
tick as it last changed (1 s on ext4 with 128-byte inodes, a few ms on tmpfs before Linux 6.13): a change
in that same tick could keep every field, so it is compared by content until a later reading proves it
old. Inode numbers reused by a replaced file are covered the same way (the new file's ctime is new).

What this trusts: that the filesystem clock does not step backwards past an entry's ctime (as git
does), and that files of other filesystems mounted inside a sandbox are never trusted (their clock may
be coarser than the stamp's; an entry must be on the sandbox directory's device).

A file this driver *wrote* is remembered without an identity: its bytes tell that a different new
record must be written (always safe), never that a file is unchanged. Bounded by the driver's
``cache_bytes``, least recently saved sandboxes first.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from typing import NamedTuple

from persist_core.lru import BoundedLRU

# Key within a sandbox: None for the sandbox file, else the container ID.
Key = str | None
_ENTRY_OVERHEAD = 64


class Identity(NamedTuple):
    """Which version of a file this is: any write, replacement or metadata change gives another."""

    device: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int


def identity(st: os.stat_result) -> Identity:
    return Identity(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def has_identity(st: os.stat_result, trusted: Identity) -> bool:
    """``identity(st) == trusted``, without building an Identity (a save asks this of every unchanged file)."""
    return trusted == (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Entry(NamedTuple):
    data: bytes
    #: Set only for a reading old enough to trust (see the module docstring); None: compare by content.
    trusted: Identity | None


def read_entry(data: bytes, st: os.stat_result, stamp: os.stat_result) -> Entry:
    """What a reading of ``data`` from a file whose stat (taken before the read) is ``st`` proves."""
    old_enough = st.st_ctime_ns < stamp.st_ctime_ns and st.st_dev == stamp.st_dev
    return Entry(data, identity(st) if old_enough else None)


def written_entry(data: bytes) -> Entry:
    return Entry(data, None)


def written_entries(written: Mapping[str, bytes]) -> dict[Key, Entry]:
    """``written_entry`` of each file a save wrote, in one pass."""
    return dict(zip(written, map(Entry, written.values(), itertools.repeat(None)), strict=True))


class KnownContents:
    def __init__(self, max_bytes: int) -> None:
        self._sandboxes: BoundedLRU[str, dict[Key, Entry]] = BoundedLRU(max_bytes)

    @property
    def enabled(self) -> bool:
        return self._sandboxes.max_size > 0

    def of(self, sandbox_id: str) -> dict[Key, Entry]:
        """A copy of what is known of one sandbox's files, to update during a save and store after it."""
        return dict(self._sandboxes.get(sandbox_id) or {})

    def store(self, sandbox_id: str, entries: dict[Key, Entry]) -> None:
        size = _ENTRY_OVERHEAD + sum(len(entry.data) for entry in entries.values())
        self._sandboxes.put(sandbox_id, entries, size)

    def forget(self, sandbox_id: str) -> None:
        self._sandboxes.pop(sandbox_id)
