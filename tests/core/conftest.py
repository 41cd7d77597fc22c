"""The Go oracle: tests/core/go built once per session, to ask what Go's encoding/json does.

Its foreign structs are kata's persistapi from benchmarks/kata_go (the one copy; go.mod points there).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# The codec tests share a plain helper (byte_edits.py); under --import-mode=importlib it is importable only
# if this directory is on the path. The module name is unique to this directory.
sys.path.insert(0, str(Path(__file__).parent))

GO_SOURCE = Path(__file__).parent / "go"

#: ``go_json(mode, lines)``: one answer line per input line (see gojson.go for the modes).
GoJson = Callable[[str, list[str]], list[str]]


@pytest.fixture(scope="session")
def go_json(tmp_path_factory: pytest.TempPathFactory) -> GoJson:
    go = shutil.which("go")
    if go is None:
        pytest.skip("Go is not installed (apt-get install golang-go): Go's behaviour cannot be compared")
    work = tmp_path_factory.mktemp("go")
    env = {
        **os.environ,
        "HOME": str(work),
        "GOCACHE": str(work / "cache"),
        "GOPATH": str(work / "gopath"),
        "GOFLAGS": "-mod=readonly",
        "GOPROXY": "off",  # standard library and this repository only: never the network
        "GOTOOLCHAIN": "local",
    }
    binary = work / "gojson"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=GO_SOURCE, check=True, env=env, timeout=600)

    def run(mode: str, lines: list[str]) -> list[str]:
        assert all("\n" not in line for line in lines)
        result = subprocess.run(
            [str(binary), mode], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True, timeout=600
        )
        answers = result.stdout.split("\n")[:-1]  # not splitlines: Go writes U+0085 and U+001C raw
        assert len(answers) == len(lines)
        return answers

    return run
