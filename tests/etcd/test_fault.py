"""A three-member cluster losing members: one down is survived, two down is a clear error, and a
restart brings everything back with nothing lost that a save acknowledged."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from persist_core.errors import BackendUnavailableError
from persist_core.model import SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, EtcdMember, member_client

SANDBOXES = [f"sb{index}" for index in range(4)]


@pytest.fixture
def three_members(start_etcd: Callable[..., EtcdCluster]) -> EtcdCluster:
    return start_etcd(3)


def leader(cluster: EtcdCluster) -> EtcdMember:
    for member in cluster.members:
        status = member_client(member.client_url).status()
        if status["leader"] == status["header"]["member_id"]:
            return member
    raise AssertionError("the cluster has no leader")


def version(driver: EtcdDriver, sandbox_id: str) -> int:
    return int(driver.load(sandbox_id)[0].state.removeprefix("v"))


def save(driver: EtcdDriver, sandbox_id: str, number: int) -> None:
    driver.save(SandboxState(sandbox_container=sandbox_id, state=f"v{number}"), {})


class Saves:
    """Numbered saves of every sandbox: which number each save tried, and which were acknowledged."""

    def __init__(self) -> None:
        self.acknowledged: dict[str, int] = {}
        self.attempted: dict[str, set[int]] = {sid: set() for sid in SANDBOXES}
        self._counter = iter(range(1, 1_000_000))

    def next_number(self, sandbox_id: str) -> int:
        number = next(self._counter)
        self.attempted[sandbox_id].add(number)
        return number

    def save_all(self, driver: EtcdDriver) -> None:
        for sandbox_id in SANDBOXES:
            number = self.next_number(sandbox_id)
            save(driver, sandbox_id, number)
            self.acknowledged[sandbox_id] = number
            assert version(driver, sandbox_id) == number

    def check_nothing_acknowledged_is_lost(self, driver: EtcdDriver) -> None:
        for sandbox_id in SANDBOXES:
            stored = version(driver, sandbox_id)
            # The last acknowledged save, or a later one whose answer was lost when the quorum went.
            assert stored == self.acknowledged[sandbox_id] or (
                stored in self.attempted[sandbox_id] and stored > self.acknowledged[sandbox_id]
            )


def stop_leader_while_writing(cluster: EtcdCluster, driver: EtcdDriver, saves: Saves) -> EtcdMember:
    """Stop the leader (an election follows) while a writer keeps saving and loading; it must not fail."""
    member_stopped = threading.Event()
    done = threading.Event()
    failures: list[BaseException] = []
    rounds_after_stop = 0

    def writer() -> None:
        nonlocal rounds_after_stop
        try:
            while rounds_after_stop < 3:
                stopped_before = member_stopped.is_set()
                saves.save_all(driver)
                rounds_after_stop += stopped_before
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            done.set()

    stopped = leader(cluster)
    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.2)  # let the writer get going before the stop
    stopped.stop()
    member_stopped.set()
    assert done.wait(120), "the writer made no progress after a member stopped"
    thread.join()
    assert not failures, f"a save or load failed with one member of three down: {failures[0]!r}"
    return stopped


def check_every_operation_fails_clearly(cluster: EtcdCluster, impatient: EtcdDriver, saves: Saves) -> None:
    """Without quorum, every operation raises the clear error, naming every endpoint, in bounded time."""
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError) as caught:
        save(impatient, "sb1", saves.next_number("sb1"))
    for endpoint in cluster.endpoints:
        assert endpoint in str(caught.value)
    with pytest.raises(BackendUnavailableError):
        impatient.load("sb0")
    with pytest.raises(BackendUnavailableError):
        impatient.sandbox_ids()
    with pytest.raises(BackendUnavailableError):
        impatient.lock("sb0", timeout=30).acquire()
    assert time.monotonic() - started < 4 * (2 + 10), "operations without quorum must give up, not hang"


def test_the_driver_survives_one_member_and_fails_clearly_without_quorum(three_members: EtcdCluster) -> None:
    driver = EtcdDriver(endpoints=three_members.endpoints, prefix="/fault", timeout=10)
    saves = Saves()
    saves.save_all(driver)

    first_down = stop_leader_while_writing(three_members, driver, saves)
    with driver.lock("sb0", timeout=30):
        saves.save_all(driver)

    # A second member stops: no quorum.
    second_down = next(member for member in three_members.members if member.running)
    second_down.stop()
    impatient = EtcdDriver(endpoints=three_members.endpoints, prefix="/fault", timeout=2)
    check_every_operation_fails_clearly(three_members, impatient, saves)

    # Both come back: everything acknowledged is there, and the driver works again.
    first_down.start()
    second_down.start()
    three_members.wait_ready()
    saves.check_nothing_acknowledged_is_lost(driver)
    assert sorted(driver.sandbox_ids()) == SANDBOXES
    saves.save_all(driver)
    with impatient.lock("sb0", timeout=30):
        pass
