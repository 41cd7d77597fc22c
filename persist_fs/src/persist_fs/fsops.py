"""Symlink-proof file operations relative to directory descriptors, with kata's modes whatever the umask.

Every name is resolved with ``dir_fd`` and ``O_NOFOLLOW``: a symlink planted in the tree is refused or
removed, never followed, so no write, rename or delete can land outside the root. Descriptors are
``O_CLOEXEC`` so that a program started by the caller never inherits them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat

FILE_MODE = 0o600
DIR_MODE = 0o700

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
O_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC

# What open(O_NOFOLLOW | O_DIRECTORY) reports for a symlink or a non-directory in the way.
NOT_A_DIRECTORY = (errno.ELOOP, errno.ENOTDIR)


def same_inode(a: os.stat_result, b: os.stat_result) -> bool:
    return a.st_ino == b.st_ino and a.st_dev == b.st_dev


def close_quietly(fd: int | None) -> None:
    """Close on a path that is already failing: the first error is the one worth reporting."""
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def open_dir(name: str, dir_fd: int | None) -> int:
    """Open a real directory (never through a symlink) for use as ``dir_fd`` and for fsync."""
    return os.open(name, O_DIR, dir_fd=dir_fd)


def fix_mode(fd: int, mode: int, st: os.stat_result | None = None) -> None:
    """Give a file we created exactly ``mode``: open() and mkdir() only apply it minus the umask."""
    if st is None:
        st = os.fstat(fd)
    if stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)


def make_dir(name: str, dir_fd: int) -> int:
    """Create a 0700 directory and return it open; an existing one (not a symlink) is reused as is."""
    try:
        os.mkdir(name, DIR_MODE, dir_fd=dir_fd)
    except FileExistsError:
        return open_dir(name, dir_fd)
    fd = None
    try:
        fd = open_dir(name, dir_fd)
        fix_mode(fd, DIR_MODE)
    except BaseException:
        close_quietly(fd)
        with contextlib.suppress(OSError):
            os.rmdir(name, dir_fd=dir_fd)
        raise
    return fd


def make_own_dir(name: str, dir_fd: int) -> int:
    """``make_dir`` for a bookkeeping directory only we create: a symlink or file in its place is removed."""
    try:
        return make_dir(name, dir_fd)
    except OSError as exc:
        if exc.errno not in NOT_A_DIRECTORY:
            raise
    os.unlink(name, dir_fd=dir_fd)
    return make_dir(name, dir_fd)


def ensure_dir_path(path: str) -> None:
    """Create ``path`` and any missing parents as 0700; existing directories are left as they are."""
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, DIR_MODE)


def unlock_quietly(fd: int) -> None:
    """Drop an internal flock explicitly, so a child forked meanwhile cannot keep it alive."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


def read_fd(fd: int, size: int) -> bytes:
    """Everything from ``fd``, expected to be ``size`` bytes: one read(2) unless the file grew."""
    data = os.read(fd, size + 1)
    if len(data) > size:
        chunks = [data]
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        data = b"".join(chunks)
    return data


def read_file(name: str, dir_fd: int) -> tuple[bytes, os.stat_result]:
    """The whole file and its stat, in as many system calls as a plain read (open, fstat, read, close).

    Raises IsADirectoryError for anything that is not a regular file, and OSError(ELOOP) for a symlink.
    """
    fd = os.open(name, O_READ, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
        return read_fd(fd, st.st_size), st
    finally:
        os.close(fd)


# A reader's first read(2): most records are one read that returns less than this (kata's sandbox
# files are 5 to 11 KB), so their size is never asked for.
FIRST_READ = 1 << 16
# O_NONBLOCK: a FIFO planted in a record's place cannot make a reader wait (regular files ignore it).
O_READ_ANY = O_READ | os.O_NONBLOCK


def read_regular(name: str, dir_fd: int) -> bytes:
    """The whole of a file expected to be regular, in open, read, close (no fstat for a usual record).

    Only a first read that is empty or fills the buffer (an empty or large file, or a FIFO or device
    in its place) costs an fstat, which refuses what is not a regular file with IsADirectoryError, as
    a directory's read(2) does; OSError(ELOOP) for a symlink.
    """
    fd = os.open(name, O_READ_ANY, dir_fd=dir_fd)
    try:
        try:
            data = os.read(fd, FIRST_READ)
        except BlockingIOError:
            data = b""  # a FIFO with a writer: fstat refuses it below
        if 0 < len(data) < FIRST_READ:
            return data
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
        chunks = [data]
        while data:
            data = os.read(fd, FIRST_READ)
            chunks.append(data)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_new_file(name: str, data: bytes, dir_fd: int, *, sync: bool = True) -> os.stat_result:
    """Create ``name`` (0600, never following or truncating anything), write ``data``, fsync it.

    A file of that name already there is a leftover and is unlinked first: O_TRUNC would write through
    a hard link planted in its place.
    """
    try:
        fd = os.open(name, O_CREATE, FILE_MODE, dir_fd=dir_fd)
    except FileExistsError:
        os.unlink(name, dir_fd=dir_fd)
        fd = os.open(name, O_CREATE, FILE_MODE, dir_fd=dir_fd)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        st = os.fstat(fd)
        fix_mode(fd, FILE_MODE, st)
        if sync:
            os.fsync(fd)
    except BaseException:
        close_quietly(fd)
        raise
    os.close(fd)
    return st


def remove_dir_unlinking_first(
    name: str, dir_fd: int, first: str, missing_ok: tuple[type[OSError], ...] = (FileNotFoundError,)
) -> None:
    """Remove directory ``name`` (or whatever stands there), unlinking ``first`` inside it before the rest.

    ``first`` is the one entry readers look at (a container's persist.json, a tree's journal): gone first,
    a reader racing the removal sees the whole thing gone rather than a half-removed tree.
    """
    try:
        fd = open_dir(name, dir_fd)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno not in NOT_A_DIRECTORY:
            raise
    else:
        try:
            with contextlib.suppress(*missing_ok):
                os.unlink(first, dir_fd=fd)
        finally:
            os.close(fd)
    remove_entry(name, dir_fd)


def remove_entry(name: str, dir_fd: int) -> None:
    """Remove a file, symlink (not its target) or whole directory tree; a missing one is fine.

    shutil.rmtree with ``dir_fd`` walks by descriptors and never follows a symlink (on Linux). shutil is
    imported here, on the rare path that needs it: it costs the cold start more than anything else here.
    """
    import shutil

    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        shutil.rmtree(name, dir_fd=dir_fd)
    except PermissionError:
        # Some systems report EPERM, not EISDIR, for unlink() on a directory.
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            raise
        shutil.rmtree(name, dir_fd=dir_fd)
