"""Go's pointers (``X | None``): null is nil."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from persist_core.codec.generated import Source
from persist_core.codec.gotypes.base import (
    Copy,
    Decode,
    GoType,
    Same,
    StructureFn,
    Text,
    UnstructureFn,
)

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy


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
