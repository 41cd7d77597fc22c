"""The kit works where persist-core is installed from its wheel, outside this repository.

The wheel is built from persist_core/ and installed into a directory of its own; a test module in
another directory subclasses DriverConformance for the memory driver. Nothing from tests/ or from
the source tree can be imported there, so a kit that needs either fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

OUTSIDE_TEST = """
from pathlib import Path

import pytest

import persist_core
from persist_core.testing import DriverConformance
from persist_memory import MemoryDriver

SITE = Path({site!r})


def test_persist_core_comes_from_the_wheel():
    assert Path(persist_core.__file__).is_relative_to(SITE)


class TestMemoryFromWheel(DriverConformance):
    @pytest.fixture
    def driver(self):
        return MemoryDriver()
"""


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_kit_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    wheels, site, outside = tmp_path / "wheels", tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", str(REPO / "persist_core"), "-w", str(wheels)], cwd=tmp_path)
    (wheel,) = wheels.glob("persist_core-*.whl")
    _run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)], cwd=tmp_path)
    (outside / "test_outside.py").write_text(OUTSIDE_TEST.format(site=str(site)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSIST_", "PYTEST_"))}
    env["PYTHONPATH"] = str(site)  # ahead of the editable install in site-packages
    output = _run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_outside.py"], outside, env)
    assert " passed" in output
