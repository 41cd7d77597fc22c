"""The etcd driver against the whole driver contract, every declared capability included.

Each test gets a fresh key prefix on the session's one-member cluster: an empty store, and the
cross-process tests re-open it in a child process through ``driver.options``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from persist_core.testing import DriverConformance
from persist_etcd import EtcdDriver


class TestEtcdConformance(DriverConformance):
    # A remote store answers in milliseconds, not microseconds: let hand-overs take longer.
    patience = 30.0

    @pytest.fixture
    def driver(self, make_driver: Callable[..., EtcdDriver]) -> EtcdDriver:
        return make_driver()
