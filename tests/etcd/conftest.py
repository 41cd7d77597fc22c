"""Fixtures: etcd on loopback (one member for the session, three for fault tests), a fresh prefix per test.

Without the etcd binary every test here skips, saying what to install; CI installs it
(persist_etcd/ci/install-etcd.sh), so there they run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, EtcdUnavailable, TlsFiles, find_etcd

NO_ETCD = "etcd binary not found: run persist_etcd/ci/install-etcd.sh (apt-get install -y etcd-server)"


def start_cluster(
    base_dir: Path, size: int, extra_args: tuple[str, ...] = (), tls: TlsFiles | None = None
) -> EtcdCluster:
    if find_etcd() is None:
        pytest.skip(NO_ETCD)
    try:
        return EtcdCluster(base_dir, size, extra_args=extra_args, tls=tls).start()
    except EtcdUnavailable as exc:
        pytest.fail(f"etcd is installed but would not start: {exc}")


@pytest.fixture
def start_etcd(tmp_path: Path) -> Iterator[Callable[..., EtcdCluster]]:
    """Start a cluster of this test's own (``size`` members, extra etcd flags); stopped after the test."""
    clusters: list[EtcdCluster] = []

    def start(size: int = 1, extra_args: tuple[str, ...] = (), tls: TlsFiles | None = None) -> EtcdCluster:
        cluster = start_cluster(tmp_path / f"etcd{len(clusters)}", size, extra_args, tls)
        clusters.append(cluster)
        return cluster

    yield start
    for cluster in clusters:
        cluster.stop()


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
