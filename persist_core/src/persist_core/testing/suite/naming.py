"""IDs a key-value backend tends to confuse: prefixes, case, punctuation, the longest allowed.

Each family of IDs is saved as sandboxes, each holding the same family as container IDs; then every
sandbox is saved again with fewer containers, then destroyed one by one. After every step each
sandbox must load exactly as last saved and the listing must be exact, so that a backend that finds
records by a bare prefix, folds case, escapes punctuation into one key or cuts long keys fails here,
deterministically, with the mistake named.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

import pytest

from persist_core import codec
from persist_core.driver import PersistDriver
from persist_core.errors import PersistError, SandboxNotFoundError
from persist_core.testing.idfamilies import CASE, LONGEST, PREFIXES, PUNCTUATION, IdFamily
from persist_core.testing.remote import StoredBytes, stored_bytes
from persist_core.testing.samples import small_container, small_sandbox
from persist_core.testing.suite.base import ConformanceBase, describe_difference


def _short(sandbox_id: str) -> str:
    """An ID for a message: long ones abbreviated, with their length."""
    if len(sandbox_id) <= 24:
        return repr(sandbox_id)
    return f"'{sandbox_id[:8]}...{sandbox_id[-8:]}' ({len(sandbox_id)} characters)"


def _shorts(ids: Iterable[str]) -> str:
    return "[" + ", ".join(map(_short, ids)) + "]"


class _FamilyCheck:
    """Drives one family through saves, smaller saves and destroys, comparing with what must be stored."""

    def __init__(self, driver: PersistDriver, family: IdFamily) -> None:
        self.driver = driver
        self.family = family
        self.ids = family.ids
        assert len(self.ids) >= 2, f"the ID rule leaves fewer than two IDs of the {family.name} family: {self.ids}"
        self.expected: dict[str, StoredBytes] = {}

    def fail(self, problem: str) -> NoReturn:
        pytest.fail(
            f"{self.family.name} IDs {_shorts(self.ids)}: {problem}. "
            f"A backend does this, for one, when it {self.family.mistake}."
        )

    def save(self, sandbox_id: str, container_ids: tuple[str, ...], label: str) -> None:
        sandbox = small_sandbox(sandbox_id, state=f"{label} {sandbox_id}")
        containers = {cid: small_container(f"{label} {sandbox_id}/{cid}") for cid in container_ids}
        try:
            self.driver.save(sandbox, containers)
        except PersistError as exc:
            self.fail(f"saving sandbox {_short(sandbox_id)} with containers {_shorts(container_ids)} raised {exc!r}")
        self.expected[sandbox_id] = (codec.dumps(sandbox), {cid: codec.dumps(c) for cid, c in containers.items()})

    def destroy(self, sandbox_id: str) -> None:
        self.driver.destroy(sandbox_id)
        del self.expected[sandbox_id]

    def verify(self, after: str) -> None:
        listed = self.driver.sandbox_ids()
        if listed != sorted(self.expected):
            self.fail(f"after {after}, sandbox_ids() is {_shorts(listed)}, not {_shorts(sorted(self.expected))}")
        for sandbox_id in self.ids:
            try:
                actual = stored_bytes(self.driver, sandbox_id)
            except SandboxNotFoundError:
                if sandbox_id in self.expected:
                    self.fail(f"after {after}, load({_short(sandbox_id)}) says the sandbox is not stored")
                continue
            if sandbox_id not in self.expected:
                self.fail(f"after {after}, load({_short(sandbox_id)}) returned a state; that sandbox is not stored")
            if actual != self.expected[sandbox_id]:
                difference = describe_difference(self.expected[sandbox_id], actual)
                self.fail(f"after {after}, load({_short(sandbox_id)}) returned another state: {difference}")

    def run(self) -> None:
        for sandbox_id in self.ids:
            self.save(sandbox_id, self.ids, "first")
            self.verify(f"saving {_short(sandbox_id)}")
        for n, sandbox_id in enumerate(reversed(self.ids)):
            fewer = self.ids[n % 2 :: 2] if n % 3 else ()
            self.save(sandbox_id, fewer, "second")
            self.verify(f"saving {_short(sandbox_id)} again with containers {_shorts(fewer)}")
        for sandbox_id in self.ids:
            self.destroy(sandbox_id)
            self.verify(f"destroying {_short(sandbox_id)}")


class NamingTests(ConformanceBase):
    def test_ids_that_prefix_each_other_stay_apart(self, driver: PersistDriver) -> None:
        _FamilyCheck(driver, PREFIXES).run()

    def test_ids_that_differ_only_in_case_stay_apart(self, driver: PersistDriver) -> None:
        _FamilyCheck(driver, CASE).run()

    def test_ids_with_every_punctuation_character_stay_apart(self, driver: PersistDriver) -> None:
        _FamilyCheck(driver, PUNCTUATION).run()

    def test_longest_allowed_ids_stay_apart(self, driver: PersistDriver) -> None:
        _FamilyCheck(driver, LONGEST).run()
