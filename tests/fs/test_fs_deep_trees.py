"""Trees of any depth are removed (issue 11, item 9: the filesystem part).

A 3,000-level directory chain planted under a container once made ``destroy`` raise RecursionError after
the sandbox had moved to the trash, and every later destroy, ``clean_leftovers`` and ``persist check
--repair`` raise again. Removal is iterative now, with two descriptors at most, whatever the depth.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, encode, loaded, make_state

from persist_core.cli import main
from persist_core.errors import SandboxNotFoundError
from persist_fs import FsDriver
from persist_fs.fsops import remove_tree

DEPTH = 3000


def _chain(under: Path, depth: int = DEPTH) -> None:
    """``depth`` nested directories (with a file at the bottom), made through descriptors: the path
    itself is far longer than PATH_MAX."""
    fd = os.open(under, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = child
        os.close(os.open("bottom", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd))
    finally:
        os.close(fd)


def test_destroy_removes_a_deep_chain_under_a_container(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    driver.save(*make_state("other", {"c": "c"}, sandbox_id="other"))
    _chain(root / "sbs" / SID / "c1")
    driver.destroy(SID)
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    assert os.listdir(root / "sbs" / ".trash") == []
    driver.destroy("other")  # later destroys are not stuck on it either
    assert driver.sandbox_ids() == []
    assert driver.find_leftovers() == []


def test_clean_leftovers_and_check_repair_remove_a_deep_chain_in_the_trash(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    tomb = root / "sbs" / ".trash" / f"{SID}.0123456789abcdef"  # a destroy killed after its commit point
    tomb.mkdir(parents=True)
    _chain(tomb)
    staged = root / "sbs" / ".staging" / f"{SID}.fedcba9876543210"  # a first save killed before its rename
    staged.mkdir(parents=True)
    _chain(staged)
    assert len(driver.find_leftovers()) == 2
    assert main(["--driver", "fs", "-o", f"root={root}", "check", "--repair"]) == 0
    assert os.listdir(root / "sbs" / ".trash") == []
    assert os.listdir(root / "sbs" / ".staging") == []
    assert driver.find_leftovers() == []
    assert loaded(driver) == encode(STATE_A)


def test_a_save_that_removes_a_container_removes_its_deep_chain(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    _chain(root / "sbs" / SID / "c1")
    _chain(root / "sbs" / SID / "c2")
    fewer = make_state("A", {"c0": "same"})
    driver.save(*fewer)
    assert loaded(driver) == encode(fewer)
    assert sorted(os.listdir(root / "sbs" / SID)) == [".journal", "c0", "persist.json"]


def test_remove_tree_never_follows_a_symlink(root: Path) -> None:
    outside = root / "outside"
    outside.mkdir(parents=True)
    (outside / "precious").write_text("keep")
    tree = root / "tree"
    tree.mkdir()
    _chain(tree, 50)
    (tree / "d" / "d" / "link").symlink_to(outside)
    (tree / "d" / "link").symlink_to(outside / "precious")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        remove_tree("tree", fd)
    finally:
        os.close(fd)
    assert not tree.exists()
    assert (outside / "precious").read_text() == "keep"
