"""The cattrs converter that maps the model to Go's JSON values and back, with Go's rules.

Decoding follows what kata's Go decoder accepts (unknown keys ignored, keys matched case-insensitively,
``null`` into a non-pointer field is a no-op) and refuses what it refuses (a string for a number, a
float or an out-of-range value for an integer). Encoding refuses what Go could never have written, so
a bad object fails before anything is stored. Map keys are sorted; struct keys keep Go's field order.
"""

from __future__ import annotations

import json
import math
import os
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs
from cattrs import Converter
from cattrs.cols import list_structure_factory
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from persist_core.codec.foreign import check_foreign_text
from persist_core.codec.gofloat import format_float32, to_float32
from persist_core.model._fields import GO_KEY, OMITEMPTY
from persist_core.model._gotypes import ForeignJSON, ForeignValue, GoFloat32, GoInt
from persist_core.model.gotime import GoTime

StructureFn = Callable[[Any, Any], Any]
UnstructureFn = Callable[[Any], Any]

#: Float32 values whose Go text differs from Python's float repr travel through json.dumps as a string
#: between two of these markers and are spliced back as bare numbers (see ``codec.dumps``). The nonce
#: keeps a stored string from ever passing for a marker.
RAW_NUMBER_MARKER = f"\x00raw-number-{os.urandom(8).hex()}\x00"  # os, not secrets: cold start


class NegativeZero(int):
    """The JSON number ``-0``: zero for Go's integers, but a float32 field must keep its sign."""


NEGATIVE_ZERO = NegativeZero(0)


def _json_type(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _annotation(tp: Any) -> object | None:
    return tp.__metadata__[0] if get_origin(tp) is Annotated else None


def _is_optional(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)


def _is_nullable(tp: Any) -> bool:
    """Pointer, slice and map fields accept null; ``Any`` holds foreign JSON, null included."""
    return tp is Any or _is_optional(tp)


def _optional_arg(tp: Any) -> Any:
    (arg,) = [a for a in get_args(tp) if a is not type(None)]
    return arg


# -- scalars ---------------------------------------------------------------------------------------


def _goint_check(tp: Any) -> Callable[[Any], int]:
    marker = _annotation(tp)
    assert isinstance(marker, GoInt)
    low, high, name = marker.min, marker.max, marker.go_type

    def check(value: Any) -> int:
        if type(value) is not int:
            if type(value) is NegativeZero:
                return 0
            raise ValueError(f"expected a Go {name} (an integer), got {_json_type(value)} {value!r}")
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range for Go {name} [{low}, {high}]")
        return value

    return check


def _check_float32(value: Any) -> float:
    if type(value) is NegativeZero:
        return -0.0
    if type(value) not in (int, float):
        raise ValueError(f"expected a Go float32 (a number), got {_json_type(value)} {value!r}")
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


def _exact(kind: type, name: str) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise ValueError(f"expected a {name}, got {_json_type(value)} {value!r}")
        return value

    return check


_check_str = _exact(str, "string")
_check_bool = _exact(bool, "boolean")
_check_object = _exact(dict, "JSON object")


#: Foreign JSON is checked as the text the codec writes for it (see codec.foreign.check_foreign_text).
_foreign_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _foreign_object_check(tp: Any) -> UnstructureFn:
    """A foreign struct stored by value: an object that the Go type reads back unchanged."""
    marker = _annotation(tp)
    assert isinstance(marker, ForeignJSON)
    go_type, where = marker.go_type, marker.where

    def check(value: Any) -> Any:
        _check_object(value)
        if go_type:
            check_foreign_text(_foreign_json(value), go_type, where)
        return value

    return check


def _foreign_value_check(tp: Any) -> UnstructureFn:
    """A foreign struct behind a pointer or in a slice (see ForeignValue): None, or what Go reads back."""
    marker = _annotation(tp)
    assert isinstance(marker, ForeignValue)
    go_type, where, pointer = marker.go_type, marker.where, marker.pointer

    def check(value: Any) -> Any:
        check_foreign_text(_foreign_json(value), go_type, where, pointer=pointer)
        return value

    return check


def _structure_time(value: Any, _: Any) -> GoTime:
    return GoTime.parse(_check_str(value))


def _unstructure_time(value: Any) -> str:
    if not isinstance(value, GoTime):
        raise ValueError(f"expected a GoTime, got {type(value).__name__}")
    return value.format()


# -- maps with non-string keys, sets ---------------------------------------------------------------


def _key_parser(key_type: Any) -> Callable[[str], Any]:
    if key_type is str:
        return lambda key: key
    check = _goint_check(key_type)

    def parse(key: str) -> int:
        digits = key[1:] if key.startswith("-") else key
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(f"map key {key!r} is not an integer")
        return check(int(key))

    return parse


def _key_writer(key_type: Any) -> Callable[[Any], str]:
    if key_type is str:
        return _check_str
    check = _goint_check(key_type)
    return lambda key: str(check(key))


class _Hooks:
    """Hook factories bound to one converter (one with cattrs' detailed validation, one without)."""

    def __init__(self, converter: Converter) -> None:
        self.c = converter

    def structure_optional(self, tp: Any) -> StructureFn:
        arg = _optional_arg(tp)
        inner = self.c.get_structure_hook(arg)
        return lambda value, _: None if value is None else inner(value, arg)

    def unstructure_optional(self, tp: Any) -> UnstructureFn:
        inner = self.c.get_unstructure_hook(_optional_arg(tp))
        return lambda value: None if value is None else inner(value)

    def structure_list(self, tp: Any) -> StructureFn:
        inner = list_structure_factory(tp, self.c)

        def structure(value: Any, _: Any) -> list[Any]:
            if type(value) is not list:
                raise ValueError(f"expected an array, got {_json_type(value)}")
            return inner(value, tp)  # type: ignore[no-any-return]

        return structure

    def unstructure_list(self, tp: Any) -> UnstructureFn:
        (arg,) = get_args(tp)
        inner = self.c.get_unstructure_hook(arg)

        def unstructure(value: Any) -> list[Any]:
            if not isinstance(value, list):
                raise ValueError(f"expected a list, got {type(value).__name__}")
            return [inner(item) for item in value]

        return unstructure

    def structure_dict(self, tp: Any) -> StructureFn:
        key_type, value_type = get_args(tp)
        parse_key = _key_parser(key_type)
        inner = self.c.get_structure_hook(value_type)

        def structure(value: Any, _: Any) -> dict[Any, Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {_json_type(value)}")
            return {parse_key(k): inner(v, value_type) for k, v in value.items()}

        return structure

    def unstructure_dict(self, tp: Any) -> UnstructureFn:
        key_type, value_type = get_args(tp)
        write_key = _key_writer(key_type)
        inner = self.c.get_unstructure_hook(value_type)

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise ValueError(f"expected a dict, got {type(value).__name__}")
            items = sorted((write_key(k), v) for k, v in value.items())
            return {k: inner(v) for k, v in items}

        return unstructure

    def structure_set(self, tp: Any) -> StructureFn:
        """Go's ``map[int]struct{}``: an object whose values are ``{}``."""
        (key_type,) = get_args(tp)
        parse_key = _key_parser(key_type)

        def structure(value: Any, _: Any) -> set[Any]:
            if type(value) is not dict:
                raise ValueError(f"expected an object, got {_json_type(value)}")
            for key, member in value.items():
                if member is not None and type(member) is not dict:
                    raise ValueError(f"set member {key!r} must be {{}}, got {_json_type(member)}")
            return {parse_key(k) for k in value}

        return structure

    def unstructure_set(self, tp: Any) -> UnstructureFn:
        (key_type,) = get_args(tp)
        write_key = _key_writer(key_type)

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, (set, frozenset)):
                raise ValueError(f"expected a set, got {type(value).__name__}")
            return {key: {} for key in sorted(write_key(k) for k in value)}

        return unstructure

    # -- Go structs ------------------------------------------------------------------------------

    def structure_model(self, cls: type) -> StructureFn:
        fields = attrs.fields(cls)
        keys = {f.name: f.metadata[GO_KEY] for f in fields}
        renames: dict[str, Any] = {name: override(rename=key) for name, key in keys.items()}
        inner: StructureFn = make_dict_structure_fn(
            cls, self.c, _cattrs_detailed_validation=self.c.detailed_validation, **renames
        )
        known = set(keys.values())
        folded = {key.lower(): key for key in known}
        nullable = {f.metadata[GO_KEY] for f in fields if _is_nullable(f.type)}

        def structure(value: Any, _: Any) -> Any:
            if type(value) is not dict:
                raise ValueError(f"expected an object for {cls.__name__}, got {_json_type(value)}")
            clean: dict[str, Any] = {}
            for written, item in value.items():
                key = written if written in known else folded.get(written.lower())  # Go folds case
                if key is None:
                    continue  # Go ignores unknown keys
                if item is None and key not in nullable:
                    clean.pop(key, None)  # null into a non-pointer field leaves Go's zero value
                    continue
                clean[key] = item
            return inner(clean, cls)

        return structure

    def unstructure_model(self, cls: type) -> UnstructureFn:
        fields = attrs.fields(cls)
        # cattrs' omit_if_default would move omitted keys to the end; Go keeps field order, so
        # omitempty is applied afterwards by deleting keys from the ordered document.
        renames: dict[str, Any] = {f.name: override(rename=f.metadata[GO_KEY]) for f in fields}
        inner: UnstructureFn = make_dict_unstructure_fn(cls, self.c, **renames)
        omitempty = [f for f in fields if f.metadata[OMITEMPTY]]
        # A nil pointer is omitted; a slice or map is omitted when nil or empty.
        drop_if_empty = [
            f.metadata[GO_KEY] for f in omitempty if get_origin(_optional_arg(f.type)) in (list, dict, set)
        ]
        drop_if_nil = [f.metadata[GO_KEY] for f in omitempty if f.metadata[GO_KEY] not in drop_if_empty]

        def unstructure(value: Any) -> dict[str, Any]:
            if not isinstance(value, cls):
                raise ValueError(f"expected {cls.__name__}, got {type(value).__name__}")
            document: dict[str, Any] = inner(value)
            for key in drop_if_nil:
                if document[key] is None:
                    del document[key]
            for key in drop_if_empty:
                if not document[key]:
                    del document[key]
            return document

        return unstructure


def make_converter(*, detailed: bool) -> Converter:
    """The codec's converter; ``detailed`` records where a decode failed (slower, used to explain errors)."""
    converter = Converter(detailed_validation=detailed)
    hooks = _Hooks(converter)

    def go_int_structure(tp: Any) -> StructureFn:
        check = _goint_check(tp)
        return lambda value, _: check(value)

    def is_goint(tp: Any) -> bool:
        return isinstance(_annotation(tp), GoInt)

    def is_float32(tp: Any) -> bool:
        return isinstance(_annotation(tp), GoFloat32)

    def is_foreign(tp: Any) -> bool:
        return isinstance(_annotation(tp), ForeignJSON)

    def origin_is(kind: type) -> Callable[[Any], bool]:
        return lambda tp: get_origin(tp) is kind

    converter.register_structure_hook_factory(is_goint, go_int_structure)
    converter.register_unstructure_hook_factory(is_goint, _goint_check)
    converter.register_structure_hook_func(is_float32, _structure_float32)
    converter.register_unstructure_hook_func(is_float32, _unstructure_float32)

    def is_foreign_value(tp: Any) -> bool:
        return isinstance(_annotation(tp), ForeignValue)

    converter.register_structure_hook_func(is_foreign, lambda value, _: _check_object(value))
    converter.register_unstructure_hook_factory(is_foreign, _foreign_object_check)
    converter.register_structure_hook_func(is_foreign_value, lambda value, _: value)  # decoding stays lenient
    converter.register_unstructure_hook_factory(is_foreign_value, _foreign_value_check)
    converter.register_structure_hook(str, lambda value, _: _check_str(value))
    converter.register_unstructure_hook(str, _check_str)
    converter.register_structure_hook(bool, lambda value, _: _check_bool(value))
    converter.register_unstructure_hook(bool, _check_bool)
    converter.register_structure_hook(GoTime, _structure_time)
    converter.register_unstructure_hook(GoTime, _unstructure_time)
    converter.register_structure_hook_factory(_is_optional, hooks.structure_optional)
    converter.register_unstructure_hook_factory(_is_optional, hooks.unstructure_optional)
    converter.register_structure_hook_factory(origin_is(list), hooks.structure_list)
    converter.register_unstructure_hook_factory(origin_is(list), hooks.unstructure_list)
    converter.register_structure_hook_factory(origin_is(dict), hooks.structure_dict)
    converter.register_unstructure_hook_factory(origin_is(dict), hooks.unstructure_dict)
    converter.register_structure_hook_factory(origin_is(set), hooks.structure_set)
    converter.register_unstructure_hook_factory(origin_is(set), hooks.unstructure_set)
    converter.register_structure_hook_factory(attrs.has, hooks.structure_model)
    converter.register_unstructure_hook_factory(attrs.has, hooks.unstructure_model)
    return converter
