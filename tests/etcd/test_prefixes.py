"""Stores on prefixes that nest (/p and /p/sbs/t, /q and /q/locks/x) never see or touch each other."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from persist_core.errors import InvalidArgumentError
from persist_core.model import ContainerState, SandboxState
from persist_etcd import EtcdDriver


def state(sandbox_id: str) -> SandboxState:
    return SandboxState(sandbox_container=sandbox_id, state=sandbox_id)


@pytest.mark.parametrize("inner", ["/sbs/tenant", "/ctr/tenant", "/locks/tenant", "/tenant", "/sbs"])
def test_destroying_in_the_outer_store_leaves_the_inner_one_alone(
    make_driver: Callable[..., EtcdDriver], etcd_prefix: str, inner: str
) -> None:
    outer, nested = make_driver(prefix=etcd_prefix), make_driver(prefix=etcd_prefix + inner)
    nested.save(state("tenant"), {"c": ContainerState()})
    nested.save(state("sbs"), {})
    assert outer.sandbox_ids() == []
    outer.destroy("tenant")  # the outer store does not hold it: nothing to remove
    outer.destroy("sbs")
    assert nested.load("tenant") == (state("tenant"), {"c": ContainerState()})
    outer.save(state("tenant"), {})
    nested.destroy("tenant")
    assert outer.load("tenant") == (state("tenant"), {})
    assert nested.sandbox_ids() == ["sbs"]
    assert outer.sandbox_ids() == ["tenant"]


@pytest.mark.parametrize("inner", ["/locks/x", "/locks", "/x"])
def test_a_nested_store_cannot_block_the_outer_store_s_locks(
    make_driver: Callable[..., EtcdDriver], etcd_prefix: str, inner: str
) -> None:
    outer, nested = make_driver(prefix=etcd_prefix), make_driver(prefix=etcd_prefix + inner)
    nested.save(state("x"), {})
    with nested.lock("x", timeout=0), outer.lock("x", timeout=0):
        pass
    with outer.lock("x", timeout=0), nested.lock("x", timeout=0):
        pass


def test_a_prefix_with_the_separator_is_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="':'"):
        EtcdDriver(prefix="/p:/sbs")
