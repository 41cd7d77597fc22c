"""What once surprised an operator: options that changed owner, a mistyped root that looked empty,
passwords in messages, and a typo answered with a package name to install."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import BARE_SANDBOX, FS, FULL_SANDBOX, KATA, PersistCli, documents, fs, single_line

from persist_core import register_driver, unregister_driver
from persist_core.cli import main
from persist_memory import MemoryDriver

# -- 1. copy: -o is the source's, -O the destination's -----------------------------------------------


def test_a_destination_without_options_is_refused_and_nothing_is_written(persist: PersistCli, kata_root: Path) -> None:
    default_root = Path("/run/vc")  # fs's default store for root: the live kata tree
    existed = default_root.exists()
    # The command that once copied every sandbox into /run/vc: -o before the command is the source's.
    result = persist("-o", f"root={kata_root}", "copy", "--to", FS)
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert "the destination has no options" in line
    assert f"{FS} (root=/run/vc)" in line  # says which store it would have been
    assert "-O KEY=VALUE" in line and "--to-default" in line
    assert result.stdout == ""
    assert default_root.exists() == existed


def test_o_after_to_is_a_usage_error_pointing_at_capital_o(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    result = persist(*fs(kata_root), "copy", "--to", FS, "-o", f"root={target}")
    assert result.returncode == 2
    line = single_line(result.stderr)
    assert "-o always configures the source" in line and "-O root=" in line
    assert not target.exists()


def test_to_default_is_the_explicit_way_to_the_default_store(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "copy", "--to", "memory", "--to-default", BARE_SANDBOX)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("copied 1 of 1 sandbox (0 containers)")
    both = persist(*fs(kata_root), "copy", "--to", "memory", "--to-default", "-O", "namespace=x")
    assert both.returncode == 1
    assert "--to-default" in single_line(both.stderr)


@pytest.mark.parametrize("spelling", ["{root}", "{root}/", "{root}/./sbs/.."])
def test_copying_a_store_onto_itself_is_refused(persist: PersistCli, kata_root: Path, spelling: str) -> None:
    result = persist(*fs(kata_root), "copy", "--to", FS, "--replace", "-O", "root=" + spelling.format(root=kata_root))
    assert result.returncode == 1
    assert f"source and destination are the same store, {FS} (root={kata_root})" in single_line(result.stderr)
    assert documents(kata_root) == documents(KATA / "tree-full")


def test_a_symlink_to_the_source_is_the_same_store(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(kata_root)
    result = persist(*fs(kata_root), "copy", "--to", FS, "--replace", "-O", f"root={link}")
    assert result.returncode == 1
    assert "the same store" in single_line(result.stderr)
    assert documents(kata_root) == documents(KATA / "tree-full")


def test_fs_and_rootlessfs_on_one_root_are_one_store(persist: PersistCli, kata_root: Path) -> None:
    result = persist(*fs(kata_root), "copy", "--to", "rootlessfs", "-O", f"root={kata_root}")
    assert result.returncode == 1
    assert "the same store" in single_line(result.stderr)


# -- 2. read-only commands on a store that does not exist ------------------------------------------


@pytest.mark.parametrize("command", [["ls"], ["ls", "-q"], ["show", FULL_SANDBOX], ["check"], ["export"]])
def test_reading_a_store_that_does_not_exist_names_the_path(
    persist: PersistCli, tmp_path: Path, command: list[str]
) -> None:
    mistyped = tmp_path / "no" / "such" / "dir"
    result = persist(*fs(mistyped), *command)
    assert result.returncode == 1
    assert single_line(result.stderr).startswith(f"persist: error: the {FS} store {mistyped} does not exist")
    assert result.stdout == ""
    assert not mistyped.exists()  # reading never creates it


def test_copy_from_a_store_that_does_not_exist_is_refused(persist: PersistCli, tmp_path: Path) -> None:
    result = persist(*fs(tmp_path / "missing"), "copy", "--to", "memory", "--to-default")
    assert result.returncode == 1
    assert f"store {tmp_path / 'missing'} does not exist" in single_line(result.stderr)


def test_commands_that_write_create_the_store(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.json"
    assert persist(*fs(kata_root), "export", "--output", str(export)).returncode == 0
    new_root = tmp_path / "new" / "root"
    result = persist(*fs(new_root), "import", str(export))
    assert result.returncode == 0, result.stderr
    assert documents(new_root) == documents(KATA / "tree-full")


# -- 3. secret option values are masked -----------------------------------------------------------


class _LeakyDriver(MemoryDriver):
    """A driver whose options include a password, as etcd's do."""

    name = "leaky"

    def __init__(self, namespace: str | None = None, password: str | None = None) -> None:
        if password is not None and password.startswith("refused-"):
            raise RuntimeError(f"login refused for password {password}")
        super().__init__(namespace)
        self._password = password

    @property
    def options(self) -> dict[str, Any]:
        return {**super().options, "password": self._password}


@pytest.fixture
def leaky() -> Iterator[str]:
    register_driver("leaky", _LeakyDriver)
    try:
        yield "leaky"
    finally:
        unregister_driver("leaky")


def test_a_password_never_reaches_the_terminal(leaky: str, capsys: pytest.CaptureFixture[str]) -> None:
    secret = "hunter2-s3cret"
    assert main(["--driver", leaky, "-o", "namespace=hazards", "-o", f"password={secret}", "ls"]) == 0
    assert main(["--driver", leaky, "-o", "namespace=hazards", "-o", f"password={secret}", "check"]) == 0
    out, err = capsys.readouterr()
    assert "leaky (namespace=hazards, password=***)" in err + out
    twice = ["--driver", leaky, "-o", f"password={secret}", "ls", "-o", "password=other-secret"]
    assert main(twice) == 1
    err = capsys.readouterr().err
    assert "given twice (*** and ***)" in err
    assert "other-secret" not in err


def test_a_password_in_a_failing_driver_s_message_is_masked(leaky: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--driver", leaky, "-o", "password=refused-s3cret", "ls", "--debug"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err  # --debug: the traceback, masked as well
    assert "s3cret" not in err
    assert "failed to start with options {'password': '***'}: login refused for password ***" in err


def test_etcd_s_password_is_masked_in_summaries_and_errors(persist: PersistCli) -> None:
    pytest.importorskip("persist_etcd")
    selection = ["--driver", "etcd", "-o", "endpoints=127.0.0.1:9", "-o", "user=alice", "-o", "password=etcd-s3cret"]
    opens = persist("drivers", *selection)
    assert opens.stdout.splitlines()[-1].endswith("user=alice, password=***): opens")
    failing = persist(*selection, "-o", "timeout=0.5", "ls")
    assert failing.returncode == 1
    for result in (opens, failing):
        assert "etcd-s3cret" not in result.stderr + result.stdout


# -- 4. a typo suggests what is installed, never a package to fetch --------------------------------


def test_a_mistyped_driver_suggests_an_installed_one(persist: PersistCli) -> None:
    result = persist("--driver", "memroy", "ls")
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert "no persist driver named 'memroy' (did you mean 'memory'?)" in line
    assert "pip install" not in line and "persist-memroy" not in line


def test_an_unknown_option_lists_the_driver_s_options(persist: PersistCli, tmp_path: Path) -> None:
    result = persist("--driver", FS, "-o", f"rot={tmp_path}", "ls")
    assert result.returncode == 1
    assert single_line(result.stderr) == (
        "persist: error: persist driver 'fs' has no option 'rot' (did you mean 'root'?); its options: root, "
        "cache_bytes, max_record_size, fsync"
    )


def test_secret_names() -> None:
    from persist_core.redaction import is_secret

    secret = ["password", "PASSWORD", "passwd", "token", "auth_token", "apikey", "client_key", "secret", "api-key"]
    public = ["password_file", "key_path", "user", "root", "namespace", "endpoints", "ca_cert", "lock_ttl", "keyring"]
    assert [name for name in secret if not is_secret(name)] == []
    assert [name for name in public if is_secret(name)] == []


def test_environment_is_not_echoed(persist: PersistCli, tmp_path: Path) -> None:
    env = {"PERSIST_OPT_PASSWORD": "env-s3cret"}
    result = persist(*fs(tmp_path), "ls", env=env)
    assert result.returncode == 1
    line = single_line(result.stderr)
    assert "has no option 'password'" in line and "$PERSIST_OPT_PASSWORD" in line
    assert "env-s3cret" not in line
