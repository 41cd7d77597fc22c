"""The "fs" and "rootlessfs" drivers: kata's persist.json tree, with atomic saves and real locks."""

from __future__ import annotations

import os
import stat
import weakref
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from persist_core.driver import Capability, PersistDriver, Release, StoredSandbox
from persist_core.errors import InvalidArgumentError, InvalidIdError, StorageError
from persist_core.ids import check_id
from persist_fs import fsops, reader, trash
from persist_fs.dirs import Dirs
from persist_fs.durability import FsyncPolicy, fsync_choice
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
from persist_fs.log import log
from persist_fs.trash import sweep_staging, sweep_trash
from persist_fs.writer import Writer

_instances: weakref.WeakSet[FsDriver] = weakref.WeakSet()


def _id_error(name: str) -> str:
    try:
        check_id(name, "sandbox")
    except InvalidIdError as exc:
        return str(exc)
    return "valid"


#: The largest record (persist.json) the driver reads or writes, unless ``max_record_size=`` says
#: otherwise: kata's records are kilobytes, and a bigger file is refused before it is read into memory.
DEFAULT_MAX_RECORD_SIZE = 16 << 20


def _record_size_limit(value: object) -> int:
    """A positive number of bytes (a decimal string too: the CLI passes options as strings)."""
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(f"max_record_size must be a positive number of bytes, got {value!r}")
    return value


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

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        cache_bytes: int | str | None = None,
        max_record_size: int | str | None = None,
        fsync: str | None = None,
    ) -> None:
        """``cache_bytes``: bytes of JSON each cache of this driver keeps (0 turns caching off; see
        docs/caching.md). Caches never change what is stored or returned, only how fast.
        ``max_record_size``: the largest record read or written, in bytes (see docs/fs.md).
        ``fsync``: "auto" (the default) skips fsync where the root is on tmpfs or ramfs, which keep
        nothing across a power loss; "always" fsyncs there too (see docs/fs.md, "Durability")."""
        if root is None:
            root = self._default_root()
        if not isinstance(root, (str, os.PathLike)) or not os.fspath(root):
            raise InvalidArgumentError(f"{self.name} driver root must be a non-empty path, got {root!r}")
        self._record_option = max_record_size
        self._max_record_size = (
            DEFAULT_MAX_RECORD_SIZE if max_record_size is None else _record_size_limit(max_record_size)
        )
        self._root = os.path.abspath(os.fspath(root))
        self._cache_option = cache_bytes
        self._fsync_option = fsync
        self._fsync = FsyncPolicy(fsync_choice(fsync))
        self._dirs = Dirs(self._root, self._fsync)
        self._writer = Writer(self._dirs, KnownContents(self._use_cache_bytes(cache_bytes)), self._fsync)
        # Dirs' method, not ours: a bound method of the driver would make a reference cycle, and the driver's
        # descriptors would then wait for the cycle collector instead of closing when it is dropped.
        self._locks = SandboxLocks(self._dirs, self._dirs.holds)
        self._strays_logged: list[str] = []
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
        options: dict[str, Any] = {"root": self._root}
        if self._cache_option is not None:
            options["cache_bytes"] = self.cache_bytes
        if self._record_option is not None:
            options["max_record_size"] = self._max_record_size
        if self._fsync_option is not None:
            options["fsync"] = self._fsync.choice
        return options

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={self._root!r})"

    # -- backend -----------------------------------------------------------------------------------

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        limit = self._max_record_size
        if len(sandbox) > limit or max(map(len, containers.values()), default=0) > limit:
            self._refuse_oversized(sandbox_id, sandbox, containers)
        self._writer.save(sandbox_id, sandbox, containers)

    def _refuse_oversized(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        """A record load would refuse is not written: nothing is stored that cannot be read back."""
        records = {PERSIST_FILE: sandbox, **{f"{cid}/{PERSIST_FILE}": data for cid, data in containers.items()}}
        relative, data = max(records.items(), key=lambda item: len(item[1]))
        raise StorageError(
            f"cannot save sandbox {sandbox_id!r}: {os.path.join(self.run_storage_path, sandbox_id, relative)} "
            f"would be {len(data)} bytes, above this driver's max_record_size of {self._max_record_size} bytes; "
            "nothing was written"
        )

    def _load(self, sandbox_id: str) -> StoredSandbox:
        return reader.load(self._dirs, sandbox_id, self._max_record_size)

    def _destroy(self, sandbox_id: str) -> None:
        try:
            trash.destroy(self._dirs, sandbox_id, self._fsync)
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
        ids = only_ids(names)
        if len(ids) != len(names):
            self._warn_of_strays(names, ids)
        return ids

    def _warn_of_strays(self, names: list[str], ids: list[str]) -> None:
        """Log what the listing leaves out, once per driver for the same entries."""
        strays = sorted(set(names).difference(ids))
        if strays != self._strays_logged:
            self._strays_logged = strays
            log().warning(
                "%s holds %d entries that are not valid sandbox IDs, left out of the listing "
                "(`persist check` reports them): %s",
                self.run_storage_path,
                len(strays),
                ", ".join(map(repr, strays[:5])) + (", ..." if len(strays) > 5 else ""),
            )

    def _is_stored(self, sandbox_id: str) -> bool:
        return self._dirs.holds(sandbox_id)

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

    def find_strays(self) -> list[str]:
        """Directories and symlinks in sbs whose names are no valid sandbox ID (kata never makes them)."""
        try:
            names = [name for name in self._dirs.sbs_subdirectory_names() if name[0] != "."]
        except OSError as exc:
            raise StorageError(f"cannot list sandboxes in {self.run_storage_path}: {exc.strerror}") from exc
        strays = sorted(set(names).difference(only_ids(names)))
        return [
            f"not a valid sandbox ID, so never listed or loaded: {os.path.join(self.run_storage_path, name)!r} "
            f"({error})"
            for name in strays
            for error in [_id_error(name)]
        ]

    def _leftovers(self, *, dry_run: bool) -> list[str]:
        """Abandoned staging and trash trees, interrupted commits, temporaries, empty container
        directories, and lock files of sandboxes that are not stored; nothing anyone holds or loads.

        Bookkeeping directories another user made (or may write into) are reported and removed: the
        driver refuses to use them. Such a sandbox directory is only reported (destroy removes it)."""
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
            for hidden in (STAGING_DIR, TRASH_DIR, LOCKS_DIR):
                found += self._foreign(sbs_fd, hidden, "bookkeeping directory", remove=not dry_run)
            for hidden, what, sweep in sweeps:
                try:
                    parent_fd = fsops.open_dir(hidden, sbs_fd)
                except FileNotFoundError:
                    continue
                try:
                    if not fsops.adoptable(os.fstat(parent_fd), sbs_fd):
                        continue  # reported above (dry run): not ours to sweep
                    names = sweep(parent_fd, dry_run=dry_run)
                    found += [f"{what}: {os.path.join(sbs_path, hidden, name)}" for name in names]
                finally:
                    os.close(parent_fd)
            for sandbox_id in sorted(self._sandbox_ids()):
                foreign = self._foreign(sbs_fd, sandbox_id, "sandbox directory (destroy removes it)", remove=False)
                found += foreign or self._writer.tidy(sandbox_id, dry_run=dry_run)
            found += self._stale_lock_files(sbs_fd, dry_run=dry_run)
        except OSError as exc:
            raise StorageError(f"cannot inspect {sbs_path} for leftovers: {exc.strerror} ({exc.filename})") from exc
        return found

    def _foreign(self, sbs_fd: int, name: str, what: str, *, remove: bool) -> list[str]:
        """``name`` in sbs, described, if it is a directory another user made or may write into."""
        try:
            st = os.stat(name, dir_fd=sbs_fd, follow_symlinks=False)
        except FileNotFoundError:
            return []
        if not stat.S_ISDIR(st.st_mode) or fsops.adoptable(st, sbs_fd):
            return []
        if remove:
            fsops.remove_entry(name, sbs_fd)
        mode = stat.S_IMODE(st.st_mode)
        return [
            f"{what} not made by this user, or writable by others (uid {st.st_uid}, mode {mode:04o}): "
            f"{os.path.join(self.run_storage_path, name)}"
        ]

    def _stale_lock_files(self, sbs_fd: int, *, dry_run: bool) -> list[str]:
        try:
            locks_fd = fsops.open_dir(LOCKS_DIR, sbs_fd)
        except FileNotFoundError:
            return []
        if not fsops.adoptable(os.fstat(locks_fd), sbs_fd):
            os.close(locks_fd)
            return []
        try:
            with os.scandir(locks_fd) as entries:
                found = {entry.name: entry.is_file(follow_symlinks=False) for entry in entries if is_id(entry.name)}
            odd = sorted(name for name, regular in found.items() if not regular)
            for name in odd if not dry_run else ():
                fsops.remove_entry(name, locks_fd)  # lock() refuses it, so nobody can hold it
            return [f"lock file that is not a regular file: {self._locks.path(sandbox_id)}" for sandbox_id in odd] + [
                f"lock file of a sandbox that is not stored: {self._locks.path(sandbox_id)}"
                for sandbox_id in sorted(name for name, regular in found.items() if regular)
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
