"""Loading bytes seen before returns exact copies of the earlier result: equal, same types, nothing shared."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.caches import DecodedRecords
from persist_core.codec.exact import Exact
from persist_core.model import MODEL_CLASSES, ContainerState, GoTime, SandboxState
from persist_core.testing import kata_samples
from persist_core.testing.strategies import container_maps, model_objects, sandbox_states
from persist_memory import MemoryDriver


def mutable_parts(obj: Any) -> list[Any]:
    """Every object in the graph that a caller could change in place."""
    found: list[Any] = []
    pending = [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, set)):
            found.append(item)
            pending.extend(item)
        elif isinstance(item, dict):
            found.append(item)
            pending.extend(item.values())
        elif isinstance(item, tuple):
            pending.extend(item)
        elif attrs.has(type(item)) and not isinstance(item, GoTime):  # GoTime is frozen
            found.append(item)
            pending.extend(getattr(item, field.name) for field in attrs.fields(type(item)))
    return found


def same_shape(a: Any, b: Any) -> bool:
    """Equal, and of the same type all the way down (== alone would let a tuple pass for a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_shape(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_shape(a[key], b[key]) for key in a)
    if attrs.has(type(a)):
        return all(same_shape(getattr(a, f.name), getattr(b, f.name)) for f in attrs.fields(type(a)))
    return bool(a == b)


def check_independent_copies(first: Any, second: Any) -> None:
    assert same_shape(first, second)
    shared = {id(part) for part in mutable_parts(first)} & {id(part) for part in mutable_parts(second)}
    assert not shared


@pytest.mark.parametrize("sample", kata_samples(), ids=lambda sample: sample.name)
def test_kata_states_load_the_same_every_time(sample: Any) -> None:
    driver = MemoryDriver()
    driver._save(sample.sandbox_id, sample.sandbox, sample.containers)
    first = driver.load(sample.sandbox_id)
    second = driver.load(sample.sandbox_id)
    third = driver.load(sample.sandbox_id)
    assert first == sample.objects()
    check_independent_copies(first, second)
    check_independent_copies(second, third)
    assert codec.dumps(second[0]) == sample.sandbox
    assert {cid: codec.dumps(state) for cid, state in third[1].items()} == sample.containers


@given(sandbox_states(sandbox_id="s"), container_maps(), sandbox_states(sandbox_id="s"), container_maps())
@settings(max_examples=60, deadline=None)
def test_copies_follow_every_save(
    sandbox: SandboxState,
    containers: dict[str, ContainerState],
    sandbox2: SandboxState,
    containers2: dict[str, ContainerState],
) -> None:
    driver = MemoryDriver()
    driver.save(sandbox, containers)
    first = driver.load("s")
    first[0].state = "mutated by the caller"
    second = driver.load("s")
    assert second == (sandbox, dict(sorted(containers.items())))
    check_independent_copies(driver.load("s"), second)
    driver.save(sandbox2, containers2)
    assert driver.load("s") == (sandbox2, dict(sorted(containers2.items())))
    assert driver.load("s") == (sandbox2, dict(sorted(containers2.items())))


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_exact_copies_of_every_model_class(cls: type, data: st.DataObject) -> None:
    decoded = codec.loads(codec.dumps(data.draw(model_objects(cls))), cls)
    copied = Exact().copy(decoded)
    check_independent_copies(decoded, copied)
    assert Exact().same(copied, decoded)


@pytest.mark.parametrize("sample", kata_samples(), ids=lambda sample: sample.name)
def test_decoding_the_same_bytes_again_gives_independent_objects(sample: Any) -> None:
    first = codec.loads(sample.sandbox, SandboxState)
    first.state = "changed by the caller"
    first.config.hypervisor_config.kernel_path = "/changed"
    second = codec.loads(sample.sandbox, SandboxState)
    assert codec.dumps(second) == sample.sandbox
    check_independent_copies(second, codec.loads(sample.sandbox, SandboxState))
    # text input is never served from the cache, and decodes to the same value
    assert codec.loads(sample.sandbox.decode(), SandboxState) == second


def test_decoded_records_are_admitted_on_second_sight_and_bounded() -> None:
    records = [codec.dumps(ContainerState(state=f"s{i}")) for i in range(4)]
    cache = DecodedRecords(max_bytes=3 * (len(records[0]) + 64))
    first = cache.loads(records[0], ContainerState, "r0")
    assert len(cache._records) == 0  # first sight: nothing kept, no copy made
    second = cache.loads(records[0], ContainerState, "r0")  # second sight: decoded, and a copy kept
    third = cache.loads(records[0], ContainerState, "r0")  # a copy of the kept one
    check_independent_copies(first, second)
    check_independent_copies(second, third)
    third.state = "changed by the caller"
    assert cache.loads(records[0], ContainerState, "r0") == ContainerState(state="s0")
    for data in records[1:]:
        cache.loads(data, ContainerState, "r")
        cache.loads(data, ContainerState, "r")
    assert len(cache._records) == 3  # bounded: the least recently used went
    assert (ContainerState, records[0]) not in cache._records._entries
    assert cache.loads(records[3], SandboxState, "r3") == SandboxState(state="s3")  # kept per class


def test_first_sights_keep_no_bytes_and_push_out_nothing_kept() -> None:
    """A flood of state never seen (a restarting runtime) is noted by hash in a bounded set, apart from
    the kept copies: they stay, and every load still gives the value of its own bytes."""
    kept = codec.dumps(ContainerState(state="kept"))
    cache = DecodedRecords(max_bytes=4096)
    for _ in range(2):
        cache.loads(kept, ContainerState, "kept")
    for i in range(50):
        data = codec.dumps(ContainerState(state=f"new {i}"))
        assert cache.loads(data, ContainerState, "new") == ContainerState(state=f"new {i}")
        assert len(cache._first_sights) <= 4096 // 1024
    assert list(cache._records._entries) == [(ContainerState, kept)]
    assert cache.loads(kept, ContainerState, "kept") == ContainerState(state="kept")
    cache.clear()
    assert len(cache._records) == 0 and not cache._first_sights


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    cache = DecodedRecords(max_bytes=0)
    data = codec.dumps(ContainerState(state="x"))
    for _ in range(3):
        assert cache.loads(data, ContainerState, "r") == ContainerState(state="x")
    assert len(cache._records) == 0
