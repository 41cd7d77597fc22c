"""The benchmark runner works and reports in the documented shape; its timings are never asserted."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "benchmarks" / "run.py"
TARGET_STATUSES = {"PASS", "MISS", "SKIP"}


def run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tmp_path / "out.json"
    command = [sys.executable, str(RUNNER), "--quick", "--json", str(out), "--disk", str(tmp_path / "disk"), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return result, json.loads(out.read_text())


def check_stat(stat: dict[str, Any]) -> None:
    assert stat["samples"] >= 1
    assert 0 < stat["ci95_low_s"] <= stat["median_s"] <= stat["ci95_high_s"]


def test_quick_run_measures_every_operation_beside_its_floor(tmp_path: Path) -> None:
    result, doc = run(tmp_path, "--stores", "memory,fs-tmpfs", "--sizes", "1,10", "--sandboxes", "50")
    assert doc["schema"] == "persist-benchmarks/1"
    assert doc["settings"]["quick"] is True
    assert doc["skipped"] == {}
    assert doc["failures"] == []
    seen = {(figure["store"], figure["operation"], figure["n"]) for figure in doc["figures"]}
    for store in ("memory", "fs-tmpfs"):
        for n in (1, 10):
            for operation in ("save new", "save 1 changed", "load"):
                assert (store, operation, n) in seen
        assert (store, "sandbox_ids", 50) in seen
        assert (store, "lock+unlock", None) in seen
        assert (store, "cold start", None) in seen
    for figure in doc["figures"]:
        check_stat(figure["value"])
        check_stat(figure["floor"])
        assert figure["floor"]["kind"]
        assert figure["ratio"] == pytest.approx(figure["value"]["median_s"] / figure["floor"]["median_s"])
    statuses = {target["target"]: target["status"] for target in doc["targets"]}
    assert len(statuses) == 10
    assert set(statuses.values()) <= TARGET_STATUSES
    # N=100 was not measured, so its targets cannot be judged; N=10 ones can.
    assert statuses["fs-tmpfs save new, N=100: x durable floor"] == "SKIP"
    assert statuses["fs-tmpfs save new, N=10: x durable floor"] in {"PASS", "MISS"}
    assert statuses["memory load, N=10: speed-up over fs-tmpfs"] in {"PASS", "MISS"}
    for target in doc["targets"]:
        assert target["status"] in result.stdout


def test_a_missing_driver_is_skipped_with_its_reason(tmp_path: Path) -> None:
    result, doc = run(
        tmp_path, "--stores", "memory,fs-tmpfs", "--fs-driver", "no-such-driver", "--operations", "lock+unlock"
    )
    assert "no-such-driver" in doc["skipped"]["fs-tmpfs"]
    assert [(figure["store"], figure["operation"]) for figure in doc["figures"]] == [("memory", "lock+unlock")]
    assert {target["status"] for target in doc["targets"]} == {"SKIP"}
    assert "skipped fs-tmpfs" in result.stdout


def test_unknown_store_is_refused() -> None:
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--stores", "floppy"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "floppy" in result.stderr


@pytest.fixture
def timing(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(REPO))
    return importlib.import_module("benchmarks.timing")


def test_median_and_its_confidence_interval(timing: ModuleType) -> None:
    stat = timing.summarize([float(value) for value in range(100, 0, -1)])
    assert stat.median == 50.5
    assert stat.samples == 100
    assert 35 <= stat.low < 50.5 < stat.high <= 65
    single = timing.summarize([2.0])
    assert (single.median, single.low, single.high) == (2.0, 2.0, 2.0)


def test_sampling_stops_within_the_round_limits(timing: ModuleType) -> None:
    calls = {"figure": 0, "floor": 0}

    def sample(name: str, value: float) -> Any:
        def call() -> float:
            calls[name] += 1
            return value

        return call

    budget = timing.Budget(min_rounds=7, max_rounds=20, seconds=60.0, warmup=1)
    figure, floor = timing.measure(sample("figure", 2.0), sample("floor", 1.0), budget)
    # Constant samples are stable at once: exactly the minimum rounds, plus the warm-up.
    assert (figure.median, floor.median) == (2.0, 1.0)
    assert figure.samples == floor.samples == 7
    assert calls == {"figure": 8, "floor": 8}
