"""The idempotent steps commits are made of, which the next writer (or the repair tool) repeats to
finish a commit whose writer was killed after its commit point."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Callable

from persist_core.errors import CorruptStateError
from persist_fs import fsops, journal
from persist_fs.layout import (
    JOURNAL,
    JOURNAL_TMP,
    PERSIST_FILE,
    SANDBOX_TMP,
    Listing,
    container_tmp,
    is_our_temporary,
    scan,
)
from persist_fs.log import log


def describe(exc: OSError) -> str:
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


class SyncFailed(OSError):
    """An fsync failed. Linux reports a writeback error once per open file description and then forgets
    it, so the same fsync "succeeds" if repeated: such a failure is never retried, only reported."""


class NotDurable(Exception):
    """The fsync that makes a commit durable failed after its commit point: the new state is in place
    (readers see it) but may not survive a crash of the machine. The OSError is chained."""

    def __init__(self, what: str, exc: OSError) -> None:
        super().__init__(f"{what} failed ({describe(exc)})")


def sync(fd: int, what: str) -> None:
    """fsync ``fd``; a failure raises SyncFailed (an OSError), which ``best_effort`` does not retry."""
    try:
        os.fsync(fd)
    except OSError as exc:
        raise SyncFailed(exc.errno, f"{what}: {exc.strerror or exc}", exc.filename) from exc


def sync_commit(fd: int, what: str) -> None:
    """fsync ``fd`` to make a commit durable; NotDurable if that fails (never retried, never ignored)."""
    try:
        os.fsync(fd)
    except OSError as exc:
        raise NotDurable(what, exc) from exc


def best_effort(step: Callable[[], object], what: str) -> bool:
    """A step whose failure must not fail the operation (past its commit point, or only tidying):
    retry it once, then log it; the next writer finishes it. False if it failed. A failed fsync
    (SyncFailed) is not retried: on the same descriptor the retry would "succeed" without syncing."""
    for attempt in (1, 2):
        try:
            step()
            return True
        except OSError as exc:
            if attempt == 2 or isinstance(exc, SyncFailed):
                log().error("persist-fs: %s failed: %s", what, describe(exc))
                return False
    return False


def lock_sandbox_dir(dir_fd: int, sandbox_id: str, sbs_fd: int, *, adopt: bool = True) -> os.stat_result | None:
    """Take the writers' lock (kata's own lock: flock on the sandbox directory) and return the
    directory's stat; None if it was renamed away (destroyed) while we waited. Unless ``adopt`` is
    False (destroy, which removes it), a directory another user made or may write into is refused
    with StorageError (``fsops.adoptable``): we never commit into it."""
    fcntl.flock(dir_fd, fcntl.LOCK_EX)
    try:
        current = os.stat(sandbox_id, dir_fd=sbs_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    mine = os.fstat(dir_fd)
    if not fsops.same_inode(current, mine):
        return None
    if adopt:
        fsops.check_adoptable(mine, sbs_fd, sandbox_id)
    return mine


def bump(dir_fd: int) -> None:
    """Replace ``.journal`` by a new empty file: readers that started before will read again."""
    fsops.write_new_file(JOURNAL_TMP, b"", dir_fd, sync=False)
    os.rename(JOURNAL_TMP, JOURNAL, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


def has_record(dir_fd: int, cid: str) -> bool:
    try:
        os.stat(f"{cid}/{PERSIST_FILE}", dir_fd=dir_fd, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def container_dir(dir_fd: int, cid: str) -> tuple[int, bool]:
    """The container's directory, open, and whether we made it; a symlink or file in its place goes."""
    try:
        return fsops.open_dir(cid, dir_fd), False
    except FileNotFoundError:
        pass
    except OSError as exc:
        if exc.errno not in fsops.NOT_A_DIRECTORY:
            raise
        os.unlink(cid, dir_fd=dir_fd)  # not a directory, so not a container to any reader
    return fsops.make_dir(cid, dir_fd), True


def remove_container(dir_fd: int, cid: str) -> None:
    """Unlink persist.json first (the one step readers see), then the rest of the directory."""
    fsops.remove_dir_unlinking_first(cid, dir_fd, PERSIST_FILE, (FileNotFoundError, IsADirectoryError))


def roll_forward(dir_fd: int, plan: journal.Plan, *, durable: bool) -> None:
    """Apply a committed plan (again): a step already done is skipped. Ends with an empty journal.

    Unless ``durable`` (a file system in memory: durability.py), nothing is fsynced, and each container
    directory is closed as soon as its file is renamed into it."""
    synced: list[int] = []
    try:
        for cid in plan.writes:
            container_fd = _rename_into(dir_fd, cid)
            if durable:
                synced.append(container_fd)
            else:
                os.close(container_fd)
        if plan.sandbox:
            with contextlib.suppress(FileNotFoundError):
                os.rename(SANDBOX_TMP, PERSIST_FILE, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        for cid in plan.deletes:
            remove_container(dir_fd, cid)
        if durable:
            for fd in synced:
                sync(fd, "fsync of a container directory after applying the journal")
            sync(dir_fd, "fsync of the sandbox directory after applying the journal")
    finally:
        for fd in synced:
            fsops.close_quietly(fd)
    # Settled: the steps are durable, the journal no longer needs them. (If an fsync above failed, we do
    # not get here: the journal stays, durable, and the next writer applies it again.)
    bump(dir_fd)
    # ... and made durable too: a retired journal must not come back after a power loss and be applied
    # again over a later commit (which may not fsync this directory, e.g. a one-container save).
    if durable:
        sync(dir_fd, "fsync of the sandbox directory after retiring the journal")


def _rename_into(dir_fd: int, cid: str) -> int:
    """Rename the container's temporary to its persist.json (unless that was done before); the container's
    directory stays open for the caller (made again if a killed writer left it missing)."""
    try:
        container_fd = os.open(cid, fsops.O_DIR, dir_fd=dir_fd)
    except OSError:
        container_fd, _ = container_dir(dir_fd, cid)
    try:
        os.rename(container_tmp(cid), PERSIST_FILE, src_dir_fd=dir_fd, dst_dir_fd=container_fd)
    except FileNotFoundError:
        pass  # renamed before
    except BaseException:
        os.close(container_fd)
        raise
    return container_fd


def read_plan(dir_fd: int, path: str) -> journal.Plan | None:
    """The pending plan in sbs/<sid>/.journal, if any."""
    where = os.path.join(path, JOURNAL)
    try:
        data, _ = fsops.read_file(JOURNAL, dir_fd, journal.MAX_SIZE)
    except FileNotFoundError:
        return None
    except fsops.TooLarge as exc:
        raise CorruptStateError(
            f"{where} is {exc.size} bytes, above a journal's limit of {exc.limit} bytes; not read "
            "(destroy the sandbox to remove it)"
        ) from exc
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR):
            raise CorruptStateError(f"{where} is not a regular file; destroy the sandbox to remove it") from exc
        raise
    return journal.decode(data, where)


def _is_regular(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISREG(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return True  # gone meanwhile: read_plan sees that too


def _empty_file(name: str, dir_fd: int) -> bool:
    """A regular file of 0 bytes (a settled journal: one stat instead of open, fstat, read, close)."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return True
    return st.st_size == 0 and stat.S_ISREG(st.st_mode)


def settle(dir_fd: int, sandbox_id: str, path: str, *, durable: bool) -> Listing:
    """Finish a commit a killed writer left half applied; return the directory as it then is."""
    listing = scan(dir_fd)
    if JOURNAL in listing.hidden and not _empty_file(JOURNAL, dir_fd):
        plan = read_plan(dir_fd, path)
        if plan is not None:
            log().info("sandbox %r: finishing a commit interrupted by a killed writer", sandbox_id)
            roll_forward(dir_fd, plan, durable=durable)
            listing = scan(dir_fd)
    return listing


def tidy(dir_fd: int, path: str, *, dry_run: bool, durable: bool) -> list[str]:
    """What killed writers left in sbs/<sid> (the caller holds the writers' lock); removed unless ``dry_run``."""
    found: list[str] = []
    listing = scan(dir_fd)
    plan = _journal_plan(dir_fd, path, listing, found, dry_run=dry_run)
    pending: set[str] = set()
    if plan is not None:
        found.append(f"interrupted commit, readers see its new state: {os.path.join(path, JOURNAL)}")
        if dry_run:
            pending = _names_to_roll_forward(plan)
        else:
            roll_forward(dir_fd, plan, durable=durable)
            listing = scan(dir_fd)
    found += _leftovers(dir_fd, path, listing, pending, dry_run=dry_run)
    return found


def _journal_plan(dir_fd: int, path: str, listing: Listing, found: list[str], *, dry_run: bool) -> journal.Plan | None:
    """The interrupted commit the journal describes, if any; a journal that is not a regular file goes."""
    if JOURNAL not in listing.hidden:
        return None
    if _is_regular(JOURNAL, dir_fd):
        return read_plan(dir_fd, path)
    # A FIFO, device, directory or symlink: never ours, and nothing a reader can use.
    found.append(f"journal that is not a regular file: {os.path.join(path, JOURNAL)}")
    if not dry_run:
        fsops.remove_entry(JOURNAL, dir_fd)
    return None


def _names_to_roll_forward(plan: journal.Plan) -> set[str]:
    """The entries a roll-forward of ``plan`` still needs: not leftovers, even though they look like them."""
    pending = {container_tmp(cid) for cid in plan.writes} | set(plan.writes)
    if plan.sandbox:
        pending.add(SANDBOX_TMP)
    return pending


def _leftovers(dir_fd: int, path: str, listing: Listing, pending: set[str], *, dry_run: bool) -> list[str]:
    """Temporaries of killed saves and container directories without a record, outside ``pending``."""
    found = []
    for name in sorted(listing.hidden):
        if is_our_temporary(name) and name not in pending:
            found.append(f"temporary file of a killed save: {os.path.join(path, name)}")
            if not dry_run:
                fsops.remove_entry(name, dir_fd)
    for cid in sorted(listing.containers - pending):
        if not has_record(dir_fd, cid):
            found.append(f"container directory without persist.json: {os.path.join(path, cid)}")
            if not dry_run:
                fsops.remove_entry(cid, dir_fd)
    return found
