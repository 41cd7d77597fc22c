"""Reading and writing etcd behind the driver's back, so tests can check what it really stored."""

from __future__ import annotations

import urllib.parse

import etcd3gw

from persist_etcd.gateway import b64, parse_kvs
from persist_etcd.keys import Layout, range_end
from persist_etcd.options import parse_prefix
from persist_etcd.stored import decode_manifest


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


def record_keys(endpoint: str, prefix: str, sandbox_id: str) -> dict[str, str]:
    """The keys a reader of ``sandbox_id`` reads now: {"": sandbox record, container ID: its record}.

    Follows the manifest as the driver does, so a test can read or overwrite a container's current
    record behind the driver's back.
    """
    layout = Layout(parse_prefix(prefix))
    _, kvs = raw_range(endpoint, layout.containers_dir(sandbox_id))
    keys = {"": layout.sandbox_key(sandbox_id)}
    manifest_key = layout.manifest_key(sandbox_id)
    if manifest_key in kvs:
        for cid, stamp in decode_manifest(kvs[manifest_key][0], manifest_key).items():
            keys[cid] = layout.container_key(sandbox_id, cid, stamp)
    return keys
