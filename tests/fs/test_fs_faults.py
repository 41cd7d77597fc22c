"""A failing system call anywhere in a save or destroy: the operation raises and changes nothing, or it
had passed its commit point and completes. Nothing is ever left where kata or a reader would see it.

Faults are injected into each write-path call in turn (ENOSPC, EIO), then a real ENOSPC on a tiny tmpfs
and a real EACCES for an unprivileged writer.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fs_helpers import (
    SID,
    STATE_A,
    Syscalls,
    count_calls,
    encode,
    expected_names,
    fork,
    kata_view,
    loaded,
    make_state,
    visible_names,
    wait,
)
from fs_scenarios import SCENARIOS, perform, prepare

from persist_core.errors import SandboxNotFoundError, StorageError
from persist_fs import FsDriver
from persist_fs.steps import NotDurable


def _errnos(exc: BaseException | None) -> set[int]:
    found = set()
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno is not None:
            found.add(exc.errno)
        exc = exc.__cause__ or exc.__context__
    return found


# On tmpfs (the root fixture's /dev/shm), "auto" makes no fsync and "always" is the protocol for disks.
@pytest.mark.parametrize("fsync", ["auto", "always"])
@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO], ids=["ENOSPC", "EIO"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_failing_system_call_leaves_old_or_new_state(root: Path, scenario: str, error: int, fsync: str) -> None:
    before, after = SCENARIOS[scenario]
    root.mkdir(parents=True)  # so that the probe and every run create the same directories
    probe = prepare(root / "probe", before, fsync=fsync)
    calls = count_calls(lambda: perform(probe, after))
    assert len(calls) > 5, f"{scenario}: the system calls were not intercepted ({calls})"
    assert ("fsync" in calls) == (fsync == "always"), f"{scenario}, fsync={fsync}: {calls}"
    completed = []
    for index, call in enumerate(calls):
        store = root / f"at-{index}"
        driver = prepare(store, before, fsync=fsync)
        faults = Syscalls()
        faults.fail_at, faults.errno = index, error
        raised: StorageError | None = None
        with faults.active():
            try:
                perform(driver, after)
            except StorageError as exc:
                raised = exc
        where = f"{scenario}: {os.strerror(error)} in call #{index} ({call})"
        if raised is not None:
            assert error in _errnos(raised), f"{where}: the OSError is not chained to {raised!r}"
        # A failed fsync past the commit point raises too (durability is not certain), with the new state in place.
        committed = raised is None or isinstance(raised.__cause__, NotDurable)
        expected = after if committed else before
        fresh = FsDriver(root=store)
        assert loaded(fresh) == encode(expected), f"{where}: load() shows neither exactly the old nor the new state"
        assert kata_view(store) == encode(expected), f"{where}: kata's reader would see a different state"
        assert visible_names(store) == expected_names(expected), f"{where}: something was left in sight"
        assert fresh.sandbox_ids() == ([SID] if expected is not None else []), where
        completed.append(committed)
        # The next writer succeeds and leaves nothing behind.
        perform(fresh, after)
        assert loaded(fresh) == encode(after), where
        assert kata_view(store) == encode(after), where
        assert fresh.find_leftovers() == [], f"{where}: the next writer did not clean up"
        shutil.rmtree(store)
    assert any(completed), f"{scenario}: no fault fell after the commit point"
    assert not all(completed), f"{scenario}: no fault made the operation fail"


def test_failed_save_never_destroys_the_sandbox(driver: FsDriver, root: Path) -> None:
    """The original deletes the whole sandbox when a write fails; here the previous state survives."""
    driver.save(*STATE_A)
    faults = Syscalls()
    faults.fail_at, faults.errno = 0, errno.EIO
    with faults.active(), pytest.raises(StorageError, match="previous state is unchanged"):
        driver.save(*make_state("B", {"c5": "b5"}))
    assert loaded(driver) == encode(STATE_A)


# -- real ENOSPC and EACCES --------------------------------------------------------------------------


@pytest.fixture
def tiny_tmpfs(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A 256 KiB tmpfs with few inodes, mounted for this test; skipped (saying why) where mount is refused."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    options = getattr(request, "param", "size=256k")
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8); the injected ENOSPC tests still ran")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "persist-fs-test", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"this machine refuses to mount a tmpfs ({result.stderr.strip()}); injected ENOSPC tests ran")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _big_state(label: str, containers: int) -> tuple:
    return make_state(label, {f"c{i}": label * 20_000 for i in range(containers)})


@pytest.mark.parametrize("tiny_tmpfs", ["size=256k", "size=4m,nr_inodes=24"], indirect=True, ids=["space", "inodes"])
def test_disk_full_leaves_the_previous_state(tiny_tmpfs: Path) -> None:
    store = tiny_tmpfs / "vc"
    driver = FsDriver(root=store)
    driver.save(*STATE_A)
    too_big = _big_state("x", 30)
    with pytest.raises(StorageError) as raised:
        driver.save(*too_big)
    assert errno.ENOSPC in _errnos(raised.value)
    fresh = FsDriver(root=store)
    assert loaded(fresh) == encode(STATE_A)
    assert kata_view(store) == encode(STATE_A)
    assert visible_names(store) == expected_names(STATE_A)
    # What the failed save wrote is gone: the space is there again for a save that fits.
    smaller = make_state("B", {"c0": "same", "c5": "b5"})
    fresh.save(*smaller)
    assert loaded(fresh) == encode(smaller)
    assert fresh.find_leftovers() == []


@pytest.mark.parametrize("tiny_tmpfs", ["size=256k"], indirect=True)
def test_disk_full_on_a_first_save_stores_nothing(tiny_tmpfs: Path) -> None:
    driver = FsDriver(root=tiny_tmpfs / "vc")
    with pytest.raises(StorageError):
        driver.save(*_big_state("x", 30))
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    assert driver.sandbox_ids() == []
    assert driver.find_leftovers() == []


def test_permission_denied_leaves_the_previous_state(root: Path) -> None:
    """A writer without permission (EACCES) changes nothing; as root, the write runs in an unprivileged child."""
    if os.geteuid() != 0:
        pytest.skip("needs root to hand the store to an unprivileged user")
    nobody = 65534
    driver = FsDriver(root=root)
    driver.save(*STATE_A)
    for directory, dirnames, filenames in os.walk(root):
        for name in [directory, *(os.path.join(directory, entry) for entry in dirnames + filenames)]:
            os.chown(name, nobody, nobody)
    os.chmod(root / "sbs" / SID, 0o500)
    os.chmod(root / "sbs" / SID / "c2", 0o500)

    def unprivileged_save() -> None:
        os.setgroups([])
        os.setgid(nobody)
        os.setuid(nobody)
        other = FsDriver(root=root)
        with pytest.raises(StorageError) as raised:
            other.save(*make_state("B", {"c0": "same", "c2": "changed"}))
        assert errno.EACCES in _errnos(raised.value), raised.value

    assert wait(fork(unprivileged_save)) == 0
    assert loaded(FsDriver(root=root)) == encode(STATE_A)
    assert kata_view(root) == encode(STATE_A)
    assert visible_names(root) == expected_names(STATE_A)
