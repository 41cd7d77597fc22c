"""Conventions operators bring from podman, docker and etcdctl: -q, options from the environment,
shell completion, --version, and a non-zero status when something installed is broken."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cli_helpers import BARE_SANDBOX, FS, FULL_SANDBOX, PersistCli, fs, single_line


def test_ls_quiet_prints_only_ids_one_a_line(persist: PersistCli, corrupt_root: Path) -> None:
    result = persist(*fs(corrupt_root), "ls", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{BARE_SANDBOX}\n{FULL_SANDBOX}\n"  # the corrupt one is listed too, without noise
    assert result.stderr == ""
    assert persist(*fs(corrupt_root), "ls", "-q", "--json").returncode == 2


def test_driver_options_from_the_environment_and_the_command_line_wins(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    from_env = persist("--driver", FS, "ls", "-q", env={"PERSIST_OPT_ROOT": str(kata_root)})
    assert (from_env.returncode, from_env.stdout) == (0, f"{BARE_SANDBOX}\n{FULL_SANDBOX}\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    overridden = persist(*fs(empty), "ls", "-q", env={"PERSIST_OPT_ROOT": str(kata_root)})
    assert (overridden.returncode, overridden.stdout) == (0, "")


def test_environment_options_are_the_source_s_only(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    # PERSIST_OPT_ROOT configures the source; the destination still needs -O (or --to-default).
    result = persist("--driver", FS, "copy", "--to", FS, env={"PERSIST_OPT_ROOT": str(kata_root)})
    assert result.returncode == 1
    assert "the destination has no options" in single_line(result.stderr)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_know_every_command_and_option(persist: PersistCli, shell: str) -> None:
    result = persist("completion", shell)
    assert result.returncode == 0, result.stderr
    for word in ("copy", "import", "ls", "skip-existing", "to-default", "quiet"):  # fish writes -l quiet
        assert word in result.stdout, word


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_registers_a_completion(persist: PersistCli) -> None:
    script = persist("completion", "bash").stdout
    shown = subprocess.run(
        ["bash", "-c", 'eval "$1"; complete -p persist', "-", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.rstrip().endswith(" persist")


def test_an_unknown_shell_is_a_usage_error(persist: PersistCli) -> None:
    result = persist("completion", "tcsh")
    assert result.returncode == 2
    assert "invalid choice: 'tcsh'" in single_line(result.stderr)
