"""Invalid UTF-8 in a string loads as Go's decoder reads it: one U+FFFD for every invalid byte."""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest

from persist_core import ContainerState, codec

CASES = [
    b"a\xe6\x97b",  # a truncated three-byte sequence: Python's "replace" alone gives one U+FFFD, Go two
    b"\xf0\x9f\x98",  # a truncated four-byte sequence
    b"\xed\xa0\x80",  # a surrogate, encoded
    b"\xc0\xaf",  # an overlong "/"
    b"x\xff\xfey",
    b"\xf0\x9f\x98\x80",  # valid: an emoji
]


def _random_string_bytes(rng: random.Random) -> bytes:
    """Bytes that may be invalid UTF-8 but make a JSON string: no quote, backslash or control character."""
    allowed = [b for b in range(0x20, 0x100) if b not in (0x22, 0x5C)]
    return bytes(rng.choice(allowed) for _ in range(rng.randint(0, 12)))


def _persist_reads(raw: bytes) -> str:
    return codec.loads(b'{"State":"' + raw + b'"}', ContainerState).state


def test_each_invalid_byte_becomes_one_replacement_character() -> None:
    assert _persist_reads(b"a\xe6\x97b") == "a\ufffd\ufffdb"
    assert _persist_reads(b"\xf0\x9f\x98\x80") == "\U0001f600"


def test_strings_read_as_go_reads_them(go_json: Callable[[str, list[str]], list[str]]) -> None:
    rng = random.Random(20261130)
    samples = CASES + [_random_string_bytes(rng) for _ in range(500)]
    answers = go_json("string", [(b'"' + raw + b'"').hex() for raw in samples])
    for raw, answer in zip(samples, answers, strict=True):
        assert not answer.startswith("error"), (raw, answer)
        assert _persist_reads(raw) == json.loads(answer), raw


@pytest.mark.parametrize("raw", CASES, ids=repr)
def test_what_was_read_is_written_back_as_go_writes_it(raw: bytes) -> None:
    loaded = codec.loads(b'{"State":"' + raw + b'"}', ContainerState)
    assert codec.loads(codec.dumps(loaded), ContainerState) == loaded
