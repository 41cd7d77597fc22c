"""The two derivations of each Go type's description agree, byte for byte and error for error.

``codec.dumps`` and ``codec.loads`` run the generated per-class functions (``text``, ``decode``) and ask the
reference converter (cattrs, its hooks from the same descriptions) whenever those are not sure. These tests
hold the two to the same output on kata's files, on generated objects of every model class, and on broken
objects and documents; and check that the generated functions really are taken for what persist writes, so
that a silent fallback (correct but slow) cannot go unnoticed: whatever the converter accepts, the
generated functions accept too, with the same result, so the converter is left only to say why not.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from persist_core import codec
from persist_core.codec import _converter, _dumps_with_converter
from persist_core.codec import converter as reference_converter
from persist_core.codec.converter import NEGATIVE_ZERO
from persist_core.codec.describe import describe
from persist_core.codec.parsing import parse_text
from persist_core.errors import CorruptStateError, EncodeError
from persist_core.model import (
    MODEL_CLASSES,
    ContainerState,
    DeviceState,
    GoTime,
    HypervisorConfig,
    HypervisorState,
    Mount,
    NetworkInterface,
    Process,
    SandboxConfig,
    SandboxState,
)
from persist_core.model._fields import OMITEMPTY
from persist_core.testing import kata_samples
from persist_core.testing.strategies import _for_type, json_values, model_objects


def converter_loads(data: bytes, cls: type) -> Any:
    """The converter's decoding alone: parse, then the converter."""
    document = parse_text(data.decode("utf-8", errors="replace"))
    try:
        return _converter().structure(document, cls)
    except Exception as exc:
        raise CorruptStateError(f"not a valid {cls.__name__}: {codec._explain(document, cls)}") from exc


def generated_loads(data: bytes, cls: type) -> Any:
    """The generated decoder alone (Refused, its only signal, propagates)."""
    return describe(cls).decode(parse_text(data.decode("utf-8", errors="replace")))


def generated_dumps(obj: Any) -> bytes:
    """The generated encoder alone (Refused, its only signal, propagates)."""
    return codec._finish(describe(type(obj)).text(obj))


def outcome(function: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", function(*args)
    except (EncodeError, CorruptStateError) as exc:
        return type(exc).__name__, str(exc)


def any_objects(cls: type) -> st.SearchStrategy[Any]:
    """Like model_objects, but omitempty collections may be empty too (which Go then leaves out)."""
    loose = {field.name: _for_type(field.type, False) for field in attrs.fields(cls) if field.metadata.get(OMITEMPTY)}
    return model_objects(cls, **loose)


class SpyConverter:
    """Stands in for the reference converter and records every object the generated functions hand to it."""

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def structure(self, value: Any, cls: Any) -> Any:
        self.calls.append(cls)
        return _converter().structure(value, cls)


# -- kata's own files ------------------------------------------------------------------------------


SAMPLES = {
    f"{sample.name}/{cid or 'sandbox'}": (SandboxState if cid is None else ContainerState, data)
    for sample in kata_samples()
    for cid, data in [(None, sample.sandbox), *sample.containers.items()]
}


@pytest.mark.parametrize("name", SAMPLES)
def test_kata_files_take_the_generated_functions_both_ways(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    cls, data = SAMPLES[name]
    spy = SpyConverter()
    monkeypatch.setattr(reference_converter, "reference", lambda detailed=False: spy)
    decoded = describe(cls).decode(json.loads(data))
    assert spy.calls == []
    monkeypatch.undo()
    assert decoded == converter_loads(data, cls)
    assert codec._finish(describe(cls).text(decoded)) == data


# -- generated objects -------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda cls: cls.__name__)
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_every_model_class_encodes_and_decodes_as_the_converter_does(cls: type, data: st.DataObject) -> None:
    obj = data.draw(any_objects(cls))
    encoded = codec.dumps(obj)
    assert encoded == _dumps_with_converter(obj)
    assert describe(cls).text(obj)  # taken, not refused
    decoded = codec.loads(encoded, cls)
    assert decoded == converter_loads(encoded, cls)
    assert describe(cls).decode(json.loads(encoded)) == decoded


# -- broken objects: the same error as the converter, never other bytes --------------------------


class Flavour(enum.StrEnum):
    SPICY = "spicy"


class Label(str):
    pass


class TimeWithZone(GoTime):
    pass


UNUSUAL_OBJECTS = [
    Mount(source=Label("a")),
    Mount(options=["ro", Label("x")]),
    Mount(options=("ro",)),  # type: ignore[arg-type]
    Mount(read_only=1),  # type: ignore[arg-type]
    Process(pid=NEGATIVE_ZERO),
    Process(pid=True),  # type: ignore[arg-type]
    Process(pid=2**63),
    Process(pid=1.0),  # type: ignore[arg-type]
    Process(start_time=TimeWithZone(unix_seconds=5)),
    Process(start_time=GoTime(unix_seconds=1.0)),  # type: ignore[arg-type]
    Process(start_time=GoTime(unix_seconds=True)),
    SandboxConfig(cgroups={"k": Flavour.SPICY}),
    SandboxConfig(cgroups={Label("k"): 1}),
    SandboxConfig(cgroups={"k": (1, 2)}),
    SandboxConfig(cgroups={1: "one"}),
    SandboxConfig(cgroups={"nested": {"deep": [NEGATIVE_ZERO, 1.5, None, True]}}),
    SandboxConfig(cgroups=[Mount()]),
    SandboxConfig(cgroups=Label("x")),
    SandboxState(cgroup_paths={"cpu": 1}),  # type: ignore[dict-item]
    SandboxState(cgroup_paths={1: "cpu"}),  # type: ignore[dict-item]
    DeviceState(vfio_devs=[]),
    DeviceState(driver_options={}),
    HypervisorConfig(num_vcpus_f=NEGATIVE_ZERO),
    HypervisorConfig(num_vcpus_f=-0.0),
    HypervisorConfig(num_vcpus_f=16777217),
    HypervisorState(block_index_map={3, 10, 2}),
    HypervisorState(block_index_map={-1}),
    NetworkInterface(addrs=[{"ip": "10.0.0.1"}, Label("x")]),
    NetworkInterface(addrs=({"ip": "10.0.0.1"},)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("obj", UNUSUAL_OBJECTS, ids=repr)
def test_unusual_objects_encode_or_fail_exactly_as_with_the_converter(obj: object) -> None:
    result = outcome(codec.dumps, obj)
    assert result == outcome(_dumps_with_converter, obj)
    if result[0] == "ok":
        assert generated_dumps(obj) == result[1]


# -- documents in any shape: the same object or the same error ------------------------------------

NEGATIVE_ZERO_TEXT = "\x00negative zero"
# Each kind of JSON value a field may meet, then anything at all.
AWKWARD = [True, False, 0, -1, 1.5, 1e300, 2**64, 2**32, -(2**63) - 1, "", "x", "2020-01-01T00:00:00Z", [], ["x"], {}]
VALUES = (
    st.sampled_from(AWKWARD)
    | st.just(NEGATIVE_ZERO_TEXT)
    | json_values()
    | st.floats(allow_nan=False, allow_infinity=False)
)


def nodes(document: Any) -> list[Any]:
    """Every non-empty object and array in the document, the document itself first."""
    found = [document] if document else []
    children = document.values() if isinstance(document, dict) else document if isinstance(document, list) else []
    for child in children:
        if isinstance(child, (dict, list)):
            found += nodes(child)
    return found


def edited(document: Any, data: st.DataObject) -> bytes:
    """One change somewhere in the document: a new value, null, a key gone, renamed in another case, or added."""
    node = data.draw(st.sampled_from(nodes(document)))
    where = data.draw(st.sampled_from(sorted(node)) if isinstance(node, dict) else st.integers(0, len(node) - 1))
    kind = data.draw(st.sampled_from(["replace", "null", "drop", "fold", "unknown"]))
    if kind == "replace" or (kind in ("drop", "fold", "unknown") and isinstance(node, list)):
        node[where] = data.draw(VALUES)
    elif kind == "null":
        node[where] = None
    elif kind == "drop":
        del node[where]
    elif kind == "fold":
        node[data.draw(st.sampled_from([str.lower, str.upper, str.swapcase]))(where)] = node.pop(where)
    else:
        node[data.draw(st.sampled_from(["NotAGoField", where.lower()]))] = data.draw(VALUES)
    text = json.dumps(document, ensure_ascii=False)
    return text.replace(json.dumps(NEGATIVE_ZERO_TEXT), "-0").encode()


@given(data=st.data(), cls=st.sampled_from([SandboxState, ContainerState, HypervisorState, DeviceState]))
@settings(max_examples=500, deadline=None)
def test_edited_documents_decode_or_fail_exactly_as_with_the_converter(data: st.DataObject, cls: type) -> None:
    document = json.loads(codec.dumps(data.draw(any_objects(cls))))
    encoded = edited(document, data)
    result = outcome(codec.loads, encoded, cls)
    assert result == outcome(converter_loads, encoded, cls)
    if result[0] == "ok":  # what the converter decodes, the generated decoder decodes too
        assert generated_loads(encoded, cls) == result[1]


def test_a_remembered_time_is_never_lent_to_an_equal_time_of_other_types() -> None:
    codec.dumps(Process(start_time=GoTime(unix_seconds=1)))  # remembered
    for odd in (GoTime(unix_seconds=1.0), GoTime(unix_seconds=True)):  # type: ignore[arg-type]
        obj = Process(start_time=odd)
        assert outcome(codec.dumps, obj) == outcome(_dumps_with_converter, obj)


# -- any odd value in any field: the generated encoder says "not sure" (Refused) or agrees; nothing else --

ODD_VALUES: list[Any] = [
    None,
    True,
    1.0,
    -0.0,
    float("nan"),
    float("inf"),
    2**70,
    -1,
    "x",
    "\ud800",
    Label("x"),
    Flavour.SPICY,
    [],
    ["x"],
    ("x",),
    {},
    {"k": "v"},
    {1: "x"},
    set(),
    {"deep": [[[[{"k": (1,)}]]]]},
    b"bytes",
    object(),
    Mount(),
    GoTime(unix_seconds=1),
    GoTime(unix_seconds=2**70),
]


def model_nodes(obj: Any) -> list[Any]:
    """Every model object in the graph (GoTime aside), the object itself first."""
    found, pending = [], [obj]
    while pending:
        item = pending.pop()
        if isinstance(item, (list, tuple, set)):
            pending.extend(item)
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif attrs.has(type(item)) and not isinstance(item, GoTime):
            if attrs.fields(type(item)):  # a class without fields (PciPath) has nothing to set
                found.append(item)
            pending.extend(getattr(item, field.name) for field in attrs.fields(type(item)))
    return found


@pytest.mark.parametrize("cls", [SandboxState, ContainerState], ids=lambda cls: cls.__name__)
@given(data=st.data())
@settings(max_examples=300, deadline=None)
def test_an_odd_value_anywhere_encodes_or_fails_exactly_as_with_the_converter(cls: type, data: st.DataObject) -> None:
    """Only EncodeError or the converter's very bytes: generated code that raised anything but its own
    "not handled here" signal would surface here as a raw exception."""
    obj = data.draw(any_objects(cls))
    node = data.draw(st.sampled_from(model_nodes(obj)))
    field = data.draw(st.sampled_from(attrs.fields(type(node))))
    object.__setattr__(node, field.name, data.draw(st.sampled_from(ODD_VALUES)))
    result = outcome(codec.dumps, obj)
    assert result == outcome(_dumps_with_converter, obj)
    if result[0] == "ok":  # what the converter writes, the generated encoder writes too
        assert generated_dumps(obj) == result[1]
