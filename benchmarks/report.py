"""The printed table (figure, floor, ratio, and the targets with PASS/MISS) and the JSON document."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from benchmarks.results import Figure, Results
from benchmarks.targets import Outcome

SCHEMA = "persist-benchmarks/1"


def duration(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


def _row(figure: Figure) -> list[str]:
    return [
        figure.store,
        figure.operation,
        "" if figure.n is None else str(figure.n),
        duration(figure.value.median),
        f"±{figure.value.spread * 100:.0f}%",
        duration(figure.floor.median),
        f"{figure.ratio:.2f}x",
        str(figure.value.samples),
        figure.floor_kind,
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(w) if i in right else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)])


def figures_table(results: Results) -> str:
    header = ["store", "operation", "N", "median", "ci95", "floor", "ratio", "runs", "floor is"]
    return _table(header, [_row(figure) for figure in results.figures], right={2, 3, 4, 5, 6, 7})


def targets_table(outcomes: Sequence[Outcome]) -> str:
    rows = [
        [
            outcome.target.description,
            "-" if outcome.value is None else f"{outcome.value:.2f}",
            ("<= " if outcome.target.at_most else ">= ") + f"{outcome.target.limit:g}",
            outcome.status,
        ]
        for outcome in outcomes
    ]
    return _table(["target", "measured", "limit", "status"], rows, right={1, 2})


def document(
    results: Results, outcomes: Sequence[Outcome], machine: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "machine": machine,
        "settings": settings,
        "figures": [figure.as_json() for figure in results.figures],
        "targets": [outcome.as_json() for outcome in outcomes],
        "skipped": dict(results.skipped),
        "failures": list(results.failures),
    }
