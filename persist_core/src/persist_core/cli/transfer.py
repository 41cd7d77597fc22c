"""Writing sandboxes into a store and proving they arrived: shared by ``import`` and ``copy``.

Each sandbox is written under its exclusive lock and read back under the same lock; the copy counts
only if every document reads back byte for byte as the codec encoded it from the source.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import attrs

from persist_core import PersistDriver
from persist_core.cli import output
from persist_core.cli.options import describe
from persist_core.cli.progress import ProgressBar
from persist_core.cli.snapshot import Snapshot, read_snapshot
from persist_core.errors import InvalidArgumentError, PersistError, SandboxNotFoundError, StorageError


def is_stored(driver: PersistDriver, sandbox_id: str) -> bool:
    """Whether anything is stored under the ID, readable or not (a corrupt sandbox is still there)."""
    try:
        driver.load(sandbox_id)
    except SandboxNotFoundError:
        return False
    except PersistError:
        return True
    return True


def _difference(expected: Snapshot, actual: Snapshot) -> str:
    if expected.sandbox_document != actual.sandbox_document:
        return "the sandbox document differs"
    missing = sorted(set(expected.container_documents) - set(actual.container_documents))
    extra = sorted(set(actual.container_documents) - set(expected.container_documents))
    if missing or extra:
        return f"containers missing: {missing or 'none'}, unexpected: {extra or 'none'}"
    changed = [cid for cid, doc in expected.container_documents.items() if actual.container_documents[cid] != doc]
    return f"container documents differ: {changed}"


def verify(driver: PersistDriver, expected: Snapshot) -> None:
    """Load the sandbox back and compare encoded bytes; raise StorageError naming what differs."""
    store = describe(driver)
    actual = read_snapshot(driver, expected.sandbox_id, where=store)
    if not expected.same_documents(actual):
        raise StorageError(
            f"sandbox {expected.sandbox_id!r} read back from {store} is not what was written: "
            f"{_difference(expected, actual)}"
        )


def write_verified(driver: PersistDriver, snapshot: Snapshot, *, replace: bool, timeout: float) -> None:
    """Save under the exclusive lock, refusing to overwrite unless ``replace``, then verify."""
    with driver.lock(snapshot.sandbox_id, exclusive=True, timeout=timeout):
        if not replace and is_stored(driver, snapshot.sandbox_id):
            raise InvalidArgumentError(
                f"sandbox {snapshot.sandbox_id!r} is already stored in {describe(driver)}; "
                "nothing written (use --replace to overwrite it)"
            )
        driver.save(snapshot.sandbox, snapshot.containers)
        verify(driver, snapshot)


@attrs.frozen
class Outcome:
    written: int
    containers: int
    failed: int

    def summary(self, verb: str, total: int, route: str) -> str:
        """E.g. ``copied 2 of 3 sandboxes (3 containers) from A to B, verified; 1 failed``."""
        containers = output.count(self.containers, "container")
        text = f"{verb} {self.written} of {output.count(total, 'sandbox')} ({containers}) {route}"
        if self.written:
            text += ", verified"
        if self.failed:
            text += f"; {self.failed} failed"
        return text


def write_all(
    target: PersistDriver,
    sandbox_ids: Sequence[str],
    fetch: Callable[[str], Snapshot],
    *,
    replace: bool,
    timeout: float,
    label: str,
    progress: str,
    debug: bool,
) -> Outcome:
    """Fetch and write each sandbox; one that fails is reported on its own line and the rest go on."""
    written = containers = failed = 0
    with ProgressBar(len(sandbox_ids), label=label, stream=sys.stderr, mode=progress) as bar:
        for done, sandbox_id in enumerate(sandbox_ids):
            bar.update(done, sandbox_id)
            try:
                snapshot = fetch(sandbox_id)
                write_verified(target, snapshot, replace=replace, timeout=timeout)
            except PersistError as exc:
                bar.close()
                output.failure(exc, debug=debug)
                failed += 1
            else:
                written += 1
                containers += len(snapshot.containers)
        bar.update(len(sandbox_ids))
    return Outcome(written=written, containers=containers, failed=failed)
