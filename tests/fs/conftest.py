"""Fixtures for the fs driver tests: a fresh root, preferably on tmpfs (like /run/vc) so fsync is cheap."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The test modules share plain helpers (fs_helpers.py, fs_scenarios.py); under --import-mode=importlib they
# are importable only if this directory is on the path. The module names are unique to this directory.
sys.path.insert(0, str(Path(__file__).parent))

from persist_fs import FsDriver


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """An empty directory for one store: under /dev/shm when it exists (tmpfs, as /run), else tmp_path."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        try:
            base = Path(tempfile.mkdtemp(prefix="persist-fs-test-", dir=shm))
        except OSError:
            base = tmp_path
    else:
        base = tmp_path
    try:
        yield base / "vc"
    finally:
        if base != tmp_path:
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def driver(root: Path) -> FsDriver:
    return FsDriver(root=root)
