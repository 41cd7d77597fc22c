"""``save()``: a sandbox and its containers change as one unit, or not at all.

Writers of one sandbox take flock(LOCK_EX) on its directory (the lock kata itself uses), never the
user-visible lock, so a caller holding ``driver.lock()`` can save. Every step before the *commit point*
may fail or be killed and leaves the previous state, with at most hidden leftovers that the next writer
removes; after it, the save counts as done, and whatever is left unfinished is finished by the next
writer (readers already see the new state).

- First save: the whole tree is built in ``sbs/.staging/<sid>.<random>`` and renamed to ``sbs/<sid>``.
  Commit point: that rename.
- One visible change (one file replaced, or one container removed): the journal is bumped (readers in
  flight will read again), then a temporary in ``sbs/<sid>`` is renamed over the file. Commit point:
  that rename (or the unlink of the removed container's persist.json).
- Several changes: temporaries for every changed file are written in ``sbs/<sid>`` and made durable,
  then ``.journal`` listing the steps is renamed into place and made durable. Commit point: that rename.
  The steps are then applied (renames, removals), their directories fsynced, and the journal emptied.

On tmpfs and ramfs every fsync above is left out (durability.py): nothing there survives a power loss,
and a killed process leaves the page cache, so the renames and the journal alone give old-or-new.

Only files whose bytes differ from what is on disk are written (proven per file on every save: see
known.py); new container directories are made before the commit point (an empty directory is not a
container to any reader), so after it nothing can run out of space.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import os
from collections.abc import Mapping
from stat import S_ISLNK, S_ISREG

from persist_core.errors import StorageError
from persist_fs import fsops, journal, steps, trash
from persist_fs.dirs import Dirs
from persist_fs.durability import FsyncPolicy
from persist_fs.known import (
    Entry,
    Key,
    KnownContents,
    has_identity,
    read_entry,
    written_entries,
    written_entry,
)
from persist_fs.layout import (
    JOURNAL,
    JOURNAL_TMP,
    PERSIST_FILE,
    SANDBOX_TMP,
    STAGING_DIR,
    container_tmp,
    is_our_temporary,
)
from persist_fs.log import log

_SLASH_PERSIST_FILE = "/" + PERSIST_FILE


def _undo(dir_fd: int, temporaries: list[str], made_dirs: list[str]) -> None:
    """Remove what a failed save made before its commit point (best effort: leftovers are hidden)."""
    for name in temporaries:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
    for name in made_dirs:
        with contextlib.suppress(OSError):
            os.rmdir(name, dir_fd=dir_fd)


class Writer:
    def __init__(self, dirs: Dirs, known: KnownContents, fsync: FsyncPolicy) -> None:
        self._dirs = dirs
        self._known = known
        self._fsync = fsync

    def forget(self, sandbox_id: str) -> None:
        """Drop all we know of a sandbox (it was destroyed)."""
        self._known.forget(sandbox_id)

    # -- entry points ------------------------------------------------------------------------------

    def save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        path = os.path.join(self._dirs.sbs_path, sandbox_id)
        try:
            self._save(sandbox_id, path, sandbox, containers)
        except OSError as exc:
            self._known.forget(sandbox_id)  # what a failed save left is not known
            raise StorageError(
                f"cannot save sandbox {sandbox_id!r} in {path}: {steps.describe(exc)}; the previous state is unchanged"
            ) from exc
        except steps.NotDurable as exc:
            self._known.forget(sandbox_id)
            raise StorageError(
                f"sandbox {sandbox_id!r} is saved in {path}, but not known to be durably: {exc}; load returns the "
                "new state, a crash of the machine may bring back the previous one"
            ) from exc
        except BaseException:
            self._known.forget(sandbox_id)
            raise

    def tidy(self, sandbox_id: str, *, dry_run: bool) -> list[str]:
        """What killed writers left in sbs/<sid> (finishing an interrupted commit), unless ``dry_run``."""
        sbs_fd = self._dirs.sbs(create=False)
        if sbs_fd is None:
            return []
        path = os.path.join(self._dirs.sbs_path, sandbox_id)
        try:
            dir_fd = fsops.open_dir(sandbox_id, sbs_fd)
        except OSError:
            return []
        try:
            try:
                fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return []  # a writer is at work: what it has made is not left over
            return steps.tidy(dir_fd, path, dry_run=dry_run, durable=self._fsync.needed(dir_fd, os.fstat(dir_fd)))
        finally:
            fsops.unlock_quietly(dir_fd)
            os.close(dir_fd)

    # -- save --------------------------------------------------------------------------------------

    def _sbs_for_writing(self) -> int:
        fd = self._dirs.sbs(create=True)
        assert fd is not None
        if self._dirs.gone(fd):
            fd = self._dirs.sbs(create=True)
            assert fd is not None
        return fd

    def _save(self, sandbox_id: str, path: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        sbs_fd = self._sbs_for_writing()
        while True:
            try:
                dir_fd = fsops.open_dir(sandbox_id, sbs_fd)
            except FileNotFoundError:
                if self._first_save(sbs_fd, sandbox_id, sandbox, containers):
                    return
                continue  # another writer made it first: commit over its state
            except OSError as exc:
                if exc.errno in fsops.NOT_A_DIRECTORY:
                    raise StorageError(
                        f"cannot save sandbox {sandbox_id!r}: {path} is a symlink or not a directory; persist-fs "
                        "does not write through it (destroy the sandbox to remove it)"
                    ) from exc
                raise
            try:
                dir_st = steps.lock_sandbox_dir(dir_fd, sandbox_id, sbs_fd)
                if dir_st is not None:
                    durable = self._fsync.needed(dir_fd, dir_st)
                    self._commit(
                        dir_fd, dir_st, sandbox_id, path=path, sandbox=sandbox, containers=containers, durable=durable
                    )
                    return
            finally:
                fsops.unlock_quietly(dir_fd)
                os.close(dir_fd)

    def _first_save(self, sbs_fd: int, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> bool:
        staging_fd = fsops.make_own_dir(STAGING_DIR, sbs_fd)
        try:
            durable = self._fsync.needed(staging_fd, os.fstat(staging_fd))
            steps.best_effort(lambda: trash.sweep_staging(staging_fd, dry_run=False), "removing abandoned first saves")
            fcntl.flock(staging_fd, fcntl.LOCK_SH)  # while we hold it, our tree is not taken for abandoned
            name = trash.random_name(sandbox_id)
            tree_fd = fsops.make_dir(name, staging_fd)
            try:
                # Once renamed, this is the writers' lock of the new sandbox until we are done.
                fcntl.flock(tree_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fsops.write_new_file(PERSIST_FILE, sandbox, tree_fd, sync=durable)
                fsops.write_new_file(JOURNAL, b"", tree_fd, sync=False)
                for cid, data in containers.items():
                    container_fd = fsops.make_dir(cid, tree_fd)
                    try:
                        fsops.write_new_file(PERSIST_FILE, data, container_fd, sync=durable)
                        if durable:
                            os.fsync(container_fd)
                    finally:
                        os.close(container_fd)
                if durable:
                    os.fsync(tree_fd)
                try:
                    os.rename(name, sandbox_id, src_dir_fd=staging_fd, dst_dir_fd=sbs_fd)  # commit point
                except OSError as exc:
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                        raise
                    steps.best_effort(lambda: trash.remove_tree(name, staging_fd), "removing a staged first save")
                    return False
            except BaseException:
                with contextlib.suppress(OSError):  # else a hidden leftover, swept by the next first save
                    trash.remove_tree(name, staging_fd)
                raise
            finally:
                fsops.unlock_quietly(tree_fd)
                os.close(tree_fd)
        finally:
            fsops.unlock_quietly(staging_fd)
            os.close(staging_fd)
        if durable:
            steps.sync_commit(sbs_fd, f"fsync of {self._dirs.sbs_path} after the first save's rename")
        entries = written_entries(containers)
        entries[None] = written_entry(sandbox)
        self._known.store(sandbox_id, entries)
        return True

    def _commit(
        self,
        dir_fd: int,
        dir_st: os.stat_result,
        sandbox_id: str,
        *,
        path: str,
        sandbox: bytes,
        containers: Mapping[str, bytes],
        durable: bool,
    ) -> None:
        """A scan of the directory and a stat per file tell what is there, and what must be written.

        ``dir_st`` (taken under the writers' lock, before any file is looked at) is the stamp that
        readings of this save are judged against (known.py).
        """
        listing = steps.settle(dir_fd, sandbox_id, path, durable=durable)
        for name in listing.hidden:
            if is_our_temporary(name):
                fsops.remove_entry(name, dir_fd)  # from a save killed before its commit point
        known = self._known.of(sandbox_id)
        present = listing.containers
        unchanged = self._unchanged
        changes = {
            cid: data
            for cid, data in containers.items()
            if cid not in present or not unchanged(dir_fd, dir_st, sandbox_id, cid, data=data, known=known)
        }
        removed = present - containers.keys()
        plan = journal.Plan(
            sandbox=not unchanged(dir_fd, dir_st, sandbox_id, None, data=sandbox, known=known),
            writes=tuple(sorted(changes)),
            deletes=tuple(sorted(cid for cid in removed if steps.has_record(dir_fd, cid))) if removed else (),
        )
        new_dirs = [cid for cid in changes if cid not in present]
        if plan.steps == 1:
            self._commit_one(dir_fd, plan, sandbox, changes, durable=durable)
        elif plan.steps > 1:
            self._commit_journaled(
                dir_fd=dir_fd,
                sandbox_id=sandbox_id,
                plan=plan,
                sandbox=sandbox,
                changes=changes,
                new_dirs=new_dirs,
                durable=durable,
            )
        empty = removed.difference(plan.deletes)  # container directories without persist.json
        for cid in sorted(empty):
            removal = functools.partial(fsops.remove_entry, cid, dir_fd)
            steps.best_effort(removal, f"removing empty directory {cid}")
        # What is known of files this save did not keep (removed containers) goes; what it wrote is known by bytes.
        kept = {key: entry for key, entry in known.items() if key is None or key in containers}
        kept.update(written_entries(changes))  # changes holds exactly the files of plan.writes
        if plan.sandbox:
            kept[None] = written_entry(sandbox)
        self._known.store(sandbox_id, kept)

    def _unchanged(
        self, dir_fd: int, stamp: os.stat_result, sandbox_id: str, key: Key, *, data: bytes, known: dict[Key, Entry]
    ) -> bool:
        """Whether the file holds ``data`` now: from a trusted reading of it (known.py), else by reading it."""
        relative = PERSIST_FILE if key is None else key + _SLASH_PERSIST_FILE
        try:
            st = os.stat(relative, dir_fd=dir_fd, follow_symlinks=False)
        except (FileNotFoundError, NotADirectoryError):
            return False
        if not S_ISREG(st.st_mode) and not self._replaceable(st, sandbox_id, relative):
            return False
        entry = known.get(key)
        if entry is not None:
            if entry.data != data:
                return False  # it held other bytes, or someone changed it since: writing is right either way
            if entry.trusted is not None and has_identity(st, entry.trusted):
                return True
        if st.st_size != len(data):
            return False
        return self._same_bytes(dir_fd, stamp, key, relative, data=data, known=known)

    def _same_bytes(
        self, dir_fd: int, stamp: os.stat_result, key: Key, relative: str, *, data: bytes, known: dict[Key, Entry]
    ) -> bool:
        """Read the file back and compare (what is read is known from now on, as known.py's rule allows)."""
        try:
            current, st = fsops.read_file(relative, dir_fd)
        except FileNotFoundError:
            return False
        if self._known.enabled:
            known[key] = read_entry(current, st, stamp)
        return current == data

    def _replaceable(self, st: os.stat_result, sandbox_id: str, relative: str) -> bool:
        """For what is not a regular file: a symlink is replaced by the rename (False: nothing to compare);
        anything else (a directory, a FIFO) is refused, since the rename would fail or lose it."""
        if S_ISLNK(st.st_mode):
            return False
        raise StorageError(
            f"cannot save sandbox {sandbox_id!r}: {os.path.join(self._dirs.sbs_path, sandbox_id, relative)} is "
            "not a regular file; remove it or destroy the sandbox"
        )

    def _commit_one(
        self, dir_fd: int, plan: journal.Plan, sandbox: bytes, changes: Mapping[str, bytes], *, durable: bool
    ) -> None:
        """A single visible change is atomic by itself: one rename (or unlink), no journal needed."""
        if plan.deletes:
            cid = plan.deletes[0]
            container_fd = fsops.open_dir(cid, dir_fd)
            try:
                steps.bump(dir_fd)
                os.unlink(PERSIST_FILE, dir_fd=container_fd)  # commit point
                not_durable = None
                try:
                    if durable:
                        steps.sync_commit(container_fd, f"fsync of container directory {cid!r} after the unlink")
                except steps.NotDurable as exc:
                    not_durable = exc
            finally:
                os.close(container_fd)

            def finish_removal() -> None:
                fsops.remove_entry(cid, dir_fd)
                if durable:
                    steps.sync(dir_fd, "fsync after removing a container directory")

            steps.best_effort(finish_removal, f"removing container {cid!r}")
            if not_durable is not None:
                raise not_durable
            return
        key: Key = None if plan.sandbox else plan.writes[0]
        if key is None:
            tmp, data, target_fd, made = SANDBOX_TMP, sandbox, dir_fd, False
        else:
            tmp, data = container_tmp(key), changes[key]
            target_fd, made = steps.container_dir(dir_fd, key)
        try:
            try:
                fsops.write_new_file(tmp, data, dir_fd, sync=durable)
                steps.bump(dir_fd)
                os.rename(tmp, PERSIST_FILE, src_dir_fd=dir_fd, dst_dir_fd=target_fd)  # commit point
            except BaseException:
                _undo(dir_fd, [tmp], [key] if made and key is not None else [])
                raise

            if durable:
                steps.sync_commit(target_fd, "fsync after the rename")
                if made:
                    steps.sync_commit(dir_fd, "fsync of the sandbox directory after making a container directory")
        finally:
            if target_fd != dir_fd:
                os.close(target_fd)

    def _commit_journaled(
        self,
        *,
        dir_fd: int,
        sandbox_id: str,
        plan: journal.Plan,
        sandbox: bytes,
        changes: Mapping[str, bytes],
        new_dirs: list[str],
        durable: bool,
    ) -> None:
        temporaries: list[str] = []
        made: list[str] = []
        try:
            for cid in new_dirs:
                container_fd, created = steps.container_dir(dir_fd, cid)
                os.close(container_fd)
                if created:
                    made.append(cid)
            write = fsops.write_new_file
            if plan.sandbox:
                temporaries.append(SANDBOX_TMP)
                write(SANDBOX_TMP, sandbox, dir_fd, durable)
            for cid in plan.writes:
                tmp = container_tmp(cid)
                temporaries.append(tmp)
                write(tmp, changes[cid], dir_fd, durable)
            if durable:
                os.fsync(dir_fd)  # the temporaries (and new directories) exist durably before the journal names them
            temporaries.append(JOURNAL_TMP)
            fsops.write_new_file(JOURNAL_TMP, journal.encode(plan), dir_fd, sync=durable)
            os.rename(JOURNAL_TMP, JOURNAL, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)  # commit point (visible)
            temporaries.pop()
        except BaseException:
            _undo(dir_fd, temporaries, made)
            raise
        try:
            if durable:
                os.fsync(dir_fd)  # commit point (durable)
        except OSError:
            try:
                steps.bump(dir_fd)  # withdraw the commit: an empty journal, so readers see the old files again
            except OSError:
                log().error("sandbox %r: cannot withdraw a commit that is not known to be durable", sandbox_id)
            else:
                _undo(dir_fd, temporaries, made)
                raise
        steps.best_effort(lambda: steps.roll_forward(dir_fd, plan, durable=durable), "applying the committed journal")
