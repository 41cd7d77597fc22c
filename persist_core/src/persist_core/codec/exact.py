"""Exact copies and exact comparisons of model objects: what lets a cache stand in for the codec unseen.

A cache may hand out a copy instead of decoding again, or reuse the bytes of an earlier encoding, only if
the codec could not tell the difference. The codec looks at types as well as values (``7.0``, ``True`` and
a ``str`` enum member are refused where Go holds an int or a string, though they compare equal to one),
at the sign of a float zero, and at the order of a foreign structure's keys. So both functions here are
*type-exact*, guided by the declared types:

- ``copy(obj)`` returns a copy that shares nothing mutable and has, at every node, exactly the type and
  value of the original; it raises :class:`NotExact` for anything else (a subclass, a tuple for a list,
  an object the codec would refuse or convert), and then nothing may be cached for that object.
- ``same(snapshot, obj)`` is True only when ``obj`` has, at every node, the type and value of
  ``snapshot`` (an exact copy): the codec then gives both the same bytes, or refuses neither.

Functions for model classes are generated on first use; their source is kept in ``linecache``.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs

from persist_core.codec.generated import PerType, Source, is_model
from persist_core.model._gotypes import ForeignJSON, GoFloat32, GoInt
from persist_core.model.gotime import GoTime

Copy = Callable[[Any], Any]
Same = Callable[[Any, Any], bool]

#: Foreign JSON nested deeper than this is not copied (the codec decides about it, uncached).
MAX_JSON_DEPTH = 200


class NotExact(Exception):
    """The only signal of this module: the value cannot be copied exactly, so it must not be cached."""


def _float_same(a: float, b: Any) -> bool:
    # -0.0 == 0.0 but is written as -0; NaN never equals itself, so it is never "same" (and never cached).
    return type(b) is float and a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


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


def _leaf_copy(kind: type) -> Copy:
    def copy(value: Any) -> Any:
        if type(value) is not kind:
            raise NotExact
        return value

    return copy


def _leaf_same(kind: type) -> Same:
    return lambda a, b: type(b) is kind and a == b


def _same_bool(a: Any, b: Any) -> bool:
    return b is a


def _copy_float(value: Any) -> Any:
    if type(value) is not float:
        raise NotExact
    return value


_JSON_LEAVES = frozenset({str, int, bool, type(None)})


def _copy_json(value: Any, depth: int = 0) -> Any:
    """Plain JSON only (dicts with str keys, lists, JSON scalars), key order kept."""
    kind = type(value)
    if kind in _JSON_LEAVES or kind is float:
        return value
    if depth > MAX_JSON_DEPTH:
        raise NotExact
    if kind is dict:
        copied = {}
        for key, item in value.items():
            if type(key) is not str:
                raise NotExact
            copied[key] = _copy_json(item, depth + 1)
        return copied
    if kind is list:
        return [_copy_json(item, depth + 1) for item in value]
    raise NotExact


def _same_json(a: Any, b: Any) -> bool:
    kind = type(a)
    if type(b) is not kind:
        return False
    if kind in _JSON_LEAVES:
        return bool(a == b)
    if kind is float:
        return _float_same(a, b)
    if kind is dict:
        # Order matters: foreign structures keep their keys in the order they were written.
        return (
            len(a) == len(b)
            and all(type(key) is str for key in b)
            and list(a) == list(b)
            and all(map(_same_json, a.values(), b.values()))
        )
    return len(a) == len(b) and all(map(_same_json, a, b))


class Exact(PerType[tuple[Copy, Same]]):
    """Exact copy and comparison functions per declared type, built on first use and kept."""

    def copy(self, obj: Any) -> Any:
        """An exact, unshared copy of a model object, or NotExact."""
        functions = self._cache.get(type(obj))
        if functions is None:
            if not is_model(type(obj)):
                raise NotExact
            functions = self.for_type(type(obj))
        return functions[0](obj)

    def same(self, snapshot: Any, obj: Any) -> bool:
        """Whether ``obj`` is, type for type and value for value, the exact copy ``snapshot``."""
        return self.for_type(type(snapshot))[1](snapshot, obj)

    def _build(self, tp: Any) -> tuple[Copy, Same]:
        origin = get_origin(tp)
        if origin is Annotated:
            marker = tp.__metadata__[0]
            if isinstance(marker, ForeignJSON):
                return self._foreign_object()
            if isinstance(marker, GoInt):
                return _leaf_copy(int), _leaf_same(int)
            if isinstance(marker, GoFloat32):
                return _copy_float, _float_same
            return self.for_type(get_args(tp)[0])
        if tp is Any:
            return _copy_json, _same_json
        if tp is str or tp is int:
            return _leaf_copy(tp), _leaf_same(tp)
        if tp is bool:
            return _leaf_copy(bool), _same_bool
        if tp is float:
            return _copy_float, _float_same
        if tp is GoTime:
            return _copy_time, _same_time
        if origin in (Union, types.UnionType):
            (inner,) = [arg for arg in get_args(tp) if arg is not type(None)]
            return _optional(*self.for_type(inner))
        if origin is list:
            return _list_of(*self.for_type(get_args(tp)[0]))
        if origin is dict:
            key_type, value_type = get_args(tp)
            return _dict_of(self.for_type(key_type), self.for_type(value_type))
        if origin is set:
            return _set_of(self.for_type(get_args(tp)[0]))
        if is_model(tp):
            return self._model(tp), self._model_same(tp)
        return _never_copy, _never_same

    @staticmethod
    def _foreign_object() -> tuple[Copy, Same]:
        def copy(value: Any) -> Any:
            if type(value) is not dict:
                raise NotExact
            return _copy_json(value)

        return copy, _same_json

    def _model(self, cls: type) -> Copy:
        """A new instance with its slots set directly (model classes have no validators or hooks to run).

        Optional fields, lists and small nested classes are written inline: most fields are None or short
        lists of small classes, and a call per value would cost more than the copying.
        """
        source = _CopySource(self, {"new": object.__new__, "NotExact": NotExact})
        source.value(cls, "o", "n", 1, _INLINE_DEPTH)
        source.line(1, "return n")
        return source.compile("copy", f"<persist codec: exact copy of {cls.__qualname__}>")

    def _model_same(self, cls: type) -> Same:
        source = _SameSource(self)
        source.value(cls, "a", "b", 1, _INLINE_DEPTH)
        source.line(1, "return True")
        return source.compile("same", f"<persist codec: exact comparison of {cls.__qualname__}>")


#: How many levels of nested model classes a generated function writes inline before calling another.
_INLINE_DEPTH = 5


def _optional_inner(tp: Any) -> Any | None:
    if get_origin(tp) in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(tp) if arg is not type(None)]
        return inner
    return None


class _CopySource(Source):
    """``value`` writes code that sets ``dst`` to an exact copy of ``src`` (declared ``tp``), or raises NotExact."""

    def __init__(self, exact: Exact, namespace: dict[str, Any]) -> None:
        super().__init__("def copy(o):", namespace)
        self._exact = exact

    def value(self, tp: Any, src: str, dst: str, indent: int, depth: int) -> None:
        leaf = _leaf_type(tp)
        inner = _optional_inner(tp)
        if leaf is not None:
            self.line(indent, f"if type({src}) is not {leaf.__name__}:")
            self.line(indent + 1, "raise NotExact")
            self.line(indent, f"{dst} = {src}")
        elif inner is not None:
            self.line(indent, f"if {src} is None:")
            self.line(indent + 1, f"{dst} = None")
            self.line(indent, "else:")
            self.value(inner, src, dst, indent + 1, depth)
        elif get_origin(tp) is list and depth > 0:
            item, copied = self._name("x"), self._name("y")
            self.line(indent, f"if type({src}) is not list:")
            self.line(indent + 1, "raise NotExact")
            self.line(indent, f"{dst} = []")
            self.line(indent, f"for {item} in {src}:")
            self.value(get_args(tp)[0], item, copied, indent + 1, depth - 1)
            self.line(indent + 1, f"{dst}.append({copied})")
        elif is_model(tp) and depth > 0:
            cls = self.constant(tp, "cls")
            self.line(indent, f"if type({src}) is not {cls}:")
            self.line(indent + 1, "raise NotExact")
            self.line(indent, f"{dst} = new({cls})")
            for field in attrs.fields(tp):
                value = self._name("v")
                self.line(indent, f"{value} = {src}.{field.name}")
                self.value(field.type, value, f"{dst}.{field.name}", indent, depth - 1)
        else:
            function = self.constant(self._exact.for_type(tp)[0], "c")
            self.line(indent, f"{dst} = {function}({src})")


class _SameSource(Source):
    """``value`` writes code that returns False unless ``b`` is type-exactly ``a`` (declared ``tp``)."""

    def __init__(self, exact: Exact) -> None:
        super().__init__("def same(a, b):", {})
        self._exact = exact

    def value(self, tp: Any, a: str, b: str, indent: int, depth: int) -> None:
        leaf = _leaf_type(tp)
        inner = _optional_inner(tp)
        if leaf is bool:
            self.line(indent, f"if {b} is not {a}:")
            self.line(indent + 1, "return False")
        elif leaf is not None:
            self.line(indent, f"if type({b}) is not {leaf.__name__} or {b} != {a}:")
            self.line(indent + 1, "return False")
        elif inner is not None:
            self.line(indent, f"if {a} is None or {b} is None:")
            self.line(indent + 1, f"if {a} is not {b}:")
            self.line(indent + 2, "return False")
            self.line(indent, "else:")
            self.value(inner, a, b, indent + 1, depth)
        elif get_origin(tp) is list and depth > 0:
            x, y = self._name("x"), self._name("y")
            self.line(indent, f"if type({b}) is not list or len({b}) != len({a}):")
            self.line(indent + 1, "return False")
            self.line(indent, f"for {x}, {y} in zip({a}, {b}):")
            self.value(get_args(tp)[0], x, y, indent + 1, depth - 1)
        elif is_model(tp) and depth > 0:
            self.line(indent, f"if type({b}) is not {self.constant(tp, 'cls')}:")
            self.line(indent + 1, "return False")
            for field in attrs.fields(tp):
                va, vb = self._name("a"), self._name("b")
                self.line(indent, f"{va} = {a}.{field.name}")
                self.line(indent, f"{vb} = {b}.{field.name}")
                self.value(field.type, va, vb, indent, depth - 1)
        else:
            function = self.constant(self._exact.for_type(tp)[1], "s")
            self.line(indent, f"if not {function}({a}, {b}):")
            self.line(indent + 1, "return False")


def _leaf_type(tp: Any) -> type | None:
    """str, int or bool where the field is declared as one (written inline in the generated code)."""
    if get_origin(tp) is Annotated:
        return int if isinstance(tp.__metadata__[0], GoInt) else None
    return tp if tp in (str, int, bool) else None


def _never_copy(value: Any) -> Any:
    raise NotExact


def _never_same(a: Any, b: Any) -> bool:
    return False


def _optional(copy: Copy, same: Same) -> tuple[Copy, Same]:
    return (
        lambda value: None if value is None else copy(value),
        lambda a, b: b is None if a is None else (b is not None and same(a, b)),
    )


def _list_of(copy: Copy, same: Same) -> tuple[Copy, Same]:
    def copy_list(value: Any) -> Any:
        if type(value) is not list:
            raise NotExact
        return list(map(copy, value))

    def same_list(a: Any, b: Any) -> bool:
        return type(b) is list and len(a) == len(b) and all(map(same, a, b))

    return copy_list, same_list


def _dict_of(keys: tuple[Copy, Same], values: tuple[Copy, Same]) -> tuple[Copy, Same]:
    copy_key, same_key = keys
    copy_value, same_value = values

    def copy_dict(value: Any) -> Any:
        if type(value) is not dict:
            raise NotExact
        return {copy_key(key): copy_value(item) for key, item in value.items()}

    def same_dict(a: Any, b: Any) -> bool:
        # Order matters too: Go sorts map keys, but comparing it costs nothing and proves more.
        return (
            type(b) is dict
            and len(a) == len(b)
            and all(map(same_key, a, b))
            and all(map(same_value, a.values(), b.values()))
        )

    return copy_dict, same_dict


def _set_of(items: tuple[Copy, Same]) -> tuple[Copy, Same]:
    copy_item, same_item = items

    def copy_set(value: Any) -> Any:
        kind = type(value)
        if kind is not set and kind is not frozenset:
            raise NotExact
        return kind(map(copy_item, value))

    def same_set(a: Any, b: Any) -> bool:
        # Members are immutable scalars (IDs): equal sets of exactly typed members are the same set.
        return type(b) is type(a) and a == b and all(same_item(item, item) for item in b)

    return copy_set, same_set
