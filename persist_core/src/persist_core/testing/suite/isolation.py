"""Isolation: the store holds values, not the caller's objects, so later mutations never reach it."""

from __future__ import annotations

from persist_core.driver import PersistDriver
from persist_core.model import ContainerState, Mount, SandboxState
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import kata_samples, small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase


def mutate_sandbox(sandbox: SandboxState) -> None:
    """Change top-level and nested fields, and collections in place."""
    sandbox.state = "mutated"
    sandbox.hypervisor_state.pid += 1
    sandbox.agent_state.url = "vsock://mutated"
    if sandbox.cgroup_paths is None:
        sandbox.cgroup_paths = {}
    sandbox.cgroup_paths["mutated"] = "/mutated"


def mutate_container(container: ContainerState) -> None:
    container.state = "mutated"
    container.process.pid += 1
    if container.mounts is None:
        container.mounts = []
    container.mounts.append(Mount(source="/mutated", destination="/mutated"))


def mutate_containers(containers: dict[str, ContainerState]) -> None:
    """Mutate every container, drop one, and add one, all in the caller's own map."""
    for container in containers.values():
        mutate_container(container)
    if containers:
        del containers[sorted(containers)[0]]
    containers["mutated"] = small_container("mutated")


class IsolationTests(ConformanceBase):
    def test_mutating_saved_objects_does_not_change_the_store(self, driver: PersistDriver) -> None:
        sample = max(kata_samples(), key=lambda candidate: len(candidate.containers))
        sandbox, containers = sample.objects()
        driver.save(sandbox, containers)
        expected = stored_bytes(driver, sample.sandbox_id)
        mutate_sandbox(sandbox)
        mutate_containers(containers)
        self.assert_stored(driver, expected, sample.sandbox_id, "mutating the objects passed to save()")

    def test_mutating_loaded_objects_does_not_change_the_store(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1"), "c2": small_container("c2")})
        expected = stored_bytes(driver, "sb")
        sandbox, containers = driver.load("sb")
        mutate_sandbox(sandbox)
        mutate_containers(containers)
        self.assert_stored(driver, expected, "sb", "mutating the objects returned by load()")

    def test_each_load_returns_new_objects(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        first, first_containers = driver.load("sb")
        second, second_containers = driver.load("sb")
        assert first == second
        assert first is not second, "two loads returned the same SandboxState object"
        assert first.cgroup_paths is not second.cgroup_paths, "two loads share a nested dict"
        assert first_containers is not second_containers
        assert first_containers["c1"] is not second_containers["c1"], "two loads returned the same ContainerState"

    def test_loaded_objects_are_not_the_saved_ones(self, driver: PersistDriver) -> None:
        sandbox, container = small_sandbox("sb"), small_container("c1")
        driver.save(sandbox, {"c1": container})
        loaded, containers = driver.load("sb")
        assert loaded == sandbox
        assert loaded is not sandbox, "load() returned the very object given to save()"
        assert containers["c1"] is not container, "load() returned the very ContainerState given to save()"

    def test_one_sandbox_never_shows_in_another(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb-1", state="one"), {"c1": small_container("one")})
        driver.save(small_sandbox("sb-2", state="two"), {"c2": small_container("two")})
        expected_one = stored_bytes(driver, "sb-1")
        driver.save(small_sandbox("sb-2", state="two again"), {"c3": small_container("two")})
        driver.destroy("sb-2")
        self.assert_stored(driver, expected_one, "sb-1", "saving and destroying another sandbox")
