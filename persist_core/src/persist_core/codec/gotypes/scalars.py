"""Go's string, bool and integer types (with their ranges): held in one immutable Python type each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from persist_core.codec.converter import NegativeZero, json_type
from persist_core.codec.generated import NotExact, Refused, Source
from persist_core.codec.gotypes.base import Copy, Decode, GoType, Same, StructureFn, Text, UnstructureFn
from persist_core.model._gotypes import GoInt

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy

# The string encoder the json module uses with ensure_ascii=False (C when available): the same escapes.
string: Callable[[str], str] = json.encoder.encode_basestring


class _Leaf(GoType):
    """A scalar held in one immutable Python type: copied by reference, compared by type and value."""

    leaf: type

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def build_copy(self) -> Copy:
        kind = self.leaf

        def copy(value: Any) -> Any:
            if type(value) is not kind:
                raise NotExact
            return value

        return copy

    def build_same(self) -> Same:
        kind = self.leaf
        return lambda a, b: type(b) is kind and a == b

    def copy_code(self, code: Source, src: str, dst: str, indent: int, depth: int) -> None:
        code.line(indent, f"if type({src}) is not {self.leaf.__name__}:")
        code.line(indent + 1, "raise NotExact")
        code.line(indent, f"{dst} = {src}")

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        code.line(indent, f"if type({b}) is not {self.leaf.__name__} or {b} != {a}:")
        code.line(indent + 1, "return False")


def _exact(kind: type, name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(f"expected a {name}, got {json_type(value)} {value!r}")
        return value

    return check


check_str = _exact(str, "string")
_check_bool = _exact(bool, "boolean")


# -- string ----------------------------------------------------------------------------------------


def _str_text(value: Any) -> str:
    if type(value) is not str:
        raise Refused
    return string(value)


def _checked_str(value: Any) -> str:
    if type(value) is not str:
        raise Refused
    return value


class String(_Leaf):
    """Go's string: a JSON string, exactly a ``str`` (a subclass or an enum member is refused)."""

    leaf = str

    def build_text(self) -> Text:
        return _str_text

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.refuse_unless(indent, f"type({src}) is str")
        code.line(indent, f"{dst} = string({src})")

    def key_text(self) -> Callable[[Any], str]:
        return _checked_str

    def build_decode(self) -> Decode:
        return _checked_str

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.refuse_unless(indent, f"type({src}) is str")
        code.line(indent, f"{dst} = {src}")

    def key_decode(self) -> Callable[[str], Any]:
        return lambda key: key

    def msgspec_type(self) -> Any:
        return str

    def from_msgspec(self, code: Source, value: str) -> str:
        return value

    @property
    def msgspec_direct(self) -> bool:
        return True

    def structure_hook(self, converter: Converter) -> StructureFn:
        return lambda value, _: check_str(value)

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        return check_str

    def key_parser(self) -> Callable[[str], Any]:
        return lambda key: key

    def key_writer(self) -> Callable[[Any], str]:
        return check_str

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from persist_core.testing.strategies import text

        return text


# -- bool ------------------------------------------------------------------------------------------


def _bool_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise Refused


def _bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise Refused


class Bool(_Leaf):
    """Go's bool: exactly True or False (1 and 0 are refused)."""

    leaf = bool

    def build_text(self) -> Text:
        return _bool_text

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.line(indent, f"{dst} = 'true' if {src} is True else 'false' if {src} is False else None")
        code.refuse_unless(indent, f"{dst} is not None")

    def build_decode(self) -> Decode:
        return _bool

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.refuse_unless(indent, f"{src} is True or {src} is False")
        code.line(indent, f"{dst} = {src}")

    def build_same(self) -> Same:
        return lambda a, b: b is a

    def same_code(self, code: Source, a: str, b: str, indent: int, depth: int) -> None:
        code.line(indent, f"if {b} is not {a}:")
        code.line(indent + 1, "return False")

    def msgspec_type(self) -> Any:
        return bool

    def from_msgspec(self, code: Source, value: str) -> str:
        return value

    @property
    def msgspec_direct(self) -> bool:
        return True

    def structure_hook(self, converter: Converter) -> StructureFn:
        return lambda value, _: _check_bool(value)

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        return _check_bool

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.booleans()


# -- integers --------------------------------------------------------------------------------------


def _zero(value: Any) -> int:
    """The JSON number -0 is an integer zero to Go; any other value outside the type's range is refused."""
    if type(value) is NegativeZero:
        return 0
    raise Refused


def _zero_text(value: Any) -> str:
    """A -0 that reached an integer field is written as Go holds it: 0."""
    return int.__repr__(_zero(value))


class Integer(_Leaf):
    """One of Go's integer types: a JSON integer in its range (never a float, even 7.0; never a bool)."""

    leaf = int

    def __init__(self, marker: GoInt) -> None:
        self.go_type, self.min, self.max = marker.go_type, marker.min, marker.max

    def __repr__(self) -> str:
        return f"Integer({self.go_type})"

    def build_text(self) -> Text:
        low, high = self.min, self.max

        def text(value: Any) -> str:
            if type(value) is not int or not low <= value <= high:
                return _zero_text(value)
            return int.__repr__(value)

        return text

    def encode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.line(indent, f"if type({src}) is int and {self.min} <= {src} <= {self.max}:")
        code.line(indent + 1, f"{dst} = int.__repr__({src})")
        code.line(indent, "else:")
        code.call(_zero_text, src, dst, indent + 1)

    def key_text(self) -> Callable[[Any], str]:
        return self.text

    def build_decode(self) -> Decode:
        low, high = self.min, self.max

        def decode(value: Any) -> int:
            if type(value) is not int or not low <= value <= high:
                return _zero(value)
            return value

        return decode

    def decode_code(self, code: Source, src: str, dst: str, indent: int) -> None:
        code.line(indent, f"if type({src}) is int and {self.min} <= {src} <= {self.max}:")
        code.line(indent + 1, f"{dst} = {src}")
        code.line(indent, "else:")
        code.call(_zero, src, dst, indent + 1)

    def key_decode(self) -> Callable[[str], Any]:
        parse = self.key_parser()

        def decode(key: str) -> int:
            try:
                return parse(key)  # type: ignore[no-any-return]
            except ValueError:
                raise Refused from None

        return decode

    def _int64(self) -> bool:
        """msgspec bounds integers within int64's range (uint64 and uint are parsed as any JSON)."""
        return self.min >= -(2**63) and self.max < 2**63

    def msgspec_type(self) -> Any:
        import msgspec

        if not self._int64():
            return super().msgspec_type()
        return Annotated[int, msgspec.Meta(ge=self.min, le=self.max)]  # -0 reads as 0, as Go reads it

    def from_msgspec(self, code: Source, value: str) -> str:
        return value if self._int64() else super().from_msgspec(code, value)

    @property
    def msgspec_direct(self) -> bool:
        return self._int64()

    def check(self) -> Callable[[Any], int]:
        """The converter's check: a Go integer in range, with its message otherwise (-0 is 0)."""
        low, high, name = self.min, self.max, self.go_type

        def check(value: Any) -> int:
            if type(value) is not int:
                if type(value) is NegativeZero:
                    return 0
                raise ValueError(f"expected a Go {name} (an integer), got {json_type(value)} {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{value} is out of range for Go {name} [{low}, {high}]")
            return value

        return check

    def structure_hook(self, converter: Converter) -> StructureFn:
        check = self.check()
        return lambda value, _: check(value)

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        return self.check()

    def key_parser(self) -> Callable[[str], Any]:
        check = self.check()

        def parse(key: str) -> int:
            digits = key[1:] if key.startswith("-") else key
            if not (digits.isascii() and digits.isdigit()):
                raise ValueError(f"map key {key!r} is not an integer")
            return check(int(key))

        return parse

    def key_writer(self) -> Callable[[Any], str]:
        check = self.check()
        return lambda key: str(check(key))

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.integers(self.min, self.max)
