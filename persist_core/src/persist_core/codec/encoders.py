"""Encoding fast path: one generated function per model class writes its JSON text directly.

The converter (unstructure to dicts, then the json module) is the reference and stays the only judge of
what is refused: these functions write the same text for everything it accepts and raise for anything
they are not sure of, and ``codec.dumps`` then asks the converter, for the same bytes or the same error.
Functions are generated on first use of a class, so importing the codec stays cheap.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, get_args, get_origin

import attrs

from persist_core.codec.converter import _annotation, _is_optional, _optional_arg
from persist_core.codec.foreign import check_foreign_text
from persist_core.codec.generated import PerType, Refused, Source, holds_models, is_model
from persist_core.codec.gofloat import format_float32
from persist_core.model._fields import GO_KEY, OMITEMPTY
from persist_core.model._gotypes import ForeignJSON, ForeignValue, GoFloat32, GoInt
from persist_core.model.gotime import GoTime

Text = Callable[[Any], str]

_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_GO_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# The string encoder the json module uses with ensure_ascii=False (C when available): the same escapes.
_string: Callable[[str], str] = json.encoder.encode_basestring
_json_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _json_text(value: Any) -> str:
    """Foreign JSON as the json module writes it (which is how the converter's document is written)."""
    return _json_encoder.encode(value)


if _make_c_encoder is not None:
    # The C encoder JSONEncoder.encode builds on every call, built once. No circular check: a cycle ends in
    # RecursionError, and dumps then lets the converter report it.
    _c_encoder = _make_c_encoder(None, _json_encoder.default, _string, None, ":", ",", False, False, False)

    def _json_text(value: Any) -> str:
        return "".join(_c_encoder(value, 0))


def _refuse(*_: object) -> str:
    raise Refused


class Encoders(PerType[Text]):
    """Text functions, built per type on first use and kept."""

    def text(self, obj: Any) -> str:
        """The JSON text of a model object, exactly as the converter and json module would write it."""
        cls = type(obj)
        function = self._cache.get(cls)
        if function is None:
            function = self.for_type(cls)
        return function(obj)

    def _build(self, tp: Any) -> Text:
        marker = _annotation(tp)
        if isinstance(marker, GoInt):
            return _int_text(marker)
        if isinstance(marker, GoFloat32):
            return _float32_text
        if isinstance(marker, ForeignJSON):
            return _checked_object_text(marker) if marker.go_type else _object_text
        if isinstance(marker, ForeignValue):
            return _foreign_value_text(marker)
        if tp is str:
            return _str_text
        if tp is bool:
            return _bool_text
        if tp is GoTime:
            return _time_text
        if tp is Any:
            return _plain_json_text
        if _is_optional(tp):
            inner = self.for_type(_optional_arg(tp))
            return lambda value: "null" if value is None else inner(value)
        origin = get_origin(tp)
        if origin is list:
            (item,) = get_args(tp)
            if item is Any:
                return _plain_list_text
            return _str_list_text if item is str else _list_text(self.for_type(item))
        if origin is dict:
            key_type, value_type = get_args(tp)
            if key_type is str and value_type is str:
                return _str_dict_text
            return _dict_text(self._key_text(key_type), self.for_type(value_type))
        if origin is set:
            return _set_text(self._key_text(get_args(tp)[0]))
        if isinstance(tp, type) and attrs.has(tp):
            return self._model(tp)
        return _refuse

    def _key_text(self, key_type: Any) -> Callable[[Any], str]:
        """Map keys as strings (Go writes integer keys as decimal strings)."""
        if key_type is str:
            return _checked_str
        marker = _annotation(key_type)
        if not isinstance(marker, GoInt):
            return _refuse
        return _int_text(marker)

    def _model(self, cls: type) -> Text:
        """Generate ``cls``'s function: scalars, lists of strings and small nested classes written inline."""
        if not _keys_are_identifiers(cls):
            return _refuse  # a key that would need escaping in the generated source: the converter writes it
        source = _Source(self)
        source.model(cls, "o", "result", 1)
        source.line(1, "return result")
        return source.compile("text", f"<persist codec: encode {cls.__qualname__}>")


def _keys_are_identifiers(cls: type) -> bool:
    return all(_GO_IDENTIFIER.fullmatch(field.metadata[GO_KEY]) for field in attrs.fields(cls))


def _is_leaf(cls: Any) -> bool:
    """A model class without model classes inside: small enough to write inline wherever it occurs."""
    return is_model(cls) and _keys_are_identifiers(cls) and not any(holds_models(f.type) for f in attrs.fields(cls))


class _Source(Source):
    """The source of one generated text function; every value is checked as the converter checks it."""

    def __init__(self, encoders: Encoders) -> None:
        super().__init__("def text(o):", {"string": _string})
        self._encoders = encoders

    def value(self, tp: Any, src: str, dst: str, indent: int) -> None:
        """Code that sets ``dst`` to the JSON text of the value in variable ``src``, declared as ``tp``."""
        marker = _annotation(tp)
        origin = get_origin(tp)
        if tp is str:
            self._refuse_unless(indent, f"type({src}) is str")
            self.line(indent, f"{dst} = string({src})")
        elif tp is bool:
            self.line(indent, f"{dst} = 'true' if {src} is True else 'false' if {src} is False else None")
            self._refuse_unless(indent, f"{dst} is not None")
        elif isinstance(marker, GoInt):
            self._refuse_unless(indent, f"type({src}) is int and {marker.min} <= {src} <= {marker.max}")
            self.line(indent, f"{dst} = int.__repr__({src})")
        elif _is_optional(tp):
            self.line(indent, f"if {src} is None:")
            self.line(indent + 1, f"{dst} = 'null'")
            self.line(indent, "else:")
            self.value(_optional_arg(tp), src, dst, indent + 1)
        elif origin is list and get_args(tp)[0] is str:
            self._refuse_unless(indent, f"isinstance({src}, list)")
            item = self._name("x")
            self.line(indent, f"for {item} in {src}:")
            self._refuse_unless(indent + 1, f"type({item}) is str")
            self.line(indent, f"{dst} = '[' + ','.join(map(string, {src})) + ']'")
        elif origin is list and _is_leaf(get_args(tp)[0]):
            self._refuse_unless(indent, f"isinstance({src}, list)")
            parts, item, text = self._name("p"), self._name("x"), self._name("t")
            self.line(indent, f"{parts} = []")
            self.line(indent, f"for {item} in {src}:")
            self.model(get_args(tp)[0], item, text, indent + 1)
            self.line(indent + 1, f"{parts}.append({text})")
            self.line(indent, f"{dst} = '[' + ','.join({parts}) + ']'")
        elif _is_leaf(tp):
            self.model(tp, src, dst, indent)
        else:
            function = self._constant(self._encoders.for_type(tp), "f")
            self.line(indent, f"{dst} = {function}({src})")

    def model(self, cls: type, src: str, dst: str, indent: int) -> None:
        self._refuse_unless(indent, f"isinstance({src}, {self._constant(cls, 'cls')})")
        parts: list[tuple[str, str, str | None]] = []  # (key, variable, omitted-when texts)
        for field in attrs.fields(cls):
            value, text = self._name("v"), self._name("t")
            self.line(indent, f"{value} = {src}.{field.name}")
            self.value(field.type, value, text, indent)
            omitted = None
            if field.metadata[OMITEMPTY]:
                # Go drops a nil pointer; a nil or empty slice or map too (as the converter's document does).
                collection = get_origin(_optional_arg(field.type)) in (list, dict, set)
                omitted = "('null', '[]', '{}')" if collection else "('null',)"
            parts.append((field.metadata[GO_KEY], text, omitted))
        if all(omitted is None for _, _, omitted in parts):
            # One f-string: '{"Key":{t1},...}' (Go keys are identifiers, so they need no escaping here).
            body = ",".join(f"{_string(key)}:{{{text}}}" for key, text, _ in parts)
            self.line(indent, f"{dst} = f'{{{{{body}}}}}'")
            return
        collected = self._name("p")
        self.line(indent, f"{collected} = []")
        for key, text, omitted in parts:
            entry = f"{collected}.append({_string(key) + ':'!r} + {text})"
            if omitted is None:
                self.line(indent, entry)
            else:
                self.line(indent, f"if {text} not in {omitted}:")
                self.line(indent + 1, entry)
        self.line(indent, f"{dst} = '{{' + ','.join({collected}) + '}}'")


def _str_text(value: Any) -> str:
    if type(value) is not str:
        raise Refused
    return _string(value)


def _checked_str(value: Any) -> str:
    if type(value) is not str:
        raise Refused
    return value


def _bool_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise Refused


def _int_text(marker: GoInt) -> Text:
    low, high = marker.min, marker.max

    def text(value: Any) -> str:
        if type(value) is not int or not low <= value <= high:
            raise Refused
        return int.__repr__(value)

    return text


def _float32_text(value: Any) -> str:
    if type(value) is not float and type(value) is not int:
        raise Refused
    try:
        return format_float32(value)
    except (ValueError, OverflowError):
        raise Refused from None  # what float32 cannot hold: the converter refuses it with its message


_TIME_TEXTS: dict[tuple[int, int, int, bool], str] = {}
_TIME_TEXTS_MAX = 4096


def _time_text(value: Any) -> str:
    """GoTime is immutable and few distinct instants recur (start times, saved again and again): remembered.

    Only for plain int fields, so that an odd value (1.0 == 1) never borrows the text of another.
    """
    if type(value) is not GoTime:
        if not isinstance(value, GoTime):
            raise Refused
        return '"' + _format_time(value) + '"'
    key = (value.unix_seconds, value.nanoseconds, value.utc_offset, value.numeric_zero_offset)
    if type(key[0]) is not int or type(key[1]) is not int or type(key[2]) is not int or type(key[3]) is not bool:
        return '"' + _format_time(value) + '"'
    text = _TIME_TEXTS.get(key)
    if text is None:
        text = '"' + _format_time(value) + '"'
        if len(_TIME_TEXTS) >= _TIME_TEXTS_MAX:
            _TIME_TEXTS.clear()
        _TIME_TEXTS[key] = text
    return text


def _format_time(value: GoTime) -> str:
    try:
        return value.format()
    except (ValueError, TypeError, OverflowError):
        raise Refused from None  # a time Go cannot write: the converter refuses it with its message


def _object_text(value: Any) -> str:
    if type(value) is not dict:
        raise Refused
    return _plain_json_text(value)


def _checked_object_text(marker: ForeignJSON) -> Text:
    go_type, where = marker.go_type, marker.where

    def text(value: Any) -> str:
        if type(value) is not dict:
            raise Refused
        return _checked_json_text(value, go_type, where, False)

    return text


def _foreign_value_text(marker: ForeignValue) -> Text:
    """The JSON text, checked against the Go type's shape (the converter checks the same text)."""
    go_type, where, pointer = marker.go_type, marker.where, marker.pointer

    def text(value: Any) -> str:
        return _checked_json_text(value, go_type, where, pointer)

    return text


def _checked_json_text(value: Any, go_type: str, where: str, pointer: bool) -> str:
    """The converter checks the very text json writes for the value: anything it refuses is refused there."""
    try:
        written = _json_text(value)
        check_foreign_text(written, go_type, where, pointer=pointer)
    except (ValueError, TypeError, RecursionError):
        raise Refused from None
    return written


def _plain_json_text(value: Any) -> str:
    """Foreign JSON of any shape, when it holds nothing but JSON's own types (what the converter passes through).

    Anything else (a str subclass, a tuple, an object) is left to the converter, which may refuse it.
    """
    try:
        plain = _plain(value)
    except RecursionError:
        raise Refused from None  # too deep (or a cycle): the converter says which
    if not plain:
        raise Refused
    try:
        return _json_text(value)
    except ValueError:
        raise Refused from None  # NaN or infinity: the converter refuses it with its message


def _plain(value: Any) -> bool:
    """Only dicts with str keys, lists and JSON scalars (exact types: the converter refuses str subclasses)."""
    kind = type(value)
    if kind is dict:
        for key, child in value.items():
            if type(key) is not str:
                return False
            kind = type(child)
            if kind is dict or kind is list:
                if not _plain(child):
                    return False
            elif kind not in _JSON_SCALARS:
                return False
        return True
    if kind is list:
        for child in value:
            kind = type(child)
            if kind is dict or kind is list:
                if not _plain(child):
                    return False
            elif kind not in _JSON_SCALARS:
                return False
        return True
    return kind in _JSON_SCALARS


def _plain_list_text(value: Any) -> str:
    if type(value) is not list:
        raise Refused
    return _plain_json_text(value)


def _str_list_text(value: Any) -> str:
    if not isinstance(value, list):
        raise Refused
    for item in value:
        if type(item) is not str:
            raise Refused
    return "[" + ",".join(map(_string, value)) + "]"


def _list_text(item: Text) -> Text:
    def text(value: Any) -> str:
        if not isinstance(value, list):
            raise Refused
        return "[" + ",".join([item(element) for element in value]) + "]"

    return text


def _str_dict_text(value: Any) -> str:
    if not isinstance(value, dict):
        raise Refused
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            raise Refused
    return "{" + ",".join([_string(key) + ":" + _string(value[key]) for key in sorted(value)]) + "}"


def _dict_text(key: Callable[[Any], str], item: Text) -> Text:
    def text(value: Any) -> str:
        if not isinstance(value, dict):
            raise Refused
        pairs = sorted((key(k), v) for k, v in value.items())
        return "{" + ",".join([_string(k) + ":" + item(v) for k, v in pairs]) + "}"

    return text


def _set_text(key: Callable[[Any], str]) -> Text:
    def text(value: Any) -> str:
        if not isinstance(value, (set, frozenset)):
            raise Refused
        return "{" + ",".join([_string(k) + ":{}" for k in sorted(key(k) for k in value)]) + "}"

    return text
