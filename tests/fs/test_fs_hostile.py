"""Hostile input: IDs that try to escape, symlinks planted in the tree, corrupt and too-new records.

Nothing outside the root is ever written, renamed or deleted, and a broken record is reported by path
while the sandbox stays listed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, kata_view, loaded, make_state, snapshot

from persist_core import ContainerState
from persist_core.errors import (
    CorruptStateError,
    InvalidIdError,
    SandboxNotFoundError,
    StorageError,
    UnsupportedVersionError,
)
from persist_core.testing.samples import newer_version_record
from persist_fs import FsDriver


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the root with files a confused driver might write to, move or delete."""
    target = tmp_path / "outside"
    target.mkdir()
    (target / "persist.json").write_text("precious")
    (target / "c1").mkdir()
    (target / "c1" / "persist.json").write_text("precious too")
    (target / "file").write_text("precious file")
    return target


def assert_untouched(outside: Path, before: dict) -> None:
    assert snapshot(outside) == before, "something outside the root was changed"


BAD_IDS = ["../escape", "a/b", ".hidden", "..", ".", "", "x" * 256, "persist.json", "nul\0", "sp ace", "é"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_ids_that_could_escape_are_refused(driver: FsDriver, root: Path, bad: str) -> None:
    parent = snapshot(root.parent)
    sandbox = STATE_A[0]
    with pytest.raises(InvalidIdError):
        driver.save(make_state("A", {}, sandbox_id=bad)[0], {})
    with pytest.raises(InvalidIdError):
        driver.save(sandbox, {bad: ContainerState()})
    with pytest.raises(InvalidIdError):
        driver.load(bad)
    with pytest.raises(InvalidIdError):
        driver.destroy(bad)
    with pytest.raises(InvalidIdError):
        driver.lock(bad)
    assert snapshot(root.parent) == parent


def test_sandbox_directory_replaced_by_a_symlink(driver: FsDriver, root: Path, outside: Path) -> None:
    (root / "sbs").mkdir(parents=True)
    (root / "sbs" / SID).symlink_to(outside)
    before = snapshot(outside)
    assert driver.sandbox_ids() == [SID]
    with pytest.raises(CorruptStateError, match=re.escape(str(root / "sbs" / SID))):
        driver.load(SID)
    with pytest.raises(StorageError, match="symlink"):
        driver.save(*STATE_A)
    assert driver.find_leftovers() == []
    driver.destroy(SID)
    assert not (root / "sbs" / SID).is_symlink()
    assert_untouched(outside, before)
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    driver.save(*STATE_A)
    assert loaded(driver) == encode(STATE_A)


def test_destroy_does_not_follow_symlinks_inside_the_sandbox(driver: FsDriver, root: Path, outside: Path) -> None:
    driver.save(*STATE_A)
    before = snapshot(outside)
    (root / "sbs" / SID / "c1" / "link").symlink_to(outside)
    (root / "sbs" / SID / "c9").symlink_to(outside)
    driver.destroy(SID)
    assert_untouched(outside, before)
    assert driver.sandbox_ids() == []


def test_container_directory_replaced_by_a_symlink(driver: FsDriver, root: Path, outside: Path) -> None:
    driver.save(*STATE_A)
    before = snapshot(outside)
    container = root / "sbs" / SID / "c1"
    for child in container.iterdir():
        child.unlink()
    container.rmdir()
    container.symlink_to(outside)
    # Neither kata's reader (lstat) nor ours takes a symlink for a container.
    assert "c1" not in driver.load(SID)[1]
    driver.save(*STATE_A)  # c1 is in the state: a real directory replaces the link
    assert not container.is_symlink()
    assert loaded(driver) == encode(STATE_A)
    container.rename(root / "gone")
    container.symlink_to(outside)
    driver.save(*STATE_B)  # c1 is not: the link is no container, and what it points to stays
    assert_untouched(outside, before)
    assert loaded(driver) == encode(STATE_B)


def test_record_replaced_by_a_symlink(driver: FsDriver, root: Path, outside: Path) -> None:
    driver.save(*STATE_A)
    before = snapshot(outside)
    record = root / "sbs" / SID / "c2" / "persist.json"
    record.unlink()
    record.symlink_to(outside / "persist.json")
    with pytest.raises(CorruptStateError, match=re.escape(str(record))):
        driver.load(SID)
    driver.save(*STATE_B)  # the rename replaces the link itself
    assert_untouched(outside, before)
    assert loaded(driver) == encode(STATE_B)
    assert not record.is_symlink()


@pytest.mark.parametrize("name", [".new-sandbox", ".new.c1", ".new.c3", ".journal.new"])
def test_planted_temporaries_are_not_written_through(driver: FsDriver, root: Path, outside: Path, name: str) -> None:
    driver.save(*STATE_A)
    before = snapshot(outside)
    (root / "sbs" / SID / name).symlink_to(outside / "file")
    driver.save(*STATE_B)
    assert_untouched(outside, before)
    assert loaded(driver) == encode(STATE_B)
    assert kata_view(root) == encode(STATE_B)


def test_planted_hard_link_temporary_is_not_truncated(driver: FsDriver, root: Path, outside: Path) -> None:
    driver.save(*STATE_A)
    victim = root / "victim"
    victim.write_text("precious")
    os.link(victim, root / "sbs" / SID / ".new.c3")
    driver.save(*STATE_B)
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("name", [".staging", ".trash", ".locks"])
def test_bookkeeping_directories_replaced_by_symlinks(driver: FsDriver, root: Path, outside: Path, name: str) -> None:
    (root / "sbs").mkdir(parents=True)
    (root / "sbs" / name).symlink_to(outside)
    before = snapshot(outside)
    with driver.lock(SID, timeout=0):
        driver.save(*STATE_A)
    driver.destroy(SID)
    driver.save(*STATE_B)
    assert_untouched(outside, before)
    assert loaded(driver) == encode(STATE_B)
    assert not (root / "sbs" / name).is_symlink()


def test_journal_replaced_by_a_symlink(driver: FsDriver, root: Path, outside: Path) -> None:
    driver.save(*STATE_A)
    before = snapshot(outside)
    journal = root / "sbs" / SID / ".journal"
    journal.unlink()
    journal.symlink_to(outside / "file")
    with pytest.raises(CorruptStateError, match=re.escape(str(journal))):
        driver.load(SID)
    with pytest.raises(CorruptStateError, match=re.escape(str(journal))):
        driver.save(*STATE_B)
    driver.destroy(SID)
    assert_untouched(outside, before)


def test_tampered_journal_cannot_steer_a_rename(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    (root / "sbs" / SID / ".journal").write_bytes(b"persist-fs journal 1\nW ../../escape\n")
    with pytest.raises(CorruptStateError, match="journal"):
        driver.load(SID)
    with pytest.raises(CorruptStateError, match="journal"):
        driver.save(*STATE_B)
    assert not (root / "escape").exists()


def test_sbs_replaced_by_a_symlink(root: Path, outside: Path) -> None:
    root.mkdir(parents=True)
    (root / "sbs").symlink_to(outside)
    before = snapshot(outside)
    driver = FsDriver(root=root)
    refusals = {
        "save": lambda: driver.save(*STATE_A),
        "lock": lambda: driver.lock(SID, timeout=0).acquire(),
        "destroy": lambda: driver.destroy(SID),
        "load": lambda: driver.load(SID),
        "sandbox_ids": driver.sandbox_ids,
        "find_leftovers": driver.find_leftovers,
    }
    for call in refusals.values():
        with pytest.raises(StorageError, match="symlink"):
            call()
    assert_untouched(outside, before)


# -- corrupt and too-new records -----------------------------------------------------------------------

CORRUPTIONS = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "not json": lambda data: b"\x00\xff garbage",
    "wrong type": lambda data: data.replace(b'"State":"', b'"State":7,"x":"', 1),
}


@pytest.mark.parametrize("how", list(CORRUPTIONS))
@pytest.mark.parametrize("record", ["persist.json", "c1/persist.json"])
def test_corrupt_record_is_named_and_the_sandbox_still_listed(
    driver: FsDriver, root: Path, how: str, record: str
) -> None:
    driver.save(*STATE_A)
    driver.save(*make_state("B", {}, sandbox_id="healthy"))
    path = root / "sbs" / SID / record
    path.write_bytes(CORRUPTIONS[how](path.read_bytes()))
    with pytest.raises(CorruptStateError, match=re.escape(str(path))):
        FsDriver(root=root).load(SID)
    assert driver.sandbox_ids() == ["healthy", SID]
    assert driver.load("healthy")[0].state == "B"
    driver.save(*STATE_B)  # a save over a corrupt record repairs it
    assert loaded(driver) == encode(STATE_B)


def test_directory_without_its_record_is_corrupt(driver: FsDriver, root: Path) -> None:
    (root / "sbs" / "empty").mkdir(parents=True)
    assert driver.sandbox_ids() == ["empty"]
    with pytest.raises(CorruptStateError, match=r"persist\.json"):
        driver.load("empty")


def test_newer_persist_version_is_refused(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    (root / "sbs" / SID / "persist.json").write_bytes(newer_version_record(STATE_A[0]))
    with pytest.raises(UnsupportedVersionError):
        driver.load(SID)
    assert driver.sandbox_ids() == [SID]


def test_sandbox_ids_lists_only_directories_and_symlinks_with_valid_names(driver: FsDriver, root: Path) -> None:
    """Odd entries in sbs are never listed, whatever their mix (the fast path checks all names at once)."""
    driver.save(*STATE_A)
    sbs = root / "sbs"
    (sbs / "a\nb").mkdir()  # the only odd name: two valid IDs if split at the newline
    assert driver.sandbox_ids() == [SID]
    for name in ("sp ace", "é", "-ok.dir", "y" * 255, "persist.json"):
        (sbs / name).mkdir()
    (sbs / "plain-file").write_text("not a sandbox")
    (sbs / "link").symlink_to(sbs / SID)
    assert driver.sandbox_ids() == sorted([SID, "-ok.dir", "y" * 255, "link"])
    for name in ("a\nb", "persist.json", "sp ace", "é", "plain-file"):
        os.rename(sbs / name, sbs / f".hidden-{len(name)}")
    assert driver.sandbox_ids() == sorted([SID, "-ok.dir", "y" * 255, "link"])


@pytest.mark.parametrize("where", ["persist.json", "c1/persist.json"])
def test_a_fifo_in_place_of_a_record_is_corrupt_and_never_waited_for(driver: FsDriver, root: Path, where: str) -> None:
    """Records are read without an fstat; O_NONBLOCK and the check of an empty read keep a FIFO harmless."""
    driver.save(*STATE_A)
    record = root / "sbs" / SID / where
    record.unlink()
    os.mkfifo(record)
    with pytest.raises(CorruptStateError, match=re.escape(str(record)) + " is not a regular file"):
        driver.load(SID)


def test_records_larger_than_one_read_load_whole(driver: FsDriver) -> None:
    state = make_state("big" * 40_000, {"c1": "x" * 200_000, "c2": "small"})
    driver.save(*state)
    assert loaded(driver) == encode(state)
    assert len(encode(state)[1]["c1"]) > 200_000  # type: ignore[index]


@pytest.mark.parametrize("odd", ["persist.json", "é", "sp ace", "a\nb", "a/b".replace("/", "\\"), "+" * 200 + " y"])
def test_one_odd_directory_name_among_sandboxes_is_not_listed(driver: FsDriver, root: Path, odd: str) -> None:
    driver.save(*STATE_A)
    (root / "sbs" / odd).mkdir()
    assert driver.sandbox_ids() == [SID]


def test_an_undecodable_directory_name_is_not_listed(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    os.mkdir(os.fsencode(root / "sbs") + b"/\xff")  # listed as "\udcff", which cannot be encoded back
    assert driver.sandbox_ids() == [SID]
