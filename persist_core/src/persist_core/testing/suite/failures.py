"""A failed operation changes nothing: the previous state survives every refused or failing save.

kata's original driver deletes the whole sandbox when a save fails; this is the test that it cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

import pytest

from persist_core.driver import Capability, PersistDriver
from persist_core.errors import EncodeError, InvalidIdError, StorageError, UnsupportedVersionError
from persist_core.model import SandboxState
from persist_core.testing.capabilities import requires
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import (
    UNENCODABLE_SANDBOX_EDITS,
    kata_samples,
    small_container,
    small_sandbox,
    unencodable_container,
)
from persist_core.testing.suite.base import ConformanceBase


class FaultInjecting(Protocol):
    def fail_next(self, operation: str, exc: BaseException) -> None: ...


class InjectedFault(StorageError):
    """The failure the kit injects: a storage error, as a full disk or a lost connection would raise."""


def _refused_saves() -> dict[str, Callable[[str], tuple[SandboxState, dict[str, Any]]]]:
    """Saves that must fail before anything changes, keyed by why they fail."""

    def unencodable_sandbox(edit: str) -> Callable[[str], tuple[SandboxState, dict[str, Any]]]:
        def make(sandbox_id: str) -> tuple[SandboxState, dict[str, Any]]:
            sandbox = small_sandbox(sandbox_id, state="new")
            UNENCODABLE_SANDBOX_EDITS[edit](sandbox)
            return sandbox, {"new": small_container("new")}

        return make

    def newer_version(sandbox_id: str) -> tuple[SandboxState, dict[str, Any]]:
        sandbox = small_sandbox(sandbox_id, state="new")
        sandbox.persist_version = 3
        return sandbox, {}

    saves = {f"sandbox-{edit}": unencodable_sandbox(edit) for edit in sorted(UNENCODABLE_SANDBOX_EDITS)}
    saves["container-unencodable"] = lambda sid: (small_sandbox(sid, "new"), {"c9": unencodable_container()})
    saves["container-wrong-type"] = lambda sid: (small_sandbox(sid, "new"), {"c9": "not a container"})
    saves["container-bad-id"] = lambda sid: (small_sandbox(sid, "new"), {"../c9": small_container("new")})
    saves["newer-version"] = newer_version
    return saves


REFUSED_SAVES = _refused_saves()


class FailedSaveTests(ConformanceBase):
    @pytest.mark.parametrize("why", sorted(REFUSED_SAVES))
    def test_refused_save_leaves_the_old_state(self, driver: PersistDriver, why: str) -> None:
        sample = max(kata_samples(), key=lambda candidate: len(candidate.containers))
        driver.save(*sample.objects())
        before = stored_bytes(driver, sample.sandbox_id)
        sandbox, containers = REFUSED_SAVES[why](sample.sandbox_id)
        with pytest.raises((EncodeError, InvalidIdError, UnsupportedVersionError)):
            driver.save(sandbox, containers)
        self.assert_stored(driver, before, sample.sandbox_id, f"a refused save ({why})")
        assert driver.sandbox_ids() == [sample.sandbox_id]

    # -- fault injection -----------------------------------------------------------------------------

    def _injector(self, driver: PersistDriver) -> FaultInjecting:
        if not callable(getattr(driver, "fail_next", None)):
            pytest.fail(f"driver {driver.name!r} declares FAULT_INJECTION but has no fail_next(operation, exc)")
        return cast(FaultInjecting, driver)

    @requires(Capability.FAULT_INJECTION)
    def test_injected_save_failure_leaves_the_old_state(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb", state="old"), {"c1": small_container("old"), "c2": small_container("old")})
        before = stored_bytes(driver, "sb")
        fault = InjectedFault("injected: no space left on device")
        self._injector(driver).fail_next("save", fault)
        with pytest.raises(InjectedFault) as raised:
            driver.save(small_sandbox("sb", state="new"), {"c1": small_container("new")})
        assert raised.value is fault, "save() must raise the very exception given to fail_next()"
        self.assert_stored(driver, before, "sb", "an injected save failure")
        driver.save(small_sandbox("sb", state="new"), {"c1": small_container("new")})
        assert driver.load("sb")[0].state == "new", "the fault must affect only the next save"

    @requires(Capability.FAULT_INJECTION)
    def test_injected_failure_of_a_first_save_stores_nothing(self, driver: PersistDriver) -> None:
        self._injector(driver).fail_next("save", InjectedFault("injected"))
        with pytest.raises(InjectedFault):
            driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        self.assert_absent(driver, "sb", "an injected failure of its first save")

    @requires(Capability.FAULT_INJECTION)
    def test_injected_destroy_failure_leaves_the_state(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        before = stored_bytes(driver, "sb")
        self._injector(driver).fail_next("destroy", InjectedFault("injected"))
        with pytest.raises(InjectedFault):
            driver.destroy("sb")
        self.assert_stored(driver, before, "sb", "an injected destroy failure")
        driver.destroy("sb")
        self.assert_absent(driver, "sb", "destroy after an injected failure")

    @requires(Capability.FAULT_INJECTION)
    def test_injected_load_failure_is_raised_once(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        before = stored_bytes(driver, "sb")
        self._injector(driver).fail_next("load", InjectedFault("injected"))
        with pytest.raises(InjectedFault):
            driver.load("sb")
        self.assert_stored(driver, before, "sb", "an injected load failure")

    @requires(Capability.FAULT_INJECTION)
    def test_injected_lock_failure_leaves_the_lock_free(self, driver: PersistDriver) -> None:
        self._injector(driver).fail_next("lock", InjectedFault("injected"))
        lock = driver.lock("sb", exclusive=True, timeout=0)
        with pytest.raises(InjectedFault):
            lock.acquire()
        assert not lock.held
        with driver.lock("sb", exclusive=True, timeout=0):
            pass
