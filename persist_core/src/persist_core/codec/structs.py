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
here; a class holding anything else (float32, maps, foreign JSON) always goes the full way. Each type's
description says which it is and how its value is built (``msgspec_type``, ``from_msgspec``: codec.gotypes).
``tests/core/test_codec_structs.py`` compares both ways on generated objects and mutated records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from persist_core.codec.describe import describe
from persist_core.codec.generated import Refused
from persist_core.codec.gotypes.structs import Struct

try:
    import msgspec
except ImportError:  # pragma: no cover - msgspec is a dependency of persist-core
    msgspec = None  # type: ignore[assignment]

Decode = Callable[[bytes], Any]

#: What a struct decoder raises when it is not sure: the caller then takes the full way.
NOT_SURE: tuple[type[Exception], ...] = (Refused,) if msgspec is None else (Refused, msgspec.DecodeError)


class StructDecoders:
    """A decoder per model class, made on first use; ``None`` for a class that always goes the full way."""

    def __init__(self) -> None:
        self._decoders: dict[type, Decode | None] = {}

    def for_class(self, cls: type) -> Decode | None:
        try:
            return self._decoders[cls]
        except KeyError:
            pass
        description = describe(cls)
        decoder = description.decode_bytes if msgspec is not None and isinstance(description, Struct) else None
        self._decoders[cls] = decoder
        return decoder
