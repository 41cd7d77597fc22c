"""``persist export`` / ``persist import``: state leaves and re-enters a store byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import BARE_SANDBOX, FULL_SANDBOX, KATA, PersistCli, copy_kata_tree, documents, fs, single_line


def test_export_then_import_into_another_root_reproduces_kata_files(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "state.json"
    result = persist(*fs(kata_root), "export", "--output", str(exported))
    assert result.returncode == 0, result.stderr
    assert "exported 2 sandboxes (3 containers)" in result.stderr
    target = tmp_path / "target"
    result = persist(*fs(target), "import", str(exported))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 2 of 2 sandboxes (3 containers)")
    assert "verified" in result.stdout
    assert documents(target) == documents(KATA / "tree-full")


def test_the_export_embeds_each_stored_document_verbatim(persist: PersistCli, kata_root: Path) -> None:
    result = persist.raw(*fs(kata_root), "export", BARE_SANDBOX)
    assert result.returncode == 0, result.stderr
    export = json.loads(result.stdout)
    assert (export["format"], export["version"]) == ("persist-export", 1)
    assert list(export["sandboxes"]) == [BARE_SANDBOX]
    assert export["sandboxes"][BARE_SANDBOX]["containers"] == {}
    record = (KATA / "tree-full" / "sbs" / BARE_SANDBOX / "persist.json").read_bytes()
    assert record.rstrip(b"\n") in result.stdout


def test_export_to_stdout_and_import_from_stdin(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    exported = persist.raw(*fs(kata_root), "export", FULL_SANDBOX)
    assert exported.returncode == 0
    target = tmp_path / "target"
    result = persist(*fs(target), "import", "-", stdin=exported.stdout)
    assert result.returncode == 0, result.stderr
    expected = {path: data for path, data in documents(KATA / "tree-full").items() if FULL_SANDBOX in path}
    assert documents(target) == expected


def test_import_refuses_to_overwrite_unless_asked(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    exported = tmp_path / "state.json"
    assert persist(*fs(kata_root), "export", "--output", str(exported)).returncode == 0
    # The stored sandbox has moved on since the export; importing the old state must not silently win.
    record = kata_root / "sbs" / BARE_SANDBOX / "persist.json"
    record.write_bytes(record.read_bytes().replace(b'"State":"ready"', b'"State":"paused"'))
    changed = documents(kata_root)
    result = persist(*fs(kata_root), "import", str(exported))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 2  # one line per refused sandbox
    assert "already stored" in result.stderr
    assert "--replace" in result.stderr
    assert documents(kata_root) == changed
    assert persist(*fs(kata_root), "import", "--replace", str(exported), BARE_SANDBOX).returncode == 0
    assert b'"State":"ready"' in record.read_bytes()


def test_import_of_a_damaged_file_writes_nothing(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    exported = tmp_path / "state.json"
    assert persist(*fs(kata_root), "export", "--output", str(exported)).returncode == 0
    text = exported.read_text(encoding="utf-8")
    # The second sandbox's record gets a wrong type: the first one must not be imported either.
    exported.write_text(text.replace('"Pid":81377', '"Pid":"81377"'), encoding="utf-8")
    target = tmp_path / "target"
    result = persist(*fs(target), "import", str(exported))
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert str(exported) in line
    assert "3b9d0c7e5a21" in line  # the container at fault
    assert not target.exists() or documents(target) == {}


def test_import_rejects_what_is_not_an_export(persist: PersistCli, tmp_path: Path) -> None:
    record = KATA / "tree-full" / "sbs" / BARE_SANDBOX / "persist.json"
    result = persist(*fs(tmp_path / "target"), "import", str(record))
    assert result.returncode == 1
    assert "not a persist export" in single_line(result.stderr)
    newer = tmp_path / "newer.json"
    newer.write_text('{"format": "persist-export", "version": 2, "sandboxes": {}}')
    result = persist(*fs(tmp_path / "target"), "import", str(newer))
    assert "export format version 2 is newer" in single_line(result.stderr)
    missing = persist(*fs(tmp_path / "target"), "import", str(tmp_path / "absent.json"))
    assert "absent.json" in single_line(missing.stderr)


def test_export_of_a_corrupt_sandbox_fails_without_leaving_a_file(
    persist: PersistCli, corrupt_root: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "state.json"
    result = persist(*fs(corrupt_root), "export", "--output", str(exported))
    assert result.returncode == 1
    assert "3b9d0c7e5a21" in single_line(result.stderr)
    assert list(tmp_path.iterdir()) == [corrupt_root]
    # The readable sandbox can still be exported by name.
    assert persist(*fs(corrupt_root), "export", "--output", str(exported), BARE_SANDBOX).returncode == 0


def test_import_of_the_zero_tree(persist: PersistCli, tmp_path: Path) -> None:
    source = copy_kata_tree(tmp_path / "zero", "tree-zero")
    exported = persist.raw(*fs(source), "export")
    assert persist(*fs(tmp_path / "target"), "import", "-", stdin=exported.stdout).returncode == 0
    assert documents(tmp_path / "target") == documents(KATA / "tree-zero")
