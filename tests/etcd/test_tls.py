"""TLS: https endpoints with a private CA and client certificates (etcd's --client-cert-auth)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from persist_core.errors import BackendUnavailableError
from persist_core.model import SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, TlsFiles, make_tls_files


@pytest.fixture
def tls_files(tmp_path: Path) -> TlsFiles:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates (apt-get install -y openssl)")
    return make_tls_files(tmp_path / "tls")


def test_the_driver_speaks_tls_with_a_client_certificate(
    start_etcd: Callable[..., EtcdCluster], tls_files: TlsFiles
) -> None:
    cluster = start_etcd(1, tls=tls_files)
    assert cluster.endpoints[0].startswith("https://")
    driver = EtcdDriver(
        endpoints=cluster.endpoints,
        ca_cert=str(tls_files.ca_cert),
        client_cert=str(tls_files.client_cert),
        client_key=str(tls_files.client_key),
    )
    state = SandboxState(sandbox_container="sb")
    with driver.lock("sb", timeout=5):
        driver.save(state, {})
    assert driver.load("sb") == (state, {})

    untrusting = EtcdDriver(endpoints=cluster.endpoints, timeout=1)  # system CAs only: refuses the server
    with pytest.raises(BackendUnavailableError, match="TLS error"):
        untrusting.sandbox_ids()
