"""Drivers with one deliberate flaw each: the conformance kit must fail every one of them.

Each is the memory driver with a single, realistic mistake; ``ControlDriver`` has none, so a failure
of a broken driver can only come from its flaw.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from persist_core import Capability, Lock, codec
from persist_core.errors import InvalidIdError, SandboxNotFoundError
from persist_core.ids import check_id
from persist_core.model import ContainerState, SandboxState
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
