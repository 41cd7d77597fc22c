"""A dropped driver closes its descriptors at once: no reference cycle leaves them to the cycle collector.

A runtime that opens a driver per request would otherwise hold descriptors until the collector happens to
run (and run out of them when it is tuned to run rarely, as some tools do).
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

from fs_helpers import make_state

from persist_fs import FsDriver, RootlessFsDriver


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_dropped_drivers_close_their_descriptors_without_the_cycle_collector(root: Path) -> None:
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        before = _open_descriptors()
        for i in range(20):
            cls = FsDriver if i % 2 else RootlessFsDriver
            driver = cls(root=root)
            driver.save(*make_state("A", {"c0": "x", "c1": "y"}))
            driver.save(*make_state("B", {"c0": "x", "c2": "z", "c3": "w"}))
            driver.load("sb")
            with driver.lock("sb", timeout=5):
                pass
            driver.sandbox_ids()
            driver.find_leftovers()
            if i % 3 == 0:
                driver.destroy("sb")
            del driver
        assert _open_descriptors() == before
    finally:
        if was_enabled:
            gc.enable()
