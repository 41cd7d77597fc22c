"""Fenced locks: a holder whose lease expired (pause, partition) can no longer write, and is told so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import pytest

from persist_core.driver import Lock
from persist_core.errors import LockLostError
from persist_core.model import SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import member_client, raw_range


def counter(value: int) -> SandboxState:
    return SandboxState(sandbox_container="sb", state=str(value))


def lock_keys(driver: EtcdDriver) -> list[str]:
    return sorted(raw_range(driver.options["endpoints"][0], f"{driver.options['prefix']}:/locks/sb/")[1])


def expire(driver: EtcdDriver) -> None:
    """Revoke the lease behind the holder's back: what etcd does when the holder paused past its TTL."""
    for key in lock_keys(driver):
        client = member_client(driver.options["endpoints"][0])
        client.post(client.get_url("/kv/lease/revoke"), json={"ID": int(key.rsplit("-", 1)[1], 16)})


def test_a_holder_that_lost_its_lock_stores_nothing(make_driver: Callable[..., EtcdDriver]) -> None:
    first, second = make_driver(), make_driver()
    first.save(counter(0), {})
    lock = first.lock("sb", timeout=5)
    lock.acquire()
    value = int(first.load("sb")[0].state)
    expire(first)  # first is "paused" past its TTL ...
    with second.lock("sb", timeout=5):  # ... so second takes the lock and increments
        second.save(counter(int(second.load("sb")[0].state) + 1), {})
    with pytest.raises(LockLostError, match=r"exclusive lock of sandbox 'sb' was lost.*nothing was stored"):
        first.save(counter(value + 1), {})  # ... and first resumes with its stale read
    with pytest.raises(LockLostError):
        first.destroy("sb")
    assert lock.lost
    assert not lock.held
    lock.release()  # ending a lost lock is not an error
    assert lock.lost
    assert second.load("sb")[0] == counter(1)
    with first.lock("sb", timeout=5) as again:  # taking the lock again makes first a writer again
        assert again.held and not again.lost
        first.save(counter(2), {})
    assert second.load("sb")[0] == counter(2)


def test_a_lost_shared_lock_fences_too_and_other_sandboxes_are_untouched(
    make_driver: Callable[..., EtcdDriver],
) -> None:
    driver = make_driver()
    with driver.lock("sb", exclusive=False, timeout=5) as lock:
        expire(driver)
        with pytest.raises(LockLostError, match="shared lock"):
            driver.save(counter(1), {})
        driver.save(SandboxState(sandbox_container="other"), {})  # no lock held there: not fenced
        assert lock.lost
    assert driver.sandbox_ids() == ["other"]


def test_the_keepalive_reports_loss_to_the_lock(make_driver: Callable[..., EtcdDriver]) -> None:
    driver = make_driver(lock_ttl=2)
    with driver.lock("sb", timeout=5) as lock:
        expire(driver)
        deadline = time.monotonic() + 60
        while not lock.lost and time.monotonic() < deadline:  # the next refresh finds the lease gone
            time.sleep(0.1)
        assert lock.lost
        assert not lock.held


def test_a_stopped_process_resumes_without_overwriting_the_new_holder(make_driver: Callable[..., EtcdDriver]) -> None:
    """The issue's reproduction: SIGSTOP a locked read-modify-write past the TTL; the counter must end at 2."""
    driver = make_driver()
    driver.save(counter(0), {})
    options = {**driver.options, "lock_ttl": 2}
    script = textwrap.dedent(
        f"""
        import sys
        from persist_core import get_driver
        from persist_core.model import SandboxState
        driver = get_driver("etcd", **{options!r})
        lock = driver.lock("sb", timeout=30)
        lock.acquire()
        value = int(driver.load("sb")[0].state)
        print("read", flush=True)
        sys.stdin.readline()
        try:
            driver.save(SandboxState(sandbox_container="sb", state=str(value + 1)), {{}})
            print("saved", lock.lost, flush=True)
        except Exception as exc:
            print(type(exc).__name__, lock.lost, flush=True)
        lock.release()
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "read"
        os.kill(child.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while lock_keys(driver) and time.monotonic() < deadline:  # its lease runs out while it is stopped
            time.sleep(0.2)
        with driver.lock("sb", timeout=5):
            driver.save(counter(int(driver.load("sb")[0].state) + 1), {})
        os.kill(child.pid, signal.SIGCONT)
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().split() == ["LockLostError", "True"]
        with driver.lock("sb", timeout=30):
            driver.save(counter(int(driver.load("sb")[0].state) + 1), {})
        assert driver.load("sb")[0] == counter(2)
    finally:
        os.kill(child.pid, signal.SIGCONT)
        child.kill()
        child.wait()


class _Expiring:
    """A release function of a backend whose locks can be lost (core's LossReporting)."""

    def __init__(self) -> None:
        self.lost = False
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def test_the_core_lock_reports_loss_for_any_backend() -> None:
    handle = _Expiring()
    lock = Lock(lambda: handle)
    with lock:
        assert lock.held and not lock.lost
        handle.lost = True
        assert lock.lost and not lock.held
    assert handle.calls == 1
    assert lock.lost  # still says what happened after the block
    plain = Lock(lambda: lambda: None)  # fs, memory: a plain function, never lost
    with plain:
        assert plain.held and not plain.lost
    assert not plain.lost
