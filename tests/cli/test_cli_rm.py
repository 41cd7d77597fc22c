"""``persist rm``: destroys under the exclusive lock, waits at most ``--timeout``, names what it cannot do."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import BARE_SANDBOX, FS, FULL_SANDBOX, PersistCli, fs, single_line

from persist_core import get_driver


def test_rm_destroys_only_the_named_sandboxes(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "rm", FULL_SANDBOX)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"removed {FULL_SANDBOX}\n"
    assert get_driver(FS, root=str(kata_root)).sandbox_ids() == [BARE_SANDBOX]


def test_rm_removes_a_corrupt_sandbox(persist: PersistCli, corrupt_root: Path) -> None:
    assert persist(*fs(corrupt_root), "rm", FULL_SANDBOX).returncode == 0
    assert persist(*fs(corrupt_root), "check").returncode == 0


def test_rm_waits_for_the_lock_and_gives_up_after_the_timeout(persist: PersistCli, kata_root: Path) -> None:
    runtime = get_driver(FS, root=str(kata_root))
    with runtime.lock(FULL_SANDBOX, exclusive=False):  # a runtime reading the sandbox in another process
        result = persist(*fs(kata_root), "rm", "--timeout", "0", FULL_SANDBOX)
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert line.startswith("persist: error: ")
    assert FULL_SANDBOX in line
    assert runtime.sandbox_ids() == [BARE_SANDBOX, FULL_SANDBOX]  # nothing removed
    assert persist(*fs(kata_root), "rm", "--timeout", "0", FULL_SANDBOX).returncode == 0


def test_a_sandbox_that_is_not_stored_is_an_error_unless_forced(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "rm", "not-here", BARE_SANDBOX)
    assert result.returncode == 1
    assert "'not-here' is not stored" in single_line(result.stderr)
    assert result.stdout == f"removed {BARE_SANDBOX}\n"  # the others are still removed
    assert persist(*fs(kata_root), "rm", "--force", "not-here").returncode == 0


def test_rm_refuses_an_id_that_could_escape_the_store(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "rm", "..")
    assert result.returncode == 1
    assert "invalid sandbox ID '..'" in single_line(result.stderr)
    assert (kata_root / "sbs" / FULL_SANDBOX).is_dir()


def test_rm_rejects_a_bad_timeout_as_usage(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "rm", "--timeout", "-1", FULL_SANDBOX)
    assert result.returncode == 2
    assert "timeout '-1'" in single_line(result.stderr)
