"""A writer trusts what it last committed on one check per sandbox (seals.py); anyone else's commit,
kata's in-place save and a tool's change to the directory must still be noticed by the next save."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, kata_view, loaded, make_state, visible_names

from persist_core import codec
from persist_fs import FsDriver


def _assert_stored(driver: FsDriver, root: Path, state: tuple) -> None:  # type: ignore[type-arg]
    assert loaded(FsDriver(root=root)) == encode(state)
    assert kata_view(root) == encode(state)
    assert driver.find_leftovers() == []


def _counting_stats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = os.stat

    def stat(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(os.fspath(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    return calls


def test_a_sealed_save_stats_no_container_file(driver: FsDriver, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    containers = {f"c{i}": f"v{i}" for i in range(20)}
    driver.save(*make_state("A", containers))
    calls = _counting_stats(monkeypatch)
    changed = make_state("A", {**containers, "c7": "new"})
    driver.save(*changed)
    assert not [call for call in calls if "/" in call], calls  # no <cid>/persist.json was stat'ed
    monkeypatch.undo()
    _assert_stored(driver, root, changed)


@pytest.mark.parametrize("commits", [1, 2, 3])
def test_commits_of_another_driver_are_noticed(driver: FsDriver, root: Path, commits: int) -> None:
    """Each of them replaces .journal; ours stays open, so its inode number cannot come back."""
    driver.save(*STATE_A)
    other = FsDriver(root=root)
    for i in range(commits):
        other.save(*make_state("A", {"c0": "same", "c1": f"other{i}", "c2": "a2"}))
    driver.save(*STATE_A)  # the same as our last save: only a stale seal would skip it
    _assert_stored(driver, root, STATE_A)
    driver.save(*STATE_B)
    _assert_stored(driver, root, STATE_B)


def test_destroy_and_first_save_by_another_driver_are_noticed(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    other = FsDriver(root=root)
    other.destroy(SID)
    other.save(*make_state("A", {"c0": "same"}))
    driver.save(*STATE_A)
    _assert_stored(driver, root, STATE_A)


def _rewrite_in_place(path: Path, data: bytes) -> None:
    """As kata's ToDisk does: O_TRUNC and write, same inode; the clock has moved on since our save."""
    before = path.stat()
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)
    later = before.st_mtime_ns + 50_000_000
    os.utime(path, ns=(later, later))


def test_kata_saving_in_place_is_noticed(driver: FsDriver, root: Path) -> None:
    """kata rewrites the sandbox file first on every save: its identity changes, the seal is not trusted."""
    driver.save(*STATE_A)
    directory = root / "sbs" / SID
    other = make_state("K", {"c0": "same", "c1": "kata", "c2": "a2"})
    _rewrite_in_place(directory / "persist.json", codec.dumps(other[0]))
    _rewrite_in_place(directory / "c1" / "persist.json", codec.dumps(other[1]["c1"]))
    assert loaded(driver) == encode(other)
    driver.save(*STATE_A)
    _assert_stored(driver, root, STATE_A)


def test_a_container_removed_by_a_tool_is_noticed(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    directory = root / "sbs" / SID
    (directory / "c1" / "persist.json").unlink()
    (directory / "c1").rmdir()
    later = directory.stat().st_mtime_ns + 50_000_000  # the clock has moved on since our save
    os.utime(directory, ns=(later, later))
    driver.save(*STATE_A)
    _assert_stored(driver, root, STATE_A)


def test_a_journal_written_in_place_is_not_trusted(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    (root / "sbs" / SID / ".journal").write_bytes(b"persist-fs journal 1\nD c1\n")
    driver.save(*STATE_A)  # finishes that "commit" (c1 removed), then restores c1
    _assert_stored(driver, root, STATE_A)


def test_saves_through_seals_keep_every_state_exact(driver: FsDriver, root: Path) -> None:
    """One-file, journaled, adding and removing saves in a row, each checked by a fresh reader and kata's."""
    states = [
        STATE_A,
        STATE_B,
        make_state("B", {"c0": "same", "c2": "b2", "c3": "b3", "c4": "b4x"}),  # one container
        make_state("C", {"c0": "same", "c2": "b2", "c3": "b3", "c4": "b4x"}),  # the sandbox only
        make_state("C", {"c0": "same", "c2": "b2", "c3": "b3"}),  # one removal
        make_state("C", {"c0": "same", "c2": "b2", "c3": "b3", "c9": "new"}),  # one addition
        make_state("C", {"c0": "same", "c2": "b2", "c3": "b3", "c9": "new"}),  # nothing
        STATE_A,
    ]
    for state in states:
        driver.save(*state)
        _assert_stored(driver, root, state)
        assert visible_names(root) == {"persist.json", *state[1]}


def test_seals_hold_a_bounded_number_of_descriptors(root: Path) -> None:
    driver = FsDriver(root=root)
    before = len(os.listdir("/proc/self/fd"))
    for i in range(200):
        driver.save(*make_state("A", {"c0": "x"}, sandbox_id=f"s{i}"))
    assert len(os.listdir("/proc/self/fd")) - before <= 64 + 2
