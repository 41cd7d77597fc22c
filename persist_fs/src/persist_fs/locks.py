"""``driver.lock()``: flock on ``sbs/.locks/<sid>``, shared or exclusive, with a timeout.

Each acquire opens its own file description, so holders exclude each other across processes and across
threads of one process alike, and a killed holder's lock goes with its last descriptor. A forked child
never holds or keeps alive a lock of its parent: every lock descriptor is registered the moment it is
opened (under a guard that a fork waits for, so even one a thread is still waiting on is), the child
closes its copies as soon as it runs, and the parent releases with LOCK_UN before closing, so that a
child that has not run yet cannot keep the lock alive for that moment either (the child never uses its
copies, so dropping the lock for them takes nothing from it). Lock files are opened O_NONBLOCK, and what
is not a regular file is refused, so a FIFO planted in the way cannot make even ``lock(timeout=0)`` wait.

The lock file is never replaced while held. The last exclusive holder of a sandbox destroyed meanwhile
removes the file as it lets go (destroy removes it at once if nobody holds it): waiters notice that the
file they locked has no name any more and start over on a fresh one, so lock files do not pile up.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import threading
import time
from collections.abc import Callable
from typing import ClassVar

from persist_core.driver import Release
from persist_core.errors import LockTimeoutError, StorageError
from persist_fs import fsops
from persist_fs.dirs import Dirs
from persist_fs.layout import LOCKS_DIR

O_LOCK = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_FIRST_POLL = 0.001
_MAX_POLL = 0.05


class _Held:
    """Descriptors of the locks this process holds or waits for, by token. A fork waits for the guard,
    so no descriptor can be open and not yet registered when it happens; the child gets a new guard."""

    fds: ClassVar[dict[object, int]] = {}
    guard: ClassVar[threading.Lock] = threading.Lock()


def _before_fork() -> None:
    _Held.guard.acquire()


def _after_fork_in_parent() -> None:
    _Held.guard.release()


def _close_inherited_locks() -> None:
    """In a forked child: close the copies of the parent's lock descriptors (they stay the parent's)."""
    _Held.guard = threading.Lock()
    for fd in _Held.fds.values():
        fsops.close_quietly(fd)
    _Held.fds.clear()


os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_close_inherited_locks)


def _flock(fd: int, operation: int, deadline: float | None) -> bool:
    """flock with a deadline: flock(2) has no timeout, so a bounded wait polls with backoff."""
    if deadline is None:
        fcntl.flock(fd, operation)
        return True
    delay = _FIRST_POLL
    while True:
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(delay, remaining))
        delay = min(delay * 2, _MAX_POLL)


def _open_lock_file(locks_fd: int, name: str) -> int:
    try:
        return _open_existing(locks_fd, name)
    except FileNotFoundError:
        pass
    try:
        fd = os.open(name, O_LOCK | os.O_CREAT | os.O_EXCL, fsops.FILE_MODE, dir_fd=locks_fd)
    except FileExistsError:
        return _open_existing(locks_fd, name)
    try:
        fsops.fix_mode(fd, fsops.FILE_MODE)
    except BaseException:
        fsops.close_quietly(fd)
        raise
    return fd


def _open_existing(locks_fd: int, name: str) -> int:
    """An existing lock file, refused (EISDIR) unless it is a regular file: a FIFO, device or directory
    is not what persist-fs made, and locking it could wait or act on something else."""
    fd = os.open(name, O_LOCK, dir_fd=locks_fd)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
    except BaseException:
        fsops.close_quietly(fd)
        raise
    return fd


def _unlink_if_same(locks_fd: int, name: str, fd: int) -> None:
    """Remove the lock file if its name still leads to the file ``fd`` holds exclusively."""
    try:
        st = os.stat(name, dir_fd=locks_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if fsops.same_inode(st, os.fstat(fd)):
        os.unlink(name, dir_fd=locks_fd)


class SandboxLocks:
    """The lock files of one store."""

    def __init__(self, dirs: Dirs, is_stored: Callable[[str], bool]) -> None:
        self._dirs = dirs
        self._is_stored = is_stored
        # Sandboxes destroyed while their lock was held: the lock file goes when its holder lets go.
        # (Checked on release without a system call; other leftover lock files go with clean_leftovers.)
        self._destroyed_while_held: set[str] = set()

    def path(self, sandbox_id: str) -> str:
        return os.path.join(self._dirs.sbs_path, LOCKS_DIR, sandbox_id)

    def acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        deadline = None if timeout is None else time.monotonic() + timeout
        operation = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        while True:
            token = object()
            try:
                with _Held.guard:  # registered before any wait: a fork meanwhile closes the child's copy
                    locks_fd, fd = self._open(sandbox_id)
                    _Held.fds[token] = fd
            except OSError as exc:
                raise self._error(sandbox_id, exc) from exc
            try:
                granted = _flock(fd, operation, deadline)
                removed = granted and os.fstat(fd).st_nlink == 0
            except OSError as exc:
                self._drop(token)
                raise self._error(sandbox_id, exc) from exc
            except BaseException:
                self._drop(token)
                raise
            if not granted:
                self._drop(token)
                kind = "exclusive" if exclusive else "shared"
                raise LockTimeoutError(
                    f"{kind} lock of sandbox {sandbox_id!r} not granted within {timeout} s: another "
                    f"process or thread holds it ({self.path(sandbox_id)})"
                )
            if removed:  # the file was removed while we waited: lock the current one instead
                self._drop(token)
                self._dirs.gone(locks_fd)
                continue
            return lambda: self._release(token, sandbox_id, exclusive)

    @staticmethod
    def _drop(token: object) -> None:
        """Release and close a lock's descriptor, under the guard: a fork never sees it open but unregistered."""
        with _Held.guard:
            fd = _Held.fds.pop(token, None)
            if fd is not None:
                fsops.unlock_quietly(fd)
                fsops.close_quietly(fd)

    def _open(self, sandbox_id: str) -> tuple[int, int]:
        try:
            locks_fd = self._dirs.locks()
            return locks_fd, _open_lock_file(locks_fd, sandbox_id)
        except FileNotFoundError:
            if not self._dirs.refresh():  # the root was wiped under us: open the new directories once
                raise
            locks_fd = self._dirs.locks()
            return locks_fd, _open_lock_file(locks_fd, sandbox_id)

    def _release(self, token: object, sandbox_id: str, exclusive: bool) -> None:
        with _Held.guard:
            fd = _Held.fds.get(token)
        if fd is None:  # already released, or we are a forked child and it was never ours
            return
        try:
            if sandbox_id in self._destroyed_while_held:
                self._destroyed_while_held.discard(sandbox_id)
                if exclusive and not self._is_stored(sandbox_id):
                    _unlink_if_same(self._dirs.locks(), sandbox_id, fd)
        except OSError:
            pass  # tidying only: the lock is released by the close below either way
        finally:
            self._drop(token)

    def destroyed(self, sandbox_id: str) -> None:
        """The sandbox is gone: remove its lock file now if nobody holds it, else when its holder lets go."""
        try:
            held = self.prune(sandbox_id, dry_run=False) is None
        except OSError:
            return  # tidying only
        if held:
            self._destroyed_while_held.add(sandbox_id)

    def prune(self, sandbox_id: str, *, dry_run: bool, locks_fd: int | None = None) -> bool | None:
        """Remove the lock file of a sandbox that is not stored if nobody holds it.

        True if it goes (or would), False if there is none or the sandbox is stored, None if it is held.
        """
        if locks_fd is None:
            locks_fd = self._dirs.existing_locks()
            if locks_fd is None:
                return False
        try:
            fd = os.open(sandbox_id, O_LOCK, dir_fd=locks_fd)
        except FileNotFoundError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            if self._is_stored(sandbox_id):
                return False
            if not dry_run:
                _unlink_if_same(locks_fd, sandbox_id, fd)
            return True
        finally:
            fsops.unlock_quietly(fd)  # a child forked meanwhile must not keep it
            os.close(fd)

    def _error(self, sandbox_id: str, exc: OSError) -> StorageError:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EISDIR):
            return StorageError(
                f"cannot lock sandbox {sandbox_id!r}: {self.path(sandbox_id)} or its directory is a symlink or "
                "not what persist-fs made; refusing to follow it"
            )
        return StorageError(f"cannot lock sandbox {sandbox_id!r} ({self.path(sandbox_id)}): {exc.strerror}")
