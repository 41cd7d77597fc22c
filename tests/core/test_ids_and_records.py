"""Issue 11, items 1-3 in the core: layout names are no IDs, a record must name its own sandbox, IDs as
long as kata's tree can hold."""

from __future__ import annotations

import re

import pytest

from persist_core import codec, get_driver
from persist_core.errors import CorruptStateError, InvalidIdError, MisfiledStateError
from persist_core.ids import ID_PATTERN, MAX_ID_LENGTH, RESERVED_IDS, check_id, is_valid_id
from persist_core.model import ContainerState, SandboxState

# Every name persist-fs and kata give their own files and directories beside (or instead of) IDs.
LAYOUT_NAMES = [
    "persist.json",
    ".journal",
    ".journal.new",
    ".new-sandbox",
    ".new.c1",
    ".new.#0123",
    ".locks",
    ".staging",
    ".trash",
    ".",
    "..",
]


@pytest.mark.parametrize("name", LAYOUT_NAMES)
def test_layout_names_are_refused_as_sandbox_and_container_ids(name: str) -> None:
    driver = get_driver("memory")
    with pytest.raises(InvalidIdError, match=re.escape(repr(name))):
        driver.save(SandboxState(sandbox_container="sb"), {name: ContainerState()})
    with pytest.raises(InvalidIdError, match=re.escape(repr(name))):
        driver.save(SandboxState(sandbox_container=name), {})
    with pytest.raises(InvalidIdError):
        driver.load(name)
    assert driver.sandbox_ids() == []
    assert not is_valid_id(name)


def test_the_reserved_name_error_says_why() -> None:
    with pytest.raises(InvalidIdError, match="kata's layout uses that name for its own file"):
        check_id("persist.json", "container")
    assert "persist.json" in RESERVED_IDS
    assert is_valid_id("persist.json.1") and is_valid_id("persist")


def test_ids_as_long_as_a_file_name_can_be_are_stored_and_loaded() -> None:
    assert MAX_ID_LENGTH == 255
    longest = "s" * MAX_ID_LENGTH
    assert re.fullmatch(ID_PATTERN, longest) and not re.fullmatch(ID_PATTERN, longest + "s")
    driver = get_driver("memory")
    containers = {"c" * 200: ContainerState(), "d" * MAX_ID_LENGTH: ContainerState()}
    driver.save(SandboxState(sandbox_container=longest), containers)
    assert driver.sandbox_ids() == [longest]
    assert sorted(driver.load(longest)[1]) == sorted(containers)
    with pytest.raises(InvalidIdError, match="1 to 255 characters"):
        check_id(longest + "s")


def test_an_absurdly_long_id_is_cut_in_the_message() -> None:
    with pytest.raises(InvalidIdError) as caught:
        check_id("x" * 100_000)
    assert len(str(caught.value)) < 1000
    assert "100000 characters" in str(caught.value)


def test_load_refuses_a_record_that_names_another_sandbox() -> None:
    """A locked read-modify-write of "a" would otherwise save over "b"."""
    driver = get_driver("memory")
    driver.save(SandboxState(sandbox_container="b", state="running"), {})
    # Store b's record under a, as a hand copy or a buggy backend would (the memory driver keeps bytes).
    driver._save("a", codec.dumps(SandboxState(sandbox_container="b")), {})
    with pytest.raises(CorruptStateError, match=r"'a'.*'b'") as caught:
        driver.load("a")
    assert isinstance(caught.value, MisfiledStateError)
    assert driver.load("b")[0].state == "running"
