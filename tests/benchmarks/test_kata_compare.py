"""The comparison with kata's Go driver runs and reports in its documented shape; timings are never asserted."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from persist_core import ContainerState, SandboxState, codec

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "benchmarks" / "kata_compare.py"
# What the runner reports (kept here: the benchmarks package is not installed, only run from the repository).
FIGURES = {
    "kata ToDisk",
    "kata ToDisk, beside the references",
    "kata ToDisk, files replaced atomically",
    "Python floor: encode, replace each file atomically",
    "kata FromDisk, beside the Python floor",
    "Python floor: read each file, decode",
    "persist save, every container changed",
    "persist save, one changed",
    "kata FromDisk",
    "persist load, never seen",
    "persist load, repeated bytes",
}
BASELINE = {
    "kata ToDisk, files replaced atomically": "kata ToDisk, beside the references",
    "Python floor: encode, replace each file atomically": "kata ToDisk, beside the references",
    "Python floor: read each file, decode": "kata FromDisk, beside the Python floor",
    "persist save, every container changed": "kata ToDisk",
    "persist save, one changed": "kata ToDisk",
    "persist load, never seen": "kata FromDisk",
    "persist load, repeated bytes": "kata FromDisk",
}


@pytest.fixture
def kata_state(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module("benchmarks.kata_state")


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "out.json"
    command = [sys.executable, str(SCRIPT), "--quick", "--json", str(out), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return result, json.loads(out.read_text())


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed (apt-get install golang-go)")
def test_quick_run_measures_every_figure_beside_kata(tmp_path: Path) -> None:
    result, doc = run(tmp_path)
    assert doc["schema"] == "persist-kata-compare/1"
    assert doc["skipped"] is None
    assert len(doc["runs"]) == 1
    [run_] = doc["runs"]
    assert len(run_["load_average_before"]) == 3
    [size] = run_["sizes"]
    assert size["n"] == 10
    for clock in ("wall", "cpu"):
        timed = size[clock]
        assert set(timed["figures"]) == FIGURES
        for stat in timed["figures"].values():
            assert stat["samples"] == 4
            assert 0 <= stat["ci95_low_s"] <= stat["median_s"] <= stat["ci95_high_s"]
        for figure, base in BASELINE.items():
            expected = timed["figures"][figure]["median_s"] / timed["figures"][base]["median_s"]
            assert timed["ratios"][figure] == pytest.approx(expected)
        # Each compared with kata's ToDisk of its own rounds.
        ratios = timed["ratios"]
        atomic = ratios["persist save, every container changed"] / ratios["kata ToDisk, files replaced atomically"]
        assert timed["against_atomic"] == pytest.approx(atomic)
        floor_save = (
            ratios["persist save, every container changed"]
            / ratios["Python floor: encode, replace each file atomically"]
        )
        floor_load = ratios["persist load, never seen"] / ratios["Python floor: read each file, decode"]
        assert timed["over_floor"] == pytest.approx(
            {"persist save, every container changed": floor_save, "persist load, never seen": floor_load}
        )
        assert all(stat["median_s"] > 0 for stat in size["wall"]["figures"].values())
    for figure in FIGURES:
        assert figure in result.stdout
    assert "MISS" in result.stdout or "PASS" in result.stdout


def test_without_go_it_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result, doc = run(tmp_path, "--go", str(tmp_path / "no-such-go"))
    assert doc["skipped"].startswith("Go is not installed")
    assert doc["runs"] == []
    assert "kata comparison skipped: Go is not installed" in result.stdout


def _strings(value: Any, maps: frozenset[str], key: str = "") -> list[str]:
    """Every non-empty string value, and every key of a Go map that is not an integer."""
    if isinstance(value, dict):
        keys = [name for name in value if key in maps and not name.isdigit()]
        return keys + [text for name, item in value.items() for text in _strings(item, maps, name)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item, maps, key)]
    return [value] if isinstance(value, str) and value else []


def test_salted_states_share_no_string_but_netmasks_and_keep_their_size(kata_state: ModuleType) -> None:
    first, second = kata_state.PodState(3, 1, "test"), kata_state.PodState(3, 2, "test")
    assert 13.5 * 1024 < len(first.sandbox_bytes) < 14.5 * 1024
    assert len(first.sandbox_bytes) == len(second.sandbox_bytes)
    records = [(first.sandbox_bytes, second.sandbox_bytes)]
    records += list(zip(first.container_bytes.values(), second.container_bytes.values(), strict=True))
    for one, other in records:
        assert len(one) == len(other)
        values = set(_strings(json.loads(one), kata_state.MAP_KEYS))
        shared = values & set(_strings(json.loads(other), kata_state.MAP_KEYS))
        assert shared <= {"////AA==", "//////////8AAAAAAAAAAA=="}  # only netmasks repeat
    sandbox, containers = first.objects()
    assert codec.dumps(sandbox) == first.sandbox_bytes  # what persist stores is what was built
    assert {cid: codec.dumps(state) for cid, state in containers.items()} == first.container_bytes
    assert isinstance(sandbox, SandboxState)
    assert all(isinstance(state, ContainerState) for state in containers.values())


def test_salting_keeps_go_map_order_ips_and_times_valid(kata_state: ModuleType) -> None:
    document = {
        "Annotations": {"a": "x", "ab": "y"},
        "DeviceAddr": {"1": "d", "10": "e"},
        "IP": "10.1.2.3",
        "Peer": {"IP": "fe80::1", "Mask": "////AA=="},
        "StartTime": "2025-03-14T09:27:01.12+08:00",
        "Empty": "",
    }
    out = kata_state.salted(document, 0x2A)
    assert list(out["Annotations"]) == ["00002a-a", "00002a-ab"]  # still sorted bytewise, as Go writes maps
    assert out["Annotations"]["00002a-a"] == "00002a-x"
    assert list(out["DeviceAddr"]) == ["1", "10"]  # integer keys stay integers
    assert out["IP"] == "10.100.100.142"
    assert out["Peer"] == {"IP": "fd00::1000:102a", "Mask": "////AA=="}
    assert out["StartTime"] == "2025-03-14T09:27:01.000000421+08:00"
    assert out["Empty"] == ""


@pytest.mark.skipif(shutil.which("go") is None, reason="Go is not installed (apt-get install golang-go)")
def test_the_go_structs_rewrite_kata_files_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kata's own files (one with every field set) go through the Go program's FromDisk and ToDisk unchanged."""
    monkeypatch.syspath_prepend(str(REPO))
    kata_compare = importlib.import_module("benchmarks.kata_compare")
    tree = REPO / "persist_core" / "src" / "persist_core" / "testing" / "kata" / "tree-full"
    shutil.copytree(tree / "sbs", tmp_path / "kata" / "sbs")
    go = kata_compare.KataGo(kata_compare.build_go(None, tmp_path))
    try:
        for sandbox in sorted(path.name for path in (tree / "sbs").iterdir()):
            records = sorted((tree / "sbs" / sandbox).rglob("persist.json"))
            answer = go.call("load", str(tmp_path / "kata"), sandbox)
            assert answer.get("containers", 0) == len(records) - 1
            go.call("todisk", str(tmp_path / f"go-{sandbox}"))
            for record in records:
                written = tmp_path / f"go-{sandbox}" / record.relative_to(tree)
                assert written.read_bytes() == record.read_bytes(), record
    finally:
        go.close()
