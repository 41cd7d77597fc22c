"""The ``persist`` command line with the etcd driver: options arrive as strings, ``copy`` moves stores."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import pytest

from persist_core.cli.app import main
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver
from persist_etcd.testing import EtcdCluster, raw_range, record_keys


def test_copy_moves_every_sandbox_between_prefixes(
    etcd_cluster: EtcdCluster,
    etcd_prefix: str,
    make_driver: Callable[..., EtcdDriver],
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = make_driver(prefix=etcd_prefix + "/a")
    states = {sid: SandboxState(sandbox_container=sid, state="running") for sid in ("sb1", "sb2")}
    for sid, state in states.items():
        source.save(state, {"c": ContainerState(bundle_path=f"/b/{sid}")})
    endpoints = ",".join(etcd_cluster.endpoints)
    source_options = f"-o endpoints={endpoints} -o prefix={etcd_prefix}/a -o timeout=5"
    destination_options = f"-O endpoints={endpoints} -O prefix={etcd_prefix}/b -O lock_ttl=5"
    status = main(f"--driver etcd {source_options} copy --to etcd {destination_options}".split())
    assert status == 0, capsys.readouterr().err
    destination = make_driver(prefix=etcd_prefix + "/b")
    assert destination.sandbox_ids() == ["sb1", "sb2"]
    for sid, state in states.items():
        assert destination.load(sid) == (state, {"c": ContainerState(bundle_path=f"/b/{sid}")})


def test_an_unreachable_cluster_is_one_line_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--driver", "etcd", "-o", "endpoints=127.0.0.1:1", "-o", "timeout=1", "ls"])
    err = capsys.readouterr().err
    assert status != 0
    assert "http://127.0.0.1:1" in err
    assert "connection refused" in err
    assert len(err.strip().splitlines()) == 1


def test_copy_moves_an_fs_tree_into_etcd_and_back_byte_for_byte(
    etcd_cluster: EtcdCluster, etcd_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("persist_fs", reason="the fs driver (persist-fs) is not installed")
    kata_tree = Path(str(files("persist_core.testing") / "kata" / "tree-full"))
    source = tmp_path / "host-a"
    shutil.copytree(kata_tree, source)
    endpoints = ",".join(etcd_cluster.endpoints)
    to_etcd = f"--driver fs -o root={source} copy --to etcd -O endpoints={endpoints} -O prefix={etcd_prefix}"
    assert main(to_etcd.split()) == 0, capsys.readouterr().err

    _, stored = raw_range(etcd_cluster.endpoints[0], f"{etcd_prefix}:/")
    on_disk = {str(path.relative_to(source)): path.read_bytes() for path in source.rglob("persist.json")}
    in_etcd = {}
    for sandbox_id in (path.name for path in (source / "sbs").iterdir()):
        for name, key in record_keys(etcd_cluster.endpoints[0], etcd_prefix, sandbox_id).items():
            in_etcd[f"sbs/{sandbox_id}/{name}/persist.json".replace("//", "/")] = stored[key][0]
    assert in_etcd == on_disk

    back = tmp_path / "host-b"
    from_etcd = f"--driver etcd -o endpoints={endpoints} -o prefix={etcd_prefix} copy --to fs -O root={back}"
    assert main(from_etcd.split()) == 0, capsys.readouterr().err
    assert {str(path.relative_to(back)): path.read_bytes() for path in back.rglob("persist.json")} == on_disk
