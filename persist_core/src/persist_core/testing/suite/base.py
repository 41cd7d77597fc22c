"""What every part of the kit shares: class attributes that tune a run, the capability gate, comparisons."""

from __future__ import annotations

import contextlib
import sysconfig
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core.driver import Capability, PersistDriver
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.background import PATIENCE, PATIENCE_AFTER_A_HANG, DriverHangs
from persist_core.testing.capabilities import required_by, skip_reason
from persist_core.testing.profiles import bounded_shrinking, kit_settings
from persist_core.testing.promises import Promise, dependencies_of
from persist_core.testing.remote import StoredBytes, stored_bytes


def describe_difference(expected: StoredBytes, actual: StoredBytes) -> str:
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


_NOT_THE_DRIVER = (sysconfig.get_paths()["stdlib"], str(Path(__file__).parents[2]))


def where_raised(exc: BaseException) -> str:
    """Where the driver raised ``exc``: its innermost frame outside the standard library and persist-core."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "an unknown place"
    outside = [frame for frame in frames if not frame.filename.startswith(_NOT_THE_DRIVER)]
    frame = (outside or frames)[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


@attrs.define
class KitRun:
    """What the tests of one test class learned so far: broken basic promises, and whether the driver hung."""

    broken: dict[Promise, str] = attrs.Factory(dict)
    hung_in: str | None = None


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
    patience: float = PATIENCE  # not a ClassVar: after a hang the kit lowers it for one test
    #: The short lock timeout that must be waited out and then refused.
    short_timeout: ClassVar[float] = 0.05
    #: How much longer than its timeout a refused lock may take: max(seconds, ratio * timeout). Beyond
    #: that a caller's deadline is not honoured. Raise it for a store whose round trips are slow.
    timeout_slack_seconds: ClassVar[float] = 0.5
    timeout_slack_ratio: ClassVar[float] = 0.5
    #: Seconds hypothesis may spend shrinking a failure in one property or stateful test, so that a
    #: broken driver fails the kit in about a minute rather than in many.
    shrink_seconds: ClassVar[int] = 5

    _runs: ClassVar[dict[type, KitRun]] = {}

    def kit_run(self) -> KitRun:
        return ConformanceBase._runs.setdefault(type(self), KitRun())

    @pytest.fixture(autouse=True)
    def _persist_gate(self, request: pytest.FixtureRequest) -> Iterator[None]:
        """Skip, saying why, a test whose basic promise is broken or whose capability is not declared.

        After the driver has hung once, later tests get a short patience, so that one lock never
        released does not cost the full patience in every test that waits.
        """
        run = self.kit_run()
        for promise in sorted(dependencies_of(request.function), key=list(Promise).index):
            if promise in run.broken:
                pytest.skip(f"depends on a basic promise this driver breaks: {promise.value} ({run.broken[promise]})")
        needed = required_by(request.function)
        if needed:
            driver: PersistDriver = request.getfixturevalue("driver")
            reason = skip_reason(driver.name, needed, self.capabilities_of(driver))
            if reason is not None:
                pytest.skip(reason)
        if run.hung_in is not None:
            self.patience = min(self.patience, PATIENCE_AFTER_A_HANG)
        hangs_before = DriverHangs.raised
        yield
        if DriverHangs.raised > hangs_before and run.hung_in is None:
            run.hung_in = request.node.name

    @contextlib.contextmanager
    def keeping(self, promise: Promise) -> Iterator[None]:
        """Check a basic promise: on failure, record it (its dependents are skipped) and say it in one message."""
        try:
            yield
        except Exception as exc:  # noqa: BLE001 - any failure breaks the promise; reported below
            detail = f"{type(exc).__name__}: {exc} (raised at {where_raised(exc)})"
        except pytest.fail.Exception as exc:
            detail = str(exc)
        else:
            return
        self.kit_run().broken[promise] = "see test_basic_" + promise.name.lower()
        failure = pytest.fail.Exception(
            f"BASIC PROMISE BROKEN: {promise.value}.\n{detail}\n"
            "Fix this first: the kit skips the tests that depend on it.",
            pytrace=False,
        )
        raise failure from None

    def lock_timeout_allowance(self, timeout: float) -> float:
        """The most a refused ``lock(timeout=timeout)`` may take before raising LockTimeoutError."""
        return timeout + max(self.timeout_slack_seconds, self.timeout_slack_ratio * timeout)

    def capabilities_of(self, driver: PersistDriver) -> frozenset[Capability]:
        if self.declared_capabilities is not None:
            return self.declared_capabilities
        return frozenset(type(driver).capabilities)

    def hypothesis_settings(self) -> settings:
        """Read when the test runs, so a profile registered or chosen after import still applies."""
        return kit_settings(self.hypothesis_profile)

    def check_property(self, test: Callable[..., None], **strategies: st.SearchStrategy[Any]) -> None:
        """Run ``test`` for examples drawn from ``strategies`` under the kit's settings."""
        with bounded_shrinking(self.shrink_seconds):
            self.hypothesis_settings()(given(**strategies)(test))()

    # -- comparisons ------------------------------------------------------------------------------

    def assert_stored(self, driver: PersistDriver, expected: StoredBytes, sandbox_id: str, after: str) -> None:
        """``driver.load(sandbox_id)`` must give exactly ``expected`` (the codec's bytes)."""
        try:
            actual = stored_bytes(driver, sandbox_id)
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
