"""The reference converter: cattrs, with every hook taken from the Go type descriptions (codec.describe).

Decoding follows what kata's Go decoder accepts (unknown keys ignored, keys matched case-insensitively,
``null`` into a non-pointer field is a no-op) and refuses what it refuses (a string for a number, a
float or an out-of-range value for an integer). Encoding refuses what Go could never have written, so
a bad object fails before anything is stored.

The generated functions (each type's ``text`` and ``decode``) decide everything the model's types hold; the
converter runs only when they refuse, to say why (its detailed twin names where a document failed), or to
handle what no model type declares (``Any`` holding a str subclass or a tuple, left to cattrs).
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cattrs import Converter

#: Float32 values whose Go text Python cannot print travel through json.dumps as a string between two
#: of these markers and are spliced back as bare numbers (see ``codec.dumps``). The nonce keeps a stored
#: string from ever passing for a marker.
RAW_NUMBER_MARKER = f"\x00raw-number-{os.urandom(8).hex()}\x00"  # os, not secrets: cold start


class NegativeZero(int):
    """The JSON number ``-0``: zero for Go's integers, but a float32 field must keep its sign."""


NEGATIVE_ZERO = NegativeZero(0)


def json_type(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def make_converter(*, detailed: bool) -> Converter:
    """The codec's converter; ``detailed`` records where a decode failed (slower, used to explain errors)."""
    from cattrs import Converter  # on first need: saves and loads that go well never import cattrs

    from persist_core.codec.describe import CLASS_KINDS, describe

    converter = Converter(detailed_validation=detailed)

    def described(tp: Any) -> bool:
        try:
            return describe(tp).has_hooks
        except TypeError:  # unhashable: not a declared type
            return False

    converter.register_structure_hook_factory(described, lambda tp: describe(tp).structure_hook(converter))
    converter.register_unstructure_hook_factory(described, lambda tp: describe(tp).unstructure_hook(converter))
    # Classes whose subclasses are dispatched by class (cattrs looks up classes before any predicate):
    for cls in CLASS_KINDS:
        converter.register_structure_hook(cls, describe(cls).structure_hook(converter))
        converter.register_unstructure_hook(cls, describe(cls).unstructure_hook(converter))
    return converter


@functools.cache
def reference(detailed: bool = False) -> Converter:
    """The reference converter (``detailed``: the one that explains failures), made on first need: the
    generated functions handle what persist and kata write without it."""
    return make_converter(detailed=detailed)
