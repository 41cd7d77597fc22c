"""Foreign structures kept as the JSON they were decoded from (OCI resources, runc cgroups, netlink
addresses), and JSON of any shape: decoded as leniently as Go, encoded only as the Go type reads it back."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from persist_core.codec.converter import json_type
from persist_core.codec.foreign import check_foreign_text
from persist_core.codec.generated import NotExact, Refused
from persist_core.codec.gotypes.base import Copy, Decode, GoType, Same, StructureFn, Text, UnstructureFn
from persist_core.codec.gotypes.floats import float_same
from persist_core.codec.gotypes.scalars import string
from persist_core.model._gotypes import ForeignJSON
from persist_core.model._gotypes import ForeignValue as ForeignValueMarker

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy

_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
_JSON_LEAVES = frozenset({str, int, bool, type(None)})
#: Foreign JSON nested deeper than this is not copied (the codec decides about it, uncached).
MAX_JSON_DEPTH = 200

_json_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
#: Foreign JSON is checked as the text the converter writes for it (see codec.foreign.check_foreign_text).
_converter_json = _json_encoder.encode
_make_c_encoder: Any = getattr(json.encoder, "c_make_encoder", None)


def _json_text(value: Any) -> str:
    """Foreign JSON as the json module writes it (which is how the converter's document is written)."""
    return _json_encoder.encode(value)


if _make_c_encoder is not None:
    # The C encoder JSONEncoder.encode builds on every call, built once. No circular check: a cycle ends in
    # RecursionError, and dumps then lets the converter report it.
    _c_encoder = _make_c_encoder(None, _json_encoder.default, string, None, ":", ",", False, False, False)

    def _json_text(value: Any) -> str:
        return "".join(_c_encoder(value, 0))


# -- encoding --------------------------------------------------------------------------------------


def plain_json_text(value: Any) -> str:
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


def _plain_items(children: Any) -> bool:
    for child in children:
        kind = type(child)
        if kind is dict or kind is list:
            if not _plain(child):
                return False
        elif kind not in _JSON_SCALARS:
            return False
    return True


def _plain(value: Any) -> bool:
    """Only dicts with str keys, lists and JSON scalars (exact types: the converter refuses str subclasses)."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str for key in value) and _plain_items(value.values())
    if kind is list:
        return _plain_items(value)
    return kind in _JSON_SCALARS


def _checked_json_text(value: Any, go_type: str, where: str, pointer: bool) -> str:
    """The converter checks the very text json writes for the value: anything it refuses is refused there."""
    try:
        written = _json_text(value)
        check_foreign_text(written, go_type, where, pointer=pointer)
    except (ValueError, TypeError, RecursionError):
        raise Refused from None
    return written


# -- exact copies ----------------------------------------------------------------------------------


def copy_json(value: Any, depth: int = 0) -> Any:
    """Plain JSON only (dicts with str keys, lists, JSON scalars), key order kept."""
    kind = type(value)
    if kind in _JSON_LEAVES or kind is float:
        return value
    if depth > MAX_JSON_DEPTH:
        raise NotExact
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise NotExact
            copied[key] = copy_json(item, depth + 1)
        return copied
    if kind is list:
        return [copy_json(item, depth + 1) for item in value]
    raise NotExact


def same_json(a: Any, b: Any) -> bool:
    kind = type(a)
    if type(b) is not kind:
        return False
    if kind in _JSON_LEAVES:
        return bool(a == b)
    if kind is float:
        return float_same(a, b)
    if kind is dict:
        # Order matters: foreign structures keep their keys in the order they were written.
        return (
            len(a) == len(b)
            and all(type(key) is str for key in b)
            and list(a) == list(b)
            and all(map(same_json, a.values(), b.values()))
        )
    return len(a) == len(b) and all(map(same_json, a, b))


def _any(value: Any) -> Any:
    return value


class AnyJSON(GoType):
    """JSON of any shape (``Any``), null included, kept as decoded; the converter leaves it to cattrs."""

    nullable = True
    has_hooks = False

    def __repr__(self) -> str:
        return "AnyJSON()"

    def build_text(self) -> Text:
        return plain_json_text

    def build_decode(self) -> Decode:
        return _any

    def build_copy(self) -> Copy:
        return copy_json

    def build_same(self) -> Same:
        return same_json

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from persist_core.testing.strategies import json_values

        return json_values()


# -- foreign structs -------------------------------------------------------------------------------


def _object(value: Any) -> Any:
    if type(value) is not dict:
        raise Refused
    return value


def _object_text(value: Any) -> str:
    if type(value) is not dict:
        raise Refused
    return plain_json_text(value)


def _check_object(value: Any) -> Any:
    if type(value) is not dict:
        raise ValueError(f"expected a JSON object, got {json_type(value)} {value!r}")
    return value


def _copy_object(value: Any) -> Any:
    if type(value) is not dict:
        raise NotExact
    return copy_json(value)


class ForeignObject(GoType):
    """A foreign struct stored by value (``ForeignJSON``): always a JSON object, its keys in written order;
    encoding checks it against the Go type's shape (model.foreign) when one is named."""

    def __init__(self, marker: ForeignJSON) -> None:
        self.go_type, self.where = marker.go_type, marker.where

    def __repr__(self) -> str:
        return f"ForeignObject({self.go_type!r})"

    def build_text(self) -> Text:
        if not self.go_type:
            return _object_text
        go_type, where = self.go_type, self.where

        def text(value: Any) -> str:
            if type(value) is not dict:
                raise Refused
            return _checked_json_text(value, go_type, where, False)

        return text

    def build_decode(self) -> Decode:
        return _object

    def build_copy(self) -> Copy:
        return _copy_object

    def build_same(self) -> Same:
        return same_json

    def structure_hook(self, converter: Converter) -> StructureFn:
        return lambda value, _: _check_object(value)

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        go_type, where = self.go_type, self.where

        def check(value: Any) -> Any:
            _check_object(value)
            if go_type:
                check_foreign_text(_converter_json(value), go_type, where)
            return value

        return check

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        from persist_core.testing.strategies import foreign_values, json_values, text

        if self.go_type:
            return foreign_values(self.go_type)
        return st.dictionaries(text, json_values(), max_size=3)


class ForeignValue(GoType):
    """A foreign struct behind a pointer (null is nil) or in a slice (``ForeignValue``): any JSON decodes,
    and encoding accepts only what the Go type reads back unchanged."""

    def __init__(self, marker: ForeignValueMarker) -> None:
        self.go_type, self.where, self.pointer = marker.go_type, marker.where, marker.pointer

    def __repr__(self) -> str:
        return f"ForeignValue({self.go_type!r})"

    def build_text(self) -> Text:
        go_type, where, pointer = self.go_type, self.where, self.pointer
        return lambda value: _checked_json_text(value, go_type, where, pointer)

    def build_decode(self) -> Decode:
        return _any  # decoding stays as lenient as Go's decoder: only encoding checks the shape

    def build_copy(self) -> Copy:
        return copy_json

    def build_same(self) -> Same:
        return same_json

    def structure_hook(self, converter: Converter) -> StructureFn:
        return lambda value, _: value

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        go_type, where, pointer = self.go_type, self.where, self.pointer

        def check(value: Any) -> Any:
            check_foreign_text(_converter_json(value), go_type, where, pointer=pointer)
            return value

        return check

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        from persist_core.testing.strategies import foreign_values

        values = foreign_values(self.go_type)
        return st.none() | values if self.pointer else values
