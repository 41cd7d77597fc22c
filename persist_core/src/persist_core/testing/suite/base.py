"""What every part of the kit shares: class attributes that tune a run, the capability gate, comparisons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core.driver import Capability, PersistDriver
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.background import PATIENCE
from persist_core.testing.capabilities import required_by, skip_reason
from persist_core.testing.profiles import kit_settings
from persist_core.testing.remote import Snapshot, snapshot


def describe_difference(expected: Snapshot, actual: Snapshot) -> str:
    """Say which record differs, so a failure points at the sandbox or at one container."""
    problems = []
    if actual[0] != expected[0]:
        problems.append("the sandbox record differs")
    missing = sorted(set(expected[1]) - set(actual[1]))
    extra = sorted(set(actual[1]) - set(expected[1]))
    changed = sorted(cid for cid in set(expected[1]) & set(actual[1]) if expected[1][cid] != actual[1][cid])
    if missing:
        problems.append(f"containers missing: {missing}")
    if extra:
        problems.append(f"containers that should not be there: {extra}")
    if changed:
        problems.append(f"containers whose records differ: {changed}")
    return "; ".join(problems) or "no difference"


class ConformanceBase:
    """Settings a test class may override, and the helpers the kit's tests use.

    The kit's tests take a ``driver`` fixture: a driver on a fresh, empty store for each test. Define it
    in the test class or in a conftest.py; the kit defines none, so that either place works.
    """

    #: The capabilities to test. None: the driver class's own ``capabilities``. Set it to test fewer
    #: (or, for a driver that does not declare them yet, more).
    declared_capabilities: ClassVar[frozenset[Capability] | None] = None
    #: The hypothesis profile for property and stateful tests. None: ``$PERSIST_CONFORMANCE_PROFILE``,
    #: else the quick ``persist-conformance`` profile (see ``persist_core.testing.profiles``).
    hypothesis_profile: ClassVar[str | None] = None
    #: Seconds to wait for what a correct driver does promptly (a released lock handed over, another
    #: process starting). Only a broken driver waits this long; raise it for a slow remote backend.
    patience: ClassVar[float] = PATIENCE
    #: The short lock timeout that must be waited out and then refused.
    short_timeout: ClassVar[float] = 0.05

    @pytest.fixture(autouse=True)
    def _persist_capability_gate(self, request: pytest.FixtureRequest) -> None:
        """Skip, with the reason in the report, a test needing a capability the driver does not declare."""
        needed = required_by(request.function)
        if needed:
            driver: PersistDriver = request.getfixturevalue("driver")
            reason = skip_reason(driver.name, needed, self.capabilities_of(driver))
            if reason is not None:
                pytest.skip(reason)

    def capabilities_of(self, driver: PersistDriver) -> frozenset[Capability]:
        if self.declared_capabilities is not None:
            return self.declared_capabilities
        return frozenset(type(driver).capabilities)

    def hypothesis_settings(self) -> settings:
        """Read when the test runs, so a profile registered or chosen after import still applies."""
        return kit_settings(self.hypothesis_profile)

    def check_property(self, test: Callable[..., None], **strategies: st.SearchStrategy[Any]) -> None:
        """Run ``test`` for examples drawn from ``strategies`` under the kit's settings."""
        self.hypothesis_settings()(given(**strategies)(test))()

    # -- comparisons ------------------------------------------------------------------------------

    def assert_stored(self, driver: PersistDriver, expected: Snapshot, sandbox_id: str, after: str) -> None:
        """``driver.load(sandbox_id)`` must give exactly ``expected`` (the codec's bytes)."""
        try:
            actual = snapshot(driver, sandbox_id)
        except SandboxNotFoundError:
            pytest.fail(f"after {after}, sandbox {sandbox_id!r} should be stored but load() says it is not")
        if actual != expected:
            pytest.fail(
                f"after {after}, load({sandbox_id!r}) returned a different state: "
                f"{describe_difference(expected, actual)}"
            )

    def assert_absent(self, driver: PersistDriver, sandbox_id: str, after: str) -> None:
        """The sandbox must be neither loadable nor listed."""
        try:
            driver.load(sandbox_id)
        except SandboxNotFoundError:
            pass
        else:
            pytest.fail(f"after {after}, load({sandbox_id!r}) returned a state instead of raising SandboxNotFoundError")
        if sandbox_id in driver.sandbox_ids():
            pytest.fail(f"after {after}, sandbox {sandbox_id!r} is still listed by sandbox_ids()")
