"""Issue 11, item 9 (JSON) through the CLI: a deeply nested record or export is reported, never a crash."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import BARE_SANDBOX, FULL_SANDBOX, PersistCli, documents, fs, single_line

DEEP = "[" * 50_000 + "]" * 50_000


def test_ls_lists_a_deeply_nested_record_as_corrupt_and_goes_on(persist: PersistCli, kata_root: Path) -> None:
    (kata_root / "sbs" / BARE_SANDBOX / "persist.json").write_text(f'{{"X":{DEEP}}}')
    result = persist(*fs(kata_root), "ls")
    assert result.returncode == 0, result.stderr
    assert FULL_SANDBOX in result.stdout and BARE_SANDBOX in result.stdout
    assert "nested 50001 levels deep" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_of_a_deeply_nested_export_fails_in_one_line(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    export = tmp_path / "deep.json"
    export.write_text(f'{{"format":"persist-export","version":1,"sandboxes":{{"x":{{"sandbox":{DEEP}}}}}}}')
    before = documents(kata_root)
    result = persist(*fs(kata_root), "import", "--replace", str(export))
    assert result.returncode == 1
    assert "nested too deeply" in single_line(result.stderr)
    assert documents(kata_root) == before
