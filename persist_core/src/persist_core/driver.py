"""The driver contract: what every backend promises, and the checks the core makes for all of them.

A backend subclasses :class:`PersistDriver` and implements the underscore methods, which deal only in
validated IDs and encoded bytes. The public methods check IDs, encode and decode with the one codec,
and refuse newer formats, so no backend can get those wrong or disagree about them.
"""

from __future__ import annotations

import abc
import enum
import math
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from persist_core import codec
from persist_core.caches import DEFAULT_CACHE_BYTES, DriverCaches, check_cache_bytes
from persist_core.errors import EncodeError, InvalidArgumentError, MisfiledStateError
from persist_core.ids import check_id
from persist_core.model import ContainerState, SandboxState
from persist_core.versioning import check_version


class Capability(enum.Enum):
    """Promises a driver may make beyond the base contract; the conformance kit tests only these."""

    #: Locks exclude holders in other processes that re-open the store with ``get_driver(name, **options)``.
    CROSS_PROCESS_LOCKS = "cross_process_locks"
    #: State survives the process (and, for fs, a crash of the machine once ``save`` returned).
    DURABLE = "durable"
    #: ``driver.fail_next(operation, exc)`` makes the next such operation raise ``exc`` and change nothing.
    FAULT_INJECTION = "fault_injection"


@attrs.frozen
class Record:
    """One stored document, with where it lives so that errors can name it."""

    data: bytes
    location: str


@attrs.frozen
class StoredSandbox:
    """What a backend returns for ``load``: the sandbox record and one record per container ID."""

    sandbox: Record
    containers: Mapping[str, Record]


Release = Callable[[], None]


@runtime_checkable
class LossReporting(Protocol):
    """A release function that can also say its lock was taken away while held.

    Backends whose locks can expire (etcd's leases) return one from ``_acquire``; a plain function (fs,
    memory) means the lock cannot be lost while the process lives.
    """

    def __call__(self) -> None: ...

    @property
    def lost(self) -> bool: ...


class Lock:
    """A sandbox lock: a context manager, or ``acquire()``/``release()`` where a ``with`` block does not fit.

    Nothing is taken until it is entered, so creating one never blocks. ``lost`` turns True when the
    backend found the lock taken away while held (see LockLostError); ``held`` is then False.
    """

    def __init__(self, acquire: Callable[[], Release]) -> None:
        self._acquire = acquire
        self._release: Release | None = None
        self._lost_at_release = False

    def acquire(self) -> None:
        if self._release is not None:
            raise InvalidArgumentError("this lock is already held; create a new one with driver.lock()")
        self._release = self._acquire()
        self._lost_at_release = False

    def release(self) -> None:
        """Give the lock up; also ends a lost lock's bookkeeping, without raising."""
        release = self._release
        if release is None:
            raise InvalidArgumentError("this lock is not held")
        self._lost_at_release = self.lost
        self._release = None
        release()

    @property
    def held(self) -> bool:
        """Acquired, not released, and not lost."""
        return self._release is not None and not self.lost

    @property
    def lost(self) -> bool:
        """True once the backend reported the lock taken away while held; stays True after release."""
        release = self._release
        if release is None:
            return self._lost_at_release
        # getattr, not isinstance(release, LossReporting): a runtime-checkable Protocol check costs more than
        # the whole of an fs lock and unlock, and only backends whose locks expire have the attribute
        return bool(getattr(release, "lost", False))

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or math.isnan(timeout) or timeout < 0:
        raise InvalidArgumentError(f"lock timeout must be None or a number >= 0 seconds, got {timeout!r}")
    return float(timeout)


class PersistDriver(abc.ABC):
    """Saves and restores sandbox state. Subclass it and implement the underscore methods.

    Backends receive validated IDs and the codec's bytes; they never see objects or parse JSON.
    """

    #: The entry-point name that ``get_driver`` finds this driver under.
    name: ClassVar[str]
    #: What this driver promises beyond the base contract.
    capabilities: ClassVar[frozenset[Capability]] = frozenset()

    @property
    @abc.abstractmethod
    def options(self) -> dict[str, Any]:
        """Keyword options with which ``get_driver(self.name, **options)`` re-opens the same store."""

    # -- public API: checks here, storage in the backend ------------------------------------------

    def save(self, sandbox: SandboxState, containers: Mapping[str, ContainerState]) -> None:
        """Store ``sandbox`` and exactly ``containers``: stored containers missing from the map are removed.

        Everything is encoded before the backend is called, so an object that cannot be encoded changes
        nothing in the store.
        """
        if not isinstance(sandbox, SandboxState):
            raise EncodeError(f"save() takes a SandboxState, got {type(sandbox).__name__}")
        if not isinstance(containers, Mapping):
            raise InvalidArgumentError(
                f"containers must be a mapping of container ID to ContainerState, got {type(containers).__name__}"
            )
        sandbox_id = check_id(sandbox.sandbox_container, "sandbox")
        check_version(sandbox.persist_version, f"sandbox {sandbox_id!r}")
        for container_id, state in containers.items():
            check_id(container_id, "container")
            if not isinstance(state, ContainerState):
                raise EncodeError(
                    f"container {container_id!r} of sandbox {sandbox_id!r}: expected ContainerState, "
                    f"got {type(state).__name__}"
                )
        documents = self._caches().encoded.encode(sandbox_id, containers)
        self._save(sandbox_id, codec.dumps(sandbox), documents)

    def load(self, sandbox_id: str) -> tuple[SandboxState, dict[str, ContainerState]]:
        """Return fresh objects for the stored sandbox and its containers (sorted by container ID).

        Raises SandboxNotFoundError, CorruptStateError naming the record, or UnsupportedVersionError.
        A record that names another sandbox is corrupt: a locked read-modify-write would save it over that one.
        """
        stored = self._load(check_id(sandbox_id, "sandbox"))
        decoded = self._caches().decoded
        sandbox = decoded.loads(stored.sandbox.data, SandboxState, stored.sandbox.location)
        check_version(sandbox.persist_version, stored.sandbox.location)
        if sandbox.sandbox_container != sandbox_id:
            raise MisfiledStateError(
                f"{stored.sandbox.location}: the record of sandbox {sandbox_id!r} says it belongs to sandbox "
                f"{sandbox.sandbox_container!r} (SandboxContainer); saving it would write over that sandbox"
            )
        containers = {
            container_id: decoded.loads(record.data, ContainerState, record.location)
            for container_id, record in sorted(stored.containers.items())
        }
        return sandbox, containers

    def destroy(self, sandbox_id: str) -> None:
        """Remove the sandbox and its containers; a sandbox that is not stored is not an error."""
        checked = check_id(sandbox_id, "sandbox")
        self._caches().encoded.forget(checked)
        self._destroy(checked)

    def lock(self, sandbox_id: str, *, exclusive: bool = True, timeout: float | None = None) -> Lock:
        """A shared or exclusive lock on one sandbox; ``timeout`` None waits forever, 0 tries once.

        Acquiring raises LockTimeoutError when the timeout passes. The lock works whether or not the
        sandbox is stored, and is not re-entrant: a second exclusive acquire waits, even in one thread.
        """
        checked_id = check_id(sandbox_id, "sandbox")
        checked_timeout = _check_timeout(timeout)
        return Lock(lambda: self._acquire(checked_id, bool(exclusive), checked_timeout))

    def sandbox_ids(self) -> list[str]:
        """IDs of every stored sandbox, sorted, including ones whose records are corrupt."""
        return sorted(self._sandbox_ids())

    # -- caches (docs/caching.md): they save work and never change a result ------------------------

    @property
    def cache_bytes(self) -> int:
        """Bytes of JSON each of this driver's caches keeps (0: no caching)."""
        return self._caches().max_bytes

    def _use_cache_bytes(self, cache_bytes: object) -> int:
        """For a backend's constructor: size this instance's caches from its ``cache_bytes`` option.

        Returns the checked size (``None`` means the default), for the backend's own caches and ``options``.
        """
        size = DEFAULT_CACHE_BYTES if cache_bytes is None else check_cache_bytes(cache_bytes)
        self.__dict__["_persist_caches"] = DriverCaches(size)
        return size

    def _caches(self) -> DriverCaches:
        # Made on first use: backends need not call an __init__ of ours.
        caches: DriverCaches | None = self.__dict__.get("_persist_caches")
        if caches is None:
            caches = self.__dict__.setdefault("_persist_caches", DriverCaches())
        return caches

    # -- optional, for operators' tools -------------------------------------------------------------

    def last_modified(self, sandbox_id: str) -> float | None:
        """When the sandbox last changed (seconds since the epoch), or None where the backend cannot tell."""
        check_id(sandbox_id, "sandbox")
        return None

    def missing_store(self) -> str | None:
        """Where the store should be when it does not exist (a path, a URL); None if it exists or cannot tell.

        Tools that only read refuse a missing store, so that a mistyped path is not taken for an empty
        store; writing creates it as usual.
        """
        return None

    def find_leftovers(self) -> list[str]:
        """Descriptions of what killed writers left behind (invisible to readers, cleaned by writers)."""
        return []

    def clean_leftovers(self) -> list[str]:
        """Remove what killed writers left behind; never touches a record that loads. Returns what went."""
        return []

    def find_strays(self) -> list[str]:
        """Descriptions of stored entries that no valid ID names (``sandbox_ids`` cannot list them, ``load``
        cannot read them); reported so that nothing is passed over silently, never removed."""
        return []

    # -- backend -----------------------------------------------------------------------------------

    @abc.abstractmethod
    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        """Commit the sandbox and exactly these containers as one unit, or change nothing and raise."""

    @abc.abstractmethod
    def _load(self, sandbox_id: str) -> StoredSandbox:
        """Return the stored records, or raise SandboxNotFoundError."""

    @abc.abstractmethod
    def _destroy(self, sandbox_id: str) -> None:
        """Remove the sandbox if it is stored."""

    @abc.abstractmethod
    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        """Block until the lock is granted (or raise LockTimeoutError); return the function that releases it.

        A backend whose locks can be taken away while held (an expired lease) returns a LossReporting
        function, whose ``lost`` the Lock reports, and refuses the holder's later writes with LockLostError.
        """

    @abc.abstractmethod
    def _sandbox_ids(self) -> Iterable[str]:
        """IDs of every stored sandbox, in any order."""
