"""``persist ls`` and ``persist show`` on kata's own trees, including a corrupt one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from cli_helpers import BARE_SANDBOX, CORRUPT_RECORD, FULL_SANDBOX, KATA, PersistCli, fs, table

from persist_core import ContainerState, SandboxState, codec


def _fixture(sandbox_id: str) -> tuple[SandboxState, dict[str, ContainerState]]:
    folder = KATA / "tree-full" / "sbs" / sandbox_id
    sandbox = codec.loads((folder / "persist.json").read_bytes(), SandboxState)
    containers = {
        path.parent.name: codec.loads(path.read_bytes(), ContainerState) for path in folder.glob("*/persist.json")
    }
    return sandbox, containers


def test_ls_shows_state_containers_version_and_last_change(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "ls")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    rows = table(result.stdout)
    assert rows.pop("SANDBOX") == ["STATE", "CONTAINERS", "VERSION", "LAST", "CHANGE"]
    assert sorted(rows) == [BARE_SANDBOX, FULL_SANDBOX]
    for sandbox_id, row in rows.items():
        sandbox, containers = _fixture(sandbox_id)
        assert row[:3] == [sandbox.state, str(len(containers)), str(sandbox.persist_version)]
        assert len(row) > 3  # a last-change time (the fs driver knows it)


def test_ls_json_is_for_scripts(persist: PersistCli, kata_root: Path) -> None:
    result = persist("ls", "--json", *fs(kata_root))
    assert result.returncode == 0, result.stderr
    data = {item["id"]: item for item in json.loads(result.stdout)}
    sandbox, containers = _fixture(FULL_SANDBOX)
    full = data[FULL_SANDBOX]
    assert full["status"] == "ok"
    assert (full["state"], full["containers"], full["persist_version"]) == (
        sandbox.state,
        len(containers),
        sandbox.persist_version,
    )
    mtime = (kata_root / "sbs" / FULL_SANDBOX / "persist.json").stat().st_mtime
    assert abs(full["last_modified"] - mtime) < 5  # the record's own time, not the time of the listing
    assert full["error"] is None


def test_a_corrupt_sandbox_shows_as_corrupt_and_the_listing_goes_on(persist: PersistCli, corrupt_root: Path) -> None:
    result = persist(*fs(corrupt_root), "ls")
    assert result.returncode == 0
    rows = table(result.stdout)
    assert rows[FULL_SANDBOX][:3] == ["corrupt", "-", "-"]
    assert rows[BARE_SANDBOX][0] == _fixture(BARE_SANDBOX)[0].state
    warning = result.stderr.strip()
    assert warning.startswith("persist: corrupt: ")
    assert CORRUPT_RECORD.split("/", 1)[1] in warning  # names the torn record
    data = {item["id"]: item for item in json.loads(persist(*fs(corrupt_root), "ls", "--json").stdout)}
    assert data[FULL_SANDBOX]["status"] == "corrupt"
    assert "3b9d0c7e5a21" in data[FULL_SANDBOX]["error"]
    assert data[BARE_SANDBOX]["status"] == "ok"


def test_a_sandbox_from_a_newer_persist_version_is_reported_not_read(persist: PersistCli, kata_root: Path) -> None:
    record = kata_root / "sbs" / BARE_SANDBOX / "persist.json"
    record.write_bytes(record.read_bytes().replace(b'"PersistVersion":2', b'"PersistVersion":3'))
    data = {item["id"]: item for item in json.loads(persist(*fs(kata_root), "ls", "--json").stdout)}
    assert data[BARE_SANDBOX]["status"] == "newer-version"
    assert "PersistVersion 3" in data[BARE_SANDBOX]["error"]
    assert data[FULL_SANDBOX]["status"] == "ok"


def test_a_sandbox_filed_under_another_id_is_inconsistent(persist: PersistCli, kata_root: Path) -> None:
    shutil.copytree(kata_root / "sbs" / BARE_SANDBOX, kata_root / "sbs" / "moved-by-hand")
    data = {item["id"]: item for item in json.loads(persist(*fs(kata_root), "ls", "--json").stdout)}
    assert data["moved-by-hand"]["status"] == "inconsistent"
    assert BARE_SANDBOX in data["moved-by-hand"]["error"]


def test_ls_of_an_empty_store(persist: PersistCli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = persist(*fs(tmp_path / "empty"), "ls")
    assert (result.returncode, result.stdout) == (0, "")
    assert "no sandboxes" in result.stderr
    assert json.loads(persist("--driver", "memory", "ls", "--json").stdout) == []


def test_show_summarises_the_sandbox_and_its_containers(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "show", FULL_SANDBOX)
    assert result.returncode == 0, result.stderr
    sandbox, containers = _fixture(FULL_SANDBOX)
    summary, _, container_table = result.stdout.partition("\n\n")
    fields = {line[:16].strip(): line[16:].strip() for line in summary.splitlines()}
    assert fields["sandbox"] == FULL_SANDBOX
    assert fields["state"] == sandbox.state
    assert fields["hypervisor"] == sandbox.hypervisor_state.type
    assert fields["hypervisor pid"] == str(sandbox.hypervisor_state.pid)
    assert fields["containers"] == str(len(containers))
    rows = table(container_table)
    assert rows.pop("CONTAINER") == ["STATE", "PID", "STARTED", "ROOTFS", "BUNDLE"]
    assert set(rows) == set(containers)
    for container_id, row in rows.items():
        container = containers[container_id]
        assert row[:3] == [container.state, str(container.process.pid), container.process.start_time.format()]
        assert row[-1] == container.bundle_path


def test_show_json_prints_the_stored_documents_byte_for_byte(persist: PersistCli, kata_root: Path) -> None:
    result = persist.raw(*fs(kata_root), "show", "--json", FULL_SANDBOX)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    folder = KATA / "tree-full" / "sbs" / FULL_SANDBOX
    assert document["sandbox"] == json.loads((folder / "persist.json").read_bytes())
    assert set(document["containers"]) == {path.parent.name for path in folder.glob("*/persist.json")}
    for container_id, container in document["containers"].items():
        assert container == json.loads((folder / container_id / "persist.json").read_bytes())
        # Embedded verbatim: Go's bytes (escapes, float and time formats) appear unchanged.
        assert (folder / container_id / "persist.json").read_bytes().rstrip(b"\n") in result.stdout


def test_show_of_a_missing_or_corrupt_sandbox_is_one_error(persist: PersistCli, corrupt_root: Path) -> None:
    missing = persist(*fs(corrupt_root), "show", "nope")
    assert missing.returncode == 1
    assert "'nope'" in missing.stderr
    assert len(missing.stderr.splitlines()) == 1
    corrupt = persist(*fs(corrupt_root), "show", FULL_SANDBOX)
    assert corrupt.returncode == 1
    assert "3b9d0c7e5a21" in corrupt.stderr
    assert len(corrupt.stderr.splitlines()) == 1
