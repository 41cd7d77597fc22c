"""Round trips: what is saved loads back equal, and encodes to the very bytes kata's Go code wrote."""

from __future__ import annotations

import pytest

from persist_core import codec
from persist_core.driver import PersistDriver
from persist_core.ids import MAX_ID_LENGTH
from persist_core.model import ContainerState, SandboxState
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import KataSample, kata_samples, small_container, small_sandbox
from persist_core.testing.strategies import container_maps, ids, sandbox_states
from persist_core.testing.suite.base import ConformanceBase

#: Valid IDs that a backend mapping IDs onto paths, keys or URLs might mangle.
AWKWARD_IDS = ("a", "0", "-", "_x", "+x", "x.", "x..y", "A.b+c-d_e", "a" * MAX_ID_LENGTH)


class RoundTripTests(ConformanceBase):
    @pytest.mark.parametrize("sample", kata_samples(), ids=lambda sample: sample.name)
    def test_kata_sample_round_trips(self, driver: PersistDriver, sample: KataSample) -> None:
        sandbox, containers = sample.objects()
        driver.save(sandbox, containers)
        loaded_sandbox, loaded_containers = driver.load(sample.sandbox_id)
        assert loaded_sandbox == sandbox, f"{sample.name}: the loaded sandbox differs from the saved one"
        assert loaded_containers == containers, f"{sample.name}: the loaded containers differ from the saved ones"
        assert list(loaded_containers) == sorted(containers), "load() must return containers sorted by ID"
        assert codec.dumps(loaded_sandbox) == sample.sandbox, f"{sample.name}: sandbox bytes differ from kata's"
        for cid, state in loaded_containers.items():
            assert codec.dumps(state) == sample.containers[cid], f"{sample.name}/{cid}: bytes differ from kata's"

    def test_kata_samples_replace_each_other(self, driver: PersistDriver) -> None:
        """Saving one sample over another (same sandbox ID, other containers) leaves only the newer one."""
        for sample in kata_samples():
            driver.save(*sample.objects())
            expected = (sample.sandbox, sample.containers)
            self.assert_stored(driver, expected, sample.sandbox_id, f"saving kata sample {sample.name}")

    def test_generated_states_round_trip(self, driver: PersistDriver) -> None:
        def check(sandbox: SandboxState, containers: dict[str, ContainerState]) -> None:
            driver.save(sandbox, containers)
            loaded_sandbox, loaded_containers = driver.load(sandbox.sandbox_container)
            assert loaded_sandbox == sandbox
            assert loaded_containers == containers
            stored = driver._load(sandbox.sandbox_container)
            assert stored.sandbox.data == codec.dumps(sandbox), "the backend changed the sandbox record's bytes"
            assert {cid: record.data for cid, record in stored.containers.items()} == {
                cid: codec.dumps(state) for cid, state in containers.items()
            }, "the backend changed container records' bytes"

        self.check_property(check, sandbox=sandbox_states(), containers=container_maps())

    @pytest.mark.parametrize("awkward_id", AWKWARD_IDS, ids=lambda value: value[:12])
    def test_awkward_valid_ids_round_trip(self, driver: PersistDriver, awkward_id: str) -> None:
        driver.save(small_sandbox(awkward_id), {awkward_id: small_container(awkward_id)})
        expected = stored_bytes(driver, awkward_id)
        assert expected[1].keys() == {awkward_id}
        assert driver.sandbox_ids() == [awkward_id]
        self.assert_stored(driver, expected, awkward_id, f"saving sandbox {awkward_id!r}")

    def test_ids_are_case_sensitive(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("Sandbox", state="upper"), {"C": small_container("upper")})
        driver.save(small_sandbox("sandbox", state="lower"), {"c": small_container("lower")})
        assert driver.sandbox_ids() == ["Sandbox", "sandbox"]
        upper, upper_containers = driver.load("Sandbox")
        lower, lower_containers = driver.load("sandbox")
        assert (upper.state, list(upper_containers)) == ("upper", ["C"])
        assert (lower.state, list(lower_containers)) == ("lower", ["c"])

    def test_generated_ids_round_trip(self, driver: PersistDriver) -> None:
        def check(sandbox_id: str, container_id: str) -> None:
            driver.save(small_sandbox(sandbox_id), {container_id: small_container(container_id)})
            loaded, containers = driver.load(sandbox_id)
            assert loaded.sandbox_container == sandbox_id
            assert list(containers) == [container_id]
            assert sandbox_id in driver.sandbox_ids()
            driver.destroy(sandbox_id)

        self.check_property(check, sandbox_id=ids(), container_id=ids())
