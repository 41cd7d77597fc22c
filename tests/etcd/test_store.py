"""What the etcd driver stores, checked by reading etcd directly: Go's bytes, one txn a save, only changes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files

import pytest

from persist_core import codec
from persist_core.errors import CorruptStateError, SandboxNotFoundError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import raw_put, raw_range, record_keys

KATA = files("persist_core.testing") / "kata"


def sandbox(sandbox_id: str = "sb", state: str = "") -> SandboxState:
    return SandboxState(sandbox_container=sandbox_id, state=state, persist_version=2)


def container(bundle: str = "") -> ContainerState:
    return ContainerState(bundle_path=bundle)


def endpoint(driver: EtcdDriver) -> str:
    return str(driver.options["endpoints"][0])


@pytest.mark.parametrize("tree", ["tree-full", "tree-zero"])
def test_records_are_exactly_kata_s_bytes(etcd_driver: EtcdDriver, etcd_prefix: str, tree: str) -> None:
    sandbox_ids = []
    for sandbox_dir in (KATA / tree / "sbs").iterdir():
        sandbox_id = sandbox_dir.name
        sandbox_ids.append(sandbox_id)
        state = codec.loads((sandbox_dir / "persist.json").read_bytes(), SandboxState)
        expected = {"": (sandbox_dir / "persist.json").read_bytes()}
        containers = {}
        for child in sandbox_dir.iterdir():
            if child.is_dir():
                expected[child.name] = (child / "persist.json").read_bytes()
                containers[child.name] = codec.loads(expected[child.name], ContainerState)
        etcd_driver.save(state, containers)
        keys = record_keys(endpoint(etcd_driver), etcd_prefix, sandbox_id)
        assert keys[""] == f"{etcd_prefix}:/sbs/{sandbox_id}"
        _, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}:/")
        assert {name: stored[key][0] for name, key in keys.items()} == expected
    # Nothing but the records, the manifests and nothing outside the store's own range.
    _, everything = raw_range(endpoint(etcd_driver), "/")
    ours = {key for key in everything if key.startswith(etcd_prefix + ":/")}
    assert {key for key in everything if key.startswith(etcd_prefix)} == ours
    manifests = {f"{etcd_prefix}:/ctr/{sid}/.manifest" for sid in sandbox_ids} & set(everything)
    records = {key for sid in sandbox_ids for key in record_keys(endpoint(etcd_driver), etcd_prefix, sid).values()}
    assert ours == records | manifests


def test_a_save_is_one_transaction_that_rewrites_only_changes(etcd_driver: EtcdDriver, etcd_prefix: str) -> None:
    etcd_driver.save(sandbox(), {"keep": container("k"), "change": container("c1"), "drop": container("d")})
    before, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}:/")
    assert {stored[key][1] for key in stored} == {before}  # the first save: every key in one revision
    old_keys = record_keys(endpoint(etcd_driver), etcd_prefix, "sb")

    etcd_driver.save(sandbox(state="running"), {"keep": container("k"), "change": container("c2"), "new": container()})
    after, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}:/")
    assert after == before + 1  # one transaction: the store's revision moved by one
    keys = record_keys(endpoint(etcd_driver), etcd_prefix, "sb")
    assert set(keys) == {"", "keep", "change", "new"}
    assert keys["keep"] == old_keys["keep"]
    assert stored[keys["keep"]][1] == before  # unchanged: not rewritten
    assert keys["change"] != old_keys["change"]
    assert stored[keys["change"]] == (codec.dumps(container("c2")), after)
    assert stored[keys["new"]] == (codec.dumps(container()), after)
    assert stored[keys[""]] == (codec.dumps(sandbox(state="running")), after)
    # The superseded and removed records went in the same transaction: only the manifest is left besides.
    assert set(stored) == set(keys.values()) | {f"{etcd_prefix}:/ctr/sb/.manifest"}


def test_a_stale_driver_still_saves_exactly_its_containers(make_driver: Callable[..., EtcdDriver]) -> None:
    first, second = make_driver(), make_driver()
    first.save(sandbox(), {"a": container("a")})
    second.save(sandbox(state="second"), {"b": container("b"), "a": container("a2")})
    first.save(sandbox(state="first"), {"a": container("a"), "c": container()})  # its cached view is stale
    state, containers = second.load("sb")
    assert state.state == "first"
    assert containers == {"a": container("a"), "c": container()}


def test_concurrent_saves_from_many_drivers_never_interleave(make_driver: Callable[..., EtcdDriver]) -> None:
    writers = 4
    drivers = [make_driver() for _ in range(writers)]
    errors: list[BaseException] = []

    def write(index: int) -> None:
        try:
            for round_ in range(15):
                names = {f"w{index}-{n}": container(f"{index}/{round_}") for n in range(index + 1)}
                drivers[index].save(sandbox(state=f"w{index}/{round_}"), names)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    state, containers = drivers[0].load("sb")
    writer, round_ = state.state.removeprefix("w").split("/")
    # The stored containers are exactly those of the save that stored the sandbox record.
    assert containers == {f"w{writer}-{n}": container(f"{writer}/{round_}") for n in range(int(writer) + 1)}


def test_load_reads_one_range_and_ignores_foreign_keys(
    etcd_driver: EtcdDriver, etcd_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    etcd_driver.save(sandbox(), {"c": container("x")})
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/ctr/sb/notes.txt", b"not ours")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/ctr/sb/c/extra/persist.json", b"not ours")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/ctr/sb/d/0-1", b"not in the manifest")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/ctr/sbx/c/0-1", b"another sandbox's prefix")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/sbs/sbx", b"another sandbox's prefix")
    calls: list[str] = []
    real_call = etcd_driver._gateway.call

    def counting_call(what: str, request: Callable[..., object]) -> object:
        calls.append(what)
        return real_call(what, request)

    monkeypatch.setattr(etcd_driver._gateway, "call", counting_call)
    assert etcd_driver.load("sb") == (sandbox(), {"c": container("x")})
    assert calls == ["loading sandbox 'sb'"]


def test_sandbox_ids_lists_keys_only_and_includes_corrupt(
    etcd_driver: EtcdDriver, etcd_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    etcd_driver.save(sandbox("one"), {"c": container()})
    etcd_driver.save(sandbox("two"), {})
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/sbs/bad", b"{torn")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}:/ctr/orphan/c/0-1", b"{}")
    payloads: list[object] = []
    session = etcd_driver._gateway._endpoints[0].session
    real_post = session.post

    def recording_post(url: str, *args: object, **kwargs: object) -> object:
        payloads.append(kwargs.get("json"))
        return real_post(url, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session, "post", recording_post)
    assert etcd_driver.sandbox_ids() == ["bad", "one", "two"]
    assert len(payloads) == 1
    assert isinstance(payloads[0], dict)
    assert payloads[0]["keys_only"] is True


def test_corrupt_record_names_the_etcd_key(etcd_driver: EtcdDriver, etcd_prefix: str) -> None:
    etcd_driver.save(sandbox(), {"c": container()})
    key = record_keys(endpoint(etcd_driver), etcd_prefix, "sb")["c"]
    raw_put(endpoint(etcd_driver), key, b'{"state": 7}')
    with pytest.raises(CorruptStateError, match=key):
        etcd_driver.load("sb")


def test_destroy_removes_the_sandbox_but_not_its_neighbours(etcd_driver: EtcdDriver, etcd_prefix: str) -> None:
    etcd_driver.save(sandbox("sb"), {"c": container()})
    etcd_driver.save(sandbox("sb2"), {"c": container()})
    etcd_driver.destroy("sb")
    etcd_driver.destroy("sb")  # idempotent
    with pytest.raises(SandboxNotFoundError, match="'sb'"):
        etcd_driver.load("sb")
    _, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}:/")
    assert set(stored) == {
        f"{etcd_prefix}:/ctr/sb2/.manifest",
        *record_keys(endpoint(etcd_driver), etcd_prefix, "sb2").values(),
    }
    etcd_driver.save(sandbox("sb"), {"d": container()})  # its cached revisions went with it
    assert etcd_driver.load("sb")[1] == {"d": container()}


def test_prefixes_keep_stores_apart(make_driver: Callable[..., EtcdDriver], etcd_prefix: str) -> None:
    left, right = make_driver(prefix=etcd_prefix + "/left"), make_driver(prefix=etcd_prefix + "/left2")
    left.save(sandbox(), {})
    assert right.sandbox_ids() == []
    assert left.load("sb")[0] == sandbox()


@pytest.mark.parametrize("cache", [0, 1])
def test_the_remembered_state_is_bounded_by_cache_bytes_and_0_turns_it_off(
    make_driver: Callable[..., EtcdDriver], monkeypatch: pytest.MonkeyPatch, cache: int
) -> None:
    # Room for one sandbox of one container (Stored.footprint: 512 + 151), or none.
    driver = make_driver(cache_bytes=700 * cache)
    calls: list[str] = []
    real_txn = driver._gateway.txn

    def counting_txn(what: str, body: dict[str, object]) -> dict[str, object]:
        calls.append(what)
        return real_txn(what, body)

    monkeypatch.setattr(driver._gateway, "txn", counting_txn)
    for sandbox_id in ("a", "b", "a"):
        driver.save(sandbox(sandbox_id), {"c": container()})
    # Without a cache every save reads first; with room for one sandbox, "a" was pushed out by "b".
    assert len(calls) == 6
    calls.clear()
    driver.save(sandbox("a"), {"c": container("changed")})
    assert len(calls) == (2 if cache == 0 else 1)
    assert len(driver._last_seen) == cache
    assert make_driver(cache_bytes=0).load("a")[1] == {"c": container("changed")}
