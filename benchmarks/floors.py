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


def write_durable(directory: str, data: bytes) -> None:
    """Replace ``directory/persist.json`` with ``data`` so that a crash leaves the old or the new file."""
    final = os.path.join(directory, RECORD)
    temporary = final + ".tmp"
    fd = os.open(temporary, _WRITE_FLAGS, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
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
