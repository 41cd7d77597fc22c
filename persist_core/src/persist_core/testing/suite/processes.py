"""What a driver promises across processes: the store re-opened elsewhere with ``get_driver``.

The other process is a fresh interpreter (``python -m persist_core.testing.remote``) that calls
``get_driver(driver.name, **driver.options)``, so the driver must be installed with its entry point.
"""

from __future__ import annotations

import pytest

from persist_core.driver import Capability, PersistDriver
from persist_core.errors import LockTimeoutError, SandboxNotFoundError
from persist_core.registry import get_driver
from persist_core.testing.background import in_background
from persist_core.testing.capabilities import requires
from persist_core.testing.promises import depends_on
from persist_core.testing.remote import RemoteDriver, increment_under_lock, stored_bytes
from persist_core.testing.samples import kata_samples, small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase
from persist_core.testing.suite.locks import GRACE, assert_granted, assert_refused


class ProcessTests(ConformanceBase):
    def other_process(self, driver: PersistDriver) -> RemoteDriver:
        """A child process with its own driver on the same store."""
        return RemoteDriver(driver.name, driver.options, patience=self.patience)

    @requires(Capability.CROSS_PROCESS_LOCKS)
    @depends_on()
    def test_exclusive_lock_in_another_process_excludes(self, driver: PersistDriver) -> None:
        with self.other_process(driver) as other:
            token = other.acquire("sb", exclusive=True, timeout=0)
            assert_refused(driver, "sb", exclusive=True, held="an exclusive lock in another process")
            assert_refused(driver, "sb", exclusive=False, held="an exclusive lock in another process")
            other.release(token)
            assert_granted(driver, "sb", exclusive=True, held="a lock the other process released")

    @requires(Capability.CROSS_PROCESS_LOCKS)
    @depends_on()
    def test_shared_locks_across_processes(self, driver: PersistDriver) -> None:
        with self.other_process(driver) as other:
            token = other.acquire("sb", exclusive=False, timeout=0)
            assert_granted(driver, "sb", exclusive=False, held="a shared lock in another process")
            assert_refused(driver, "sb", exclusive=True, held="a shared lock in another process")
            other.release(token)

    @requires(Capability.CROSS_PROCESS_LOCKS)
    @depends_on()
    def test_lock_here_excludes_another_process(self, driver: PersistDriver) -> None:
        with self.other_process(driver) as other:
            with driver.lock("sb", exclusive=True, timeout=0):
                with pytest.raises(LockTimeoutError):
                    other.acquire("sb", exclusive=True, timeout=0)
                with pytest.raises(LockTimeoutError):
                    other.acquire("sb", exclusive=False, timeout=self.short_timeout)
            other.release(other.acquire("sb", exclusive=True, timeout=0))

    @requires(Capability.CROSS_PROCESS_LOCKS)
    @depends_on()
    def test_waiter_gets_the_lock_another_process_releases(self, driver: PersistDriver) -> None:
        with self.other_process(driver) as other:
            token = other.acquire("sb", exclusive=True, timeout=0)
            waiter = driver.lock("sb", exclusive=True, timeout=None)
            waiting = in_background(waiter.acquire, "lock() waiting for another process to release it")
            try:
                assert not waiting.done(GRACE), "a lock was granted while another process held it exclusively"
            finally:
                other.release(token)
            waiting.result(self.patience)
            waiter.release()

    @requires(Capability.CROSS_PROCESS_LOCKS, Capability.DURABLE)
    def test_locked_read_modify_write_across_processes_loses_no_update(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        start = driver.load("sb")[0].guest_memory_block_size_mb
        times = 10
        with self.other_process(driver) as other:
            there = in_background(lambda: other.increment_under_lock("sb", times), "updates in another process")
            increment_under_lock(driver, "sb", times)
            there.result(self.patience * 2)
        final = driver.load("sb")[0].guest_memory_block_size_mb
        assert final - start == 2 * times, (
            f"two processes each made {times} updates under the exclusive lock, but only {final - start} survived"
        )

    @requires(Capability.DURABLE)
    def test_state_is_shared_with_another_process(self, driver: PersistDriver) -> None:
        sample = max(kata_samples(), key=lambda candidate: len(candidate.containers))
        driver.save(*sample.objects())
        with self.other_process(driver) as other:
            assert other.stored_bytes(sample.sandbox_id) == (sample.sandbox, sample.containers)
            other.save(small_sandbox("from-there"), {"c1": small_container("there")})
            assert driver.sandbox_ids() == sorted([sample.sandbox_id, "from-there"])
            assert driver.load("from-there")[1]["c1"].process.token == "there"
            other.destroy(sample.sandbox_id)
            self.assert_absent(driver, sample.sandbox_id, "a destroy in another process")
            driver.destroy("from-there")
            assert other.sandbox_ids() == []
            with pytest.raises(SandboxNotFoundError):
                other.stored_bytes("from-there")

    @requires(Capability.DURABLE)
    def test_state_survives_reopening_the_store(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        expected = stored_bytes(driver, "sb")
        reopened = get_driver(driver.name, **driver.options)
        assert reopened is not driver
        self.assert_stored(reopened, expected, "sb", f"re-opening with get_driver({driver.name!r}, **options)")
