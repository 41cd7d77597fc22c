"""Fencing, sandboxes of any size, nested prefixes and oversized saves on a real three-member cluster.

The other modules check each in detail on one member; here the driver spreads its requests over three
members (a lock taken through one, a save sent to another), as it does in production.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from persist_core.errors import BackendUnavailableError, LockLostError, StorageError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, member_client, raw_range

from .conftest import start_cluster


@pytest.fixture(scope="module")
def etcd_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    """Overrides the session's one member for this module."""
    cluster = start_cluster(tmp_path_factory.mktemp("etcd3"), 3)
    try:
        yield cluster
    finally:
        cluster.stop()


def sandbox(state: str) -> SandboxState:
    return SandboxState(sandbox_container="sb", state=state)


def test_a_lost_lock_stores_nothing_across_members(
    etcd_cluster: EtcdCluster, make_driver: Callable[..., EtcdDriver]
) -> None:
    first = make_driver()
    second = make_driver(endpoints=list(reversed(etcd_cluster.endpoints)))  # asks another member first
    first.save(sandbox("0"), {})
    with first.lock("sb", timeout=10) as lock:
        prefix = f"{first.options['prefix']}:/locks/sb/"
        (key,) = raw_range(etcd_cluster.endpoints[1], prefix)[1]
        client = member_client(etcd_cluster.endpoints[2])
        client.post(client.get_url("/kv/lease/revoke"), json={"ID": int(key.rsplit("-", 1)[1], 16)})
        with second.lock("sb", timeout=10):
            second.save(sandbox("1"), {})
        with pytest.raises(LockLostError):
            first.save(sandbox("stale"), {})
        assert lock.lost
    assert second.load("sb")[0] == sandbox("1")


def test_a_thousand_containers_all_or_nothing(
    etcd_cluster: EtcdCluster, make_driver: Callable[..., EtcdDriver]
) -> None:
    writer = make_driver()
    reader = make_driver(endpoints=list(reversed(etcd_cluster.endpoints)), cache_bytes=0)
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                try:
                    state, containers = reader.load("sb")
                except LookupError:
                    continue
                assert {c.bundle_path.split("/")[1] for c in containers.values()} == {state.state}
                assert len(containers) == 1000
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for version in ("a", "b", "c"):
            writer.save(sandbox(version), {f"c{n}": ContainerState(bundle_path=f"/{version}/{n}") for n in range(1000)})
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors[0]
    assert reader.load("sb")[0] == sandbox("c")


def test_nested_prefixes_stay_apart(make_driver: Callable[..., EtcdDriver], etcd_prefix: str) -> None:
    outer, inner = make_driver(prefix=etcd_prefix), make_driver(prefix=etcd_prefix + "/sbs/tenant")
    locks = make_driver(prefix=etcd_prefix + "/locks/tenant")
    inner.save(SandboxState(sandbox_container="tenant"), {})
    outer.destroy("tenant")
    assert inner.sandbox_ids() == ["tenant"]
    with locks.lock("tenant", timeout=0), outer.lock("tenant", timeout=0):
        pass


def test_an_oversized_record_fails_at_once(make_driver: Callable[..., EtcdDriver]) -> None:
    driver = make_driver(timeout=5, max_request_bytes=8 * 1024 * 1024)  # so that the members refuse it
    started = time.monotonic()
    with pytest.raises(StorageError, match="too large") as info:
        driver.save(sandbox("big"), {"c": ContainerState(bundle_path="x" * 2 * 1024 * 1024)})
    assert not isinstance(info.value, BackendUnavailableError)
    assert time.monotonic() - started < 3
