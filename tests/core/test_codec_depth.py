"""Issue 11, item 9 (JSON): nesting is bounded where Go's decoder bounds it (10,000 levels), with
CorruptStateError beyond, never RecursionError; deep but valid documents decode."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from persist_core import codec, get_driver
from persist_core.codec.depth import GO_MAX_DEPTH, nesting_depth
from persist_core.errors import CorruptStateError
from persist_core.model import SandboxState


def _deep(levels: int, where: str = "Unknown") -> bytes:
    """A sandbox record with ``levels`` of arrays and objects under one key (alternating, as hostile input might)."""
    opening = "".join('{"a":' if i % 2 else "[" for i in range(levels - 1))
    closing = "".join("}" if i % 2 else "]" for i in reversed(range(levels - 1)))
    return f'{{"SandboxContainer":"sb","{where}":{opening}1{closing}}}'.encode()


def test_depth_is_measured_outside_strings() -> None:
    assert nesting_depth('{"a":"[[[[{{{{","b":[[1]]}') == 3
    assert nesting_depth(_deep(5000).decode()) == 5000


def test_deeper_than_go_reads_is_corrupt_naming_the_record() -> None:
    with pytest.raises(CorruptStateError, match=r"sbs/sb/persist.json: not valid JSON: nested 10001 levels deep"):
        codec.loads(_deep(GO_MAX_DEPTH + 1), SandboxState, source="sbs/sb/persist.json")
    with pytest.raises(CorruptStateError, match="Go's decoder stops at 10000"):
        codec.loads(_deep(100_000).decode(), SandboxState)


@pytest.mark.parametrize("where", ["Unknown", "Config"])
def test_as_deep_as_go_reads_decodes_as_go_does(where: str) -> None:
    """Go ignores the unknown key; a deep value where Go expects a struct is a type error, not a crash."""
    data = _deep(GO_MAX_DEPTH, where)
    if where == "Unknown":
        assert codec.loads(data, SandboxState).sandbox_container == "sb"
        assert codec.loads(data, SandboxState).sandbox_container == "sb"  # twice: never kept among recent decodes
    else:
        with pytest.raises(CorruptStateError, match="not a valid SandboxState"):
            codec.loads(data, SandboxState)


def test_a_deep_foreign_value_decodes_in_a_thread() -> None:
    data = _deep(3000, "Config").replace(b'"Config":', b'"Config":{"cgroups":', 1)[:-1] + b"}}"
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(codec.loads(data, SandboxState).config.cgroups))
    thread.start()
    thread.join()
    assert len(results) == 1 and isinstance(results[0], list)


def test_go_bounds_depth_at_the_same_level(go_json) -> None:  # type: ignore[no-untyped-def]
    answers = go_json("depth", [_deep(GO_MAX_DEPTH).decode(), _deep(GO_MAX_DEPTH + 1).decode()])
    assert answers[0] == "ok"
    assert "exceeded max depth" in answers[1]


def test_a_deep_record_is_listed_as_corrupt_and_others_still_load(tmp_path: Path) -> None:
    driver = get_driver("fs", root=str(tmp_path))
    driver.save(SandboxState(sandbox_container="sb"), {})
    driver.save(SandboxState(sandbox_container="ok"), {})
    (tmp_path / "sbs" / "sb" / "persist.json").write_bytes(_deep(GO_MAX_DEPTH * 2))
    with pytest.raises(CorruptStateError, match="nested 20000 levels deep"):
        driver.load("sb")
    assert driver.load("ok")[0].sandbox_container == "ok"


def test_a_deep_but_valid_record_loads_again_and_again_through_the_driver_caches(tmp_path: Path) -> None:
    driver = get_driver("fs", root=str(tmp_path))
    driver.save(SandboxState(sandbox_container="sb"), {})
    (tmp_path / "sbs" / "sb" / "persist.json").write_bytes(_deep(3000))
    for _ in range(3):  # first sight, second sight (kept if it can be copied), and a third
        assert driver.load("sb")[0].sandbox_container == "sb"
