"""Fixtures: a one-member etcd on loopback for the whole session, a fresh key prefix per test.

Without the etcd binary every test here skips, saying what to install; CI installs it
(persist_etcd/ci/install-etcd.sh), so there they run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from etcd_helpers import start_cluster
from persist_etcd.testing import EtcdCluster

from persist_etcd import EtcdDriver


@pytest.fixture(scope="session")
def etcd_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    """One member, shared by the session; tests stay apart through their key prefixes."""
    cluster = start_cluster(tmp_path_factory.mktemp("etcd"), 1)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def etcd_prefix() -> str:
    return f"/persist-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_driver(etcd_cluster: EtcdCluster, etcd_prefix: str) -> Iterator[Callable[..., EtcdDriver]]:
    """Drivers on the session's cluster and this test's prefix (options may override both)."""
    drivers: list[EtcdDriver] = []

    def make(**options: Any) -> EtcdDriver:
        options = {"endpoints": etcd_cluster.endpoints, "prefix": etcd_prefix, "lock_ttl": 5, **options}
        driver = EtcdDriver(**options)
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


@pytest.fixture
def etcd_driver(make_driver: Callable[..., EtcdDriver]) -> EtcdDriver:
    return make_driver()
