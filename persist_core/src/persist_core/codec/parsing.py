"""JSON text to a Python document, with Go's reading of it: one parser in C for what it can judge exactly,
the json module for everything else.

msgspec parses kata's files about twice as fast as the json module and builds the very same document (types,
float bits, key order, duplicate keys, integers beyond 64 bits). Where the two could differ it is not asked,
or its refusal is not trusted:

- a number ``-0`` (msgspec reads the integer 0; a float32 field must keep the sign): the json module's path,
  which marks it ``NegativeZero``;
- anything msgspec refuses (invalid or overlong UTF-8, lone surrogate escapes, malformed text, numbers out of
  range, a byte order mark): the json module's path decides, so every refusal and every replacement of invalid
  UTF-8 is exactly today's, message included;
- a text (``str``) rather than bytes, and documents nested deeper than Python's recursion limit: the json module.

``tests/core/test_codec_parsing.py`` checks the two paths give identical documents on kata's files, mutated
files and generated documents.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any, AnyStr

from persist_core.codec.cjson import msgspec_or_none, msgspec_refusals
from persist_core.codec.converter import NEGATIVE_ZERO

__all__ = ["GO_UTF8", "may_hold_negative_zero", "parse_bytes", "parse_text"]


def _replace_each_byte(exc: UnicodeError) -> tuple[str, int]:
    """Go's decoder reads invalid UTF-8 one byte at a time: a U+FFFD for every byte, where Python's own
    "replace" gives one for a truncated sequence (so ``"a\xe6\x97b"`` would load as other text than in Go)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "\ufffd" * (exc.end - exc.start), exc.end


#: The error handler that decodes bytes as Go's JSON decoder reads them.
GO_UTF8 = "persist-go-utf8"
codecs.register_error(GO_UTF8, _replace_each_byte)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text} is out of range")
    return value


def _parse_int(text: str) -> int:
    return NEGATIVE_ZERO if text == "-0" else int(text)


# Made once: json.loads(text, **options) would build a decoder and its scanner for every document.
_decode_json = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_parse_float).decode
_decode_json_keeping_negative_zero = json.JSONDecoder(
    parse_constant=_reject_constant, parse_float=_parse_float, parse_int=_parse_int
).decode

# A number -0 somewhere outside a string (strings may match too; that only costs the slower parse). In valid
# JSON a number ends at a delimiter, so the regex looks for "-0" before one (hex IDs and times hold many
# other "-0"s), then back over JSON's whitespace for what may precede a value.
_MINUS_ZERO = re.compile(r"-0(?=[,\]}\s]|\Z)")
_MINUS_ZERO_BYTES = re.compile(rb"-0(?=[,\]}\s]|\Z)")


def _negative_zero_in(data: AnyStr, minus_zero: re.Pattern[AnyStr], spaces: AnyStr, openers: AnyStr) -> bool:
    for match in minus_zero.finditer(data):
        before = match.start() - 1
        while before >= 0 and data[before] in spaces:
            before -= 1
        if before >= 0 and data[before] in openers:
            return True
    return False


def _maybe_negative_zero(text: str) -> bool:
    return _negative_zero_in(text, _MINUS_ZERO, " \t\n\r", ":,[")


def may_hold_negative_zero(data: bytes) -> bool:
    """Whether ``data`` may hold a number ``-0``, which only the json module's path reads as Go does."""
    return _negative_zero_in(data, _MINUS_ZERO_BYTES, b" \t\n\r", b":,[")


def parse_text(text: str) -> Any:
    """The document of a JSON text, by the json module; ``ValueError`` says why it is not valid JSON."""
    if text.startswith("\ufeff"):
        raise ValueError("a byte order mark is not valid JSON")
    if "-0" in text and _maybe_negative_zero(text):
        return _decode_json_keeping_negative_zero(text)
    return _decode_json(text)


def _parse_bytes_slowly(data: bytes) -> Any:
    return parse_text(data.decode("utf-8", errors=GO_UTF8))


_msgspec_decode: Callable[[bytes], Any] | None = None
_msgspec_refusals: tuple[type[Exception], ...] = (ValueError,)
_loaded = False


def _load_msgspec() -> None:
    global _msgspec_decode, _msgspec_refusals, _loaded  # noqa: PLW0603 - set once, on the first parse
    module = msgspec_or_none()
    if module is not None:
        _msgspec_decode = module.json.Decoder().decode
        _msgspec_refusals = msgspec_refusals()
    _loaded = True


def parse_bytes(data: bytes) -> Any:
    """The document of JSON bytes, exactly as ``parse_text`` of their Go-decoded text gives it."""
    if not _loaded:
        _load_msgspec()
    if _msgspec_decode is None or may_hold_negative_zero(data):
        return _parse_bytes_slowly(data)
    try:
        return _msgspec_decode(data)
    except _msgspec_refusals:  # not sure it is what Go reads, or not JSON: the json module's path decides
        return _parse_bytes_slowly(data)
