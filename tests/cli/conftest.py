"""Fixtures for the CLI tests: the installed console script and real trees copied from kata's fixtures."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The test modules share plain helpers (cli_helpers.py); under --import-mode=importlib they are importable
# only if this directory is on the path. The module name is unique to this directory.
sys.path.insert(0, str(Path(__file__).parent))

from cli_helpers import PersistCli, copy_kata_tree, persist_executable, tear


@pytest.fixture(scope="session")
def persist() -> PersistCli:
    return PersistCli(persist_executable())


@pytest.fixture
def kata_root(tmp_path: Path) -> Path:
    """A store holding kata's two fixture sandboxes, exactly as Go wrote them."""
    return copy_kata_tree(tmp_path / "kata")


@pytest.fixture
def corrupt_root(tmp_path: Path) -> Path:
    """The kata tree with one container record of the full sandbox torn in half."""
    root = copy_kata_tree(tmp_path / "corrupt")
    tear(root)
    return root
