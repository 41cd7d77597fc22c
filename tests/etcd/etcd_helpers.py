"""Reading etcd behind the driver's back, to check what it really stored."""

from __future__ import annotations

from pathlib import Path

import etcd3gw
import pytest
from persist_etcd.gateway import b64, parse_kvs
from persist_etcd.keys import range_end
from persist_etcd.testing import EtcdCluster, EtcdUnavailable, find_etcd

NO_ETCD = "etcd binary not found: run persist_etcd/ci/install-etcd.sh (apt-get install -y etcd-server)"


def start_cluster(base_dir: Path, size: int, extra_args: tuple[str, ...] = ()) -> EtcdCluster:
    if find_etcd() is None:
        pytest.skip(NO_ETCD)
    try:
        return EtcdCluster(base_dir, size, extra_args=extra_args).start()
    except EtcdUnavailable as exc:
        pytest.fail(f"etcd is installed but would not start: {exc}")


def client(endpoint: str) -> etcd3gw.Etcd3Client:
    host, port = endpoint.removeprefix("http://").rsplit(":", 1)
    return etcd3gw.Etcd3Client(host=host, port=int(port), timeout=10)


def raw_range(endpoint: str, prefix: str) -> tuple[int, dict[str, tuple[bytes, int]]]:
    """(store revision, {key: (value, mod_revision)}) of every key under ``prefix``."""
    gw = client(endpoint)
    result = gw.post(gw.get_url("/kv/range"), json={"key": b64(prefix), "range_end": b64(range_end(prefix))})
    return int(result["header"]["revision"]), {key: (value, rev) for key, value, rev in parse_kvs(result)}


def raw_put(endpoint: str, key: str, value: bytes) -> None:
    client(endpoint).put(key, value)
