"""A failed fsync is never retried on the same descriptor and never ignored (issue 11, item 11).

Linux reports a writeback error to fsync once per open file description and then forgets it, so an fsync
repeated on the same descriptor "succeeds" without the data being safe. An operation whose durability is
not certain raises StorageError (its state is the new one, or the old one before the commit point).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, loaded, make_state
from fs_scenarios import SCENARIOS, perform, prepare

from persist_core.errors import StorageError
from persist_fs import FsDriver
from persist_fs.steps import NotDurable


class Fsyncs:
    """Records every fsync (descriptor, inode) and fails the n-th one (0-based) with EIO."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.calls: list[tuple[int, int]] = []
        self.failed: tuple[int, int] | None = None

    @contextlib.contextmanager
    def active(self) -> Iterator[Fsyncs]:
        original = os.fsync

        def fsync(fd: int) -> None:
            call = (fd, os.fstat(fd).st_ino)
            self.calls.append(call)
            if len(self.calls) - 1 == self.fail_at:
                self.failed = call
                raise OSError(errno.EIO, "injected: Input/output error in fsync")
            original(fd)

        os.fsync = fsync  # type: ignore[assignment]
        try:
            yield self
        finally:
            os.fsync = original


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


# The directory whose fsync makes each one-step operation durable (after its commit point).
DURABLE_BY = {
    "first save": "sbs",
    "one container changed": f"sbs/{SID}/c1",
    "sandbox changed": f"sbs/{SID}",
    "container added": f"sbs/{SID}",
    "container removed": f"sbs/{SID}/c1",
    "destroy": "sbs",
}


@pytest.mark.parametrize("scenario", list(DURABLE_BY))
def test_the_fsync_that_makes_an_operation_durable_raises_when_it_fails(root: Path, scenario: str) -> None:
    before, after = SCENARIOS[scenario]
    root.mkdir(parents=True)
    probe_root = root / "probe"
    probe = prepare(probe_root, before, fsync="always")
    target = probe_root / DURABLE_BY[scenario]
    inode_before = _inode(target)
    with Fsyncs().active() as probing:
        perform(probe, after)
    inodes = {inode_before, _inode(target)} - {None}
    index = max(i for i, (_, inode) in enumerate(probing.calls) if inode in inodes)

    store = root / "store"
    driver = prepare(store, before, fsync="always")
    with Fsyncs(fail_at=index).active() as faults, pytest.raises(StorageError) as raised:
        perform(driver, after)
    assert isinstance(raised.value.__cause__, NotDurable), raised.value
    assert "durabl" in str(raised.value) and "Input/output error" in str(raised.value)
    assert faults.failed is not None
    retried = [call for call in faults.calls[index + 1 :] if call == faults.failed]
    assert not retried, f"{scenario}: the failed fsync was retried on the same descriptor"
    fresh = FsDriver(root=store)
    assert loaded(fresh) == encode(after), "past its commit point, the new state is what readers see"
    assert fresh.find_leftovers() == []


@pytest.mark.parametrize("scenario", [name for name in SCENARIOS if name != "first save"])
def test_no_failed_fsync_is_retried_on_the_same_descriptor(root: Path, scenario: str) -> None:
    before, after = SCENARIOS[scenario]
    root.mkdir(parents=True)
    with Fsyncs().active() as probing:
        perform(prepare(root / "probe", before, fsync="always"), after)
    for index in range(len(probing.calls)):
        store = root / f"at-{index}"
        driver = prepare(store, before, fsync="always")
        with Fsyncs(fail_at=index).active() as faults, contextlib.suppress(StorageError):
            perform(driver, after)
        retried = [call for call in faults.calls[index + 1 :] if call == faults.failed]
        assert not retried, f"{scenario}: fsync #{index} failed and was retried on the same descriptor"


def test_a_failed_fsync_while_applying_a_journal_keeps_the_journal(root: Path) -> None:
    """The commit is durable by its journal; the steps applied after it are not known to be, so the
    journal is not retired: the next writer applies it again (on fresh descriptors)."""
    driver = FsDriver(root=root, fsync="always")
    driver.save(*STATE_A)
    probe = FsDriver(root=root / "probe", fsync="always")
    probe.save(*STATE_A)
    directory = (root / "probe" / "sbs" / SID).stat().st_ino
    with Fsyncs().active() as probing:
        probe.save(*STATE_B)
    # A journaled save fsyncs the sandbox directory before naming the temporaries in the journal, again
    # at the commit point, then applies the steps (fsyncing their directories): fail the first of those.
    of_directory = [i for i, (_, inode) in enumerate(probing.calls) if inode == directory]
    commit = of_directory[1]
    assert len(probing.calls) > commit + 1, probing.calls
    journal = root / "sbs" / SID / ".journal"
    with Fsyncs(fail_at=commit + 1).active():
        driver.save(*STATE_B)  # durable at its commit point: returns
    assert journal.stat().st_size > 0, "a journal whose steps are not known to be durable was retired"
    assert loaded(FsDriver(root=root)) == encode(STATE_B)
    after = make_state("C", {"c0": "same"})
    FsDriver(root=root).save(*after)
    assert journal.stat().st_size == 0
    assert loaded(FsDriver(root=root)) == encode(after)
