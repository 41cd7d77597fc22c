"""Go's float32: held as the float32 nearest the number, written with float32's shortest digits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from persist_core.codec.converter import RAW_NUMBER_MARKER, NegativeZero, json_type
from persist_core.codec.generated import NotExact, Refused
from persist_core.codec.gofloat import format_float32, to_float32
from persist_core.codec.gotypes.base import Copy, Decode, GoType, Same, StructureFn, Text, UnstructureFn

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy


def _check_float32(value: Any) -> float:
    if type(value) is NegativeZero:
        return -0.0
    if type(value) not in (int, float):
        raise ValueError(f"expected a Go float32 (a number), got {json_type(value)} {value!r}")
    try:
        if math.isfinite(value):
            return to_float32(value)
    except OverflowError:
        pass
    raise ValueError(f"{value!r} is out of range for Go float32")


def _structure_float32(value: Any, _: Any) -> float:
    """Hold exactly what Go holds: the number rounded to float32 (0.1 becomes 0.10000000149011612)."""
    return _check_float32(value)


def _unstructure_float32(value: Any) -> Any:
    number = _check_float32(value)  # Go would hold the float32 nearest to what the caller set
    text = format_float32(number)
    if text == repr(number):
        return number
    if text.lstrip("-").isdigit() and text != "-0":
        return int(text)
    return RAW_NUMBER_MARKER + text + RAW_NUMBER_MARKER


def _float32_text(value: Any) -> str:
    if type(value) is not float and type(value) is not int:
        if type(value) is NegativeZero:
            return "-0"
        raise Refused
    try:
        return format_float32(value)
    except (ValueError, OverflowError):
        raise Refused from None  # what float32 cannot hold: the converter refuses it with its message


def _float32(value: Any) -> float:
    try:
        return _check_float32(value)
    except ValueError:
        raise Refused from None


def _copy_float(value: Any) -> Any:
    if type(value) is not float:
        raise NotExact
    return value


def float_same(a: float, b: Any) -> bool:
    # -0.0 == 0.0 but is written as -0; NaN never equals itself, so it is never "same" (and never cached).
    return type(b) is float and a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


class Float32(GoType):
    """Go's float32: held as the float32 nearest the number, written with float32's shortest digits."""

    def __repr__(self) -> str:
        return "Float32()"

    def build_text(self) -> Text:
        return _float32_text

    def build_decode(self) -> Decode:
        return _float32

    def build_copy(self) -> Copy:
        return _copy_float

    def build_same(self) -> Same:
        return float_same

    def structure_hook(self, converter: Converter) -> StructureFn:
        return _structure_float32

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        return _unstructure_float32

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from hypothesis import strategies as st

        return st.floats(width=32, allow_nan=False, allow_infinity=False)
