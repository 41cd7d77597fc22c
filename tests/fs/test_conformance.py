"""The fs and rootlessfs drivers pass the conformance kit, as any backend must."""

from __future__ import annotations

from pathlib import Path

import pytest
from persist_core.testing import DriverConformance

from persist_fs import FsDriver, RootlessFsDriver


class TestFsDriver(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path: Path) -> FsDriver:
        return FsDriver(root=tmp_path / "vc")


class TestRootlessFsDriver(DriverConformance):
    @pytest.fixture
    def driver(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RootlessFsDriver:
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "xdg"))
        return RootlessFsDriver()
