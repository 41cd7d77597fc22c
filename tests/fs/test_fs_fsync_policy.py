"""No fsync where the root is on tmpfs or ramfs (nothing there survives a power loss), unless ``fsync="always"``.

Killed writers on tmpfs are covered by test_fs_crash.py (its drivers use the default); the power-loss
exploration (test_fs_power_loss.py) forces the disk protocol, and fails if it sees no fsync.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, count_calls, encode, loaded, make_state

from persist_core import get_driver
from persist_core.errors import InvalidArgumentError
from persist_fs import FsDriver
from persist_fs.durability import in_memory


def _on_memory_fs(path: Path) -> bool:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return in_memory(fd, os.fstat(fd))
    finally:
        os.close(fd)


def fsyncs(driver: FsDriver) -> int:
    """How many fsyncs the writes of ``_every_kind_of_write`` make through ``driver``."""
    return count_calls(lambda: _every_kind_of_write(driver)).count("fsync")


def _every_kind_of_write(driver: FsDriver) -> None:
    """First save into an empty root, one file changed, several changed, one removed, destroy."""
    driver.save(*STATE_A)
    driver.save(*make_state("A", {"c0": "same", "c1": "a1-changed", "c2": "a2"}))
    driver.save(*STATE_B)
    driver.save(*make_state("B", {"c0": "same"}))
    assert loaded(driver) == encode(make_state("B", {"c0": "same"}))
    driver.destroy(SID)


@pytest.fixture
def memory_root(root: Path) -> Path:
    root.parent.mkdir(parents=True, exist_ok=True)
    if not _on_memory_fs(root.parent):
        pytest.skip(f"{root.parent} is not on tmpfs or ramfs")
    return root


@pytest.fixture
def disk_root(tmp_path: Path) -> Path:
    if _on_memory_fs(tmp_path):
        pytest.skip(f"{tmp_path} is on tmpfs or ramfs: no disk to compare with")
    return tmp_path / "vc"


def test_no_fsync_on_tmpfs_by_default(memory_root: Path) -> None:
    assert fsyncs(FsDriver(root=memory_root)) == 0


def test_fsync_always_keeps_every_fsync_on_tmpfs(memory_root: Path) -> None:
    # The root and sbs made, the first save, each commit and the destroy: each fsyncs at least once.
    assert fsyncs(FsDriver(root=memory_root, fsync="always")) >= 10


def test_a_disk_root_is_fsynced_by_default(disk_root: Path) -> None:
    by_default = fsyncs(FsDriver(root=disk_root))
    forced = fsyncs(FsDriver(root=disk_root.parent / "forced", fsync="always"))
    assert by_default == forced >= 10


def test_the_file_system_type_comes_from_the_kernel(tmp_path: Path) -> None:
    if Path("/dev/shm").is_dir() and os.statvfs("/dev/shm").f_blocks:
        assert _on_memory_fs(Path("/dev/shm"))
    fd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert not in_memory(fd, os.fstat(fd)), "procfs is not tmpfs (the same device major, another type)"
    finally:
        os.close(fd)


def test_the_option_is_checked_and_reopens_the_same_store(root: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="fsync must be one of 'auto', 'always', got 'never'"):
        FsDriver(root=root, fsync="never")
    assert "fsync" not in FsDriver(root=root).options
    driver = FsDriver(root=root, fsync="always")
    assert driver.options == {"root": str(root), "fsync": "always"}
    again = get_driver("fs", **driver.options)
    assert isinstance(again, FsDriver) and again.options == driver.options
    assert FsDriver(root=root, fsync="auto").options["fsync"] == "auto"
