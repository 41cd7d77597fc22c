"""``destroy()``, and the trees that killed first saves and destroys leave in .staging and .trash.

destroy renames ``sbs/<sid>`` to ``sbs/.trash/<sid>.<random>`` (the commit point: a killed destroy leaves
the whole sandbox or nothing under its name) and then removes it, its journal first so that a reader
still inside it notices.
"""

from __future__ import annotations

import fcntl
import os

from persist_core.errors import StorageError
from persist_fs import fsops
from persist_fs.dirs import Dirs
from persist_fs.durability import FsyncPolicy
from persist_fs.layout import JOURNAL, NAME_MAX, TRASH_DIR
from persist_fs.steps import NotDurable, best_effort, describe, lock_sandbox_dir, sync_commit


def random_name(sandbox_id: str) -> str:
    """``<sid>.<16 hex digits>``, the ID cut short where the whole would pass the file name limit."""
    return f"{sandbox_id[: NAME_MAX - 17]}.{os.urandom(8).hex()}"  # os, not secrets: cold start


def destroy(dirs: Dirs, sandbox_id: str, fsync: FsyncPolicy) -> None:
    path = os.path.join(dirs.sbs_path, sandbox_id)
    try:
        _destroy(dirs, sandbox_id, fsync)
    except OSError as exc:
        raise StorageError(
            f"cannot destroy sandbox {sandbox_id!r} ({path}): {describe(exc)}; it is still stored"
        ) from exc
    except NotDurable as exc:
        raise StorageError(
            f"sandbox {sandbox_id!r} ({path}) is destroyed, but not known to be durably: {exc}; a crash of "
            "the machine may bring it back"
        ) from exc


def _destroy(dirs: Dirs, sandbox_id: str, fsync: FsyncPolicy) -> None:
    sbs_fd = dirs.sbs(create=False)
    if sbs_fd is not None and dirs.gone(sbs_fd):
        sbs_fd = dirs.sbs(create=False)
    if sbs_fd is None:
        return
    while True:
        try:
            dir_fd = fsops.open_dir(sandbox_id, sbs_fd)
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in fsops.NOT_A_DIRECTORY:
                raise
            try:
                os.unlink(sandbox_id, dir_fd=sbs_fd)  # a symlink or file in its place: never its target
            except FileNotFoundError:
                return
            except IsADirectoryError:
                continue  # swapped for a directory meanwhile
            if fsync.needed(sbs_fd, os.fstat(sbs_fd)):
                sync_commit(sbs_fd, f"fsync of {dirs.sbs_path} after removing a symlink in the sandbox's place")
            return
        try:
            if lock_sandbox_dir(dir_fd, sandbox_id, sbs_fd, adopt=False):
                # The rename into .trash is made durable by an fsync of sbs: its file system decides.
                _bury(sbs_fd, sandbox_id, dirs.sbs_path, durable=fsync.needed(sbs_fd, os.fstat(sbs_fd)))
                return
        finally:
            fsops.unlock_quietly(dir_fd)
            os.close(dir_fd)


def _bury(sbs_fd: int, sandbox_id: str, sbs_path: str, *, durable: bool) -> None:
    """Called with the sandbox directory locked: the tomb is locked from the instant it is in .trash.

    If the fsync that makes the destroy durable fails, the tree is removed all the same (it is out of
    sight) and NotDurable raised."""
    trash_fd = fsops.make_own_dir(TRASH_DIR, sbs_fd)
    not_durable = None
    try:
        tomb = random_name(sandbox_id)
        os.rename(sandbox_id, tomb, src_dir_fd=sbs_fd, dst_dir_fd=trash_fd)  # commit point
        try:
            if durable:
                sync_commit(sbs_fd, f"fsync of {sbs_path} after renaming the sandbox to the trash")
        except NotDurable as exc:
            not_durable = exc
        best_effort(lambda: remove_tree(tomb, trash_fd), f"removing {tomb} from the trash")
        best_effort(lambda: sweep_trash(trash_fd, dry_run=False), "removing abandoned destroys")
    finally:
        os.close(trash_fd)
    if not_durable is not None:
        raise not_durable


def remove_tree(name: str, parent_fd: int) -> None:
    """Remove a sandbox tree that is out of sight, its journal first so that late readers notice."""
    fsops.remove_dir_unlinking_first(name, parent_fd, JOURNAL)


def sweep_trash(trash_fd: int, *, dry_run: bool) -> list[str]:
    """Trees in .trash whose destroyer is gone (its flock is free); removed unless ``dry_run``."""
    with os.scandir(trash_fd) as entries:
        names = [entry.name for entry in entries]
    found = []
    for name in names:
        try:
            fd = fsops.open_dir(name, trash_fd)
        except FileNotFoundError:
            continue
        except OSError as exc:
            if exc.errno not in fsops.NOT_A_DIRECTORY:
                raise
            fd = None
        try:
            if fd is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its destroyer is still at work
            if not dry_run:
                remove_tree(name, trash_fd)
            found.append(name)
        finally:
            fsops.close_quietly(fd)
    return found


def sweep_staging(staging_fd: int, *, dry_run: bool) -> list[str]:
    """Trees in .staging whose first save was killed. First saves hold a shared flock on .staging while
    they build, so whoever gets it exclusively knows that every tree there is abandoned."""
    try:
        fcntl.flock(staging_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return []  # first saves are at work: leave it to a quieter moment
    try:
        with os.scandir(staging_fd) as entries:
            names = [entry.name for entry in entries]
        if not dry_run:
            for name in names:
                remove_tree(name, staging_fd)
        return names
    finally:
        fsops.unlock_quietly(staging_fd)
