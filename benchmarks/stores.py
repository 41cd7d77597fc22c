"""The stores measured: memory, fs on tmpfs, fs on a disk directory, and etcd on loopback.

Each is opened through ``persist_core.get_driver`` exactly as a runtime opens it. A store that cannot be
opened (the fs driver not installed yet, no etcd binary) is skipped with the reason, never an error, so
the runner works with whatever drivers the machine has.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from benchmarks.machine import filesystem_type, is_memory_filesystem
from persist_core import PersistDriver, get_driver
from persist_core.errors import PersistError

STORES = ("memory", "fs-tmpfs", "fs-disk", "etcd")

Options = Callable[[str], dict[str, Any]]


@attrs.define
class Store:
    """One driver on one filesystem; ``directory`` is scratch space there, where its floors are measured."""

    name: str
    driver_name: str
    directory: Path
    options: Options
    notes: list[str] = attrs.Factory(list)

    @property
    def filesystem(self) -> str:
        return filesystem_type(self.directory)

    def open(self, part: str) -> PersistDriver:
        """A driver on a part of the store of its own (a separate root, prefix or namespace)."""
        return get_driver(self.driver_name, **self.options(part))

    def scratch(self, part: str) -> Path:
        path = self.directory / "floor" / part
        path.mkdir(parents=True)
        return path


class Skip(Exception):
    """This store cannot be measured here; the message says why."""


def _scratch(parent: Path, stack: contextlib.ExitStack) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="persist-bench-", dir=parent)))


def _fs(name: str, driver_name: str, parent: Path, stack: contextlib.ExitStack, *, want_memory: bool) -> Store:
    directory = _scratch(parent, stack)
    store = Store(name, driver_name, directory, lambda part: {"root": str(directory / "stores" / part)})
    if is_memory_filesystem(directory) != want_memory:
        kind = "tmpfs" if want_memory else "a disk filesystem"
        store.notes.append(f"{directory} is on {store.filesystem}, not {kind}: figures are not comparable")
    return store


def _etcd(disk: Path, stack: contextlib.ExitStack, label: str) -> Store:
    try:
        from persist_etcd.testing import EtcdCluster, EtcdUnavailable
    except ImportError as exc:
        raise Skip(f"persist_etcd is not installed ({exc})") from exc
    directory = _scratch(disk, stack)
    cluster = EtcdCluster(directory / "etcd", 1)
    try:
        cluster.start()
    except EtcdUnavailable as exc:
        raise Skip(str(exc)) from exc
    stack.callback(cluster.stop)
    endpoints = list(cluster.endpoints)
    store = Store("etcd", "etcd", directory, lambda part: {"endpoints": endpoints, "prefix": f"/bench/{label}/{part}"})
    store.notes.append(f"one etcd member on loopback, data in {directory / 'etcd'} ({store.filesystem})")
    return store


def open_store(name: str, *, tmpfs: Path, disk: Path, fs_driver: str, label: str, stack: contextlib.ExitStack) -> Store:
    """Set up the store ``name`` (cleaned up by ``stack``) and check that its driver works, or raise Skip."""
    if name == "memory":
        store = Store("memory", "memory", _scratch(tmpfs, stack), lambda part: {})
        store.notes.append("floors on tmpfs")
    elif name == "fs-tmpfs":
        store = _fs(name, fs_driver, tmpfs, stack, want_memory=True)
    elif name == "fs-disk":
        store = _fs(name, fs_driver, disk, stack, want_memory=False)
    elif name == "etcd":
        store = _etcd(disk, stack, label)
    else:
        raise ValueError(f"unknown store {name!r}; choose from {', '.join(STORES)}")
    try:
        store.open("probe").sandbox_ids()
    except PersistError as exc:
        raise Skip(f"driver {store.driver_name!r} cannot be used: {exc}") from exc
    return store
