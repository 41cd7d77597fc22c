"""find_leftovers / clean_leftovers (``persist check --repair``): what killed writers leave, and only that."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from fs_helpers import CRASHED, SID, STATE_A, STATE_B, Syscalls, encode, fork, kata_view, loaded, make_state, wait

from persist_fs import FsDriver


def crash_during(operation: Callable[[], object], call: str, nth: int = 1) -> None:
    """Kill a forked child running ``operation`` at its ``nth`` system call named ``call``."""

    def run() -> None:
        faults = Syscalls()
        faults.fail_on, faults.crash = (call, nth), True
        with faults.active():
            operation()

    assert wait(fork(run)) == CRASHED


def test_nothing_to_report_in_a_clean_store(driver: FsDriver) -> None:
    assert driver.find_leftovers() == []
    driver.save(*STATE_A)
    driver.save(*STATE_B)
    assert driver.find_leftovers() == []
    assert driver.clean_leftovers() == []


def test_each_kind_of_leftover_is_found_then_cleaned(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    driver.save(*make_state("x", {"c": "x"}, sandbox_id="doomed"))
    driver.save(*make_state("x", {"c": "x"}, sandbox_id="killed"))
    # A journaled commit killed after its journal's rename (the commit point), before any file moved:
    crash_during(lambda: driver.save(*STATE_B), "rename", 2)
    # a first save killed just before its rename; a destroy killed just after its rename;
    crash_during(lambda: driver.save(*make_state("x", {"c": "x"}, sandbox_id="fresh")), "rename")
    crash_during(lambda: driver.destroy("doomed"), "unlink")
    # a one-file save killed before its commit point (the rename over the file), and a lock file left behind.
    crash_during(lambda: driver.save(*make_state("y", {"c": "x"}, sandbox_id="killed")), "rename", 2)
    with driver.lock("unsaved", exclusive=False):
        pass

    driver = FsDriver(root=root)
    before = {sandbox_id: loaded(driver, sandbox_id) for sandbox_id in driver.sandbox_ids()}
    assert set(before) == {SID, "killed"}, "an unfinished first save or destroy must not be listed"
    assert before[SID] == encode(STATE_B), "the interrupted commit is what readers see"
    found = driver.find_leftovers()
    kinds = {leftover.split(":")[0] for leftover in found}
    assert kinds >= {
        "interrupted commit, readers see its new state",
        "abandoned first save",
        "abandoned destroy",
        "temporary file of a killed save",
        "lock file of a sandbox that is not stored",
    }, found
    assert driver.find_leftovers() == found, "finding changed something"
    cleaned = driver.clean_leftovers()
    assert sorted(cleaned) == sorted(found)
    assert driver.find_leftovers() == []
    after = {sandbox_id: loaded(driver, sandbox_id) for sandbox_id in driver.sandbox_ids()}
    assert after == before, "cleaning changed what loads"
    assert kata_view(root) == encode(STATE_B), "the interrupted commit is now complete on disk"
    assert sorted(os.listdir(root / "sbs" / ".staging")) == []
    assert sorted(os.listdir(root / "sbs" / ".trash")) == []


def test_work_in_progress_is_not_a_leftover(driver: FsDriver, root: Path) -> None:
    """A writer holding the sandbox directory's lock is at work: its temporaries are not reported."""
    driver.save(*STATE_A)
    directory = root / "sbs" / SID
    (directory / ".new.c9").write_text("being written")
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert driver.find_leftovers() == []
        assert driver.clean_leftovers() == []
        assert (directory / ".new.c9").exists()
    finally:
        os.close(fd)
    assert driver.find_leftovers() == [f"temporary file of a killed save: {directory / '.new.c9'}"]


def test_a_first_save_in_progress_is_not_a_leftover(driver: FsDriver, root: Path) -> None:
    """First saves hold .staging shared while they build: a tree there is only abandoned once nobody does."""
    driver.save(*STATE_A)
    staging = root / "sbs" / ".staging"
    (staging / "new.0123456789abcdef").mkdir()
    fd = os.open(staging, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        assert driver.find_leftovers() == []
        assert driver.clean_leftovers() == []
        driver.save(*make_state("x", {}, sandbox_id="other"))  # a first save meanwhile sweeps nothing
        assert (staging / "new.0123456789abcdef").is_dir()
    finally:
        os.close(fd)
    assert driver.clean_leftovers() == [f"abandoned first save: {staging / 'new.0123456789abcdef'}"]
    assert os.listdir(staging) == []
