"""Decoding fast path: one generated function per model class builds the object from the parsed document.

The converter stays the reference for Go's decoding rules. These functions handle the shape that kata
and persist write (exact keys, values of the declared types) and hand anything else to it: an object
with unknown or case-folded keys goes to the converter whole, and a value of the wrong type raises, after
which ``codec.loads`` decodes the document with the converter, for the same result or the same error.
They never modify the document. Functions are generated on first use of a class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args, get_origin

import attrs
from cattrs import Converter

from persist_core.codec.converter import _annotation, _is_nullable, _is_optional, _optional_arg, _structure_float32
from persist_core.codec.encoders import Refused
from persist_core.model._fields import GO_KEY
from persist_core.model._gotypes import ForeignJSON, GoFloat32, GoInt
from persist_core.model.gotime import GoTime

Decode = Callable[[Any], Any]

_MISSING = object()
_STR = frozenset({str})


class Decoders:
    """Decode functions for one converter, built per type on first use and kept."""

    def __init__(self, converter: Converter) -> None:
        self._converter = converter
        self._cache: dict[Any, Decode] = {}

    def for_type(self, tp: Any) -> Decode:
        function = self._cache.get(tp)
        if function is None:
            function = self._build(tp)
            self._cache[tp] = function
        return function

    def _build(self, tp: Any) -> Decode:
        marker = _annotation(tp)
        if isinstance(marker, GoInt):
            return _int_decoder(marker)
        if isinstance(marker, GoFloat32):
            return _float32
        if isinstance(marker, ForeignJSON):
            return _object
        if tp is str:
            return _str
        if tp is bool:
            return _bool
        if tp is GoTime:
            return _time
        if tp is Any:
            return _any
        if _is_optional(tp):
            inner = self.for_type(_optional_arg(tp))
            return lambda value: None if value is None else inner(value)
        origin = get_origin(tp)
        if origin is list:
            (item,) = get_args(tp)
            if item is str:
                return _str_list
            if item is Any:
                return _any_list
            return _list_decoder(self.for_type(item))
        if origin is dict and get_args(tp) == (str, str):
            return _str_dict
        if isinstance(tp, type) and attrs.has(tp):
            return self._model(tp)
        hook = self._converter.get_structure_hook(tp)
        return lambda value: hook(value, tp)

    def _model(self, cls: type) -> Decode:
        """Generate ``cls``'s function: exact keys only (else the converter), inline checks for scalars."""
        fields = attrs.fields(cls)
        structure = self._converter.structure
        if any(not field.init or field.default is attrs.NOTHING for field in fields):
            return lambda value: structure(value, cls)
        namespace: dict[str, Any] = {
            "cls": cls,
            "Refused": Refused,
            "MISSING": _MISSING,
            "known": frozenset(field.metadata[GO_KEY] for field in fields),
            "structure": structure,
        }
        lines = [
            "def decode(d):",
            "    if type(d) is not dict:",
            "        raise Refused",
            "    if not d.keys() <= known:",
            "        return structure(d, cls)",  # unknown or case-folded keys: Go's rules, in the converter
        ]
        arguments = []
        for index, field in enumerate(fields):
            var = f"a{index}"
            key = field.metadata[GO_KEY]
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                if default.takes_self:
                    return lambda value: structure(value, cls)
                namespace[f"z{index}"] = default.factory
                zero = f"z{index}()"
            else:
                namespace[f"z{index}"] = default
                zero = f"z{index}"
            tp = field.type
            if _is_nullable(tp):
                # null stays null; only a missing key takes the zero value.
                lines.append(f"    v = d.get({key!r}, MISSING)")
                lines.append(f"    if v is MISSING:\n        {var} = {zero}")
                lines.append(f"    elif v is None:\n        {var} = None")
                inner = _optional_arg(tp) if _is_optional(tp) else tp
            else:
                # null into a non-pointer field is a no-op in Go: the zero value, as for a missing key.
                lines.append(f"    v = d.get({key!r})")
                lines.append(f"    if v is None:\n        {var} = {zero}")
                inner = tp
            marker = _annotation(inner)
            if inner is str:
                lines.append(f"    elif type(v) is str:\n        {var} = v\n    else:\n        raise Refused")
            elif inner is bool:
                lines.append(f"    elif v is True or v is False:\n        {var} = v\n    else:\n        raise Refused")
            elif isinstance(marker, GoInt):
                check = f"type(v) is int and {marker.min} <= v <= {marker.max}"
                lines.append(f"    elif {check}:\n        {var} = v\n    else:\n        raise Refused")
            else:
                namespace[f"f{index}"] = self.for_type(inner)
                lines.append(f"    else:\n        {var} = f{index}(v)")
            arguments.append(f"{field.alias}={var}")
        lines.append(f"    return cls({', '.join(arguments)})")
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<persist codec: decode {cls.__qualname__}>", "exec"), namespace)
        function: Decode = namespace["decode"]
        return function


def _str(value: Any) -> str:
    if type(value) is not str:
        raise Refused
    return value


def _bool(value: Any) -> bool:
    if value is True or value is False:
        return value
    raise Refused


def _int_decoder(marker: GoInt) -> Decode:
    low, high = marker.min, marker.max

    def decode(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise Refused
        return value

    return decode


def _float32(value: Any) -> float:
    return _structure_float32(value, None)


def _object(value: Any) -> Any:
    if type(value) is not dict:
        raise Refused
    return value


def _any(value: Any) -> Any:
    return value


_TIMES: dict[str, GoTime] = {}
_TIMES_MAX = 4096


def _time(value: Any) -> GoTime:
    """GoTime is immutable and the same instants recur in every load: parsed once, then shared."""
    if type(value) is not str:
        raise Refused
    parsed = _TIMES.get(value)
    if parsed is None:
        parsed = GoTime.parse(value)
        if len(_TIMES) >= _TIMES_MAX:
            _TIMES.clear()
        _TIMES[value] = parsed
    return parsed


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


def _str_dict(value: Any) -> dict[str, str]:
    if type(value) is not dict:
        raise Refused
    for item in value.values():
        if type(item) is not str:
            raise Refused
    return value


def _list_decoder(item: Decode) -> Decode:
    def decode(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Refused
        return [item(element) for element in value]

    return decode
