"""``load()`` without locks: a read that overlaps a commit notices it and reads again.

The journal file works as a sequence lock. Every change a writer makes to what readers see is preceded
(or, for a multi-file commit, announced) by replacing ``.journal`` with a new inode, and a destroy
unlinks it from the renamed-away directory before removing anything. A reader keeps the journal it
started with open (so its inode number cannot be reused) and at the end checks that ``.journal`` is
still that inode; a tree kata wrote has no journal, and then the sandbox directory itself must still
be the one that was read. A journal that lists steps is a commit whose files are not all in place yet:
the reader takes the new file from its temporary wherever the rename has not happened, and leaves out
the containers being removed, so it sees exactly the committed state and never writes anything.

After a few reads spoiled by busy writers, the reader waits for the writers' directory lock (shared)
and reads once under it, so it cannot starve.
"""

from __future__ import annotations

import errno
import fcntl
import os

from persist_core.driver import Record, StoredSandbox
from persist_core.errors import CorruptStateError, SandboxNotFoundError, StorageError
from persist_fs import fsops, journal
from persist_fs.dirs import Dirs
from persist_fs.known import Key, KnownContents
from persist_fs.layout import JOURNAL, PERSIST_FILE, SANDBOX_TMP, container_tmp, scan

OPTIMISTIC_READS = 4


class _Spoiled(Exception):
    """A writer committed while we read: read again."""


def load(dirs: Dirs, known: KnownContents, sandbox_id: str) -> StoredSandbox:
    path = os.path.join(dirs.sbs_path, sandbox_id)
    attempt = 0
    while True:
        sbs_fd = dirs.sbs(create=False)
        if sbs_fd is None:
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored ({dirs.sbs_path} does not exist)")
        try:
            dir_fd = fsops.open_dir(sandbox_id, sbs_fd)
        except FileNotFoundError:
            if dirs.gone(sbs_fd):
                continue
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored (no {path})") from None
        except OSError as exc:
            if exc.errno in fsops.NOT_A_DIRECTORY:
                raise CorruptStateError(
                    f"{path} is a symlink or not a directory; persist-fs does not follow it (destroy removes it)"
                ) from exc
            raise StorageError(f"cannot read sandbox {sandbox_id!r} ({path}): {exc.strerror}") from exc
        locked = attempt >= OPTIMISTIC_READS
        try:
            if locked:
                fcntl.flock(dir_fd, fcntl.LOCK_SH)
            return _read(dir_fd, sbs_fd, sandbox_id, path, known)
        except _Spoiled:
            attempt += 1
        except OSError as exc:
            raise StorageError(f"cannot read sandbox {sandbox_id!r} ({path}): {exc.strerror}") from exc
        finally:
            if locked:
                fsops.unlock_quietly(dir_fd)
            os.close(dir_fd)


def _read(dir_fd: int, sbs_fd: int, sandbox_id: str, path: str, known: KnownContents) -> StoredSandbox:
    journal_path = os.path.join(path, JOURNAL)
    try:
        journal_fd: int | None = os.open(JOURNAL, fsops.O_READ, dir_fd=dir_fd)
    except FileNotFoundError:
        journal_fd = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CorruptStateError(f"{journal_path} is a symlink; persist-fs does not follow it") from exc
        raise
    try:
        pinned = os.fstat(journal_fd if journal_fd is not None else dir_fd)
        had_journal = journal_fd is not None
        try:
            stored, settled = _read_pinned(dir_fd, journal_fd, pinned.st_size, path)
        except (CorruptStateError, OSError):
            if _unchanged(dir_fd, sbs_fd, sandbox_id, had_journal, pinned):
                raise
            raise _Spoiled from None
        if not _unchanged(dir_fd, sbs_fd, sandbox_id, had_journal, pinned):
            raise _Spoiled
    finally:
        if journal_fd is not None:
            os.close(journal_fd)
    for key, data, st in settled:
        known.put(sandbox_id, key, fsops.identity(st), data)
    return stored


def _unchanged(dir_fd: int, sbs_fd: int, sandbox_id: str, had_journal: bool, pinned: os.stat_result) -> bool:
    """No commit began or ended since ``pinned`` (the journal, or the directory if it had none) was taken."""
    try:
        now = os.stat(JOURNAL, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        if had_journal:
            return False
        try:
            now = os.stat(sandbox_id, dir_fd=sbs_fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return fsops.same_inode(now, pinned)
    return had_journal and fsops.same_inode(now, pinned)


def _read_pinned(
    dir_fd: int, journal_fd: int | None, journal_size: int, path: str
) -> tuple[StoredSandbox, list[tuple[Key, bytes, os.stat_result]]]:
    """The state as of the pinned journal, and the settled files read (for the cache, once validated)."""
    plan = None
    if journal_fd is not None:
        plan = journal.decode(fsops.read_fd(journal_fd, journal_size), os.path.join(path, JOURNAL))
    listing = scan(dir_fd)
    pending_tmps = listing.hidden if plan is not None else frozenset()
    settled: list[tuple[Key, bytes, os.stat_result]] = []

    def read(key: Key, relative: str, tmp: str) -> bytes | None:
        if tmp in pending_tmps:
            try:
                return fsops.read_file(tmp, dir_fd)[0]
            except FileNotFoundError:
                pass  # renamed into place since we listed: the file itself now holds the same bytes
        try:
            data, st = fsops.read_file(relative, dir_fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            location = os.path.join(path, relative)
            if exc.errno == errno.ELOOP:
                raise CorruptStateError(f"{location} is a symlink; persist-fs does not follow it") from exc
            if exc.errno == errno.EISDIR:
                raise CorruptStateError(f"{location} is not a regular file") from exc
            raise
        settled.append((key, data, st))
        return data

    sandbox = read(None, PERSIST_FILE, SANDBOX_TMP if plan is not None and plan.sandbox else "")
    names = set(listing.containers)
    if plan is not None:
        names.update(plan.writes)
        names.difference_update(plan.deletes)
    containers: dict[str, Record] = {}
    for cid in names:
        relative = os.path.join(cid, PERSIST_FILE)
        data = read(cid, relative, container_tmp(cid))
        if data is not None:  # kata's rule: a directory without persist.json is not a container
            containers[cid] = Record(data, os.path.join(path, relative))
    if sandbox is None:
        raise CorruptStateError(f"{os.path.join(path, PERSIST_FILE)} is missing: the sandbox directory has no state")
    return StoredSandbox(sandbox=Record(sandbox, os.path.join(path, PERSIST_FILE)), containers=containers), settled
