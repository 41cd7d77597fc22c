"""``persist check``: exit 0 only when sound; ``--repair`` never deletes a sandbox that loads."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from cli_helpers import BARE_SANDBOX, CORRUPT_RECORD, FULL_SANDBOX, KATA, PersistCli, documents, fs

from persist_core import PersistDriver, SandboxState, codec, register_driver, unregister_driver
from persist_core.cli import main
from persist_memory.driver import MemoryDriver

SOUND, UNSOUND, FAILED = 0, 3, 1


def test_a_sound_store_exits_zero(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "check")
    assert result.returncode == SOUND, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].endswith(": sound")
    assert "2 sandboxes" in result.stdout


def test_a_corrupt_record_is_reported_and_the_exit_status_says_so(persist: PersistCli, corrupt_root: Path) -> None:
    result = persist(*fs(corrupt_root), "check")
    assert result.returncode == UNSOUND
    problem, summary = result.stdout.splitlines()
    assert problem.startswith("corrupt: ")
    assert CORRUPT_RECORD.split("/", 1)[1] in problem
    assert "1 sound, 1 corrupt" in summary
    assert summary.endswith("NOT sound")

    report = json.loads(persist(*fs(corrupt_root), "check", "--json").stdout)
    assert report["sound"] is False
    assert {item["id"]: item["status"] for item in report["sandboxes"]} == {
        FULL_SANDBOX: "corrupt",
        BARE_SANDBOX: "ok",
    }


def test_a_newer_persist_version_is_not_sound(persist: PersistCli, kata_root: Path) -> None:
    record = kata_root / "sbs" / BARE_SANDBOX / "persist.json"
    record.write_bytes(record.read_bytes().replace(b'"PersistVersion":2', b'"PersistVersion":7'))
    result = persist(*fs(kata_root), "check")
    assert result.returncode == UNSOUND
    assert result.stdout.startswith("newer-version: ")
    assert "PersistVersion 7" in result.stdout


def _leave_leftovers(root: Path) -> list[Path]:
    """What writers killed mid-save leave in the fs layout: a half-built first save and a temporary record."""
    staging = root / "sbs" / ".staging" / "killed-writer"
    staging.mkdir(parents=True)
    (staging / "persist.json").write_bytes(b'{"State":"rea')
    temporary = root / "sbs" / BARE_SANDBOX / ".new-sandbox"
    temporary.write_bytes(b'{"State":"paus')
    return [staging, temporary]


def test_leftovers_of_killed_writers_are_reported_then_repaired(persist: PersistCli, kata_root: Path) -> None:
    before = documents(kata_root)
    leftovers = _leave_leftovers(kata_root)
    found = persist(*fs(kata_root), "check")
    assert found.returncode == UNSOUND
    reported = [line for line in found.stdout.splitlines() if line.startswith("leftover: ")]
    assert len(reported) == 2
    for path in leftovers:
        assert any(path.name in line for line in reported), (path, reported)
    assert all(path.exists() for path in leftovers)  # check alone changes nothing

    repaired = persist(*fs(kata_root), "check", "--repair")
    assert repaired.returncode == SOUND, repaired.stdout + repaired.stderr
    assert len([line for line in repaired.stdout.splitlines() if line.startswith("removed: ")]) == 2
    assert not any(path.exists() for path in leftovers)
    assert documents(kata_root) == before  # every sandbox that loads is untouched
    assert persist(*fs(kata_root), "check").returncode == SOUND


def test_repair_keeps_every_sandbox_and_leaves_corrupt_ones_for_rm(persist: PersistCli, corrupt_root: Path) -> None:
    before = documents(corrupt_root)
    leftovers = _leave_leftovers(corrupt_root)
    result = persist(*fs(corrupt_root), "check", "--repair", "--json")
    assert result.returncode == UNSOUND  # the corrupt sandbox is still there: repair does not delete it
    report = json.loads(result.stdout)
    assert (len(report["removed"]), report["leftovers"], report["damaged"]) == (2, [], [])
    assert not any(path.exists() for path in leftovers)
    assert documents(corrupt_root) == before  # the torn record too: evidence is the operator's to remove


def test_check_of_the_memory_driver(persist: PersistCli) -> None:
    result = persist("--driver", "memory", "check", "--repair")
    assert result.returncode == SOUND
    assert result.stdout.strip() == "0 sandboxes in memory: 0 sound; 0 leftovers (0 removed): sound"


class _CarelessDriver(MemoryDriver):
    """A driver whose clean_leftovers breaks the contract and deletes a sandbox that loads."""

    name = "careless"

    def find_leftovers(self) -> list[str]:
        return ["sbs/.tmp-1"]

    def clean_leftovers(self) -> list[str]:
        for sandbox_id in self.sandbox_ids():
            self.destroy(sandbox_id)
        return ["sbs/.tmp-1"]


@pytest.fixture
def careless() -> Iterable[MemoryDriver]:
    driver = _CarelessDriver()
    register_driver("careless", lambda **_: driver)
    yield driver
    unregister_driver("careless")


def test_repair_fails_loudly_if_a_driver_deletes_a_loading_sandbox(
    careless: PersistDriver, capsys: pytest.CaptureFixture[str]
) -> None:
    record = KATA / "tree-full" / "sbs" / BARE_SANDBOX / "persist.json"
    careless.save(codec.loads(record.read_bytes(), SandboxState), {})
    assert main(["--driver", "careless", "check", "--repair"]) == FAILED
    err = capsys.readouterr().err
    assert f"sandbox {BARE_SANDBOX!r} loaded before the repair and does not now" in err
