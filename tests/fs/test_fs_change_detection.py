"""A save writes only what changed, and proves "unchanged" per file on every save (known.py): anyone
else's commit, kata's in-place save, a tool's same-size edit and a change to the directory are noticed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, kata_view, loaded, make_state, visible_names

from persist_core import codec
from persist_core.testing.samples import small_container
from persist_fs import FsDriver


def _assert_stored(driver: FsDriver, root: Path, state: tuple) -> None:  # type: ignore[type-arg]
    assert loaded(FsDriver(root=root)) == encode(state)
    assert kata_view(root) == encode(state)
    assert driver.find_leftovers() == []


@pytest.mark.parametrize("commits", [1, 2, 3])
def test_commits_of_another_driver_are_noticed(driver: FsDriver, root: Path, commits: int) -> None:
    driver.save(*STATE_A)
    other = FsDriver(root=root)
    for i in range(commits):
        other.save(*make_state("A", {"c0": "same", "c1": f"other{i}", "c2": "a2"}))
    driver.save(*STATE_A)  # the same as our last save: only a stale cache would skip it
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


def _rewrite_in_place(path: Path, data: bytes, *, keep_mtime: bool = False) -> None:
    """As kata's ToDisk does: O_TRUNC and write, same inode; ``keep_mtime`` also puts the mtime back, as
    ``cp -p``, ``rsync -t`` or ``tar`` do (only ctime, which no program can set, still tells)."""
    before = path.stat()
    with open(path, "r+b") as f:
        f.truncate(0)
        f.write(data)
    if keep_mtime:
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_kata_saving_in_place_is_noticed(driver: FsDriver, root: Path) -> None:
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
    driver.save(*STATE_A)
    _assert_stored(driver, root, STATE_A)


def test_a_journal_written_in_place_is_not_trusted(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    (root / "sbs" / SID / ".journal").write_bytes(b"persist-fs journal 1\nD c1\n")
    driver.save(*STATE_A)  # finishes that "commit" (c1 removed), then restores c1
    _assert_stored(driver, root, STATE_A)


def test_saves_of_every_kind_keep_every_state_exact(driver: FsDriver, root: Path) -> None:
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


def _age(driver: FsDriver, state: tuple) -> None:  # type: ignore[type-arg]
    """Make every reading of ``state``'s files old: a later change to the directory moves its ctime on."""
    time.sleep(0.02)  # past the filesystem's clock tick (ms on tmpfs); a longer sleep only costs time
    driver.save(*make_state("aging", {}, sandbox_id="other"))
    scratch = Path(driver.run_storage_path) / SID / ".aging"
    scratch.mkdir()
    scratch.rmdir()
    driver.save(*state)  # reads the files again, now older than the directory: trusted from here on


@pytest.mark.parametrize("keep_mtime", [False, True])
def test_a_same_size_edit_in_place_is_noticed_even_when_trusted(driver: FsDriver, root: Path, keep_mtime: bool) -> None:
    containers = {f"c{i}": f"v{i}" for i in range(5)}
    state = make_state("A", containers)
    driver.save(*state)
    _age(driver, state)
    record = root / "sbs" / SID / "c3" / "persist.json"
    edited = codec.dumps(small_container("vX"))
    assert len(edited) == record.stat().st_size
    _rewrite_in_place(record, edited, keep_mtime=keep_mtime)
    driver.save(*state)  # what the tool wrote must be replaced, though size (and mtime) are the same
    _assert_stored(driver, root, state)


def test_trusted_readings_spare_reading_unchanged_files(
    driver: FsDriver, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The point of the rule: once readings are old, a save of one change opens no unchanged record."""
    containers = {f"c{i}": f"v{i}" for i in range(10)}
    state = make_state("A", containers)
    driver.save(*state)
    _age(driver, state)
    opened = _counting_opens(monkeypatch)
    changed = make_state("A", {**containers, "c7": "new"})
    driver.save(*changed)
    monkeypatch.undo()
    assert [name for name in opened if name.endswith("persist.json")] == [], opened
    _assert_stored(driver, root, changed)


def test_without_a_cache_every_same_size_file_is_read(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    driver = FsDriver(root=root, cache_bytes=0)
    containers = {f"c{i}": f"v{i}" for i in range(4)}
    state = make_state("A", containers)
    driver.save(*state)
    _age(driver, state)
    opened = _counting_opens(monkeypatch)
    driver.save(*state)
    monkeypatch.undo()
    assert sorted(name for name in opened if name.endswith("persist.json")) == [
        "c0/persist.json",
        "c1/persist.json",
        "c2/persist.json",
        "c3/persist.json",
        "persist.json",
    ]
    _assert_stored(driver, root, state)


def _counting_opens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    original = os.open

    def counting_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(os.fspath(path))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", counting_open)
    return calls
