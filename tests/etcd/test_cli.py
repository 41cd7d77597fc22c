"""The ``persist`` command line with the etcd driver: options arrive as strings, ``copy`` moves stores."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from persist_core.cli.app import main
from persist_core.model import ContainerState, SandboxState
from persist_etcd.testing import EtcdCluster

from persist_etcd import EtcdDriver


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
