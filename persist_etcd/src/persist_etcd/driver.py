"""The "etcd" driver: sandbox state in an etcd v3 cluster, shared by every host that can reach it.

Values are the codec's bytes, so a record reads the same in etcd as on disk. A sandbox of any size
is saved all-or-nothing through a manifest that one small transaction switches (see ``saving``); a
load is one transaction that reads the sandbox whole at one revision. Saves and destroys made while
this driver holds the sandbox's lock are fenced: they commit only while the lock key still exists.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from persist_core import Capability, PersistDriver, Record, StoredSandbox
from persist_core.driver import Release
from persist_core.errors import CorruptStateError, SandboxNotFoundError
from persist_core.faults import FaultInjection
from persist_core.lru import BoundedLRU
from persist_etcd import leftovers, locks
from persist_etcd.gateway import Gateway, b64, parse_kvs
from persist_etcd.keys import Layout, range_end
from persist_etcd.locks import HeldLock
from persist_etcd.options import (
    DEFAULT_ENDPOINT,
    DEFAULT_LOCK_TTL,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_MAX_TXN_OPS,
    DEFAULT_PREFIX,
    DEFAULT_TIMEOUT,
    EtcdOptions,
)
from persist_etcd.saving import Save, check_fences, fence_compares, fence_read
from persist_etcd.stored import Stored, decode_manifest, read_ops


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
        max_request_bytes: int | str = DEFAULT_MAX_REQUEST_BYTES,
        max_txn_ops: int | str = DEFAULT_MAX_TXN_OPS,
        cache_bytes: int | str | None = None,
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
            max_request_bytes=max_request_bytes,
            max_txn_ops=max_txn_ops,
            cache_bytes=cache_bytes,
            ca_cert=ca_cert,
            client_cert=client_cert,
            client_key=client_key,
            user=user,
            password=password,
            password_file=password_file,
        )
        self._layout = Layout(self._options.prefix)
        self._gateway = Gateway(self._options)
        self._use_cache_bytes(self._options.cache_bytes)  # the core's caches
        # What this driver last saw stored, per sandbox: saves the read before a save. Charged by the
        # memory it takes (Stored.footprint), within the same cache_bytes.
        self._last_seen: BoundedLRU[str, Stored] = BoundedLRU(self._options.cache_bytes)
        self._held: dict[str, list[HeldLock]] = {}
        self._guard = threading.Lock()
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

    # -- last seen: what this driver last saw stored; every save's compares check it in etcd -------

    def _remember(self, sandbox_id: str, stored: Stored | None) -> None:
        if stored is None or not stored.sandbox_revision:
            self._last_seen.pop(sandbox_id)
        else:
            self._last_seen.put(sandbox_id, stored, stored.footprint())

    def _remembered(self, sandbox_id: str) -> Stored | None:
        return self._last_seen.get(sandbox_id)

    def _fences(self, sandbox_id: str) -> list[HeldLock]:
        with self._guard:
            return list(self._held.get(sandbox_id, ()))

    # -- backend ---------------------------------------------------------------------------------

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self._faults.check("save")
        save = Save(
            self._gateway,
            self._layout,
            self._options,
            sandbox_id=sandbox_id,
            sandbox=sandbox,
            containers=containers,
            fences=self._fences(sandbox_id),
        )
        try:
            stored = save.run(self._remembered(sandbox_id))
        except BaseException:
            self._remember(sandbox_id, None)
            raise
        self._remember(sandbox_id, stored)

    def _load(self, sandbox_id: str) -> StoredSandbox:
        self._faults.check("load")
        result = self._gateway.txn(f"loading sandbox {sandbox_id!r}", {"success": read_ops(self._layout, sandbox_id)})
        responses = result.get("responses", [])
        record = parse_kvs(responses[0].get("response_range", {}))
        if not record:
            raise SandboxNotFoundError(
                f"sandbox {sandbox_id!r} is not stored in etcd at {','.join(self._options.endpoints)} "
                f"(no key {self._layout.sandbox_key(sandbox_id)})"
            )
        kvs = parse_kvs(responses[1].get("response_range", {}))
        values = {key: value for key, value, _ in kvs}
        manifest_key = self._layout.manifest_key(sandbox_id)
        manifest = decode_manifest(values[manifest_key], self._location(manifest_key)) if manifest_key in values else {}
        containers: dict[str, Record] = {}
        for container_id, stamp in manifest.items():
            key = self._layout.container_key(sandbox_id, container_id, stamp)
            if key not in values:
                raise CorruptStateError(
                    f"{self._location(manifest_key)}: container {container_id!r} names key {key}, which is missing"
                )
            containers[container_id] = Record(values[key], self._location(key))
        self._remember(
            sandbox_id, Stored.of(self._layout, sandbox_id, record[0], kvs, int(result["header"]["revision"]))
        )
        return StoredSandbox(sandbox=Record(record[0][1], self._location(record[0][0])), containers=containers)

    def _destroy(self, sandbox_id: str) -> None:
        self._faults.check("destroy")
        fences = self._fences(sandbox_id)
        check_fences(fences)
        directory = self._layout.containers_dir(sandbox_id)
        # One transaction: the record and every container go together, and only while our locks hold.
        body: dict[str, Any] = {
            "compare": fence_compares(fences),
            "success": [
                {"request_delete_range": {"key": b64(self._layout.sandbox_key(sandbox_id))}},
                {"request_delete_range": {"key": b64(directory), "range_end": b64(range_end(directory))}},
            ],
            "failure": [fence_read(self._layout, sandbox_id)],
        }
        self._remember(sandbox_id, None)
        result = self._gateway.txn(f"destroying sandbox {sandbox_id!r}", body)
        if not result["succeeded"]:
            check_fences(fences, result["responses"][0].get("response_range", {}))

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        self._faults.check("lock")
        held = locks.acquire(self._gateway, self._layout, sandbox_id, exclusive, timeout, on_release=self._forget_lock)
        with self._guard:
            self._held.setdefault(sandbox_id, []).append(held)
        return held

    def _forget_lock(self, held: HeldLock) -> None:
        with self._guard:
            for sandbox_id, holders in list(self._held.items()):
                if held in holders:
                    holders.remove(held)
                    if not holders:
                        del self._held[sandbox_id]

    def find_leftovers(self) -> list[str]:
        return [description for _, description, _ in leftovers.find(self._gateway, self._layout)]

    def clean_leftovers(self) -> list[str]:
        return leftovers.clean(self._gateway, self._layout, self._options.max_txn_ops)

    def _sandbox_ids(self) -> Iterable[str]:
        self._faults.check("sandbox_ids")
        # keys_only over the records' own range: one key per sandbox, no values, no containers.
        kvs = self._gateway.range("listing sandboxes", self._layout.sandboxes, prefix=True, keys_only=True)
        return [sandbox_id for key, _, _ in kvs if (sandbox_id := self._layout.sandbox_id_of(key)) is not None]
