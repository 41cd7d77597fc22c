"""``DriverConformance``: the whole driver contract as one pytest class to subclass."""

from __future__ import annotations

from persist_core.testing.suite.basics import BasicTests
from persist_core.testing.suite.concurrency import ConcurrencyTests
from persist_core.testing.suite.errors import ErrorTests
from persist_core.testing.suite.failures import FailedSaveTests
from persist_core.testing.suite.isolation import IsolationTests
from persist_core.testing.suite.large import LargeRecordTests
from persist_core.testing.suite.locks import LockTests
from persist_core.testing.suite.naming import NamingTests
from persist_core.testing.suite.processes import ProcessTests
from persist_core.testing.suite.roundtrip import RoundTripTests
from persist_core.testing.suite.stateful import StatefulTests
from persist_core.testing.suite.store import StoreTests


# pytest runs inherited tests in reverse MRO order, the last base first: the basic promises run first, so
# that a report leads with a broken one, and the slow random tests last, after every deterministic case.
class DriverConformance(
    StatefulTests,
    ProcessTests,
    ConcurrencyTests,
    LockTests,
    FailedSaveTests,
    ErrorTests,
    LargeRecordTests,
    NamingTests,
    IsolationTests,
    StoreTests,
    RoundTripTests,
    BasicTests,
):
    """Subclass it as ``Test...`` and give a ``driver`` fixture that returns a driver on an empty store::

        class TestMyDriver(DriverConformance):
            @pytest.fixture
            def driver(self, tmp_path):
                return MyDriver(root=tmp_path)

    Tests for capabilities the driver does not declare (``MyDriver.capabilities``) are skipped with the
    reason. Class attributes tune the run: ``declared_capabilities``, ``hypothesis_profile``,
    ``patience``, ``short_timeout``, ``timeout_slack_seconds``, ``timeout_slack_ratio``,
    ``shrink_seconds`` (see ``persist_core.testing.suite.base.ConformanceBase``).
    """
