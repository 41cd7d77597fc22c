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
from persist_core.codec.generated import PerType, Refused, Source, holds_models, is_model
from persist_core.model._fields import GO_KEY
from persist_core.model._gotypes import ForeignJSON, ForeignValue, GoFloat32, GoInt
from persist_core.model.gotime import GoTime

Decode = Callable[[Any], Any]

_MISSING = object()
_STR = frozenset({str})


class Decoders(PerType[Decode]):
    """Decode functions for one converter, built per type on first use and kept."""

    def __init__(self, converter: Callable[[], Converter]) -> None:
        super().__init__()
        self._converter = converter  # the reference, made only if a type needs it

    def structure(self, value: Any, cls: type) -> Any:
        """The converter's decoding, with all of Go's rules (unknown and case-folded keys).

        If it fails on this part, the fast path gives up and ``codec.loads`` runs the converter on the whole
        document, whose error names the full path.
        """
        try:
            return self._converter().structure(value, cls)
        except Exception:  # noqa: BLE001 - the converter's own failure, reported again by the whole-document run
            raise Refused from None

    def _build(self, tp: Any) -> Decode:
        marker = _annotation(tp)
        if isinstance(marker, GoInt):
            return _int_decoder(marker)
        if isinstance(marker, GoFloat32):
            return _float32
        if isinstance(marker, ForeignJSON):
            return _object
        if isinstance(marker, ForeignValue):
            return _any  # decoding stays as lenient as Go's decoder: only encoding checks the shape
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
        return _converter_hook(self._converter().get_structure_hook(tp), tp)

    def _model(self, cls: type) -> Decode:
        """Generate ``cls``'s function: exact keys only (else the converter), small nested classes inline."""
        if not _generated(cls):
            structure = self.structure
            return lambda value: structure(value, cls)
        source = _Source(self)
        source.model(cls, "d", "result", 1)
        source.line(1, "return result")
        return source.compile("decode", f"<persist codec: decode {cls.__qualname__}>")


def _generated(cls: type) -> bool:
    """Every field can be given explicitly, with its zero value when the document lacks it."""
    return all(
        field.init
        and field.default is not attrs.NOTHING
        and not (isinstance(field.default, attrs.Factory) and field.default.takes_self)  # type: ignore[arg-type]
        for field in attrs.fields(cls)
    )


def _is_leaf(tp: Any) -> bool:
    """A model class without model classes inside: small enough to decode inline wherever it occurs."""
    return is_model(tp) and _generated(tp) and not any(holds_models(f.type) for f in attrs.fields(tp))


class _Source(Source):
    """The source of one generated decode function."""

    def __init__(self, decoders: Decoders) -> None:
        super().__init__("def decode(d):", {"MISSING": _MISSING, "structure": decoders.structure})
        self._decoders = decoders

    def model(self, cls: type, src: str, dst: str, indent: int) -> None:
        """Code that sets ``dst`` to a ``cls`` built from the JSON value in ``src``."""
        fields = attrs.fields(cls)
        cls_name = self._constant(cls, "cls")
        known = self._constant(frozenset(field.metadata[GO_KEY] for field in fields), "known")
        self._refuse_unless(indent, f"type({src}) is dict")
        self.line(indent, f"if not {src}.keys() <= {known}:")
        # Unknown or case-folded keys: Go's rules, in the converter.
        self.line(indent + 1, f"{dst} = structure({src}, {cls_name})")
        self.line(indent, "else:")
        arguments = [self.field(field, src, indent + 1) for field in fields]
        self.line(indent + 1, f"{dst} = {cls_name}({', '.join(arguments)})")

    def field(self, field: attrs.Attribute[Any], src: str, indent: int) -> str:
        """Code for one field; returns the keyword argument that passes it."""
        value, result = self._name("v"), self._name("a")
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            zero = f"{self._constant(default.factory, 'z')}()"
        else:
            zero = self._constant(default, "z")
        key = field.metadata[GO_KEY]
        tp = field.type
        if _is_nullable(tp):
            # null stays null; only a missing key takes the zero value.
            self.line(indent, f"{value} = {src}.get({key!r}, MISSING)")
            self.line(indent, f"if {value} is MISSING:")
            self.line(indent + 1, f"{result} = {zero}")
            self.line(indent, f"elif {value} is None:")
            self.line(indent + 1, f"{result} = None")
            tp = _optional_arg(tp) if _is_optional(tp) else tp
        else:
            # null into a non-pointer field is a no-op in Go: the zero value, as for a missing key.
            self.line(indent, f"{value} = {src}.get({key!r})")
            self.line(indent, f"if {value} is None:")
            self.line(indent + 1, f"{result} = {zero}")
        self.line(indent, "else:")
        self.value(tp, value, result, indent + 1)
        return f"{field.alias}={result}"

    def value(self, tp: Any, src: str, dst: str, indent: int) -> None:
        """Code that sets ``dst`` to the value of the (not null) JSON value in ``src``, declared as ``tp``."""
        marker = _annotation(tp)
        origin = get_origin(tp)
        if tp is str:
            self._refuse_unless(indent, f"type({src}) is str")
            self.line(indent, f"{dst} = {src}")
        elif tp is bool:
            self._refuse_unless(indent, f"{src} is True or {src} is False")
            self.line(indent, f"{dst} = {src}")
        elif isinstance(marker, GoInt):
            self._refuse_unless(indent, f"type({src}) is int and {marker.min} <= {src} <= {marker.max}")
            self.line(indent, f"{dst} = {src}")
        elif origin is list and get_args(tp)[0] is str:
            self._refuse_unless(indent, f"type({src}) is list")
            item = self._name("x")
            self.line(indent, f"for {item} in {src}:")
            self._refuse_unless(indent + 1, f"type({item}) is str")
            self.line(indent, f"{dst} = {src}")  # the parsed document is ours alone: no copy needed
        elif origin is list and _is_leaf(get_args(tp)[0]):
            self._refuse_unless(indent, f"type({src}) is list")
            items, item, built = self._name("p"), self._name("x"), self._name("b")
            self.line(indent, f"{items} = []")
            self.line(indent, f"for {item} in {src}:")
            self.model(get_args(tp)[0], item, built, indent + 1)
            self.line(indent + 1, f"{items}.append({built})")
            self.line(indent, f"{dst} = {items}")
        elif _is_leaf(tp):
            self.model(tp, src, dst, indent)
        else:
            function = self._constant(self._decoders.for_type(tp), "f")
            self.line(indent, f"{dst} = {function}({src})")


def _converter_hook(hook: Callable[[Any, Any], Any], tp: Any) -> Decode:
    """A type the fast path has no code of its own for (sets of IDs): the converter's hook for it."""

    def decode(value: Any) -> Any:
        try:
            return hook(value, tp)
        except Exception:  # noqa: BLE001 - the converter's own failure, reported again by the whole-document run
            raise Refused from None

    return decode


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
    try:
        return _structure_float32(value, None)
    except ValueError:
        raise Refused from None


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
        try:
            parsed = GoTime.parse(value)
        except ValueError:
            raise Refused from None
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
