"""What the store holds: exactly the last save, containers included; listing; idempotent destroy."""

from __future__ import annotations

import random

from persist_core.driver import PersistDriver
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import kata_samples, small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase

#: Saved in a shuffled order; sandbox_ids() must return them sorted by code point.
LISTED_IDS = ("b", "a", "B", "a.1", "a-1", "_z", "0", "a+", "zz", "Z")


class StoreTests(ConformanceBase):
    def test_containers_missing_from_a_save_are_removed(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {cid: small_container(cid) for cid in ("c1", "c2", "c3")})
        driver.save(small_sandbox("sb", state="fewer"), {"c2": small_container("c2 again")})
        sandbox, containers = driver.load("sb")
        assert list(containers) == ["c2"], f"saved only ['c2'] over ['c1', 'c2', 'c3'], load() gives {list(containers)}"
        assert sandbox.state == "fewer"
        assert containers["c2"].process.token == "c2 again"

    def test_saving_no_containers_removes_them_all(self, driver: PersistDriver) -> None:
        sample = max(kata_samples(), key=lambda candidate: len(candidate.containers))
        sandbox, containers = sample.objects()
        driver.save(sandbox, containers)
        driver.save(sandbox, {})
        assert driver.load(sample.sandbox_id)[1] == {}, "containers of an earlier save survived a save of none"

    def test_removed_container_does_not_come_back(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1"), "c2": small_container("c2")})
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        driver.save(small_sandbox("sb"), {"c1": small_container("c1"), "c3": small_container("c3")})
        assert sorted(driver.load("sb")[1]) == ["c1", "c3"]

    def test_sandbox_ids_are_sorted_and_complete(self, driver: PersistDriver) -> None:
        order = list(LISTED_IDS)
        random.Random(4).shuffle(order)
        for sandbox_id in order:
            driver.save(small_sandbox(sandbox_id), {"c": small_container(sandbox_id)})
        assert driver.sandbox_ids() == sorted(LISTED_IDS)
        driver.destroy("a.1")
        driver.save(small_sandbox("b", state="again"), {})
        assert driver.sandbox_ids() == sorted(set(LISTED_IDS) - {"a.1"})

    def test_sandbox_ids_lists_sandboxes_not_containers(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"sb": small_container("sb"), "other": small_container("other")})
        assert driver.sandbox_ids() == ["sb"]

    def test_destroy_removes_the_sandbox_and_its_containers(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        driver.save(small_sandbox("keep"), {"c1": small_container("keep")})
        kept = stored_bytes(driver, "keep")
        driver.destroy("sb")
        self.assert_absent(driver, "sb", "destroy('sb')")
        self.assert_stored(driver, kept, "keep", "destroying another sandbox")
        driver.save(small_sandbox("sb"), {})
        assert driver.load("sb")[1] == {}, "containers of a destroyed sandbox came back with its next save"

    def test_destroy_is_idempotent(self, driver: PersistDriver) -> None:
        driver.destroy("never-saved")
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        driver.destroy("sb")
        driver.destroy("sb")
        self.assert_absent(driver, "sb", "destroying twice")
        assert driver.sandbox_ids() == []

    def test_backend_returns_records_byte_for_byte(self, driver: PersistDriver) -> None:
        """Backends hold bytes; they must not re-encode, strip or transcode them."""
        sample = max(kata_samples(), key=lambda candidate: len(candidate.containers))
        odd = '{"State":"\u2603 <&> \\u2028","SandboxContainer":"sb"}  \n\n'.encode()
        driver._save("sb", odd, dict(sample.containers))
        stored = driver._load("sb")
        assert stored.sandbox.data == odd
        assert {cid: record.data for cid, record in stored.containers.items()} == sample.containers
