"""Concurrent use from threads: a save is seen whole or not at all, and locked updates are never lost."""

from __future__ import annotations

import time

from persist_core.driver import PersistDriver
from persist_core.testing.background import in_background
from persist_core.testing.remote import increment_under_lock, snapshot
from persist_core.testing.samples import small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase, describe_difference


class ConcurrencyTests(ConformanceBase):
    def test_load_during_saves_sees_one_whole_state(self, driver: PersistDriver) -> None:
        """Two states with different container sets alternate; every load is exactly one of them."""
        first = (small_sandbox("sb", state="first"), {"a": small_container("first"), "b": small_container("first")})
        second = (small_sandbox("sb", state="second"), {"c": small_container("second")})
        driver.save(*second)
        expected_second = snapshot(driver, "sb")
        driver.save(*first)
        expected_first = snapshot(driver, "sb")

        def alternate() -> None:
            for n in range(40):
                driver.save(*(first if n % 2 else second))

        writer = in_background(alternate, "a thread saving two states in turn")
        loads = 0
        deadline = time.monotonic() + self.patience
        while (not writer.done() or loads < 5) and time.monotonic() < deadline:
            seen = snapshot(driver, "sb")
            loads += 1
            assert seen in (expected_first, expected_second), (
                "a load during saves returned a mix: against the first state, "
                f"{describe_difference(expected_first, seen)}; "
                f"against the second, {describe_difference(expected_second, seen)}"
            )
        writer.result(self.patience)

    def test_locked_read_modify_write_loses_no_update(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {})
        start = driver.load("sb")[0].guest_memory_block_size_mb
        threads, times = 4, 5
        workers = [
            in_background(lambda: increment_under_lock(driver, "sb", times), f"updater thread {n}")
            for n in range(threads)
        ]
        for worker in workers:
            worker.result(self.patience)
        final = driver.load("sb")[0].guest_memory_block_size_mb
        assert final - start == threads * times, (
            f"{threads} threads each made {times} updates under the exclusive lock, but only "
            f"{final - start} survived: the lock let updates overlap"
        )
