"""Who owns what the driver makes, and what it refuses to adopt (issue 11, items 4 and 7).

- Directories get the owner and group of their parent, as kata's ``MkdirAllWithInheritedOwner``: a runtime
  running as root saves state a VMM running as the user who owns the root can read.
- A bookkeeping directory (.staging, .trash, .locks) or sandbox directory that another user made, or that
  others may write into, is never used: the attack below is an unprivileged user in a world-writable
  (sticky, like /tmp) sbs preparing directories before root's first save.

The attacker runs in a forked child as an unprivileged uid; these tests need root to arrange that.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, fork, loaded, make_state, wait

from persist_core.errors import SandboxNotFoundError, StorageError
from persist_fs import FsDriver, RootlessFsDriver

USER = 65534  # "nobody": the VMM's user in the rootless tests, the attacker in the others

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as, and give files to, another user")


def _as_user(action: Callable[[], object]) -> None:
    """Run ``action`` in a forked child as the unprivileged USER; it must succeed."""

    def child() -> None:
        os.setgroups([])
        os.setgid(USER)
        os.setuid(USER)
        action()

    assert wait(fork(child)) == 0


@pytest.fixture(autouse=True)
def _reachable(root: Path) -> None:
    """The test's base directory (root's, 0700) must let the other user through to the store."""
    root.parent.chmod(0o755)


def _owners(root: Path) -> dict[str, tuple[int, int]]:
    """Owner and group of every directory under ``root`` (itself excluded)."""
    found = {}
    for directory, dirnames, _ in os.walk(root):
        for name in dirnames:
            st = os.lstat(os.path.join(directory, name))
            found[os.path.relpath(os.path.join(directory, name), root)] = (st.st_uid, st.st_gid)
    return found


# -- item 4: inherited owners ----------------------------------------------------------------------


def test_rootless_directories_inherit_the_owner_of_the_nearest_existing_parent(root: Path) -> None:
    home = root.parent / "run-user"
    home.mkdir()
    os.chown(home, USER, USER)
    store = home / "run" / "vc"  # missing: made by the driver, like every directory under it
    driver = RootlessFsDriver(root=store)
    driver.save(*STATE_A)  # first save: a staged tree
    driver.save(*STATE_B)  # new container directories, journaled
    driver.save(*make_state("B", {"c0": "same", "c2": "b2", "c3": "b3", "c4": "b4", "c5": "new"}))  # one new
    with driver.lock(SID, exclusive=False):
        pass
    driver.save(*make_state("gone", {"c": "c"}, sandbox_id="gone"))
    driver.destroy("gone")  # makes .trash
    owners = _owners(home)
    assert {"run", "run/vc", "run/vc/sbs", "run/vc/sbs/.locks", "run/vc/sbs/.staging", "run/vc/sbs/.trash"} <= set(
        owners
    )
    assert f"run/vc/sbs/{SID}/c5" in owners
    wrong = {path: owner for path, owner in owners.items() if owner != (USER, USER)}
    assert not wrong, f"directories not owned by the root's owner: {wrong}"
    # Files stay the writer's, as kata's are; the user can read the tree's directories.
    assert os.stat(store / "sbs" / SID / "persist.json").st_uid == 0
    _as_user(lambda: os.listdir(store / "sbs" / SID / "c5"))


def test_the_fs_driver_inherits_owners_too(root: Path) -> None:
    """kata's fs driver uses the same MkdirAllWithInheritedOwner: under /run/vc (root's), nothing changes."""
    root.mkdir()
    os.chown(root, USER, 0)
    driver = FsDriver(root=root)
    driver.save(*STATE_A)
    assert set(_owners(root).values()) == {(USER, 0)}
    plain = FsDriver(root=root.parent / "plain")
    plain.save(*STATE_A)
    assert set(_owners(root.parent / "plain").values()) == {(0, 0)}


# -- item 7: never adopt another user's directories ------------------------------------------------


@pytest.fixture
def shared_sbs(root: Path) -> Path:
    """A store whose sbs is world-writable and sticky, like /tmp: anyone may add entries to it."""
    sbs = root / "sbs"
    sbs.mkdir(parents=True)
    os.chmod(sbs, 0o1777)
    return sbs


def _refused(raised: pytest.ExceptionInfo[StorageError], path: Path, owner: int, mode: int) -> None:
    message = str(raised.value)
    assert str(path) in message, message
    assert f"uid {owner}" in message, message
    assert f"{mode:04o}" in message, message


def test_a_staging_directory_made_by_another_user_is_not_used(root: Path, shared_sbs: Path) -> None:
    staging = shared_sbs / ".staging"
    _as_user(lambda: staging.mkdir(mode=0o755))
    driver = FsDriver(root=root)
    with pytest.raises(StorageError) as raised:
        driver.save(*STATE_A)
    _refused(raised, staging, USER, 0o755)
    assert driver.sandbox_ids() == []
    assert os.listdir(staging) == [], "root's tree was built where the attacker can swap it"


def test_a_sandbox_directory_made_by_another_user_is_neither_written_nor_read(root: Path, shared_sbs: Path) -> None:
    planted = shared_sbs / SID
    attacker_state = make_state("attacker", {"c0": "evil"})

    def plant() -> None:
        attacker = FsDriver(root=root.parent / "attacker")
        attacker.save(*attacker_state)
        os.rename(root.parent / "attacker" / "sbs" / SID, planted)

    os.chmod(root, 0o755)
    (root.parent / "attacker").mkdir()
    os.chown(root.parent / "attacker", USER, USER)
    _as_user(plant)
    driver = FsDriver(root=root)
    with pytest.raises(StorageError) as raised:
        driver.save(*STATE_A)  # its first save finds the directory there: never commit into it
    _refused(raised, planted, USER, 0o700)
    with pytest.raises(StorageError) as raised:
        driver.load(SID)  # nor read the attacker's cgroup paths from it
    _refused(raised, planted, USER, 0o700)
    assert os.stat(planted / "persist.json").st_uid == USER, "root wrote into the attacker's directory"
    driver.destroy(SID)  # destroy is how to get rid of it
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    driver.save(*STATE_A)
    assert loaded(driver) == encode(STATE_A)
    assert os.stat(planted).st_uid == 0


@pytest.mark.parametrize("name", [".trash", ".locks"])
def test_trash_and_locks_made_by_another_user_are_not_used(root: Path, shared_sbs: Path, name: str) -> None:
    driver = FsDriver(root=root)
    driver.save(*STATE_A)
    planted = shared_sbs / name
    _as_user(lambda: planted.mkdir(mode=0o777))
    os.chmod(planted, 0o777)  # the attacker's umask does not matter: everyone may write into it
    other = FsDriver(root=root)
    use = (lambda: other.destroy(SID)) if name == ".trash" else other.lock(SID).acquire
    with pytest.raises(StorageError) as raised:
        use()
    _refused(raised, planted, USER, 0o777)
    assert loaded(FsDriver(root=root)) == encode(STATE_A)
    assert os.listdir(planted) == []


def test_our_own_directory_writable_by_others_is_not_used_either(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    directory = root / "sbs" / SID
    os.chmod(directory, 0o770)
    with pytest.raises(StorageError) as raised:
        FsDriver(root=root).save(*STATE_B)
    _refused(raised, directory, 0, 0o770)
    with pytest.raises(StorageError):
        FsDriver(root=root).load(SID)
    os.chmod(directory, 0o700)
    assert loaded(FsDriver(root=root)) == encode(STATE_A)


def test_root_uses_a_rootless_store_its_user_made(root: Path) -> None:
    """The user owns the root and saved first; root's runtime reads and saves there (nothing refused), and
    the container directory it adds is the user's."""
    root.mkdir()
    os.chown(root, USER, USER)
    _as_user(lambda: RootlessFsDriver(root=root).save(*STATE_A))
    driver = RootlessFsDriver(root=root)
    assert loaded(driver) == encode(STATE_A)
    driver.save(*STATE_B)
    assert loaded(RootlessFsDriver(root=root)) == encode(STATE_B)
    assert os.stat(root / "sbs" / SID / "c3").st_uid == USER
    assert stat.S_IMODE(os.stat(root / "sbs" / SID / "c3").st_mode) == 0o700


def test_leftovers_report_foreign_directories_and_clean_removes_only_bookkeeping(root: Path, shared_sbs: Path) -> None:
    staging, planted = shared_sbs / ".staging", shared_sbs / "theirs"
    _as_user(
        lambda: (staging.mkdir(mode=0o755), planted.mkdir(mode=0o700), (planted / "persist.json").write_text("{}"))
    )
    driver = FsDriver(root=root)
    found = driver.find_leftovers()
    assert len(found) == 2, found
    assert any(str(staging) in item and f"uid {USER}" in item and "0755" in item for item in found), found
    assert any(str(planted) in item and "destroy removes it" in item for item in found), found
    assert driver.clean_leftovers() == found
    assert not staging.exists(), "clean_leftovers keeps a bookkeeping directory the driver refuses to use"
    assert (planted / "persist.json").exists(), "clean_leftovers removed a sandbox directory"
    driver.save(*STATE_A)  # a fresh .staging of our own
    assert loaded(driver) == encode(STATE_A)
    assert os.stat(staging).st_uid == 0
    driver.destroy("theirs")
    assert driver.find_leftovers() == []
