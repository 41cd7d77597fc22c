"""Bulk work that can be stopped and resumed: Ctrl-C says how far it got and leaves nothing behind,
--skip-existing goes on from there, and an export file that names a sandbox twice is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from cli_helpers import BARE_SANDBOX, FS, FULL_SANDBOX, KATA, PersistCli, documents, fs, single_line

from persist_core import get_driver, register_driver, unregister_driver
from persist_core.cli import main
from persist_core.testing.samples import small_container, small_sandbox
from persist_fs import FsDriver

SANDBOXES = [f"sbx-{index:03d}" for index in range(6)]


def _store_of(root: Path, sandbox_ids: list[str]) -> Path:
    driver = get_driver(FS, root=str(root))
    for sandbox_id in sandbox_ids:
        driver.save(small_sandbox(sandbox_id), {"c1": small_container(sandbox_id)})
    return root


def _stored(root: Path) -> list[str]:
    return sorted(name for name in os.listdir(root / "sbs") if not name.startswith("."))


def _assert_sound(persist: PersistCli, root: Path) -> None:
    """``check`` is satisfied, and no lock file is left for a sandbox that is not stored."""
    check = persist(*fs(root), "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.rstrip().endswith("0 leftovers: sound")
    locks = root / "sbs" / ".locks"
    assert set(os.listdir(locks) if locks.exists() else []) <= set(_stored(root))


class _InterruptedFs(FsDriver):
    """An fs destination at which the operator presses Ctrl-C while the second sandbox is being saved."""

    name = "interrupted-fs"
    saves = 0

    def _save(self, sandbox_id: str, sandbox: bytes, containers: Mapping[str, bytes]) -> None:
        type(self).saves += 1
        if type(self).saves == 2:
            os.kill(os.getpid(), signal.SIGINT)
        super()._save(sandbox_id, sandbox, containers)


@pytest.fixture
def interrupted_fs() -> Iterator[str]:
    _InterruptedFs.saves = 0
    register_driver(_InterruptedFs.name, _InterruptedFs)
    try:
        yield _InterruptedFs.name
    finally:
        unregister_driver(_InterruptedFs.name)


def test_ctrl_c_finishes_the_sandbox_in_hand_reports_and_a_rerun_resumes(
    persist: PersistCli, interrupted_fs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _store_of(tmp_path / "source", SANDBOXES)
    target = tmp_path / "target"
    status = main([*fs(source), "copy", "--to", interrupted_fs, "-O", f"root={target}"])
    out = capsys.readouterr().out
    assert status == 130
    assert out.startswith("interrupted after 2 of 6: copied 2 of 6 sandboxes (2 containers) from ")
    assert out.rstrip().endswith("; 4 not started (rerun with --skip-existing to go on)")
    assert _stored(target) == SANDBOXES[:2]  # the sandbox in hand was finished, the rest not started
    _assert_sound(persist, target)

    resumed = persist(*fs(source), "copy", "--skip-existing", "--to", FS, "-O", f"root={target}")
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.startswith("copied 4 of 6 sandboxes (4 containers)")
    assert "; 2 skipped (already stored, identical)" in resumed.stdout
    assert documents(target) == documents(source)


def test_skip_existing_still_refuses_a_sandbox_stored_with_other_content(
    persist: PersistCli, kata_root: Path, tmp_path: Path
) -> None:
    target = _store_of(tmp_path / "target", [BARE_SANDBOX])  # same ID, other documents
    result = persist(*fs(kata_root), "copy", "--skip-existing", "--to", FS, "-O", f"root={target}")
    assert result.returncode == 1
    assert f"{BARE_SANDBOX!r} is already stored in {FS} (root={target}) with other content" in result.stderr
    assert result.stdout.startswith("copied 1 of 2 sandboxes (3 containers)")
    assert persist(*fs(kata_root), "copy", "--skip-existing", "--replace", "--to", FS, "-O", "root=x").returncode == 2


def test_import_skip_existing_resumes(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.json"
    assert persist(*fs(kata_root), "export", "--output", str(export)).returncode == 0
    target = tmp_path / "target"
    assert persist(*fs(target), "import", str(export), BARE_SANDBOX).returncode == 0
    result = persist(*fs(target), "import", "--skip-existing", str(export))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("imported 1 of 2 sandboxes (3 containers)")
    assert "1 skipped" in result.stdout
    assert documents(target) == documents(KATA / "tree-full")


_SLOW_PLUGIN = """
    import time
    from persist_fs import FsDriver

    class SlowFs(FsDriver):
        name = "slowfs"

        def _save(self, sandbox_id, sandbox, containers):
            time.sleep(0.1)
            super()._save(sandbox_id, sandbox, containers)
"""


def _slow_plugin(site: Path) -> dict[str, str]:
    info = site / "persist_slowfs-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: persist-slowfs\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[persist.drivers]\nslowfs = persist_slowfs:SlowFs\n")
    (site / "persist_slowfs.py").write_text(textwrap.dedent(_SLOW_PLUGIN))
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_a_real_ctrl_c_of_the_command(persist: PersistCli, tmp_path: Path) -> None:
    sandbox_ids = [f"sbx-{index:03d}" for index in range(60)]  # at least 6 s at 0.1 s a save
    source = _store_of(tmp_path / "source", sandbox_ids)
    target = tmp_path / "target"
    command = [persist.executable, *fs(source), "copy", "--to", "slowfs", "-O", f"root={target}"]
    env = {**persist.env, **_slow_plugin(tmp_path / "site")}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (target / "sbs" / "sbx-001").exists():  # two sandboxes copied: well under way
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert out.startswith("interrupted after ")
    assert "not started (rerun with --skip-existing to go on)" in out
    _assert_sound(persist, target)
    resumed = persist(*fs(source), "copy", "--skip-existing", "--to", FS, "-O", f"root={target}")
    assert resumed.returncode == 0, resumed.stderr
    assert documents(target) == documents(source)


# -- export files that name a sandbox or container twice (issue 11, item 14) -----------------------


def _export(persist: PersistCli, root: Path) -> str:
    result = persist(*fs(root), "export")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_refuses_a_sandbox_named_twice(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    text = _export(persist, kata_root)
    lines = text.splitlines()
    bare = next(line for line in lines if line.startswith(f'"{BARE_SANDBOX}"'))
    doubled = text.replace(bare, bare.rstrip(",") + ",\n" + bare, 1)
    target = tmp_path / "target"
    result = persist(*fs(target), "import", "-", stdin=doubled.encode())
    assert result.returncode == 1
    assert (
        single_line(result.stderr)
        == f"persist: error: stdin: sandbox {BARE_SANDBOX!r} appears 2 times; nothing imported"
    )
    assert not target.exists()


def test_import_refuses_a_container_named_twice(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    text = _export(persist, kata_root)
    container = '"3b9d0c7e5a21":'
    assert text.count(container) == 1
    doubled = text.replace(container, '"3b9d0c7e5a21":{},' + container, 1)  # an empty record first
    export = tmp_path / "doubled.json"
    export.write_text(doubled)
    target = tmp_path / "target"
    result = persist(*fs(target), "import", str(export))
    assert result.returncode == 1
    assert single_line(result.stderr) == (
        f"persist: error: {export}: sandbox {FULL_SANDBOX!r}: container '3b9d0c7e5a21' appears 2 times; "
        "nothing imported"
    )
    assert not target.exists()


def test_decoding_a_large_import_file_shows_progress(persist: PersistCli, kata_root: Path, tmp_path: Path) -> None:
    export = tmp_path / "all.json"
    assert persist(*fs(kata_root), "export", "--output", str(export)).returncode == 0
    result = persist(*fs(tmp_path / "target"), "import", "--progress", "always", str(export))
    assert result.returncode == 0, result.stderr
    assert "decoding [" in result.stderr and "importing [" in result.stderr


def test_a_corrupt_record_names_the_field_as_the_file_does(persist: PersistCli, kata_root: Path) -> None:
    record = kata_root / "sbs" / BARE_SANDBOX / "persist.json"
    record.write_bytes(record.read_bytes().replace(b'"PersistVersion":2', b'"PersistVersion":"2"'))
    result = persist(*fs(kata_root), "check")
    assert result.returncode == 3
    assert "got string '2' @ $.PersistVersion" in result.stdout


class _InterruptedDestroyFs(FsDriver):
    """An fs store at which the operator presses Ctrl-C while the first of several sandboxes is destroyed."""

    name = "interrupted-destroy-fs"

    def _destroy(self, sandbox_id: str) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        super()._destroy(sandbox_id)


def test_ctrl_c_of_rm_finishes_the_destroy_in_hand_and_starts_no_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _store_of(tmp_path / "store", SANDBOXES[:3])
    register_driver(_InterruptedDestroyFs.name, _InterruptedDestroyFs)
    try:
        status = main(["--driver", _InterruptedDestroyFs.name, "-o", f"root={root}", "rm", *SANDBOXES[:3]])
    finally:
        unregister_driver(_InterruptedDestroyFs.name)
    out, err = capsys.readouterr()
    assert status == 130
    assert out == f"removed {SANDBOXES[0]}\n"
    assert err == "persist: error: interrupted after 1 of 3 sandboxes\n"
    assert _stored(root) == SANDBOXES[1:3]
