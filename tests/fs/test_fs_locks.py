"""driver.lock(): flock on sbs/.locks/<sid> across processes, threads and forks, with timeouts.

Holders in other processes are forked children driven through pipes; no assertion depends on speed
(timeouts are only checked from below, and waits that a correct driver ends at once get PATIENCE).
"""

from __future__ import annotations

import os
import select
import time
from pathlib import Path

import pytest
from fs_helpers import PATIENCE, SID, STATE_A, fork, kill, wait

from persist_core.errors import LockTimeoutError, SandboxNotFoundError, StorageError
from persist_core.testing.background import in_background
from persist_fs import FsDriver

GRACE = 0.2  # lets a waiter that should stay blocked get the lock, if the driver wrongly grants it


class Holder:
    """A forked child that holds a lock on ``SID`` until told to release it (or is killed)."""

    def __init__(self, root: Path, *, exclusive: bool, destroy_before_release: bool = False) -> None:
        acquired_r, acquired_w = os.pipe()
        command_r, command_w = os.pipe()

        def hold() -> None:
            os.close(acquired_r)
            os.close(command_w)
            driver = FsDriver(root=root)
            with driver.lock(SID, exclusive=exclusive, timeout=PATIENCE):
                os.write(acquired_w, b"1")
                os.read(command_r, 1)
                if destroy_before_release:
                    driver.destroy(SID)

        self.pid = fork(hold)
        os.close(acquired_w)
        os.close(command_r)
        self._command = command_w
        ready, _, _ = select.select([acquired_r], [], [], PATIENCE)
        got = os.read(acquired_r, 1) if ready else b""
        os.close(acquired_r)
        if got != b"1":
            kill(self.pid)
            raise AssertionError("the holder process did not get its lock")

    def release(self) -> None:
        os.write(self._command, b"r")
        os.close(self._command)
        assert wait(self.pid) == 0, "the holder process failed (see its traceback above)"

    def kill(self) -> None:
        os.close(self._command)
        kill(self.pid)


def refused(driver: FsDriver, *, exclusive: bool, timeout: float = 0) -> bool:
    try:
        driver.lock(SID, exclusive=exclusive, timeout=timeout).acquire()
    except LockTimeoutError:
        return True
    return False


def granted(driver: FsDriver, *, exclusive: bool) -> bool:
    lock = driver.lock(SID, exclusive=exclusive, timeout=0)
    try:
        lock.acquire()
    except LockTimeoutError:
        return False
    lock.release()
    return True


def test_shared_locks_coexist_and_exclude_writers_across_processes(driver: FsDriver, root: Path) -> None:
    holder = Holder(root, exclusive=False)
    assert granted(driver, exclusive=False), "a shared lock was refused while another process held one"
    assert refused(driver, exclusive=True), "an exclusive lock was granted while another process held a shared one"
    holder.release()
    assert granted(driver, exclusive=True)


def test_exclusive_lock_excludes_every_other_process(driver: FsDriver, root: Path) -> None:
    holder = Holder(root, exclusive=True)
    assert refused(driver, exclusive=True)
    assert refused(driver, exclusive=False)
    holder.release()
    assert granted(driver, exclusive=False)


def test_timeout_is_waited_out_then_raises(driver: FsDriver, root: Path) -> None:
    holder = Holder(root, exclusive=True)
    started = time.monotonic()
    with pytest.raises(LockTimeoutError, match=f"sandbox '{SID}'"):
        driver.lock(SID, timeout=0.3).acquire()
    assert time.monotonic() - started >= 0.3, "the lock gave up before its timeout"
    holder.release()


def test_waiter_gets_the_lock_when_the_holder_releases(driver: FsDriver, root: Path) -> None:
    holder = Holder(root, exclusive=True)
    forever = driver.lock(SID, timeout=None)
    waiting = in_background(forever.acquire, "lock(timeout=None) waiting for another process")
    assert not waiting.done(GRACE), "the lock was granted while another process held it"
    holder.release()
    waiting.result(PATIENCE)
    bounded = driver.lock(SID, timeout=PATIENCE)
    waiting = in_background(bounded.acquire, "lock(timeout=...) waiting for another thread")
    assert not waiting.done(GRACE), "the lock was granted while another thread held it"
    forever.release()
    waiting.result(PATIENCE)
    bounded.release()


def test_a_killed_holder_frees_the_lock(driver: FsDriver, root: Path) -> None:
    holder = Holder(root, exclusive=True)
    assert refused(driver, exclusive=True)
    holder.kill()
    with driver.lock(SID, timeout=PATIENCE):  # free as soon as the kernel closed the dead process's files
        pass


def test_read_modify_write_under_the_lock_loses_no_update(driver: FsDriver, root: Path) -> None:
    processes, cycles = 4, 25
    driver.save(*STATE_A)
    start = driver.load(SID)[0].guest_memory_block_size_mb

    def increment() -> None:
        mine = FsDriver(root=root)
        for _ in range(cycles):
            with mine.lock(SID, exclusive=True, timeout=PATIENCE):
                sandbox, containers = mine.load(SID)
                sandbox.guest_memory_block_size_mb += 1
                mine.save(sandbox, containers)

    children = [fork(increment) for _ in range(processes)]
    assert [wait(child, PATIENCE * 2) for child in children] == [0] * processes
    final = driver.load(SID)[0].guest_memory_block_size_mb
    assert final - start == processes * cycles


def test_threads_of_one_process_exclude_each_other(root: Path) -> None:
    first, second = FsDriver(root=root), FsDriver(root=root)
    with first.lock(SID, exclusive=True, timeout=0):
        outcome = in_background(lambda: refused(second, exclusive=False), "a shared lock in another thread")
        assert outcome.result(PATIENCE), "another thread got a shared lock while this one held it exclusively"
        assert refused(first, exclusive=True), "the lock is not re-entrant: a second acquire must wait"
    with first.lock(SID, exclusive=False, timeout=0):
        assert in_background(lambda: granted(second, exclusive=False), "shared in a thread").result(PATIENCE)


def test_a_forked_child_never_releases_nor_keeps_the_parents_lock(driver: FsDriver) -> None:
    lock = driver.lock(SID, exclusive=True, timeout=0)
    lock.acquire()

    def child() -> None:
        lock.release()  # the child's copy is not its lock: this must not free the parent's
        assert refused(FsDriver(root=Path(driver.root)), exclusive=True), "the parent's lock was released"

    assert wait(fork(child)) == 0
    assert refused(driver, exclusive=True), "a child's release freed the parent's lock"
    # A child that lives on does not keep the lock alive after the parent lets go (it drops its inherited
    # copy as soon as it runs, so wait until it does).
    read_end, write_end = os.pipe()
    ready_r, ready_w = os.pipe()

    def sleep() -> None:
        os.write(ready_w, b"1")
        os.read(read_end, 1)

    sleeper = fork(sleep)
    try:
        assert select.select([ready_r], [], [], PATIENCE)[0], "the forked child did not start"
        lock.release()
        assert granted(driver, exclusive=True), "a forked child kept its parent's released lock"
    finally:
        os.write(write_end, b"x")
        assert wait(sleeper) == 0


def test_lock_works_before_the_first_save_and_after_destroy(driver: FsDriver, root: Path) -> None:
    lock_file = root / "sbs" / ".locks" / SID
    with driver.lock(SID, timeout=0):
        held = lock_file.stat().st_ino
        driver.save(*STATE_A)  # the caller holds the lock: save and load do not wait for it
        assert driver.load(SID)[0].state == "A"
        driver.destroy(SID)
        assert lock_file.stat().st_ino == held, "the lock file was replaced while held"
        assert refused(FsDriver(root=root), exclusive=False)
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    with driver.lock(SID, timeout=0):
        pass


def test_lock_files_of_destroyed_sandboxes_do_not_pile_up(driver: FsDriver, root: Path) -> None:
    locks = root / "sbs" / ".locks"
    driver.save(*STATE_A)
    with driver.lock(SID):
        driver.destroy(SID)
    assert not (locks / SID).exists(), "the last exclusive holder of a destroyed sandbox removes its lock file"
    driver.save(*STATE_A)
    with driver.lock(SID):
        pass
    driver.destroy(SID)
    assert not (locks / SID).exists(), "destroy removes the lock file when nobody holds it"
    driver.save(*STATE_A)
    with driver.lock(SID):
        pass
    assert (locks / SID).exists(), "the lock file of a stored sandbox stays"


def test_a_waiter_on_a_removed_lock_file_locks_the_current_one(driver: FsDriver, root: Path) -> None:
    """The holder destroys the sandbox and lets go, removing the lock file; the waiter must not end up
    holding a lock on the removed file while somebody else locks a new one."""
    driver.save(*STATE_A)
    holder = Holder(root, exclusive=True, destroy_before_release=True)
    waiter = driver.lock(SID, exclusive=True, timeout=None)
    waiting = in_background(waiter.acquire, "a waiter while the holder destroys and releases")
    assert not waiting.done(GRACE)
    holder.release()
    waiting.result(PATIENCE)
    try:
        assert refused(FsDriver(root=root), exclusive=True), "two exclusive holders at once"
    finally:
        waiter.release()


def test_a_planted_symlink_for_the_lock_file_is_refused(driver: FsDriver, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.write_text("precious")
    (root / "sbs" / ".locks").mkdir(parents=True)
    (root / "sbs" / ".locks" / SID).symlink_to(outside)
    with pytest.raises(StorageError, match="symlink"):
        driver.lock(SID, timeout=0).acquire()
    assert outside.read_text() == "precious"
