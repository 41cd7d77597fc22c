"""The driver's store, re-opened in another process with ``get_driver(name, **options)``.

The kit uses it to check what a driver promises across processes (locks, durable state). The child is
``python -m persist_core.testing.remote``, so it depends on nothing but an installed persist-core and
the driver's entry point; it never re-imports the test module. Requests and replies are pickled
frames on the child's stdin and stdout; everything the child prints goes to its stderr.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

from persist_core import codec, errors
from persist_core.driver import Lock, PersistDriver
from persist_core.model import ContainerState, SandboxState
from persist_core.registry import get_driver
from persist_core.testing.background import DriverHangs

_HEADER = struct.Struct(">I")

#: A stored sandbox as bytes: the sandbox record and one record per container ID.
StoredBytes = tuple[bytes, dict[str, bytes]]


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    """The next message, or None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))  # our own child, over a private pipe


def stored_bytes(driver: PersistDriver, sandbox_id: str) -> StoredBytes:
    """What ``driver.load`` returns, as the codec's bytes (comparable across processes)."""
    sandbox, containers = driver.load(sandbox_id)
    return codec.dumps(sandbox), {cid: codec.dumps(state) for cid, state in containers.items()}


class RemoteError(AssertionError):
    """The other process failed with something that is not a persist error."""


class RemoteDriver:
    """A child process holding its own driver on the same store; each method runs there and waits."""

    def __init__(self, name: str, options: dict[str, Any], *, patience: float) -> None:
        self._patience = patience
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        self._stdin = self._process.stdin
        self._replies: queue.Queue[Any] = queue.Queue()
        stdout = self._process.stdout
        threading.Thread(target=self._read, args=(stdout,), daemon=True, name="persist-remote-reader").start()
        self._call("open", name, options)

    def _read(self, stdout: IO[bytes]) -> None:
        while True:
            message = _receive(stdout)
            self._replies.put(message)
            if message is None:
                return

    def _call(self, operation: str, *args: Any) -> Any:
        _send(self._stdin, (operation, args))
        try:
            reply = self._replies.get(timeout=self._patience)
        except queue.Empty:
            raise DriverHangs(
                f"the other process did not finish {operation}{args!r} within {self._patience:g}s: "
                "the driver seems to hang"
            ) from None
        if reply is None:
            raise RemoteError(f"the other process died during {operation}{args!r} (its stderr is above)")
        status, value = reply
        if status == "ok":
            return value
        error_type, message = value
        error = getattr(errors, error_type, None)
        if isinstance(error, type) and issubclass(error, errors.PersistError):
            raise error(f"in the other process: {message}")
        raise RemoteError(f"{operation}{args!r} failed in the other process: {error_type}: {message}")

    def acquire(self, sandbox_id: str, *, exclusive: bool, timeout: float | None) -> int:
        """Take a lock there; returns a token for ``release``."""
        token: int = self._call("acquire", sandbox_id, exclusive, timeout)
        return token

    def release(self, token: int) -> None:
        self._call("release", token)

    def save(self, sandbox: SandboxState, containers: dict[str, ContainerState]) -> None:
        self._call("save", codec.dumps(sandbox), {cid: codec.dumps(state) for cid, state in containers.items()})

    def stored_bytes(self, sandbox_id: str) -> StoredBytes:
        result: StoredBytes = self._call("stored_bytes", sandbox_id)
        return result

    def destroy(self, sandbox_id: str) -> None:
        self._call("destroy", sandbox_id)

    def sandbox_ids(self) -> list[str]:
        result: list[str] = self._call("sandbox_ids")
        return result

    def increment_under_lock(self, sandbox_id: str, times: int) -> None:
        """``times`` read-modify-write cycles of the sandbox's ``guest_memory_block_size_mb``, each under the lock."""
        self._call("increment", sandbox_id, times)

    def close(self) -> None:
        """End the child (which releases whatever it holds) and reap it."""
        self._stdin.close()
        try:
            self._process.wait(timeout=self._patience)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> RemoteDriver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def increment_under_lock(driver: PersistDriver, sandbox_id: str, times: int) -> None:
    """Read, bump and write back one counter field, holding the exclusive lock for each cycle."""
    for _ in range(times):
        with driver.lock(sandbox_id, exclusive=True, timeout=None):
            sandbox, containers = driver.load(sandbox_id)
            sandbox.guest_memory_block_size_mb += 1
            driver.save(sandbox, containers)


class _Server:
    """The child's side: one driver, the locks it holds, one request at a time."""

    def __init__(self) -> None:
        self.driver: PersistDriver | None = None
        self.locks: dict[int, Lock] = {}

    def _driver(self) -> PersistDriver:
        assert self.driver is not None, "open must come first"
        return self.driver

    def open(self, name: str, options: dict[str, Any]) -> None:
        try:
            self.driver = get_driver(name, **options)
        except errors.DriverNotFoundError as exc:
            raise errors.DriverNotFoundError(
                f"{exc}. Another process finds drivers only through installed entry points "
                "(group 'persist.drivers'); register_driver() in the test process is not visible there"
            ) from exc

    def acquire(self, sandbox_id: str, exclusive: bool, timeout: float | None) -> int:
        lock = self._driver().lock(sandbox_id, exclusive=exclusive, timeout=timeout)
        lock.acquire()
        token = len(self.locks) + 1
        self.locks[token] = lock
        return token

    def release(self, token: int) -> None:
        self.locks.pop(token).release()

    def save(self, sandbox: bytes, containers: dict[str, bytes]) -> None:
        self._driver().save(
            codec.loads(sandbox, SandboxState),
            {cid: codec.loads(data, ContainerState) for cid, data in containers.items()},
        )

    def stored_bytes(self, sandbox_id: str) -> StoredBytes:
        return stored_bytes(self._driver(), sandbox_id)

    def destroy(self, sandbox_id: str) -> None:
        self._driver().destroy(sandbox_id)

    def sandbox_ids(self) -> list[str]:
        return self._driver().sandbox_ids()

    def increment(self, sandbox_id: str, times: int) -> None:
        increment_under_lock(self._driver(), sandbox_id, times)


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    server = _Server()
    while (request := _receive(requests)) is not None:
        operation, args = request
        handler: Callable[..., Any] = getattr(server, operation)
        try:
            reply: tuple[str, Any] = ("ok", handler(*args))
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the test process
            reply = ("error", (type(exc).__name__, str(exc)))
        _send(replies, reply)


def main() -> None:
    # The pipe to the test process is a private copy of stdout; whatever the driver prints goes to stderr.
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    _serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
