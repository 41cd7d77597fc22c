"""Sandbox locks as flock on one lock file per sandbox, next to the database.

flock gives what the driver contract asks for: shared and exclusive modes, exclusion across processes
and across threads (each acquire opens its own file, and flock locks belong to the open file), and
release when a holder dies. Lock files are never removed, so a held lock's file is never replaced.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from persist_core.errors import LockTimeoutError, StorageError

#: Longest sleep between two tries while waiting with a timeout.
_MAX_POLL = 0.05


def _try_flock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def acquire(directory: Path, sandbox_id: str, exclusive: bool, timeout: float | None) -> Callable[[], None]:
    """Take the lock (None waits forever, 0 tries once) and return the function that releases it."""
    name = f"{sandbox_id}.lock"
    if len(name) > 255:  # IDs may be 255 characters: hash the ones whose lock name would pass the name limit
        name = f"#{hashlib.sha256(sandbox_id.encode()).hexdigest()}.lock"
    path = directory / name
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise StorageError(f"cannot open the lock file {path}: {exc}") from exc
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        if timeout is None:
            fcntl.flock(fd, mode)
        elif not _wait(fd, mode, timeout):
            kind = "exclusive" if exclusive else "shared"
            raise LockTimeoutError(f"timed out after {timeout}s waiting for the {kind} lock of sandbox {sandbox_id!r}")
    except BaseException:
        os.close(fd)
        raise

    released = False

    def release() -> None:
        nonlocal released
        if not released:
            released = True
            os.close(fd)  # closing the last descriptor of the open file releases its flock

    return release


def _wait(fd: int, mode: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    pause = 0.001
    while not _try_flock(fd, mode):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, _MAX_POLL)
    return True
