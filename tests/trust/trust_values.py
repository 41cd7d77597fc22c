"""Values a Python runtime really passes (right and wrong types that compare equal), and a fresh codec.

The fresh codec is a process started for the test that has never seen a driver: what it refuses or
writes for an object is what ``codec.dumps`` does with no history at all.
"""

from __future__ import annotations

import enum
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from persist_core import ContainerState, SandboxState, codec
from persist_core.errors import EncodeError
from persist_core.model.container import Mount, Process


class Phase(str, enum.Enum):  # noqa: UP042 - the (str, Enum) runtimes write, not only StrEnum
    """A str enum, as runtimes define container states: equal to the string, refused by the codec."""

    RUNNING = "running"
    PAUSED = "paused"


class Text(str):
    """A str subclass (what some frameworks hand out): equal to the string, refused by the codec."""


#: Container states: valid strings, and values equal to them that Go could not have written.
STATES: list[Any] = ["running", "paused", "stopped", Phase.RUNNING, Phase.PAUSED, Text("running")]
#: Pids: valid ints, and floats, bools and an out-of-range int, several equal to a valid one.
PIDS: list[Any] = [0, 1, 7, 7.0, True, 1.0, False, 2**70]
#: Tokens of one length, so that a tool's edit of one into the other keeps a record's size.
TOKENS = ["t", "u"]
#: Mount options: a list, a tuple equal in content, None, an empty list, a list with a str subclass.
OPTIONS: list[Any] = [None, ["ro"], ("ro",), [], ["ro", Text("rw")]]


def container(state: Any = "running", pid: Any = 1, token: str = "t", options: Any = None) -> ContainerState:
    mounts = None if options == "no mounts" else [Mount(source="/src", destination="/dst", options=options)]
    return ContainerState(state=state, process=Process(pid=pid, token=token), mounts=mounts, bundle_path="/b")


def sandbox(sandbox_id: str, label: str = "A") -> SandboxState:
    return SandboxState(sandbox_container=sandbox_id, state=label)


def _dumps_outcome(obj: Any) -> tuple[str, Any]:
    try:
        return "ok", codec.dumps(obj)
    except EncodeError as exc:
        return "refused", str(exc)


class FreshCodec:
    """``codec.dumps`` in a process of its own that no driver ever ran in."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))

    def outcome(self, obj: Any) -> tuple[str, Any]:
        """("ok", bytes) or ("refused", message)."""
        return self._pool.submit(_dumps_outcome, obj).result(timeout=120)

    def outcomes(self, objects: dict[str, Any]) -> dict[str, tuple[str, Any]]:
        futures = {key: self._pool.submit(_dumps_outcome, obj) for key, obj in objects.items()}
        return {key: future.result(timeout=120) for key, future in futures.items()}

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)
