"""An unreachable cluster is a clear error naming the endpoints, within the timeout, never a hang."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from persist_core.errors import BackendUnavailableError, StorageError
from persist_core.model import SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster
from persist_etcd.testing.server import free_port

TIMEOUT = 1.0
# Generous: the point is "returns, with the right error", not how fast. A hang would take forever.
BOUND = TIMEOUT + 10

OPERATIONS: dict[str, Callable[[EtcdDriver], object]] = {
    "save": lambda d: d.save(SandboxState(sandbox_container="sb"), {}),
    "load": lambda d: d.load("sb"),
    "destroy": lambda d: d.destroy("sb"),
    "sandbox_ids": lambda d: d.sandbox_ids(),
    "lock": lambda d: d.lock("sb", timeout=30).acquire(),
}


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """Accepts connections (the kernel's backlog) and never answers: a member that hangs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_refused_endpoints_are_named(operation: str) -> None:
    dead = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    driver = EtcdDriver(endpoints=dead, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError) as caught:
        OPERATIONS[operation](driver)
    assert time.monotonic() - started < BOUND
    for endpoint in dead:
        assert f"http://{endpoint}" in str(caught.value)
    assert "1s" in str(caught.value)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_member_that_never_answers_times_out(silent_endpoint: str, operation: str) -> None:
    driver = EtcdDriver(endpoints=silent_endpoint, timeout=TIMEOUT)
    started = time.monotonic()
    with pytest.raises(BackendUnavailableError, match=silent_endpoint):
        OPERATIONS[operation](driver)
    assert time.monotonic() - started < BOUND


def test_dead_endpoints_are_skipped(etcd_cluster: EtcdCluster, etcd_prefix: str, silent_endpoint: str) -> None:
    endpoints = [f"127.0.0.1:{free_port()}", silent_endpoint, *etcd_cluster.endpoints]
    driver = EtcdDriver(endpoints=endpoints, prefix=etcd_prefix, timeout=5)
    state = SandboxState(sandbox_container="sb")
    driver.save(state, {})
    assert driver.load("sb") == (state, {})
    with driver.lock("sb", timeout=5):
        assert driver.sandbox_ids() == ["sb"]


def test_something_that_is_not_etcd_is_a_storage_error() -> None:
    class NotEtcd(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotEtcd)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        driver = EtcdDriver(endpoints=f"127.0.0.1:{server.server_address[1]}", timeout=TIMEOUT)
        with pytest.raises(StorageError, match=r"127\.0\.0\.1"):
            driver.sandbox_ids()
    finally:
        server.shutdown()
        server.server_close()
