"""`pip install ./persist_core ./persist_memory` (not editable) into a fresh virtual environment just works."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIP_QUIET = ["--disable-pip-version-check", "--no-input"]

ROUND_TRIP = """
import persist_core
from persist_core.model import ContainerState, SandboxState
assert persist_core.available_drivers() == ["memory"], persist_core.available_drivers()
driver = persist_core.get_driver("memory")
driver.save(SandboxState(sandbox_container="s", persist_version=2), {"c": ContainerState(state="running")})
sandbox, containers = driver.load("s")
assert containers["c"].state == "running" and driver.sandbox_ids() == ["s"]
print(persist_core.__file__)
"""


def test_core_and_memory_install_from_source_trees(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", *PIP_QUIET, "./persist_core", "./persist_memory"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    run = subprocess.run([str(python), "-c", ROUND_TRIP], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().startswith(str(env_dir))  # the installed copy, not the source tree
