"""Records of over a mebibyte come back byte for byte: no 4 KiB buffer, 64 KiB column or value cap cuts them."""

from __future__ import annotations

import pytest

from persist_core import codec
from persist_core.driver import PersistDriver
from persist_core.errors import PersistError
from persist_core.model import ContainerState, SandboxState
from persist_core.testing.samples import LARGE_RECORD, large_container, large_sandbox, small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase


def compare_bytes(what: str, expected: bytes, actual: bytes) -> str | None:
    """None when equal, else where they part: sizes, and the first differing offset."""
    if actual == expected:
        return None
    common = next((n for n, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b), None)
    where = (
        f"they differ from byte {common:,}"
        if common is not None
        else f"the first {min(len(expected), len(actual)):,} bytes match"
    )
    cut = " (cut short)" if len(actual) < len(expected) and common is None else ""
    return f"{what} of {len(expected):,} bytes came back as {len(actual):,} bytes{cut}; {where}"


class LargeRecordTests(ConformanceBase):
    def _round_trip(self, driver: PersistDriver, sandbox: SandboxState, containers: dict[str, ContainerState]) -> None:
        sandbox_id = sandbox.sandbox_container
        sandbox_bytes = codec.dumps(sandbox)
        container_bytes = {cid: codec.dumps(state) for cid, state in containers.items()}
        largest = max([len(sandbox_bytes), *map(len, container_bytes.values())])
        assert largest > LARGE_RECORD, f"kit error: the largest record is only {largest:,} bytes"
        try:
            driver.save(sandbox, containers)
            stored = driver._load(sandbox_id)
        except PersistError as exc:
            pytest.fail(f"a save and load of a record of {largest:,} bytes raised {exc!r}")
        problems = [compare_bytes("the sandbox record", sandbox_bytes, stored.sandbox.data)]
        if set(stored.containers) != set(container_bytes):
            problems.append(f"containers {sorted(container_bytes)} came back as {sorted(stored.containers)}")
        else:
            problems += [
                compare_bytes(f"container {cid!r}'s record", data, stored.containers[cid].data)
                for cid, data in container_bytes.items()
            ]
        found = [problem for problem in problems if problem]
        if found:
            pytest.fail("; ".join(found))
        assert driver.load(sandbox_id) == (sandbox, containers)

    def test_sandbox_record_over_a_mebibyte_round_trips_byte_for_byte(self, driver: PersistDriver) -> None:
        self._round_trip(driver, large_sandbox("large"), {"c1": small_container("c1")})

    def test_container_record_over_a_mebibyte_round_trips_byte_for_byte(self, driver: PersistDriver) -> None:
        self._round_trip(driver, small_sandbox("large"), {"c1": large_container("c1"), "c2": small_container("c2")})
