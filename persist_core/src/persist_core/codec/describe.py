"""The one place where a Python annotation becomes the description of its Go type.

Every derivation (encoding, decoding, exact copies and comparisons, the reference converter's hooks, test
strategies) asks ``describe``; adding a Go type is a class in ``codec.gotypes`` and a line here.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs

from persist_core.codec.gotypes.base import GoType, Unknown
from persist_core.codec.gotypes.floats import Float32
from persist_core.codec.gotypes.foreign import AnyJSON, ForeignObject, ForeignValue
from persist_core.codec.gotypes.maps import Map, Set
from persist_core.codec.gotypes.pointers import Optional
from persist_core.codec.gotypes.scalars import Bool, Integer, String
from persist_core.codec.gotypes.slices import List
from persist_core.codec.gotypes.structs import Struct
from persist_core.codec.gotypes.times import Time
from persist_core.model import _gotypes as markers
from persist_core.model.gotime import GoTime

#: Python classes described by class: their subclasses are described (and dispatched by cattrs) as they are.
CLASS_KINDS: dict[type, type[GoType]] = {str: String, bool: Bool, GoTime: Time}
#: Annotated markers and the kind each one declares.
_MARKER_KINDS: dict[type, Callable[[Any], GoType]] = {
    markers.GoInt: Integer,
    markers.GoFloat32: lambda _: Float32(),
    markers.ForeignJSON: ForeignObject,
    markers.ForeignValue: ForeignValue,
}
_GENERICS: dict[Any, Callable[..., GoType]] = {list: List, dict: Map, set: Set}


def _describe(tp: Any) -> GoType:
    description = _kind(tp)
    description.tp = tp
    return description


#: The description of declared type ``tp`` (one per type, kept; ``tp`` must be hashable). A bare cache: it is
#: asked on every ``codec.dumps``.
describe: Callable[[Any], GoType] = functools.cache(_describe)


def _kind(tp: Any) -> GoType:
    origin = get_origin(tp)
    if origin is Annotated:
        kind = _MARKER_KINDS.get(type(tp.__metadata__[0]))
        return Unknown(tp) if kind is None else kind(tp.__metadata__[0])
    if origin in (Union, types.UnionType):
        args = [arg for arg in get_args(tp) if arg is not type(None)]
        return Optional(describe(args[0])) if len(args) == 1 < len(get_args(tp)) else Unknown(tp)
    if origin in _GENERICS:
        return _GENERICS[origin](*map(describe, get_args(tp)))
    if tp is Any:
        return AnyJSON()
    return _class_kind(tp)


def _class_kind(tp: Any) -> GoType:
    if isinstance(tp, type):
        for cls, kind in CLASS_KINDS.items():
            if issubclass(tp, cls):
                return kind()
        if attrs.has(tp):
            return Struct(tp)
    return Unknown(tp)
