"""The memory driver stores bytes, isolates instances, shares namespaces, and injects faults on request."""

from __future__ import annotations

import threading

import pytest

from persist_core import get_driver
from persist_core.errors import (
    EncodeError,
    InvalidArgumentError,
    LockTimeoutError,
    SandboxNotFoundError,
    StorageError,
)
from persist_core.model import ContainerState, Mount, Process, SandboxState
from persist_memory import MemoryDriver


def _sandbox(sid: str = "s", state: str = "running") -> SandboxState:
    return SandboxState(sandbox_container=sid, state=state, persist_version=2)


def test_objects_are_copied_in_and_out() -> None:
    driver = MemoryDriver()
    sandbox = _sandbox()
    container = ContainerState(mounts=[Mount(source="/a")])
    containers = {"c": container}
    driver.save(sandbox, containers)
    sandbox.state = "changed"
    container.mounts.append(Mount(source="/b"))  # type: ignore[union-attr]
    containers["d"] = ContainerState()
    loaded, loaded_containers = driver.load("s")
    assert loaded.state == "running"
    assert loaded_containers == {"c": ContainerState(mounts=[Mount(source="/a")])}
    loaded.state = "mutated"
    loaded_containers["c"].process.pid = 99
    again, again_containers = driver.load("s")
    assert again.state == "running" and again_containers["c"].process.pid == 0


def test_instances_are_isolated_and_namespaces_shared() -> None:
    a, b = MemoryDriver(), MemoryDriver()
    a.save(_sandbox(), {})
    assert b.sandbox_ids() == []
    x1 = get_driver("memory", namespace="ns-test")
    x2 = get_driver("memory", namespace="ns-test")
    x1.save(_sandbox("shared"), {})
    assert x2.sandbox_ids() == ["shared"]
    assert get_driver("memory", namespace="other").sandbox_ids() == []
    x2.destroy("shared")
    with pytest.raises(InvalidArgumentError, match="namespace"):
        MemoryDriver(namespace="")


def test_removed_containers_are_gone_and_destroy_is_idempotent() -> None:
    driver = MemoryDriver()
    driver.save(_sandbox(), {"a": ContainerState(), "b": ContainerState()})
    driver.save(_sandbox(), {"b": ContainerState(state="x")})
    assert driver.load("s")[1] == {"b": ContainerState(state="x")}
    driver.destroy("s")
    driver.destroy("s")
    with pytest.raises(SandboxNotFoundError, match="'s'"):
        driver.load("s")
    assert driver.last_modified("s") is None


def test_unencodable_save_keeps_the_old_state() -> None:
    driver = MemoryDriver()
    driver.save(_sandbox(), {"a": ContainerState()})
    with pytest.raises(EncodeError):
        driver.save(_sandbox(state="new"), {"a": ContainerState(process=Process(pid="x"))})  # type: ignore[arg-type]
    assert driver.load("s") == (_sandbox(), {"a": ContainerState()})


@pytest.mark.parametrize("operation", ["save", "load", "destroy", "lock", "sandbox_ids"])
def test_fail_next_fails_once_and_changes_nothing(operation: str) -> None:
    driver = MemoryDriver()
    driver.save(_sandbox(), {"a": ContainerState()})
    before = driver.load("s")
    error = StorageError(f"injected {operation}")
    driver.fail_next(operation, error)
    calls = {
        "save": lambda: driver.save(_sandbox(state="new"), {}),
        "load": lambda: driver.load("s"),
        "destroy": lambda: driver.destroy("s"),
        "lock": lambda: driver.lock("s").__enter__().release(),
        "sandbox_ids": driver.sandbox_ids,
    }
    with pytest.raises(StorageError, match=f"injected {operation}") as info:
        calls[operation]()
    assert info.value is error
    assert driver.load("s") == before
    calls[operation]()  # the next one succeeds
    with driver.lock("s", timeout=0):  # and no lock was left behind
        pass


def test_fail_next_rejects_unknown_operations() -> None:
    with pytest.raises(InvalidArgumentError, match="choose one of"):
        MemoryDriver().fail_next("explode", RuntimeError())
    with pytest.raises(InvalidArgumentError, match="exception instance"):
        MemoryDriver().fail_next("save", RuntimeError)  # type: ignore[arg-type]


def test_two_exclusive_holders_exclude_each_other_in_one_thread() -> None:
    driver = MemoryDriver()
    with driver.lock("s"), pytest.raises(LockTimeoutError):
        driver.lock("s", timeout=0).acquire()
    with (
        driver.lock("s", exclusive=False),
        driver.lock("s", exclusive=False, timeout=0),
        pytest.raises(LockTimeoutError),
    ):
        driver.lock("s", timeout=0.01).acquire()
    with driver.lock("s", timeout=0):  # everything was released
        pass


def test_a_waiting_lock_is_granted_when_released() -> None:
    driver = MemoryDriver()
    holder = driver.lock("s")
    holder.acquire()
    granted = threading.Event()

    def wait() -> None:
        with driver.lock("s", timeout=None):
            granted.set()

    thread = threading.Thread(target=wait)
    thread.start()
    assert not granted.wait(0.05)
    holder.release()
    assert granted.wait(30)
    thread.join()


def test_locks_are_per_sandbox_and_free_without_a_stored_sandbox() -> None:
    driver = MemoryDriver()
    with driver.lock("a"), driver.lock("b", timeout=0):
        pass


def test_fixture_is_what_get_driver_returns(memory_driver: MemoryDriver) -> None:
    assert get_driver() is memory_driver
    assert get_driver("memory") is memory_driver
    get_driver().save(_sandbox(), {})
    assert memory_driver.sandbox_ids() == ["s"]
    assert get_driver("memory", namespace="fixture-ns") is not memory_driver


def test_fixture_is_fresh_for_each_test(memory_driver: MemoryDriver) -> None:
    assert memory_driver.sandbox_ids() == []


def test_fixture_restores_the_registry(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        from persist_core import get_driver
        seen = []
        def test_uses(memory_driver):
            seen.append(memory_driver)
            assert get_driver() is memory_driver
        def test_after():
            assert "PERSIST_DRIVER" not in os.environ
            assert get_driver("memory") is not seen[0]
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
