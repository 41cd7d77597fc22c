"""The checks the core makes for every driver, before a backend sees anything."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from persist_core import CURRENT_PERSIST_VERSION, PersistDriver, Record, StoredSandbox, codec
from persist_core.driver import Release
from persist_core.errors import (
    CorruptStateError,
    EncodeError,
    InvalidArgumentError,
    InvalidIdError,
    UnsupportedVersionError,
)
from persist_core.model import ContainerState, Process, SandboxState


class RecordingDriver(PersistDriver):
    """A backend that records every call, to prove what reaches backends and what never does."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.stored: dict[str, tuple[bytes, dict[str, bytes]]] = {}

    @property
    def options(self) -> dict[str, Any]:
        return {}

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        self.calls.append(("save", sandbox_id))
        self.stored[sandbox_id] = (sandbox, dict(containers))

    def _load(self, sandbox_id: str) -> StoredSandbox:
        self.calls.append(("load", sandbox_id))
        sandbox, containers = self.stored[sandbox_id]
        return StoredSandbox(
            Record(sandbox, f"rec/{sandbox_id}"), {c: Record(d, f"rec/{sandbox_id}/{c}") for c, d in containers.items()}
        )

    def _destroy(self, sandbox_id: str) -> None:
        self.calls.append(("destroy", sandbox_id))

    def _acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> Release:
        self.calls.append(("acquire", sandbox_id, exclusive, timeout))
        return lambda: self.calls.append(("release", sandbox_id))

    def _sandbox_ids(self) -> Iterable[str]:
        return ["b", "a", "c"]


VALID = ["a", "A-1", "x_y.z+w", "-", "a..b", "0" * 255, "sandbox.", "_"]
INVALID = ["", ".", "..", ".hidden", "../x", "a/b", "a\\b", "0" * 256, "a b", "é", "a\x00", "x\n", None, 5, b"ab"]


@pytest.mark.parametrize("sandbox_id", VALID)
def test_valid_ids_reach_the_backend(sandbox_id: str) -> None:
    driver = RecordingDriver()
    driver.save(SandboxState(sandbox_container=sandbox_id), {sandbox_id: ContainerState()})
    driver.load(sandbox_id)
    driver.destroy(sandbox_id)
    with driver.lock(sandbox_id):
        pass
    assert [c[0] for c in driver.calls] == ["save", "load", "destroy", "acquire", "release"]


@pytest.mark.parametrize("bad", INVALID)
def test_invalid_ids_never_reach_the_backend(bad: Any) -> None:
    driver = RecordingDriver()
    with pytest.raises(InvalidIdError, match="invalid sandbox ID"):
        driver.save(SandboxState(sandbox_container=bad), {})
    with pytest.raises(InvalidIdError, match="invalid container ID"):
        driver.save(SandboxState(sandbox_container="ok"), {bad: ContainerState()})
    for call in (driver.load, driver.destroy, driver.lock, driver.last_modified):
        with pytest.raises(InvalidIdError, match=r"1 to 255 characters"):
            call(bad)
    assert driver.calls == []


def test_unencodable_objects_fail_before_the_backend_is_called() -> None:
    driver = RecordingDriver()
    with pytest.raises(EncodeError, match="out of range for Go int"):
        driver.save(SandboxState(sandbox_container="s"), {"c": ContainerState(process=Process(pid=2**63))})
    with pytest.raises(EncodeError, match="expected ContainerState, got dict"):
        driver.save(SandboxState(sandbox_container="s"), {"c": {}})  # type: ignore[dict-item]
    with pytest.raises(EncodeError, match="takes a SandboxState"):
        driver.save(ContainerState(), {})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="must be a mapping"):
        driver.save(SandboxState(sandbox_container="s"), [("c", ContainerState())])  # type: ignore[arg-type]
    assert driver.calls == []


def test_newer_versions_are_refused_both_ways() -> None:
    driver = RecordingDriver()
    with pytest.raises(UnsupportedVersionError, match="PersistVersion 3 is newer than 2"):
        driver.save(SandboxState(sandbox_container="s", persist_version=CURRENT_PERSIST_VERSION + 1), {})
    assert driver.calls == []
    newer = codec.dumps(SandboxState(sandbox_container="s", persist_version=2)).replace(
        b'"PersistVersion":2', b'"PersistVersion":3'
    )
    driver.stored["s"] = (newer, {})
    with pytest.raises(UnsupportedVersionError, match="rec/s"):
        driver.load("s")


def test_load_decodes_fresh_objects_sorted_by_container_and_names_corrupt_records() -> None:
    driver = RecordingDriver()
    driver.save(SandboxState(sandbox_container="s"), {"b": ContainerState(state="b"), "a": ContainerState()})
    _, containers = driver.load("s")
    assert list(containers) == ["a", "b"]
    assert driver.load("s")[1]["b"] is not containers["b"]
    driver.stored["s"][1]["a"] = b'{"State":'
    with pytest.raises(CorruptStateError, match=r"^rec/s/a: not valid JSON"):
        driver.load("s")


def test_sandbox_ids_are_sorted() -> None:
    assert RecordingDriver().sandbox_ids() == ["a", "b", "c"]


@pytest.mark.parametrize("timeout", [-1, float("nan"), "1", True])
def test_bad_lock_timeouts_are_refused(timeout: Any) -> None:
    driver = RecordingDriver()
    with pytest.raises(InvalidArgumentError, match="timeout"):
        driver.lock("s", timeout=timeout)
    assert driver.calls == []


def test_lock_is_taken_on_enter_and_released_once() -> None:
    driver = RecordingDriver()
    lock = driver.lock("s", exclusive=False, timeout=0)
    assert driver.calls == [] and not lock.held
    with lock:
        assert lock.held
        assert driver.calls == [("acquire", "s", False, 0.0)]
    assert driver.calls[-1] == ("release", "s") and not lock.held
    with pytest.raises(InvalidArgumentError, match="not held"):
        lock.release()
    lock.acquire()
    with pytest.raises(InvalidArgumentError, match="already held"):
        lock.acquire()
    lock.release()


def test_unchanged_containers_are_not_encoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    driver = RecordingDriver()
    encoded: list[str] = []
    real_dumps = codec.dumps

    def counting_dumps(obj: Any) -> bytes:
        encoded.append(type(obj).__name__)
        return real_dumps(obj)

    monkeypatch.setattr(codec, "dumps", counting_dumps)
    sandbox = SandboxState(sandbox_container="s")
    containers = {f"c{i}": ContainerState(state=f"s{i}") for i in range(5)}
    driver.save(sandbox, containers)  # first save: everything
    driver.save(sandbox, containers)  # second save: everything again, and copies saved
    assert encoded.count("ContainerState") == 10
    encoded.clear()
    containers["c2"].process.pid = 42  # changed in place: the saved copy is a copy, so this is seen
    driver.save(sandbox, containers)
    assert encoded == ["ContainerState", "SandboxState"]
    assert codec.loads(driver.stored["s"][1]["c2"], ContainerState).process.pid == 42
    encoded.clear()
    driver.save(sandbox, {**containers, "c0": ContainerState(state="s0")})  # equal, not the same object
    assert encoded == ["SandboxState"]
    assert driver.load("s")[1] == containers
    driver.destroy("s")  # forgets the saved copies
    encoded.clear()
    driver.save(sandbox, containers)
    assert encoded.count("ContainerState") == 5


def test_a_failed_save_never_makes_a_later_save_store_stale_bytes() -> None:
    class FailingOnce(RecordingDriver):
        fail = False

        def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
            if self.fail:
                self.fail = False
                raise RuntimeError("disk on fire")
            super()._save(sandbox_id, sandbox, containers)

    driver = FailingOnce()
    state = ContainerState(state="a")
    for _ in range(2):
        driver.save(SandboxState(sandbox_container="s"), {"c": state})
    state.state = "b"
    driver.fail = True
    with pytest.raises(RuntimeError):
        driver.save(SandboxState(sandbox_container="s"), {"c": state})
    state.state = "a"  # back to what is stored and saved as a copy
    driver.save(SandboxState(sandbox_container="s"), {"c": state})
    assert driver.load("s")[1]["c"].state == "a"
    state.state = "b"
    driver.save(SandboxState(sandbox_container="s"), {"c": state})
    assert driver.load("s")[1]["c"].state == "b"
