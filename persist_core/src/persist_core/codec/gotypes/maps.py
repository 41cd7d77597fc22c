"""Go's maps (``dict[K, V]``, and ``map[K]struct{}`` as ``set[K]``): keys are strings or integers written as
decimal strings, sorted as Go sorts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from persist_core.codec.cjson import msgspec_or_none
from persist_core.codec.converter import json_type
from persist_core.codec.generated import NotExact, Refused, Source
from persist_core.codec.gotypes.base import (
    MAX_MAP,
    MAX_SET,
    Copy,
    Decode,
    GoType,
    Same,
    StructureFn,
    Text,
    UnstructureFn,
)
from persist_core.codec.gotypes.scalars import String, string

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy


def _str_dict_text_slowly(value: dict[str, str]) -> str:
    return "{" + ",".join([string(key) + ":" + string(value[key]) for key in sorted(value)]) + "}"


def _msgspec_sorted(value: dict[str, str]) -> str:
    """msgspec writes strings as the json module does and sorts str keys as Python does: 6x quicker."""
    global _encode_sorted  # noqa: PLW0603 - made once, on the first map written
    msgspec = msgspec_or_none()
    _encode_sorted = _str_dict_text_slowly if msgspec is None else _decoded(msgspec.json.Encoder(order="sorted").encode)
    return _encode_sorted(value)


def _decoded(encode: Callable[[Any], bytes]) -> Callable[[dict[str, str]], str]:
    return lambda value: encode(value).decode()


_encode_sorted: Callable[[dict[str, str]], str] = _msgspec_sorted


def _str_dict_text(value: Any) -> str:
    if not isinstance(value, dict):
        raise Refused
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            raise Refused
    if type(value) is not dict:
        return _str_dict_text_slowly(value)
    try:
        return _encode_sorted(value)
    except UnicodeEncodeError:  # a lone surrogate: the same text as ever, which dumps then refuses
        return _str_dict_text_slowly(value)


def _str_dict(value: Any) -> dict[str, str]:
    if type(value) is not dict:
        raise Refused
    for item in value.values():
        if type(item) is not str:
            raise Refused
    return value


class _Keyed(GoType):
    """A Go map: keys are strings or integers written as decimal strings, sorted as Go sorts them."""

    omitted_texts = ("{}",)
    key: GoType


class Map(_Keyed):
    """``map[K]V`` as ``dict[K, V]``: a JSON object, its keys sorted on encoding."""

    def __init__(self, key: GoType, value: GoType) -> None:
        self.key, self.value = key, value

    def __repr__(self) -> str:
        return f"Map({self.key!r}, {self.value!r})"

    @property
    def holds_structs(self) -> bool:
        return self.value.holds_structs

    def _str_to_str(self) -> bool:
        return isinstance(self.key, String) and isinstance(self.value, String)

    def build_text(self) -> Text:
        if self._str_to_str():
            return _str_dict_text
        key, item = self.key.key_text(), self.value.text

        def text(value: Any) -> str:
            if not isinstance(value, dict):
                raise Refused
            pairs = sorted((key(k), v) for k, v in value.items())
            return "{" + ",".join([string(k) + ":" + item(v) for k, v in pairs]) + "}"

        return text

    def msgspec_type(self) -> Any:
        # msgspec checks a map of strings as Go reads it (a null value is refused, and goes the full way)
        return dict[str, str] if self._str_to_str() else super().msgspec_type()

    def from_msgspec(self, code: Source, value: str) -> str:
        return value if self._str_to_str() else super().from_msgspec(code, value)

    @property
    def msgspec_direct(self) -> bool:
        return self._str_to_str()  # msgspec's dict is new and ours alone

    def build_decode(self) -> Decode:
        if self._str_to_str():
            return _str_dict
        key, item = self.key.key_decode(), self.value.decode

        def decode(value: Any) -> dict[Any, Any]:
            if type(value) is not dict:
                raise Refused
            return {key(k): item(v) for k, v in value.items()}

        return decode

    def build_copy(self) -> Copy:
        copy_key, copy_value = self.key.copy, self.value.copy

        def copy_dict(value: Any) -> Any:
            if type(value) is not dict:
                raise NotExact
            return {copy_key(key): copy_value(item) for key, item in value.items()}

        return copy_dict

    def build_same(self) -> Same:
        same_key, same_value = self.key.same, self.value.same

        def same_dict(a: Any, b: Any) -> bool:
            # Order matters too: Go sorts map keys, but comparing it costs nothing and proves more.
            return (
                type(b) is dict
                and len(a) == len(b)
                and all(map(same_key, a, b))
                and all(map(same_value, a.values(), b.values()))
            )

        return same_dict

    def structure_hook(self, converter: Converter) -> StructureFn:
        parse_key, value_type = self.key.key_parser(), self.value.tp
        inner = converter.get_structure_hook(value_type)

        def structure(value: Any, _: Any) -> dict[Any, Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {json_type(value)}")
            return {parse_key(k): inner(v, value_type) for k, v in value.items()}

        return structure

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        write_key = self.key.key_writer()
        inner = converter.get_unstructure_hook(self.value.tp)

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise ValueError(f"expected a dict, got {type(value).__name__}")
            items = sorted((write_key(k), v) for k, v in value.items())
            return {k: inner(v) for k, v in items}

        return unstructure

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        keys, values = self.key.strategy(), self.value.strategy()
        return st.dictionaries(keys, values, min_size=int(omitempty), max_size=MAX_MAP)


class Set(_Keyed):
    """Go's ``map[K]struct{}`` as ``set[K]``: an object whose values are ``{}``."""

    def __init__(self, key: GoType) -> None:
        self.key = key

    def __repr__(self) -> str:
        return f"Set({self.key!r})"

    def build_text(self) -> Text:
        key = self.key.key_text()

        def text(value: Any) -> str:
            if not isinstance(value, (set, frozenset)):
                raise Refused
            return "{" + ",".join([string(k) + ":{}" for k in sorted(key(k) for k in value)]) + "}"

        return text

    def build_decode(self) -> Decode:
        key = self.key.key_decode()

        def decode(value: Any) -> set[Any]:
            if type(value) is not dict:
                raise Refused
            for member in value.values():
                if member is not None and type(member) is not dict:
                    raise Refused
            return {key(k) for k in value}

        return decode

    def build_copy(self) -> Copy:
        copy_item = self.key.copy

        def copy_set(value: Any) -> Any:
            kind = type(value)
            if kind is not set and kind is not frozenset:
                raise NotExact
            return kind(map(copy_item, value))

        return copy_set

    def build_same(self) -> Same:
        same_item = self.key.same

        def same_set(a: Any, b: Any) -> bool:
            # Members are immutable scalars (IDs): equal sets of exactly typed members are the same set.
            return type(b) is type(a) and a == b and all(same_item(item, item) for item in b)

        return same_set

    def structure_hook(self, converter: Converter) -> StructureFn:
        parse_key = self.key.key_parser()

        def structure(value: Any, _: Any) -> set[Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {json_type(value)}")
            for key, member in value.items():
                if member is not None and type(member) is not dict:
                    raise ValueError(f"set member {key!r} must be {{}}, got {json_type(member)}")
            return {parse_key(k) for k in value}

        return structure

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        write_key = self.key.key_writer()

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, (set, frozenset)):
                raise ValueError(f"expected a set, got {type(value).__name__}")
            return {key: {} for key in sorted(write_key(k) for k in value)}

        return unstructure

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.sets(self.key.strategy(), min_size=int(omitempty), max_size=MAX_SET)
