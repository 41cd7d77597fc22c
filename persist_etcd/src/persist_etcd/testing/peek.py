"""Reading and writing etcd behind the driver's back, so tests can check what it really stored."""

from __future__ import annotations

import urllib.parse

import etcd3gw

from persist_etcd.gateway import b64, parse_kvs
from persist_etcd.keys import range_end


def member_client(endpoint: str, timeout: float = 10) -> etcd3gw.Etcd3Client:
    """A plain etcd3gw client for one ``http://host:port`` endpoint."""
    url = urllib.parse.urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    assert url.hostname is not None
    return etcd3gw.Etcd3Client(host=url.hostname, port=url.port or 2379, protocol=url.scheme, timeout=timeout)


def raw_range(endpoint: str, prefix: str) -> tuple[int, dict[str, tuple[bytes, int]]]:
    """(store revision, {key: (value, mod_revision)}) of every key under ``prefix``."""
    client = member_client(endpoint)
    result = client.post(client.get_url("/kv/range"), json={"key": b64(prefix), "range_end": b64(range_end(prefix))})
    return int(result["header"]["revision"]), {key: (value, rev) for key, value, rev in parse_kvs(result)}


def raw_put(endpoint: str, key: str, value: bytes) -> None:
    member_client(endpoint).put(key, value)
