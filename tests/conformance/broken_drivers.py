"""Drivers with one deliberate flaw each: the conformance kit must fail every one of them.

Each is the memory driver, or a flat key-value store as an etcd- or Redis-style backend keeps one, with a
single, realistic mistake; ``ControlDriver`` and ``FlatControlDriver`` have none, so a failure of a broken
driver can only come from its flaw.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from persist_core import Capability, Lock, PersistDriver, Record, StoredSandbox, codec
from persist_core.driver import Release
from persist_core.errors import InvalidIdError, SandboxNotFoundError
from persist_core.ids import check_id
from persist_core.model import ContainerState, SandboxState
from persist_core.rwlock import SharedExclusiveLock
from persist_memory import MemoryDriver


class ControlDriver(MemoryDriver):
    """No flaw: the same harness must pass it."""


class SharedReferencesDriver(MemoryDriver):
    """Keeps the caller's objects and hands them back from load (a cache of decoded objects)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._objects: dict[str, tuple[SandboxState, dict[str, ContainerState]]] = {}

    def save(self, sandbox: SandboxState, containers: Mapping[str, ContainerState]) -> None:
        super().save(sandbox, containers)
        self._objects[sandbox.sandbox_container] = (sandbox, containers)  # type: ignore[assignment]

    def load(self, sandbox_id: str) -> tuple[SandboxState, dict[str, ContainerState]]:
        cached = self._objects.get(sandbox_id)
        return cached if cached is not None else super().load(sandbox_id)

    def destroy(self, sandbox_id: str) -> None:
        self._objects.pop(sandbox_id, None)
        super().destroy(sandbox_id)


class KeepsRemovedContainersDriver(MemoryDriver):
    """Merges each save's containers into the stored ones instead of replacing them."""

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        try:
            stored = {cid: record.data for cid, record in self._load(sandbox_id).containers.items()}
        except SandboxNotFoundError:
            stored = {}
        super()._save(sandbox_id, sandbox, {**stored, **containers})


class NonExclusiveLockDriver(MemoryDriver):
    """Takes every lock as shared, so an exclusive lock excludes nobody."""

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Any:
        return super()._acquire(sandbox_id, False, timeout)


class LosesStateOnFailedSaveDriver(MemoryDriver):
    """Removes the old state before writing the new one, as kata's original fs driver does."""

    def save(self, sandbox: SandboxState, containers: Mapping[str, ContainerState]) -> None:
        sandbox_id = getattr(sandbox, "sandbox_container", None)
        with contextlib.suppress(InvalidIdError):
            self.destroy(check_id(sandbox_id))
        super().save(sandbox, containers)

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        with self._store.guard:
            self._store.entries.pop(sandbox_id, None)
        super()._save(sandbox_id, sandbox, containers)  # raises here when a fault is injected


class UncheckedIdsDriver(MemoryDriver):
    """Overrides the public methods without the core's ID check, so "../x" reaches the backend."""

    def save(self, sandbox: SandboxState, containers: Mapping[str, ContainerState]) -> None:
        documents = {cid: codec.dumps(state) for cid, state in containers.items()}
        self._save(sandbox.sandbox_container, codec.dumps(sandbox), documents)

    def load(self, sandbox_id: str) -> tuple[SandboxState, dict[str, ContainerState]]:
        stored = self._load(sandbox_id)
        containers = {cid: codec.loads(r.data, ContainerState) for cid, r in sorted(stored.containers.items())}
        return codec.loads(stored.sandbox.data, SandboxState), containers

    def destroy(self, sandbox_id: str) -> None:
        self._destroy(sandbox_id)

    def lock(self, sandbox_id: str, *, exclusive: bool = True, timeout: float | None = None) -> Lock:
        return Lock(lambda: self._acquire(sandbox_id, exclusive, timeout))


class FalselyDurableDriver(MemoryDriver):
    """Claims DURABLE, but ``get_driver("memory", **options)`` opens a new, empty store."""

    capabilities = MemoryDriver.capabilities | {Capability.DURABLE}


# -- a flat key-value store, as an etcd- or Redis-style backend keeps one -------------------------------


class FlatStoreDriver(PersistDriver):
    """Correct: one key per record in a flat, ordered key space, a save replacing a sandbox's keys at once.

    Keys are ``sb/<sandbox>`` and ``ct/<sandbox>/<container>``; each flawed subclass below changes one thing.
    """

    name = "flat"
    capabilities = frozenset()

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.guard = threading.Lock()
        self.locks: dict[str, SharedExclusiveLock] = {}

    @property
    def options(self) -> dict[str, Any]:
        return {}

    def sandbox_key(self, sandbox_id: str) -> str:
        return f"sb/{sandbox_id}"

    def container_prefix(self, sandbox_id: str) -> str:
        return f"ct/{sandbox_id}/"

    def container_key(self, sandbox_id: str, container_id: str) -> str:
        return self.container_prefix(sandbox_id) + container_id

    def lock_for(self, sandbox_id: str) -> SharedExclusiveLock:
        with self.guard:
            return self.locks.setdefault(sandbox_id, SharedExclusiveLock())

    def write(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        """Delete the sandbox's container keys by prefix and put the new ones, in one step."""
        prefix = self.container_prefix(sandbox_id)
        with self.guard:
            for key in [key for key in self.keys if key.startswith(prefix)]:
                del self.keys[key]
            self.keys[self.sandbox_key(sandbox_id)] = sandbox
            for cid, data in containers.items():
                self.keys[self.container_key(sandbox_id, cid)] = data

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self.write(sandbox_id, sandbox, containers)

    def _load(self, sandbox_id: str) -> StoredSandbox:
        prefix = self.container_prefix(sandbox_id)
        with self.guard:
            sandbox = self.keys.get(self.sandbox_key(sandbox_id))
            containers = {key: data for key, data in self.keys.items() if key.startswith(prefix)}
        if sandbox is None:
            raise SandboxNotFoundError(f"sandbox {sandbox_id!r} is not stored")
        return StoredSandbox(
            sandbox=Record(sandbox, self.sandbox_key(sandbox_id)),
            containers={key.rsplit("/", 1)[1]: Record(data, key) for key, data in containers.items()},
        )

    def _destroy(self, sandbox_id: str) -> None:
        prefix = self.container_prefix(sandbox_id)
        with self.guard:
            self.keys.pop(self.sandbox_key(sandbox_id), None)
            for key in [key for key in self.keys if key.startswith(prefix)]:
                del self.keys[key]

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        lock = self.lock_for(sandbox_id)
        lock.acquire(exclusive=exclusive, timeout=timeout, what=f"lock of sandbox {sandbox_id!r}")
        return functools.partial(lock.release, exclusive=exclusive)

    def _sandbox_ids(self) -> Iterable[str]:
        with self.guard:
            return [key.removeprefix("sb/") for key in self.keys if key.startswith("sb/")]


class FlatControlDriver(FlatStoreDriver):
    """No flaw: the same harness must pass it."""


class PrefixLeakDriver(FlatStoreDriver):
    """Finds a sandbox's containers by the prefix ``ct/<sandbox>`` without the separator: 'a' sees 'ab'."""

    def container_prefix(self, sandbox_id: str) -> str:
        return f"ct/{sandbox_id}"

    def container_key(self, sandbox_id: str, container_id: str) -> str:
        return f"ct/{sandbox_id}/{container_id}"


class CaseFoldingDriver(FlatStoreDriver):
    """Keys compare without case, as on a case-insensitive collation: 'Pod' and 'pod' are one sandbox."""

    def sandbox_key(self, sandbox_id: str) -> str:
        return super().sandbox_key(sandbox_id.lower())

    def container_prefix(self, sandbox_id: str) -> str:
        return super().container_prefix(sandbox_id.lower())

    def container_key(self, sandbox_id: str, container_id: str) -> str:
        return super().container_key(sandbox_id, container_id.lower())


class EscapingCollisionDriver(FlatStoreDriver):
    """Replaces '.' by '_' in keys (as stores that reserve the dot must): 'a.b' and 'a_b' share one key."""

    def sandbox_key(self, sandbox_id: str) -> str:
        return super().sandbox_key(sandbox_id.replace(".", "_"))

    def container_prefix(self, sandbox_id: str) -> str:
        return super().container_prefix(sandbox_id.replace(".", "_"))


class ShortKeyDriver(FlatStoreDriver):
    """Keys live in a column of 100 characters; longer IDs are silently cut to fit."""

    def sandbox_key(self, sandbox_id: str) -> str:
        return super().sandbox_key(sandbox_id[:100])

    def container_prefix(self, sandbox_id: str) -> str:
        return super().container_prefix(sandbox_id[:100])

    def container_key(self, sandbox_id: str, container_id: str) -> str:
        return super().container_key(sandbox_id, container_id[:100])


class TruncatingDriver(FlatStoreDriver):
    """Keeps only the first 4 KiB of each record (a fixed-size value buffer)."""

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        super()._save(sandbox_id, sandbox[:4096], {cid: data[:4096] for cid, data in containers.items()})


class SlowTimeoutDriver(FlatStoreDriver):
    """Waits five times longer than the lock timeout it is given before giving up."""

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        return super()._acquire(sandbox_id, exclusive, None if timeout is None else timeout * 5)


class GlobalLockDriver(FlatStoreDriver):
    """One lock for every sandbox: correct exclusion, but locking 'a' blocks 'b'."""

    def lock_for(self, sandbox_id: str) -> SharedExclusiveLock:
        return super().lock_for("*")


class TornSaveDriver(FlatStoreDriver):
    """Writes the sandbox key, then the container keys, as separate requests: a reader can see a mix."""

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        with self.guard:
            self.keys[self.sandbox_key(sandbox_id)] = sandbox
        time.sleep(0.001)  # the next round trip to the store
        super()._save(sandbox_id, sandbox, containers)


class WrongNotFoundDriver(FlatStoreDriver):
    """Lets the store's own error out for a missing sandbox (FileNotFoundError, not SandboxNotFoundError)."""

    def _load(self, sandbox_id: str) -> StoredSandbox:
        if self.sandbox_key(sandbox_id) not in self.keys:
            raise FileNotFoundError(2, "No such file or directory", self.sandbox_key(sandbox_id))
        return super()._load(sandbox_id)


class LockNeverReleasedDriver(FlatStoreDriver):
    """Its release function does nothing: the first holder keeps the lock forever."""

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        super()._acquire(sandbox_id, exclusive, timeout)
        return lambda: None
