"""Fixtures for the differential proofs: a fresh codec process, and stores on tmpfs and on coarse ext4."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers next to this file (trust_values, trust_machine) are imported by name, here and in the
# fresh codec's process (spawned processes inherit sys.path).
sys.path.insert(0, str(Path(__file__).parent))

from trust_values import FreshCodec

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fresh_codec() -> Iterator[FreshCodec]:
    fresh = FreshCodec()
    try:
        yield fresh
    finally:
        fresh.close()


@pytest.fixture(scope="session")
def kata_go(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object | None]:
    """kata's own reader: a Go program doing kata's FromDisk and ToDisk over structs written from the reference
    (benchmarks/kata_go). None where Go is not installed: the proofs then check the raw files only."""
    if shutil.which("go") is None:
        yield None
        return
    sys.path.insert(0, str(REPO))
    try:
        from benchmarks import kata_compare
    finally:
        sys.path.remove(str(REPO))
    go = kata_compare.KataGo(kata_compare.build_go(None, tmp_path_factory.mktemp("kata-go")))
    try:
        yield go
    finally:
        go.close()


@pytest.fixture
def tmpfs_base(tmp_path: Path) -> Iterator[Path]:
    """A directory on tmpfs (as /run is), nanosecond timestamps; tmp_path where /dev/shm is missing."""
    try:
        base = Path(tempfile.mkdtemp(prefix="persist-trust-", dir="/dev/shm"))
    except OSError:
        yield tmp_path
        return
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def coarse_ext4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """ext4 made with 128-byte inodes: whole-second timestamps, as on many older or small filesystems.

    Mounted through a loop device the test makes (root only); skipped, saying why, where that is refused.
    """
    if os.geteuid() != 0:
        pytest.skip("mounting a loop ext4 needs root")
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("mkfs.ext4 is not installed (e2fsprogs)")
    work = tmp_path_factory.mktemp("coarse-ext4")
    image, mountpoint = work / "image", work / "mnt"
    mountpoint.mkdir()
    with open(image, "wb") as f:
        f.truncate(128 << 20)
    made = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-I", "128", str(image)], capture_output=True, text=True, check=False
    )
    if made.returncode != 0:
        pytest.skip(f"mkfs.ext4 -I 128 failed: {made.stderr.strip()}")
    mounted = subprocess.run(
        ["mount", "-o", "loop", str(image), str(mountpoint)], capture_output=True, text=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a loop ext4 was refused: {mounted.stderr.strip()}")
    try:
        probe = mountpoint / "probe"
        probe.write_bytes(b"x")
        assert probe.stat().st_mtime_ns % 1_000_000_000 == 0, "expected whole-second timestamps"
        probe.unlink()
        yield mountpoint
    finally:
        # Lazy: drivers of the tests may still hold descriptors of directories in it until collected.
        subprocess.run(["umount", "--lazy", str(mountpoint)], capture_output=True, check=False)


@pytest.fixture
def coarse_base(coarse_ext4: Path) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="t-", dir=coarse_ext4))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)
