"""Shared helpers for the fs driver tests: states, views of the tree, forked children, syscall faults."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import signal
import stat
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from persist_core import ContainerState, SandboxState, codec
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.kata_reader import read_like_kata
from persist_core.testing.samples import small_container, small_sandbox
from persist_fs import FsDriver

#: How long a test waits for anything a correct driver does at once (only a broken one waits this long).
PATIENCE = 60.0
SID = "sb"

State = tuple[SandboxState, dict[str, ContainerState]]
Encoded = tuple[bytes, dict[str, bytes]]


def make_state(label: str, containers: dict[str, str], sandbox_id: str = SID) -> State:
    return small_sandbox(sandbox_id, state=label), {cid: small_container(text) for cid, text in containers.items()}


# Two states with different container sets: c0 is the same in both, c2 differs, c1 / c3 and c4 come and go.
STATE_A = make_state("A", {"c0": "same", "c1": "a1", "c2": "a2"})
STATE_B = make_state("B", {"c0": "same", "c2": "b2", "c3": "b3", "c4": "b4"})


def encode(state: State | None) -> Encoded | None:
    if state is None:
        return None
    sandbox, containers = state
    return codec.dumps(sandbox), {cid: codec.dumps(container) for cid, container in containers.items()}


def loaded(driver: FsDriver, sandbox_id: str = SID) -> Encoded | None:
    """What ``load`` returns, as bytes (None if not stored)."""
    try:
        return encode(driver.load(sandbox_id))
    except SandboxNotFoundError:
        return None


def kata_view(root: Path, sandbox_id: str = SID) -> Encoded | None:
    """The tree as kata's Go reader sees it: persist.json, and every subdirectory holding one."""
    return read_like_kata(root / "sbs" / sandbox_id)


def visible_names(root: Path, sandbox_id: str = SID) -> set[str]:
    """Names in sbs/<sid> that are not hidden bookkeeping."""
    directory = root / "sbs" / sandbox_id
    if not directory.exists():
        return set()
    return {name for name in os.listdir(directory) if not name.startswith(".")}


def expected_names(state: State | None) -> set[str]:
    return set() if state is None else {"persist.json", *state[1]}


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes | None]]:
    """Every entry under ``root``: (inode, mode, bytes of regular files), to see what an operation changed."""
    entries: dict[str, tuple[int, int, bytes | None]] = {}
    if not root.exists():
        return entries
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory, name)
            st = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(st.st_mode) else None
            entries[str(path.relative_to(root))] = (st.st_ino, st.st_mode, content)
    return entries


# -- forked children ------------------------------------------------------------------------------


def fork(fn: Callable[[], Any]) -> int:
    """Run ``fn`` in a forked child that exits 0 if it returns, 1 (with a traceback on stderr) if it raises."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 0
        try:
            fn()
        except BaseException:
            traceback.print_exc()
            code = 1
        finally:
            sys.stderr.flush()
            os._exit(code)
    return pid


def wait(pid: int, timeout: float = PATIENCE) -> int:
    """The child's exit status (negative: killed by that signal); kills it and fails if it hangs."""
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise AssertionError(f"child {pid} did not finish within {timeout:g}s")
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


# -- system call faults ---------------------------------------------------------------------------

#: The calls on the write path that can fail with ENOSPC or EIO (os.* are looked up at call time).
WRITE_PATH = ("open", "write", "fsync", "fchmod", "rename", "mkdir", "unlink", "rmdir", "scandir")
CRASHED = 77


class Syscalls:
    """Counts write-path system calls; can make the n-th one fail with ``errno`` or kill the process."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_at: int | None = None
        self.fail_on: tuple[str, int] | None = None  # or: the n-th (1-based) call of this name
        self.errno = errno.EIO
        self.crash = False

    def _hit(self, name: str) -> None:
        index = len(self.calls)
        self.calls.append(name)
        if index == self.fail_at or (self.fail_on == (name, self.calls.count(name))):
            if self.crash:
                os._exit(CRASHED)  # as abrupt as SIGKILL: no cleanup, no finally blocks
            raise OSError(self.errno, f"injected: {os.strerror(self.errno)} in {name}")

    @contextlib.contextmanager
    def active(self) -> Iterator[Syscalls]:
        originals: dict[tuple[Any, str], Any] = {}

        def wrap(module: Any, name: str) -> None:
            original = getattr(module, name)
            originals[(module, name)] = original

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                self._hit(name)
                return original(*args, **kwargs)

            setattr(module, name, wrapper)

        for name in WRITE_PATH:
            wrap(os, name)
        wrap(fcntl, "flock")
        try:
            yield self
        finally:
            for (module, name), original in originals.items():
                setattr(module, name, original)


def count_calls(operation: Callable[[], Any]) -> list[str]:
    calls = Syscalls()
    with calls.active():
        operation()
    return calls.calls
