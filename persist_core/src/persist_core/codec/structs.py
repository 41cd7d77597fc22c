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

Each type's description says how (``msgspec_type`` and ``from_msgspec``, see codec.gotypes).
``tests/core/test_codec_structs.py`` compares both ways on generated objects and mutated records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

from persist_core.codec.cjson import msgspec_or_none, msgspec_refusals
from persist_core.codec.describe import describe
from persist_core.codec.generated import Refused
from persist_core.codec.gotypes.base import Unsupported
from persist_core.codec.gotypes.structs import Struct
from persist_core.codec.parsing import may_hold_negative_zero

Decode = Callable[[bytes], Any]


def _decoder(decode: Callable[[bytes], Any], convert: Callable[[Any], Any], *, guard: bool) -> Decode:
    """``Refused`` where not sure (a possible ``-0`` under ``guard``, msgspec's refusal): the full way decides."""
    refusals = msgspec_refusals()

    def decoder(data: bytes) -> Any:
        if guard and may_hold_negative_zero(data):
            raise Refused
        try:
            document = decode(data)
        except refusals:
            raise Refused from None
        return convert(document)

    return decoder


class StructDecoders:
    """A decoder per model class, made on first use; ``None`` for a class that always goes the full way."""

    def __init__(self) -> None:
        self._any_inside: dict[type, bool] = {}
        self._decoders: dict[type, Decode | None] = {}

    def for_class(self, cls: type) -> Decode | None:
        try:
            return self._decoders[cls]
        except KeyError:
            pass
        decoder: Decode | None = None
        description = describe(cls)
        msgspec = msgspec_or_none()
        if msgspec is not None and isinstance(description, Struct):
            try:
                struct = description.msgspec_type()
                convert = self._converter(cls)
            except Unsupported:
                pass
            else:
                guard = self._parses_any(struct)
                decoder = _decoder(msgspec.json.Decoder(struct).decode, convert, guard=guard)
        self._decoders[cls] = decoder
        return decoder

    def _converter(self, cls: type) -> Callable[[Any], Any]:
        """The model object of a msgspec struct of ``cls`` (generated, see Struct.msgspec_converter)."""
        description = describe(cls)
        assert isinstance(description, Struct)
        return description.msgspec_converter

    def _parses_any(self, annotation: Any) -> bool:
        """Whether some value is parsed as any JSON, where a ``-0`` would lose the mark the full way gives it."""
        if annotation is Any:
            return True
        if isinstance(annotation, type) and hasattr(annotation, "__struct_fields__"):  # a msgspec.Struct
            found = self._any_inside.get(annotation)
            if found is None:
                self._any_inside[annotation] = False  # a class met again inside itself adds nothing new
                found = self._any_inside[annotation] = any(
                    self._parses_any(tp) for tp in annotation.__annotations__.values()
                )
            return found
        return any(self._parses_any(arg) for arg in get_args(annotation) if arg is not type(None))
