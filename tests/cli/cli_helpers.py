"""Helpers for running the installed ``persist`` console script in subprocesses against real trees on disk.

Cross-process state goes through the "fs" driver with ``-o root=<tmp>``; trees start as copies of
kata's own persist.json fixtures, so the CLI is exercised on files that Go wrote.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import persist_core

FS = "fs"
KATA = Path(persist_core.__file__).parent / "testing" / "kata"
FULL_SANDBOX = "e1f3c2a9d8b7"  # three containers
BARE_SANDBOX = "7a0c4b2d91f6"  # no containers
CORRUPT_RECORD = f"sbs/{FULL_SANDBOX}/3b9d0c7e5a21/persist.json"


def persist_executable() -> str:
    """The console script next to this interpreter (the venv's), else whatever is on PATH."""
    beside = Path(sys.executable).with_name("persist")
    if beside.exists():
        return str(beside)
    found = shutil.which("persist")
    if found is None:
        pytest.fail("the `persist` console script is not installed: pip install -e ./persist_core")
    return found


class PersistCli:
    """Calls ``persist ARGS...`` with a clean environment; returns the completed process."""

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self.env = {key: value for key, value in os.environ.items() if key != "PERSIST_DRIVER"}

    def __call__(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = self.raw(*args, stdin=stdin, env=env)
        return subprocess.CompletedProcess(
            result.args, result.returncode, result.stdout.decode("utf-8"), result.stderr.decode("utf-8")
        )

    def raw(
        self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.executable, *args],
            input=stdin,
            capture_output=True,
            env={**self.env, **(env or {})},
            timeout=120,
            check=False,
        )


def fs(root: Path) -> list[str]:
    """Command-line selection of the fs driver on ``root``."""
    return ["--driver", FS, "-o", f"root={root}"]


def documents(root: Path) -> dict[str, bytes]:
    """Every persist.json under ``root`` by relative path: what a byte-exact copy must reproduce."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("persist.json"))}


def copy_kata_tree(root: Path, tree: str = "tree-full") -> Path:
    shutil.copytree(KATA / tree / "sbs", root / "sbs")
    return root


def tear(root: Path, record: str = CORRUPT_RECORD) -> Path:
    """Cut a record in half, as a crashed in-place writer (kata's Go driver) leaves it."""
    path = root / record
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def single_line(stderr: str) -> str:
    """The error contract: exactly one line, no traceback."""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def table(stdout: str) -> dict[str, list[str]]:
    """Rows of a whitespace-aligned table keyed by their first cell (header included)."""
    rows = [line.split() for line in stdout.splitlines() if line.strip()]
    return {row[0]: row[1:] for row in rows}
