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
from persist_core.cli.encoded_sandbox import EncodedSandbox, read_encoded_sandbox
from persist_core.cli.interrupt import deferred_interrupt
from persist_core.cli.options import describe
from persist_core.cli.progress import ProgressBar
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


def _difference(expected: EncodedSandbox, actual: EncodedSandbox) -> str:
    if expected.sandbox_document != actual.sandbox_document:
        return "the sandbox document differs"
    missing = sorted(set(expected.container_documents) - set(actual.container_documents))
    extra = sorted(set(actual.container_documents) - set(expected.container_documents))
    if missing or extra:
        return f"containers missing: {missing or 'none'}, unexpected: {extra or 'none'}"
    changed = [cid for cid, doc in expected.container_documents.items() if actual.container_documents[cid] != doc]
    return f"container documents differ: {changed}"


def verify(driver: PersistDriver, expected: EncodedSandbox) -> None:
    """Load the sandbox back and compare encoded bytes; raise StorageError naming what differs."""
    store = describe(driver)
    actual = read_encoded_sandbox(driver, expected.sandbox_id, where=store)
    if not expected.same_documents(actual):
        raise StorageError(
            f"sandbox {expected.sandbox_id!r} read back from {store} is not what was written: "
            f"{_difference(expected, actual)}"
        )


WRITTEN = "written"
SKIPPED = "skipped"


def write_verified(
    driver: PersistDriver, encoded: EncodedSandbox, *, replace: bool, timeout: float, skip_existing: bool = False
) -> str:
    """Save under the exclusive lock, refusing to overwrite unless ``replace``, then verify.

    With ``skip_existing`` a sandbox already stored with exactly these documents is left alone (a rerun
    resumes an interrupted copy); one stored with other documents is still refused, never silently kept.
    Returns WRITTEN or SKIPPED.
    """
    with driver.lock(encoded.sandbox_id, exclusive=True, timeout=timeout):
        if not replace and is_stored(driver, encoded.sandbox_id):
            if skip_existing and _stored_equals(driver, encoded):
                return SKIPPED
            differs = " with other content" if skip_existing else ""
            raise InvalidArgumentError(
                f"sandbox {encoded.sandbox_id!r} is already stored in {describe(driver)}{differs}; "
                "nothing written (use --replace to overwrite it)"
            )
        driver.save(encoded.sandbox, encoded.containers)
        verify(driver, encoded)
    return WRITTEN


def _stored_equals(driver: PersistDriver, encoded: EncodedSandbox) -> bool:
    try:
        stored = read_encoded_sandbox(driver, encoded.sandbox_id, where=describe(driver))
    except PersistError:
        return False  # corrupt or unreadable: not the same, so not skipped
    return encoded.same_documents(stored)


@attrs.frozen
class Outcome:
    total: int
    done: int  # sandboxes dealt with (written, skipped or failed) before the end or an interrupt
    written: int
    containers: int
    skipped: int
    failed: int

    @property
    def interrupted(self) -> bool:
        return self.done < self.total

    def summary(self, verb: str, route: str) -> str:
        """E.g. ``copied 2 of 3 sandboxes (3 containers) from A to B, verified; 1 failed``."""
        containers = output.count(self.containers, "container")
        text = f"{verb} {self.written} of {output.count(self.total, 'sandbox')} ({containers}) {route}"
        if self.written:
            text += ", verified"
        if self.skipped:
            text += f"; {self.skipped} skipped (already stored, identical)"
        if self.failed:
            text += f"; {self.failed} failed"
        if self.interrupted:
            text = f"interrupted after {self.done} of {self.total}: " + text
            text += f"; {self.total - self.done} not started (rerun with --skip-existing to go on)"
        return text

    @property
    def status(self) -> int:
        if self.interrupted:
            return output.EXIT_INTERRUPTED
        return output.EXIT_FAILED if self.failed else output.EXIT_OK


def write_all(
    target: PersistDriver,
    sandbox_ids: Sequence[str],
    fetch: Callable[[str], EncodedSandbox],
    *,
    replace: bool,
    timeout: float,
    label: str,
    progress: str,
    debug: bool,
    skip_existing: bool = False,
) -> Outcome:
    """Fetch and write each sandbox; one that fails is reported on its own line and the rest go on.

    Ctrl-C stops at the next sandbox boundary (see ``interrupt``), so nothing is left half-written.
    """
    written = containers = skipped = failed = done = 0
    with (
        deferred_interrupt() as stop,
        ProgressBar(len(sandbox_ids), label=label, stream=sys.stderr, mode=progress) as bar,
    ):
        for sandbox_id in sandbox_ids:
            if stop.requested:
                break
            bar.update(done, sandbox_id)
            try:
                encoded = fetch(sandbox_id)
                result = write_verified(target, encoded, replace=replace, timeout=timeout, skip_existing=skip_existing)
            except PersistError as exc:
                bar.close()
                output.failure(exc, debug=debug)
                failed += 1
            else:
                if result == SKIPPED:
                    skipped += 1
                else:
                    written += 1
                    containers += len(encoded.containers)
            done += 1
        bar.update(done)
    return Outcome(
        total=len(sandbox_ids), done=done, written=written, containers=containers, skipped=skipped, failed=failed
    )
