"""The C parser (msgspec) is a shortcut: for every byte string it must give the json module's document or its
very refusal. Checked on kata's files, hand-picked edge cases, mutated files and generated documents."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import pytest
from byte_edits import Edit, apply_edits, byte_edits
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from persist_core.codec import parsing
from persist_core.codec.converter import NegativeZero
from persist_core.codec.parsing import GO_UTF8, parse_bytes, parse_text
from persist_core.testing import kata_samples

msgspec = pytest.importorskip("msgspec")


def same_document(a: Any, b: Any) -> bool:
    """Equal with exact types, float bits and key order at every node (a loop: documents may be deep)."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, float):
            if struct.pack("<d", x) != struct.pack("<d", y):
                return False
        elif isinstance(x, dict):
            if list(x) != list(y):
                return False
            pending.extend((x[k], y[k]) for k in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y, strict=True))
        elif x != y:
            return False
    return True


def outcome(function: Any, data: Any) -> tuple[str, Any]:
    try:
        return "ok", function(data)
    except ValueError as exc:
        return "ValueError", str(exc)
    except RecursionError:  # codec.loads takes its deep path (Go's depth bound), whatever the message says
        return "RecursionError", None


def assert_same_as_json_module(data: bytes) -> None:
    fast = outcome(parse_bytes, data)
    reference = outcome(parse_text, data.decode("utf-8", errors=GO_UTF8))
    assert fast[0] == reference[0], (data, fast, reference)
    if fast[0] == "ok":
        assert same_document(fast[1], reference[1]), (data, fast[1], reference[1])
    else:
        assert fast[1] == reference[1]


def kata_records() -> list[bytes]:
    records = []
    for sample in kata_samples():
        records.append(sample.sandbox)
        records.extend(sample.containers.values())
    return records


def test_the_c_parser_is_the_one_in_use() -> None:
    # Without it every document would take the json module's path and this file would prove nothing.
    parse_bytes(b"{}")  # msgspec is imported on the first parse
    assert parsing._msgspec_decode is not None
    assert parsing._msgspec_decode(b'{"a":[1]}') == {"a": [1]}


@pytest.mark.parametrize("record", kata_records(), ids=lambda r: str(len(r)))
def test_kata_files(record: bytes) -> None:
    assert_same_as_json_module(record)


EDGE_CASES = [
    b"-0",
    b"[-0]",
    b'{"a":-0}',
    b'{"a": -0 }',
    b"[1,\n -0]",
    b'"-0"',
    b"-0.0",
    b"[-0e0, -0E+1, 0.0, -0.5]",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"9223372036854775807",
    b"1" * 100,
    b"1" * 5000,
    b"1e400",
    b"-1e400",
    b"1e-400",
    b"4.9e-324",
    b"2.2250738585072014e-308",
    b"1.7976931348623157e308",
    b"438.0",
    b"4.38e2",
    b"0.1",
    b"\xef\xbb\xbf{}",
    b'"\xe6\x97"',
    b'"a\xe6\x97b"',
    b'"\xc0\xaf"',
    b'"\xed\xa0\x80"',
    b'"\xff"',
    b'"\\ud800"',
    b'"\\udc00\\ud800"',
    b'"\\ud83d\\ude00"',
    b'"\\u0000\\u001f\\u2028"',
    b'"\x01"',
    b"NaN",
    b"[Infinity]",
    b"[-Infinity]",
    b"{} {}",
    b"{}x",
    b'{"a":1,"a":2,"b":3}',
    b'{"a":1,"b":2,"a":3}',
    b" \t\r\n{}\n",
    b"",
    b"[",
    b'{"a"}',
    b"01",
    b"1.",
    b".5",
    b"+1",
    b"true",
    b"null",
    b"[true,false,null]",
    b"[" * 900 + b"]" * 900,
    b"[" * 3000 + b"]" * 3000,
]


@pytest.mark.parametrize("data", EDGE_CASES, ids=lambda d: repr(d[:24]))
def test_edge_cases(data: bytes) -> None:
    assert_same_as_json_module(data)


def test_negative_zero_keeps_its_mark() -> None:
    # msgspec reads -0 as the integer 0: the guard must send such documents the json module's way.
    document = parse_bytes(b'{"Memory":-0,"Swap":[ -0 ]}')
    assert type(document["Memory"]) is NegativeZero
    assert type(document["Swap"][0]) is NegativeZero


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=st.sampled_from(kata_records()),
    edits=byte_edits(),
)
def test_mutated_kata_files(record: bytes, edits: list[Edit]) -> None:
    assert_same_as_json_module(apply_edits(record, edits))


_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
)
_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), _numbers, st.text()),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(document=_documents, ascii_only=st.booleans(), indent=st.sampled_from([None, 1]))
def test_generated_documents(document: Any, ascii_only: bool, indent: int | None) -> None:
    text = json.dumps(document, ensure_ascii=ascii_only, indent=indent)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: written escaped instead
        data = json.dumps(document, indent=indent).encode()
    assert_same_as_json_module(data)


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text("0123456789", min_size=1, max_size=30),
    sign=st.sampled_from(["", "-"]),
    tail=st.sampled_from(["", ".0", "e0", ".5e-3", "E+400"]),
)
def test_numbers(digits: str, sign: str, tail: str) -> None:
    data = f"[{sign}{digits}{tail}]".encode()
    assert_same_as_json_module(data)
    if not math.isinf(float(f"{sign}{digits}{tail}")) and outcome(parse_bytes, data)[0] == "ok":
        assert same_document(parse_bytes(data), parse_text(data.decode()))
