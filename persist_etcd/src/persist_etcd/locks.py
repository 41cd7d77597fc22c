"""Shared/exclusive sandbox locks across hosts, on etcd leases.

A holder owns one key under ``<prefix>/locks/<sid>/``: ``write-<lease>`` for exclusive, ``read-<lease>``
for shared, attached to a lease of its own. Taking the lock is one transaction whose guard is the
whole rule: an exclusive key is created only if the lock directory is empty, a shared key only if
it holds no ``write-`` key. A waiter holds no key; it watches the directory for deletions and tries
again until its timeout. So, like flock and the in-process lock, readers share, a writer excludes
everyone, and there is no writer preference.

A thread keeps the lease alive while the lock is held. Release revokes the lease, which deletes the
key; if the holder crashes, the lease expires after its TTL and the lock frees itself.

A holder paused longer than the TTL (GC pause, frozen VM, partition) loses its key while it still
believes it holds the lock. So the lock is fenced: the driver's saves and destroys of a sandbox whose
lock it holds compare the key's create revision inside their own transaction (etcd's
``Mutex.IsOwner``), and a lost lock makes them store nothing and raise LockLostError.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from persist_core.errors import LockLostError, LockTimeoutError, PersistError
from persist_etcd.gateway import Gateway, NotFound, b64, parse_kvs
from persist_etcd.keys import WRITE, Layout, range_end

_log = logging.getLogger(__name__)

#: Longest single wait on a watch before the lock state is read again (guards against a lost event).
WATCH_SLICE = 2.0


class _KeepAlive:
    """Refreshes one lease every third of its TTL until stopped; logs loudly if the lease is lost."""

    def __init__(self, gateway: Gateway, lease_id: int, ttl: int, what: str) -> None:
        self._gateway = gateway
        self._lease_id = lease_id
        self._interval = max(ttl / 3, 0.2)
        self._what = what
        self._stopped = threading.Event()
        self.lost = False
        self._thread = threading.Thread(target=self._run, name=f"persist-etcd-keepalive-{lease_id:x}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                ttl = self._gateway.keepalive(f"keeping the {self._what} alive", self._lease_id)
            except NotFound:
                ttl = -1  # revoked or expired behind our back
            except PersistError as exc:
                _log.warning("could not refresh the lease of the %s (will retry): %s", self._what, exc)
                continue
            if ttl <= 0:
                self.lost = True
                _log.error("the lease of the %s expired: another holder may now take the lock", self._what)
                return

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self._gateway.options.timeout + 1)


class HeldLock:
    """A granted lock: call it to release; ``lost`` once its key is known gone (core's LossReporting).

    ``key`` and ``create_revision`` are what fenced writes compare: the key exists with this create
    revision exactly as long as this holder owns the lock.
    """

    def __init__(
        self,
        gateway: Gateway,
        what: str,
        *,
        lease_id: int,
        key: str,
        create_revision: int,
        keeper: _KeepAlive,
        on_release: Callable[[HeldLock], None],
    ) -> None:
        self.what = what
        self.key = key
        self.create_revision = create_revision
        self._gateway = gateway
        self._lease_id = lease_id
        self._keeper = keeper
        self._on_release = on_release
        self._released = threading.Event()
        self._lost = False

    @property
    def lost(self) -> bool:
        return self._lost or self._keeper.lost

    def mark_lost(self) -> None:
        if not self._lost:
            self._lost = True
            _log.error("the %s was lost (its key %s is gone): this holder's writes are refused", self.what, self.key)

    def lost_error(self) -> LockLostError:
        return LockLostError(
            f"the {self.what} was lost while held (etcd key {self.key} is gone: its lease expired, e.g. during "
            "a pause or partition longer than lock_ttl); nothing was stored: take the lock again and reload"
        )

    def compare(self) -> dict[str, object]:
        """The transaction compare that holds only while this holder still owns the lock."""
        return {"key": b64(self.key), "target": "CREATE", "result": "EQUAL", "create_revision": self.create_revision}

    def __call__(self) -> None:
        if self._released.is_set():
            return
        self._released.set()
        self._on_release(self)
        self._keeper.stop()
        _revoke(self._gateway, self._lease_id, self.what)


def acquire(
    gateway: Gateway,
    layout: Layout,
    sandbox_id: str,
    exclusive: bool,
    timeout: float | None,
    *,
    on_release: Callable[[HeldLock], None] = lambda held: None,
) -> HeldLock:
    """Block until the lock is granted or ``timeout`` passes (LockTimeoutError); return the held lock."""
    what = f"{'exclusive' if exclusive else 'shared'} lock of sandbox {sandbox_id!r}"
    deadline = None if timeout is None else time.monotonic() + timeout
    lease_id, ttl = gateway.grant(f"granting a lease for the {what}", gateway.options.lock_ttl)
    keeper = _KeepAlive(gateway, lease_id, ttl, what)
    try:
        own_key = layout.lock_key(sandbox_id, exclusive, lease_id)
        claim = _Claim(layout.lock_dir(sandbox_id), own_key, exclusive, lease_id)
        while True:
            holders, revision = claim.attempt(gateway, what)
            if not holders:
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise LockTimeoutError(
                    f"timed out after {timeout:g}s waiting for the {what}, held by {len(holders)} other "
                    f"holder(s) under etcd key {claim.blockers}"
                )
            wait = WATCH_SLICE if remaining is None else min(remaining, WATCH_SLICE)
            gateway.wait_for_delete(claim.blockers, revision + 1, wait)
    except BaseException:
        keeper.stop()
        _revoke(gateway, lease_id, what)
        raise

    return HeldLock(
        gateway,
        what,
        lease_id=lease_id,
        key=own_key,
        create_revision=revision,
        keeper=keeper,
        on_release=on_release,
    )


class _Claim:
    """One holder's key and the transaction that creates it only if nobody blocks it."""

    def __init__(self, directory: str, own_key: str, exclusive: bool, lease_id: int) -> None:
        self.own_key = own_key
        # Who blocks us: anyone for a writer, writers for a reader.
        self.blockers = directory if exclusive else directory + WRITE
        blockers = {"key": b64(self.blockers), "range_end": b64(range_end(self.blockers))}
        self.body = {
            # Over a key range, "create_revision == 0" holds only when the range is empty.
            "compare": [{**blockers, "target": "CREATE", "result": "EQUAL", "create_revision": 0}],
            "success": [{"request_put": {"key": b64(own_key), "value": b64(b""), "lease": lease_id}}],
            "failure": [{"request_range": {**blockers, "keys_only": True}}],
        }

    def attempt(self, gateway: Gateway, what: str) -> tuple[list[str], int]:
        """Try once: the keys that block us (none: the lock is ours) and a revision.

        When the lock is ours the revision is our key's create revision (what fenced writes compare);
        otherwise it is the store revision the failed attempt saw (where to watch from).
        """
        result = gateway.txn(f"taking the {what}", self.body)
        if result["succeeded"]:
            return [], int(result["header"]["revision"])
        kvs = parse_kvs(result["responses"][0]["response_range"])
        if [key for key, _, _ in kvs] == [self.own_key]:
            return [], kvs[0][2]  # an earlier try went through but its answer was lost; put once, so mod == create
        return [key for key, _, _ in kvs], int(result["header"]["revision"])


def _revoke(gateway: Gateway, lease_id: int, what: str) -> None:
    try:
        gateway.revoke(f"releasing the {what}", lease_id)
    except PersistError as exc:
        # The lease runs out by itself after its TTL, freeing the lock; raising here would mask the
        # error that made the caller leave its ``with`` block.
        _log.warning("could not release the %s now; it frees itself when its lease expires: %s", what, exc)
