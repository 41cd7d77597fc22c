"""Forks: a child never keeps its parent's lock alive, and a daemonized child never writes outside the root
(issue 11, items 12 and 13)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from fs_helpers import PATIENCE, SID, STATE_A, STATE_B, encode, fork, loaded, make_state, wait

from persist_fs import FsDriver


def _wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def _open_in_this_process(path: Path) -> bool:
    """Whether this process has a descriptor open on ``path``."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == str(path):
                return True
        except OSError:
            continue
    return False


def test_a_child_forked_while_a_thread_waits_for_a_lock_never_keeps_it(driver: FsDriver, root: Path) -> None:
    lock_file = root / "sbs" / ".locks" / SID
    to_holder_read, to_holder_write = os.pipe()
    from_holder_read, from_holder_write = os.pipe()

    def holder() -> None:  # another process holds the lock until told to let go
        with FsDriver(root=root).lock(SID, exclusive=True):
            os.write(from_holder_write, b"held")
            os.read(to_holder_read, 1)

    holder_pid = fork(holder)
    assert os.read(from_holder_read, 4) == b"held"
    assert not _open_in_this_process(lock_file)

    released = threading.Event()

    def waiter() -> None:
        with driver.lock(SID, exclusive=True, timeout=None):
            pass
        released.set()

    thread = threading.Thread(target=waiter)
    thread.start()
    _wait_for(lambda: _open_in_this_process(lock_file), "the waiting thread to open the lock file")

    to_child_read, to_child_write = os.pipe()
    child_pid = fork(lambda: os.read(to_child_read, 1))  # a child that outlives the parent's lock
    try:
        os.write(to_holder_write, b"x")
        assert wait(holder_pid) == 0
        thread.join(PATIENCE)
        assert released.is_set(), "the waiting thread never got the lock"
        # The parent took and released it; the child, still alive, must not hold it.
        with FsDriver(root=root).lock(SID, exclusive=True, timeout=0):
            pass
    finally:
        os.write(to_child_write, b"x")
        assert wait(child_pid) == 0
        for fd in (to_holder_read, to_holder_write, from_holder_read, from_holder_write, to_child_read, to_child_write):
            os.close(fd)


def test_a_daemonized_child_never_writes_outside_the_root(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    with driver.lock(SID, exclusive=False):
        pass  # the driver now keeps sbs and sbs/.locks open
    elsewhere = root.parent / "elsewhere"
    elsewhere.mkdir()
    new = make_state("new", {"n": "n"}, sandbox_id="new")

    def daemon() -> None:
        os.closerange(3, 1 << 16)  # what daemon libraries do with inherited descriptors ...
        for _ in range(32):  # ... before opening their own, which take the same numbers
            os.open(elsewhere, os.O_RDONLY | os.O_DIRECTORY)
        driver.save(*STATE_B)
        driver.save(*new)
        with driver.lock("new", exclusive=True, timeout=0):
            pass
        assert loaded(driver) == encode(STATE_B)

    assert wait(fork(daemon)) == 0
    assert os.listdir(elsewhere) == [], "the child wrote into a directory outside the root"
    fresh = FsDriver(root=root)
    assert loaded(fresh) == encode(STATE_B)
    assert loaded(fresh, "new") == encode(new)
    assert fresh.find_leftovers() == []
    # The parent's own descriptors were not disturbed by the child.
    driver.save(*STATE_A)
    assert loaded(fresh) == encode(STATE_A)
