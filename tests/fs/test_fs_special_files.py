"""FIFOs, devices and huge files planted in the tree: nothing persist opens may block, and nothing it reads
may be larger than the driver's limit (issue 11, items 8 and 10).

Each operation that could hang runs in a forked child, so a regression fails the test (the child is
killed after ``PATIENCE``) instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import os
import resource
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fs_helpers import SID, STATE_A, encode, fork, loaded, make_state, wait

from persist_core import get_driver
from persist_core.errors import CorruptStateError, InvalidArgumentError, PersistError, StorageError
from persist_fs import FsDriver
from persist_fs.driver import DEFAULT_MAX_RECORD_SIZE

GIB = 1 << 30


def _in_child(operation: Callable[[], Any]) -> None:
    """Run ``operation`` in a forked child; it must return or raise one of persist's errors, promptly."""

    def child() -> None:
        with contextlib.suppress(PersistError):
            operation()

    assert wait(fork(child)) == 0


def _raises_in_child(operation: Callable[[], Any], error: type[PersistError], *words: str) -> None:
    """``operation`` raises ``error`` (with ``words`` in its message) in a forked child, without blocking."""

    def child() -> None:
        with pytest.raises(error) as raised:
            operation()
        for word in words:
            assert word in str(raised.value), raised.value

    assert wait(fork(child)) == 0


# -- FIFOs and devices -----------------------------------------------------------------------------


def test_a_fifo_journal_blocks_nothing(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    journal = root / "sbs" / SID / ".journal"
    journal.unlink()
    os.mkfifo(journal)
    where = str(journal)
    _raises_in_child(lambda: FsDriver(root=root).load(SID), CorruptStateError, where, "not a regular file")
    _raises_in_child(lambda: FsDriver(root=root).save(*make_state("B", {"c1": "b"})), CorruptStateError, where)
    # find_leftovers reports it; clean_leftovers removes it (a journal that is no file is never ours).
    fresh = FsDriver(root=root)
    _in_child(fresh.find_leftovers)
    assert fresh.find_leftovers() == [f"journal that is not a regular file: {where}"]
    assert fresh.clean_leftovers() == [f"journal that is not a regular file: {where}"]
    assert loaded(fresh) == encode(STATE_A)
    fresh.save(*make_state("B", {"c1": "b"}))
    assert loaded(fresh) == encode(make_state("B", {"c1": "b"}))


def test_a_fifo_lock_file_blocks_no_lock(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    with driver.lock(SID, exclusive=False):
        pass  # makes sbs/.locks
    os.mkfifo(root / "sbs" / ".locks" / "other")
    for timeout in (0, 5, None):
        _raises_in_child(
            lambda timeout=timeout: FsDriver(root=root).lock("other", exclusive=True, timeout=timeout).acquire(),
            StorageError,
            str(root / "sbs" / ".locks" / "other"),
        )
    # find_leftovers reports it (without waiting), clean_leftovers removes it; then the lock works.
    fresh = FsDriver(root=root)
    _in_child(fresh.find_leftovers)
    expected = [f"lock file that is not a regular file: {root / 'sbs' / '.locks' / 'other'}"]
    assert fresh.find_leftovers() == expected
    assert fresh.clean_leftovers() == expected
    with fresh.lock("other", exclusive=True, timeout=0):
        pass


def test_fifos_in_place_of_records_and_temporaries_block_nothing(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    os.mkfifo(root / "sbs" / SID / ".new-sandbox")  # a temporary a writer would unlink first
    record = root / "sbs" / SID / "c1" / "persist.json"
    record.unlink()
    os.mkfifo(record)
    _raises_in_child(lambda: FsDriver(root=root).load(SID), CorruptStateError, str(record))
    _in_child(lambda: FsDriver(root=root).save(*STATE_A))
    _in_child(FsDriver(root=root).clean_leftovers)


@pytest.mark.parametrize("where", ["persist.json", ".journal"])
def test_devices_in_place_of_files_are_refused(driver: FsDriver, root: Path, where: str) -> None:
    """/dev/zero would be read forever; a device at .journal was taken for an empty (settled) journal."""
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root (CAP_MKNOD); the FIFO tests cover the unprivileged case")
    driver.save(*STATE_A)
    path = root / "sbs" / SID / where
    path.unlink()
    os.mknod(path, 0o600 | 0o020000, os.makedev(1, 5))  # a character device: /dev/zero
    _raises_in_child(lambda: FsDriver(root=root).load(SID), CorruptStateError, str(path), "not a regular file")


# -- sizes -----------------------------------------------------------------------------------------


def _peak_rss_growth(operation: Callable[[], Any]) -> int:
    """How much ``operation`` raised the peak resident size of a forked child (bytes)."""
    read, write = os.pipe()

    def child() -> None:
        os.close(read)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with contextlib.suppress(PersistError):
            operation()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        os.write(write, str((after - before) * 1024).encode())

    pid = fork(child)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        growth = pipe.read()
    assert wait(pid) == 0
    return int(growth)


def test_a_huge_sparse_record_is_refused_without_being_read(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    record = root / "sbs" / SID / "persist.json"
    os.truncate(record, GIB)  # sparse: costs nothing on disk, 1 GiB to whoever reads it
    with pytest.raises(CorruptStateError) as raised:
        FsDriver(root=root).load(SID)
    message = str(raised.value)
    assert str(record) in message and str(DEFAULT_MAX_RECORD_SIZE) in message and "max_record_size" in message
    growth = _peak_rss_growth(lambda: FsDriver(root=root).load(SID))
    assert growth < 64 << 20, f"loading grew the process by {growth >> 20} MiB"


def test_a_huge_sparse_journal_is_refused_without_being_read(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    journal = root / "sbs" / SID / ".journal"
    os.truncate(journal, GIB)
    for operation in (
        lambda: FsDriver(root=root).load(SID),
        lambda: FsDriver(root=root).save(*make_state("B", {"c1": "b"})),
        lambda: FsDriver(root=root).find_leftovers(),
    ):
        with pytest.raises(CorruptStateError, match="journal"):
            operation()
        growth = _peak_rss_growth(operation)
        assert growth < 64 << 20, f"grew the process by {growth >> 20} MiB"


def test_the_record_size_limit_is_a_driver_option(root: Path) -> None:
    small = FsDriver(root=root, max_record_size=4096)
    assert small.options["max_record_size"] == 4096
    assert get_driver("fs", **small.options).options == small.options
    assert FsDriver(root=root, max_record_size="4096").options["max_record_size"] == 4096  # the CLI's strings
    for bad in (0, -1, "many", 1.5, True):
        with pytest.raises(InvalidArgumentError, match="max_record_size"):
            FsDriver(root=root, max_record_size=bad)  # type: ignore[arg-type]

    big = make_state("A", {"c0": "x" * 5000})
    with pytest.raises(StorageError, match="max_record_size") as raised:
        small.save(*big)  # a record load would refuse is not written at all
    assert "c0/persist.json" in str(raised.value)
    assert small.sandbox_ids() == []

    FsDriver(root=root).save(*big)  # the default limit takes it ...
    with pytest.raises(CorruptStateError, match=r"c0/persist\.json"):
        small.load(SID)  # ... a driver with a smaller one refuses to read it
    assert loaded(FsDriver(root=root)) == encode(big)
