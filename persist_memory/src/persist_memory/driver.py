"""The "memory" driver: stores the codec's bytes, so it behaves like a disk, not like a dict of objects.

Mutating an object after ``save`` or ``load`` never reaches the store, and an object that cannot be
encoded fails exactly as it would on disk. Each instance has its own store unless it names a
``namespace``, which every instance in the process with that name shares.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import attrs

from persist_core import Capability, PersistDriver, Record, StoredSandbox
from persist_core.errors import InvalidArgumentError, SandboxNotFoundError
from persist_core.faults import FaultInjection
from persist_core.rwlock import SharedExclusiveLock


@attrs.frozen
class _Entry:
    """One save's bytes; replaced whole by the next save, never changed."""

    sandbox: bytes
    containers: Mapping[str, bytes]
    modified: float


class _Store:
    """One namespace's sandboxes and lock table; replaced whole per save, so readers never see a mix."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.guard = threading.Lock()
        self.entries: dict[str, _Entry] = {}
        self.locks: dict[str, SharedExclusiveLock] = {}

    def lock_for(self, sandbox_id: str) -> SharedExclusiveLock:
        with self.guard:
            return self.locks.setdefault(sandbox_id, SharedExclusiveLock())


class MemoryDriver(PersistDriver):
    """Process-local storage with the same contract, errors and locking as the fs driver."""

    name = "memory"
    capabilities = frozenset({Capability.FAULT_INJECTION})

    _namespaces: ClassVar[dict[str, _Store]] = {}
    _namespaces_guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, namespace: str | None = None, *, cache_bytes: int | str | None = None) -> None:
        """``cache_bytes``: bytes of JSON each of the core's caches keeps for this instance (0: none)."""
        if namespace is not None and (not isinstance(namespace, str) or not namespace):
            raise InvalidArgumentError(f"memory driver namespace must be a non-empty string, got {namespace!r}")
        self._namespace = namespace
        self._cache_option = cache_bytes
        self._use_cache_bytes(cache_bytes)
        if namespace is None:
            self._store = _Store(f"memory:{id(self):x}")
        else:
            with self._namespaces_guard:
                self._store = self._namespaces.setdefault(namespace, _Store(f"memory:{namespace}"))
        self._faults = FaultInjection()

    @property
    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {} if self._namespace is None else {"namespace": self._namespace}
        if self._cache_option is not None:
            options["cache_bytes"] = self.cache_bytes
        return options

    def fail_next(self, operation: str, exc: BaseException) -> None:
        """Make the next ``operation`` (save, load, destroy, lock, sandbox_ids) raise ``exc``, changing nothing."""
        self._faults.fail_next(operation, exc)

    def _location(self, sandbox_id: str, container_id: str | None = None) -> str:
        path = f"sbs/{sandbox_id}/" + (f"{container_id}/" if container_id else "") + "persist.json"
        return f"{self._store.label}/{path}"

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self._faults.check("save")
        entry = _Entry(sandbox=sandbox, containers=dict(containers), modified=time.time())
        with self._store.guard:
            self._store.entries[sandbox_id] = entry

    def _load(self, sandbox_id: str) -> StoredSandbox:
        self._faults.check("load")
        with self._store.guard:
            entry = self._store.entries.get(sandbox_id)
        if entry is None:
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored in {self._store.label}")
        return StoredSandbox(
            sandbox=Record(entry.sandbox, self._location(sandbox_id)),
            containers={cid: Record(data, self._location(sandbox_id, cid)) for cid, data in entry.containers.items()},
        )

    def _destroy(self, sandbox_id: str) -> None:
        self._faults.check("destroy")
        with self._store.guard:
            self._store.entries.pop(sandbox_id, None)

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Any:
        self._faults.check("lock")
        lock = self._store.lock_for(sandbox_id)
        lock.acquire(exclusive=exclusive, timeout=timeout, what=f"lock of sandbox {sandbox_id!r}")
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                lock.release(exclusive=exclusive)

        return release

    def _sandbox_ids(self) -> Iterable[str]:
        self._faults.check("sandbox_ids")
        with self._store.guard:
            return list(self._store.entries)

    def last_modified(self, sandbox_id: str) -> float | None:
        super().last_modified(sandbox_id)
        with self._store.guard:
            entry = self._store.entries.get(sandbox_id)
        return None if entry is None else entry.modified
