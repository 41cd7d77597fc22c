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

from persist_core.codec.generated import PerType
from persist_core.model._gotypes import ForeignJSON
from persist_core.model.gotime import GoTime

Copy = Callable[[Any], Any]


def _json_copy(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return dict(zip(value, map(_json_copy, value.values()), strict=True))
    if kind is list:
        return list(map(_json_copy, value))
    return value


class Copier(PerType["Copy | None"]):
    """Copy functions per type; ``None`` stands for "immutable, share it"."""

    def copy(self, obj: Any) -> Any:
        function = self.for_type(type(obj))
        return obj if function is None else function(obj)

    def _build(self, tp: Any) -> Copy | None:
        origin = get_origin(tp)
        if origin is Annotated:
            return _json_copy if isinstance(tp.__metadata__[0], ForeignJSON) else self.for_type(get_args(tp)[0])
        if tp is Any:
            return _json_copy
        if origin in (Union, types.UnionType):
            item = self.for_type(_optional_arg(tp))
            return None if item is None else _optional(item)
        if origin is list:
            item = self.for_type(get_args(tp)[0])
            return list if item is None else _list_of(item)
        if origin is dict:
            item = self.for_type(get_args(tp)[1])
            return dict if item is None else _dict_of(item)
        if origin is set:
            return set
        if tp is GoTime:
            return None  # frozen, and holds only ints
        if isinstance(tp, type) and attrs.has(tp):
            return self._model(tp)
        return None  # str, int, float, bool: immutable

    def _model(self, cls: type) -> Copy:
        """A new instance with its slots set directly: the copied values were checked when first made, and
        skipping ``__init__``'s keyword handling makes a copy several times cheaper (model classes have no
        validators, converters or post-init hooks to bypass)."""
        namespace: dict[str, Any] = {"cls": cls, "new": object.__new__}
        lines = ["def copy(o):", "    n = new(cls)"]
        for index, field in enumerate(attrs.fields(cls)):
            optional = get_origin(field.type) in (Union, types.UnionType)
            # Most pointer fields are None: test inline rather than call a wrapper for each.
            field_copy = self.for_type(_optional_arg(field.type) if optional else field.type)
            if field_copy is None:
                lines.append(f"    n.{field.name} = o.{field.name}")
            elif optional:
                namespace[f"c{index}"] = field_copy
                lines.append(f"    v = o.{field.name}")
                lines.append(f"    n.{field.name} = None if v is None else c{index}(v)")
            else:
                namespace[f"c{index}"] = field_copy
                lines.append(f"    n.{field.name} = c{index}(o.{field.name})")
        lines.append("    return n")
        source = "\n".join(lines) + "\n"
        exec(compile(source, f"<persist codec: copy {cls.__qualname__}>", "exec"), namespace)
        function: Copy = namespace["copy"]
        return function


def _optional_arg(tp: Any) -> Any:
    (inner,) = [arg for arg in get_args(tp) if arg is not type(None)]
    return inner


def _optional(item: Copy) -> Copy:
    return lambda value: None if value is None else item(value)


# map() loops in C; a comprehension would be one more Python frame per list.
def _list_of(item: Copy) -> Copy:
    return lambda value: list(map(item, value))


def _dict_of(item: Copy) -> Copy:
    return lambda value: dict(zip(value, map(item, value.values()), strict=True))
