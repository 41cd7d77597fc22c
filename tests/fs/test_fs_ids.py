"""Issue 11, items 1 and 3 on disk: a container cannot be named like the sandbox's own record; IDs as long
as kata's tree can hold are loaded, saved, removed and destroyed; nothing stored is passed over silently."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from fs_helpers import SID, encode, kata_view, loaded, make_state

from persist_core import codec
from persist_core.errors import CorruptStateError, InvalidIdError
from persist_core.model import ContainerState, SandboxState
from persist_fs import FsDriver

LONG = "c" * 200
LONGEST = "d" * 255


def test_a_container_named_persist_json_is_refused_and_the_record_survives(driver: FsDriver, root: Path) -> None:
    state = make_state("one", {"c1": "x"})
    driver.save(*state)
    before = kata_view(root)
    sandbox, containers = state
    for added in ({"persist.json": ContainerState()}, {"persist.json": ContainerState(), "c2": ContainerState()}):
        with pytest.raises(InvalidIdError, match=r"'persist\.json'"):
            driver.save(sandbox, {**containers, **added})
        assert kata_view(root) == before
    driver.save(sandbox, {**containers, "c2": ContainerState()})  # later saves still work
    assert sorted(driver.load(SID)[1]) == ["c1", "c2"]


def _kata_writes(root: Path, sandbox_id: str, container_ids: list[str]) -> None:
    """A tree as kata's Go driver writes it: plain files, no journal."""
    directory = root / "sbs" / sandbox_id
    directory.mkdir(parents=True)
    (directory / "persist.json").write_bytes(codec.dumps(SandboxState(sandbox_container=sandbox_id)))
    for cid in container_ids:
        (directory / cid).mkdir()
        (directory / cid / "persist.json").write_bytes(codec.dumps(ContainerState(state=cid[:5])))


def test_kata_trees_with_long_ids_load_whole(driver: FsDriver, root: Path) -> None:
    _kata_writes(root, LONGEST, ["c1", LONG, LONGEST])
    assert driver.sandbox_ids() == [LONGEST]
    sandbox, containers = driver.load(LONGEST)
    assert sorted(containers) == sorted(["c1", LONG, LONGEST])
    # A save that drops the long containers removes their directories, as kata's tree expects.
    driver.save(sandbox, {"c1": containers["c1"]})
    assert sorted(p.name for p in (root / "sbs" / LONGEST).iterdir()) == [".journal", "c1", "persist.json"]
    driver.destroy(LONGEST)
    assert driver.sandbox_ids() == []
    assert driver.find_leftovers() == []


@pytest.mark.parametrize("other_changes", [0, 2])
def test_containers_with_the_longest_ids_are_saved_in_one_or_many_changes(
    driver: FsDriver, root: Path, other_changes: int
) -> None:
    state = make_state("first", {"c1": "a", "c2": "b"}, sandbox_id=LONGEST)
    driver.save(*state)
    sandbox, containers = state
    changed = {cid: ContainerState(state="changed") for cid in list(containers)[:other_changes]}
    driver.save(sandbox, {**containers, **changed, LONGEST: ContainerState(state="long")})
    assert driver.load(LONGEST)[1][LONGEST].state == "long"
    assert kata_view(root, LONGEST) == loaded(driver, LONGEST)
    assert driver.find_leftovers() == []


def test_a_container_kata_would_read_under_a_name_persist_cannot_use_is_reported(driver: FsDriver, root: Path) -> None:
    driver.save(*make_state("one", {"c1": "x"}))
    odd = root / "sbs" / SID / "sp ace"
    odd.mkdir()
    assert loaded(driver) == encode(make_state("one", {"c1": "x"}))  # no persist.json: not a container to kata
    (odd / "persist.json").write_bytes(codec.dumps(ContainerState()))
    with pytest.raises(CorruptStateError, match=re.escape(f"{odd}/persist.json") + ".*'sp ace'"):
        driver.load(SID)


def test_odd_entries_in_sbs_are_reported_by_check_and_logged_when_listing(
    driver: FsDriver, root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    driver.save(*make_state("one", {}))
    assert driver.find_strays() == []
    (root / "sbs" / "sp ace").mkdir()
    shutil.copytree(root / "sbs" / SID, root / "sbs" / "persist.json")
    with caplog.at_level(logging.WARNING, logger="persist_fs"):
        assert driver.sandbox_ids() == [SID]
    assert "'persist.json', 'sp ace'" in caplog.text
    strays = driver.find_strays()
    assert len(strays) == 2
    assert "sbs/persist.json" in strays[0] and "kata's layout uses that name" in strays[0]
    assert "sbs/sp ace" in strays[1] and "1 to 255 characters" in strays[1]
    assert driver.clean_leftovers() == []
    assert (root / "sbs" / "sp ace").is_dir()  # reported, never removed
