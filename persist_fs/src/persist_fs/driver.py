"""The "fs" and "rootlessfs" drivers: kata's persist.json tree, with atomic saves and real locks."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from persist_core.driver import Capability, PersistDriver, Release, StoredSandbox
from persist_core.errors import InvalidArgumentError, StorageError
from persist_core.ids import check_id
from persist_fs import fsops, reader, trash
from persist_fs.dirs import Dirs
from persist_fs.known import KnownContents
from persist_fs.layout import (
    DEFAULT_ROOT,
    LOCKS_DIR,
    PERSIST_FILE,
    SANDBOXES,
    STAGING_DIR,
    TRASH_DIR,
    VMS,
    is_id,
    only_ids,
    rootless_root,
    scan,
)
from persist_fs.locks import SandboxLocks
from persist_fs.trash import sweep_staging, sweep_trash
from persist_fs.writer import Writer

_instances: weakref.WeakSet[FsDriver] = weakref.WeakSet()


def _reset_after_fork() -> None:
    """A fork may copy a thread's held mutex; the child starts with fresh ones (nothing runs in it yet)."""
    for driver in list(_instances):
        driver._reset_after_fork()


os.register_at_fork(after_in_child=_reset_after_fork)


class FsDriver(PersistDriver):
    """State under ``<root>/sbs`` (root ``/run/vc`` unless ``root=`` says otherwise), in kata's layout.

    ``save`` and ``destroy`` lock the sandbox directory for writers only (flock, as kata does) and
    never the lock of ``lock()``; ``load`` takes no lock. See docs/fs.md for the guarantees.
    """

    name = "fs"
    capabilities = frozenset({Capability.CROSS_PROCESS_LOCKS, Capability.DURABLE})
    default_root: ClassVar[str] = DEFAULT_ROOT

    def __init__(self, root: str | os.PathLike[str] | None = None, *, cache_bytes: int | str | None = None) -> None:
        """``cache_bytes``: bytes of JSON each cache of this driver keeps (0 turns caching off; see
        docs/caching.md). Caches never change what is stored or returned, only how fast."""
        if root is None:
            root = self._default_root()
        if not isinstance(root, (str, os.PathLike)) or not os.fspath(root):
            raise InvalidArgumentError(f"{self.name} driver root must be a non-empty path, got {root!r}")
        self._root = os.path.abspath(os.fspath(root))
        self._cache_option = cache_bytes
        self._dirs = Dirs(self._root)
        self._writer = Writer(self._dirs, KnownContents(self._use_cache_bytes(cache_bytes)))
        self._locks = SandboxLocks(self._dirs, self._is_stored)
        _instances.add(self)

    @classmethod
    def _default_root(cls) -> str:
        return cls.default_root

    def _reset_after_fork(self) -> None:
        self._dirs.reset_after_fork()

    # -- where things are --------------------------------------------------------------------------

    @property
    def root(self) -> str:
        return self._root

    @property
    def run_storage_path(self) -> str:
        """``<root>/sbs``, kata's RunStoragePath()."""
        return os.path.join(self._root, SANDBOXES)

    @property
    def run_vm_storage_path(self) -> str:
        """``<root>/vm``, kata's RunVMStoragePath()."""
        return os.path.join(self._root, VMS)

    @property
    def options(self) -> dict[str, Any]:
        if self._cache_option is None:
            return {"root": self._root}
        return {"root": self._root, "cache_bytes": self.cache_bytes}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self._root!r})"

    # -- backend -----------------------------------------------------------------------------------

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self._writer.save(sandbox_id, sandbox, containers)

    def _load(self, sandbox_id: str) -> StoredSandbox:
        return reader.load(self._dirs, sandbox_id)

    def _destroy(self, sandbox_id: str) -> None:
        try:
            trash.destroy(self._dirs, sandbox_id)
        finally:
            self._writer.forget(sandbox_id)
        self._locks.destroyed(sandbox_id)

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        return self._locks.acquire(sandbox_id, exclusive, timeout)

    def _sandbox_ids(self) -> Iterable[str]:
        """One directory read of sbs: hidden bookkeeping and non-directories are not sandboxes.

        A symlink named like a sandbox is listed (load reports it as corrupt, destroy removes it).
        """
        try:
            # Hidden bookkeeping is skipped here, so that only_ids can check all the other names in one pass.
            names = [name for name in self._dirs.sbs_subdirectory_names() if name[0] != "."]
        except OSError as exc:
            raise StorageError(f"cannot list sandboxes in {self.run_storage_path}: {exc.strerror}") from exc
        return only_ids(names)

    def _is_stored(self, sandbox_id: str) -> bool:
        sbs_fd = self._dirs.sbs(create=False)
        if sbs_fd is None:
            return False
        try:
            os.stat(sandbox_id, dir_fd=sbs_fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    # -- operators' tools --------------------------------------------------------------------------

    def last_modified(self, sandbox_id: str) -> float | None:
        """The newest mtime of the sandbox directory and its persist.json files; None if not stored."""
        check_id(sandbox_id, "sandbox")
        sbs_fd = self._dirs.sbs(create=False)
        if sbs_fd is None:
            return None
        try:
            dir_fd = fsops.open_dir(sandbox_id, sbs_fd)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot inspect sandbox {sandbox_id!r}: {exc.strerror}") from exc
        try:
            newest = os.fstat(dir_fd).st_mtime
            relatives = [PERSIST_FILE] + [os.path.join(cid, PERSIST_FILE) for cid in scan(dir_fd).containers]
            for relative in relatives:
                try:
                    newest = max(newest, os.stat(relative, dir_fd=dir_fd, follow_symlinks=False).st_mtime)
                except (FileNotFoundError, NotADirectoryError):
                    continue
            return newest
        except OSError as exc:
            raise StorageError(f"cannot inspect sandbox {sandbox_id!r}: {exc.strerror}") from exc
        finally:
            os.close(dir_fd)

    def missing_store(self) -> str | None:
        """The root, when it is not a directory (the first save creates it)."""
        return None if os.path.isdir(self._root) else self._root

    def find_leftovers(self) -> list[str]:
        return self._leftovers(dry_run=True)

    def clean_leftovers(self) -> list[str]:
        return self._leftovers(dry_run=False)

    def _leftovers(self, *, dry_run: bool) -> list[str]:
        """Abandoned staging and trash trees, interrupted commits, temporaries, empty container
        directories, and lock files of sandboxes that are not stored; nothing anyone holds or loads."""
        sbs_fd = self._dirs.sbs(create=False)
        if sbs_fd is None:
            return []
        sbs_path = self.run_storage_path
        found: list[str] = []
        try:
            sweeps = (
                (STAGING_DIR, "abandoned first save", sweep_staging),
                (TRASH_DIR, "abandoned destroy", sweep_trash),
            )
            for hidden, what, sweep in sweeps:
                try:
                    parent_fd = fsops.open_dir(hidden, sbs_fd)
                except FileNotFoundError:
                    continue
                try:
                    names = sweep(parent_fd, dry_run=dry_run)
                    found += [f"{what}: {os.path.join(sbs_path, hidden, name)}" for name in names]
                finally:
                    os.close(parent_fd)
            for sandbox_id in sorted(self._sandbox_ids()):
                found += self._writer.tidy(sandbox_id, dry_run=dry_run)
            found += self._stale_lock_files(sbs_fd, dry_run=dry_run)
        except OSError as exc:
            raise StorageError(f"cannot inspect {sbs_path} for leftovers: {exc.strerror} ({exc.filename})") from exc
        return found

    def _stale_lock_files(self, sbs_fd: int, *, dry_run: bool) -> list[str]:
        try:
            locks_fd = fsops.open_dir(LOCKS_DIR, sbs_fd)
        except FileNotFoundError:
            return []
        try:
            with os.scandir(locks_fd) as entries:
                names = sorted(entry.name for entry in entries if is_id(entry.name))
            return [
                f"lock file of a sandbox that is not stored: {self._locks.path(sandbox_id)}"
                for sandbox_id in names
                if not self._is_stored(sandbox_id) and self._locks.prune(sandbox_id, dry_run=dry_run, locks_fd=locks_fd)
            ]
        finally:
            os.close(locks_fd)


class RootlessFsDriver(FsDriver):
    """The fs driver for unprivileged users: ``$XDG_RUNTIME_DIR/run/vc`` (``root=`` overrides it)."""

    name = "rootlessfs"

    @classmethod
    def _default_root(cls) -> str:
        return rootless_root()
