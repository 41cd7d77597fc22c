"""Sandbox locks on etcd leases: shared and exclusive across drivers and processes, freed by a crash."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from persist_core.errors import LockTimeoutError
from persist_etcd import EtcdDriver
from persist_etcd.testing import member_client, raw_range


def lock_keys(driver: EtcdDriver, sandbox_id: str = "sb") -> list[str]:
    prefix = f"{driver.options['prefix']}:/locks/{sandbox_id}/"
    return sorted(raw_range(driver.options["endpoints"][0], prefix)[1])


def test_exclusive_excludes_other_drivers_and_release_removes_the_key(
    make_driver: Callable[..., EtcdDriver],
) -> None:
    first, second = make_driver(), make_driver()
    with first.lock("sb"):
        (key,) = lock_keys(first)
        assert key.rsplit("/", 1)[1].startswith("write-")
        with pytest.raises(LockTimeoutError, match="exclusive lock of sandbox 'sb'"):
            second.lock("sb", timeout=0).acquire()
        with pytest.raises(LockTimeoutError, match="shared lock of sandbox 'sb'"):
            second.lock("sb", exclusive=False, timeout=0.2).acquire()
        assert lock_keys(first) == [key]  # waiters that gave up left nothing behind
        with second.lock("other", timeout=0):  # locks are per sandbox
            pass
    assert lock_keys(first) == []
    with second.lock("sb", timeout=0):
        pass


def test_shared_holders_share_and_keep_writers_out(make_driver: Callable[..., EtcdDriver]) -> None:
    first, second, third = make_driver(), make_driver(), make_driver()
    with first.lock("sb", exclusive=False), second.lock("sb", exclusive=False, timeout=0):
        assert len(lock_keys(first)) == 2
        with pytest.raises(LockTimeoutError):
            third.lock("sb", timeout=0.1).acquire()
    with third.lock("sb", timeout=0):
        pass


def test_a_waiter_gets_the_lock_when_the_holder_releases(make_driver: Callable[..., EtcdDriver]) -> None:
    holder, waiter = make_driver(), make_driver()
    lock = holder.lock("sb")
    lock.acquire()
    acquired = threading.Event()
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            with waiter.lock("sb", timeout=60):
                acquired.set()
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=wait)
    thread.start()
    try:
        assert not acquired.wait(0.5), "the waiter got an exclusive lock that was held"
    finally:
        lock.release()
    thread.join(90)
    assert not errors
    assert acquired.is_set()


def test_the_lock_is_not_reentrant(etcd_driver: EtcdDriver) -> None:
    with etcd_driver.lock("sb"), pytest.raises(LockTimeoutError):
        etcd_driver.lock("sb", timeout=0).acquire()


def test_a_held_lock_outlives_its_ttl(make_driver: Callable[..., EtcdDriver]) -> None:
    holder, other = make_driver(lock_ttl=2), make_driver()
    with holder.lock("sb"):
        time.sleep(5)  # well past the TTL: only the keep-alive thread keeps the lease
        with pytest.raises(LockTimeoutError):
            other.lock("sb", timeout=0).acquire()


def test_a_crashed_holder_s_lock_expires_after_its_ttl(make_driver: Callable[..., EtcdDriver]) -> None:
    options = {**make_driver().options, "lock_ttl": 2}
    script = textwrap.dedent(
        f"""
        import sys, time
        from persist_core import get_driver
        lock = get_driver("etcd", **{options!r}).lock("sb")
        lock.acquire()
        print("held", flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        other = make_driver()
        with pytest.raises(LockTimeoutError):
            other.lock("sb", timeout=0).acquire()
        child.kill()  # no release, no revoke: only the lease's TTL can free the lock
        child.wait()
        with other.lock("sb", timeout=60):
            pass
    finally:
        child.kill()
        child.wait()


def test_a_lock_whose_grant_answer_was_lost_is_still_ours(
    etcd_driver: EtcdDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway = etcd_driver._gateway
    real_call = gateway.call

    def replaying_call(what: str, request: Callable[[Any], Any]) -> Any:
        if what.startswith("taking"):
            request_result = real_call(what, request)
            del request_result  # as if the answer was lost and the request sent again
        return real_call(what, request)

    monkeypatch.setattr(gateway, "call", replaying_call)
    with etcd_driver.lock("sb", timeout=5):
        assert len(lock_keys(etcd_driver)) == 1
    assert lock_keys(etcd_driver) == []


def test_a_lock_whose_lease_is_lost_says_so(
    make_driver: Callable[..., EtcdDriver], caplog: pytest.LogCaptureFixture
) -> None:
    holder, other = make_driver(lock_ttl=2), make_driver()
    with caplog.at_level(logging.ERROR, logger="persist_etcd.locks"), holder.lock("sb"):
        (key,) = lock_keys(holder)
        lease_id = int(key.rsplit("-", 1)[1], 16)
        client = member_client(holder.options["endpoints"][0])
        client.post(client.get_url("/kv/lease/revoke"), json={"ID": lease_id})  # as if it had expired
        with other.lock("sb", timeout=5):  # the lock is gone: another holder gets it
            pass
        deadline = time.monotonic() + 60
        while "expired" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.1)
    assert "the lease of the exclusive lock of sandbox 'sb' expired" in caplog.text
