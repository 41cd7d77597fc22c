"""Random sequences of operations against the driver and against a dict of bytes; both must agree."""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from persist_core import codec
from persist_core.driver import Capability, PersistDriver
from persist_core.errors import EncodeError, SandboxNotFoundError, StorageError
from persist_core.ids import MAX_ID_LENGTH
from persist_core.model import ContainerState, SandboxState
from persist_core.testing.profiles import bounded_shrinking
from persist_core.testing.remote import StoredBytes, stored_bytes
from persist_core.testing.samples import UNENCODABLE_SANDBOX_EDITS
from persist_core.testing.strategies import container_states, ids, sandbox_states
from persist_core.testing.suite.base import ConformanceBase, describe_difference
from persist_core.testing.suite.isolation import mutate_containers, mutate_sandbox

#: Few IDs, so that operations keep meeting the same sandboxes and containers: one is a prefix of
#: another, two differ only in case, one is the longest allowed.
SANDBOX_IDS = st.sampled_from(("sb", "sb-a", "SB-a", "s" * MAX_ID_LENGTH))
CONTAINER_IDS = st.sampled_from(("c1", "c1x", "C1", "sb-a", "c" * MAX_ID_LENGTH, "c1.x+y")) | ids()
CONTAINER_MAPS = st.dictionaries(CONTAINER_IDS, container_states(), max_size=3)


def _renamed(sandbox: SandboxState, sandbox_id: str) -> SandboxState:
    sandbox.sandbox_container = sandbox_id
    return sandbox


SANDBOXES = st.builds(_renamed, sandbox_states(), SANDBOX_IDS)


class DriverModelMachine(RuleBasedStateMachine):
    """The model is what a correct driver holds: sandbox ID to the codec's bytes of the last save."""

    def __init__(self, driver: PersistDriver, fault_injection: bool) -> None:
        super().__init__()
        self.driver = driver
        self.fault_injection = fault_injection
        for sandbox_id in driver.sandbox_ids():  # each example starts from an empty store
            driver.destroy(sandbox_id)
        self.model: dict[str, StoredBytes] = {}

    def _expect(self, sandbox_id: str, after: str) -> None:
        expected = self.model.get(sandbox_id)
        try:
            actual = stored_bytes(self.driver, sandbox_id)
        except SandboxNotFoundError:
            assert expected is None, f"load({sandbox_id!r}) raised SandboxNotFoundError after {after}"
            return
        assert expected is not None, f"load({sandbox_id!r}) returned a state after {after}; it should not exist"
        assert actual == expected, f"load({sandbox_id!r}) after {after}: {describe_difference(expected, actual)}"

    saved = Bundle("saved")

    @rule(target=saved, sandbox=SANDBOXES, containers=CONTAINER_MAPS)
    def save(self, sandbox: SandboxState, containers: dict[str, ContainerState]) -> str:
        # Save private copies and mutate them afterwards: the store must not notice.
        own_sandbox = codec.loads(codec.dumps(sandbox), SandboxState)
        own_containers = {cid: codec.loads(codec.dumps(state), ContainerState) for cid, state in containers.items()}
        self.driver.save(own_sandbox, own_containers)
        self.model[sandbox.sandbox_container] = (
            codec.dumps(sandbox),
            {cid: codec.dumps(state) for cid, state in containers.items()},
        )
        mutate_sandbox(own_sandbox)
        mutate_containers(own_containers)
        return sandbox.sandbox_container

    # Failed saves go to sandboxes saved before (perhaps destroyed since): that is where they can do harm.
    @rule(
        sandbox_id=saved,
        sandbox=SANDBOXES,
        containers=CONTAINER_MAPS,
        edit=st.sampled_from(sorted(UNENCODABLE_SANDBOX_EDITS)),
    )
    def refused_save(
        self, sandbox_id: str, sandbox: SandboxState, containers: dict[str, ContainerState], edit: str
    ) -> None:
        sandbox.sandbox_container = sandbox_id
        UNENCODABLE_SANDBOX_EDITS[edit](sandbox)
        with pytest.raises(EncodeError):
            self.driver.save(sandbox, containers)
        self._expect(sandbox.sandbox_container, f"a refused save ({edit})")

    @precondition(lambda self: self.fault_injection)
    @rule(sandbox_id=saved, sandbox=SANDBOXES, containers=CONTAINER_MAPS)
    def failing_save(self, sandbox_id: str, sandbox: SandboxState, containers: dict[str, ContainerState]) -> None:
        sandbox.sandbox_container = sandbox_id
        cast(Any, self.driver).fail_next("save", StorageError("injected by the stateful test"))
        with pytest.raises(StorageError):
            self.driver.save(sandbox, containers)
        self._expect(sandbox.sandbox_container, "an injected save failure")

    @rule(sandbox_id=SANDBOX_IDS)
    def load_and_mutate(self, sandbox_id: str) -> None:
        try:
            sandbox, containers = self.driver.load(sandbox_id)
        except SandboxNotFoundError:
            assert sandbox_id not in self.model, f"load({sandbox_id!r}) raised SandboxNotFoundError"
            return
        mutate_sandbox(sandbox)
        mutate_containers(containers)
        self._expect(sandbox_id, "mutating loaded objects")

    @rule(sandbox_id=SANDBOX_IDS)
    def destroy(self, sandbox_id: str) -> None:
        self.driver.destroy(sandbox_id)
        self.model.pop(sandbox_id, None)

    @invariant()
    def store_matches_model(self) -> None:
        listed = self.driver.sandbox_ids()
        assert listed == sorted(self.model), f"sandbox_ids() is {listed}, the model holds {sorted(self.model)}"
        for sandbox_id in listed:
            self._expect(sandbox_id, "the operations so far")


class StatefulTests(ConformanceBase):
    def test_random_operations_match_a_model(self, driver: PersistDriver) -> None:
        fault_injection = Capability.FAULT_INJECTION in self.capabilities_of(driver)
        # hypothesis accepts any factory of machines here; its annotation names only the class.
        factory = cast("type[RuleBasedStateMachine]", lambda: DriverModelMachine(driver, fault_injection))
        with bounded_shrinking(self.shrink_seconds):
            run_state_machine_as_test(factory, settings=self.hypothesis_settings())
