"""``persist copy``: between any two drivers, verified by reading back, one failure not stopping the rest."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from cli_helpers import BARE_SANDBOX, FS, FULL_SANDBOX, KATA, PersistCli, documents, fs, single_line

from persist_core.cli import main


def test_copy_between_two_fs_roots_is_byte_exact(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    result = persist(*fs(kata_root), "copy", "--to", FS, "-O", f"root={target}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"copied 2 of 2 sandboxes (3 containers) from {FS} (root={kata_root})")
    assert f"to {FS} (root={target})" in result.stdout
    assert result.stdout.rstrip().endswith("verified")
    assert documents(target) == documents(KATA / "tree-full")
    assert documents(kata_root) == documents(KATA / "tree-full")  # the source is untouched


def test_destination_options_by_to_option_and_only_named_sandboxes(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    # -O names a destination option wherever it stands; -o before --to stays with the source.
    result = persist("copy", "-O", f"root={target}", *fs(kata_root), "--to", FS, BARE_SANDBOX)
    assert result.returncode == 0, result.stderr
    assert list(documents(target)) == [f"sbs/{BARE_SANDBOX}/persist.json"]


def test_copy_into_memory_verifies_in_the_same_process(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "copy", "--to", "memory", "--to-default")  # a fresh private store
    assert result.returncode == 0, result.stderr
    assert "copied 2 of 2 sandboxes (3 containers)" in result.stdout
    assert "to memory, verified" in result.stdout


def test_a_corrupt_sandbox_is_reported_and_the_others_are_copied(
    persist: PersistCli, corrupt_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    result = persist(*fs(corrupt_root), "copy", "--to", FS, "-O", f"root={target}")
    assert result.returncode == 1
    assert "3b9d0c7e5a21" in single_line(result.stderr)
    assert result.stdout.startswith("copied 1 of 2 sandboxes")
    assert "1 failed" in result.stdout
    assert list(documents(target)) == [f"sbs/{BARE_SANDBOX}/persist.json"]


def test_copy_refuses_to_overwrite_unless_asked(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    assert persist(*fs(kata_root), "copy", "--to", FS, "-O", f"root={target}", FULL_SANDBOX).returncode == 0
    again = persist(*fs(kata_root), "copy", "--to", FS, "-O", f"root={target}")
    assert again.returncode == 1
    assert f"{FULL_SANDBOX!r} is already stored" in single_line(again.stderr)
    assert "copied 1 of 2" in again.stdout  # the bare sandbox was new and went across
    replaced = persist(*fs(kata_root), "copy", "--replace", "--to", FS, "-O", f"root={target}")
    assert replaced.returncode == 0, replaced.stderr
    assert documents(target) == documents(KATA / "tree-full")


def test_copy_refuses_a_record_filed_under_another_id(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    moved = kata_root / "sbs" / "moved-by-hand"
    moved.mkdir()
    (moved / "persist.json").write_bytes((kata_root / "sbs" / BARE_SANDBOX / "persist.json").read_bytes())
    target = tmp_path / "target"
    result = persist(*fs(kata_root), "copy", "--to", FS, "-O", f"root={target}", "moved-by-hand")
    assert result.returncode == 1
    assert "says it belongs to sandbox '7a0c4b2d91f6'" in single_line(result.stderr)
    assert not target.exists() or documents(target) == {}


def test_fs_to_memory_to_fs_through_the_command(
    kata_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The memory store lives in one process, so this round trip runs the command in-process."""
    target = tmp_path / "target"
    namespace = f"namespace=cli-{uuid.uuid4().hex}"  # fresh, even if re-run
    assert main(["copy", *fs(kata_root), "--to", "memory", "-O", namespace]) == 0
    assert main(["copy", "--driver", "memory", "-o", namespace, "--to", FS, "-O", f"root={target}"]) == 0
    out = capsys.readouterr().out
    assert out.count("copied 2 of 2 sandboxes (3 containers)") == 2
    assert documents(target) == documents(KATA / "tree-full")


def test_unknown_destination_driver_is_one_error(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "copy", "--to", "nowhere")
    assert result.returncode == 1
    assert "no persist driver named 'nowhere'" in single_line(result.stderr)
