"""``load()`` without locks: a read that overlaps a commit notices it and reads again.

The journal file works as a sequence lock. Every change a writer makes to what readers see is preceded
(or, for a multi-file commit, announced) by replacing ``.journal`` with a new inode, and a destroy
unlinks it from the renamed-away directory before removing anything. A reader keeps the journal it
started with open (so its inode number cannot be reused) and at the end checks that ``.journal`` is
still that inode; a tree kata wrote has no journal, and then the sandbox directory itself must still
be the one that was read. A journal that lists steps is a commit whose files are not all in place yet:
the reader takes the new file from its temporary wherever the rename has not happened, and leaves out
the containers being removed, so it sees exactly the committed state and never writes anything.

A load reads each record with open, read, close (no fstat: its identity is not needed, because a
load does not fill the writers' cache of known contents) and lists the directory once.

After a few reads spoiled by busy writers, the reader waits for the writers' directory lock (shared)
and reads once under it, so it cannot starve.

Nothing read may block or exhaust memory: files are opened O_NONBLOCK and what is not a regular file is
refused, and so is a record above the driver's ``max_record_size`` (or a journal above
``journal.MAX_SIZE``) before it is read. A sandbox directory (or journal) another user made or that
others may write into is refused too (``fsops.adoptable``).
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat

from persist_core.driver import Record, StoredSandbox
from persist_core.errors import CorruptStateError, InvalidIdError, SandboxNotFoundError, StorageError
from persist_core.ids import check_id
from persist_fs import fsops, journal
from persist_fs.dirs import Dirs
from persist_fs.layout import JOURNAL, PERSIST_FILE, SANDBOX_TMP, container_tmp, only_ids, scan

OPTIMISTIC_READS = 4
_O_READ = fsops.O_READ
_SLASH_PERSIST_FILE = "/" + PERSIST_FILE


class _Spoiled(Exception):
    """A writer committed while we read: read again."""


def load(dirs: Dirs, sandbox_id: str, max_record_size: int) -> StoredSandbox:
    path = f"{dirs.sbs_path}/{sandbox_id}"
    attempt = 0
    while True:
        sbs_fd = dirs.sbs(create=False)
        if sbs_fd is None:
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored ({dirs.sbs_path} does not exist)")
        try:
            dir_fd = os.open(sandbox_id, fsops.O_DIR, dir_fd=sbs_fd)
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
            return _read(dir_fd, sbs_fd, sandbox_id, path, max_record_size)
        except _Spoiled:
            attempt += 1
        except OSError as exc:
            raise StorageError(f"cannot read sandbox {sandbox_id!r} ({path}): {exc.strerror}") from exc
        finally:
            if locked:
                fsops.unlock_quietly(dir_fd)
            os.close(dir_fd)


def _read(dir_fd: int, sbs_fd: int, sandbox_id: str, path: str, max_record_size: int) -> StoredSandbox:
    try:
        journal_fd: int | None = os.open(JOURNAL, fsops.O_READ, dir_fd=dir_fd)
    except FileNotFoundError:
        journal_fd = None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise CorruptStateError(f"{path}/{JOURNAL} is a symlink; persist-fs does not follow it") from exc
        raise
    try:
        pinned = os.fstat(journal_fd if journal_fd is not None else dir_fd)
        had_journal = journal_fd is not None
        _check_pinned(pinned, dir_fd, sbs_fd, path, had_journal)
        try:
            stored = _read_pinned(dir_fd, journal_fd, pinned.st_size, path, max_record_size)
        except (CorruptStateError, OSError):
            if _unchanged(dir_fd, sbs_fd, sandbox_id, had_journal, pinned):
                raise
            raise _Spoiled from None
        if not _unchanged(dir_fd, sbs_fd, sandbox_id, had_journal, pinned):
            raise _Spoiled
    finally:
        if journal_fd is not None:
            os.close(journal_fd)
    return stored


def _check_pinned(pinned: os.stat_result, dir_fd: int, sbs_fd: int, path: str, had_journal: bool) -> None:
    """The journal must be a regular file of a sane size, and it and the directory ours (one fstat more
    when there is a journal: the directory's)."""
    if had_journal:
        where = f"{path}/{JOURNAL}"
        if not stat.S_ISREG(pinned.st_mode):
            raise CorruptStateError(f"{where} is not a regular file; destroy the sandbox to remove it")
        if pinned.st_size > journal.MAX_SIZE:
            raise CorruptStateError(
                f"{where} is {pinned.st_size} bytes, above a journal's limit of {journal.MAX_SIZE} bytes; not read"
            )
        directory = os.fstat(dir_fd)
        if not fsops.adoptable(directory, sbs_fd):
            raise fsops.not_adoptable(directory, path)
        if not fsops.adoptable(pinned, sbs_fd):
            raise fsops.not_adoptable(pinned, where)
    elif not fsops.adoptable(pinned, sbs_fd):
        raise fsops.not_adoptable(pinned, path)


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


def _read_pinned(dir_fd: int, journal_fd: int | None, journal_size: int, path: str, limit: int) -> StoredSandbox:
    """The state as of the pinned journal (an empty one, the usual case, is not even read)."""
    plan = None
    if journal_fd is not None and journal_size:
        try:
            data = fsops.read_fd(journal_fd, journal_size, journal.MAX_SIZE)
        except fsops.TooLarge as exc:
            raise _not_a_record(exc, path, JOURNAL) from exc
        plan = journal.decode(data, f"{path}/{JOURNAL}")
    if plan is not None:
        return _read_pending(dir_fd, plan, path, limit)
    with os.scandir(dir_fd) as entries:
        # kata's rule, from the entry types alone: a container is a real subdirectory.
        names = [entry.name for entry in entries if entry.name[0] != "." and entry.is_dir(follow_symlinks=False)]
    relative = PERSIST_FILE
    try:
        sandbox = fsops.read_regular(relative, dir_fd, limit)
        containers: dict[str, Record] = {}
        cids = only_ids(names)
        if len(cids) != len(names):
            _refuse_unnamed_containers(dir_fd, set(names).difference(cids), path)
        # fsops.read_regular, with its usual case inline: one Python call per record less.
        open_, read, close, first_read, read_rest = os.open, os.read, os.close, fsops.FIRST_READ, fsops.read_rest
        for cid in cids:
            relative = cid + _SLASH_PERSIST_FILE
            try:
                fd = open_(relative, _O_READ, dir_fd=dir_fd)
            except (FileNotFoundError, NotADirectoryError):
                continue  # kata's rule: a directory without persist.json is not a container
            try:
                try:
                    data = read(fd, first_read)
                except BlockingIOError:
                    data = b""  # a FIFO with a writer: read_rest refuses it
                if not 0 < len(data) < first_read or len(data) > limit:
                    data = read_rest(fd, data, relative, limit)
            finally:
                close(fd)
            containers[cid] = Record(data, path + "/" + relative)
    except OSError as exc:
        error = _not_a_record(exc, path, relative)
        if error is exc:
            raise
        raise error from exc
    return StoredSandbox(sandbox=Record(sandbox, f"{path}/{PERSIST_FILE}"), containers=containers)


def _read_pending(dir_fd: int, plan: journal.Plan, path: str, limit: int) -> StoredSandbox:
    """The state a committed plan makes, while its steps are not all applied: a file whose rename has
    not happened yet is read from its temporary, and the containers being removed are left out."""
    listing = scan(dir_fd)

    def read(relative: str, tmp: str | None) -> bytes | None:
        if tmp in listing.hidden:
            try:
                return fsops.read_regular(tmp, dir_fd, limit)
            except FileNotFoundError:
                pass  # renamed into place since we listed: the file itself now holds the same bytes
            except OSError as exc:
                error = _not_a_record(exc, path, tmp)
                if error is exc:
                    raise
                raise error from exc
        try:
            return fsops.read_regular(relative, dir_fd, limit)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            error = _not_a_record(exc, path, relative)
            if error is exc:
                raise
            raise error from exc

    _refuse_unnamed_containers(dir_fd, {name for name in listing.others if name not in plan.deletes}, path)
    sandbox = read(PERSIST_FILE, SANDBOX_TMP if plan.sandbox else None)
    containers: dict[str, Record] = {}
    for cid in listing.containers.union(plan.writes).difference(plan.deletes):
        relative = f"{cid}/{PERSIST_FILE}"
        data = read(relative, container_tmp(cid))
        if data is not None:  # kata's rule: a directory without persist.json is not a container
            containers[cid] = Record(data, f"{path}/{relative}")
    if sandbox is None:
        raise _not_a_record(FileNotFoundError(errno.ENOENT, "missing"), path, PERSIST_FILE)
    return StoredSandbox(sandbox=Record(sandbox, f"{path}/{PERSIST_FILE}"), containers=containers)


def _refuse_unnamed_containers(dir_fd: int, names: set[str], path: str) -> None:
    """kata reads every subdirectory holding a persist.json as a container; one whose name is no valid ID
    cannot be loaded, saved or removed by ID, so it is reported rather than silently left out."""
    for name in sorted(names):
        try:
            if not stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                continue
            os.stat(f"{name}/{PERSIST_FILE}", dir_fd=dir_fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            continue  # kata's rule: a directory without persist.json is not a container
        try:
            check_id(name, "container")
        except InvalidIdError as exc:
            raise CorruptStateError(
                f"{path}/{name}/{PERSIST_FILE}: kata would read it as a container, but persist cannot: {exc}"
            ) from None


def _not_a_record(exc: OSError, path: str, relative: str) -> Exception:
    """Why ``relative`` cannot be read as a record: corrupt state if the tree is wrong, else ``exc``."""
    location = f"{path}/{relative}"
    if isinstance(exc, FileNotFoundError) and relative == PERSIST_FILE:
        return CorruptStateError(f"{location} is missing: the sandbox directory has no state")
    if exc.errno == errno.ELOOP:
        return CorruptStateError(f"{location} is a symlink; persist-fs does not follow it")
    if exc.errno == errno.EISDIR:
        return CorruptStateError(f"{location} is not a regular file")
    if isinstance(exc, fsops.TooLarge):
        return CorruptStateError(
            f"{location} is {exc.size} bytes or more, above the limit of {exc.limit} bytes (the driver's "
            "max_record_size option); not read"
        )
    return exc
