"""kata's layout: trees written by Go load with the same values, load+save rewrites nothing, every file we
write passes kata's schema, only changed files are rewritten, and our bookkeeping is never in kata's way."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest
from fs_helpers import SID, STATE_A, STATE_B, encode, kata_view, loaded, make_state, snapshot

from persist_core import ContainerState, SandboxState, codec, get_driver
from persist_core.errors import SandboxNotFoundError
from persist_core.testing.samples import kata_samples
from persist_fs import FsDriver, RootlessFsDriver

TREES = ("tree-full", "tree-zero")


def copy_tree(kata_dir: Path, tree: str, root: Path) -> None:
    shutil.copytree(kata_dir / tree, root)


def validator(kata_dir: Path, definition: str) -> jsonschema.protocols.Validator:
    schema = json.loads((kata_dir / "schema.json").read_text())
    wrapper = {**schema, "$ref": f"#/$defs/{definition}"}
    cls = jsonschema.validators.validator_for(schema)
    return cls(wrapper)


def assert_valid_tree(kata_dir: Path, root: Path) -> int:
    """Validate every persist.json under ``root`` against kata's schema; returns how many there were."""
    sandbox = validator(kata_dir, "persistapi.SandboxState")
    container = validator(kata_dir, "persistapi.ContainerState")
    checked = 0
    for path in (root / "sbs").glob("*/persist.json"):
        sandbox.validate(json.loads(path.read_bytes()))
        checked += 1
    for path in (root / "sbs").glob("*/*/persist.json"):
        container.validate(json.loads(path.read_bytes()))
        checked += 1
    return checked


@pytest.mark.parametrize("tree", TREES)
def test_a_tree_kata_wrote_loads_with_the_same_values(kata_dir: Path, root: Path, tree: str) -> None:
    copy_tree(kata_dir, tree, root)
    driver = FsDriver(root=root)
    samples = [sample for sample in kata_samples() if sample.name.startswith(f"{tree}/")]
    assert driver.sandbox_ids() == sorted(sample.sandbox_id for sample in samples)
    for sample in samples:
        sandbox, containers = driver.load(sample.sandbox_id)
        expected_sandbox, expected_containers = sample.objects()
        assert sandbox == expected_sandbox
        assert containers == expected_containers
        assert list(containers) == sorted(containers)


@pytest.mark.parametrize("tree", TREES)
@pytest.mark.parametrize("fresh_driver", [False, True], ids=["same-driver", "new-driver"])
def test_load_then_save_rewrites_nothing(kata_dir: Path, root: Path, tree: str, fresh_driver: bool) -> None:
    """Not one byte, inode or mode changes, and no file appears: a save without changes writes nothing."""
    copy_tree(kata_dir, tree, root)
    before = snapshot(root)
    driver = FsDriver(root=root)
    for sandbox_id in driver.sandbox_ids():
        state = driver.load(sandbox_id)
        (FsDriver(root=root) if fresh_driver else driver).save(*state)
    assert snapshot(root) == before


def test_every_file_written_validates_against_kata_schema(kata_dir: Path, root: Path) -> None:
    driver = FsDriver(root=root)
    for sample in kata_samples():
        sandbox, containers = sample.objects()
        driver.save(sandbox, containers)  # first save (staged)
        sandbox.state = "paused"
        first = next(iter(containers), None)
        if first is not None:
            containers[first].state = "stopped"  # one file: the single-rename path
        driver.save(sandbox, containers)
        containers["extra"] = ContainerState(state="created")
        sandbox.state = "running"
        driver.save(sandbox, containers)  # several files: the journaled path
    driver.save(*STATE_A)
    driver.save(*STATE_B)
    written = list((root / "sbs").rglob("persist.json"))
    assert assert_valid_tree(kata_dir, root) == len(written) >= 10
    for path in (root / "sbs").rglob("persist.json"):
        assert path.read_bytes().endswith(b"}\n"), f"{path} does not end like Go's json.Encoder output"


def test_only_changed_files_are_rewritten(driver: FsDriver, root: Path) -> None:
    sandbox = STATE_A[0]
    containers = {f"c{i:03}": ContainerState(state="running", bundle_path=f"/b/{i}") for i in range(100)}
    driver.save(sandbox, containers)
    before = snapshot(root)
    containers["c042"] = ContainerState(state="stopped", bundle_path="/b/42")
    FsDriver(root=root).save(sandbox, containers)  # a new driver: no memory of what it wrote
    after = snapshot(root)
    changed = {
        path
        for path in before.keys() & after.keys()
        if path.endswith("persist.json") and before[path][0] != after[path][0]
    }
    assert changed == {f"sbs/{SID}/c042/persist.json"}
    assert loaded(driver) == encode((sandbox, containers))


def test_removed_containers_go_in_the_same_commit(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    driver.save(*STATE_B)
    assert set(os.listdir(root / "sbs" / SID)) - {".journal"} == {"persist.json", "c0", "c2", "c3", "c4"}
    assert kata_view(root) == encode(STATE_B)


def test_bookkeeping_is_hidden_and_never_a_directory_in_the_sandbox(driver: FsDriver, root: Path) -> None:
    """kata takes every subdirectory of sbs/<sid> for a container: ours are files, and hidden."""
    with driver.lock(SID):
        driver.save(*STATE_A)
        driver.save(*STATE_B)
    driver.save(*make_state("other", {}, sandbox_id="other"))
    driver.destroy("other")
    for entry in (root / "sbs" / SID).iterdir():
        if entry.name.startswith("."):
            assert entry.is_file(), f"{entry} is a hidden directory: kata would read it as a container"
    assert driver.sandbox_ids() == [SID]
    assert {entry.name for entry in (root / "sbs").iterdir()} == {SID, ".locks", ".staging", ".trash"}


def test_sandbox_ids_lists_directories_named_like_sandboxes(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    sbs = root / "sbs"
    (sbs / "broken").mkdir()
    (sbs / "broken" / "persist.json").write_text("{")
    (sbs / "a-file").write_text("not a sandbox")
    (sbs / "not valid").mkdir()
    (sbs / ".hidden").mkdir()
    assert driver.sandbox_ids() == ["broken", SID]


def test_paths_and_options(root: Path) -> None:
    driver = FsDriver(root=root)
    assert driver.run_storage_path == str(root / "sbs")
    assert driver.run_vm_storage_path == str(root / "vm")
    assert FsDriver().root == "/run/vc"
    driver.save(*STATE_A)
    reopened = get_driver(driver.name, **driver.options)
    assert isinstance(reopened, FsDriver)
    assert loaded(reopened) == encode(STATE_A)
    assert FsDriver.capabilities == RootlessFsDriver.capabilities
    assert {capability.name for capability in FsDriver.capabilities} == {"CROSS_PROCESS_LOCKS", "DURABLE"}


def test_relative_root_is_made_absolute(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root.mkdir(parents=True)
    monkeypatch.chdir(root)
    driver = FsDriver(root="relative")
    assert driver.root == str(root / "relative")


def test_reads_never_create_anything(root: Path) -> None:
    driver = FsDriver(root=root)
    with pytest.raises(SandboxNotFoundError):
        driver.load(SID)
    assert driver.sandbox_ids() == []
    assert driver.last_modified(SID) is None
    assert driver.find_leftovers() == []
    assert not root.exists()
    driver.save(*STATE_A)
    before = snapshot(root)
    for reader in (driver, FsDriver(root=root)):
        reader.load(SID)
        reader.sandbox_ids()
        reader.last_modified(SID)
        reader.find_leftovers()
        with pytest.raises(SandboxNotFoundError):
            reader.load("absent")
    assert snapshot(root) == before


def test_last_modified_follows_saves(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    first = driver.last_modified(SID)
    assert first is not None
    container = root / "sbs" / SID / "c1" / "persist.json"
    os.utime(container, (first + 100, first + 100))
    assert driver.last_modified(SID) == pytest.approx(first + 100)


def test_sandbox_ids_reads_one_directory_and_nothing_else(driver: FsDriver, root: Path) -> None:
    """Listing stays one directory read however many sandboxes there are: no stat or open per sandbox."""
    for i in range(30):
        driver.save(SandboxState(sandbox_container=f"s{i}", persist_version=2), {})
    calls: list[str] = []
    originals = {name: getattr(os, name) for name in ("stat", "lstat", "fstat", "open", "scandir", "listdir")}

    def counting(name: str):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            calls.append(name)
            return originals[name](*args, **kwargs)

        return call

    for name in originals:
        setattr(os, name, counting(name))
    try:
        ids = driver.sandbox_ids()
    finally:
        for name, original in originals.items():
            setattr(os, name, original)
    assert len(ids) == 30
    # sbs itself, opened with O_NOFOLLOW; its link count, before and after one listdir, says that every
    # entry is a directory, so no entry is looked at on its own.
    assert sorted(calls) == ["fstat", "fstat", "listdir", "open"]
    (root / "sbs" / "stray-file").write_text("")  # now the count does not match: scandir's types decide
    calls.clear()
    for name in originals:
        setattr(os, name, counting(name))
    try:
        assert driver.sandbox_ids() == ids
    finally:
        for name, original in originals.items():
            setattr(os, name, original)
    assert sorted(calls) == ["fstat", "fstat", "listdir", "open", "scandir"]


def test_codec_bytes_round_trip_through_the_tree(driver: FsDriver, root: Path) -> None:
    driver.save(*STATE_A)
    sandbox_bytes = (root / "sbs" / SID / "persist.json").read_bytes()
    assert sandbox_bytes == codec.dumps(STATE_A[0])


def test_destroying_nothing_creates_nothing(root: Path) -> None:
    FsDriver(root=root).destroy(SID)
    assert not root.exists()
    root.mkdir()
    FsDriver(root=root).destroy(SID)
    assert list(root.iterdir()) == []
