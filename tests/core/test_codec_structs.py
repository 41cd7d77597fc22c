"""Decoding through msgspec structs is a shortcut of ``codec.loads``: for every byte string it must give the
objects of the full way (parse, generated decoder, converter), type for type, or the full way's very error."""

from __future__ import annotations

import json
from typing import Any

import pytest
from byte_edits import Edit, apply_edits, byte_edits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.codec import _decode_fully, _struct_decoders
from persist_core.codec.exact import Exact, NotExact
from persist_core.errors import CorruptStateError, EncodeError
from persist_core.model import MODEL_CLASSES, ContainerState, SandboxState
from persist_core.testing import kata_samples
from persist_core.testing.strategies import model_objects

pytest.importorskip("msgspec")

_exact = Exact()
SHORTCUT_CLASSES = [cls for cls in MODEL_CLASSES if _struct_decoders.for_class(cls) is not None]


def outcome(decode: Any, data: bytes, cls: type) -> tuple[str, Any]:
    try:
        return "ok", decode(data, cls, "rec")
    except CorruptStateError as exc:
        return "CorruptStateError", str(exc)


def same_objects(a: Any, b: Any) -> bool:
    try:
        return _exact.same(_exact.copy(a), b) and _exact.same(_exact.copy(b), a)
    except NotExact:  # a value the exact copy cannot hold: compare what both are
        return type(a) is type(b) and repr(a) == repr(b)


def assert_same_as_full_way(data: bytes, cls: type) -> None:
    shortcut = outcome(codec._decode, data, cls)
    full = outcome(_decode_fully, data, cls)
    assert shortcut[0] == full[0], (data, shortcut, full)
    if shortcut[0] == "ok":
        assert same_objects(shortcut[1], full[1]), (data, shortcut[1], full[1])
    else:
        assert shortcut[1] == full[1]


def test_the_shortcut_covers_container_records_only_where_it_can() -> None:
    # Without these the file would prove nothing: container records are what a load decodes N times.
    assert ContainerState in SHORTCUT_CLASSES
    assert SandboxState in SHORTCUT_CLASSES  # float32, maps and foreign JSON: parsed as any JSON, then the full way


def container_records() -> list[bytes]:
    return [data for sample in kata_samples() for data in sample.containers.values()]


def records() -> list[tuple[type, bytes]]:
    """kata's sandbox and container records, each with its class."""
    found: list[tuple[type, bytes]] = []
    for sample in kata_samples():
        found.append((SandboxState, sample.sandbox))
        found.extend((ContainerState, data) for data in sample.containers.values())
    return found


def test_kata_sandbox_records() -> None:
    for sample in kata_samples():
        assert_same_as_full_way(sample.sandbox, SandboxState)


SANDBOX_EDGE_CASES = [
    b'{"HypervisorConfig":{"NumVCPUsF":-0}}',
    b'{"Config":{"HypervisorConfig":{"NumVCPUsF":-0}}}',
    b'{"Config":{"HypervisorConfig":{"NumVCPUsF":-0.0}}}',
    b'{"Config":{"HypervisorConfig":{"NumVCPUsF":1e39}}}',
    b'{"Config":{"HypervisorConfig":{"NumVCPUsF":0.1}}}',
    b'{"Config":{"HypervisorConfig":{"NumVCPUsF":3}}}',
    b'{"Config":{"ContainerConfigs":[{"Resources":{"CPU":{"Shares":-0}}}]}}',
    b'{"Config":{"ContainerConfigs":[{"Resources":{"CPU":{"Shares":1.5}}}]}}',
    b'{"Config":{"ContainerConfigs":[{"Annotations":{"a":"1","a":"2","b":null}}]}}',
    b'{"Config":{"ContainerConfigs":[{"Annotations":{"a":1}}]}}',
    b'{"Config":{"ContainerConfigs":[null]}}',
    b'{"HypervisorState":{"BlockIndexMap":{"1":{},"x":{}}}}',
    b'{"HypervisorState":{"BlockIndexMap":{"1":{},"1":{}}}}',
    b'{"HypervisorState":{"Bridges":[{"DeviceAddr":{"4294967296":"x"}}]}}',
    b'{"CgroupPaths":{"a":"b"},"cgroupPaths":{"a":"c"}}',
    b'{"PersistVersion":18446744073709551616}',
    b'{"GuestMemoryBlockSizeMB":-0}',
]


@pytest.mark.parametrize("data", SANDBOX_EDGE_CASES, ids=lambda d: repr(d[:40]))
def test_sandbox_edge_cases(data: bytes) -> None:
    assert_same_as_full_way(data, SandboxState)


@pytest.mark.parametrize("data", container_records(), ids=lambda d: str(len(d)))
def test_kata_container_records(data: bytes) -> None:
    assert_same_as_full_way(data, ContainerState)


EDGE_CASES = [
    b"{}",
    b"null",
    b"[]",
    b'"x"',
    b'{"State":null,"Rootfs":null,"Process":null,"DeviceMaps":null,"Mounts":null}',
    b'{"State":"a","State":"b"}',
    b'{"Rootfs":{"FsType":"a"},"Rootfs":{"BlockDeviceID":"b"}}',
    b'{"state":"running"}',
    b'{"STATE":"running","State":"x"}',
    b'{"Unknown":1}',
    b'{"Process":{"Pid":-0}}',
    b'{"Process":{"Pid":1.0}}',
    b'{"Process":{"Pid":1e3}}',
    b'{"Process":{"Pid":9223372036854775807}}',
    b'{"Process":{"Pid":9223372036854775808}}',
    b'{"Process":{"Pid":-9223372036854775809}}',
    b'{"Process":{"Pid":true}}',
    b'{"Process":{"Pid":"1"}}',
    b'{"Process":{"StartTime":null}}',
    b'{"Process":{"StartTime":"2024-01-02T03:04:05.123456789+02:00"}}',
    b'{"Process":{"StartTime":"2024-01-02T03:04:05Z"}}',
    b'{"Process":{"StartTime":"2024-13-02T03:04:05Z"}}',
    b'{"Process":{"StartTime":"yesterday"}}',
    b'{"Process":{"StartTime":""}}',
    b'{"Process":{"StartTime":1}}',
    b'{"DeviceMaps":[]}',
    b'{"DeviceMaps":[null]}',
    b'{"DeviceMaps":[{"FileMode":4294967296}]}',
    b'{"DeviceMaps":[{"UID":-1}]}',
    b'{"DeviceMaps":[{"Shared":null,"ID":null}]}',
    b'{"Mounts":[{"Options":null}]}',
    b'{"Mounts":[{"Options":[]}]}',
    b'{"Mounts":[{"Options":["ro",null]}]}',
    b'{"Mounts":[{"Options":["ro",1]}]}',
    b'{"Mounts":{}}',
    b'{"State":"\xff"}',
    b'{"State":"a\xe6\x97b"}',
    b'{"State":"\\ud800"}',
    b'{"State":"\\u2028<&>"}',
    b"\xef\xbb\xbf{}",
    b'{"State":"x"} ',
    b'{"State":"x"}x',
    b'{"State":"x",}',
]


@pytest.mark.parametrize("data", EDGE_CASES, ids=lambda d: repr(d[:30]))
def test_edge_cases(data: bytes) -> None:
    assert_same_as_full_way(data, ContainerState)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
@pytest.mark.parametrize("cls", SHORTCUT_CLASSES, ids=lambda cls: cls.__name__)
def test_generated_objects(cls: type, data: st.DataObject) -> None:
    obj = data.draw(model_objects(cls))
    try:
        encoded = codec.dumps(obj)
    except EncodeError:  # only what the codec writes is of interest here
        return
    assert_same_as_full_way(encoded, cls)
    assert same_objects(codec.loads(encoded, cls), obj) or codec.dumps(codec.loads(encoded, cls)) == encoded


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=st.sampled_from(records()),
    edits=byte_edits(),
)
def test_mutated_records(record: tuple[type, bytes], edits: list[Edit]) -> None:
    cls, original = record
    assert_same_as_full_way(apply_edits(original, edits), cls)


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.just(-0.0),
    st.sampled_from([0.1, 1e39, 3.0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
    st.just("2024-01-02T03:04:05Z"),
    st.lists(st.one_of(st.none(), st.text(max_size=3), st.integers(-1, 2**32)), max_size=3),
    st.just({}),
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=st.sampled_from(records()),
    path=st.lists(st.integers(0, 50), min_size=1, max_size=6),
    value=_values,
    key_case=st.booleans(),
)
def test_replaced_values(record: tuple[type, bytes], path: list[int], value: Any, key_case: bool) -> None:
    """One value anywhere in a record replaced by a value of any JSON type (or a key's case changed)."""
    cls, original = record
    document = json.loads(original)
    node = document
    for step in path:
        if isinstance(node, dict) and node:
            key = list(node)[step % len(node)]
            if step == path[-1]:
                if key_case:
                    node[key.lower()] = node.pop(key)
                else:
                    node[key] = value
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = step % len(node)
            if step == path[-1]:
                node[index] = value
                break
            node = node[index]
        else:
            break
    assert_same_as_full_way(json.dumps(document).encode(), cls)
