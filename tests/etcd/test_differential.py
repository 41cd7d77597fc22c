"""A returned save is stored, whatever else wrote: random saves from two drivers, raw etcd writes and
deletes behind their backs, destroys; after every step a fresh driver (no cache) must read exactly the
bytes ``codec.dumps`` gives for what the last save was passed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from persist_core import codec
from persist_core.errors import CorruptStateError, SandboxNotFoundError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, member_client, raw_put, record_keys

CONTAINER_IDS = [f"c{n}" for n in range(10)]
# Few values, so that saves often pass what is already stored (the skip) and raw writes often put
# back a value some driver remembers.
VALUES = [ContainerState(bundle_path=f"/b/{n}", state="running" if n % 2 else "stopped") for n in range(4)]

containers_strategy = st.dictionaries(st.sampled_from(CONTAINER_IDS), st.sampled_from(VALUES), max_size=10)


class TwoWritersAndARawClient(RuleBasedStateMachine):
    cluster: EtcdCluster
    prefix: str

    def __init__(self) -> None:
        super().__init__()
        endpoints = self.cluster.endpoints
        self.drivers = [
            EtcdDriver(endpoints=endpoints, prefix=self.prefix),
            # A small transaction limit: saves of 6+ changed records are staged, then switched.
            EtcdDriver(endpoints=endpoints, prefix=self.prefix, max_txn_ops=8),
        ]
        self.endpoint = endpoints[0]
        # What a fresh reader must get: {"": sandbox bytes, cid: record bytes}, None when not stored.
        self.expected: dict[str, bytes] | None = None
        self.corrupt = False  # a raw delete removed a current record: readers must say so
        self.last: dict[str, ContainerState] = {}  # what the last save was passed

    @initialize()
    def start_empty(self) -> None:
        member_client(self.endpoint).delete(self.prefix + ":", range_end=self.prefix + ";")

    def teardown(self) -> None:
        for driver in self.drivers:
            driver.close()

    @rule(which=st.integers(0, 1), state=st.sampled_from(["", "running", "paused"]), containers=containers_strategy)
    def save(self, which: int, state: str, containers: dict[str, ContainerState]) -> None:
        sandbox = SandboxState(sandbox_container="sb", state=state)
        self.drivers[which].save(sandbox, containers)
        self.expected = {"": codec.dumps(sandbox), **{cid: codec.dumps(c) for cid, c in containers.items()}}
        self.corrupt = False
        self.last = dict(containers)

    @rule(
        which=st.integers(0, 1),
        change=st.none() | st.tuples(st.sampled_from(CONTAINER_IDS), st.sampled_from(VALUES) | st.none()),
    )
    def save_again(self, which: int, change: tuple[str, ContainerState | None] | None) -> None:
        """What runtimes do most: save the same containers again, with at most one changed or removed."""
        containers = dict(self.last)
        if change is not None:
            cid, value = change
            if value is None:
                containers.pop(cid, None)
            else:
                containers[cid] = value
        self.save(which, "again", containers)

    @rule(which=st.integers(0, 1))
    def load(self, which: int) -> None:
        # Loads refresh a driver's remembered state; they must agree with the fresh reader too.
        try:
            stored = self.drivers[which]._load("sb")
        except (SandboxNotFoundError, CorruptStateError):
            return
        assert not self.corrupt and self.expected is not None
        assert {"": stored.sandbox.data, **{cid: r.data for cid, r in stored.containers.items()}} == self.expected

    @precondition(lambda self: self.expected is not None)
    @rule(which=st.integers(0, 1))
    def destroy(self, which: int) -> None:
        self.drivers[which].destroy("sb")
        self.expected = None
        self.corrupt = False

    def _overwrite(self, name: str, data: Any) -> None:
        """Another client puts another value in a current record ("" is the sandbox's)."""
        assert self.expected is not None
        if name:
            others = [v for v in VALUES if codec.dumps(v) != self.expected[name]]
            value = codec.dumps(data.draw(st.sampled_from(others)))
        else:
            value = codec.dumps(SandboxState(sandbox_container="sb", state=data.draw(st.sampled_from(["raw", ""]))))
        raw_put(self.endpoint, record_keys(self.endpoint, self.prefix, "sb")[name], value)
        self.expected[name] = value

    @precondition(lambda self: self.expected is not None and not self.corrupt)
    @rule(data=st.data())
    def raw_write(self, data: Any) -> None:
        assert self.expected is not None
        self._overwrite(data.draw(st.sampled_from(sorted(self.expected))), data)

    @precondition(lambda self: self.expected is not None and not self.corrupt and len(self.expected) >= 2)
    @rule(which=st.integers(0, 1), data=st.data())
    def raw_write_between_saves(self, which: int, data: Any) -> None:
        """What a skip decided on a driver's memory gets wrong: a record changes between two equal saves."""
        assert self.expected is not None
        self._overwrite(data.draw(st.sampled_from(sorted(cid for cid in self.expected if cid))), data)
        self.save_again(which, None)

    @precondition(lambda self: self.expected is not None and len(self.expected) >= 2)
    @rule(data=st.data())
    def raw_delete(self, data: Any) -> None:
        """Another client deletes a container's current record."""
        assert self.expected is not None
        name = data.draw(st.sampled_from(sorted(cid for cid in self.expected if cid)))
        key = record_keys(self.endpoint, self.prefix, "sb")[name]
        member_client(self.endpoint).delete(key)
        self.corrupt = True

    @invariant()
    def a_fresh_reader_agrees(self) -> None:
        reader = EtcdDriver(endpoints=self.cluster.endpoints, prefix=self.prefix, cache_bytes=0)
        try:
            if self.expected is None:
                with pytest.raises(SandboxNotFoundError):
                    reader._load("sb")
            elif self.corrupt:
                with pytest.raises(CorruptStateError, match="missing"):
                    reader._load("sb")
            else:
                stored = reader._load("sb")
                got = {"": stored.sandbox.data, **{cid: r.data for cid, r in stored.containers.items()}}
                assert got == self.expected
        finally:
            reader.close()


def test_a_returned_save_is_what_a_fresh_reader_gets(etcd_cluster: EtcdCluster, etcd_prefix: str) -> None:
    TwoWritersAndARawClient.cluster = etcd_cluster
    TwoWritersAndARawClient.prefix = etcd_prefix
    run_state_machine_as_test(
        TwoWritersAndARawClient,
        settings=settings(
            max_examples=50, stateful_step_count=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )


def test_a_record_rewritten_by_another_client_is_written_again(etcd_cluster: EtcdCluster, etcd_prefix: str) -> None:
    endpoint = etcd_cluster.endpoints[0]
    writer = EtcdDriver(endpoints=etcd_cluster.endpoints, prefix=etcd_prefix)
    sandbox = SandboxState(sandbox_container="sb")
    writer.save(sandbox, {"c": VALUES[0]})
    raw_put(endpoint, record_keys(endpoint, etcd_prefix, "sb")["c"], codec.dumps(VALUES[1]))
    writer.save(sandbox, {"c": VALUES[0]})  # unchanged for the writer's memory, not for the store
    reader = EtcdDriver(endpoints=etcd_cluster.endpoints, prefix=etcd_prefix, cache_bytes=0)
    assert reader._load("sb").containers["c"].data == codec.dumps(VALUES[0])
