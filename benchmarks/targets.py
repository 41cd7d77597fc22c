"""The targets of issue 6: ratios on tmpfs, medians, all taken from one run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from benchmarks.operations import COLD, LIST, LOAD, LOCK, SAVE_NEW, SAVE_ONE
from benchmarks.results import Results

TMPFS = "fs-tmpfs"
MEMORY = "memory"

Measure = Callable[[Results], float | None]


@attrs.frozen
class Target:
    description: str
    limit: float
    #: True: the measured value must be at most ``limit``; False: at least.
    at_most: bool
    measure: Measure


@attrs.frozen
class Outcome:
    target: Target
    value: float | None

    @property
    def status(self) -> str:
        if self.value is None:
            return "SKIP"
        met = self.value <= self.target.limit if self.target.at_most else self.value >= self.target.limit
        return "PASS" if met else "MISS"

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target.description,
            "limit": self.target.limit,
            "comparison": "<=" if self.target.at_most else ">=",
            "value": self.value,
            "status": self.status,
        }


def _floor_ratio(operation: str, n: int | None = None) -> Measure:
    def measure(results: Results) -> float | None:
        figure = results.find(TMPFS, operation, n)
        return None if figure is None else figure.ratio

    return measure


def _one_changed_share(n: int) -> Measure:
    def measure(results: Results) -> float | None:
        changed, full = results.find(TMPFS, SAVE_ONE, n), results.find(TMPFS, SAVE_NEW, n)
        return None if changed is None or full is None else changed.value.median / full.value.median

    return measure


def _memory_speedup(operation: str, n: int) -> Measure:
    def measure(results: Results) -> float | None:
        fs, memory = results.find(TMPFS, operation, n), results.find(MEMORY, operation, n)
        return None if fs is None or memory is None else fs.value.median / memory.value.median

    return measure


TARGETS = (
    Target("fs-tmpfs save new, N=10: x durable floor", 1.5, True, _floor_ratio(SAVE_NEW, 10)),
    Target("fs-tmpfs save new, N=100: x durable floor", 1.5, True, _floor_ratio(SAVE_NEW, 100)),
    Target("fs-tmpfs save 1 changed of 100: x save new", 0.25, True, _one_changed_share(100)),
    Target("fs-tmpfs load, N=10: x read floor", 4.0, True, _floor_ratio(LOAD, 10)),
    Target("fs-tmpfs load, N=100: x read floor", 4.0, True, _floor_ratio(LOAD, 100)),
    Target("fs-tmpfs sandbox_ids: x os.scandir", 1.5, True, _floor_ratio(LIST)),
    Target("fs-tmpfs lock+unlock: x open+flock+close", 3.0, True, _floor_ratio(LOCK)),
    Target("fs cold start: x import attrs, cattrs, importlib.metadata", 1.3, True, _floor_ratio(COLD)),
    Target("memory save new, N=10: speed-up over fs-tmpfs", 3.0, False, _memory_speedup(SAVE_NEW, 10)),
    Target("memory load, N=10: speed-up over fs-tmpfs", 3.0, False, _memory_speedup(LOAD, 10)),
)


def evaluate(results: Results) -> list[Outcome]:
    return [Outcome(target, target.measure(results)) for target in TARGETS]
