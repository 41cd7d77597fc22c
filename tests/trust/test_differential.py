"""Every cache and skip is invisible: random runtimes, other writers and wrong types, checked every step.

Run for the memory driver, and for fs on tmpfs (nanosecond timestamps) and on ext4 with whole-second
timestamps, where another writer's change in the same second as a save keeps size and mtime (and, for
a replaced file, often the inode number). See trust_machine.py for what is checked after every step.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule, run_state_machine_as_test
from trust_machine import CIDS, SID, Encoded, RuntimeMachine, valid_states
from trust_values import TOKENS, FreshCodec, sandbox

from persist_core import ContainerState, codec
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.kata_reader import read_like_kata
from persist_fs import FsDriver
from persist_memory import MemoryDriver

_runs = itertools.count()


def _settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


class MemoryRuntime(RuntimeMachine):
    def __init__(self) -> None:
        self.namespace = f"trust-{os.getpid()}-{next(_runs)}"
        super().__init__()

    def make_driver(self) -> MemoryDriver:
        return MemoryDriver(namespace=self.namespace)

    def fresh_records(self) -> Encoded | None:
        try:
            stored = MemoryDriver(namespace=self.namespace, cache_bytes=0)._load(SID)
        except SandboxNotFoundError:
            return None
        return stored.sandbox.data, {cid: record.data for cid, record in stored.containers.items()}

    def other_writer(self) -> Callable[[Any, dict[str, Any]], None]:
        return MemoryDriver(namespace=self.namespace).save


def _flip_token(data: bytes) -> bytes:
    """The same record with its one-letter token changed: the same size, as a tool's small edit is."""
    first, second = (f'"Token":"{token}"'.encode() for token in TOKENS)
    return data.replace(first, second) if first in data else data.replace(second, first)


class FsRuntime(RuntimeMachine):
    """Also: kata's in-place ToDisk, a tool's same-size edits, files replaced, another process's saves."""

    base: Path
    #: kata's Go reader (benchmarks/kata_go), or None where Go is not installed.
    kata: Any = None

    def __init__(self) -> None:
        self.root = self.base / f"run{next(_runs)}"
        super().__init__()

    def teardown(self) -> None:
        """kata's Go runtime reads exactly the last write too: its FromDisk, then its ToDisk elsewhere, gives
        the stored bytes back (Go re-encodes persist's bytes byte for byte, tests/benchmarks checks that)."""
        if self.kata is None:
            return
        if self.stored is None:
            with pytest.raises(RuntimeError):
                self.kata.call("load", str(self.root), SID)
            return
        self.kata.call("load", str(self.root), SID)
        rewritten = self.base / f"{self.root.name}-by-go"
        self.kata.call("todisk", str(rewritten))
        assert read_like_kata(rewritten / "sbs" / SID) == self.stored

    def make_driver(self) -> FsDriver:
        return FsDriver(root=self.root)

    @property
    def directory(self) -> Path:
        return self.root / "sbs" / SID

    def fresh_records(self) -> Encoded | None:
        try:
            stored = FsDriver(root=self.root, cache_bytes=0)._load(SID)
        except SandboxNotFoundError:
            found = None
        else:
            found = stored.sandbox.data, {cid: record.data for cid, record in stored.containers.items()}
        assert read_like_kata(self.directory) == found  # what kata's Go reader would see agrees
        return found

    def other_writer(self) -> Callable[[Any, dict[str, Any]], None]:
        return FsDriver(root=self.root).save

    @precondition(lambda self: self.stored is not None)
    @rule(label=st.sampled_from(["A", "B", "K"]))
    def kata_saves_in_place(self, label: str) -> None:
        """kata's ToDisk: every file rewritten with O_TRUNC, same inode, no rename."""
        assert self.stored is not None
        box = codec.dumps(sandbox(SID, label))
        containers = {cid: _flip_token(data) for cid, data in self.stored[1].items()}
        _write_in_place(self.directory / "persist.json", box)
        for cid, data in containers.items():
            _write_in_place(self.directory / cid / "persist.json", data)
        self.stored = (box, containers)

    @precondition(lambda self: self.stored is not None)
    @rule(cid=st.sampled_from(CIDS))
    def tool_edits_in_place_keeping_size_and_mtime(self, cid: str) -> None:
        self._tool_rewrites(cid, _write_in_place)

    @precondition(lambda self: self.stored is not None)
    @rule(cid=st.sampled_from(CIDS))
    def tool_replaces_a_file(self, cid: str) -> None:
        """Unlink and create: on ext4 the new file usually gets the freed inode number back."""
        self._tool_rewrites(cid, _replace_file)

    def _tool_rewrites(self, cid: str, write: Callable[[Path, bytes], None]) -> None:
        """A tool changes a stored container's record to one of the same size and puts its mtime back."""
        assert self.stored is not None
        if cid not in self.stored[1]:
            return
        path = self.directory / cid / "persist.json"
        before = path.stat()
        data = _flip_token(self.stored[1][cid])
        write(path, data)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        self.stored = (self.stored[0], {**self.stored[1], cid: data})

    @rule(label=st.sampled_from(["A", "B", "P"]), states=st.dictionaries(st.sampled_from(CIDS), valid_states()))
    def another_process_saves(self, label: str, states: dict[str, ContainerState]) -> None:
        box = sandbox(SID, label)
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            code = 1
            try:
                FsDriver(root=self.root).save(box, states)
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        self.stored = (codec.dumps(box), {cid: codec.dumps(state) for cid, state in states.items()})


def _write_in_place(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _replace_file(path: Path, data: bytes) -> None:
    path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_memory_driver_caches_are_invisible(fresh_codec: FreshCodec) -> None:
    MemoryRuntime.fresh = fresh_codec
    run_state_machine_as_test(MemoryRuntime, settings=_settings(40))


def test_fs_caches_are_invisible_on_tmpfs(fresh_codec: FreshCodec, tmpfs_base: Path, kata_go: Any) -> None:
    FsRuntime.fresh, FsRuntime.base, FsRuntime.kata = fresh_codec, tmpfs_base, kata_go
    run_state_machine_as_test(FsRuntime, settings=_settings(30))


def test_fs_caches_are_invisible_on_ext4_with_whole_second_timestamps(
    fresh_codec: FreshCodec, coarse_base: Path, kata_go: Any
) -> None:
    FsRuntime.fresh, FsRuntime.base, FsRuntime.kata = fresh_codec, coarse_base, kata_go
    run_state_machine_as_test(FsRuntime, settings=_settings(20))


@pytest.mark.parametrize("cache_bytes", [0, 1 << 20])
def test_a_cache_size_changes_no_result(fresh_codec: FreshCodec, tmpfs_base: Path, cache_bytes: int) -> None:
    class Sized(FsRuntime):
        def make_driver(self) -> FsDriver:
            return FsDriver(root=self.root, cache_bytes=cache_bytes)

    Sized.fresh, Sized.base = fresh_codec, tmpfs_base
    run_state_machine_as_test(Sized, settings=_settings(10))


def test_fsync_on_tmpfs_changes_no_result(fresh_codec: FreshCodec, tmpfs_base: Path) -> None:
    """The default skips fsync on tmpfs (test_fs_caches_are_invisible_on_tmpfs runs it); the disk
    protocol, forced there, must give exactly the same results."""

    class Synced(FsRuntime):
        def make_driver(self) -> FsDriver:
            return FsDriver(root=self.root, fsync="always")

        def other_writer(self) -> Callable[[Any, dict[str, Any]], None]:
            return FsDriver(root=self.root, fsync="always").save

    Synced.fresh, Synced.base = fresh_codec, tmpfs_base
    run_state_machine_as_test(Synced, settings=_settings(10))
