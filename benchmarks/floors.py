"""The physical floor: the least a program can do to store, read, list and lock, in bare system calls.

Every driver figure is shown beside one of these, measured in the same run on the same filesystem, with
bytes encoded beforehand, so the ratio says what the driver adds (encoding included) over the kernel.
A durable write is kata's own recipe, done right: temporary file, write, fsync, rename over, fsync of
the directory; files go in kata's layout (``<sid>/persist.json``, ``<sid>/<cid>/persist.json``).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping

RECORD = "persist.json"
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def fsync_dir(path: str) -> None:
    fd = os.open(path, _DIR_FLAGS)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def write_durable(directory: str, data: bytes) -> None:
    """Replace ``directory/persist.json`` with ``data`` so that a crash leaves the old or the new file."""
    final = os.path.join(directory, RECORD)
    temporary = final + ".tmp"
    fd = os.open(temporary, _WRITE_FLAGS, 0o600)
    try:
        _write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, final)
    fsync_dir(directory)


def write_new_sandbox(root: str, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
    """A new sandbox's tree, durable: its directories, every container file, the sandbox file, then the root."""
    sandbox_dir = os.path.join(root, sandbox_id)
    os.mkdir(sandbox_dir, 0o700)
    for container_id in containers:
        os.mkdir(os.path.join(sandbox_dir, container_id), 0o700)
    for container_id, data in containers.items():
        write_durable(os.path.join(sandbox_dir, container_id), data)
    write_durable(sandbox_dir, sandbox)  # its directory's fsync also makes the container directories durable
    fsync_dir(root)


def record_paths(root: str, sandbox_id: str, container_ids: list[str]) -> list[str]:
    sandbox_dir = os.path.join(root, sandbox_id)
    return [os.path.join(sandbox_dir, RECORD)] + [os.path.join(sandbox_dir, cid, RECORD) for cid in container_ids]


def read_files(paths: list[tuple[str, int]]) -> None:
    """Read each file whose size is known: open, one read, close."""
    for path, size in paths:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.read(fd, size + 1)
        finally:
            os.close(fd)


def list_names(directory: str) -> list[str]:
    with os.scandir(directory) as entries:
        return [entry.name for entry in entries]


def lock_unlock(path: str) -> None:
    """Take and drop an exclusive flock: open, flock, close (closing releases it)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    finally:
        os.close(fd)


def replace_in_memory(sandbox_dir: str, files: Mapping[str, bytes]) -> None:
    """Replace each of ``files`` (paths relative to ``sandbox_dir``) atomically, as on tmpfs, where nothing
    needs an fsync: a temporary beside it, then a rename over it. The least an atomic save of these files
    can do in Python: no lock, journal, check or comparison, one directory opened for the lot."""
    dir_fd = os.open(sandbox_dir, _DIR_FLAGS)
    try:
        for relative, data in files.items():
            temporary = relative + ".tmp"
            fd = os.open(temporary, _WRITE_FLAGS, 0o600, dir_fd=dir_fd)
            try:
                _write_all(fd, data)
            finally:
                os.close(fd)
            os.rename(temporary, relative, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    finally:
        os.close(dir_fd)


#: One read(2) of this much takes a whole record in ``read_tree``: the comparison's records are at most 15 KiB
#: (persist's reader asks for as much in its first read).
_RECORD_READ = 1 << 16


def read_tree(sandbox_dir: str) -> tuple[bytes, dict[str, bytes]]:
    """A sandbox directory's records as kata's FromDisk finds them (each subdirectory is a container):
    the directory listed once, each record opened, read in one read(2) and closed."""
    dir_fd = os.open(sandbox_dir, _DIR_FLAGS)
    try:
        with os.scandir(dir_fd) as entries:
            names = [entry.name for entry in entries if entry.is_dir(follow_symlinks=False)]
        return _read(RECORD, dir_fd), {name: _read(f"{name}/{RECORD}", dir_fd) for name in names}
    finally:
        os.close(dir_fd)


def _read(relative: str, dir_fd: int) -> bytes:
    fd = os.open(relative, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        return os.read(fd, _RECORD_READ)
    finally:
        os.close(fd)
