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
from typing import TYPE_CHECKING

from persist_core.errors import StorageError

if TYPE_CHECKING:
    from persist_fs.durability import FsyncPolicy

FILE_MODE = 0o600
DIR_MODE = 0o700

O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: a FIFO planted where persist expects a file cannot make an open or a read wait (regular
# files ignore the flag); what is not a regular file is then refused after an fstat.
O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
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


def inherit_owner(fd: int, parent: os.stat_result, st: os.stat_result | None = None) -> None:
    """Give a directory we created the owner and group of its parent, as kata's MkdirAllWithInheritedOwner
    does: a VMM running as the user who owns the root can read state a runtime running as root saved.
    Only root can give a directory away; anyone else owns what they create, as kata's rootless user does."""
    if os.geteuid() != 0:
        return
    if st is None:
        st = os.fstat(fd)
    if (st.st_uid, st.st_gid) != (parent.st_uid, parent.st_gid):
        os.fchown(fd, parent.st_uid, parent.st_gid)


def make_dir(name: str, dir_fd: int) -> int:
    """Create a 0700 directory owned like its parent and return it open; an existing one (not a
    symlink) is reused as is."""
    try:
        os.mkdir(name, DIR_MODE, dir_fd=dir_fd)
    except FileExistsError:
        return open_dir(name, dir_fd)
    fd = None
    try:
        fd = _open_new_dir(name, dir_fd)
        st = os.fstat(fd)
        fix_mode(fd, DIR_MODE, st)
        inherit_owner(fd, os.fstat(dir_fd), st)
    except BaseException:
        close_quietly(fd)
        with contextlib.suppress(OSError):
            os.rmdir(name, dir_fd=dir_fd)
        raise
    return fd


def _open_new_dir(name: str, dir_fd: int | None) -> int:
    """Open a directory we just made. Under a umask of 0o7xx it has no owner permissions, which stops
    everyone but root from opening it: then it is given its mode by name first. Only an unprivileged
    process gets there, and a chmod it could be tricked into applies only to its own files."""
    try:
        return open_dir(name, dir_fd)
    except PermissionError:
        os.chmod(name, DIR_MODE, dir_fd=dir_fd)
        return open_dir(name, dir_fd)


def make_own_dir(name: str, dir_fd: int) -> int:
    """``make_dir`` for a bookkeeping directory only we create: a symlink or file in its place is removed,
    and one another user made (or may write into) is refused (see ``check_adoptable``)."""
    try:
        fd = make_dir(name, dir_fd)
    except OSError as exc:
        if exc.errno not in NOT_A_DIRECTORY:
            raise
        os.unlink(name, dir_fd=dir_fd)
        fd = make_dir(name, dir_fd)
    try:
        check_adoptable(os.fstat(fd), dir_fd, name)
    except BaseException:
        os.close(fd)
        raise
    return fd


def fd_path(fd: int, name: str | None = None) -> str:
    """Where ``fd`` (and ``name`` in it) is, for an error message only (Linux's /proc; the name alone elsewhere)."""
    try:
        where = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return name or f"<descriptor {fd}>"
    return where if name is None else os.path.join(where, name)


def adoptable(st: os.stat_result, parent_fd: int) -> bool:
    """Whether a directory (or file) we are about to trust could only have been made and changed by
    someone who can change the store anyway: owned by us, by root or by the owner of its parent, and
    writable by nobody else."""
    if st.st_mode & 0o022:
        return False
    return st.st_uid in (os.geteuid(), 0) or st.st_uid == os.fstat(parent_fd).st_uid


def check_adoptable(st: os.stat_result, parent_fd: int, name: str) -> None:
    """``adoptable`` or StorageError naming the entry, its owner and mode."""
    if not adoptable(st, parent_fd):
        raise not_adoptable(st, fd_path(parent_fd, name))


def not_adoptable(st: os.stat_result, path: str) -> StorageError:
    return StorageError(
        f"{path} is owned by uid {st.st_uid} (gid {st.st_gid}) with mode {stat.S_IMODE(st.st_mode):04o}; "
        f"persist-fs uses only what its own user (uid {os.geteuid()}), root or the owner of the parent "
        "directory made, and nothing others may write into: remove it (or fix its owner and mode)"
    )


def ensure_dir_path(path: str, fsync: FsyncPolicy) -> None:
    """Create ``path`` and any missing parents as 0700, owned like the nearest existing parent (kata's
    MkdirAllWithInheritedOwner); existing directories are left as they are.

    Each directory made is made durable (its parent fsynced, unless ``fsync`` says the file system is
    in memory): a save into it that returned must not vanish with it after a power loss.
    """
    missing = []
    current = os.path.abspath(path)
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    owner = os.stat(current)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            owner = os.stat(directory)
            continue
        fd = _open_new_dir(directory, None)
        try:
            fix_mode(fd, DIR_MODE)
            inherit_owner(fd, owner)
        finally:
            os.close(fd)
        sync_dir_path(os.path.dirname(directory), fsync)


def sync_dir_path(path: str, fsync: FsyncPolicy) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        if fsync.needed(fd, os.fstat(fd)):
            os.fsync(fd)
    finally:
        os.close(fd)


def unlock_quietly(fd: int) -> None:
    """Drop an internal flock explicitly, so a child forked meanwhile cannot keep it alive."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


def read_fd(fd: int, size: int, limit: int | None = None) -> bytes:
    """Everything from ``fd``, expected to be ``size`` bytes: one read(2) unless the file grew (TooLarge,
    with at most one byte more read, if it grew past ``limit``)."""
    data = os.read(fd, size + 1)
    if len(data) > size:
        chunks = [data]
        total = len(data)
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            total += len(chunk)
            if limit is not None and total > limit:
                raise TooLarge(fd_path(fd), total, limit)
        data = b"".join(chunks)
    if limit is not None and len(data) > limit:
        raise TooLarge(fd_path(fd), len(data), limit)
    return data


class TooLarge(OSError):
    """A file above the size a caller accepts; nothing beyond the limit was read."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(errno.EFBIG, f"{size} bytes or more, above the limit of {limit} bytes", name)
        self.size = size
        self.limit = limit


def read_file(name: str, dir_fd: int, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """The whole file and its stat, in as many system calls as a plain read (open, fstat, read, close).

    Raises IsADirectoryError for anything that is not a regular file (a FIFO is opened without waiting
    for a writer), OSError(ELOOP) for a symlink, and TooLarge above ``limit`` bytes, before reading it.
    """
    fd = os.open(name, O_READ, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
        if limit is not None and st.st_size > limit:
            raise TooLarge(name, st.st_size, limit)
        return read_fd(fd, st.st_size, limit), st
    finally:
        os.close(fd)


# A reader's first read(2): most records are one read that returns less than this (kata's sandbox
# files are 5 to 11 KB), so their size is never asked for.
FIRST_READ = 1 << 16


def read_regular(name: str, dir_fd: int, limit: int) -> bytes:
    """The whole of a file expected to be regular, in open, read, close (no fstat for a usual record).

    Only a first read that is empty or fills the buffer (an empty or large file, or a FIFO or device
    in its place) costs an fstat, which refuses what is not a regular file with IsADirectoryError, as
    a directory's read(2) does, and a file above ``limit`` bytes with TooLarge before reading more of
    it; OSError(ELOOP) for a symlink.
    """
    fd = os.open(name, O_READ, dir_fd=dir_fd)
    try:
        try:
            data = os.read(fd, FIRST_READ)
        except BlockingIOError:
            data = b""  # a FIFO with a writer: fstat refuses it below
        if 0 < len(data) < FIRST_READ and len(data) <= limit:
            return data
        return read_rest(fd, data, name, limit)
    finally:
        os.close(fd)


def read_rest(fd: int, data: bytes, name: str, limit: int) -> bytes:
    """``read_regular`` after a first read that was not a whole usual record (empty, a full buffer, above
    ``limit``): refuse what is not a regular file or is too large, else read the rest."""
    if 0 < len(data) < FIRST_READ:
        raise TooLarge(name, len(data), limit)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "not a regular file", name)
    if max(st.st_size, len(data)) > limit:
        raise TooLarge(name, max(st.st_size, len(data)), limit)
    chunks = [data]
    total = len(data)
    while data:
        data = os.read(fd, min(FIRST_READ, limit + 1 - total))
        chunks.append(data)
        total += len(data)
        if total > limit:
            raise TooLarge(name, total, limit)  # it grew while we read
    return b"".join(chunks)


def write_new_file(name: str, data: bytes, dir_fd: int, sync: bool = True) -> os.stat_result:
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
        if data:
            written = os.write(fd, data)
            if written < len(data):  # a short write (a signal, a full disk): write the rest
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
        st = os.fstat(fd)
        if st.st_mode & 0o7777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)  # open() applied the umask
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
    """Remove a file, symlink (not its target) or whole directory tree; a missing one is fine."""
    try:
        os.unlink(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    except IsADirectoryError:
        remove_tree(name, dir_fd)
    except PermissionError:
        # Some systems report EPERM, not EISDIR, for unlink() on a directory.
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            raise
        remove_tree(name, dir_fd)


def remove_tree(name: str, dir_fd: int) -> None:
    """Remove directory ``name`` and everything in it, however deep, with two descriptors at most.

    No recursion and no descriptor per level (shutil.rmtree has both, so a few thousand nested
    directories raise RecursionError or run out of descriptors): every directory found below the top
    one is first renamed into the top one, so the tree is flat by the time it is emptied. Everything is
    reached through ``*at`` calls and O_NOFOLLOW, so no symlink is followed; a tree being removed is out
    of readers' sight (or no longer a container to them), so its shape may change on the way.
    """
    try:
        top = open_dir(name, dir_fd)
    except FileNotFoundError:
        return
    try:
        pending: list[str | None] = [None]  # None: the top directory itself; else a name in it
        while pending:
            current = pending.pop()
            try:
                fd = top if current is None else open_dir(current, top)
            except FileNotFoundError:
                continue
            try:
                with os.scandir(fd) as entries:
                    names = [entry.name for entry in entries]
                for child in names:
                    pending += _remove_or_lift(child, fd, top, lift=current is not None)
            finally:
                if fd != top:
                    os.close(fd)
            if current is not None:
                os.rmdir(current, dir_fd=top)
    finally:
        os.close(top)
    os.rmdir(name, dir_fd=dir_fd)


def _remove_or_lift(name: str, parent_fd: int, top_fd: int, *, lift: bool) -> list[str]:
    """Unlink ``name`` in ``parent_fd``; a directory is kept for later: moved up into ``top_fd`` if
    ``lift``. Returns the name (in ``top_fd``) of the directory still to empty, if any."""
    try:
        os.unlink(name, dir_fd=parent_fd)
        return []
    except FileNotFoundError:
        return []
    except (IsADirectoryError, PermissionError):
        try:
            st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        except FileNotFoundError:
            return []
        if not stat.S_ISDIR(st.st_mode):
            raise
    if not lift:
        return [name]
    while True:
        lifted = f".rm.{os.urandom(6).hex()}"
        try:
            os.rename(name, lifted, src_dir_fd=parent_fd, dst_dir_fd=top_fd)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno != errno.ENOTEMPTY:
                raise
            continue  # a directory of that name is there already: pick another name
        return [lifted]
