"""The figures: each driver operation the issue names, paired with its floor on the same filesystem.

A builder does its setup (saving the state to load, filling a store to list) before returning the case
and registers the cleanup on the given ExitStack; the samples time only the call that counts.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable

import attrs

from benchmarks import floors
from benchmarks.states import Workload
from benchmarks.stores import Store
from benchmarks.timing import Sample
from persist_core import PersistDriver, codec

SAVE_NEW = "save new"
SAVE_ONE = "save 1 changed"
LOAD = "load"
LIST = "sandbox_ids"
LOCK = "lock+unlock"
COLD = "cold start"


@attrs.frozen
class Case:
    store: str
    operation: str
    n: int | None
    figure: Sample
    floor: Sample
    floor_kind: str
    #: Relative share of the time budget (slow cases get more so that they still reach the minimum rounds).
    weight: float = 1.0


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def batched(operation: Callable[[], object], min_seconds: float = 200e-6, max_batch: int = 100) -> Sample:
    """A sample of several calls, for operations too short to time one by one; seconds per call."""
    once = min(_timed(operation) for _ in range(3))
    batch = max(1, min(max_batch, int(min_seconds / max(once, 1e-9))))

    def sample() -> float:
        started = time.perf_counter()
        for _ in range(batch):
            operation()
        return (time.perf_counter() - started) / batch

    return sample


def _removed_later(path: str, stack: contextlib.ExitStack) -> str:
    stack.callback(shutil.rmtree, path, ignore_errors=True)
    return path


def save_new(store: Store, driver: PersistDriver, work: Workload, n: int, stack: contextlib.ExitStack) -> Case:
    """Save of a sandbox never stored before, with N containers; each sample gets a fresh sandbox ID."""
    containers = work.containers(n)
    encoded = work.encoded(containers)
    floor_root = _removed_later(str(store.scratch(f"save-new-{n}")), stack)

    def figure() -> float:
        sandbox = work.sandbox(work.new_id())
        elapsed = _timed(lambda: driver.save(sandbox, containers))
        driver.destroy(sandbox.sandbox_container)
        return elapsed

    def floor() -> float:
        sandbox_id = work.new_id()
        sandbox = codec.dumps(work.sandbox(sandbox_id))
        elapsed = _timed(lambda: floors.write_new_sandbox(floor_root, sandbox_id, sandbox, encoded))
        shutil.rmtree(os.path.join(floor_root, sandbox_id))
        return elapsed

    floor_kind = f"durable write of {n + 1} new files"
    return Case(store.name, SAVE_NEW, n, figure, floor, floor_kind, weight=1 + n / 100)


def save_one_changed(store: Store, driver: PersistDriver, work: Workload, n: int, stack: contextlib.ExitStack) -> Case:
    """Save of a stored sandbox in which exactly one of its N containers changed since the last save."""
    sandbox = work.sandbox(work.new_id())
    containers = dict(work.containers(n))
    first = next(iter(containers))
    variants = [containers[first], work.changed(containers[first])]
    driver.save(sandbox, containers)
    stack.callback(driver.destroy, sandbox.sandbox_container)
    turn = [0]

    def figure() -> float:
        turn[0] ^= 1
        containers[first] = variants[turn[0]]
        return _timed(lambda: driver.save(sandbox, containers))

    floor_dir = str(store.scratch(f"save-one-{n}"))
    _removed_later(floor_dir, stack)
    floor_bytes = [codec.dumps(variant) for variant in variants]
    floors.write_durable(floor_dir, floor_bytes[0])
    floor_turn = [0]

    def floor() -> float:
        floor_turn[0] ^= 1
        data = floor_bytes[floor_turn[0]]
        return _timed(lambda: floors.write_durable(floor_dir, data))

    return Case(store.name, SAVE_ONE, n, figure, floor, "durable rewrite of 1 file", weight=1 + n / 100)


def load(store: Store, driver: PersistDriver, work: Workload, n: int, stack: contextlib.ExitStack) -> Case:
    """Load of a stored sandbox with N containers, into fresh objects."""
    sandbox = work.sandbox(work.new_id())
    sandbox_id = sandbox.sandbox_container
    containers = work.containers(n)
    driver.save(sandbox, containers)
    stack.callback(driver.destroy, sandbox_id)

    floor_root = _removed_later(str(store.scratch(f"load-{n}")), stack)
    encoded = work.encoded(containers)
    floors.write_new_sandbox(floor_root, sandbox_id, codec.dumps(sandbox), encoded)
    paths = floors.record_paths(floor_root, sandbox_id, list(encoded))
    sized = [(path, os.stat(path).st_size) for path in paths]

    figure = batched(lambda: driver.load(sandbox_id))
    floor = batched(lambda: floors.read_files(sized))
    return Case(store.name, LOAD, n, figure, floor, f"open+read+close of {n + 1} files", weight=1 + n / 100)


def listing(store: Store, work: Workload, count: int, stack: contextlib.ExitStack) -> Case:
    """``sandbox_ids()`` of a store holding ``count`` sandboxes (kata's zero sandbox: only the count matters)."""
    driver = store.open(f"list-{count}")
    floor_root = _removed_later(str(store.scratch(f"list-{count}")), stack)
    for _ in range(count):
        sandbox_id = work.new_id()
        driver.save(work.small_sandbox(sandbox_id), {})
        os.mkdir(os.path.join(floor_root, sandbox_id), 0o700)
    if len(driver.sandbox_ids()) != count:
        raise RuntimeError(f"{store.name}: expected {count} sandboxes in the listing store")
    # No cleanup: the listing store is a part of the store's scratch space, which goes as a whole.
    figure = batched(driver.sandbox_ids)
    floor = batched(lambda: floors.list_names(floor_root))
    return Case(store.name, LIST, count, figure, floor, f"os.scandir of {count} directories", weight=2)


def lock(store: Store, driver: PersistDriver, work: Workload, stack: contextlib.ExitStack) -> Case:
    """Exclusive lock and unlock of one sandbox, uncontended."""
    sandbox_id = work.new_id()
    floor_dir = _removed_later(str(store.scratch("lock")), stack)
    floor_path = os.path.join(floor_dir, "lock")

    def lock_unlock() -> None:
        with driver.lock(sandbox_id):
            pass

    figure = batched(lock_unlock)
    floor = batched(lambda: floors.lock_unlock(floor_path))
    return Case(store.name, LOCK, None, figure, floor, "open+flock+close")
