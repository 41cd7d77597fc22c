"""Lock semantics in one process: shared/exclusive, timeouts, hand-over, exclusion across threads.

Locks behave like flock on separate open files: two exclusive holders exclude each other even in one
thread. No assertion depends on speed: waits that a correct driver ends at once get ``patience``.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time

import pytest

from persist_core.driver import PersistDriver
from persist_core.errors import LockTimeoutError
from persist_core.testing.background import in_background
from persist_core.testing.idfamilies import CASE, LONGEST, PREFIXES
from persist_core.testing.promises import depends_on
from persist_core.testing.samples import small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase

#: A pause that lets a waiter that should be blocked acquire, if the driver wrongly lets it.
GRACE = 0.2
#: The timeout whose both sides are checked: long enough to measure, short enough to try a few times.
HONOURED_TIMEOUT = 0.4
TIMEOUT_ATTEMPTS = 3
#: Sandboxes whose locks are held all at once: each one's ID confusable with another's.
INDEPENDENT_IDS = tuple(dict.fromkeys((*PREFIXES.ids[:5], *CASE.ids[:2], *LONGEST.ids[:2])))


def assert_refused(driver: PersistDriver, sandbox_id: str, *, exclusive: bool, held: str) -> None:
    """A try-once lock must raise LockTimeoutError while ``held`` is held."""
    kind = "exclusive" if exclusive else "shared"
    lock = driver.lock(sandbox_id, exclusive=exclusive, timeout=0)
    try:
        lock.acquire()
    except LockTimeoutError:
        return
    lock.release()
    pytest.fail(f"a {kind} lock on {sandbox_id!r} was granted while {held} was held")


def assert_granted(driver: PersistDriver, sandbox_id: str, *, exclusive: bool, held: str) -> None:
    kind = "exclusive" if exclusive else "shared"
    lock = driver.lock(sandbox_id, exclusive=exclusive, timeout=0)
    try:
        lock.acquire()
    except LockTimeoutError:
        pytest.fail(f"a {kind} lock on {sandbox_id!r} was refused while only {held} was held")
    lock.release()


class LockTests(ConformanceBase):
    @depends_on()
    def test_shared_locks_coexist(self, driver: PersistDriver) -> None:
        with driver.lock("sb", exclusive=False, timeout=0):
            assert_granted(driver, "sb", exclusive=False, held="a shared lock")

    @depends_on()
    def test_exclusive_lock_excludes_everyone(self, driver: PersistDriver) -> None:
        with driver.lock("sb", exclusive=True, timeout=0):
            assert_refused(driver, "sb", exclusive=True, held="an exclusive lock")
            assert_refused(driver, "sb", exclusive=False, held="an exclusive lock")

    @depends_on()
    def test_shared_lock_excludes_exclusive(self, driver: PersistDriver) -> None:
        with driver.lock("sb", exclusive=False, timeout=0):
            assert_refused(driver, "sb", exclusive=True, held="a shared lock")

    @depends_on()
    def test_lock_is_free_after_release(self, driver: PersistDriver) -> None:
        for exclusive in (True, False):
            with driver.lock("sb", exclusive=exclusive, timeout=0):
                pass
            assert_granted(driver, "sb", exclusive=True, held="a released lock")
        with pytest.raises(ZeroDivisionError), driver.lock("sb", exclusive=True, timeout=0):
            _ = 1 / 0
        assert_granted(driver, "sb", exclusive=True, held="a lock released by an exception")

    @depends_on()
    def test_locks_of_different_sandboxes_are_independent(self, driver: PersistDriver) -> None:
        """Exclusive locks on all of these at once: prefixes, case variants, the longest ID."""
        with contextlib.ExitStack() as held:
            granted: list[str] = []
            for sandbox_id in INDEPENDENT_IDS:
                lock = driver.lock(sandbox_id, exclusive=True, timeout=0)
                try:
                    lock.acquire()
                except LockTimeoutError:
                    pytest.fail(
                        f"the exclusive lock of {sandbox_id!r} was refused while only {granted} were locked: "
                        "locks of different sandboxes must not exclude each other (one global lock, or one "
                        "per key prefix or per case-folded ID?)"
                    )
                held.callback(lock.release)
                granted.append(sandbox_id)
            assert_granted(driver, "another", exclusive=False, held=f"exclusive locks on {list(INDEPENDENT_IDS)}")

    @depends_on()
    def test_lock_timeout_is_honoured_both_ways(self, driver: PersistDriver) -> None:
        """Never granted while held, and refused within max(slack seconds, slack ratio) after the timeout."""
        timeout = HONOURED_TIMEOUT
        allowance = self.lock_timeout_allowance(timeout)
        for exclusive in (True, False):
            kind = "exclusive" if exclusive else "shared"
            with driver.lock("sb", exclusive=True, timeout=0):
                # A loaded machine may stall one attempt; a driver that overstays its timeout stalls every one.
                waits = []
                for _ in range(TIMEOUT_ATTEMPTS):
                    waits.append(self._refused_after(driver, exclusive, timeout))
                    if waits[-1] <= allowance:
                        break
            assert min(waits) >= timeout * 0.9, f"{kind} lock(timeout={timeout}) gave up after {min(waits):.3f}s"
            assert min(waits) <= allowance, (
                f"a {kind} lock(timeout={timeout}) raised LockTimeoutError only after "
                f"{', '.join(f'{wait:.2f}s' for wait in waits)}: more than the allowed {allowance:.2f}s "
                f"(timeout + max({self.timeout_slack_seconds}s, {self.timeout_slack_ratio:.0%})); "
                "the caller's deadline is not honoured"
            )

    def _refused_after(self, driver: PersistDriver, exclusive: bool, timeout: float) -> float:
        """Seconds a lock(timeout) attempt took to be refused, in another thread; fails if it is granted."""

        def attempt() -> float:
            start = time.monotonic()
            lock = driver.lock("sb", exclusive=exclusive, timeout=timeout)
            try:
                lock.acquire()
            except LockTimeoutError:
                return time.monotonic() - start
            lock.release()
            pytest.fail(f"lock(timeout={timeout}) was granted while another exclusive lock was held")

        return in_background(attempt, f"lock(timeout={timeout})").result(self.patience)

    def test_lock_works_before_first_save_and_after_destroy(self, driver: PersistDriver) -> None:
        with driver.lock("sb", exclusive=True, timeout=0):
            assert_refused(driver, "sb", exclusive=True, held="an exclusive lock on a never-saved sandbox")
            driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
            driver.destroy("sb")
            assert_refused(driver, "sb", exclusive=True, held="an exclusive lock on a destroyed sandbox")
        assert_granted(driver, "sb", exclusive=True, held="nothing")

    @depends_on()
    def test_short_timeout_is_waited_out_then_refused(self, driver: PersistDriver) -> None:
        timeout = self.short_timeout
        with driver.lock("sb", exclusive=True, timeout=0):
            waited = self._refused_after(driver, True, timeout)
        # A lower bound only: a slow machine waits longer, never shorter.
        assert waited >= timeout * 0.9, f"lock(timeout={timeout}) gave up after {waited:.3f}s without waiting"

    @depends_on()
    def test_waiter_gets_the_lock_when_it_is_released(self, driver: PersistDriver) -> None:
        for timeout in (None, self.patience):
            holder = driver.lock("sb", exclusive=True, timeout=0)
            holder.acquire()
            waiter = driver.lock("sb", exclusive=True, timeout=timeout)
            waiting = in_background(waiter.acquire, f"lock(timeout={timeout}) waiting for a release")
            try:
                assert not waiting.done(GRACE), f"lock(timeout={timeout}) was granted while an exclusive lock was held"
            finally:
                holder.release()
            waiting.result(self.patience)
            waiter.release()

    @depends_on()
    def test_exclusive_lock_excludes_other_threads(self, driver: PersistDriver) -> None:
        inside = 0
        most_inside = 0
        guard = threading.Lock()

        def critical_sections() -> None:
            nonlocal inside, most_inside
            for _ in range(5):
                with driver.lock("sb", exclusive=True, timeout=None):
                    with guard:
                        inside += 1
                        most_inside = max(most_inside, inside)
                    time.sleep(0.005)
                    with guard:
                        inside -= 1

        workers = [in_background(critical_sections, f"thread {n} taking the lock") for n in range(4)]
        for worker in workers:
            worker.result(self.patience)
        assert most_inside == 1, f"{most_inside} threads held the exclusive lock at the same time"

    @depends_on()
    def test_shared_holders_in_threads_coexist(self, driver: PersistDriver) -> None:
        both_inside = threading.Barrier(2, timeout=self.patience)

        def hold_shared() -> None:
            with driver.lock("sb", exclusive=False, timeout=self.patience):
                both_inside.wait()

        holders = [in_background(hold_shared, f"shared holder {n}") for n in range(2)]
        for holder in holders:
            try:
                holder.result(self.patience * 2)
            except threading.BrokenBarrierError:
                pytest.fail("two threads could not hold shared locks on one sandbox at the same time")

    def test_lock_holder_can_use_the_driver(self, driver: PersistDriver) -> None:
        """Save, load, destroy and list while holding the sandbox's lock, as a runtime does."""

        def work_under_lock(exclusive: bool) -> None:
            with driver.lock("sb", exclusive=exclusive, timeout=0):
                driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
                driver.load("sb")
                assert driver.sandbox_ids() == ["sb"]
                driver.destroy("sb")

        for exclusive in (True, False):
            what = f"save/load/destroy under {'an exclusive' if exclusive else 'a shared'} lock"
            in_background(functools.partial(work_under_lock, exclusive), what).result(self.patience)
