"""Throwaway etcd clusters on loopback, for this driver's tests and for benchmarks."""

from persist_etcd.testing.peek import member_client, raw_put, raw_range, record_keys
from persist_etcd.testing.server import (
    EtcdCluster,
    EtcdMember,
    EtcdUnavailable,
    TlsFiles,
    find_etcd,
    make_tls_files,
    running_cluster,
)

__all__ = [
    "EtcdCluster",
    "EtcdMember",
    "EtcdUnavailable",
    "TlsFiles",
    "find_etcd",
    "make_tls_files",
    "member_client",
    "raw_put",
    "raw_range",
    "record_keys",
    "running_cluster",
]
