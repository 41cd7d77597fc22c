"""Loads concurrent with saves see the old or the new state, never a mix or an error; concurrent writers
and destroyers serialize; a caller holding the lock saves and loads without waiting on itself."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from pathlib import Path

import pytest
from fs_helpers import PATIENCE, SID, STATE_A, STATE_B, encode, fork, kata_view, loaded, make_state, wait

from persist_core.errors import SandboxNotFoundError
from persist_core.testing.background import in_background
from persist_fs import FsDriver, reader

ROUNDS = 200


def test_loads_in_threads_see_whole_states_while_another_thread_saves(root: Path) -> None:
    writer = FsDriver(root=root)
    writer.save(*STATE_A)
    accepted = (encode(STATE_A), encode(STATE_B))
    stop = threading.Event()
    problems: list[str] = []

    def read(driver: FsDriver) -> int:
        count = 0
        while not stop.is_set():
            try:
                seen = loaded(driver)
            except Exception as exc:
                problems.append(repr(exc))
                return count
            if seen not in accepted:
                problems.append("a mixed state")
            count += 1
        return count

    readers = [
        in_background(lambda driver=driver: read(driver), "a reader") for driver in (writer, FsDriver(root=root))
    ]
    try:
        for _ in range(ROUNDS):
            writer.save(*STATE_B)
            writer.save(*STATE_A)
    finally:
        stop.set()
    counts = [reader.result(PATIENCE) for reader in readers]
    assert problems == []
    assert all(counts), "a reader never got to load"


def test_concurrent_first_saves_of_one_sandbox(root: Path) -> None:
    """Several processes create the same sandbox at once: one state wins whole, nothing is left over."""
    states = [make_state(f"S{i}", {f"c{i}": str(i), "shared": str(i)}) for i in range(4)]
    children = [fork(lambda state=state: FsDriver(root=root).save(*state)) for state in states]
    assert [wait(child) for child in children] == [0] * len(states)
    driver = FsDriver(root=root)
    assert loaded(driver) in [encode(state) for state in states]
    assert kata_view(root) == loaded(driver)
    assert driver.find_leftovers() == []


def test_saves_and_destroys_race_without_errors_or_leftovers(root: Path) -> None:
    def save_many() -> None:
        driver = FsDriver(root=root)
        for i in range(50):
            driver.save(*(STATE_A if i % 2 else STATE_B))

    def destroy_many() -> None:
        driver = FsDriver(root=root)
        for _ in range(50):
            driver.destroy(SID)

    children = [fork(save_many), fork(save_many), fork(destroy_many)]
    assert [wait(child) for child in children] == [0, 0, 0]
    driver = FsDriver(root=root)
    assert loaded(driver) in (None, encode(STATE_A), encode(STATE_B))
    assert kata_view(root) == loaded(driver)
    assert driver.find_leftovers() == []


def test_a_caller_holding_the_lock_can_save_and_load(driver: FsDriver) -> None:
    def locked_work() -> tuple:
        with driver.lock(SID, exclusive=True, timeout=0):
            driver.save(*STATE_A)
            state = driver.load(SID)
            driver.save(*STATE_B)
            driver.destroy(SID)
            return state

    assert encode(in_background(locked_work, "save/load under one's own lock").result(PATIENCE)) == encode(STATE_A)
    with driver.lock(SID, exclusive=False, timeout=0):
        driver.save(*STATE_A)
        assert loaded(driver) == encode(STATE_A)


def test_the_store_can_be_wiped_under_a_running_driver(driver: FsDriver, root: Path) -> None:
    """The driver keeps sbs and .locks open; when the whole root is removed it opens the new ones."""
    driver.save(*STATE_A)
    with driver.lock(SID):
        pass
    shutil.rmtree(root)
    assert driver.sandbox_ids() == []
    try:
        driver.load(SID)
    except SandboxNotFoundError:
        pass
    else:
        raise AssertionError("a sandbox of a wiped store still loads")
    with driver.lock(SID, timeout=0):
        driver.save(*STATE_B)
    assert loaded(FsDriver(root=root)) == encode(STATE_B)
    assert (root / "sbs" / ".locks" / SID).exists()


def test_a_reader_spoiled_again_and_again_reads_under_the_writers_lock(
    driver: FsDriver, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After OPTIMISTIC_READS spoiled reads, load waits for the writers' lock (shared) and reads once."""
    driver.save(*STATE_A)
    monkeypatch.setattr(reader, "OPTIMISTIC_READS", 0)
    fd = os.open(root / "sbs" / SID, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer in the middle of a commit
        loading = in_background(lambda: loaded(FsDriver(root=root)), "a load under the writers' lock")
        assert not loading.done(0.2), "the fallback read did not wait for the writer"
    finally:
        os.close(fd)
    assert loading.result(PATIENCE) == encode(STATE_A)
    with driver.lock(SID):  # and it holds no lock afterwards
        driver.save(*STATE_B)
    assert loaded(driver) == encode(STATE_B)
