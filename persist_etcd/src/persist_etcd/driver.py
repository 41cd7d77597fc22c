"""The "etcd" driver: sandbox state in an etcd v3 cluster, shared by every host that can reach it.

Keys mirror the fs layout and values are the codec's bytes, so a record reads the same in etcd as on
disk. A save is one transaction guarded by the sandbox record's mod_revision. Every save and destroy
rewrites or deletes that record, so it is the sandbox's version stamp: a save commits only if nobody
saved since the state it was computed from, and otherwise recomputes from the fresh state that the
failed transaction returned. Saves from many hosts therefore never interleave, and each one writes only
the containers whose bytes changed.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from persist_core import Capability, PersistDriver, Record, StoredSandbox
from persist_core.driver import Release
from persist_core.errors import SandboxNotFoundError, StorageError
from persist_core.faults import FaultInjection
from persist_etcd import locks
from persist_etcd.gateway import Gateway, b64, parse_kvs
from persist_etcd.keys import Layout, range_end
from persist_etcd.options import DEFAULT_ENDPOINT, DEFAULT_LOCK_TTL, DEFAULT_PREFIX, DEFAULT_TIMEOUT, EtcdOptions

#: Sandboxes whose last known revisions a driver remembers, to save in one round trip.
SNAPSHOT_CACHE_SIZE = 1024
#: Attempts of a save that keeps losing to concurrent saves of the same sandbox.
MAX_SAVE_ATTEMPTS = 64


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


@attrs.frozen
class _Snapshot:
    """What a sandbox's keys held at some revision: the guard and the diff base of the next save."""

    revision: int  # mod_revision of the sandbox record; 0 when it is not stored
    containers: Mapping[str, tuple[str, bytes]]  # container ID -> (key, digest of the value)

    @classmethod
    def of(cls, layout: Layout, sandbox_id: str, kvs: Iterable[tuple[str, bytes, int]]) -> _Snapshot:
        revision = 0
        containers: dict[str, tuple[str, bytes]] = {}
        for key, value, mod_revision in kvs:
            member = layout.member_of(sandbox_id, key)
            if member == "":
                revision = mod_revision
            elif member is not None:
                containers[member] = (key, _digest(value))
        return cls(revision, containers)


class EtcdDriver(PersistDriver):
    """Stores sandboxes in etcd; locks are leases, so a crashed host's lock expires after ``lock_ttl``."""

    name = "etcd"
    capabilities = frozenset({Capability.CROSS_PROCESS_LOCKS, Capability.DURABLE, Capability.FAULT_INJECTION})

    def __init__(
        self,
        endpoints: str | Sequence[str] = DEFAULT_ENDPOINT,
        prefix: str = DEFAULT_PREFIX,
        lock_ttl: int | str = DEFAULT_LOCK_TTL,
        timeout: float | str = DEFAULT_TIMEOUT,
        *,
        ca_cert: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
        user: str | None = None,
        password: str | None = None,
        password_file: str | None = None,
    ) -> None:
        self._options = EtcdOptions.parse(
            endpoints=endpoints,
            prefix=prefix,
            lock_ttl=lock_ttl,
            timeout=timeout,
            ca_cert=ca_cert,
            client_cert=client_cert,
            client_key=client_key,
            user=user,
            password=password,
            password_file=password_file,
        )
        self._layout = Layout(self._options.prefix)
        self._gateway = Gateway(self._options)
        self._snapshots: OrderedDict[str, _Snapshot] = OrderedDict()
        self._snapshots_guard = threading.Lock()
        self._faults = FaultInjection()
        weakref.finalize(self, self._gateway.close)

    @property
    def options(self) -> dict[str, Any]:
        return self._options.as_dict()

    def fail_next(self, operation: str, exc: BaseException) -> None:
        """Make the next ``operation`` (save, load, destroy, lock, sandbox_ids) raise ``exc``, changing nothing."""
        self._faults.fail_next(operation, exc)

    def close(self) -> None:
        """Close the HTTP sessions (also done when the driver is garbage-collected)."""
        self._gateway.close()

    def __repr__(self) -> str:
        return f"EtcdDriver(endpoints={list(self._options.endpoints)!r}, prefix={self._options.prefix or '/'!r})"

    def _location(self, key: str) -> str:
        return f"etcd key {key} at {','.join(self._options.endpoints)}"

    # -- snapshots: a guess of the current revisions, checked by every save's guard ------------

    def _remember(self, sandbox_id: str, snapshot: _Snapshot | None) -> None:
        with self._snapshots_guard:
            self._snapshots.pop(sandbox_id, None)
            if snapshot is not None:
                self._snapshots[sandbox_id] = snapshot
                while len(self._snapshots) > SNAPSHOT_CACHE_SIZE:
                    self._snapshots.popitem(last=False)

    def _remembered(self, sandbox_id: str) -> _Snapshot | None:
        with self._snapshots_guard:
            return self._snapshots.get(sandbox_id)

    def _read_snapshot(self, sandbox_id: str, what: str) -> tuple[list[tuple[str, bytes, int]], _Snapshot]:
        kvs = self._gateway.range(what, self._layout.sandbox_dir(sandbox_id), prefix=True)
        snapshot = _Snapshot.of(self._layout, sandbox_id, kvs)
        self._remember(sandbox_id, snapshot if snapshot.revision else None)
        return kvs, snapshot

    # -- backend ---------------------------------------------------------------------------------

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self._faults.check("save")
        what = f"saving sandbox {sandbox_id!r}"
        snapshot = self._remembered(sandbox_id)
        if snapshot is None:
            _, snapshot = self._read_snapshot(sandbox_id, what)
        directory = self._layout.sandbox_dir(sandbox_id)
        sandbox_key = b64(self._layout.sandbox_key(sandbox_id))
        digests = {container_id: _digest(data) for container_id, data in containers.items()}
        for _ in range(MAX_SAVE_ATTEMPTS):
            body = {
                "compare": [
                    {"key": sandbox_key, "target": "MOD", "result": "EQUAL", "mod_revision": snapshot.revision}
                ],
                "success": self._save_ops(sandbox_id, sandbox, containers, digests, snapshot),
                "failure": [{"request_range": {"key": b64(directory), "range_end": b64(range_end(directory))}}],
            }
            result = self._gateway.txn(what, body)
            if result["succeeded"]:
                revision = int(result["header"]["revision"])
                saved = {cid: (self._layout.container_key(sandbox_id, cid), digest) for cid, digest in digests.items()}
                self._remember(sandbox_id, _Snapshot(revision, saved))
                return
            # Someone saved or destroyed since our snapshot: diff against what is there now.
            kvs = parse_kvs(result["responses"][0]["response_range"])
            snapshot = _Snapshot.of(self._layout, sandbox_id, kvs)
        self._remember(sandbox_id, None)
        raise StorageError(
            f"saving sandbox {sandbox_id!r} lost to concurrent saves {MAX_SAVE_ATTEMPTS} times in a row; "
            "hold the sandbox's lock while saving"
        )

    def _save_ops(
        self,
        sandbox_id: str,
        sandbox: bytes,
        containers: Mapping[str, bytes],
        digests: Mapping[str, bytes],
        snapshot: _Snapshot,
    ) -> list[dict[str, Any]]:
        """The sandbox record always (it is the version stamp), changed containers, removed ones' deletion."""
        ops: list[dict[str, Any]] = [
            {"request_put": {"key": b64(self._layout.sandbox_key(sandbox_id)), "value": b64(sandbox)}}
        ]
        for container_id, data in containers.items():
            stored = snapshot.containers.get(container_id)
            if stored is None or stored[1] != digests[container_id]:
                key = self._layout.container_key(sandbox_id, container_id)
                ops.append({"request_put": {"key": b64(key), "value": b64(data)}})
        for container_id, (key, _) in snapshot.containers.items():
            if container_id not in containers:
                ops.append({"request_delete_range": {"key": b64(key)}})
        return ops

    def _load(self, sandbox_id: str) -> StoredSandbox:
        self._faults.check("load")
        kvs, _ = self._read_snapshot(sandbox_id, f"loading sandbox {sandbox_id!r}")
        sandbox: Record | None = None
        containers: dict[str, Record] = {}
        for key, value, _ in kvs:
            member = self._layout.member_of(sandbox_id, key)
            if member == "":
                sandbox = Record(value, self._location(key))
            elif member is not None:
                containers[member] = Record(value, self._location(key))
        if sandbox is None:
            raise SandboxNotFoundError(
                f"sandbox {sandbox_id!r} is not stored in etcd at {','.join(self._options.endpoints)} "
                f"(no key {self._layout.sandbox_key(sandbox_id)})"
            )
        return StoredSandbox(sandbox=sandbox, containers=containers)

    def _destroy(self, sandbox_id: str) -> None:
        self._faults.check("destroy")
        # One delete of the sandbox's key range: atomic, and it removes the version stamp, so a save
        # computed before it fails its guard and starts again from nothing.
        self._gateway.delete_prefix(f"destroying sandbox {sandbox_id!r}", self._layout.sandbox_dir(sandbox_id))
        self._remember(sandbox_id, None)

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        self._faults.check("lock")
        return locks.acquire(self._gateway, self._layout, sandbox_id, exclusive, timeout)

    def _sandbox_ids(self) -> Iterable[str]:
        self._faults.check("sandbox_ids")
        # keys_only: listing never transfers the records themselves.
        kvs = self._gateway.range("listing sandboxes", self._layout.sandboxes, prefix=True, keys_only=True)
        return [sandbox_id for key, _, _ in kvs if (sandbox_id := self._layout.sandbox_id_of(key)) is not None]
