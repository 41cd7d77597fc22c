"""When an fsync is worth its cost: never on a file system that lives in memory (tmpfs, ramfs).

On tmpfs and ramfs (kata's ``/run/vc``) a power loss empties the whole file system, so an fsync has
nothing to make durable; a killed process leaves the page cache, which *is* the file system, so the
rename and journal protocol alone gives the previous or the new state. There the fs driver skips its
fsyncs (``fsync="auto"``, the default); ``fsync="always"`` keeps them everywhere. On any other file
system nothing changes.

The type is asked of the kernel for the very directory being written (``fstatfs(2)``'s ``f_type``),
through ctypes because Python has no ``os.statfs``: an answer about the descriptor, whatever the mount
table looks like (``/proc/self/mountinfo`` would have to be parsed and matched by device number, and
holds thousands of lines on a busy Kubernetes node). A directory on a block device (major number not 0)
is a disk and is never asked about, so disk roots never load ctypes; anything unclear counts as a disk.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

from persist_core.errors import InvalidArgumentError

TMPFS_MAGIC = 0x01021994
RAMFS_MAGIC = 0x858458F6
MEMORY_FILESYSTEMS = frozenset({TMPFS_MAGIC, RAMFS_MAGIC})

AUTO = "auto"
ALWAYS = "always"
CHOICES = (AUTO, ALWAYS)


def fsync_choice(value: object) -> str:
    """The driver's ``fsync`` option: "auto" (the default: none on tmpfs and ramfs) or "always"."""
    if value is None:
        return AUTO
    if value not in CHOICES:
        raise InvalidArgumentError(f"fsync must be one of {', '.join(map(repr, CHOICES))}, got {value!r}")
    return str(value)


@functools.cache
def _fstatfs_type() -> Callable[[int], int | None] | None:
    """A function giving ``f_type`` of a descriptor's file system, or None where libc has no fstatfs."""
    try:
        import ctypes

        fstatfs = ctypes.CDLL(None, use_errno=True).fstatfs
    except (ImportError, OSError, AttributeError):
        return None
    fstatfs.argtypes = (ctypes.c_int, ctypes.c_void_p)
    fstatfs.restype = ctypes.c_int

    def f_type(fd: int) -> int | None:
        # struct statfs starts with f_type (a long on Linux's 64-bit ABIs); 256 bytes hold any ABI's struct.
        buffer = ctypes.create_string_buffer(256)
        if fstatfs(fd, buffer) != 0:
            return None
        return ctypes.c_ulong.from_buffer(buffer).value

    return f_type


def in_memory(fd: int, st: os.stat_result) -> bool:
    """Whether the directory ``fd`` (whose stat is ``st``) is on tmpfs or ramfs."""
    if os.major(st.st_dev) != 0:
        return False  # a block device: a disk
    f_type = _fstatfs_type()
    return f_type is not None and f_type(fd) in MEMORY_FILESYSTEMS


class FsyncPolicy:
    """Whether a save or destroy in a directory must fsync (see the module docstring)."""

    def __init__(self, choice: str) -> None:
        self.choice = choice

    def needed(self, fd: int, st: os.stat_result) -> bool:
        return self.choice == ALWAYS or not in_memory(fd, st)
