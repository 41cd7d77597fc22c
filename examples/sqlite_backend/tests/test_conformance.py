"""The SQLite example driver against the whole driver contract, as any backend author runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from persist_core.testing import DriverConformance
from persist_sqlite import SqliteDriver


class TestSqliteDriver(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path: Path) -> SqliteDriver:
        return SqliteDriver(path=tmp_path / "persist.db")
