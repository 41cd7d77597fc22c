"""Go's slices (``list[X]``): JSON arrays; nil is None, written null (see pointers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from persist_core.codec.converter import json_type
from persist_core.codec.generated import NotExact, Refused, Source
from persist_core.codec.gotypes.base import (
    MAX_LIST,
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
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy


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
        from cattrs.cols import list_structure_factory  # the converter only: not at import (cold start)

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
