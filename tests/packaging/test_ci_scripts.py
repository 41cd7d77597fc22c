"""The install scripts CI runs first: a step that fails now and then fails the whole submission.

They run here only where their tool is already installed, so that they do no apt work; each runs many
times, since the failure this guards against (a version line piped into ``head`` under ``pipefail``,
killed by SIGPIPE) came about once in 30 runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = {"persist_etcd/ci/install-etcd.sh": "etcd", ".ci/install-go.sh": "go"}
RUNS = 120


@pytest.mark.parametrize(("script", "tool"), sorted(SCRIPTS.items()))
def test_an_install_script_with_its_tool_present_succeeds_every_time(script: str, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed: the script would install it with apt")
    failures = []
    for _ in range(RUNS):
        result = subprocess.run(["bash", str(REPO / script)], capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0 or not result.stdout.strip():
            failures.append((result.returncode, result.stdout, result.stderr))
    assert not failures, f"{script} failed {len(failures)} of {RUNS} runs; first: {failures[0]}"
    assert tool in result.stdout.splitlines()[0].lower()
