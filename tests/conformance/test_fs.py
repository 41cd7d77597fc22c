"""The fs and rootlessfs drivers pass the conformance kit, each on a store under the test's tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from persist_core import PersistDriver, get_driver
from persist_core.testing import DriverConformance


class TestFsDriver(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path: Path) -> PersistDriver:
        return get_driver("fs", root=tmp_path / "run" / "vc")


class TestRootlessFsDriver(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PersistDriver:
        # rootlessfs finds its root through $XDG_RUNTIME_DIR; the kit's child processes inherit it.
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
        return get_driver("rootlessfs")
