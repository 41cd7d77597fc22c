"""Issue 11, items 1 and 3 through the CLI: an export naming a container like kata's own file is refused,
and `check` reports entries no ID can name."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import FULL_SANDBOX, PersistCli, documents, fs


def test_import_replace_refuses_a_container_named_persist_json(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    exported = tmp_path / "state.json"
    assert persist(*fs(kata_root), "export", "--output", str(exported), FULL_SANDBOX).returncode == 0
    export = json.loads(exported.read_text(encoding="utf-8"))
    containers = export["sandboxes"][FULL_SANDBOX]["containers"]
    containers["persist.json"] = next(iter(containers.values()))
    exported.write_text(json.dumps(export), encoding="utf-8")
    before = documents(kata_root)
    result = persist(*fs(kata_root), "import", "--replace", str(exported))
    assert result.returncode != 0
    assert "'persist.json'" in result.stderr and "verified" not in result.stdout
    assert documents(kata_root) == before


def test_check_reports_entries_that_are_no_valid_id(persist: PersistCli, kata_root: Path) -> None:
    (kata_root / "sbs" / "sp ace").mkdir()
    result = persist(*fs(kata_root), "check")
    assert result.returncode == 3, result.stderr  # unsound
    assert result.stderr.count("'sp ace'") == 1  # the listing warns once per driver
    assert "stray: " in result.stdout and "sp ace" in result.stdout
    assert "NOT sound" in result.stdout
    report = json.loads(persist(*fs(kata_root), "check", "--json").stdout)
    assert len(report["strays"]) == 1 and report["sound"] is False
