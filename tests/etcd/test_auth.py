"""etcd authentication: a user with read-write on the driver's prefix only, and tokens that expire."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from persist_core.errors import StorageError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.gateway import b64
from persist_etcd.keys import range_end
from persist_etcd.testing import EtcdCluster, member_client

PREFIX = "/fleet"


@pytest.fixture
def secured(start_etcd: Callable[..., EtcdCluster]) -> EtcdCluster:
    """A member with auth on: root, and user "persist" allowed only the store's keys, under /fleet:."""
    cluster = start_etcd(1, ("--auth-token=simple", "--auth-token-ttl=2"))
    client = member_client(cluster.endpoints[0])
    scope = {"key": b64(PREFIX + ":"), "range_end": b64(range_end(PREFIX + ":"))}
    for path, body in [
        ("/auth/user/add", {"name": "root", "password": "root-pw"}),
        ("/auth/role/add", {"name": "root"}),
        ("/auth/user/grant", {"user": "root", "role": "root"}),
        ("/auth/user/add", {"name": "persist", "password": "persist-pw"}),
        ("/auth/role/add", {"name": "fleet-rw"}),
        ("/auth/role/grant", {"name": "fleet-rw", "perm": {"permType": "READWRITE", **scope}}),
        ("/auth/user/grant", {"user": "persist", "role": "fleet-rw"}),
        ("/auth/enable", {}),
    ]:
        client.post(client.get_url(path), json=body)
    return cluster


def test_a_user_with_rights_on_the_prefix_can_do_everything(secured: EtcdCluster, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("persist-pw\n")
    driver = EtcdDriver(endpoints=secured.endpoints, prefix=PREFIX, user="persist", password_file=str(secret))
    state = SandboxState(sandbox_container="sb")
    with driver.lock("sb", timeout=5):
        driver.save(state, {"c": ContainerState()})
    assert driver.load("sb") == (state, {"c": ContainerState()})
    time.sleep(3)  # past the token's TTL: the driver logs in again by itself
    driver.save(state, {})
    assert driver.sandbox_ids() == ["sb"]
    driver.destroy("sb")
    assert driver.sandbox_ids() == []


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, "user name is empty"),
        ({"user": "persist", "password": "wrong"}, "authentication failed"),
        ({"user": "persist", "password": "persist-pw", "prefix": "/elsewhere"}, "permission denied"),
    ],
)
def test_missing_or_wrong_credentials_are_refused_clearly(
    secured: EtcdCluster, credentials: dict[str, str], message: str
) -> None:
    driver = EtcdDriver(endpoints=secured.endpoints, timeout=2, **credentials)
    with pytest.raises(StorageError, match=message):
        driver.save(SandboxState(sandbox_container="sb"), {})
