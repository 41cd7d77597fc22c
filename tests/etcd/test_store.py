"""What the etcd driver stores, checked by reading etcd directly: fs layout, Go's bytes, one txn a save."""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.resources import files

import pytest

from persist_core import codec
from persist_core.errors import CorruptStateError, SandboxNotFoundError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import raw_put, raw_range

KATA = files("persist_core.testing") / "kata"


def sandbox(sandbox_id: str = "sb", state: str = "") -> SandboxState:
    return SandboxState(sandbox_container=sandbox_id, state=state, persist_version=2)


def container(bundle: str = "") -> ContainerState:
    return ContainerState(bundle_path=bundle)


def endpoint(driver: EtcdDriver) -> str:
    return str(driver.options["endpoints"][0])


@pytest.mark.parametrize("tree", ["tree-full", "tree-zero"])
def test_keys_and_bytes_are_exactly_kata_s_fs_tree(etcd_driver: EtcdDriver, etcd_prefix: str, tree: str) -> None:
    expected: dict[str, bytes] = {}
    for sandbox_dir in (KATA / tree / "sbs").iterdir():
        sandbox_id = sandbox_dir.name
        state = codec.loads((sandbox_dir / "persist.json").read_bytes(), SandboxState)
        expected[f"{etcd_prefix}/sbs/{sandbox_id}/persist.json"] = (sandbox_dir / "persist.json").read_bytes()
        containers = {}
        for child in sandbox_dir.iterdir():
            if child.is_dir():
                data = (child / "persist.json").read_bytes()
                containers[child.name] = codec.loads(data, ContainerState)
                expected[f"{etcd_prefix}/sbs/{sandbox_id}/{child.name}/persist.json"] = data
        etcd_driver.save(state, containers)
    _, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}/")
    assert {key: value for key, (value, _) in stored.items()} == expected


def test_a_save_is_one_transaction_that_rewrites_only_changes(etcd_driver: EtcdDriver, etcd_prefix: str) -> None:
    directory = f"{etcd_prefix}/sbs/sb/"
    etcd_driver.save(sandbox(), {"keep": container("k"), "change": container("c1"), "drop": container("d")})
    before, stored = raw_range(endpoint(etcd_driver), directory)
    assert {stored[key][1] for key in stored} == {before}  # the first save: every key in one revision

    etcd_driver.save(sandbox(state="running"), {"keep": container("k"), "change": container("c2"), "new": container()})
    after, stored = raw_range(endpoint(etcd_driver), directory)
    assert after == before + 1  # one transaction: the store's revision moved by one
    assert set(stored) == {
        directory + name for name in ("persist.json", "keep/persist.json", "change/persist.json", "new/persist.json")
    }
    assert stored[directory + "keep/persist.json"][1] == before  # unchanged: not rewritten
    assert stored[directory + "change/persist.json"][1] == after
    assert stored[directory + "new/persist.json"][1] == after
    assert stored[directory + "persist.json"] == (codec.dumps(sandbox(state="running")), after)


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
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}/sbs/sb/notes.txt", b"not ours")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}/sbs/sb/c/extra/persist.json", b"not ours")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}/sbs/sbx/c/persist.json", b"another sandbox's prefix")
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
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}/sbs/bad/persist.json", b"{torn")
    raw_put(endpoint(etcd_driver), f"{etcd_prefix}/sbs/orphan/c/persist.json", b"{}")
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
    key = f"{etcd_prefix}/sbs/sb/c/persist.json"
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
    _, stored = raw_range(endpoint(etcd_driver), f"{etcd_prefix}/")
    assert set(stored) == {f"{etcd_prefix}/sbs/sb2/persist.json", f"{etcd_prefix}/sbs/sb2/c/persist.json"}
    etcd_driver.save(sandbox("sb"), {"d": container()})  # its cached revisions went with it
    assert etcd_driver.load("sb")[1] == {"d": container()}


def test_prefixes_keep_stores_apart(make_driver: Callable[..., EtcdDriver], etcd_prefix: str) -> None:
    left, right = make_driver(prefix=etcd_prefix + "/left"), make_driver(prefix=etcd_prefix + "/left2")
    left.save(sandbox(), {})
    assert right.sandbox_ids() == []
    assert left.load("sb")[0] == sandbox()
