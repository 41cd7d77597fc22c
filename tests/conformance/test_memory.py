"""The memory driver passes the conformance kit, as a backend author would run it."""

from __future__ import annotations

import pytest

from persist_core.testing import DriverConformance
from persist_memory import MemoryDriver


class TestMemoryDriver(DriverConformance):
    @pytest.fixture
    def driver(self) -> MemoryDriver:
        return MemoryDriver()
