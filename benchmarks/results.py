"""Measured figures, each with the floor it was measured beside, looked up by store, operation and N."""

from __future__ import annotations

from typing import Any

import attrs

from benchmarks.timing import Stat


@attrs.frozen
class Figure:
    store: str
    operation: str
    n: int | None
    value: Stat
    floor: Stat
    floor_kind: str

    @property
    def ratio(self) -> float:
        """The driver's median over the floor's median, both from the same interleaved rounds."""
        return self.value.median / self.floor.median

    def as_json(self) -> dict[str, Any]:
        return {
            "store": self.store,
            "operation": self.operation,
            "n": self.n,
            "value": self.value.as_json(),
            "floor": {**self.floor.as_json(), "kind": self.floor_kind},
            "ratio": self.ratio,
        }


@attrs.define
class Results:
    figures: list[Figure] = attrs.Factory(list)
    #: Store name -> why it was not measured.
    skipped: dict[str, str] = attrs.Factory(dict)
    #: Cases a driver failed (store, case, error): reported, never hidden.
    failures: list[dict[str, str]] = attrs.Factory(list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)

    def find(self, store: str, operation: str, n: int | None = None) -> Figure | None:
        for figure in self.figures:
            if (figure.store, figure.operation) == (store, operation) and (n is None or figure.n == n):
                return figure
        return None
