"""Sandboxes of any size: past etcd's --max-txn-ops and --max-request-bytes, still all-or-nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from persist_core import codec
from persist_core.errors import BackendUnavailableError, StorageError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, raw_put, raw_range, record_keys


def sandbox(state: str = "") -> SandboxState:
    return SandboxState(sandbox_container="sb", state=state)


def containers(count: int, version: str) -> dict[str, ContainerState]:
    return {f"c{n:04d}": ContainerState(bundle_path=f"/run/{version}/{n}") for n in range(count)}


def stored_keys(driver: EtcdDriver) -> dict[str, tuple[bytes, int]]:
    return raw_range(driver.options["endpoints"][0], f"{driver.options['prefix']}:/")[1]


def test_a_thousand_containers_save_load_and_change_one(make_driver: Callable[..., EtcdDriver]) -> None:
    writer, reader = make_driver(), make_driver(cache_bytes=0)
    writer.save(sandbox("v1"), containers(1000, "v1"))
    assert reader.load("sb") == (sandbox("v1"), containers(1000, "v1"))

    before = record_keys(writer.options["endpoints"][0], writer.options["prefix"], "sb")
    revisions = {key: rev for key, (_, rev) in stored_keys(writer).items()}
    changed = {**containers(1000, "v1"), "c0500": ContainerState(bundle_path="/changed")}
    writer.save(sandbox("v2"), changed)
    after = record_keys(writer.options["endpoints"][0], writer.options["prefix"], "sb")
    now = stored_keys(writer)
    assert [cid for cid in after if after[cid] != before[cid]] == ["c0500"]
    untouched = [key for cid, key in after.items() if cid not in ("", "c0500")]
    assert len(untouched) == 999
    assert all(now[key][1] == revisions[key] for key in untouched)  # unchanged: not rewritten
    assert reader.load("sb") == (sandbox("v2"), changed)

    writer.save(sandbox("v3"), containers(1000, "v3"))  # every record changes: staged, then one switch
    assert reader.load("sb") == (sandbox("v3"), containers(1000, "v3"))
    writer.save(sandbox("v4"), containers(100, "v3"))  # 900 removed
    assert reader.load("sb") == (sandbox("v4"), containers(100, "v3"))
    current = set(record_keys(writer.options["endpoints"][0], writer.options["prefix"], "sb").values())
    # Superseded and removed records are gone: the store holds the current records and the manifest.
    assert set(stored_keys(writer)) == current | {f"{writer.options['prefix']}:/ctr/sb/.manifest"}


def test_readers_see_one_save_or_the_other_never_a_mix(make_driver: Callable[..., EtcdDriver]) -> None:
    writer = make_driver()
    writer.save(sandbox("v0"), containers(400, "v0"))
    stop = threading.Event()
    seen: list[str] = []
    errors: list[BaseException] = []

    def read() -> None:
        reader = make_driver(cache_bytes=0)
        try:
            while not stop.is_set():
                state, loaded = reader.load("sb")
                versions = {c.bundle_path.split("/")[2] for c in loaded.values()}
                assert versions == {state.state}, f"sandbox {state.state} with containers of {versions}"
                assert len(loaded) == 400
                seen.append(state.state)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    try:
        for round_ in range(1, 7):
            writer.save(sandbox(f"v{round_}"), containers(400, f"v{round_}"))  # 400 changed: staged
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors[0]
    assert len(set(seen)) >= 2  # the reader really overlapped the writes


def test_a_save_killed_between_its_requests_leaves_the_previous_state(
    make_driver: Callable[..., EtcdDriver], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_driver(max_txn_ops=16)
    writer.save(sandbox("old"), containers(50, "old"))
    real_txn = writer._gateway.txn
    # 50 changed records, 16 a request: a read, 4 staging requests and the commit. Die before each.
    for allowed in range(6):
        calls = 0

        def dying_txn(what: str, body: dict[str, object], allowed: int = allowed) -> dict[str, object]:
            nonlocal calls
            calls += 1
            if calls > allowed:
                raise BackendUnavailableError("killed")
            return real_txn(what, body)

        monkeypatch.setattr(writer._gateway, "txn", dying_txn)
        with pytest.raises(BackendUnavailableError):
            writer.save(sandbox("new"), containers(50, "new"))
        monkeypatch.undo()
        fresh = make_driver(cache_bytes=0)
        assert fresh.load("sb") == (sandbox("old"), containers(50, "old"))
    fresh.save(sandbox("new"), containers(50, "new"))  # the next save also removes what was left behind
    assert make_driver().load("sb") == (sandbox("new"), containers(50, "new"))
    current = set(record_keys(writer.options["endpoints"][0], writer.options["prefix"], "sb").values())
    assert set(stored_keys(writer)) == current | {f"{writer.options['prefix']}:/ctr/sb/.manifest"}


def test_records_bigger_than_one_request_together_are_split(make_driver: Callable[..., EtcdDriver]) -> None:
    driver = make_driver()
    big = {f"c{n}": ContainerState(bundle_path="x" * 700_000) for n in range(4)}  # 2.8 MB in all
    driver.save(sandbox(), big)
    assert make_driver(cache_bytes=0).load("sb") == (sandbox(), big)


def test_an_oversized_record_is_refused_at_once_naming_its_size_and_the_limit(
    make_driver: Callable[..., EtcdDriver],
) -> None:
    driver = make_driver(timeout=5)
    driver.save(sandbox("kept"), {"c": ContainerState()})
    huge = ContainerState(bundle_path="x" * (2 * 1024 * 1024))
    size = len(codec.dumps(huge))
    started = time.monotonic()
    with pytest.raises(StorageError, match=rf"container 'c' is {size} bytes.*max_request_bytes 1572864") as info:
        driver.save(sandbox("lost"), {"c": huge})
    assert not isinstance(info.value, BackendUnavailableError)
    assert time.monotonic() - started < 2  # no retrying until the timeout
    assert driver.load("sb") == (sandbox("kept"), {"c": ContainerState()})


@pytest.mark.parametrize("megabytes", [1.7, 3.0])
def test_a_server_with_a_lower_limit_is_reported_at_once_not_as_an_outage(
    make_driver: Callable[..., EtcdDriver], megabytes: float
) -> None:
    # The driver is told a larger limit than the server's 1.5 MiB, so the server itself refuses:
    # etcd's own check below 2 MiB, gRPC's above; neither is worth a retry.
    driver = make_driver(timeout=5, max_request_bytes=8 * 1024 * 1024)
    record = ContainerState(bundle_path="x" * int(megabytes * 1024 * 1024))
    started = time.monotonic()
    with pytest.raises(StorageError, match=r"too large.*--max-request-bytes") as info:
        driver.save(sandbox(), {"c": record})
    assert not isinstance(info.value, BackendUnavailableError)
    assert time.monotonic() - started < 3
    assert driver.sandbox_ids() == []


def test_a_three_member_cluster_takes_a_thousand_containers(start_etcd: Callable[..., EtcdCluster]) -> None:
    cluster = start_etcd(3)
    writer = EtcdDriver(endpoints=cluster.endpoints, prefix="/big")
    reader = EtcdDriver(endpoints=list(reversed(cluster.endpoints)), prefix="/big", cache_bytes=0)
    try:
        writer.save(sandbox("one"), containers(1000, "one"))
        writer.save(sandbox("two"), containers(1000, "two"))
        assert reader.load("sb") == (sandbox("two"), containers(1000, "two"))
    finally:
        writer.close()
        reader.close()


def test_leftovers_of_killed_saves_are_listed_and_only_unreachable_ones_removed(
    make_driver: Callable[..., EtcdDriver], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = make_driver(max_txn_ops=16)
    writer.save(sandbox("old"), containers(40, "old"))
    real_txn = writer._gateway.txn
    calls = 0

    def dying_txn(what: str, body: dict[str, object]) -> dict[str, object]:
        nonlocal calls
        calls += 1
        if calls > 2:  # two requests went through, then the process "died"
            raise BackendUnavailableError("killed")
        return real_txn(what, body)

    monkeypatch.setattr(writer._gateway, "txn", dying_txn)
    with pytest.raises(BackendUnavailableError):
        writer.save(sandbox("new"), containers(40, "new"))  # 2 x 16 records staged, never switched to
    calls = 0
    with pytest.raises(BackendUnavailableError):  # a first save: a read, then 16 records staged
        writer.save(SandboxState(sandbox_container="first"), containers(40, "first"))
    monkeypatch.undo()

    operator = make_driver()
    # For all anyone can tell, both saves may still be running: "sb"'s could still commit, so its records
    # are not even listed; those of "first", which is not stored, are listed but never removed.
    assert len(operator.find_leftovers()) == 16
    assert operator.clean_leftovers() == []
    # Once the record of "sb" is written again, the killed save of "sb" can never commit.
    key = record_keys(writer.options["endpoints"][0], writer.options["prefix"], "sb")[""]
    raw_put(writer.options["endpoints"][0], key, stored_keys(writer)[key][0])
    assert len(operator.find_leftovers()) == 48
    removed = operator.clean_leftovers()
    assert len(removed) == 32
    assert all("sandbox 'sb' no save references" in line for line in removed)
    assert len(operator.find_leftovers()) == 16
    assert make_driver(cache_bytes=0).load("sb") == (sandbox("old"), containers(40, "old"))
    operator.destroy("first")
    assert operator.find_leftovers() == []
