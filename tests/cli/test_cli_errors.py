"""The command-line contract: --help everywhere, driver selection, one-line errors, tracebacks on --debug."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from cli_helpers import FS, FULL_SANDBOX, PersistCli, fs, single_line

from persist_core.cli import build_parser


def _commands() -> list[str]:
    parser = build_parser()
    (subparsers,) = (action for action in parser._actions if isinstance(action, argparse._SubParsersAction))
    return sorted(subparsers.choices)


def test_every_command_of_the_issue_exists() -> None:
    expected = ["drivers", "ls", "show", "rm", "check", "export", "import", "copy", "completion"]
    assert _commands() == sorted(expected)


@pytest.mark.parametrize("command", [[], *([name] for name in _commands() if name != "completion")])
def test_help_on_every_command(persist: PersistCli, command: list[str]) -> None:
    result = persist(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: {' '.join(['persist', *command])} ")
    assert "--driver NAME" in result.stdout
    assert "-o KEY=VALUE" in result.stdout


def test_persist_driver_picks_the_default_driver(persist: PersistCli, kata_root: Path) -> None:
    result = persist("-o", f"root={kata_root}", "ls", env={"PERSIST_DRIVER": FS})
    assert result.returncode == 0, result.stderr
    assert FULL_SANDBOX in result.stdout
    unknown = persist("ls", env={"PERSIST_DRIVER": "no-such-driver"})
    assert unknown.returncode == 1
    assert "no persist driver named 'no-such-driver'" in single_line(unknown.stderr)


def test_driver_selection_before_or_after_the_command(persist: PersistCli, kata_root: Path) -> None:
    before = persist(*fs(kata_root), "ls", "--json")
    after = persist("ls", "--json", *fs(kata_root))
    split = persist("--driver", FS, "ls", "--json", "-o", f"root={kata_root}")
    assert before.returncode == after.returncode == split.returncode == 0
    assert before.stdout == after.stdout == split.stdout


def test_conflicting_or_malformed_driver_options(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    twice = persist("-o", f"root={kata_root}", "ls", "-o", f"root={tmp_path}", "--driver", FS)
    assert twice.returncode == 1
    assert "driver option 'root' is given twice" in single_line(twice.stderr)
    malformed = persist("ls", "-o", "root")
    assert malformed.returncode == 2
    assert "'root' is not KEY=VALUE" in single_line(malformed.stderr)
    drivers = persist("--driver", FS, "ls", "--driver", "memory")
    assert drivers.returncode == 2
    assert "--driver is given twice" in single_line(drivers.stderr)


def test_an_option_the_driver_does_not_take_is_one_error(persist: PersistCli) -> None:
    result = persist("--driver", "memory", "-o", "colour=blue", "ls")
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert line.startswith("persist: error: ")
    assert "'memory'" in line
    assert "colour" in line


def test_usage_errors_are_one_line_with_exit_status_two(persist: PersistCli) -> None:
    for argv in (["frobnicate"], [], ["show"], ["copy"], ["rm"]):
        result = persist(*argv)
        assert result.returncode == 2, argv
        assert "see `persist" in single_line(result.stderr)


def test_debug_adds_the_traceback(persist: PersistCli, kata_root: Path) -> None:
    quiet = persist(*fs(kata_root), "show", "no-such-sandbox")
    assert quiet.returncode == 1
    single_line(quiet.stderr)
    loud = persist(*fs(kata_root), "show", "no-such-sandbox", "--debug")
    assert loud.returncode == 1
    assert "Traceback (most recent call last)" in loud.stderr
    assert "SandboxNotFoundError" in loud.stderr
    assert loud.stderr.splitlines()[-1] == quiet.stderr.strip()


def test_an_unwritable_export_file_is_one_error(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir" / "x.json"
    result = persist(*fs(kata_root), "export", "--output", str(target))
    assert result.returncode == 1
    assert single_line(result.stderr) == (
        f"persist: error: cannot write export file {str(target)!r}: No such file or directory"
    )


def test_version(persist: PersistCli) -> None:
    from importlib.metadata import version

    result = persist("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"persist {version('persist-core')}")
