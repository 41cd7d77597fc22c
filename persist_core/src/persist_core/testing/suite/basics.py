"""The basic promises, checked first: when one fails, the report leads with it in one message.

Each test here records a broken promise, and the kit then skips the tests that depend on it, saying
which promise they wait for (see ``persist_core.testing.promises``).
"""

from __future__ import annotations

import pytest

from persist_core.driver import PersistDriver
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.promises import Promise, depends_on
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase


def _expect_not_found(driver: PersistDriver, sandbox_id: str, after: str) -> None:
    with pytest.raises(SandboxNotFoundError) as raised:
        driver.load(sandbox_id)
    message = str(raised.value)
    assert sandbox_id in message, f"after {after}, SandboxNotFoundError does not name {sandbox_id!r}: {message}"


class BasicTests(ConformanceBase):
    @depends_on()
    def test_basic_empty_store(self, driver: PersistDriver) -> None:
        with self.keeping(Promise.EMPTY_STORE):
            listed = driver.sandbox_ids()
            assert listed == [], f"the fixture's store already holds {listed}: every kit test relies on an empty one"

    @depends_on(Promise.EMPTY_STORE)
    def test_basic_not_found(self, driver: PersistDriver) -> None:
        with self.keeping(Promise.NOT_FOUND):
            _expect_not_found(driver, "never-saved", "nothing was saved")
            driver._save("other", b"{}", {})  # the backend alone, so that only _load decides
            _expect_not_found(driver, "never-saved", "saving another sandbox")

    @depends_on(Promise.EMPTY_STORE)
    def test_basic_round_trip(self, driver: PersistDriver) -> None:
        with self.keeping(Promise.ROUND_TRIP):
            for state in ("first", "second"):
                sandbox, containers = small_sandbox("sb", state=state), {"c1": small_container(state)}
                driver.save(sandbox, containers)
                loaded = driver.load("sb")
                assert loaded == (sandbox, containers), f"save() then load() of sandbox 'sb' ({state} save) differ"
                assert driver.sandbox_ids() == ["sb"], f"sandbox_ids() is {driver.sandbox_ids()} after saving 'sb'"

    @depends_on(Promise.EMPTY_STORE, Promise.NOT_FOUND)
    def test_basic_destroy(self, driver: PersistDriver) -> None:
        with self.keeping(Promise.DESTROY):
            driver.destroy("never-saved")
            driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
            stored_bytes(driver, "sb")
            driver.destroy("sb")
            _expect_not_found(driver, "sb", "destroy('sb')")
            assert driver.sandbox_ids() == [], f"sandbox_ids() is {driver.sandbox_ids()} after destroying 'sb'"
