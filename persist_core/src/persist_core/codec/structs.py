"""Decoding straight from bytes in C: msgspec structs that mirror a model class, then one generated function
that builds the model objects from them.

This is a shortcut of ``codec.loads`` for the records persist and kata write, and it may only ever say "not
sure": msgspec checks a narrower grammar than Go reads, and whatever it refuses goes the full way, which then
decides as it always did. What it accepts gives the very objects of the full way, because:

- every key must be the field's exact Go key (``forbid_unknown_fields``): Go's case-insensitive matches and
  unknown keys go the full way;
- every integer must be a JSON integer within its Go type's range (a float, ``true`` or 2**64 is refused);
  ``-0`` reads as 0, as in Go and the full way;
- strings must be valid UTF-8 without lone surrogate escapes, which the full way replaces as Go does;
- null into a field declared nullable (``X | None``: Go's pointers, slices and maps) is None, into anything
  else a no-op (the zero value), as the full way reads it; a missing key leaves the field's zero value;
- duplicate keys: the last one wins, whole, as in the json module's dict;
- times are parsed by the full way's own function, which refuses what Go cannot read.

- types msgspec cannot check as Go reads them (float32, maps, sets, foreign JSON) are parsed as any JSON and
  handed to the full way's own decoder for their type; a record of such a class that may hold a number ``-0``
  goes the full way, whose parser marks it (see ``codec.parsing``).
``tests/core/test_codec_structs.py`` compares both ways on generated objects and mutated records.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs

from persist_core.codec.generated import Refused, Source, is_model
from persist_core.codec.parsing import may_hold_negative_zero
from persist_core.model._fields import GO_KEY
from persist_core.model._gotypes import GoInt
from persist_core.model.gotime import GoTime

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is a dependency of persist-core
    msgspec = None  # type: ignore[assignment]

Decode = Callable[[bytes], Any]

#: What a struct decoder raises when it is not sure: the caller then takes the full way.
NOT_SURE: tuple[type[Exception], ...] = (Refused,) if msgspec is None else (Refused, msgspec.DecodeError)


_INT64 = range(-(2**63), 2**63)
_NATIVE: dict[Any, Any] = {str: str, GoTime: str, bool: bool}


def _go_int(tp: Any) -> GoInt | None:
    marker = tp.__metadata__[0] if get_origin(tp) is Annotated else None
    return marker if isinstance(marker, GoInt) else None


def _int_annotation(tp: Any) -> Any | None:
    """A Go integer msgspec can bound (its bounds are int64s; uint64 and uint are parsed as any JSON)."""
    marker = _go_int(tp)
    if marker is None or marker.min not in _INT64 or marker.max not in _INT64:
        return None
    return Annotated[int, msgspec.Meta(ge=marker.min, le=marker.max)]


class _Unsupported(Exception):
    """A type this shortcut does not decode: its class always goes the full way."""


def _optional_arg(tp: Any) -> Any | None:
    if get_origin(tp) in (Union, types.UnionType):
        args = [arg for arg in get_args(tp) if arg is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0]
        raise _Unsupported
    return None


def _fields_supported(cls: type) -> bool:
    """Every field can be given explicitly, with its zero value when the document lacks it."""
    return all(
        field.init
        and field.default is not attrs.NOTHING
        and not (isinstance(field.default, attrs.Factory) and field.default.takes_self)  # type: ignore[arg-type]
        for field in attrs.fields(cls)
    )


def _decoder(decode: Callable[[bytes], Any], convert: Callable[[Any], Any], *, guard: bool) -> Decode:
    if not guard:
        return lambda data: convert(decode(data))

    def decoder(data: bytes) -> Any:
        if may_hold_negative_zero(data):
            raise Refused
        return convert(decode(data))

    return decoder


class StructDecoders:
    """A decoder per model class, made on first use; ``None`` for a class that always goes the full way."""

    def __init__(self, time: Callable[[Any], GoTime], full_way: Callable[[Any], Callable[[Any], Any]]) -> None:
        self._time = time
        self._full_way = full_way
        self._any_inside: dict[type, bool] = {}
        self._decoders: dict[type, Decode | None] = {}
        self._structs: dict[type, type] = {}
        self._converters: dict[type, Callable[[Any], Any]] = {}

    def for_class(self, cls: type) -> Decode | None:
        try:
            return self._decoders[cls]
        except KeyError:
            pass
        decoder: Decode | None = None
        if msgspec is not None and is_model(cls):
            try:
                struct = self._struct(cls)
                convert = self._converter(cls)
            except _Unsupported:
                pass
            else:
                decoder = _decoder(msgspec.json.Decoder(struct).decode, convert, guard=self._parses_any(struct))
        self._decoders[cls] = decoder
        return decoder

    def _parses_any(self, annotation: Any) -> bool:
        """Whether some value is parsed as any JSON, where a ``-0`` would lose the mark the full way gives it."""
        if annotation is Any:
            return True
        if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
            found = self._any_inside.get(annotation)
            if found is None:
                self._any_inside[annotation] = False  # a class met again inside itself adds nothing new
                found = self._any_inside[annotation] = any(
                    self._parses_any(tp) for tp in annotation.__annotations__.values()
                )
            return found
        return any(self._parses_any(arg) for arg in get_args(annotation) if arg is not type(None))

    # -- the msgspec side: what the bytes must look like ----------------------------------------------

    def _struct(self, cls: type) -> type:
        struct = self._structs.get(cls)
        if struct is None:
            if not _fields_supported(cls):
                raise _Unsupported
            fields = [
                (
                    f"f{index}",
                    Union[self._annotation(field.type), None, msgspec.UnsetType],  # noqa: UP007 - made at run time
                    msgspec.field(default=msgspec.UNSET, name=field.metadata[GO_KEY]),
                )
                for index, field in enumerate(attrs.fields(cls))
            ]
            struct = self._structs[cls] = msgspec.defstruct(
                f"{cls.__name__}Document", fields, forbid_unknown_fields=True
            )
        return struct

    def _annotation(self, tp: Any) -> Any:
        """The msgspec type of a non-null JSON value of a field declared ``tp``.

        Types msgspec cannot check as Go reads them (float32, maps, sets, foreign JSON) are parsed as any JSON
        (``Any``: the very document ``parsing.parse_bytes`` gives, since a record holding ``-0`` never comes
        here) and handed to the full way's decoder for their type.
        """
        inner = _optional_arg(tp)
        if inner is not None:
            return self._annotation(inner)
        native = _NATIVE.get(tp) or _int_annotation(tp)
        if native is not None:
            return native
        if get_origin(tp) is list and _optional_arg(get_args(tp)[0]) is None:
            return list[self._annotation(get_args(tp)[0])]  # type: ignore[misc]
        if is_model(tp):
            return self._struct(tp)
        return Any

    # -- the model side: objects from the decoded struct ----------------------------------------------

    def _converter(self, cls: type) -> Callable[[Any], Any]:
        convert = self._converters.get(cls)
        if convert is None:
            source = _ConvertSource(self)
            source.model(cls)
            convert = self._converters[cls] = source.compile(
                "convert", f"<persist codec: struct to {cls.__qualname__}>"
            )
        return convert

    def time(self) -> Callable[[Any], GoTime]:
        return self._time

    def full_way(self, tp: Any) -> Callable[[Any], Any]:
        return self._full_way(tp)


class _ConvertSource(Source):
    """``def convert(s)``: the model object of the struct ``s``, each field as the full way decodes it."""

    def __init__(self, decoders: StructDecoders) -> None:
        super().__init__("def convert(s):", {"UNSET": msgspec.UNSET, "time": decoders.time()})
        self._decoders = decoders

    def model(self, cls: type) -> None:
        arguments = []
        for index, field in enumerate(attrs.fields(cls)):
            value = self._name("v")
            self.line(1, f"{value} = s.f{index}")
            arguments.append(f"{field.alias}={self._field(field, value)}")
        self.line(1, f"return {self.constant(cls, 'cls')}({', '.join(arguments)})")

    def _field(self, field: attrs.Attribute[Any], value: str) -> str:
        default: Any = field.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            zero = f"{self.constant(default.factory, 'z')}()"
        else:
            zero = self.constant(default, "z")
        tp = field.type
        inner = _optional_arg(tp)
        if inner is not None:
            # Declared nullable (a pointer, slice or map): null is nil; only a missing key takes the zero value.
            return f"({zero} if {value} is UNSET else None if {value} is None else {self._value(inner, value)})"
        # null into a non-pointer field is a no-op in Go: the zero value, as for a missing key.
        return f"({zero} if {value} is None or {value} is UNSET else {self._value(tp, value)})"

    def _value(self, tp: Any, value: str) -> str:
        """An expression for the model value of the (not null) struct value ``value``, declared ``tp``."""
        if tp is GoTime:
            return f"time({value})"
        if tp is str or tp is bool or _int_annotation(tp) is not None:
            return value
        if get_origin(tp) is list and _optional_arg(get_args(tp)[0]) is None:
            (item,) = get_args(tp)
            element = self._name("x")
            converted = self._value(item, element)
            if converted == element:
                return value  # strings, booleans, integers: msgspec's list is new and ours alone
            return f"[{converted} for {element} in {value}]"
        if is_model(tp):
            return f"{self.constant(self._decoders._converter(tp), 'convert')}({value})"
        return f"{self.constant(self._decoders.full_way(tp), 'full')}({value})"  # parsed as any JSON
