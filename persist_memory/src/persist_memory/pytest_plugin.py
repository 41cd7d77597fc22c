"""pytest plugin (entry point ``pytest11``): a ``memory_driver`` fixture that ``get_driver()`` returns.

Code under test that calls ``get_driver()`` or ``get_driver("memory")`` receives the fixture's driver,
so a test can inspect or fault-inject the very store that code writes to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from persist_core import PersistDriver, register_driver, unregister_driver
from persist_memory.driver import MemoryDriver


@pytest.fixture
def memory_driver(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryDriver]:
    """A fresh in-memory driver, also returned by ``get_driver()`` for the duration of the test."""
    driver = MemoryDriver()

    def factory(**options: Any) -> PersistDriver:
        return MemoryDriver(**options) if options else driver

    previous = register_driver(MemoryDriver.name, factory)
    monkeypatch.setenv("PERSIST_DRIVER", MemoryDriver.name)
    try:
        yield driver
    finally:
        if previous is None:
            unregister_driver(MemoryDriver.name)
        else:
            register_driver(MemoryDriver.name, previous)
