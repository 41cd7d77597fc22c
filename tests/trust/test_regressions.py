"""The five ways the speed work once changed what was stored or refused, each replayed deterministically.

The random runtimes of test_differential.py find these too, but not on every run; these never miss.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from trust_values import Phase, Text, container, sandbox

from persist_core import ContainerState, PersistDriver, SandboxState, codec
from persist_core.codec import structs
from persist_core.codec.gotypes.structs import Struct
from persist_core.errors import EncodeError
from persist_fs import FsDriver
from persist_memory import MemoryDriver

SID = "sb"


@pytest.fixture(params=["memory", "fs"])
def make_driver(request: pytest.FixtureRequest, tmpfs_base: Path) -> Iterator[Any]:
    if request.param == "memory":
        namespace = f"regressions-{os.getpid()}-{id(request)}"
        yield lambda **options: MemoryDriver(namespace=namespace, **options)
    else:
        yield lambda **options: FsDriver(root=tmpfs_base / "vc", **options)


def _stored(driver: PersistDriver) -> tuple[bytes, dict[str, bytes]]:
    records = driver._load(SID)
    return records.sandbox.data, {cid: record.data for cid, record in records.containers.items()}


@pytest.mark.parametrize(
    ("field", "value"),
    [("pid", 1.0), ("pid", True), ("state", Phase.RUNNING), ("state", Text("running"))],
    ids=["float-pid", "bool-pid", "str-enum-state", "str-subclass-state"],
)
def test_a_refusal_does_not_depend_on_history(make_driver: Any, field: str, value: Any) -> None:
    """A value equal to the one saved, of a type Go could not have written, is refused on every save."""
    driver = make_driver()
    state = container(state="running", pid=1)
    for _ in range(3):  # copies are saved from a sandbox's second save on
        driver.save(sandbox(SID), {"c": state})
    before = _stored(driver)
    if field == "pid":
        state.process.pid = value
    else:
        state.state = value
    with pytest.raises(EncodeError) as fresh:
        codec.dumps(state)
    for _ in range(3):
        with pytest.raises(EncodeError) as refused:
            driver.save(sandbox(SID), {"c": state})
        assert str(refused.value) == str(fresh.value)
        assert _stored(driver) == before  # and nothing was stored


def test_a_change_made_while_a_save_runs_is_stored_by_the_next_save(make_driver: Any) -> None:
    """The object changes after it was encoded and before the backend returns: the next save stores it."""
    driver = make_driver()
    state = container(state="running")
    driver.save(sandbox(SID), {"c": state})
    driver.save(sandbox(SID), {"c": state})
    state.state = "paused"
    backend_save = type(driver)._save

    def save_while_the_caller_changes_it(self: Any, sandbox_id: str, box: bytes, records: Mapping[str, bytes]) -> None:
        state.state = "stopped"  # another thread of the runtime, mid-save
        backend_save(self, sandbox_id, box, records)

    type(driver)._save = save_while_the_caller_changes_it  # type: ignore[method-assign]
    try:
        driver.save(sandbox(SID), {"c": state})
    finally:
        type(driver)._save = backend_save  # type: ignore[method-assign]
    assert _stored(driver)[1]["c"] == codec.dumps(container(state="paused"))  # the version it was passed
    driver.save(sandbox(SID), {"c": state})
    assert _stored(driver)[1]["c"] == codec.dumps(container(state="stopped"))  # the current version


def test_threads_changing_an_object_during_saves(make_driver: Any) -> None:
    """Every stored version is one the object had; the save after the changes stop stores the last."""
    driver = make_driver()
    state = container(state="running")
    versions = {codec.dumps(container(state=name)) for name in ("running", "paused", "stopped")}
    stop = threading.Event()

    def flip() -> None:
        names = ("paused", "stopped", "running")
        i = 0
        while not stop.is_set():
            state.state = names[i % 3]
            i += 1

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        for _ in range(200):
            driver.save(sandbox(SID), {"c": state})
            assert _stored(driver)[1]["c"] in versions
    finally:
        stop.set()
        flipper.join()
    for final in ("paused", "running", "stopped"):
        state.state = final
        driver.save(sandbox(SID), {"c": state})
        assert _stored(driver)[1]["c"] == codec.dumps(container(state=final))


@pytest.mark.parametrize(
    "target",
    [ContainerState, list[ContainerState], dict[str, ContainerState]],
    ids=["class", "list", "dict"],
)
def test_no_decode_shares_objects_with_another(target: Any) -> None:
    one = codec.dumps(container(state="running", options=["ro"]))
    data = {ContainerState: one, list[ContainerState]: b"[" + one.strip() + b"]"}.get(
        target, b'{"c":' + one.strip() + b"}"
    )
    first = codec.loads(data, target)
    second = codec.loads(data, target)
    parts = [first] if target is ContainerState else list(first if isinstance(first, list) else first.values())
    for part in parts:
        part.state = "changed by the caller"
        part.mounts[0].options = ["changed"]
    third = codec.loads(data, target)
    assert second == third
    assert codec.dumps(third if target is ContainerState else container()) != b""
    expected = codec.loads(one, ContainerState)
    for loaded in (second, third):
        for part in (
            [loaded] if target is ContainerState else list(loaded if isinstance(loaded, list) else loaded.values())
        ):
            assert part == expected


def test_loads_through_a_driver_share_nothing(make_driver: Any) -> None:
    driver = make_driver()
    driver.save(sandbox(SID), {"c": container(options=["ro"])})
    loads = [driver.load(SID) for _ in range(4)]  # the third and fourth come from the cache
    loads[2][1]["c"].mounts[0].options.append("changed")
    loads[2][0].state = "changed"
    assert driver.load(SID) == loads[3] == loads[0]
    assert loads[3][1]["c"].mounts[0].options is not loads[2][1]["c"].mounts[0].options


def test_a_bug_in_a_generated_encoder_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(obj: Any) -> str:
        raise KeyError("a bug in generated code")

    monkeypatch.setattr(Struct, "text", property(lambda self: broken))
    with pytest.raises(KeyError, match="a bug in generated code"):
        codec.dumps(container())


def test_a_bug_in_a_generated_decoder_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    data = codec.dumps(SandboxState(sandbox_container="s"))

    def broken(value: Any) -> Any:
        raise KeyError("a bug in generated code")

    monkeypatch.setattr(Struct, "decode", property(lambda self: broken))
    monkeypatch.setattr(structs.StructDecoders, "for_class", lambda self, cls: None)  # the full way only
    with pytest.raises(KeyError, match="a bug in generated code"):
        codec.loads(data, SandboxState)


def test_a_bug_in_a_struct_decoder_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """The msgspec shortcut may only say "not sure" (Refused, msgspec's refusal); a bug propagates."""
    data = codec.dumps(SandboxState(sandbox_container="s"))
    real = structs.StructDecoders._converter

    def broken(self: Any, cls: type) -> Any:
        convert = real(self, cls)

        def converting(value: Any) -> Any:
            convert(value)
            raise KeyError("a bug in generated code")

        return converting

    monkeypatch.setattr(structs.StructDecoders, "_converter", broken)
    monkeypatch.setattr(codec, "_struct_decoders", structs.StructDecoders())
    with pytest.raises(KeyError, match="a bug in generated code"):
        codec.loads(data, SandboxState)


def test_a_file_replaced_twice_in_one_second_is_noticed(coarse_base: Path) -> None:
    """On whole-second timestamps, a replaced file often gets the same inode, size and times back."""
    driver = FsDriver(root=coarse_base / "vc")
    ours = {"c": container(state="running", pid=1, token="t")}
    theirs = codec.dumps(container(state="running", pid=1, token="u"))
    missed = 0
    for _ in range(30):
        driver.save(sandbox(SID), ours)
        path = coarse_base / "vc" / "sbs" / SID / "c" / "persist.json"
        for _ in range(2):
            path.unlink()
            path.write_bytes(theirs)
        driver.save(sandbox(SID), ours)
        missed += _stored(FsDriver(root=coarse_base / "vc", cache_bytes=0))[1]["c"] != codec.dumps(ours["c"])
    assert missed == 0
