"""Go's time.Time: RFC 3339 with nanoseconds, its UTC offset kept (model.gotime); texts and parses remembered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from persist_core.codec.generated import NotExact, Refused, Source
from persist_core.codec.gotypes.base import Copy, Decode, GoType, Same, StructureFn, Text, UnstructureFn
from persist_core.codec.gotypes.scalars import check_str
from persist_core.model.gotime import GoTime

if TYPE_CHECKING:
    from cattrs import Converter
    from hypothesis.strategies import SearchStrategy

_TIME_TEXTS: dict[tuple[int, int, int, bool], str] = {}
_TIMES: dict[str, GoTime] = {}
_REMEMBERED_MAX = 4096


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
        if len(_TIME_TEXTS) >= _REMEMBERED_MAX:
            _TIME_TEXTS.clear()
        _TIME_TEXTS[key] = text
    return text


def _format_time(value: GoTime) -> str:
    try:
        return value.format()
    except (ValueError, TypeError, OverflowError):
        raise Refused from None  # a time Go cannot write: the converter refuses it with its message


def _time(value: Any) -> GoTime:
    """GoTime is immutable and the same instants recur in every load: parsed once, then shared."""
    if type(value) is not str:
        raise Refused
    parsed = _TIMES.get(value)
    if parsed is None:
        try:
            parsed = GoTime.parse(value)
        except ValueError:
            raise Refused from None
        if len(_TIMES) >= _REMEMBERED_MAX:
            _TIMES.clear()
        _TIMES[value] = parsed
    return parsed


def _time_exact(value: Any) -> bool:
    return (
        type(value) is GoTime
        and type(value.unix_seconds) is int
        and type(value.nanoseconds) is int
        and type(value.utc_offset) is int
        and type(value.numeric_zero_offset) is bool
    )


def _copy_time(value: Any) -> Any:
    if not _time_exact(value):
        raise NotExact
    return value  # frozen, holding only ints: shared


def _same_time(a: Any, b: Any) -> bool:
    return b is a or (_time_exact(b) and a == b)


def _structure_time(value: Any, _: Any) -> GoTime:
    return GoTime.parse(check_str(value))


def _unstructure_time(value: Any) -> str:
    if not isinstance(value, GoTime):
        raise ValueError(f"expected a GoTime, got {type(value).__name__}")
    return value.format()


class Time(GoType):
    """Go's time.Time: RFC 3339 with nanoseconds, its UTC offset kept (see model.gotime)."""

    def __repr__(self) -> str:
        return "Time()"

    def build_text(self) -> Text:
        return _time_text

    def build_decode(self) -> Decode:
        return _time

    def build_copy(self) -> Copy:
        return _copy_time

    def msgspec_type(self) -> Any:
        return str

    def from_msgspec(self, code: Source, value: str) -> str:
        return f"{code.constant(_time, 'time')}({value})"

    def build_same(self) -> Same:
        return _same_time

    def structure_hook(self, converter: Converter) -> StructureFn:
        return _structure_time

    def unstructure_hook(self, converter: Converter) -> UnstructureFn:
        return _unstructure_time

    def build_strategy(self, omitempty: bool) -> SearchStrategy[Any]:
        from persist_core.testing.strategies import go_times

        return go_times()
