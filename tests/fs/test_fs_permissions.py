"""Directories 0700 and files 0600 whatever the umask: kata's modes for everything the driver creates."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, make_state

from persist_fs import FsDriver


@pytest.fixture(params=[0o777, 0o077, 0o000], ids=["umask-777", "umask-077", "umask-000"])
def hostile_umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(previous)


def test_modes_do_not_depend_on_the_umask(root: Path, hostile_umask: int) -> None:
    store = root / "made" / "by" / "us"
    driver = FsDriver(root=store)
    with driver.lock(SID, exclusive=False):  # a lock file that stays (shared locks never remove it)
        driver.save(*STATE_A)  # first save: staged tree
        driver.save(*make_state("A", {"c0": "same", "c1": "changed", "c2": "a2"}))  # one file
        driver.save(*STATE_B)  # journaled
    driver.save(*make_state("gone", {"c": "c"}, sandbox_id="gone"))
    driver.destroy("gone")
    checked = 0
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames:
            mode = stat.S_IMODE(os.lstat(os.path.join(directory, name)).st_mode)
            assert mode == 0o700, f"{directory}/{name} is a directory with mode {mode:o} under umask {hostile_umask:o}"
            checked += 1
        for name in filenames:
            mode = stat.S_IMODE(os.lstat(os.path.join(directory, name)).st_mode)
            assert mode == 0o600, f"{directory}/{name} is a file with mode {mode:o} under umask {hostile_umask:o}"
            checked += 1
    assert checked >= 15
    assert (store / "sbs" / SID / ".journal").exists()
    assert (store / "sbs" / ".locks" / SID).exists()
