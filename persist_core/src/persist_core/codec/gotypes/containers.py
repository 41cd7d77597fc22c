"""Go's pointers, slices and maps (and ``map[K]struct{}`` as a set): nil is null, map keys are sorted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cattrs import Converter
from cattrs.cols import list_structure_factory

from persist_core.codec.converter import json_type
from persist_core.codec.generated import NotExact, Refused, Source
from persist_core.codec.gotypes.base import (
    Copy,
    Decode,
    GoType,
    Same,
    StructureFn,
    Text,
    UnstructureFn,
)
from persist_core.codec.gotypes.foreign import AnyJSON, plain_json_text
from persist_core.codec.gotypes.scalars import String, string

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

#: The longest lists, maps and sets test strategies draw (kata's structs nest deeply).
MAX_LIST, MAX_MAP, MAX_SET = 2, 3, 4


class Optional(GoType):
    """A Go pointer (``X | None``): null is nil; an omitempty field is left out when nil."""

    nullable = True

    def __init__(self, inner: GoType) -> None:
        self.inner = inner
        self.omitted_texts = ("null", *inner.omitted_texts)

    def __repr__(self) -> str:
        return f"Optional({self.inner!r})"

    @property
    def non_null(self) -> GoType:
        return self.inner

    @property
    def holds_structs(self) -> bool:
        return self.inner.holds_structs

    def build_text(self) -> Text:
        inner = self.inner.text
        return lambda value: "null" if value is None else inner(value)

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.line(indent, f"if {src} is None:")
        code.line(indent + 1, f"{dst} = 'null'")
        code.line(indent, "else:")
        self.inner.encode_code(code, src, dst, indent + 1)

    def build_decode(self) -> Decode:
        inner = self.inner.decode
        return lambda value: None if value is None else inner(value)

    def build_copy(self) -> Copy:
        copy = self.inner.copy
        return lambda value: None if value is None else copy(value)

    def build_same(self) -> Same:
        same = self.inner.same
        return lambda a, b: b is None if a is None else (b is not None and same(a, b))

    def copy_code(self, code: Source, src: str, dst: str, indent: int, depth: int) -> None:
        code.line(indent, f"if {src} is None:")
        code.line(indent + 1, f"{dst} = None")
        code.line(indent, "else:")
        self.inner.copy_code(code, src, dst, indent + 1, depth)

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        code.line(indent, f"if {a} is None or {b} is None:")
        code.line(indent + 1, f"if {a} is not {b}:")
        code.line(indent + 2, "return False")
        code.line(indent, "else:")
        self.inner.same_code(code, a, b, indent + 1, depth)

    def msgspec_type(self) -> Any:
        return self.inner.msgspec_type()

    def from_msgspec(self, code: Source, value: str) -> str:
        return self.inner.from_msgspec(code, value)

    def structure_hook(self, converter: Converter) -> StructureFn:
        arg = self.inner.tp
        inner = converter.get_structure_hook(arg)
        return lambda value, _: None if value is None else inner(value, arg)

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        inner = converter.get_unstructure_hook(self.inner.tp)
        return lambda value: None if value is None else inner(value)

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.none() | self.inner.strategy(omitempty)


# -- slices ----------------------------------------------------------------------------------------


def _str_list_text(value: Any) -> str:
    if not isinstance(value, list):
        raise Refused
    for item in value:
        if type(item) is not str:
            raise Refused
    return "[" + ",".join(map(string, value)) + "]"


def _plain_list_text(value: Any) -> str:
    if type(value) is not list:
        raise Refused
    return plain_json_text(value)


def _str_list(value: Any) -> list[str]:
    if type(value) is not list:
        raise Refused
    for item in value:
        if type(item) is not str:
            raise Refused
    return value  # the parsed document is ours alone, so its lists can be kept rather than copied


def _any_list(value: Any) -> list[Any]:
    if type(value) is not list:
        raise Refused
    return value


class List(GoType):
    """A Go slice (``list[X]``): a JSON array; nil is None (see Optional), written ``null``."""

    omitted_texts = ("[]",)

    def __init__(self, item: GoType) -> None:
        self.item = item

    def __repr__(self) -> str:
        return f"List({self.item!r})"

    @property
    def holds_structs(self) -> bool:
        return self.item.holds_structs

    def build_text(self) -> Text:
        if isinstance(self.item, AnyJSON):
            return _plain_list_text
        if isinstance(self.item, String):
            return _str_list_text
        item = self.item.text

        def text(value: Any) -> str:
            if not isinstance(value, list):
                raise Refused
            return "[" + ",".join([item(element) for element in value]) + "]"

        return text

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        if isinstance(self.item, String):
            code.refuse_unless(indent, f"isinstance({src}, list)")
            item = code.name("x")
            code.line(indent, f"for {item} in {src}:")
            code.refuse_unless(indent + 1, f"type({item}) is str")
            code.line(indent, f"{dst} = '[' + ','.join(map(string, {src})) + ']'")
        elif self.item.inline_text:
            code.refuse_unless(indent, f"isinstance({src}, list)")
            parts, item, text = code.name("p"), code.name("x"), code.name("t")
            code.line(indent, f"{parts} = []")
            code.line(indent, f"for {item} in {src}:")
            self.item.encode_code(code, item, text, indent + 1)
            code.line(indent + 1, f"{parts}.append({text})")
            code.line(indent, f"{dst} = '[' + ','.join({parts}) + ']'")
        else:
            super().encode_code(code, src, dst, indent)

    def build_decode(self) -> Decode:
        if isinstance(self.item, String):
            return _str_list
        if isinstance(self.item, AnyJSON):
            return _any_list
        item = self.item.decode

        def decode(value: Any) -> list[Any]:
            if type(value) is not list:
                raise Refused
            return [item(element) for element in value]

        return decode

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        if isinstance(self.item, String):
            code.refuse_unless(indent, f"type({src}) is list")
            item = code.name("x")
            code.line(indent, f"for {item} in {src}:")
            code.refuse_unless(indent + 1, f"type({item}) is str")
            code.line(indent, f"{dst} = {src}")  # the parsed document is ours alone: no copy needed
        elif self.item.inline_decode:
            code.refuse_unless(indent, f"type({src}) is list")
            items, item, built = code.name("p"), code.name("x"), code.name("b")
            code.line(indent, f"{items} = []")
            code.line(indent, f"for {item} in {src}:")
            self.item.decode_code(code, item, built, indent + 1)
            code.line(indent + 1, f"{items}.append({built})")
            code.line(indent, f"{dst} = {items}")
        else:
            super().decode_code(code, src, dst, indent)

    def build_copy(self) -> Copy:
        copy = self.item.copy

        def copy_list(value: Any) -> Any:
            if type(value) is not list:
                raise NotExact
            return list(map(copy, value))

        return copy_list

    def build_same(self) -> Same:
        same = self.item.same
        return lambda a, b: type(b) is list and len(a) == len(b) and all(map(same, a, b))

    def copy_code(self, code: Source, src: str, dst: str, indent: int, depth: int) -> None:
        if depth <= 0:
            super().copy_code(code, src, dst, indent, depth)
            return
        item, copied = code.name("x"), code.name("y")
        code.line(indent, f"if type({src}) is not list:")
        code.line(indent + 1, "raise NotExact")
        code.line(indent, f"{dst} = []")
        code.line(indent, f"for {item} in {src}:")
        self.item.copy_code(code, item, copied, indent + 1, depth - 1)
        code.line(indent + 1, f"{dst}.append({copied})")

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        if depth <= 0:
            super().same_code(code, a, b, indent, depth)
            return
        x, y = code.name("x"), code.name("y")
        code.line(indent, f"if type({b}) is not list or len({b}) != len({a}):")
        code.line(indent + 1, "return False")
        code.line(indent, f"for {x}, {y} in zip({a}, {b}):")
        self.item.same_code(code, x, y, indent + 1, depth - 1)

    def msgspec_type(self) -> Any:
        if self.item.nullable:
            return super().msgspec_type()
        return list[self.item.msgspec_type()]  # type: ignore[misc]

    def from_msgspec(self, code: Source, value: str) -> str:
        if self.item.nullable:
            return super().from_msgspec(code, value)
        element = code.name("x")
        item = self.item.from_msgspec(code, element)
        # Strings, booleans, integers: msgspec's list is new and ours alone.
        return value if item == element else f"[{item} for {element} in {value}]"

    def structure_hook(self, converter: Converter) -> StructureFn:
        tp = self.tp
        inner = list_structure_factory(tp, converter)

        def structure(value: Any, _: Any) -> list[Any]:
            if type(value) is not list:
                raise ValueError(f"expected an array, got {json_type(value)}")
            return inner(value, tp)  # type: ignore[no-any-return]

        return structure

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        inner = converter.get_unstructure_hook(self.item.tp)

        def unstructure(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise ValueError(f"expected a list, got {type(value).__name__}")
            return [inner(item) for item in value]

        return unstructure

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.lists(self.item.strategy(), min_size=int(omitempty), max_size=MAX_LIST)


# -- maps ------------------------------------------------------------------------------------------


def _str_dict_text(value: Any) -> str:
    if not isinstance(value, dict):
        raise Refused
    for key, item in value.items():
        if type(key) is not str or type(item) is not str:
            raise Refused
    return "{" + ",".join([string(key) + ":" + string(value[key]) for key in sorted(value)]) + "}"


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
