"""Shared test helpers: where the kata fixtures live (shipped inside persist-core, so a fresh clone has them)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

KATA = Path(str(files("persist_core.testing") / "kata"))


@pytest.fixture(scope="session")
def kata_dir() -> Path:
    return KATA
