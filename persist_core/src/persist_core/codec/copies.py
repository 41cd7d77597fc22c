"""Deep copies of decoded model objects: what decoding the same bytes again would return, without decoding.

Only what the codec's decoder produces needs handling, by declared type: model objects (rebuilt through
their ``__init__``), lists, dicts and sets (new ones), foreign JSON (dicts and lists copied all the way
down) and immutable leaves (str, int, float, bool, None, GoTime), which are shared. One function per
model class is generated on first use.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin

import attrs

from persist_core.model._gotypes import ForeignJSON

Copy = Callable[[Any], Any]


def _json_copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _json_copy(item) for key, item in value.items()}
    if kind is list:
        return [_json_copy(item) for item in value]
    return value


class Copier:
    """Copy functions per type; ``None`` stands for "immutable, share it"."""

    def __init__(self) -> None:
        self._cache: dict[Any, Copy | None] = {}

    def copy(self, obj: Any) -> Any:
        function = self.for_type(type(obj))
        return obj if function is None else function(obj)

    def for_type(self, tp: Any) -> Copy | None:
        if tp not in self._cache:
            self._cache[tp] = self._build(tp)
        return self._cache[tp]

    def _build(self, tp: Any) -> Copy | None:
        origin = get_origin(tp)
        if origin is Annotated:
            return _json_copy if isinstance(tp.__metadata__[0], ForeignJSON) else self.for_type(get_args(tp)[0])
        if tp is Any:
            return _json_copy
        if origin in (Union, types.UnionType):
            (inner,) = [arg for arg in get_args(tp) if arg is not type(None)]
            item = self.for_type(inner)
            return None if item is None else _optional(item)
        if origin is list:
            item = self.for_type(get_args(tp)[0])
            return list if item is None else _list_of(item)
        if origin is dict:
            item = self.for_type(get_args(tp)[1])
            return dict if item is None else _dict_of(item)
        if origin is set:
            return set
        if isinstance(tp, type) and attrs.has(tp):
            return self._model(tp)
        return None  # str, int, float, bool, GoTime: immutable

    def _model(self, cls: type) -> Copy:
        namespace: dict[str, Any] = {"cls": cls}
        arguments = []
        for index, field in enumerate(attrs.fields(cls)):
            field_copy = self.for_type(field.type)
            if field_copy is None:
                arguments.append(f"{field.alias}=o.{field.name}")
            else:
                namespace[f"c{index}"] = field_copy
                arguments.append(f"{field.alias}=c{index}(o.{field.name})")
        source = f"def copy(o):\n    return cls({', '.join(arguments)})\n"
        exec(compile(source, f"<persist codec: copy {cls.__qualname__}>", "exec"), namespace)
        function: Copy = namespace["copy"]
        return function


def _optional(item: Copy) -> Copy:
    return lambda value: None if value is None else item(value)


def _list_of(item: Copy) -> Copy:
    return lambda value: [item(element) for element in value]


def _dict_of(item: Copy) -> Copy:
    return lambda value: {key: item(element) for key, element in value.items()}
