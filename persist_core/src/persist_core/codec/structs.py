"""Decoding straight from bytes in C: msgspec structs that mirror a model class, then one generated function
that builds the model objects from them.

This is a shortcut of ``codec.loads`` for the records persist and kata write, and it may only ever say "not
sure": msgspec checks a narrower grammar than Go reads, and whatever it refuses goes the full way, which then
decides as it always did. What it accepts gives the very objects of the full way, because:

- every key must be the field's exact Go key (``forbid_unknown_fields``): Go's case-insensitive matches and
  unknown keys go the full way;
- every integer must be a JSON integer within its Go type's range (a float, ``true`` or 2**64 is refused);
  ``-0`` reads as 0, as Go and the full way read it into an integer;
- strings must be valid UTF-8 without lone surrogate escapes, which the full way replaces as Go does;
- null into a field declared nullable (``X | None``: Go's pointers, slices and maps) is None, into anything
  else a no-op (the zero value), as the full way reads it; a missing key leaves the field's zero value;
- duplicate keys: the last one wins, whole, as in the json module's dict;
- times are parsed by the full way's own function, which refuses what Go cannot read.

Only classes made of strings, booleans, Go integers, times, slices of these and nested classes are decoded
here; a class holding anything else (float32, maps, foreign JSON) always goes the full way.
``tests/core/test_codec_structs.py`` compares both ways on generated objects and mutated records.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs

from persist_core.codec.generated import Refused, Source, is_model
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


class StructDecoders:
    """A decoder per model class, made on first use; ``None`` for a class that always goes the full way."""

    def __init__(self, time: Callable[[Any], GoTime]) -> None:
        self._time = time
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
                decode: Callable[[bytes], Any] = msgspec.json.Decoder(struct).decode

                def decoder(data: bytes) -> Any:
                    return convert(decode(data))

        self._decoders[cls] = decoder
        return decoder

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
        """The msgspec type of a non-null JSON value of a field declared ``tp``."""
        inner = _optional_arg(tp)
        if inner is not None:
            return self._annotation(inner)
        if tp is str or tp is GoTime:
            return str
        if tp is bool:
            return bool
        if get_origin(tp) is Annotated:
            marker = tp.__metadata__[0]
            if isinstance(marker, GoInt):
                return Annotated[int, msgspec.Meta(ge=marker.min, le=marker.max)]
            raise _Unsupported
        if get_origin(tp) is list:
            (item,) = get_args(tp)
            if _optional_arg(item) is not None:
                raise _Unsupported
            return list[self._annotation(item)]  # type: ignore[misc]
        if is_model(tp):
            return self._struct(tp)
        raise _Unsupported

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
        if get_origin(tp) is list:
            (item,) = get_args(tp)
            if is_model(item) or item is GoTime:
                element = self._name("x")
                return f"[{self._value(item, element)} for {element} in {value}]"
            return value  # strings, booleans, integers: msgspec's list is new and ours alone
        if is_model(tp):
            return f"{self.constant(self._decoders._converter(tp), 'convert')}({value})"
        return value
