"""Medians of interleaved samples: a figure and its floor take turns, so a noisy machine's drift hits both.

A sample is a callable that performs one operation (or a batch of tiny ones), times only the part that
counts, and returns seconds per operation; setup and cleanup around it stay untimed. Sampling stops once
both medians are pinned down (their 95% confidence intervals within ``Budget.spread`` of the median), or
when the case's time budget runs out after the minimum number of rounds.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable, Sequence

import attrs

#: One timed operation: returns its duration in seconds (per operation, for a batch).
Sample = Callable[[], float]

_Z95 = 1.96


@attrs.frozen
class Stat:
    """The median of a set of samples, with a distribution-free 95% confidence interval of the median."""

    median: float
    low: float
    high: float
    samples: int

    @property
    def spread(self) -> float:
        """Half the confidence interval's width, relative to the median."""
        return (self.high - self.low) / 2 / self.median if self.median > 0 else math.inf

    def as_json(self) -> dict[str, float | int]:
        return {"median_s": self.median, "ci95_low_s": self.low, "ci95_high_s": self.high, "samples": self.samples}


def summarize(values: Sequence[float]) -> Stat:
    """Median and the order-statistic interval around it (no assumption about the noise's shape)."""
    if not values:
        raise ValueError("no samples to summarize")
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    half = _Z95 * math.sqrt(n) / 2
    low_rank = max(0, math.floor(n / 2 - half) - 1)
    high_rank = min(n - 1, math.ceil(n / 2 + half))
    return Stat(median=median, low=ordered[low_rank], high=ordered[high_rank], samples=n)


@attrs.frozen
class Budget:
    """How long to sample one case: enough rounds for a stable median, bounded in time.

    Sampling stops after ``min_rounds`` once both medians are stable or ``seconds`` are spent; a case so
    slow that ``min_rounds`` would take far longer (thrice ``seconds``) stops after ``least_rounds``.
    """

    min_rounds: int
    max_rounds: int
    seconds: float
    warmup: int = 2
    spread: float = 0.02
    least_rounds: int = 5

    def scaled(self, factor: float) -> Budget:
        """The same budget with ``factor`` times the time (slow cases get more, tiny ones less)."""
        return attrs.evolve(self, seconds=self.seconds * factor)


def measure(figure: Sample, floor: Sample, budget: Budget) -> tuple[Stat, Stat]:
    """Sample ``figure`` and ``floor`` in alternating order (ABBA) and return both medians."""
    gc.collect()
    for _ in range(budget.warmup):
        figure()
        floor()
    figures: list[float] = []
    floors: list[float] = []
    started = time.perf_counter()
    for round_ in range(budget.max_rounds):
        if round_ % 2:
            floors.append(floor())
            figures.append(figure())
        else:
            figures.append(figure())
            floors.append(floor())
        rounds, elapsed = round_ + 1, time.perf_counter() - started
        if rounds >= budget.least_rounds and elapsed > 3 * budget.seconds:
            break
        if rounds < budget.min_rounds:
            continue
        if elapsed > budget.seconds:
            break
        if summarize(figures).spread <= budget.spread and summarize(floors).spread <= budget.spread:
            break
    return summarize(figures), summarize(floors)
