"""Concurrent use from threads: a save is seen whole or not at all, and locked updates are never lost."""

from __future__ import annotations

import threading
import time

from persist_core.driver import PersistDriver
from persist_core.testing.background import in_background
from persist_core.testing.remote import increment_under_lock, stored_bytes
from persist_core.testing.samples import small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase, describe_difference

#: Loads made while another thread makes at least so many saves; each load must be one whole save.
CONCURRENT_LOADS = 300
CONCURRENT_SAVES = 20


class ConcurrencyTests(ConformanceBase):
    def test_load_during_saves_sees_one_whole_state(self, driver: PersistDriver) -> None:
        """Two states with different container sets alternate; every load is exactly one of them."""
        first = (small_sandbox("sb", state="first"), {"a": small_container("first"), "b": small_container("first")})
        second = (small_sandbox("sb", state="second"), {"c": small_container("second")})
        driver.save(*second)
        expected_second = stored_bytes(driver, "sb")
        driver.save(*first)
        expected_first = stored_bytes(driver, "sb")

        stop = threading.Event()
        saves = 0

        def alternate() -> None:
            nonlocal saves
            while not stop.is_set():
                driver.save(*(first if saves % 2 else second))
                saves += 1

        # The writer saves until the reader has loaded enough times, so that loads meet saves in progress.
        writer = in_background(alternate, "a thread saving two states in turn")
        deadline = time.monotonic() + self.patience
        loads = 0
        try:
            while (loads < CONCURRENT_LOADS or saves < CONCURRENT_SAVES) and not writer.done():
                assert time.monotonic() < deadline, f"only {saves} saves and {loads} loads in {self.patience:g}s"
                seen = stored_bytes(driver, "sb")
                loads += 1
                assert seen in (expected_first, expected_second), (
                    "a load during saves returned a mix of two saves (a save must be one unit for a reader): "
                    f"against the first state, {describe_difference(expected_first, seen)}; "
                    f"against the second, {describe_difference(expected_second, seen)}"
                )
        finally:
            stop.set()
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
