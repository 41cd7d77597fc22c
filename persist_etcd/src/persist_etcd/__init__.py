"""etcd persist driver: sandbox state in an etcd v3 cluster, for fleets where many hosts share it."""

from persist_etcd.driver import EtcdDriver
from persist_etcd.options import EtcdOptions

__all__ = ["EtcdDriver", "EtcdOptions"]
