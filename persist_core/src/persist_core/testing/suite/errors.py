"""Each error for its trigger, raised before anything is stored, with a message naming what is at fault."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from persist_core import codec
from persist_core.driver import PersistDriver
from persist_core.errors import (
    CorruptStateError,
    EncodeError,
    InvalidArgumentError,
    InvalidIdError,
    LockTimeoutError,
    UnsupportedVersionError,
)
from persist_core.ids import MAX_ID_LENGTH
from persist_core.model import ContainerState
from persist_core.testing.promises import depends_on
from persist_core.testing.remote import stored_bytes
from persist_core.testing.samples import (
    UNENCODABLE_SANDBOX_EDITS,
    newer_version_record,
    small_container,
    small_sandbox,
    unencodable_container,
)
from persist_core.testing.suite.base import ConformanceBase

#: IDs the core refuses for every driver: traversal, empty, hidden, too long, separators, controls.
BAD_IDS: tuple[object, ...] = (
    "../x",
    "..",
    ".",
    "",
    ".hidden",
    "a" * (MAX_ID_LENGTH + 1),
    "a/b",
    "/abs",
    "a\\b",
    "a b",
    "a\x00b",
    "a\nb",
    "caf\u00e9",
    None,
    5,
)


def _label(value: object) -> str:
    return repr(value)[:16]


class ErrorTests(ConformanceBase):
    @pytest.mark.parametrize("bad_id", BAD_IDS, ids=_label)
    def test_bad_sandbox_id_is_refused_everywhere(self, driver: PersistDriver, bad_id: str) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        before = stored_bytes(driver, "sb")
        operations: dict[str, Callable[[], object]] = {
            "save": lambda: driver.save(small_sandbox(bad_id), {}),
            "load": lambda: driver.load(bad_id),
            "destroy": lambda: driver.destroy(bad_id),
            "lock": lambda: driver.lock(bad_id, exclusive=True, timeout=0).acquire(),
        }
        for name, operation in operations.items():
            with pytest.raises(InvalidIdError) as raised:
                operation()
            assert repr(bad_id) in str(raised.value), f"{name}: the error does not name the ID: {raised.value}"
        assert driver.sandbox_ids() == ["sb"], "a refused ID changed the listing"
        self.assert_stored(driver, before, "sb", f"operations on the invalid sandbox ID {bad_id!r}")

    @pytest.mark.parametrize("bad_id", BAD_IDS, ids=_label)
    def test_bad_container_id_is_refused_and_changes_nothing(self, driver: PersistDriver, bad_id: str) -> None:
        driver.save(small_sandbox("sb"), {"c1": small_container("c1")})
        before = stored_bytes(driver, "sb")
        bad_map = {"c1": small_container("new"), bad_id: small_container("bad")}
        with pytest.raises(InvalidIdError) as raised:
            driver.save(small_sandbox("sb", state="new"), bad_map)
        assert repr(bad_id) in str(raised.value), f"the error does not name the container ID: {raised.value}"
        self.assert_stored(driver, before, "sb", f"a save with the invalid container ID {bad_id!r}")
        with pytest.raises(InvalidIdError):
            driver.save(small_sandbox("new-sb"), bad_map)
        self.assert_absent(driver, "new-sb", f"a refused first save with container ID {bad_id!r}")

    @pytest.mark.parametrize("edit", sorted(UNENCODABLE_SANDBOX_EDITS))
    def test_unencodable_sandbox_raises_encode_error(self, driver: PersistDriver, edit: str) -> None:
        sandbox = small_sandbox("sb")
        UNENCODABLE_SANDBOX_EDITS[edit](sandbox)
        with pytest.raises(EncodeError):
            driver.save(sandbox, {"c1": small_container("c1")})
        self.assert_absent(driver, "sb", f"a refused save ({edit})")

    def test_unencodable_container_raises_encode_error(self, driver: PersistDriver) -> None:
        with pytest.raises(EncodeError):
            driver.save(small_sandbox("sb"), {"c1": small_container("c1"), "c2": unencodable_container()})
        self.assert_absent(driver, "sb", "a refused save (unencodable container)")

    def test_wrong_object_types_raise_encode_error(self, driver: PersistDriver) -> None:
        not_a_container: object = {"State": "running"}
        with pytest.raises(EncodeError, match="c1"):
            driver.save(small_sandbox("sb"), {"c1": not_a_container})  # type: ignore[dict-item]
        not_a_sandbox: object = ContainerState()
        with pytest.raises(EncodeError):
            driver.save(not_a_sandbox, {})  # type: ignore[arg-type]
        with pytest.raises(InvalidArgumentError):
            driver.save(small_sandbox("sb"), [small_container("c1")])  # type: ignore[arg-type]
        assert driver.sandbox_ids() == []

    @depends_on()
    def test_bad_lock_timeout_is_refused(self, driver: PersistDriver) -> None:
        for timeout in (-1, float("nan"), "1"):
            with pytest.raises(InvalidArgumentError):
                driver.lock("sb", exclusive=True, timeout=timeout)  # type: ignore[arg-type]

    @depends_on()
    def test_lock_timeout_error_is_a_timeout_error(self, driver: PersistDriver) -> None:
        with driver.lock("sb", exclusive=True, timeout=0), pytest.raises(LockTimeoutError) as raised:
            driver.lock("sb", exclusive=True, timeout=0).acquire()
        assert isinstance(raised.value, TimeoutError)

    def test_saving_a_newer_persist_version_is_refused(self, driver: PersistDriver) -> None:
        driver.save(small_sandbox("sb"), {})
        before = stored_bytes(driver, "sb")
        newer = small_sandbox("sb", state="newer")
        newer.persist_version = 3
        with pytest.raises(UnsupportedVersionError):
            driver.save(newer, {})
        self.assert_stored(driver, before, "sb", "a refused save of PersistVersion 3")

    def test_stored_newer_persist_version_is_refused_on_load(self, driver: PersistDriver) -> None:
        """The kit writes the record through the backend's ``_save``, since ``save`` refuses to."""
        record = newer_version_record(small_sandbox("sb"))
        driver._save("sb", record, {"c1": codec.dumps(small_container("c1"))})
        with pytest.raises(UnsupportedVersionError, match="PersistVersion 3"):
            driver.load("sb")
        assert driver.sandbox_ids() == ["sb"], "a sandbox of a newer version must still be listed"
        driver.destroy("sb")
        self.assert_absent(driver, "sb", "destroying a sandbox of a newer version")

    def test_corrupt_record_raises_corrupt_state_and_stays_listed(self, driver: PersistDriver) -> None:
        driver._save("sb", b'{"State": "runn', {})
        with pytest.raises(CorruptStateError):
            driver.load("sb")
        assert driver.sandbox_ids() == ["sb"]
        driver._save("sb", codec.dumps(small_sandbox("sb")), {"c1": b"[1, 2]"})
        with pytest.raises(CorruptStateError, match="c1"):
            driver.load("sb")
